//! `scaletwin import otlp`: traces drawn by an independent generator
//! (tests/fixtures/otlp/make_traces.py) are fitted back to the generator's
//! parameters, and malformed OTLP exits 2 naming file, line and field.

use scaletwin::import::otlp;
use scaletwin::import::otlp::fit::Z99;
use scaletwin::scenario::parse;
use scaletwin::scenario::schema::{Dist, Step};
use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/otlp");

/// (mu, sigma) of the log of a fitted `Lognormal(median, p99)` (ns).
fn log_params(d: &Dist) -> (f64, f64) {
    let Dist::Lognormal { median, p99 } = d else {
        panic!("not a Lognormal: {d:?}")
    };
    let (m, p) = (median.nanos().0 as f64, p99.nanos().0 as f64);
    (m.ln(), (p / m).ln() / Z99)
}

/// The fit is within 4 standard errors of the truth: the MLE of mu has
/// standard error sigma/sqrt(n), that of sigma sigma/sqrt(2n).
fn assert_recovers(what: &str, d: &Dist, median_ms: f64, sigma: f64, n: f64) {
    let (mu_hat, sigma_hat) = log_params(d);
    let mu = (median_ms * 1e6).ln();
    let (se_mu, se_sigma) = (sigma / n.sqrt(), sigma / (2.0 * n).sqrt());
    assert!(
        (mu_hat - mu).abs() < 4.0 * se_mu,
        "{what}: median {} ms, true {median_ms} ms",
        mu_hat.exp() / 1e6
    );
    assert!(
        (sigma_hat - sigma).abs() < 4.0 * se_sigma,
        "{what}: sigma {sigma_hat}, true {sigma}"
    );
}

#[test]
fn traces_from_known_distributions_are_fitted_back() {
    let text = std::fs::read_to_string(format!("{DIR}/traces.jsonl")).unwrap();
    let imported = otlp::import("traces.jsonl", &text).unwrap_or_else(|e| panic!("{e}"));
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let s = parse(&imported.ron, "imported.ron").unwrap();

    // The mix: 500 requests, 70 % GET (binomial standard error 2 %).
    let get = s.workload.mix["GET /projects"];
    let post = s.workload.mix["POST /projects"];
    assert!(
        (get - 0.7).abs() < 4.0 * (0.21f64 / 500.0).sqrt(),
        "GET share {get}"
    );
    assert!((get + post - 1.0).abs() < 1e-3 && s.workload.mix.len() == 2);
    // Poisson arrivals at 5/s: 499 gaps, the rate within 4 standard errors.
    let rate = s.workload.users * s.workload.rps_per_user;
    assert!(
        (rate - 5.0).abs() < 4.0 * 5.0 / 499f64.sqrt(),
        "rate {rate}"
    );

    let steps = |name: &str| s.endpoints[name].clone();
    let (n_get, n_post) = (get * 500.0, post * 500.0);
    match steps("GET /projects").as_slice() {
        [Step::Lb(lb), Step::Compute(compute), Step::DbRead(read)] => {
            assert_eq!(lb, "web-lb");
            assert_recovers("GET self time", compute, 4.0, 0.5, n_get);
            assert_recovers("SELECT", read, 3.0, 0.8, n_get);
        }
        other => panic!("GET /projects: {other:?}"),
    }
    match steps("POST /projects").as_slice() {
        [Step::Lb(_), Step::Compute(compute), Step::DbWrite(write), Step::Invalidate(tiers), Step::Call(callee)] =>
        {
            assert_recovers("POST self time", compute, 6.0, 0.4, n_post);
            assert_recovers("INSERT (from db.statement)", write, 8.0, 0.3, n_post);
            assert_eq!(format!("{tiers:?}"), r#"[Named("redis")]"#);
            assert_eq!(callee, "POST /charge");
        }
        other => panic!("POST /projects: {other:?}"),
    }
    match steps("POST /charge").as_slice() {
        [Step::Lb(lb), Step::Compute(compute)] => {
            assert_eq!(lb, "billing-lb");
            assert_recovers("billing self time", compute, 10.0, 0.5, n_post);
        }
        other => panic!("POST /charge: {other:?}"),
    }
    let redis = s.components.iter().find(|c| c.name() == "redis").unwrap();
    let scaletwin::scenario::schema::Component::Cache(scaletwin::scenario::schema::Cache {
        latency,
        ..
    }) = redis
    else {
        panic!("{redis:?}")
    };
    assert_recovers("redis DEL", latency, 0.4, 0.2, n_post);
    // The skeleton runs.
    let report = crate::run_text(
        &imported
            .ron
            .replace("duration: \"10m\", warmup: \"1m\"", "duration: \"2m\""),
    );
    assert!(report.summary.completed > 0);
}

#[test]
fn a_whole_document_reads_like_one_request_per_line() {
    let text = std::fs::read_to_string(format!("{DIR}/traces.jsonl")).unwrap();
    let first = text.lines().next().unwrap();
    let value: serde_json::Value = serde_json::from_str(first).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let a = otlp::import("a.json", &pretty).unwrap();
    let b = otlp::import("a.json", &format!("{first}\n")).unwrap();
    assert_eq!(a.ron, b.ron);
}

#[test]
fn malformed_otlp_exits_2_with_file_line_and_field() {
    for (file, wanted) in [
        (
            "bad-id.jsonl",
            &["bad-id.jsonl:2:", "spans[0].traceId", "invalid character"][..],
        ),
        (
            "bad-json.jsonl",
            &["bad-json.jsonl:2:150:", "EOF while parsing"],
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_scaletwin"))
            .args(["import", "otlp", &format!("{DIR}/{file}")])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        for w in wanted {
            assert!(stderr.contains(w), "{file}: {w:?} not in {stderr}");
        }
    }
    let e = otlp::import("x.json", "{\"resourceSpans\": 3}").unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (Some(1), "resourceSpans"));
}
