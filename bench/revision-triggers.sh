#!/usr/bin/env bash
# The cost of the accounts' revision triggers (migration 18), or with
# `totals` of the platform totals' triggers (migration 19), in CPU
# instructions: one `reach collect` of 200 demo accounts under valgrind's
# callgrind, on a copy of one seeded database with the triggers and on a
# copy without them. Prints each total (start-up and the after-run work
# included). Needs valgrind and sqlite3, and the release binary:
#   REACH_BIN=target/release/reach bench/revision-triggers.sh [totals]
set -euo pipefail
reach=${REACH_BIN:-target/release/reach}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
DATABASE_URL="sqlite://$dir/base.db?mode=rwc" RUST_LOG=warn "$reach" seed --accounts 200 --days 30 >/dev/null
sqlite3 "$dir/base.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
cp "$dir/base.db" "$dir/with.db"
cp "$dir/base.db" "$dir/without.db"
if [ "${1:-}" = totals ]; then
  which="name LIKE 'accounts\_totals\_%' ESCAPE '\'"
else
  which="name LIKE '%\_revise\_%' ESCAPE '\' OR name IN ('accounts_revised', 'brands_revise')"
fi
sqlite3 "$dir/without.db" "SELECT 'DROP TRIGGER ' || name || ';' FROM sqlite_master \
  WHERE type = 'trigger' AND ($which);" \
  | sqlite3 "$dir/without.db"
for variant in with without; do
  DATABASE_URL="sqlite://$dir/$variant.db?mode=rwc" RUST_LOG=warn \
    valgrind --tool=callgrind --callgrind-out-file="$dir/$variant.out" "$reach" collect >/dev/null 2>&1
  stored=$(sqlite3 "$dir/$variant.db" 'SELECT accounts_ok FROM collection_runs ORDER BY id DESC LIMIT 1')
  total=$(grep -E '^(summary|totals):' "$dir/$variant.out" | head -1 | awk '{print $2}')
  echo "$variant triggers: $total instructions, $stored accounts stored"
done
