#!/usr/bin/env bash
# Runs a benchmark against its own PostgreSQL, Redis and SQS emulator (ports apart from run.sh's
# and test.sh's), then stops them. ./bench.sh ledger [--transfers N] [--accounts N] [--concurrency N]
# ./bench.sh pgbench runs PostgreSQL's own tpcb-like benchmark on the same cluster: the ceiling.
set -euo pipefail
PROFILE=bench
PG_PORT=${LAMBDARECON_BENCH_PG_PORT:-55452}
REDIS_PORT=${LAMBDARECON_BENCH_REDIS_PORT:-56399}
SQS_PORT=${LAMBDARECON_BENCH_SQS_PORT:-59344}
source "$(dirname "$0")/scripts/services.sh"

mkdir -p "$STATE_DIR"
trap 'trap - EXIT; stop_services' EXIT
trap 'exit 130' INT TERM
start_services

case "${1:-}" in
  pgbench)
    psql_admin -d postgres -c "DROP DATABASE IF EXISTS pgbench" -c "CREATE DATABASE pgbench" >/dev/null
    "$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -i -s 10 -q pgbench >/dev/null 2>&1
    for clients in 1 2 8; do
      echo "pgbench tpcb-like, $clients client(s), 20 s:"
      "$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -c "$clients" -j 2 -T 20 -M prepared pgbench 2>/dev/null \
        | grep -E '^(latency average|tps)'
    done
    ;;
  *)
    dotnet build "$ROOT/benchmarks/LambdaRecon.Benchmarks" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    # The schema as run.sh and test.sh make it, with the runner a deploy uses: a new cluster is empty.
    dotnet build "$ROOT/src/LambdaRecon.Local" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    migrate_database "$ROOT/src/LambdaRecon.Local/bin/Release/net10.0/LambdaRecon.Local.dll"
    dotnet "$ROOT/benchmarks/LambdaRecon.Benchmarks/bin/Release/net10.0/LambdaRecon.Benchmarks.dll" "$@"
    ;;
esac
