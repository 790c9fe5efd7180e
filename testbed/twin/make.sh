#!/usr/bin/env bash
# The twin of the testbed, from a recording's two lowest load steps only,
# then its backtest over the whole ladder. Run from anywhere:
#
#   testbed/twin/make.sh [LABEL]        (default: 2026-12-06-quiet-2core)
#
# 1. calibrate fills testbed/twin/template.ron's Fit marks in three passes,
#    each step kind from the service's own histogram of that step over the
#    first 120 s (steps 1 and 2 of the ladder: 10 % and 20 % of capacity),
#    kept as the observed distribution (--shape empirical):
#      Compute  <- testbed_compute_seconds (the CPU work, on the thread)
#      DbRead   <- testbed_db_query_seconds (list_projects, get_project misses)
#      DbWrite  <- testbed_db_query_seconds (update_project)
#    then fits the workload over the same window (--fit):
#      rate, mix <- the request log (arrivals per endpoint per 60 s)
#      keys      <- the L1's hit and miss counters (the Zipf exponent with
#                   which the scenario's L1, 10,000 entries for 10 s,
#                   invalidated by update_project, has the observed hit ratio)
#    and writes testbed/testbed.ron. The one time that is not a Fit, the
#    scrape's CPU on the thread, is the median of Prometheus'
#    scrape_duration_seconds over the same 120 s, to 0.1 ms (jq);
# 2. backtest drives it with the whole ladder's arrivals (the request log)
#    and writes testbed/backtest/ (report, per-step CSV, overlay charts).
#
# tests/it/testbed_twin.rs redoes step 1 and checks testbed/testbed.ron is
# exactly its output, then checks the backtest against the targets.
set -euo pipefail
cd "$(dirname "$0")/../.."
label=${1:-2026-12-06-quiet-2core}
obs=testbed/observed/$label
bin=${SCALETWIN:-target/release/scaletwin}
[ -x "$bin" ] || cargo build --release --locked
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass() { # input output kind metric
    "$bin" calibrate "$1" --observed "$obs/prometheus/$4_bucket.json.gz" \
        --map "latency=$4" --window 0s..120s --step "$3" --shape empirical \
        --out "$2" >/dev/null
}
scrape_ms=$(zcat "$obs/prometheus/scrape_duration_seconds.json.gz" | jq '
    [.data.result[0].values | (.[0][0]) as $t0 | .[] | select(.[0] - $t0 < 120) | .[1] | tonumber]
    | sort | ((.[(length - 1) / 2 | floor] + .[length / 2 | floor]) / 2 * 10000 | round) / 10')
sed "s/\"scrape\": \[Lb(\"core\"), Compute(Const(\"[0-9.]*ms\"))\]/\"scrape\": [Lb(\"core\"), Compute(Const(\"${scrape_ms}ms\"))]/" \
    testbed/twin/template.ron >"$tmp/0.ron"
pass "$tmp/0.ron" "$tmp/1.ron" Compute testbed_compute_seconds
pass "$tmp/1.ron" "$tmp/2.ron" DbRead testbed_db_query_seconds
pass "$tmp/2.ron" "$tmp/3.ron" DbWrite testbed_db_query_seconds
"$bin" calibrate "$tmp/3.ron" --observed "$obs/requests.csv.gz" --window 0s..120s \
    --fit workload.rate,workload.mix --out "$tmp/4.ron" >/dev/null
"$bin" calibrate "$tmp/4.ron" --observed "$obs/prometheus/testbed_cache_l1_hits_total.json.gz" \
    "$obs/prometheus/testbed_cache_l1_misses_total.json.gz" --window 0s..120s \
    --fit workload.keys --cache service/l1 \
    --map hits=testbed_cache_l1_hits_total,misses=testbed_cache_l1_misses_total \
    --out testbed/testbed.ron >/dev/null
status=0
"$bin" backtest testbed/testbed.ron --observed "$obs/requests.csv.gz" \
    --interval 60s --out testbed/backtest || status=$?
echo "testbed/testbed.ron and testbed/backtest/ written (backtest exit code $status)"
