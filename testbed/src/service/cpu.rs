//! Real CPU work per request: a hash chain run until the calling thread has
//! spent a given amount of CPU time (not wall time), so a request preempted by
//! the OS still does its full share of work.

use std::hint::black_box;
use std::time::Duration;

/// CPU time consumed so far by the calling thread.
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant
    // Linux supports for every thread.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time (user + system) consumed so far by the whole process.
pub fn process_cpu_time() -> Duration {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Runs a SplitMix64 chain seeded by `seed` until this thread has used
/// `budget` of CPU time; returns the chain's last value (an ETag-like digest,
/// so the work cannot be optimised away) and the CPU time actually used.
pub fn burn(budget: Duration, seed: u64) -> (u64, Duration) {
    const ROUNDS: u32 = 1024; // a few microseconds between clock reads
    let start = thread_cpu_time();
    let mut h = seed;
    loop {
        for _ in 0..ROUNDS {
            h = black_box(splitmix64(h));
        }
        let used = thread_cpu_time().saturating_sub(start);
        if used >= budget {
            return (h, used);
        }
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burn_uses_at_least_its_budget_of_cpu_and_not_much_more() {
        let budget = Duration::from_millis(5);
        let before = thread_cpu_time();
        let (digest, used) = burn(budget, 7);
        let spent = thread_cpu_time() - before;
        assert!(used >= budget, "{used:?}");
        assert!(spent >= budget && spent < budget * 3, "{spent:?}");
        assert_ne!(digest, 7);
    }

    #[test]
    fn zero_budget_returns_after_one_round() {
        let (_, used) = burn(Duration::ZERO, 1);
        assert!(used < Duration::from_millis(5), "{used:?}");
    }
}
