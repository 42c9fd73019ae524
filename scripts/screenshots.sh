#!/usr/bin/env bash
# Takes the screenshots in docs/screenshots/ again: every page at 1280×800
# and 390×844, light and dark, from the release build with the demo data
# (the Playwright suite's server). Run after
#   PATH="$PWD/node_modules/.bin:$PATH" cargo leptos build --release
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
mkdir -p docs/screenshots
out="$PWD/docs/screenshots"
(cd end2end && REACH_BIN="$target_dir/release/reach" REACH_SCREENSHOTS_DIR="$out" \
  npx playwright test screenshots.spec.ts)
ls -1 "$out" | wc -l | xargs printf '%s screenshots in docs/screenshots/\n'
