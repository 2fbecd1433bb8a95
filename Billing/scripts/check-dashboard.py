#!/usr/bin/env python3
"""Checks the billing dashboard in a real headless Chromium (Selenium, Debian's chromium-driver).

Usage: check-dashboard.py DASHBOARD_URL [SCREENSHOT.png]

Loads the page while a cluster runs, checks that it shows the leader that /cluster reports
(node id and fencing token), kills that leader (SIGKILL, by the pid its /status gives), and checks
that the page follows the failover to a new leader with a higher token. Prints one JSON line;
exits 0 on success, 1 on a failed check, 2 when the browser cannot be started.
"""
import json
import os
import signal
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException


def cluster(url):
    with urllib.request.urlopen(url.rstrip("/") + "/cluster", timeout=3) as response:
        return json.load(response)


def leader_of(status):
    leaders = [n for n in status["nodes"] if n["role"] == "leader"]
    return max(leaders, key=lambda n: n.get("token") or 0) if leaders else None


def wait(what, timeout, probe):
    """Polls `probe` until it returns something true. The page re-renders twice a second, so an
    element read between two renders can go stale, and a loaded machine can time a request out:
    such errors are retried, not failures."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            value = probe()
            if value:
                return value
        except (WebDriverException, OSError) as error:
            last = error
        time.sleep(0.1)
    raise AssertionError("timed out after %ss waiting for %s%s" % (timeout, what, " (last error: %s)" % last if last else ""))


def main():
    url = sys.argv[1]
    screenshot = sys.argv[2] if len(sys.argv) > 2 else None
    options = Options()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    if os.path.exists("/usr/bin/chromium"):
        options.binary_location = "/usr/bin/chromium"
    try:
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    except Exception as error:  # the browser itself is missing or broken
        print(json.dumps({"ok": False, "error": "cannot start headless Chromium: %s" % error}))
        return 2
    result = {"ok": False}
    try:
        driver.get(url)
        text = lambda element_id: driver.find_element(By.ID, element_id).text
        before = wait("a leader in /cluster", 60, lambda: leader_of(cluster(url)))
        wait("the page to show leader %s token %s" % (before["nodeID"], before["token"]), 15,
             lambda: text("leader-id") == before["nodeID"] and text("leader-token") == str(before["token"]))
        wait("the lease countdown", 10, lambda: text("lease-remaining").endswith("s left"))
        result["before"] = {"leader": before["nodeID"], "token": before["token"]}
        if screenshot:
            time.sleep(1.5)
            driver.save_screenshot(screenshot)
        os.kill(before["pid"], signal.SIGKILL)
        killed = time.time()
        after = wait("the page to show a new leader", 45,
                     lambda: text("leader-id") not in ("", "none", before["nodeID"])
                     and text("leader-token").isdigit() and int(text("leader-token")) > before["token"])
        shown = after and text("leader-id")
        now = wait("/cluster to agree with the page (%s)" % shown, 10,
                   lambda: (lambda leader: leader if leader and leader["nodeID"] == text("leader-id") else None)(leader_of(cluster(url))))
        tokens = wait("both terms in the terms table", 10, lambda: (lambda tokens: tokens if before["token"] in tokens and now["token"] in tokens else None)(
            driver.execute_script("return [...document.querySelectorAll('#terms tbody tr')].map(r => Number(r.dataset.token))")))
        result.update(ok=True, after={"leader": now["nodeID"], "token": now["token"]},
                      pageFollowedAfterSeconds=round(time.time() - killed, 2))
    except AssertionError as error:
        result["error"] = str(error)
    finally:
        driver.quit()
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
