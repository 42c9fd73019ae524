#!/usr/bin/env bash
# Measures a first run as a new user meets it, on this machine: a fresh
# clone of this checkout's HEAD, an empty CARGO_HOME (no crates downloaded,
# no cargo-leptos, no wasm-bindgen CLI), an empty npm cache and no target
# directory. Only rustup's toolchains are kept (installing the pinned one is
# a download: `rustup toolchain install` times it alone).
#   scripts/first-run.sh          scripts/demo.sh until Reach listens (README, "First run")
#   scripts/first-run.sh --tests  scripts/test.sh to its end
# Each step's time is printed by the scripts themselves; the clone and its
# caches are removed afterwards. Nothing else on the machine is touched,
# but the machine should be otherwise idle: timings share its cores.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-demo}
work=$(mktemp -d "${TMPDIR:-/tmp}/reach-first-run.XXXXXX")
trap 'pkill -f "$work/clone/target/release/reach serve" 2>/dev/null || true; rm -rf "$work"' EXIT
git clone -q . "$work/clone"
mkdir -p "$work/cargo/bin" "$work/path"
# rustup's proxies only: the cargo-installed tools of this machine stay out of PATH.
for tool in cargo rustc rustup rustdoc rustfmt cargo-fmt cargo-clippy clippy-driver; do
  ln -s "$(command -v "$tool")" "$work/path/$tool"
done
unset CARGO_TARGET_DIR
export CARGO_HOME="$work/cargo" npm_config_cache="$work/npm"
export PATH="$work/cargo/bin:$work/path:/usr/local/bin:/usr/bin:/bin"
export LEPTOS_SITE_ADDR=127.0.0.1:3999
cd "$work/clone"
started=$(date +%s)
if [ "$mode" = "--tests" ]; then
  scripts/test.sh
  echo "scripts/test.sh, cold: $(( $(date +%s) - started )) s"
  exit
fi
scripts/demo.sh 2>&1 | while IFS= read -r line; do
  printf '%s %s\n' "$(date +%T)" "$line"
  if [[ "$line" == *"Reach is listening"* ]]; then
    echo "scripts/demo.sh, cold: listening after $(( $(date +%s) - started )) s"
    pkill -f "$work/clone/target/release/reach serve"
  fi
done
