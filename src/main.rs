//! The `scaletwin` binary: everything lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    scaletwin::cli::main()
}
