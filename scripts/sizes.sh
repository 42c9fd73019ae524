#!/usr/bin/env bash
# What a browser downloads, from the last release build
# (`cargo leptos build --release`): the README's "Download size" table.
set -euo pipefail
cd "$(dirname "$0")/.."
site=target/site
row() {
  local file=$1 label=$2
  printf '| %s | %s KB | %s KB |\n' "$label" \
    "$(awk "BEGIN { printf \"%.1f\", $(stat -c %s "$file") / 1000 }")" \
    "$(awk "BEGIN { printf \"%.1f\", $(gzip -9 -c "$file" | wc -c) / 1000 }")"
}
echo '| file | raw | gzip -9 |'
echo '|---|---:|---:|'
row "$(ls "$site"/pkg/*.wasm)" '`reach.*.wasm` (the dashboard)'
row "$(ls "$site"/pkg/*.js)" '`reach.*.js` (wasm-bindgen glue)'
row "$(ls "$site"/pkg/*.css)" '`reach.*.css`'
row "$site/vendor/echarts.min.js" '`vendor/echarts.min.js` (only when a chart scrolls into view)'
