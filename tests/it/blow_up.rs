//! Inputs whose size once blew up the checker: a long chain of `Call`s (a
//! stack overflow at 18,000), a doubling fan-out of calls (2^40 inlined
//! steps), and thousands of problems to place in a large file (quadratic).
//! Each must end, exit 2 and say what is wrong; no timing is asserted.

use std::process::Command;

/// Writes `endpoints` into a scenario file in a temp dir and validates it.
fn validate(name: &str, endpoints: &str) -> (i32, String) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("blow_up_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Tests run in parallel: one file per test, named after what it holds.
    let path = dir.join(format!("{name}.ron"));
    let text = format!(
        r#"Scenario(
    name: "x", run: (duration: "1m"),
    workload: (users: 10, rps_per_user: 1.0, mix: {{ "e0": 1.0 }}),
    components: [
        LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
        Deployment(name: "api", replicas: 2, concurrency: 4),
    ],
    endpoints: {{
{endpoints}
    }},
)
"#
    );
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(["validate", path.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

/// `e0` calls `e1` ... calls `e{n-1}`, which does the work.
fn chain(n: usize) -> String {
    let mut out: String = (0..n - 1)
        .map(|k| format!("        \"e{k}\": [Call(\"e{}\")],\n", k + 1))
        .collect();
    out.push_str(&format!(
        "        \"e{}\": [Lb(\"lb\"), Compute(Exp(\"1ms\"))],\n",
        n - 1
    ));
    out
}

#[test]
fn a_chain_of_18000_calls_is_refused_naming_its_ends() {
    let (code, stderr) = validate("chain", &chain(18_000));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("1 problem found"), "{stderr}");
    assert!(
        stderr.contains(
            "chain.ron:9:9: endpoints.e0: e0 -> e1 -> e2 -> ... -> e17999: call depth 17999 is over 64"
        ),
        "{stderr}"
    );
}

#[test]
fn a_chain_of_8000_calls_is_refused_and_one_of_64_runs() {
    let (code, stderr) = validate("chain8000", &chain(8_000));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("e7999: call depth 7999 is over 64"),
        "{stderr}"
    );
    let (code, stderr) = validate("chain65", &chain(65));
    assert_eq!(code, 0, "64 calls deep is within the limit:\n{stderr}");
}

#[test]
fn a_doubling_fan_out_is_refused_with_its_size() {
    let mut eps: String = (0..40)
        .map(|k| {
            format!(
                "        \"e{k}\": [Call(\"e{0}\"), Call(\"e{0}\")],\n",
                k + 1
            )
        })
        .collect();
    eps.push_str("        \"e40\": [Lb(\"lb\"), Compute(Exp(\"1ms\"))],\n");
    let (code, stderr) = validate("fan", &eps);
    assert_eq!(code, 2, "{stderr}");
    // e40 is 3 steps (Lb, Compute); 2^40 copies of its 2 steps.
    assert!(
        stderr.contains(&format!(
            "fan.ron:9:9: endpoints.e0: e0 -> e1 -> e2 -> ... -> e40: expands to {} steps",
            2u64 << 40
        )),
        "{stderr}"
    );
}

#[test]
fn twenty_thousand_problems_in_a_large_file_are_each_placed() {
    let n = 20_000;
    let eps: String = (0..n)
        .map(|k| {
            format!("        \"e{k}\": [Lb(\"no_such_balancer\"), Compute(Exp(\"1ms\")), Delay(Const(\"1ms\"))],\n")
        })
        .collect();
    assert!(eps.len() > 1_300_000);
    let (code, stderr) = validate("many", &eps);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("20000 problems found"),
        "{}",
        &stderr[..200]
    );
    // Endpoints are reported in name order; e9999 is on line 9 + 9999.
    assert!(
        stderr.contains(
            "many.ron:10008:22: endpoints.e9999[0]: no LoadBalancer is named \"no_such_balancer\""
        ),
        "{}",
        &stderr[..400]
    );
}
