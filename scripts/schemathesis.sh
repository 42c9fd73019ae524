#!/usr/bin/env bash
# Schemathesis, an outside fuzzer, against a release build of Reach on a
# fresh database with the demo data: every check, in the examples, coverage
# and fuzzing phases, once anonymously and once with an admin's API token.
# Any failure fails the script. Run by scripts/test.sh; by hand:
#   REACH_BIN=target/release/reach scripts/schemathesis.sh
# Settings (environment):
#   REACH_BIN                  the reach binary (default: the release build)
#   SCHEMATHESIS_MAX_EXAMPLES  test cases per operation and phase (default 100)
#   SCHEMATHESIS_SEED          the seed, for a reproducible run (default 1)
# The accepted exceptions, each with its reason, are in schemathesis.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
tools="${REACH_TOOLS_DIR:-$HOME/.cache/reach}"
venv="$tools/schemathesis-$SCHEMATHESIS_VERSION"
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$venv/bin/st" --version

bin="${REACH_BIN:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/reach}"
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  if [ -n "${SCHEMATHESIS_KEEP:-}" ]; then echo "reports kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

export DATABASE_URL="sqlite://$work/reach.db"
# No platform is ever asked: runs an admin asks for fail at once, locally.
nowhere=http://127.0.0.1:9
export REACH_MASTODON_URL=$nowhere REACH_BLUESKY_URL=$nowhere REACH_REDDIT_URL=$nowhere \
  REACH_REDDIT_AUTH_URL=$nowhere REACH_GITHUB_URL=$nowhere REACH_YOUTUBE_URL=$nowhere \
  REACH_TWITCH_URL=$nowhere REACH_TWITCH_AUTH_URL=$nowhere
# Thousands of requests from one address: no rate limits here.
export REACH_API_RATE_LIMIT=0 REACH_LOGIN_RATE_LIMIT=0
export RUST_LOG=warn

REACH_ADMIN_PASSWORD="fuzzing only, on a throwaway database" "$bin" admin add fuzz >/dev/null
token=$("$bin" token create --admin fuzz schemathesis 2>/dev/null)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LEPTOS_SITE_ADDR="127.0.0.1:$port" \
  "$bin" serve --demo --no-collect >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null

# `/api/live` is an endless event stream: no answer ever ends for
# Schemathesis to check (its own integration test reads it).
run() {
  local name=$1 config=$2
  shift 2
  local status=0
  printf '\n== Schemathesis %s: %s\n' "$SCHEMATHESIS_VERSION" "$name"
  "$venv/bin/st" --config-file "$config" run "http://127.0.0.1:$port/api/openapi.json" \
    --checks all \
    --phases examples,coverage,fuzzing \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
    --seed "${SCHEMATHESIS_SEED:-1}" \
    --workers 2 \
    --request-timeout 30 \
    --report har --report-dir "$work/${name//[^a-z]/}" \
    --exclude-path /api/live \
    "$@" || status=$?
  # Schemathesis prints the operations, phases and test cases above; the
  # requests it sent are counted from its HTTP archive.
  python3 - "$work/${name//[^a-z]/}"/har-*.json <<'PY'
import collections, json, sys
entries = json.load(open(sys.argv[1]))["log"]["entries"]
methods = collections.Counter(entry["request"]["method"] for entry in entries)
statuses = collections.Counter(entry["response"]["status"] for entry in entries)
print(f"totals: {len(entries)} requests ({dict(sorted(methods.items()))}); "
      f"statuses {dict(sorted(statuses.items()))}")
PY
  return "$status"
}

failed=0
run anonymous schemathesis.toml || failed=1
# The token as the description's `bearer` scheme: Schemathesis also sends
# each admin operation without it, and with a wrong one, to check it is
# refused.
{ cat schemathesis.toml; printf '\n[auth.openapi.bearer]\nbearer = "%s"\n' "$token"; } >"$work/admin.toml"
# Revoking tokens last: Schemathesis revokes the ids it has seen, its own.
run admin "$work/admin.toml" --exclude-path /api/tokens/revoke || failed=1
run "admin, revoking tokens" "$work/admin.toml" --include-path /api/tokens/revoke || failed=1

if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked during the run:" >&2
  grep -B2 -A5 "panicked" "$work/server.log" >&2
  exit 1
fi
if [ "$failed" -ne 0 ]; then
  echo "Schemathesis found failures (above)." >&2
  exit 1
fi
echo "Schemathesis: no failures."
