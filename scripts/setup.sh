#!/usr/bin/env bash
# Installs what building Reach needs and is missing; safe to run again.
#   scripts/setup.sh          the build tools and the browser assets
#   scripts/setup.sh --tests  also Chromium and Playwright, for the test suite
# The Rust toolchain itself comes from rust-toolchain.toml through rustup.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.11
OHA_VERSION=1.16.0
# Must equal the wasm-bindgen crate pinned in Cargo.toml: the CLI refuses a mismatch.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' Cargo.toml)

step() { printf '\n== %s\n' "$*"; }

if ! command -v cargo >/dev/null; then
  echo "cargo not found: install rustup first (https://rustup.rs), then run this again." >&2
  exit 1
fi
step "Rust toolchain (rust-toolchain.toml)"
rustup show active-toolchain >/dev/null 2>&1 || rustup toolchain install
rustup target add wasm32-unknown-unknown >/dev/null
rustc --version

step "cargo-leptos $CARGO_LEPTOS_VERSION"
if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
  # no_downloads: a missing tool is an error, never a download from outside the registries.
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi
cargo leptos --version

step "wasm-bindgen CLI $WASM_BINDGEN_VERSION"
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  # Not --locked: its lock file pins a webpki-roots the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
wasm-bindgen --version

step "Browser assets and wasm-opt (npm, package-lock.json)"
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

if [ "${1:-}" = "--tests" ]; then
  step "Chromium (Debian), Redis and Playwright"
  if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    sudo_if_needed=""
    [ "$(id -u)" -ne 0 ] && sudo_if_needed="sudo"
    $sudo_if_needed apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq chromium
  fi
  "${CHROMIUM_PATH:-/usr/bin/chromium}" --version
  # The cache tests start (and kill) private Redis servers.
  if ! command -v "${REDIS_SERVER:-redis-server}" >/dev/null; then
    sudo_if_needed=""
    [ "$(id -u)" -ne 0 ] && sudo_if_needed="sudo"
    $sudo_if_needed apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq redis-server
  fi
  "${REDIS_SERVER:-redis-server}" --version
  # The account metrics test scrapes Reach with a real Prometheus.
  if ! command -v "${PROMETHEUS:-prometheus}" >/dev/null; then
    sudo_if_needed=""
    [ "$(id -u)" -ne 0 ] && sudo_if_needed="sudo"
    $sudo_if_needed apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq --no-install-recommends prometheus
  fi
  "${PROMETHEUS:-prometheus}" --version 2>&1 | head -1
  # The digest tests send e-mail to a real SMTP server: aiosmtpd's
  # Maildir handler, started by the test on a free port, with Debian's
  # Python (/usr/bin/python3: a pyenv or venv python3 may come first).
  if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
    sudo_if_needed=""
    [ "$(id -u)" -ne 0 ] && sudo_if_needed="sudo"
    $sudo_if_needed apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq --no-install-recommends python3-aiosmtpd
  fi
  # The benchmark's load generator at a fixed arrival rate (wrk saturates).
  if [ "$(oha --version 2>/dev/null)" != "oha $OHA_VERSION" ]; then
    cargo install oha --version "$OHA_VERSION" --locked
  fi
  # The benchmark's load generator, and SQLite's shell for its data sets.
  for tool in wrk sqlite3; do
    if ! command -v "$tool" >/dev/null; then
      sudo_if_needed=""
      [ "$(id -u)" -ne 0 ] && sudo_if_needed="sudo"
      $sudo_if_needed apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq "$tool"
    fi
  done
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
