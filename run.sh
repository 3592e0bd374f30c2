#!/usr/bin/env bash
# Runs LambdaRecon locally: private PostgreSQL, Redis and SQS emulator, the migrations, then the local
# runner with the given command (default start: the API on http://127.0.0.1:${PORT:-3000}, the SQS
# poller and the schedule, every request through ApiFunction's entry point; --kestrel serves the app
# directly). Other commands: start-api, invoke <Function> [--event <file>|-] [--env-vars <file>],
# generate-event …, import-statement …, dlq-redrive, migrate, keys …, tenants …, env (the running
# copy's service variables, for a debugger: eval "$(./run.sh env)"), openapi (the OpenAPI document on stdout:
# ./run.sh openapi > docs/openapi.json).
# A second start in the same checkout refuses; generate-event and openapi need no service.
# Beside a running ./run.sh, a command uses its services and its build, and leaves them running.
# migrate, keys and tenants with DATABASE_URL set work on that database alone and start nothing.
# Ctrl-C stops everything it started.
set -euo pipefail
# LAMBDARECON_PROFILE keeps a second copy apart (its state under .local/<profile>; give it other ports too).
PROFILE=${LAMBDARECON_PROFILE:-run}
PG_PORT=${LAMBDARECON_PG_PORT:-55432}
REDIS_PORT=${LAMBDARECON_REDIS_PORT:-56379}
SQS_PORT=${LAMBDARECON_SQS_PORT:-59324}
export PORT=${PORT:-3000}
# The API reference page (/scalar/v1) is on for a local run; a deployed API serves it only when told to.
export LAMBDARECON_API_REFERENCE=${LAMBDARECON_API_REFERENCE:-true}
source "$(dirname "$0")/scripts/services.sh"
LOCAL_DLL="$ROOT/src/LambdaRecon.Local/bin/Release/net10.0/LambdaRecon.Local.dll"
COMMAND=${1:-start}

build() {
  log "building"
  dotnet build "$ROOT/src/LambdaRecon.Local" -c Release -nologo -v quiet -clp:ErrorsOnly >&2 || die "dotnet build failed"
}

mkdir -p "$STATE_DIR"
# run.pid is the serving ./run.sh itself: while it lives, its Ctrl-C stops what it started. A server left
# behind by a killed ./run.sh is a leftover, which the next start stops.
if [[ "$COMMAND" =~ ^(start|start-api)$ ]] && pidfile_alive "$STATE_DIR/run.pid"; then
  die "a ./run.sh is already serving from this checkout (pid $(cat "$STATE_DIR/run.pid")): stop it first (Ctrl-C in its terminal), or run other commands beside it"
fi

if [ "$COMMAND" = env ]; then
  # The running copy's service variables, for a process started by hand (a debugger, say): eval "$(./run.sh env)".
  pidfile_alive "$STATE_DIR/local.pid" || die "no ./run.sh is serving from this checkout: start one first"
  export_service_environment
  for name in DATABASE_URL REDIS_URL QUEUE_URL DLQ_URL WEBHOOK_QUEUE_URL AWS_REGION AWS_ENDPOINT_URL_SQS AWS_ENDPOINT_URL_SSM AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
    printf 'export %s=%q\n' "$name" "${!name}"
  done
  exit 0
fi

if [ "$COMMAND" = generate-event ] && ! pidfile_alive "$STATE_DIR/local.pid" && [[ " $* " != *" --transaction-id "* ]]; then
  # Writing an event needs no service.
  build
  exec dotnet "$LOCAL_DLL" "$@"
fi

if [ "$COMMAND" = openapi ]; then
  # The document is generated from the code alone: no service. stdout is the document, the rest goes to stderr.
  build
  exec dotnet "$LOCAL_DLL" openapi
fi

if [[ "$COMMAND" =~ ^(migrate|keys|tenants)$ && -n "${DATABASE_URL:-}" ]]; then
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
  rm -f "$STATE_DIR/run.pid"
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
case "$COMMAND" in start|start-api) echo $$ >"$STATE_DIR/run.pid" ;; esac
dotnet "$LOCAL_DLL" "$@" &
echo $! >"$STATE_DIR/local.pid"
wait "$(cat "$STATE_DIR/local.pid")"
