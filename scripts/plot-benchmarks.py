#!/usr/bin/env python3
"""Draws the benchmark charts and tables of docs/benchmarks.md from bench-results/*.json.

Usage: scripts/plot-benchmarks.py [RESULTS_DIR] [DOCS_DIR]   (defaults: bench-results, docs)

Reads whichever of sqlite.json (scripts/bench.sh), etcd.json (scripts/etcd-bench.sh),
backends.json (scripts/backends-bench.sh) and billing.json (scripts/billing-bench.sh) exist,
writes PNG charts to DOCS_DIR/benchmarks/, and rewrites the tables of DOCS_DIR/benchmarks.md
between the markers <!-- figures:NAME --> and <!-- /figures:NAME -->, so that the document shows
what the last runs measured and nothing else. The benchmark scripts run it after each run.
Needs matplotlib (python3 -m pip install matplotlib).
"""
import datetime
import json
import os
import re
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("plot-benchmarks.py needs matplotlib: python3 -m pip install matplotlib")

results = sys.argv[1] if len(sys.argv) > 1 else "bench-results"
docs = sys.argv[2] if len(sys.argv) > 2 else "docs"
charts = os.path.join(docs, "benchmarks")
os.makedirs(charts, exist_ok=True)


def load(name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None
    with open(path) as file:
        return json.load(file)


sqlite, etcd, backends, billing = (load(n) for n in ("sqlite.json", "etcd.json", "backends.json", "billing.json"))


def p99_cell(s, digits=1):
    # A p99 from fewer than 100 samples is only the maximum: the table says so instead.
    return f"{s['p99']:.{digits}f}" if s["count"] >= 100 else "(n < 100)"


def stats_row(label, s, note=""):
    return f"| {label} | {s['count']} | {s['p50']:.1f} | {s['p90']:.1f} | {p99_cell(s)} | {s['maximum']:.1f} | {note} |"


def p99_label(s):
    # A p99 from fewer than 100 samples is the maximum, and is called that.
    return "p99" if s["count"] >= 100 else "max"


tables = {}

# Graceful handover: process to process on every backend, and the reference clients.
handover = []  # (label, statistics, group)
if sqlite and sqlite.get("handover"):
    handover.append(("SQLite: leader campaign", sqlite["handover"]["latencyMilliseconds"], "leader"))
if backends and backends.get("postgres", {}).get("commandHandover"):
    handover.append(("PostgreSQL: leader campaign", backends["postgres"]["commandHandover"], "leader"))
if backends and backends.get("zookeeper", {}).get("commandHandover"):
    handover.append(("ZooKeeper: leader campaign", backends["zookeeper"]["commandHandover"], "leader"))
if backends and backends.get("kazooHandover"):
    handover.append(("ZooKeeper: kazoo Election", backends["kazooHandover"], "reference"))
if etcd and etcd.get("handover"):
    handover.append(("etcd: leader campaign", etcd["handover"]["leaderCommand"], "leader"))
    handover.append(("etcd: etcdctl elect", etcd["handover"]["etcdctl"], "reference"))
if handover:
    rows = ["| handover (process to process) | n | p50 ms | p90 ms | p99 ms | max ms | |", "|---|---|---|---|---|---|---|"]
    rows += [stats_row(label, s, "reference client" if group == "reference" else "") for label, s, group in handover]
    in_process = []
    if backends and backends.get("postgres", {}).get("handover"):
        in_process.append(("PostgreSQL: library in process", backends["postgres"]["handover"]))
    if backends and backends.get("zookeeper", {}).get("handover"):
        in_process.append(("ZooKeeper: library in process", backends["zookeeper"]["handover"]))
    if etcd and etcd.get("handover"):
        in_process.append(("etcd: library in process", etcd["handover"]["swift"]))
    rows += [stats_row(label, s, "resign() to the next body") for label, s in in_process]
    ratios = []
    if backends and backends.get("zookeeperOverKazooP50"):
        ratios.append(f"ZooKeeper leader / kazoo: p50 {backends['zookeeperOverKazooP50']:.2f}, p99 {backends['zookeeperOverKazooP99']:.2f}")
    if etcd and etcd.get("handover"):
        ratios.append(f"etcd leader / etcdctl: p50 {etcd['handover']['p50Ratio']:.2f}, p99 {etcd['handover']['p99Ratio']:.2f}")
    if ratios:
        rows += ["", "Ratios, both sides timed the same way in the same run: " + "; ".join(ratios) + "."]
    tables["handover"] = "\n".join(rows)

    figure, axes = plt.subplots(figsize=(8, 0.5 * len(handover) + 1.5))
    labels = [label for label, _, _ in handover][::-1]
    p50 = [s["p50"] for _, s, _ in handover][::-1]
    p99 = [s["p99"] for _, s, _ in handover][::-1]
    ys = range(len(labels))
    axes.barh([y + 0.2 for y in ys], p99, height=0.4, label="p99", color="#c6dbef")
    axes.barh([y - 0.2 for y in ys], p50, height=0.4, label="p50", color="#2171b5")
    axes.set_yticks(list(ys))
    axes.set_yticklabels(labels)
    axes.set_xlabel("milliseconds from the signal to the next leader's line")
    axes.set_title("Graceful handover, process to process")
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(os.path.join(charts, "handover.png"), dpi=110)
    plt.close(figure)

# Crash failover: SIGKILL of the leader process until the next one is elected.
failover = []  # (label, ttl seconds, statistics)
if sqlite and sqlite.get("failover"):
    failover.append(("SQLite", sqlite["failover"]["ttlSeconds"], sqlite["failover"]["latencyMilliseconds"]))
if backends:
    for key, name in (("postgres", "PostgreSQL"), ("zookeeper", "ZooKeeper")):
        entry = backends.get(key, {})
        if entry.get("failover"):
            failover.append((name, entry["failoverTTLSeconds"], entry["failover"]))
if etcd:
    for entry in etcd.get("failovers", []):
        failover.append(("etcd", entry["ttlSeconds"], entry["latencyMilliseconds"]))
if failover:
    rows = ["| crash failover (SIGKILL) | TTL s | n | p50 ms | p90 ms | p99 ms | max ms | worst − TTL ms |", "|---|---|---|---|---|---|---|---|"]
    for name, ttl, s in failover:
        worst = s["p99"] if s["count"] >= 100 else s["maximum"]
        rows.append(f"| {name} | {ttl:g} | {s['count']} | {s['p50']:.0f} | {s['p90']:.0f} | {p99_cell(s, 0)} | {s['maximum']:.0f} | {worst - ttl * 1000:.0f} ({p99_label(s)}) |")
    tables["failover"] = "\n".join(rows)

    figure, axes = plt.subplots(figsize=(8, 0.5 * len(failover) + 1.5))
    labels = [f"{name}, TTL {ttl:g} s" for name, ttl, _ in failover][::-1]
    over50 = [s["p50"] / (ttl * 1000) for _, ttl, s in failover][::-1]
    overmax = [s["maximum"] / (ttl * 1000) for _, ttl, s in failover][::-1]
    ys = range(len(labels))
    axes.barh([y + 0.2 for y in ys], overmax, height=0.4, label="max", color="#fcbba1")
    axes.barh([y - 0.2 for y in ys], over50, height=0.4, label="p50", color="#cb181d")
    axes.axvline(1.0, color="black", linewidth=0.8, linestyle="--")
    axes.set_yticks(list(ys))
    axes.set_yticklabels(labels)
    axes.set_xlabel("failover time / lease TTL (the dashed line is one TTL)")
    axes.set_title("Crash failover: SIGKILL of the leader until the next is elected")
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(os.path.join(charts, "failover.png"), dpi=110)
    plt.close(figure)

# Idle cost of the etcd backend.
if etcd and etcd.get("idle"):
    idle = etcd["idle"]
    tables["idle"] = "\n".join([
        "| etcd, TTL 5 s | gRPC messages etcd received per second |",
        "|---|---|",
        f"| leader | {idle['leaderPerSecond']:.2f} |",
        f"| waiting candidate | {idle['waitingCandidatePerSecond']:.2f} |",
        f"| baseline (no candidate) | {idle['baselinePerSecond']:.2f} |",
    ])

# etcd with a crowd of waiting candidates in one election.
if etcd and etcd.get("crowd"):
    crowd = etcd["crowd"]
    s = crowd["handoverMilliseconds"]
    tables["crowd"] = "\n".join([
        "| etcd, waiting candidates | connections | handovers | p50 ms | p90 ms | worst ms | watch events etcd sent per handover |",
        "|---|---|---|---|---|---|---|",
        f"| {crowd['candidates']} | {crowd['connections']} | {s['count']} | {s['p50']:.1f} | {s['p90']:.1f} | {(s['p99'] if s['count'] >= 100 else s['maximum']):.1f} ({p99_label(s)}) | {crowd['watchEventsPerHandover']:.2f} |",
    ])

# The billing service: renewals per second, engine + store + sandbox over HTTP.
if billing:
    rows = ["| store | sandbox latency ms | renewals | seconds | renewals/s | double | missed |", "|---|---|---|---|---|---|---|"]
    for run in billing:
        audit = run["audit"]
        rows.append(f"| {run['store']} | {run['latencyMilliseconds']} | {run['charged']} | {run['seconds']:.1f} | {run['renewalsPerSecond']:.0f} | {audit['doubleCharges']} | {audit['missed']} |")
    tables["billing"] = "\n".join(rows)

    figure, axes = plt.subplots(figsize=(8, 3))
    labels = [f"{run['store']}, {run['latencyMilliseconds']} ms" for run in billing]
    axes.bar(labels, [run["renewalsPerSecond"] for run in billing], color="#41ab5d")
    axes.set_ylabel("renewals per second")
    axes.set_title("Billing: renewals per second by store and sandbox latency")
    figure.tight_layout()
    figure.savefig(os.path.join(charts, "billing.png"), dpi=110)
    plt.close(figure)

# When each figure was measured (the reports' own dates).
runs = [("scripts/bench.sh", sqlite), ("scripts/etcd-bench.sh", etcd), ("scripts/backends-bench.sh", backends)]
rows = ["| script | measured | cores |", "|---|---|---|"]
rows += [f"| `{script}` | {report.get('date', '?')} | {report.get('cores', '?')} |" for script, report in runs if report]
if billing:
    billing_mtime = os.path.getmtime(os.path.join(results, "billing.json"))
    rows.append(f"| `scripts/billing-bench.sh` | {datetime.datetime.fromtimestamp(billing_mtime, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')} | |")
if len(rows) > 2:
    tables["runs"] = "\n".join(rows)

# Rewrite the marked tables in docs/benchmarks.md.
document = os.path.join(docs, "benchmarks.md")
if os.path.exists(document):
    text = open(document).read()
    for name, table in tables.items():
        pattern = re.compile(rf"(<!-- figures:{name} -->\n).*?(\n<!-- /figures:{name} -->)", re.S)
        text = pattern.sub(lambda m: m.group(1) + table + m.group(2), text)
    open(document, "w").write(text)
print(f"plot-benchmarks: {len(tables)} table(s) and their charts from {results}/ into {document} and {charts}/")
