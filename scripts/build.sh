#!/usr/bin/env bash
# The release build of Reach: the server, the WASM bundle split into one
# chunk per page (cargo-leptos --split, then wasm-opt), and a brotli and a
# gzip copy of every asset, made once here rather than per request.
# Extra arguments go to `cargo leptos build`.
set -euo pipefail
cd "$(dirname "$0")/.."
# wasm-opt and esbuild come from npm (package-lock.json).
export PATH="$PWD/node_modules/.bin:$PATH"
cargo leptos build --release --split "$@"
node scripts/precompress.mjs target/site
