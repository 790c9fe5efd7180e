//! How busy the machine was during a step, from `/proc`: the share of all
//! cores' time spent busy, per core, and the load average. A recording on a
//! machine that was doing other work says so in its step summaries.

/// Cumulative CPU time counters of each core, in clock ticks, from `/proc/stat`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// `(busy, total)` ticks per core, `cpu0` first.
    cores: Vec<(u64, u64)>,
}

impl CpuTimes {
    /// Reads `/proc/stat` (empty where it cannot be read).
    pub fn read() -> CpuTimes {
        std::fs::read_to_string("/proc/stat")
            .map(|s| CpuTimes::parse(&s))
            .unwrap_or_default()
    }

    /// Parses the `cpuN` lines of a `/proc/stat` text.
    pub fn parse(stat: &str) -> CpuTimes {
        let cores = stat
            .lines()
            .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
            .map(|l| {
                let v: Vec<u64> = l
                    .split_whitespace()
                    .skip(1)
                    .filter_map(|x| x.parse().ok())
                    .collect();
                // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
                let total: u64 = v.iter().take(8).sum();
                let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
                (total - idle, total)
            })
            .collect();
        CpuTimes { cores }
    }

    /// Busy share of each core between `self` (earlier) and `later`, 0 to 1.
    pub fn busy_since(&self, later: &CpuTimes) -> Vec<f64> {
        self.cores
            .iter()
            .zip(&later.cores)
            .map(|(&(b0, t0), &(b1, t1))| {
                let dt = t1.saturating_sub(t0);
                if dt == 0 {
                    0.0
                } else {
                    ((b1.saturating_sub(b0)) as f64 / dt as f64 * 1e3).round() / 1e3
                }
            })
            .collect()
    }
}

/// The 1-minute load average (0 where it cannot be read).
pub fn loadavg_1m() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_share_per_core_leaves_out_idle_and_iowait() {
        let a = CpuTimes::parse(
            "cpu  9 0 0 9 0 0 0 0\ncpu0 10 0 10 100 0 0 0 0 0 0\ncpu1 0 0 0 100 0 0 0 0\nintr 5\n",
        );
        let b = CpuTimes::parse(
            "cpu  9 0 0 9 0 0 0 0\ncpu0 60 0 10 130 20 0 0 0 0 0\ncpu1 0 0 0 200 0 0 0 0\n",
        );
        assert_eq!(a.busy_since(&b), vec![0.5, 0.0]);
    }
}
