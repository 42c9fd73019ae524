#!/usr/bin/env bash
# Installs what is missing, builds Reach in release mode and serves it at
# http://127.0.0.1:3000 on the embedded SQLite database (data/reach.db),
# creating the demo data set on first start. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Release builds run wasm-opt; this one comes from npm (binaryen).
export PATH="$PWD/node_modules/.bin:$PATH"
export REACH_DEMO=true
exec cargo leptos serve --release
