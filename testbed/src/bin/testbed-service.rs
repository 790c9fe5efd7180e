//! `testbed-service`: see [`scaletwin_testbed::service`].

use std::process::ExitCode;

use clap::Parser;
use scaletwin_testbed::service::{serve, ServiceArgs};

fn main() -> ExitCode {
    let args = ServiceArgs::parse();
    let compute_ms = match args.validate() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("testbed-service: {e}");
            return ExitCode::from(2);
        }
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.worker_threads {
        runtime.worker_threads(n.max(1));
    }
    let runtime = match runtime.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("testbed-service: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args, compute_ms)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("testbed-service: {e:#}");
            ExitCode::FAILURE
        }
    }
}
