//! Job queues apart from the request path: a queue answers its client at
//! once (202), so it never breaks the SLO; what it shows as load grows is a
//! backlog that grows instead of a latency.

use crate::report::QueueReport;
use crate::Report;

/// Each job queue's backlog growth over the measured period, jobs per
/// second (negative when it drains), in scenario order.
pub(super) fn backlog_growth(r: &Report) -> Vec<(String, f64)> {
    let measured = (r.simulated_s - r.warmup_s).max(1e-9);
    r.queues
        .iter()
        .map(|q| {
            let growth = (q.depth_at_end as f64 - waiting_at(q, r.warmup_s)) / measured;
            (q.name.clone(), (growth * 1e6).round() / 1e6)
        })
        .collect()
}

/// Jobs waiting at `t_s`: the last series row at or before it (0 before the first).
fn waiting_at(q: &QueueReport, t_s: f64) -> f64 {
    q.series
        .iter()
        .take_while(|row| row.t_s <= t_s + 1e-9)
        .last()
        .map_or(0.0, |row| row.waiting as f64)
}
