#!/usr/bin/env bash
# Installs what the tests need beyond Swift, from Debian's packages and PyPI (needs root):
# etcd-server and etcd-client (the etcd backend's tests start their own members), postgresql (the
# billing store and PostgreSQL election tests start a throwaway server), zookeeper (the ZooKeeper
# backend's tests start their own servers with java from its jars), Stripe's Python library (the
# sandbox is checked against it) and kazoo (the ZooKeeper backend is checked against its Election
# recipe). Skips what is already installed.
set -euo pipefail
packages=()
command -v etcd >/dev/null 2>&1 || packages+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || packages+=(etcd-client)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql)
[[ -f /usr/share/java/zookeeper.jar ]] || packages+=(zookeeper)
if (( ${#packages[@]} )); then
    echo "== apt-get install ${packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi
# Where systemd runs, Debian's packages also start a system etcd, PostgreSQL and ZooKeeper on their
# default ports; the tests use their own servers on free ports and do not need them.
if ! python3 -c 'import stripe' 2>/dev/null; then
    echo "== pip install stripe"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --break-system-packages stripe \
        || python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore stripe
fi
python3 -c 'import stripe; print("== stripe-python", stripe.VERSION)'
if ! python3 -c 'import kazoo' 2>/dev/null; then
    echo "== pip install kazoo"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --break-system-packages kazoo \
        || python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore kazoo
fi
python3 -c 'import kazoo.version; print("== kazoo", kazoo.version.__version__)'
