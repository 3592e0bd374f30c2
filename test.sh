#!/usr/bin/env bash
# Tests LambdaRecon: lints template.yaml with cfn-lint, starts its own PostgreSQL, Redis and SQS
# emulator on ports other than run.sh's, installs the OpenAPI linters (tools/openapi-lint, which a test
# runs over the generated document), builds the solution, migrates the shared test database with
# the runner a deploy uses, runs every test of the solution against them (the fault suite alone, last),
# checks that ./run.sh leaves no process behind (tests/scripts/run-leaves-nothing.sh), stops them, and
# exits with the tests' status. Extra arguments go to one `dotnet test` of the whole solution instead
# (for example: ./test.sh --filter FullyQualifiedName~Ledger).
set -euo pipefail
PROFILE=test
PG_PORT=${LAMBDARECON_TEST_PG_PORT:-55442}
REDIS_PORT=${LAMBDARECON_TEST_REDIS_PORT:-56389}
SQS_PORT=${LAMBDARECON_TEST_SQS_PORT:-59334}
# Tests need no durability: skipping fsync makes creating a database per test class cheap.
PG_EXTRA_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
source "$(dirname "$0")/scripts/services.sh"

lint_template() {
  if ! command -v cfn-lint >/dev/null; then
    is_root && command -v pip >/dev/null && pip install -q cfn-lint >&2 || true
    command -v cfn-lint >/dev/null || die "cfn-lint is missing: pip install cfn-lint"
  fi
  # Informational checks too, less those docs/deploy.md explains (section "cfn-lint informational checks").
  cfn-lint "$ROOT/template.yaml" || die "cfn-lint found problems in template.yaml"
  cfn-lint --include-checks I --ignore-checks "${CFN_LINT_EXPLAINED:-}" -- "$ROOT/template.yaml" \
    || die "cfn-lint --include-checks I found problems in template.yaml"
  log "cfn-lint: template.yaml is clean"
}

mkdir -p "$STATE_DIR"
trap 'trap - EXIT; stop_services' EXIT
trap 'exit 130' INT TERM

lint_template
# The fault suite's stack (these ports + 100) and the ./run.sh check (tests/scripts/run-leaves-nothing.sh)
# start late, when many connections are open: reserve their ports from the ephemeral range now.
for port in $((PG_PORT + 100)) $((REDIS_PORT + 100)) $((SQS_PORT + 100)) \
  "${LAMBDARECON_CHECK_PG_PORT:-55532}" "${LAMBDARECON_CHECK_REDIS_PORT:-56479}" "${LAMBDARECON_CHECK_SQS_PORT:-59424}"; do
  reserve_port "$port"
done
start_services
# Redocly and Spectral, as package-lock.json pins them, for the lint of the OpenAPI document (OpenApiDocumentTests).
if [ ! -x "$ROOT/tools/openapi-lint/node_modules/.bin/redocly" ] \
   || [ "$ROOT/tools/openapi-lint/package-lock.json" -nt "$ROOT/tools/openapi-lint/node_modules/.package-lock.json" ]; then
  log "npm ci in tools/openapi-lint"
  (cd "$ROOT/tools/openapi-lint" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci in tools/openapi-lint failed"
fi
export LAMBDARECON_PG_DATA="$PG_DATA" LAMBDARECON_PG_BIN="$PG_BIN"
dotnet build "$ROOT/LambdaRecon.sln" -nologo -v quiet -clp:ErrorsOnly >&2 || die "dotnet build failed"
migrate_database "$ROOT/src/LambdaRecon.Local/bin/Debug/net10.0/LambdaRecon.Local.dll"
status=0
if [ $# -gt 0 ]; then
  dotnet test "$ROOT/LambdaRecon.sln" --no-build -nologo "$@" || status=$?
  exit $status
fi
# The fault suite (docs/faults.md) restarts services under load and times how soon all is posted again: it
# runs alone, after the rest, so that the other suites' CPU is not part of its figures.
dotnet test "$ROOT/LambdaRecon.sln" --no-build -nologo --filter "FullyQualifiedName!~FaultSuite" || status=$?
dotnet test "$ROOT/tests/LambdaRecon.Local.Tests" --no-build -nologo --filter "FullyQualifiedName~FaultSuite" || status=$?
[ -f "$ROOT/.local/faults/report.md" ] && { log "fault suite report (.local/faults/report.md):"; cat "$ROOT/.local/faults/report.md" >&2; }
# The whole run also drives ./run.sh as a user does and counts what it leaves behind (about 40 s).
"$ROOT/tests/scripts/run-leaves-nothing.sh" || status=1
exit $status
