#!/usr/bin/env bash
# Runs LambdaRecon locally: private PostgreSQL, Redis and SQS emulator, the migrations, then the local
# runner with the given command (default start: the API on http://127.0.0.1:${PORT:-3000}, the SQS
# poller and the schedule). Other commands: start-api, invoke <Function> --event <file>,
# import-statement …, dlq-redrive, migrate, keys create|list|revoke.
# Beside a running ./run.sh, a command uses its services and its build, and leaves them running.
# migrate and keys with DATABASE_URL set work on that database alone and start nothing.
# Ctrl-C stops everything it started.
set -euo pipefail
PROFILE=run
PG_PORT=${LAMBDARECON_PG_PORT:-55432}
REDIS_PORT=${LAMBDARECON_REDIS_PORT:-56379}
SQS_PORT=${LAMBDARECON_SQS_PORT:-59324}
export PORT=${PORT:-3000}
source "$(dirname "$0")/scripts/services.sh"
LOCAL_DLL="$ROOT/src/LambdaRecon.Local/bin/Release/net10.0/LambdaRecon.Local.dll"
COMMAND=${1:-start}

build() {
  log "building"
  dotnet build "$ROOT/src/LambdaRecon.Local" -c Release -nologo -v quiet -clp:ErrorsOnly >&2 || die "dotnet build failed"
}

mkdir -p "$STATE_DIR"
if [[ "$COMMAND" =~ ^(migrate|keys)$ && -n "${DATABASE_URL:-}" ]]; then
  build
  exec dotnet "$LOCAL_DLL" "$@"
fi

if [[ "$COMMAND" != start && "$COMMAND" != start-api ]] && pidfile_alive "$STATE_DIR/local.pid"; then
  # A ./run.sh is serving: use its services and its build (rebuilding would rewrite the files it runs).
  export_service_environment
  exec dotnet "$LOCAL_DLL" "$@"
fi

kill_pidfile "$STATE_DIR/local.pid"
cleanup() {
  trap - EXIT INT TERM
  kill_pidfile "$STATE_DIR/local.pid"
  stop_services
  log "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build
if [[ "$COMMAND" == start || "$COMMAND" == start-api ]]; then ensure_port_free "$PORT" "the API"; fi
start_services
if [ "$COMMAND" = migrate ]; then
  dotnet "$LOCAL_DLL" migrate
  exit
fi
migrate_database "$LOCAL_DLL"
case "$COMMAND" in start|start-api) log "API on http://127.0.0.1:$PORT (Ctrl-C stops everything)" ;; esac
dotnet "$LOCAL_DLL" "$@" &
echo $! >"$STATE_DIR/local.pid"
wait "$(cat "$STATE_DIR/local.pid")"
