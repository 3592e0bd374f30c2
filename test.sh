#!/usr/bin/env bash
# Tests LambdaRecon: starts its own PostgreSQL, Redis and SQS emulator on ports other than run.sh's,
# runs every test of the solution against them, stops them, and exits with the tests' status.
# Extra arguments go to `dotnet test` (for example: ./test.sh --filter FullyQualifiedName~Ledger).
set -euo pipefail
PROFILE=test
PG_PORT=${LAMBDARECON_TEST_PG_PORT:-55442}
REDIS_PORT=${LAMBDARECON_TEST_REDIS_PORT:-56389}
SQS_PORT=${LAMBDARECON_TEST_SQS_PORT:-59334}
# Tests need no durability: skipping fsync makes creating a database per test class cheap.
PG_EXTRA_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
source "$(dirname "$0")/scripts/services.sh"

mkdir -p "$STATE_DIR"
trap 'trap - EXIT; stop_services' EXIT
trap 'exit 130' INT TERM

start_services
export LAMBDARECON_PG_DATA="$PG_DATA" LAMBDARECON_PG_BIN="$PG_BIN"
status=0
dotnet test "$ROOT/LambdaRecon.sln" -nologo "$@" || status=$?
exit $status
