#!/usr/bin/env bash
# Measures the subscriptions API with wrk (Debian's `wrk`) against one release-built `billing node`
# whose billing database is a local PostgreSQL server with durable commits (fsync on):
#   create   POST /v1/subscriptions, each request a new subscription under its own Idempotency-Key
#            (the key's record and the row in one transaction)
#   get      GET /v1/subscriptions/{id} of one subscription
#   healthz  GET /healthz: the same server, process and wrk settings with no database call, as the
#            baseline the two are compared with (run in the same invocation).
#
# Usage: scripts/api-bench.sh [SECONDS] [CONNECTIONS]   (default 20 s, 16 connections, 2 threads;
# BILLING_BIN names another build of `billing`, e.g. an earlier commit's, to compare)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
connections=${2:-16}
bin=${BILLING_BIN:-.build/release/billing}
[[ -x $bin ]] || { echo "api-bench: build it first: swift build -c release --package-path Billing --scratch-path .build --product billing" >&2; exit 1; }
command -v wrk >/dev/null 2>&1 || { echo "api-bench: wrk is missing: apt-get install wrk" >&2; exit 1; }
work=$(mktemp -d /tmp/billing-api-bench.XXXXXX)
pids=()
eval "$(BILLING_TEST_POSTGRES_DURABLE=1 ./scripts/postgres-test-server.sh start)"
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ./scripts/postgres-test-server.sh stop "$BILLING_TEST_POSTGRES_DIR" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
sandbox_port=$(free_port)
port=$(free_port)
"$bin" sandbox --port "$sandbox_port" >"$work/sandbox.log" 2>&1 &
pids+=($!)
token="bench-write-token"
STRIPE_API_KEY=sk_test_bench BILLING_API_TOKENS="write:$token" BILLING_LOG_LEVEL=warning \
    "$bin" node --id bench-node --coordination "sqlite:$work/election.sqlite" --database "$BILLING_TEST_POSTGRES_URL" \
    --provider stripe --provider-url "http://127.0.0.1:$sandbox_port" --http-port "$port" >"$work/node.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$port"
for _ in $(seq 1 150); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.2; done
body='{"customer":"cus_bench","payment_method":"pm_card_visa","plan":{"interval":"monthly","amount_minor":1999,"currency":"EUR"}}'
id=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body" "$base/v1/subscriptions" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
cat >"$work/create.lua" <<LUA
local counter = 0
local thread_id = 0
setup = function(thread) thread_id = thread_id + 1; thread:set("prefix", "t" .. thread_id .. "-" .. os.time()) end
request = function()
    counter = counter + 1
    return wrk.format("POST", "/v1/subscriptions", {
        ["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = prefix .. "-" .. counter }, '$body')
end
LUA
run() {
    local name=$1; shift
    echo "== $name"
    wrk --latency -t 2 -c "$connections" -d "${seconds}s" "$@" | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx|Socket errors"
}
run healthz "$base/healthz"
run get -H "Authorization: Bearer $token" "$base/v1/subscriptions/$id"
run create -s "$work/create.lua" "$base/v1/subscriptions"
echo "== subscriptions in the database: $(curl -sf -H "Authorization: Bearer $token" "$base/v1/subscriptions?limit=1" >/dev/null && echo ok)"
