#!/usr/bin/env bash
# What a collection run writes to PostgreSQL: `reach collect` twice on a
# fresh copy of the 10,000-account benchmark set (`bench.mjs --postgres`
# seeds it as reach_bench_10000), alone and without rests
# (REACH_COLLECT_DUTY=100); after each run the account rows it wrote
# (`pg_stat_user_tables`, reset before it), how many of those were HOT,
# the dead rows left, and the WAL written (the WAL position before and
# after: the whole cluster's, so run it with nothing else writing).
#
#   bash bench/row-writes.sh [REACH_BIN] [LABEL]
set -euo pipefail
bin=${1:-${CARGO_TARGET_DIR:-target}/release/reach}
label=${2:-run}
base=${REACH_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
copy=reach_row_writes
sql() { psql "$base/${2:-postgres}" -Atqc "$1"; }
sql "DROP DATABASE IF EXISTS $copy"
sql "CREATE DATABASE $copy TEMPLATE reach_bench_10000"
trap 'sql "DROP DATABASE IF EXISTS $copy"' EXIT
for run in 1 2; do
  sql "SELECT pg_stat_reset()" "$copy" >/dev/null
  before=$(sql "SELECT pg_current_wal_lsn()")
  DATABASE_URL="$base/$copy" RUST_LOG=warn REACH_COLLECT_DUTY=100 "$bin" collect >/dev/null
  # The statistics reach the shared counters within a second.
  sleep 1
  wal=$(sql "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$before')::bigint / 1048576")
  rows=$(sql "SELECT n_tup_upd || ' row writes (' || n_tup_hot_upd || ' HOT), ' || n_dead_tup || ' dead'
              FROM pg_stat_user_tables WHERE relname = 'accounts'" "$copy")
  took=$(sql "SELECT duration_ms FROM collection_runs ORDER BY id DESC LIMIT 1" "$copy")
  echo "$label, run $run: collection ${took} ms; accounts: $rows; WAL ${wal} MiB"
done
