#!/usr/bin/env bash
# Runs a benchmark against its own PostgreSQL, Redis and SQS emulator (ports apart from run.sh's
# and test.sh's), then stops them. ./bench.sh ledger [--transfers N] [--accounts N] [--concurrency N]
# ./bench.sh pgbench runs PostgreSQL's own tpcb-like benchmark on the same cluster: the ceiling.
# ./bench.sh api [--clients N] [--seconds N] runs that ceiling first, then the load from wrk (installed if missing).
# ./bench.sh webhooks [--rate 200] [--seconds 20]: signed Stripe events from wrk; acknowledgement and receipt-to-matched latency.
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

# PostgreSQL's tpcb-like transaction (five statements, one durable commit) with N clients for S seconds.
pgbench_ceiling() {
  psql_admin -d postgres -c "DROP DATABASE IF EXISTS pgbench" -c "CREATE DATABASE pgbench" >/dev/null
  "$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -i -s 10 -q pgbench >/dev/null 2>&1
  for clients in "$@"; do
    echo "pgbench tpcb-like, $clients client(s), ${PGBENCH_SECONDS:-20} s:"
    "$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -c "$clients" -j 2 -T "${PGBENCH_SECONDS:-20}" -M prepared pgbench 2>/dev/null \
      | grep -E '^(latency average|tps)'
  done
  psql_admin -d postgres -c "DROP DATABASE pgbench" >/dev/null
}

if [[ "${1:-}" == api || "${1:-}" == e2e || "${1:-}" == webhooks ]] && ! command -v wrk >/dev/null; then
  log "installing wrk with apt-get (the load generator, a separate process)"
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; } \
    || die "wrk is missing: sudo apt-get install -y wrk"
fi

case "${1:-}" in
  pgbench)
    pgbench_ceiling 1 2 8
    ;;
  *)
    dotnet build "$ROOT/benchmarks/LambdaRecon.Benchmarks" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    # The schema as run.sh and test.sh make it, with the runner a deploy uses: a new cluster is empty.
    dotnet build "$ROOT/src/LambdaRecon.Local" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    migrate_database "$ROOT/src/LambdaRecon.Local/bin/Release/net10.0/LambdaRecon.Local.dll"
    if [[ "${1:-}" == api ]]; then
      # The ceiling to compare with, on the same cluster in the same run, at the benchmark's client count.
      clients=16
      for ((i = 2; i <= $#; i++)); do [[ "${!i}" == --clients ]] && { j=$((i + 1)); clients=${!j}; }; done
      PGBENCH_SECONDS=10 pgbench_ceiling "$clients"
    fi
    dotnet "$ROOT/benchmarks/LambdaRecon.Benchmarks/bin/Release/net10.0/LambdaRecon.Benchmarks.dll" "$@"
    ;;
esac
