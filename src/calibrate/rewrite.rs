//! Writing the calibrated scenario: the user's file with each `Fit` token
//! replaced by its fitted distribution, comments and layout kept, and the
//! provenance of every fit in a comment block at the top.

use super::Fitted;
use std::fmt::Write;

/// Formats seconds as a scenario duration with microsecond precision.
fn duration(s: f64) -> String {
    let us = (s * 1e6).round().max(1.0);
    if us >= 1000.0 {
        format!("{}ms", us / 1000.0)
    } else {
        format!("{us}us")
    }
}

/// [`duration`], but 0 stays `0us` (an empirical point may be zero).
fn duration_or_zero(s: f64) -> String {
    if s <= 0.0 {
        "0us".into()
    } else {
        duration(s)
    }
}

/// Byte offsets of the `Fit` tokens outside strings and comments, each with
/// the endpoint it belongs to (the last `"name": [` key before it).
fn fit_tokens(source: &str) -> Vec<(usize, Option<String>)> {
    let b = source.as_bytes();
    let mut out = Vec::new();
    let mut last_key: Option<String> = None;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let text = &source[start..i.min(b.len())];
                let rest = source[(i + 1).min(b.len())..].trim_start();
                if let Some(after) = rest.strip_prefix(':') {
                    if after.trim_start().starts_with('[') {
                        last_key = Some(text.to_owned());
                    }
                }
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                if &source[start..i] == "Fit" {
                    out.push((start, last_key.clone()));
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// The calibrated text.
/// With `partial` (one step kind fitted), marks of endpoints without a fit stay.
pub(super) fn replace_fits(
    source: &str,
    fits: &[Fitted],
    provenance: &str,
    partial: bool,
) -> Result<String, String> {
    let mut tokens = fit_tokens(source);
    if partial {
        tokens.retain(|(_, e)| fits.iter().any(|f| Some(&f.endpoint) == e.as_ref()));
    }
    if tokens.len() != fits.len() {
        return Err(format!(
            "found {} Fit marks in the text but {} in the scenario; write each Fit inside its endpoint's step list",
            tokens.len(),
            fits.len()
        ));
    }
    let mut header = format!("// Calibrated by `scaletwin calibrate` from {provenance}.\n");
    for f in fits.iter().filter(|f| f.empirical.is_none()) {
        let _ = writeln!(
            header,
            "//   {} {}: Lognormal(median {}, p99 {}) from n = {}, KS distance {:.4}; known parts removed: mean {:.3} ms ({})",
            f.endpoint, f.step, duration(f.fit.median()), duration(f.fit.p99()), f.fit.n, f.ks, f.known.0 * 1e3, f.method
        );
    }
    for f in fits {
        if let Some(points) = &f.empirical {
            let (median, p99) = f.median_p99();
            let _ = writeln!(
                header,
                "//   {} {}: Empirical({} points; mean {}, median {}, p99 {}) from n = {}; known parts removed: {:.3} ms ({})",
                f.endpoint, f.step, points.len(), duration(super::empirical::mean(points)), duration(median), duration(p99), f.fit.n, f.known.0 * 1e3, f.method
            );
        }
    }
    let mut out = String::with_capacity(source.len() + header.len() + 200);
    out.push_str(&header);
    let mut at = 0;
    for (pos, endpoint) in tokens {
        let f = fits
            .iter()
            .find(|f| Some(&f.endpoint) == endpoint.as_ref())
            .ok_or_else(|| {
                format!("a Fit mark at byte {pos} is not inside an endpoint's step list")
            })?;
        out.push_str(&source[at..pos]);
        match &f.empirical {
            Some(points) => {
                let _ = write!(out, "Empirical([");
                for (i, (x, w)) in points.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    let _ = write!(out, "{sep}(\"{}\", {w:?})", duration_or_zero(*x));
                }
                let _ = write!(out, "]) /* fitted: n = {}, empirical */", f.fit.n);
            }
            None => {
                let _ = write!(
                    out,
                    "Lognormal(median: \"{}\", p99: \"{}\") /* fitted: n = {}, KS {:.4} */",
                    duration(f.fit.median()),
                    duration(f.fit.p99()),
                    f.fit.n,
                    f.ks
                );
            }
        }
        at = pos + 3;
    }
    out.push_str(&source[at..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_tokens_skip_strings_and_comments_and_know_their_endpoint() {
        let src = "// Fit here is a comment\nendpoints: { \"a\": [Compute(Fit)], \"Fit\": [Lb(\"x\") /* Fit */, DbRead(Fit)] }";
        let t = fit_tokens(src);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].1.as_deref(), Some("a"));
        assert_eq!(t[1].1.as_deref(), Some("Fit"));
        assert_eq!(&src[t[0].0..t[0].0 + 3], "Fit");
        assert_eq!(duration(0.0032), "3.2ms");
        assert_eq!(duration(0.0000405), "41us");
    }
}
