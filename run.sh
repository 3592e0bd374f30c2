#!/usr/bin/env bash
# Runs LambdaRecon locally: private PostgreSQL, Redis and SQS emulator, then the local runner with
# the given command (default start: the API on http://127.0.0.1:${PORT:-3000}, the SQS poller and the
# schedule). Other commands: start-api, invoke <Function> --event <file>, import-statement ….
# Ctrl-C stops everything it started.
set -euo pipefail
PROFILE=run
PG_PORT=${LAMBDARECON_PG_PORT:-55432}
REDIS_PORT=${LAMBDARECON_REDIS_PORT:-56379}
SQS_PORT=${LAMBDARECON_SQS_PORT:-59324}
export PORT=${PORT:-3000}
source "$(dirname "$0")/scripts/services.sh"

mkdir -p "$STATE_DIR"
kill_pidfile "$STATE_DIR/local.pid"
cleanup() {
  trap - EXIT INT TERM
  kill_pidfile "$STATE_DIR/local.pid"
  stop_services
  log "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_services
log "building"
dotnet build "$ROOT/src/LambdaRecon.Local" -c Release -nologo -v quiet -clp:ErrorsOnly >&2 || die "dotnet build failed"
case "${1:-start}" in start|start-api) log "API on http://127.0.0.1:$PORT (Ctrl-C stops everything)" ;; esac
dotnet "$ROOT/src/LambdaRecon.Local/bin/Release/net10.0/LambdaRecon.Local.dll" "$@" &
echo $! >"$STATE_DIR/local.pid"
wait "$(cat "$STATE_DIR/local.pid")"
