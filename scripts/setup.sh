#!/usr/bin/env bash
# Installs what building Reach needs and is missing; safe to run again.
#   scripts/setup.sh          the toolchain, the build tools and the browser assets
#   scripts/setup.sh --tests  also Chromium and Playwright, for the test suite
#   scripts/setup.sh --only toolchain|tools|assets|tests
#                             one part (scripts/demo.sh builds the server
#                             between the toolchain and the tools)
# The Rust toolchain itself comes from rust-toolchain.toml through rustup.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.11
OHA_VERSION=1.16.0
# Must equal the wasm-bindgen crate pinned in Cargo.toml: the CLI refuses a mismatch.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' Cargo.toml)

. scripts/lib/steps.sh
case "${1:-}" in
  "") parts="toolchain tools assets" ;;
  --tests) parts="toolchain tools assets tests" ;;
  --only) parts=${2:?"--only needs a part: toolchain, tools, assets or tests"} ;;
  *) echo "usage: scripts/setup.sh [--tests | --only toolchain|tools|assets|tests]" >&2; exit 2 ;;
esac
STEPS_TOTAL=$(wc -w <<<"$parts")
wants() { [[ " $parts " == *" $1 "* ]]; }

if ! command -v cargo >/dev/null; then
  echo "cargo not found: install rustup first (https://rustup.rs), then run this again." >&2
  exit 1
fi
if wants toolchain; then
  step "Rust toolchain (rust-toolchain.toml)" "about 1 min the first time"
  rustup show active-toolchain >/dev/null 2>&1 || rustup toolchain install
  rustup target add wasm32-unknown-unknown >/dev/null
  rustc --version
fi

if wants tools; then
  step "cargo-leptos $CARGO_LEPTOS_VERSION and wasm-bindgen CLI $WASM_BINDGEN_VERSION, built side by side" \
    "about 9 min the first time, then nothing"
  leptos_pid= bindgen_pid=
  if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
    # --debug: an optimised cargo-leptos took 14 min to build here (its own
    # profile, fat LTO) against 5 min unoptimised, and builds no faster for it:
    # it drives cargo, wasm-bindgen and wasm-opt, whose time it is (measured in
    # README, "First run"). no_downloads: a missing tool is an error, never a
    # download from outside the registries.
    echo "building cargo-leptos ..."
    start_job cargo-leptos cargo install --debug cargo-leptos --version "$CARGO_LEPTOS_VERSION" \
      --locked --features no_downloads
    leptos_pid=$JOB_PID leptos_log=$JOB_LOG
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    # Optimised: it rewrites the multi-megabyte WASM on every build.
    # Not --locked: its lock file pins a webpki-roots the registry no longer has.
    echo "building the wasm-bindgen CLI ..."
    start_job wasm-bindgen cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
    bindgen_pid=$JOB_PID bindgen_log=$JOB_LOG
  fi
  [ -z "$leptos_pid" ] || await_job "$leptos_pid" "$leptos_log" "cargo install cargo-leptos"
  cargo leptos --version
  [ -z "$bindgen_pid" ] || await_job "$bindgen_pid" "$bindgen_log" "cargo install wasm-bindgen-cli"
  wasm-bindgen --version
fi

if wants assets; then
  step "Browser assets and wasm-opt (npm, package-lock.json)" "under a minute"
  npm ci --no-audit --no-fund
  # ECharts with only the charts and components Reach draws (scripts/echarts.mjs),
  # named by its content's hash so that it is served as immutable.
  mkdir -p public/vendor
  echarts_build=$(mktemp)
  node_modules/.bin/esbuild scripts/echarts.mjs --bundle --minify --format=iife \
    --global-name=echarts --target=es2020 --legal-comments=none --log-level=warning \
    --banner:js="/*! Apache ECharts $(node -p 'require("echarts/package.json").version') (Apache-2.0, https://echarts.apache.org), the parts in scripts/echarts.mjs */" \
    --outfile="$echarts_build"
  echarts_name="echarts.$(sha256sum "$echarts_build" | cut -c1-16).js"
  find public/vendor -name 'echarts*.js' ! -name "$echarts_name" -delete
  mv "$echarts_build" "public/vendor/$echarts_name"
  chmod 644 "public/vendor/$echarts_name"
  echo "public/vendor/$echarts_name"
  node_modules/.bin/wasm-opt --version
fi

if wants tests; then
  step "Chromium, Redis, Prometheus, aiosmtpd (Debian), oha and Playwright, for the tests" "about 4 min the first time"
  # The benchmark's load generator at a fixed arrival rate (wrk saturates),
  # built while Debian's packages download.
  oha_pid=
  if [ "$(oha --version 2>/dev/null)" != "oha $OHA_VERSION" ]; then
    echo "building oha ..."
    start_job oha cargo install oha --version "$OHA_VERSION" --locked
    oha_pid=$JOB_PID oha_log=$JOB_LOG
  fi
  # Debian's packages, in one apt-get: Chromium for Playwright; Redis (the
  # cache tests start and kill private servers); Prometheus (the account
  # metrics test scrapes Reach with it); aiosmtpd (the digest tests send
  # e-mail to a real SMTP server, with Debian's /usr/bin/python3: a pyenv
  # or venv python3 may come first); wrk (the benchmark's saturating load)
  # and SQLite's shell (its data sets).
  # Chromium with its recommended packages (fonts the pages are measured
  # with), the servers without theirs.
  missing=() missing_bare=()
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
  command -v "${REDIS_SERVER:-redis-server}" >/dev/null || missing+=(redis-server)
  command -v "${PROMETHEUS:-prometheus}" >/dev/null || missing_bare+=(prometheus)
  /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing_bare+=(python3-aiosmtpd)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v sqlite3 >/dev/null || missing+=(sqlite3)
  if [ "$(( ${#missing[@]} + ${#missing_bare[@]} ))" -gt 0 ]; then
    echo "installing from Debian: ${missing[*]} ${missing_bare[*]}"
    sudo_if_needed=""
    [ "$(id -u)" -ne 0 ] && sudo_if_needed="sudo"
    $sudo_if_needed apt-get update -qq
    export DEBIAN_FRONTEND=noninteractive
    [ "${#missing[@]}" -eq 0 ] || $sudo_if_needed apt-get install -y -qq "${missing[@]}"
    [ "${#missing_bare[@]}" -eq 0 ] ||
      $sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing_bare[@]}"
  fi
  "${CHROMIUM_PATH:-/usr/bin/chromium}" --version
  "${REDIS_SERVER:-redis-server}" --version
  "${PROMETHEUS:-prometheus}" --version 2>&1 | head -1
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  [ -z "$oha_pid" ] || await_job "$oha_pid" "$oha_log" "cargo install oha"
  oha --version
fi
step_done
