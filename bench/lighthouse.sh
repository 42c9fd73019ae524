#!/usr/bin/env bash
# Lighthouse (mobile preset, median of three) and the throttled phone's time
# to interactive for every page, against the release build with the demo
# data: the README's "Page speed" table. About 15 minutes on 2 cores after
# the build. Extra arguments go to bench/lighthouse.mjs (--runs N,
# --pages overview,accounts, --output FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
scripts/build.sh
(cd bench && npm ci --no-audit --no-fund)
target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
REACH_BIN="$target_dir/release/reach" node bench/lighthouse.mjs "$@"
