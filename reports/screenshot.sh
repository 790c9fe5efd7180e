#!/usr/bin/env bash
# Screenshots of the HTML reports as a browser renders them, to check by eye
# that the charts read well (labels not clipped, axes and units legible).
# Needs Chromium (not on CI machines; CI never runs this script).
#
#   bash reports/screenshot.sh              every reports/*/report.html
#   bash reports/screenshot.sh journey ...  only these report directories
#
# Writes reports/screenshots/<directory>.png, one full page each. The page
# height is estimated from the report (text lines plus each chart's height).
set -euo pipefail
cd "$(dirname "$0")/.."
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
    echo "screenshot.sh: Chromium not found (set CHROMIUM=/path/to/chromium)" >&2
    exit 2
fi
if [ $# -gt 0 ]; then
    dirs=("$@")
else
    dirs=()
    for f in reports/*/report.html; do dirs+=("$(basename "$(dirname "$f")")"); done
fi
mkdir -p reports/screenshots
for name in "${dirs[@]}"; do
    html="$PWD/reports/$name/report.html"
    [ -f "$html" ] || { echo "no $html" >&2; exit 2; }
    # Text lines before the first chart at ~15 px, each chart's own height
    # plus its caption and margins, and some slack.
    text=$(sed -n '1,/<figure>/p' "$html" | wc -l)
    charts=$(grep -o '<figure><svg width="[0-9]*" height="[0-9]*"' "$html" |
        sed 's/.*height="\([0-9]*\)"/\1/' | awk '{s += $1 + 56} END {print s + 0}')
    height=$((text * 15 + charts + 120))
    profile=$(mktemp -d)
    "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --hide-scrollbars --user-data-dir="$profile" --window-size=1040,"$height" \
        --screenshot="reports/screenshots/$name.png" "file://$html" >/dev/null 2>&1
    rm -rf "$profile"
    echo "reports/screenshots/$name.png ($height px high)"
done
