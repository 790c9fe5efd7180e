#!/usr/bin/env bash
# Screenshots of the HTML reports as a browser renders them, to check by eye
# that the charts read well (labels not clipped, axes and units legible).
# Needs Chromium (not on CI machines; CI never runs this script).
#
#   bash reports/screenshot.sh              every reports/*/report.html
#   bash reports/screenshot.sh journey ...  only these report directories
#
# Writes reports/screenshots/<directory>.png, one full page each, 1500 px
# wide (charts two side by side). The page height is estimated from the
# report: text lines, the topology drawing scaled to the page width, and the
# charts two to a row.
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
    # Text lines before the first figure at ~15 px; the topology at the
    # page's width; each row of two charts as high as its taller one, scaled
    # from 760 px to the column's ~700 px, plus caption and gap.
    width=1500
    text=$(sed -n '1,/<figure/p' "$html" | wc -l)
    topology=$(grep -o '<figure class="topology"><svg width="[0-9]*" height="[0-9]*"' "$html" |
        sed 's/.*width="\([0-9]*\)" height="\([0-9]*\)"/\1 \2/' |
        awk -v w="$width" '{h = $2 * (w - 40) / $1; if (h > 0.8 * 1200) h = 0.8 * 1200; print int(h) + 40}' ||
        true)
    charts=$(grep -o '<figure><svg width="[0-9]*" height="[0-9]*"' "$html" |
        sed 's/.*height="\([0-9]*\)"/\1/' |
        awk '{if (NR % 2) row = $1; else { if ($1 > row) row = $1; s += row * 0.93 + 80; row = 0 }}
             END {if (row) s += row * 0.93 + 80; print int(s)}')
    height=$((text * 15 + ${topology:-0} + charts + 160))
    profile=$(mktemp -d)
    "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --hide-scrollbars --user-data-dir="$profile" --window-size=$width,"$height" \
        --screenshot="reports/screenshots/$name.png" "file://$html" >/dev/null 2>&1
    rm -rf "$profile"
    echo "reports/screenshots/$name.png ($height px high)"
done
