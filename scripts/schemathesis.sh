#!/usr/bin/env bash
# Runs ../shared/oracles/schemathesis-run.sh against a fresh `conduit serve`
# with an API token of a dedicated account. Extra arguments go to
# schemathesis (e.g. --exclude-operation-id deleteAPIToken for a deeper run
# that keeps its credentials). Prints schemathesis' summary; exit status is its own.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CONDUIT_BIN:-$(swift build --show-bin-path)/conduit}"
DIR="$(mktemp -d /tmp/conduit-schemathesis-XXXXXX)"
PORT="${PORT:-18480}"
cat > "$DIR/conduit.toml" <<TOML
[storage]
path = "$DIR/data"
[api]
listen = "127.0.0.1:$PORT"
[smtp]
listen = "127.0.0.1:0"
hostname = "mx.conduit.test"
[log]
level = "warning"
TOML
"$BIN" serve --config "$DIR/conduit.toml" > "$DIR/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.1; done
api() { curl -sf -X "$1" "http://127.0.0.1:$PORT/api/v1$2" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "$4"; }
api POST /accounts "" '{"email":"schemathesis@example.com","password":"schemathesis password"}' > /dev/null
ACCESS=$(api POST /sessions "" '{"email":"schemathesis@example.com","password":"schemathesis password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
TOKEN=$(api POST /accounts/me/api-tokens "$ACCESS" '{"name":"schemathesis"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
bash ../shared/oracles/schemathesis-run.sh "http://127.0.0.1:$PORT/api/v1/openapi.json" "" "$TOKEN" "$@"
