#!/usr/bin/env bash
# Installs what is missing, builds Reach in release mode and serves it at
# http://127.0.0.1:3000 on the embedded SQLite database (data/reach.db),
# creating the demo data set on first start. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
export REACH_DEMO=true
exec "$target_dir/release/reach" serve
