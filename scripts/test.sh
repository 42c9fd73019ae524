#!/usr/bin/env bash
# Runs every check and test of Reach, as CI does:
#   formatting, clippy (server and WASM builds), unit tests, integration tests
#   on SQLite and on PostgreSQL, Playwright tests in Chromium and Schemathesis
#   against the release build, and the benchmark scripts once through.
# Needs PostgreSQL at REACH_TEST_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/postgres), where it creates and drops
# one database per test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
export PATH="$PWD/node_modules/.bin:$PATH"
target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')

step() { printf '\n== %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy: server (ssr)"
cargo clippy -p types -p db -p app -p reach -p migrations --features app/ssr --all-targets --locked -- -D warnings
step "clippy: browser (hydrate, wasm32)"
cargo clippy -p frontend --target wasm32-unknown-unknown --locked -- -D warnings

step "layering: dependencies one way, no module circles, long files say why"
python3 scripts/layers.py

step "unit and integration tests (SQLite and PostgreSQL)"
cargo test -p app --features ssr --locked
cargo test -p types -p db -p reach -p migrations --locked -- --skip cluster::

step "cluster: three reach serve processes on PostgreSQL and Redis (prints the figures README quotes)"
cargo test -p reach --test integration --locked cluster:: -- --nocapture

step "release build (cargo-leptos, split WASM, wasm-opt, precompressed assets)"
scripts/build.sh

step "Playwright (Chromium)"
(cd end2end && REACH_BIN="$target_dir/release/reach" npx playwright test)

step "Schemathesis: an outside fuzzer against the release build and its OpenAPI description"
REACH_BIN="$target_dir/release/reach" scripts/schemathesis.sh

step "benchmark script, once through on a small data set (figures not checked)"
bench_data=$(mktemp -d)
REACH_BIN="$target_dir/release/reach" REACH_BENCH_DATA="$bench_data" \
  node bench/bench.mjs --sizes 1000 --main 1000 --duration 1 --output "$bench_data/RESULTS.md"

step "load under writes, shortened: 50 clients for 5 s idle and 5 s while collections write; no request may fail"
REACH_BIN="$target_dir/release/reach" REACH_BENCH_DATA="$bench_data" \
  node bench/bench.mjs --load --main 1000 --clients 50 --load-duration 5 --output "$bench_data/RESULTS.md"
# The same with the runs writing a copy the server never reads (the
# machine's share alone); its block must say so.
REACH_BIN="$target_dir/release/reach" REACH_BENCH_DATA="$bench_data" \
  node bench/bench.mjs --load --writes-elsewhere --main 1000 --clients 50 --load-duration 5 \
  --output "$bench_data/ELSEWHERE.md"
grep -q -- '--writes-elsewhere`' "$bench_data/ELSEWHERE.md"
rm -rf "$bench_data"

printf '\nAll checks passed.\n'
