//! Writing fitted workload values into the user's scenario text: each value
//! at its field path is replaced (or the field added after a sibling when
//! the file leaves it to its default), comments and layout elsewhere kept,
//! with a short `/* fitted: .. */` note beside it.

use super::popularity::PopularityFit;
use super::traffic::{MixFit, RateFit};
use crate::scenario::value_span;
use std::ops::Range;

/// One change of the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Edit {
    /// Bytes replaced (empty: an insertion).
    pub at: Range<usize>,
    /// What goes there.
    pub text: String,
}

/// `source` with `edits` made (they must not overlap) and `header` before it.
pub(super) fn apply(source: &str, header: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|e| (e.at.start, e.at.end));
    let mut out = String::with_capacity(source.len() + header.len() + 256);
    out.push_str(header);
    let mut at = 0;
    for e in edits {
        out.push_str(&source[at..e.at.start]);
        out.push_str(&e.text);
        at = e.at.end;
    }
    out.push_str(&source[at..]);
    out
}

/// A number as the scenario writes it (at most 6 significant decimals, a
/// decimal point kept so RON reads a float).
fn number(x: f64) -> String {
    let small = if x != 0.0 && x.abs() < 1.0 {
        (-x.abs().log10()).ceil() as usize
    } else {
        0
    };
    let text = format!("{:.*}", 6 + small, x);
    let text = text.trim_end_matches('0');
    if text.ends_with('.') {
        format!("{text}0")
    } else {
        text.to_owned()
    }
}

/// Seconds as a scenario duration (`60s`, `1.5s`).
fn seconds(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0}s")
    } else {
        format!("{}s", number(s))
    }
}

/// The span of `path`'s value, or `None` when the file leaves it out.
fn span(source: &str, path: &str) -> Option<Range<usize>> {
    value_span(source, path).ok()
}

/// The rate: `rps_per_user` (so users × rps_per_user is the window's mean
/// rate) and `pattern` (`Steps` of each interval's factor when the rate
/// varies, else `Constant`).
pub(super) fn rate(source: &str, users: f64, fit: &RateFit) -> Result<Vec<Edit>, String> {
    if users <= 0.0 {
        return Err(
            "workload.users must be above 0 to write the fitted rate as users × rps_per_user"
                .into(),
        );
    }
    let mean = fit.mean();
    let note = format!(
        " /* fitted: {} req/s ± {} over {} s, n = {} */",
        number(mean),
        number(fit.standard_error()),
        fit.seconds,
        fit.arrivals
    );
    let per_user = format!("{}{note}", number(mean / users));
    let pattern = if fit.varies() {
        let steps: Vec<String> = fit
            .bins
            .iter()
            .enumerate()
            .map(|(k, r)| {
                format!(
                    "(at: \"{}\", factor: {})",
                    seconds(k as f64 * fit.bin_s),
                    number(r / mean)
                )
            })
            .collect();
        Some(format!(
            "Steps([{}]) /* fitted: the rate varies (χ² = {:.1} over {} intervals, p = {:.2e}) */",
            steps.join(", "),
            fit.chi2,
            fit.bins.len(),
            fit.p_value
        ))
    } else {
        None
    };
    let users_at = span(source, "workload.users").ok_or("workload.users not found in the text")?;
    let mut edits = Vec::new();
    let mut inserted = String::new();
    match span(source, "workload.rps_per_user") {
        Some(at) => edits.push(Edit { at, text: per_user }),
        None => inserted.push_str(&format!(", rps_per_user: {per_user}")),
    }
    match (span(source, "workload.pattern"), pattern) {
        (Some(at), Some(p)) => edits.push(Edit { at, text: p }),
        (None, Some(p)) => inserted.push_str(&format!(", pattern: {p}")),
        (Some(at), None) => edits.push(Edit {
            at,
            text: "Constant /* fitted: the rate is steady */".into(),
        }),
        (None, None) => {}
    }
    if !inserted.is_empty() {
        edits.push(Edit {
            at: users_at.end..users_at.end,
            text: inserted,
        });
    }
    Ok(edits)
}

/// The mix: each observed endpoint's share.
pub(super) fn mix(source: &str, fit: &MixFit) -> Result<Edit, String> {
    let at = span(source, "workload.mix").ok_or("workload.mix not found in the text")?;
    let entries: Vec<String> = millionths(&fit.shares())
        .iter()
        .map(|(e, m)| format!("{e:?}: {}", number(*m as f64 / 1e6)))
        .collect();
    Ok(Edit {
        at,
        text: format!(
            "{{ {} }} /* fitted: observed shares, n = {} */",
            entries.join(", "),
            fit.total()
        ),
    })
}

/// Shares in millionths adding up to exactly one million (largest
/// remainders), so the written mix adds up to 1.
fn millionths(shares: &[(String, f64, f64)]) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64, f64)> = shares
        .iter()
        .map(|(e, p, _)| {
            let x = p * 1e6;
            (e.clone(), x.floor() as u64, x - x.floor())
        })
        .collect();
    let short = 1_000_000u64.saturating_sub(out.iter().map(|o| o.1).sum());
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by(|&a, &b| out[b].2.total_cmp(&out[a].2).then(a.cmp(&b)));
    for &i in order.iter().cycle().take(short as usize) {
        out[i].1 += 1;
    }
    out.into_iter().map(|(e, m, _)| (e, m)).collect()
}

/// The keys' popularity.
pub(super) fn popularity(source: &str, fit: &PopularityFit) -> Result<Edit, String> {
    let text = format!(
        "Zipf({}) /* fitted: hit ratio {:.4} of {} lookups at {} */",
        number(fit.exponent),
        fit.observed(),
        fit.hits + fit.misses,
        fit.cache
    );
    if let Some(at) = span(source, "workload.keys.popularity") {
        return Ok(Edit { at, text });
    }
    let count = span(source, "workload.keys.count").ok_or(
        "workload.keys not found in the text: write keys: (count: N) for the population the exponent is fitted over",
    )?;
    Ok(Edit {
        at: count.end..count.end,
        text: format!(", popularity: {text}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_back_as_floats() {
        assert_eq!(number(26.0), "26.0");
        assert_eq!(number(0.700012345), "0.7000123");
        assert_eq!(number(0.0000262), "0.0000262");
        let third = 1.0 / 3.0;
        let m = millionths(&[
            ("a".into(), third, 0.0),
            ("b".into(), third, 0.0),
            ("c".into(), third, 0.0),
        ]);
        assert_eq!(m.iter().map(|x| x.1).sum::<u64>(), 1_000_000);
        let e = vec![
            Edit {
                at: 4..5,
                text: "X".into(),
            },
            Edit {
                at: 1..1,
                text: "Y".into(),
            },
        ];
        assert_eq!(apply("abcdef", "// h\n", e), "// h\naYbcdXf");
    }
}
