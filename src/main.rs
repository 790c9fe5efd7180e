//! The `scaletwin` binary: the command line lives in the library
//! ([`scaletwin::main_cli`]), so the binary is one call.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    scaletwin::main_cli()
}
