//! The twin of the real testbed service (issue 17), from its committed
//! recording alone: `testbed/testbed.ron` must be exactly what `calibrate`
//! makes of the two lowest load steps, and its `backtest` over the whole
//! ladder must meet the targets. No service runs here.

use scaletwin::calibrate::observed::{read, Window};
use scaletwin::calibrate::workload::{calibrate_workload, Sources, WorkloadFits};
use scaletwin::calibrate::{calibrate_with, Options, Shape};
use scaletwin::telemetry::Mapping;
use std::process::Command;

const RECORDING: &str = "testbed/observed/2026-12-06-quiet-2core";

/// testbed/twin/make.sh's five calibrate passes, through the library: the
/// three step kinds, then the rate and mix, then the keys' popularity.
fn calibrated_twin() -> String {
    let mut text = std::fs::read_to_string("testbed/twin/template.ron").unwrap();
    for (kind, metric) in [
        ("Compute", "testbed_compute_seconds"),
        ("DbRead", "testbed_db_query_seconds"),
        ("DbWrite", "testbed_db_query_seconds"),
    ] {
        let scenario = scaletwin::scenario::parse(&text, "twin.ron").unwrap();
        let path = format!("{RECORDING}/prometheus/{metric}_bucket.json.gz");
        let mapping = Mapping::parse(&format!("latency={metric}")).unwrap();
        let observed = read(
            std::path::Path::new(&path),
            Window::parse("0s..120s").unwrap(),
            &mapping,
        )
        .unwrap();
        let options = Options {
            shape: Shape::Empirical,
            step: Some(kind.into()),
        };
        let provenance = format!("{path}, window 0s..120s, {kind} steps from their own times");
        text = calibrate_with(&scenario, &text, &observed, &provenance, &options)
            .unwrap()
            .text;
    }
    let window = Window::parse("0s..120s").unwrap();
    let workload = |text: &str, fit: &str, paths: &[String], map: &str, cache| {
        let scenario = scaletwin::scenario::parse(text, "twin.ron").unwrap();
        let paths: Vec<std::path::PathBuf> = paths.iter().map(Into::into).collect();
        let mapping = Mapping::parse(map).unwrap();
        let sources = Sources {
            paths: &paths,
            window,
            mapping: &mapping,
            cache,
        };
        let names: Vec<&str> = paths.iter().map(|p| p.to_str().unwrap()).collect();
        let provenance = format!("{}, window 0s..120s", names.join(" "));
        let fits = WorkloadFits::parse(fit).unwrap();
        calibrate_workload(&scenario, text, fits, &sources, &provenance)
            .unwrap()
            .text
    };
    let log = format!("{RECORDING}/requests.csv.gz");
    let text = workload(&text, "workload.rate,workload.mix", &[log], "", None);
    let counters = ["hits", "misses"]
        .map(|c| format!("{RECORDING}/prometheus/testbed_cache_l1_{c}_total.json.gz"));
    workload(
        &text,
        "workload.keys",
        &counters,
        "hits=testbed_cache_l1_hits_total,misses=testbed_cache_l1_misses_total",
        Some("service/l1"),
    )
}

#[test]
fn the_committed_twin_is_what_calibrate_makes_of_the_two_lowest_steps() {
    let made = calibrated_twin();
    let committed = std::fs::read_to_string("testbed/testbed.ron").unwrap();
    assert!(
        made == committed,
        "testbed/testbed.ron differs from calibrate's output: run testbed/twin/make.sh"
    );
    assert!(!committed.contains("(Fit)"), "every Fit is filled");
}

/// Per step (interval of 60 s): (observed, predicted) of a figure.
fn per_step(json: &serde_json::Value, figure: &str) -> Vec<(f64, f64)> {
    json["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["quantity"] == figure)
        .unwrap_or_else(|| panic!("no {figure}"))["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["observed"].as_f64().unwrap(),
                p["predicted"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The first step whose p50 is at least 5 times the lowest step's: where
/// latency turns up (the observed p50 goes 4.5, 4.7, 5.9, 9.4, 12.7, 19,
/// 36, 99, 390, 825 ms over the ladder).
fn knee(p50: &[f64]) -> Option<usize> {
    p50.iter().position(|&x| x >= 5.0 * p50[0])
}

#[test]
fn the_twin_predicts_the_ladder_from_its_two_lowest_steps() {
    let out_json =
        std::env::temp_dir().join(format!("scaletwin-testbed-{}.json", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args([
            "backtest",
            "testbed/testbed.ron",
            "--observed",
            &format!("{RECORDING}/requests.csv.gz"),
            "--interval",
            "60s",
            "--quiet",
            "--json",
            out_json.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_json).unwrap()).unwrap();
    let _ = std::fs::remove_file(&out_json);
    let throughput = per_step(&json, "throughput");
    let p50 = per_step(&json, "p50");
    let p99 = per_step(&json, "p99");
    assert_eq!(throughput.len(), 10, "ten load steps");
    // Saturation throughput: the highest step's, within 10%.
    let max = |xs: &[(f64, f64)], f: fn(&(f64, f64)) -> f64| xs.iter().map(f).fold(0.0, f64::max);
    let (sat_obs, sat_pred) = (max(&throughput, |p| p.0), max(&throughput, |p| p.1));
    let sat_err = (sat_pred / sat_obs - 1.0).abs();
    assert!(
        sat_err <= 0.10,
        "saturation {sat_pred:.1} vs {sat_obs:.1} req/s"
    );
    // p50 within 15% and p99 within 25% at every step below 80% of the
    // measured capacity (the ladder's 10 % to 70 % steps): met, p50 at most
    // 11% off, p99 at most 23% (115 ms against 149 ms at 70 %).
    let below: Vec<usize> = (0..throughput.len())
        .filter(|&k| throughput[k].0 < 0.8 * sat_obs)
        .collect();
    assert_eq!(below, vec![0, 1, 2, 3, 4, 5]);
    for k in below {
        let (a, b) = (p50[k], p99[k]);
        let e50 = (a.1 / a.0 - 1.0).abs();
        let e99 = (b.1 / b.0 - 1.0).abs();
        assert!(e50 <= 0.15, "step {k}: p50 {:.2} vs {:.2} ms", a.1, a.0);
        assert!(e99 <= 0.25, "step {k}: p99 {:.2} vs {:.2} ms", b.1, b.0);
    }
    // The knee at the same step.
    let observed: Vec<f64> = p50.iter().map(|p| p.0).collect();
    let predicted: Vec<f64> = p50.iter().map(|p| p.1).collect();
    assert_eq!(
        knee(&observed),
        Some(6),
        "the recording's knee is the 80 % step"
    );
    assert_eq!(knee(&predicted), knee(&observed), "{predicted:?}");
}

/// The scrape's CPU time in the template is what the recording's two lowest
/// steps say: the median of Prometheus' `scrape_duration_seconds` over the
/// first 120 s (the thread idle 80 % of the time or more), to 0.1 ms.
#[test]
fn the_scrape_costs_what_the_two_lowest_steps_measured() {
    let path = format!("{RECORDING}/prometheus/scrape_duration_seconds.json.gz");
    let mut gz = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()),
        &mut gz,
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&gz).unwrap();
    let values = json["data"]["result"][0]["values"].as_array().unwrap();
    let t0 = values[0][0].as_f64().unwrap();
    let mut ms: Vec<f64> = values
        .iter()
        .filter(|v| v[0].as_f64().unwrap() - t0 < 120.0)
        .map(|v| v[1].as_str().unwrap().parse::<f64>().unwrap() * 1e3)
        .collect();
    assert_eq!(ms.len(), 120, "one scrape a second");
    ms.sort_by(f64::total_cmp);
    let median = (ms[59] + ms[60]) / 2.0;
    let template = std::fs::read_to_string("testbed/twin/template.ron").unwrap();
    let written = format!(r#""scrape": [Lb("core"), Compute(Const("{median:.1}ms"))]"#);
    assert!(
        template.contains(&written),
        "the template should say {written}"
    );
    assert!(template.contains(r#"periodic: [(endpoint: "scrape", every: "1s")]"#));
}
