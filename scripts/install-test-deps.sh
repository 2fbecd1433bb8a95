#!/usr/bin/env bash
# Installs what the tests need beyond Swift, from Debian's packages and PyPI (needs root when
# something is missing; quick and silent when everything is there): etcd-server and etcd-client
# (the etcd backend's tests start their own members), postgresql (the billing store and the
# PostgreSQL election tests start a throwaway server), zookeeper (the ZooKeeper backend's tests
# start their own servers with java from its jars), chromium and chromium-driver (the dashboard is
# tested in a real headless browser), and the Python libraries stripe (the sandbox is checked
# against it), kazoo (the ZooKeeper backend is checked against its Election recipe), selenium
# (drives the dashboard test) and schemathesis (fuzzes the subscriptions API, scripts/api-fuzz.sh);
# iproute2 and util-linux's setpriv for the fault-injection suite's network namespaces and its
# PostgreSQL, faketime (libfaketime) for its clock faults and sqlite3 for reading its SQLite tier's
# database.
set -euo pipefail
packages=()
command -v etcd >/dev/null 2>&1 || packages+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || packages+=(etcd-client)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql)
[[ -f /usr/share/java/zookeeper.jar ]] || packages+=(zookeeper)
command -v ip >/dev/null 2>&1 || packages+=(iproute2)
command -v setpriv >/dev/null 2>&1 || packages+=(util-linux)
command -v sqlite3 >/dev/null 2>&1 || packages+=(sqlite3)
[[ -f /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ]] || ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || packages+=(faketime)
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
python_packages=()
python3 -c 'import stripe' 2>/dev/null || python_packages+=(stripe)
python3 -c 'import kazoo' 2>/dev/null || python_packages+=(kazoo)
python3 -c 'import selenium' 2>/dev/null || python_packages+=(selenium)
command -v schemathesis >/dev/null 2>&1 || python_packages+=(schemathesis)
if (( ${#packages[@]} + ${#python_packages[@]} )) && [[ $(id -u) -ne 0 ]]; then
    echo "install-test-deps: missing ${packages[*]} ${python_packages[*]}; run: sudo $0" >&2
    exit 1
fi
if (( ${#packages[@]} )); then
    echo "== apt-get install ${packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi
# Where systemd runs, Debian's packages also start a system etcd, PostgreSQL and ZooKeeper on their
# default ports; the tests use their own servers on free ports and do not need them.
if (( ${#python_packages[@]} )); then
    echo "== pip install ${python_packages[*]}"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --break-system-packages "${python_packages[@]}" \
        || python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${python_packages[@]}"
fi
