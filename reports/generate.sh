#!/usr/bin/env bash
# Regenerates reports/ from scenarios/: one directory per scenario with the
# `stages` report (report.json, stages.csv, report.md, SVG charts, report.html)
# and the journey view comparing the four seed stages.
#
#   bash reports/generate.sh        (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/scaletwin
for f in scenarios/*.ron; do
    name=$(basename "$f" .ron)
    "$bin" stages "$f" --quiet --out "reports/$name"
done
"$bin" compare scenarios/stage1-single-server.ron scenarios/stage2-managed-db-cache.ron \
    scenarios/stage3-horizontal.ron scenarios/stage4-services.ron --stages --quiet --out reports/journey
