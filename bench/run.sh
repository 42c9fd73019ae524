#!/usr/bin/env bash
# Reproduces bench/RESULTS.md: builds Reach for release, seeds the standard
# data sets (1,000, 10,000 and 100,000 accounts × 365 days; cached under
# ~/.cache/reach/bench, one file per size and day), drives the server with
# wrk, measures the dashboard in headless Chromium and writes the results.
#
#   bench/run.sh                        SQLite, the three sizes, 5 s per run
#   bench/run.sh --postgres             the same on PostgreSQL (REACH_BENCH_POSTGRES)
#   bench/run.sh --sizes 1000 --main 1000 --duration 1 --output /tmp/r.md
#                                       a quick check of the script itself
#
# Needs what scripts/setup.sh --tests installs (wrk and sqlite3 among it).
# Takes about half an hour on 2 cores, seeding 100,000 accounts the first
# time on a given day included.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --tests

scripts/build.sh
export PATH="$PWD/node_modules/.bin:$PATH"
target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')

REACH_BIN="$target_dir/release/reach" \
  node bench/bench.mjs "$@"
