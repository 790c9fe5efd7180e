//! `testbed-load`: see [`scaletwin_testbed::load`].

use std::process::ExitCode;

use clap::Parser;
use scaletwin_testbed::load::{run, LoadArgs};

fn main() -> ExitCode {
    let args = LoadArgs::parse();
    let population = match args.validate() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("testbed-load: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("testbed-load: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args, population)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("testbed-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}
