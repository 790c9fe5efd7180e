//! Progress on stderr while simulations run: an indicatif bar on a terminal;
//! when stderr is not a terminal (a pipe, a CI log), one line every
//! `--progress-every` (10 s by default); nothing with `--quiet`. Both show
//! the smoothed estimate of the time left from [`Eta`].

use super::console::eprint;
use super::eta::{human, Eta};
use crate::algo::Nanos;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a run goes before the terminal bar appears, in seconds.
const BAR_DELAY_S: f64 = 1.0;
/// How often a batch's bar refreshes its estimate.
const BAR_REFRESH: Duration = Duration::from_secs(1);

/// The `--progress-every` flag: how often a progress line is printed when
/// stderr is not a terminal.
#[derive(Debug, clap::Args)]
pub(crate) struct ProgressArgs {
    /// When stderr is not a terminal, print a progress line this often
    /// (e.g. 10s, 1m).
    #[arg(long, value_name = "D", default_value = "10s", value_parser = parse_every)]
    progress_every: Duration,
}

fn parse_every(text: &str) -> Result<Duration, String> {
    let d = crate::scenario::units::Duration::parse(text).map_err(|e| e.to_string())?;
    if d.nanos() == Nanos::ZERO {
        return Err("must be more than 0s".into());
    }
    Ok(Duration::from_nanos(d.nanos().0))
}

/// Where progress goes.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Off,
    Bar,
    Lines(Duration),
}

impl ProgressArgs {
    fn mode(&self, quiet: bool) -> Mode {
        if quiet {
            Mode::Off
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines(self.progress_every)
        }
    }
}

/// Progress of one run over simulated time.
pub(crate) struct RunProgress {
    total: Nanos,
    started: Instant,
    mode: Mode,
    bar: Option<ProgressBar>,
    eta: Eta,
    next_line_s: f64,
}

impl RunProgress {
    /// Progress of a run of `total` simulated time.
    pub(crate) fn new(total: Nanos, args: &ProgressArgs, quiet: bool) -> RunProgress {
        let mode = args.mode(quiet);
        RunProgress {
            total,
            started: Instant::now(),
            mode,
            bar: None,
            eta: Eta::default(),
            next_line_s: match mode {
                Mode::Lines(every) => every.as_secs_f64(),
                _ => f64::INFINITY,
            },
        }
    }

    /// Simulated time has reached `now`.
    pub(crate) fn update(&mut self, now: Nanos) {
        if let Mode::Off = self.mode {
            return;
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        let fraction = now.0 as f64 / self.total.0.max(1) as f64;
        self.eta.observe(elapsed, fraction);
        match self.mode {
            Mode::Off => {}
            Mode::Bar => {
                if self.bar.is_none() && elapsed > BAR_DELAY_S {
                    self.bar = Some(
                        bar(
                            1000,
                            "{spinner} simulating [{bar:40}] {percent}% ({elapsed} elapsed, {msg})",
                        )
                        .with_elapsed(self.started.elapsed()),
                    );
                }
                if let Some(bar) = &self.bar {
                    bar.set_message(self.eta.describe(elapsed));
                    bar.set_position((fraction * 1000.0) as u64);
                }
            }
            Mode::Lines(every) => {
                if elapsed >= self.next_line_s {
                    eprint(&format!(
                        "scaletwin: simulated {} of {} ({:.0}%), {} elapsed, {}\n",
                        human(now.as_secs_f64()),
                        human(self.total.as_secs_f64()),
                        fraction * 100.0,
                        human(elapsed),
                        self.eta.describe(elapsed)
                    ));
                    self.next_line_s = elapsed + every.as_secs_f64();
                }
            }
        }
    }

    /// Removes the bar.
    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Progress of a batch over its runs. The library advances the counter
/// ([`BatchProgress::counter`]); a thread reads it to refresh the bar's
/// estimate each second, or to print a line every `--progress-every`.
pub(crate) struct BatchProgress {
    counter: Option<ProgressBar>,
    ticker: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl BatchProgress {
    /// Progress of a batch, shown as `args` and `quiet` say.
    pub(crate) fn new(args: &ProgressArgs, quiet: bool) -> BatchProgress {
        let mode = args.mode(quiet);
        let (counter, period) = match mode {
            Mode::Off => {
                return BatchProgress {
                    counter: None,
                    ticker: None,
                }
            }
            Mode::Bar => (
                bar(
                    1,
                    "{spinner} runs [{bar:40}] {pos}/{len} ({elapsed} elapsed, {msg})",
                ),
                BAR_REFRESH,
            ),
            Mode::Lines(every) => (ProgressBar::hidden(), every.min(BAR_REFRESH)),
        };
        let (stop, stopped) = mpsc::channel::<()>();
        let watched = counter.clone();
        let thread = std::thread::spawn(move || tick(&watched, mode, period, &stopped));
        BatchProgress {
            counter: Some(counter),
            ticker: Some((stop, thread)),
        }
    }

    /// The counter the library advances (one per finished run).
    pub(crate) fn counter(&self) -> Option<&ProgressBar> {
        self.counter.as_ref()
    }

    /// Stops the thread and removes the bar.
    pub(crate) fn finish(self) {
        if let Some((stop, thread)) = self.ticker {
            drop(stop);
            let _ = thread.join();
        }
        if let Some(counter) = self.counter {
            counter.finish_and_clear();
        }
    }
}

/// The batch ticker: every `period` until `stopped` closes, feeds the
/// estimate and refreshes the bar or prints a line when one is due.
fn tick(counter: &ProgressBar, mode: Mode, period: Duration, stopped: &mpsc::Receiver<()>) {
    let started = Instant::now();
    let mut eta = Eta::default();
    let mut next_line_s = match mode {
        Mode::Lines(every) => every.as_secs_f64(),
        _ => f64::INFINITY,
    };
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(period) {
        let elapsed = started.elapsed().as_secs_f64();
        let (done, total) = (counter.position(), counter.length().unwrap_or(0));
        eta.observe(elapsed, done as f64 / total.max(1) as f64);
        match mode {
            Mode::Off => {}
            Mode::Bar => counter.set_message(eta.describe(elapsed)),
            Mode::Lines(every) => {
                if elapsed >= next_line_s {
                    eprint(&format!(
                        "scaletwin: {done} of {total} runs done, {} elapsed, {}\n",
                        human(elapsed),
                        eta.describe(elapsed)
                    ));
                    next_line_s = elapsed + every.as_secs_f64();
                }
            }
        }
    }
}

/// A bar on stderr of `len` steps drawn with `template`.
fn bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
        .with_message(Eta::default().describe(0.0));
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}
