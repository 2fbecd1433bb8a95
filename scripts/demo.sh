#!/usr/bin/env bash
# A first look at the library: five `leader campaign` processes elect a leader on one SQLite file.
# The demo kills the leader (SIGKILL), pauses the next one past its lease (SIGSTOP, then SIGCONT),
# lets the third hand over gracefully (SIGINT), and prints how long each change of leader took.
# Usage: scripts/demo.sh [TTL_SECONDS]   (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
ttl=${1:-2}
swift build --product leader --disable-build-manifest-caching >/dev/null
leader=$(swift build --show-bin-path)/leader
work=$(mktemp -d)
store="sqlite:$work/election.sqlite"
observer=
nodes=()
cleanup() {
    for pid in $observer "${nodes[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill -9 "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

now_ns() { python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_BOOTTIME))'; }
# The value (node name) and token of the current leader, or empty. (Failover times below include
# the polling of this loop, a `leader status` process each time.)
current_leader() { "$leader" status demo --store "$store" | awk '/^leader key=/ { for (i = 1; i <= NF; i++) if ($i ~ /^(value|token)=/) printf "%s ", $i }'; }
# Waits until the leader differs from $1 and prints it.
wait_for_new_leader() {
    local previous=$1 current limit=$(( SECONDS + 30 ))
    while [ "$SECONDS" -lt "$limit" ]; do
        current=$(current_leader)
        if [ -n "$current" ] && [ "$current" != "$previous" ]; then echo "$current"; return; fi
        sleep 0.01
    done
    echo "no new leader within 30 s" >&2; exit 1
}
pid_of() { echo "${nodes[$(( ${1#node-} - 1 ))]}"; }
seconds_since() { python3 -c "print(f'{($(now_ns) - $1) / 1e9:.3f}')"; }

echo "Store: $store, lease TTL ${ttl} s"
"$leader" observe demo --store "$store" > >(sed -u 's/^/  observe | /') &
observer=$!
disown
for n in 1 2 3 4 5; do
    "$leader" campaign demo "node-$n" --store "$store" --ttl "$ttl" --id "node-$n" >"$work/node-$n.log" &
    nodes+=($!)
    disown
done

first=$(wait_for_new_leader "")
echo "Leader: $first"

node=$(echo "$first" | sed 's/value=\([^ ]*\).*/\1/')
echo "== SIGKILL $node: the next leader takes over when its lease expires (TTL ${ttl} s)"
start=$(now_ns); kill -9 "$(pid_of "$node")"
second=$(wait_for_new_leader "$first")
echo "New leader after $(seconds_since "$start") s: $second"

node=$(echo "$second" | sed 's/value=\([^ ]*\).*/\1/')
echo "== SIGSTOP $node past its lease: it stops believing it leads at its local deadline"
start=$(now_ns); kill -STOP "$(pid_of "$node")"
third=$(wait_for_new_leader "$second")
echo "New leader after $(seconds_since "$start") s: $third"
kill -CONT "$(pid_of "$node")"
sleep 0.5
echo "   $node after SIGCONT: $(grep -E '^lost' "$work/$node.log" | tail -n 1 | tr ' ' '\n' | grep -E '^(lost|token|cause)' | tr '\n' ' ')"

node=$(echo "$third" | sed 's/value=\([^ ]*\).*/\1/')
echo "== SIGINT $node: it resigns, and the next candidate is elected at once"
start=$(now_ns); kill -INT "$(pid_of "$node")"
fourth=$(wait_for_new_leader "$third")
echo "New leader after $(seconds_since "$start") s: $fourth"
sleep 0.3
echo "Done. Tokens only grow: ${first#*token=} -> ${second#*token=} -> ${third#*token=} -> ${fourth#*token=}"
