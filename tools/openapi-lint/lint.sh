#!/usr/bin/env bash
# Lints an OpenAPI document (default: docs/openapi.json) with Redocly's recommended rules and Spectral's
# spectral:oas, as pinned in package-lock.json; any error or warning fails. npm ci first on a fresh checkout.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DOCUMENT=$(realpath "${1:-$HERE/../../docs/openapi.json}")
cd "$HERE"
[ -x node_modules/.bin/redocly ] || npm ci --no-audit --no-fund --loglevel=error >&2
# Redocly warns about the Node.js version on every run; the lint itself works on Node 20.
REDOCLY_SUPPRESS_UPDATE_NOTICE=true REDOCLY_TELEMETRY=off node_modules/.bin/redocly lint --config redocly.yaml --max-problems 200 "$DOCUMENT"
node_modules/.bin/spectral lint --ruleset .spectral.yaml --fail-severity hint --display-only-failures "$DOCUMENT"
