#!/usr/bin/env bash
# Regenerates reports/ from scenarios/: for the bundled default and the five
# seed stages, one directory with the `stages` report (report.json,
# stages.csv, report.md, SVG charts, report.html), and the journey view
# comparing the five seed stages, and two single-run reports (`scaletwin run
# --out`): the stage-3 architecture, and spot-capacity with its faults marked
# on the time series. (Every other scenario is covered by the snapshot tests;
# run `scaletwin stages FILE --out DIR` for its report.) Screenshots of the
# HTML pages: bash reports/screenshot.sh (needs Chromium; not run by CI).
#
#   bash reports/generate.sh        (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/scaletwin
for f in scenarios/default.ron scenarios/stage*.ron; do
    name=$(basename "$f" .ron)
    "$bin" stages "$f" --quiet --out "reports/$name"
done
"$bin" compare scenarios/stage1-single-server.ron scenarios/stage2-managed-db-cache.ron \
    scenarios/stage3-horizontal.ron scenarios/stage4-services.ron scenarios/stage5-global.ron \
    --stages --quiet --out reports/journey
for name in stage3-horizontal spot-capacity; do
    "$bin" run "scenarios/$name.ron" --quiet --out "reports/run-$name"
done
# One page linking every report above with its verdict.
"$bin" index reports --title "scaletwin: bundled reports"
