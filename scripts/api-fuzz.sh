#!/usr/bin/env bash
# Fuzzes the subscriptions API with schemathesis (PyPI): a real `billing node` (SQLite, with the
# payment sandbox as its provider) serves /openapi.json, and schemathesis generates requests from
# that document (examples, coverage, fuzzing and stateful phases) and checks every answer against
# it: no 5xx, every status, header and body as documented, invalid input refused, auth enforced.
#
# One check is left out: positive_data_acceptance, which expects every schema-valid request to
# succeed. Here some cannot by design, and answer a documented 4xx: a change based on another
# version of the subscription (412), a change without If-Match (428), an Idempotency-Key reused
# for another request (422).
#
# Usage: scripts/api-fuzz.sh [MAX_EXAMPLES]   (default 100; needs the billing binary built)
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-100}
bin=${BILLING_BIN:-.build/debug/billing}
[[ -x $bin ]] || { echo "api-fuzz: $bin is not built; run: swift build --package-path Billing --scratch-path .build --product billing" >&2; exit 1; }
command -v schemathesis >/dev/null 2>&1 || { echo "api-fuzz: schemathesis is missing; run scripts/install-test-deps.sh" >&2; exit 1; }
work=$(mktemp -d /tmp/billing-api-fuzz.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
sandbox_port=$(free_port)
node_port=$(free_port)
"$bin" sandbox --port "$sandbox_port" >"$work/sandbox.log" 2>&1 &
pids+=($!)
token="fuzz-write-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
STRIPE_API_KEY=sk_test_fuzz BILLING_API_TOKENS="write:$token" BILLING_LOG_LEVEL=warning \
    "$bin" node --id fuzz-node --coordination "sqlite:$work/election.sqlite" --database "sqlite:$work/billing.sqlite" \
    --provider stripe --provider-url "http://127.0.0.1:$sandbox_port" --http-port "$node_port" >"$work/node.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$node_port/openapi.json" >/dev/null && break
    sleep 0.2
done
curl -sf "http://127.0.0.1:$node_port/openapi.json" >/dev/null || { echo "api-fuzz: the node did not serve /openapi.json:"; cat "$work/node.log"; exit 1; }
status=0
# From the work directory: schemathesis keeps a cache (.schemathesis/) where it runs.
(cd "$work" && schemathesis run "http://127.0.0.1:$node_port/openapi.json" -H "Authorization: Bearer $token" \
    --checks all --exclude-checks positive_data_acceptance --max-examples "$examples" --seed 1 --no-color) || status=$?
if grep -q "critical\|Fatal error" "$work/node.log"; then
    echo "api-fuzz: the node logged a critical error:"; grep "critical\|Fatal error" "$work/node.log" | head -20
    status=1
fi
exit $status
