#!/usr/bin/env bash
# `make api-fuzz`: schemathesis (pinned by ../shared/oracles/setup-venv.sh)
# over the whole OpenAPI document of a fresh `conduit serve`, every check,
# phases examples, coverage, fuzzing and stateful, seed 1, bounded by
# MAX_TIME seconds of generation (default 210: requests in flight finish
# after it, and the whole target stays under 5 minutes on 2 busy cores).
# docs/RELIABILITY.md, "API fuzzing (schemathesis)" has the results.
#
# Two accounts: A's API token authenticates every operation, except the ones
# that need a signed-in session (API tokens get 403 session_required there),
# which run with B's session access token; so deleting an API token, the
# account or the password never revokes the credentials the rest of the run
# uses. A owns two webhooks on the server's public domain and one delivery
# log row, whose ids the webhook and log operations get. The
# schemathesis.toml written next to the reports says which 422s depend on
# state (scripts/schemathesis_hooks.py checks them).
#
#   SCHEMA=docs/openapi.json   test a local document against the server
#                              instead of the one it serves
#   KEEP=1                     keep the work directory (reports, server log)
# Extra arguments go to schemathesis. Exit status: non-zero on any failure,
# or when the server is no longer running at the end (a crash).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BIN="${CONDUIT_BIN:-$(swift build --show-bin-path)/conduit}"
[ -x "$BIN" ] || { echo "api-fuzz: no conduit binary at $BIN (run swift build first)"; exit 1; }
[ -f ../shared/oracles/schemathesis-run.sh ] || { echo "api-fuzz: ../shared/oracles/schemathesis-run.sh not found (the shared oracles sit next to the checkout)"; exit 1; }
DIR="$(mktemp -d /tmp/conduit-api-fuzz-XXXXXX)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT="${PORT:-$(free_port)}"
SMTP_PORT="$(free_port)"
# Nothing listens there: every DNS question fails at once, so the run needs
# no network and a fuzzed target_url or domain never waits for a resolver.
DNS_PORT="$(free_port)"
export MAX_TIME="${MAX_TIME:-210}"
export SCHEMATHESIS_REPORT_DIR="$DIR/reports"
mkdir -p "$SCHEMATHESIS_REPORT_DIR"
cat > "$DIR/conduit.toml" <<TOML
[storage]
path = "$DIR/data"
[api]
listen = "127.0.0.1:$PORT"
[smtp]
listen = "127.0.0.1:$SMTP_PORT"
hostname = "mx.conduit.test"
public_domains = ["fuzz.conduit.test"]
dmarc = false
[dns]
nameservers = ["127.0.0.1:$DNS_PORT"]
timeout_ms = 300
[delivery]
timeout_ms = 2000
[log]
level = "warning"
TOML
"$BIN" serve --config "$DIR/conduit.toml" > "$DIR/serve.log" 2>&1 &
SERVER=$!
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "api-fuzz: kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null || { echo "api-fuzz: conduit did not start"; cat "$DIR/serve.log"; exit 1; }

api() { curl -sf -X "$1" "http://127.0.0.1:$PORT/api/v1$2" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "$4"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
session() {
  api POST /accounts "" "{\"email\":\"$1\",\"password\":\"schemathesis password\"}" > /dev/null
  api POST /sessions "" "{\"email\":\"$1\",\"password\":\"schemathesis password\"}" | field access_token
}
ACCESS=$(session schemathesis@example.com)
TOKEN=$(api POST /accounts/me/api-tokens "$ACCESS" '{"name":"schemathesis"}' | field token)
SESSION=$(session schemathesis-session@example.com)

# A's webhooks on the public domain, with one delivery log (the POST fails:
# the SSRF guard refuses loopback), so the operations on a webhook and its
# log reach their logic instead of 404: KEPT for all of them, GONE for
# deleteWebhook.
webhook() { api POST /webhooks "$TOKEN" "{\"address\":\"$1@fuzz.conduit.test\",\"target_url\":\"http://127.0.0.1:9/hook\"}" | field id; }
KEPT=$(webhook kept)
GONE=$(webhook gone)
python3 - "$SMTP_PORT" <<'PY'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30) as smtp:
    smtp.sendmail("sender@example.org", ["kept@fuzz.conduit.test"],
                  b"From: sender@example.org\r\nTo: kept@fuzz.conduit.test\r\nSubject: api-fuzz\r\n\r\nA message for the delivery log.\r\n")
PY
LOG=""
for _ in $(seq 100); do
  LOG=$(curl -sf "http://127.0.0.1:$PORT/api/v1/webhooks/$KEPT/logs" -H "Authorization: Bearer $TOKEN" | python3 -c 'import json,sys; rows=json.load(sys.stdin); print(rows[0]["id"] if rows else "")')
  [ -n "$LOG" ] && break; sleep 0.1
done
[ -n "$LOG" ] || { echo "api-fuzz: no delivery log row for the setup message"; tail -20 "$DIR/serve.log"; exit 1; }

# Session-only operations (docs/API.md "API tokens"), and the operations
# whose 422s include state-dependent codes (schemathesis_hooks.py).
STATUSES='"2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"'
cat > "$SCHEMATHESIS_REPORT_DIR/schemathesis.toml" <<TOML
hooks = "$ROOT/scripts/schemathesis_hooks.py"

[[operations]]
include-operation-id = ["deleteAPIToken", "changePassword", "deleteAccount", "setupTOTP"]
headers = { Authorization = "Bearer $SESSION" }

[[operations]]
include-operation-id = ["createAPIToken", "enableTOTP", "disableTOTP", "regenerateBackupCodes"]
headers = { Authorization = "Bearer $SESSION" }
checks.positive_data_acceptance.expected-statuses = [$STATUSES]

[[operations]]
include-operation-id = ["createDomainClaim", "verifyDomain", "createWebhook"]
checks.positive_data_acceptance.expected-statuses = [$STATUSES]

[[operations]]
include-operation-id = ["getWebhook", "listDeliveryLogs", "simulateWebhook"]
parameters = { id = "$KEPT" }

[[operations]]
include-operation-id = ["updateWebhook", "redeliverWebhook", "rotateWebhookSecret"]
parameters = { id = "$KEPT" }
checks.positive_data_acceptance.expected-statuses = [$STATUSES]

[[operations]]
include-operation-id = ["getDeliveryLog", "redeliverDeliveryLog"]
parameters = { id = "$KEPT", logId = "$LOG" }

[[operations]]
include-operation-id = "deleteWebhook"
parameters = { id = "$GONE" }

# Up to 20 SMTP AUTH passwords, each an scrypt hash of ~0.4 s and 128 MiB
# run at most two at a time (docs/API.md "SMTP security policies"): a
# policy write on a busy 2-core machine takes longer than the run's 10 s
# request timeout and response time limit (20 to 35 s seen).
[[operations]]
include-operation-id = "createSmtpSecurityPolicy"
request-timeout = 120
checks.max_response_time = 120
checks.positive_data_acceptance.expected-statuses = [$STATUSES]

[[operations]]
include-operation-id = "updateSmtpSecurityPolicy"
request-timeout = 120
checks.max_response_time = 120
TOML

# One worker: with two, CPython 3.11's ast.parse, which hypothesis calls from
# both threads to describe its strategies, can fail with "SystemError: AST
# constructor recursion depth mismatch" (a schemathesis runtime error, not a
# finding; seen once in five runs).
set -- --workers 1 "$@"
if [ -n "${SCHEMA:-}" ]; then
  set +e; bash ../shared/oracles/schemathesis-run.sh "$ROOT/$SCHEMA" "http://127.0.0.1:$PORT" "$TOKEN" "$@"; rc=$?; set -e
else
  set +e; bash ../shared/oracles/schemathesis-run.sh "http://127.0.0.1:$PORT/api/v1/openapi.json" "" "$TOKEN" "$@"; rc=$?; set -e
fi
if ! kill -0 "$SERVER" 2>/dev/null; then
  echo "api-fuzz: FAILED: conduit exited during the run"; tail -50 "$DIR/serve.log"; exit 1
fi
if [ "$rc" -ne 0 ]; then echo "api-fuzz: FAILED (schemathesis exit status $rc; reports in $SCHEMATHESIS_REPORT_DIR)"; KEEP=1; exit "$rc"; fi
echo "api-fuzz: passed"
