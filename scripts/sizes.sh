#!/usr/bin/env bash
# What a browser downloads, from the last release build (scripts/build.sh):
# the README's "Download size" tables.
#  1. Each page's bytes on the wire until it is interactive (Playwright in
#     Chromium, the demo data; end2end/tests/weight.spec.ts, which also
#     fails above the budget of 250 KB a page).
#  2. Each built file: raw, and as sent (the brotli copy made at build).
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
pages=$(mktemp)
(cd end2end && REACH_BIN="$target_dir/release/reach" REACH_SIZES_OUT="$pages" \
  npx playwright test weight.spec.ts >/dev/null)
cat "$pages"
rm -f "$pages"
echo
site=target/site
kb() { awk "BEGIN { printf \"%.1f\", $1 / 1000 }"; }
echo '| file | raw | brotli (as sent) |'
echo '|---|---:|---:|'
for file in "$site"/pkg/*.wasm "$site"/pkg/*.js "$site"/pkg/*.css "$site"/vendor/echarts.*.js; do
  [ -f "$file" ] || continue
  sent=$file
  [ -f "$file.br" ] && sent=$file.br
  printf '| `%s` | %s KB | %s KB |\n' "${file#"$site"/}" "$(kb "$(stat -c %s "$file")")" "$(kb "$(stat -c %s "$sent")")"
done
