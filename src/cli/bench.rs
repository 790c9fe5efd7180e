//! `scaletwin bench`: wall-clock speed of the simulator on a scenario.

use super::{console, CliError};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `scaletwin bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// Scenario file (RON). Without it, the bundled default scenario.
    file: Option<PathBuf>,
    /// Override a scenario field: path=value (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Repetitions; the best is reported.
    #[arg(long, default_value_t = 3)]
    repeat: u32,
    /// Run even if the estimated memory is over the budget (4 GiB)
    #[arg(long)]
    allow_large: bool,
}

pub(crate) fn bench(args: BenchArgs) -> Result<(), CliError> {
    let (_, plan) =
        super::scenario::load(args.file.as_deref(), &super::scenario::sets(&args.sets))?;
    let file = super::scenario::display_name(args.file.as_deref());
    super::admit(&plan, &file, args.allow_large, false)?;
    let mut best = f64::INFINITY;
    let mut report = None;
    for _ in 0..args.repeat.max(1) {
        let start = Instant::now();
        let r = crate::simulate(&plan);
        best = best.min(start.elapsed().as_secs_f64());
        report = Some(r);
    }
    let r = report.expect("at least one repetition");
    let requests = r.engine.requests as f64;
    console::print(&format!(
        "scenario {}: {} simulated seconds, {} events, {} requests\n\
         best of {}: {:.3} s wall\n  \
         {:.2} M simulated requests/s\n  \
         {:.2} M events/s\n  \
         {:.0}x faster than real time\n",
        r.scenario,
        r.simulated_s,
        r.engine.events,
        r.engine.requests,
        args.repeat.max(1),
        best,
        requests / best / 1e6,
        r.engine.events as f64 / best / 1e6,
        r.simulated_s / best
    ))
}
