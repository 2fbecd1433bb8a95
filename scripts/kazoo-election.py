#!/usr/bin/env python3
"""A kazoo Election candidate, driven by the ZooKeeper backend's interop tests and benchmark.

  kazoo-election.py candidate HOSTS PATH IDENTIFIER
      Runs kazoo.recipe.election.Election(PATH, IDENTIFIER). Prints "waiting", then
      "elected MONOTONIC_NS" once it leads, then waits for a line on standard input ("release")
      and resigns; prints "released MONOTONIC_NS" and exits. Standard input closing also releases.
      With KAZOO_RELEASE_ON=signal it leads until SIGTERM instead (then resigns the same way).
  kazoo-election.py contenders HOSTS PATH
      Prints the election's contenders (kazoo's view), leader first, as one JSON list.
"""
import json
import os
import signal
import sys
import time

from kazoo.client import KazooClient


def boottime_ns():
    """CLOCK_BOOTTIME, the clock of the `leader` CLI's mono_ns fields and of the benchmarks."""
    return time.clock_gettime_ns(time.CLOCK_BOOTTIME)


def main():
    mode, hosts, path = sys.argv[1], sys.argv[2], sys.argv[3]
    client = KazooClient(hosts=hosts, timeout=10.0)
    client.start(timeout=30)
    try:
        if mode == "contenders":
            print(json.dumps(client.Election(path).contenders()), flush=True)
        elif mode == "candidate":
            election = client.Election(path, sys.argv[4])

            on_signal = os.environ.get("KAZOO_RELEASE_ON") == "signal"
            if on_signal:
                # Leaving the `with lock` block by this exception releases the lock (deletes the znode).
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

            def lead():
                print("elected %d" % boottime_ns(), flush=True)
                if on_signal:
                    while True:
                        time.sleep(3600)
                sys.stdin.readline()

            print("waiting", flush=True)
            election.run(lead)
            print("released %d" % boottime_ns(), flush=True)
        else:
            sys.exit("unknown mode %r" % mode)
    finally:
        client.stop()
        client.close()


if __name__ == "__main__":
    main()
