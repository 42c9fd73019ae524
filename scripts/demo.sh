#!/usr/bin/env bash
# Installs what is missing, builds Reach in release mode and serves it at
# http://127.0.0.1:3000 on the embedded SQLite database (data/reach.db),
# creating the demo data set on first start. Ctrl-C stops it.
#
# Each step says what it does and how long it took; the durations in
# brackets are those measured on a cold two-core machine (README, "First
# run"). Later runs find everything built and start in about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/steps.sh
export REACH_STEPS_TOTAL=6 REACH_STEPS_STARTED=$STEPS_STARTED

REACH_STEPS_DONE=0 scripts/setup.sh --only toolchain

# The server's release build needs only the toolchain: it starts now and
# shares the two cores with the build tools' own compilation, whose last
# crates and links leave one core idle for minutes. cargo-leptos later finds
# it up to date: same package, profile, features and flags as its own, and
# the one variable of its environment that crates read while compiling
# (leptos and leptos_config embed LEPTOS_OUTPUT_NAME with option_env!;
# without it, cargo-leptos rebuilt the server: 6 minutes more, measured).
target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
output_name=$(sed -n 's/^output-name = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
printf '\nbuilding the server (release) in the background meanwhile ...\n'
start_job server env LEPTOS_OUTPUT_NAME="$output_name" \
  cargo build --release --locked --package reach --bin reach
server_pid=$JOB_PID server_log=$JOB_LOG

REACH_STEPS_DONE=1 scripts/setup.sh --only tools
REACH_STEPS_DONE=2 scripts/setup.sh --only assets
STEPS_DONE=3

step "The server, release build (started in step 1)" "about 6 min more the first time"
await_job "$server_pid" "$server_log" "the server's release build"

step "The browser bundle: WASM split per page, wasm-bindgen, wasm-opt, compressed copies" "about 3 min the first time"
scripts/build.sh

step "Starting Reach with demo data" "the first start writes 60 demo accounts with a year of history, a few seconds"
step_done
# Leptos.toml's address unless LEPTOS_SITE_ADDR says otherwise; the
# server's own "Reach is listening on …" line follows.
address=${LEPTOS_SITE_ADDR:-$(sed -n 's/^site-addr = "\(.*\)"$/\1/p' Leptos.toml | head -n 1)}
cat <<MSG

Reach is starting at http://$address (data in data/reach.db).
Reading is open to everyone; to add accounts or start runs, make an admin
in another terminal (there is no default password):

    $target_dir/release/reach admin add yourname

then sign in at http://$address/login. Ctrl-C stops Reach.

MSG
export REACH_DEMO=true
exec "$target_dir/release/reach" serve
