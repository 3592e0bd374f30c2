#!/usr/bin/env bash
# ./run.sh as a user drives it, counting its processes after each way it can end: Ctrl-C, commands run
# beside it (which must leave it serving), a second start (refused), a subcommand on its own, and kill -9
# followed by the next run. After each end, no process of that run may be left. test.sh runs this.
set -euo pipefail
set -m # job control: each background job is its own process group and keeps SIGINT, as in a terminal
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# A profile of this run's own: processes are counted by it, and another checkout may run this check too.
export LAMBDARECON_PROFILE=leaves-nothing-$$ PORT=${LAMBDARECON_CHECK_PORT:-3390} LAMBDARECON_API_KEY=leaves-nothing-key
export LAMBDARECON_PG_PORT=${LAMBDARECON_CHECK_PG_PORT:-55532} LAMBDARECON_REDIS_PORT=${LAMBDARECON_CHECK_REDIS_PORT:-56479}
export LAMBDARECON_SQS_PORT=${LAMBDARECON_CHECK_SQS_PORT:-59424}
API=http://127.0.0.1:$PORT/api/v1
fail() { echo "run-leaves-nothing: FAILED: $*" >&2; ps -eo pid,pgid,args >&2; exit 1; }

# Ours: anything started with this profile in its environment, or listening on its ports.
ours() {
  local pids=()
  for environ in /proc/[0-9]*/environ; do
    # A zombie has no environment left and is no process of ours any more.
    tr '\0' '\n' <"$environ" | grep -qx "LAMBDARECON_PROFILE=$LAMBDARECON_PROFILE" && pids+=("$(basename "$(dirname "$environ")")")
  done 2>/dev/null
  pids+=($(pgrep -f -- "-p $LAMBDARECON_PG_PORT |127.0.0.1:$LAMBDARECON_REDIS_PORT|--port $LAMBDARECON_SQS_PORT" || true))
  printf '%s\n' "${pids[@]}" | grep -vx "$$" | grep -vx "$BASHPID" | sort -u | grep -c . || true
}

start() {
  ./run.sh start >/dev/null 2>"$ROOT/.local/$LAMBDARECON_PROFILE.log" &
  RUN=$!
  for _ in $(seq 240); do curl -fs "$API/health" >/dev/null && return; sleep 0.5; done
  fail "./run.sh did not serve within 120 s: $(tail -5 "$ROOT/.local/$LAMBDARECON_PROFILE.log")"
}

ctrl_c() {
  kill -INT -- "-$RUN"
  wait "$RUN" || true
}

mkdir -p "$ROOT/.local"
[ "$(ours)" = 0 ] || fail "processes of profile $LAMBDARECON_PROFILE are running before the check"

start
answer=$(./run.sh invoke ApiFunction --event <(./run.sh generate-event apigateway-http --path /api/v1/health) 2>/dev/null)
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["statusCode"]==200, r' "$answer" || fail "invoke beside ./run.sh did not answer 200: $answer"
./run.sh keys list >/dev/null 2>&1 || fail "keys list beside ./run.sh failed"
if ./run.sh start >/dev/null 2>&1; then fail "a second ./run.sh start in the same checkout was not refused"; fi
curl -fs "$API/health" >/dev/null || fail "./run.sh stopped answering after commands run beside it"
ctrl_c
[ "$(ours)" = 0 ] || fail "$(ours) process(es) left after Ctrl-C"
echo "run-leaves-nothing: Ctrl-C after invoke, keys and a refused second start: 0 processes left" >&2

./run.sh migrate >/dev/null 2>&1 || fail "./run.sh migrate failed"
[ "$(ours)" = 0 ] || fail "$(ours) process(es) left after ./run.sh migrate"
echo "run-leaves-nothing: ./run.sh migrate on its own: 0 processes left" >&2

start
kill -9 -- "-$RUN"
wait "$RUN" 2>/dev/null || true
left=$(ours)
start
ctrl_c
[ "$(ours)" = 0 ] || fail "$(ours) process(es) left after kill -9, the next run and its Ctrl-C"
echo "run-leaves-nothing: kill -9 left $left process(es); the next run stopped them, and its Ctrl-C left 0" >&2
rm -rf "${ROOT:?}/.local/$LAMBDARECON_PROFILE" "$ROOT/.local/$LAMBDARECON_PROFILE.log"
