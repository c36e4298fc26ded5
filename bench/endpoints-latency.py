#!/usr/bin/env python3
"""100 endpoints under network latency (issue 15): a delaying TCP proxy (bench/delay_proxy.py)
in front of one `openssl s_server` per endpoint on loopback gives every round trip ~2 x DELAY.
Measures one endpoint's full `vetter assess` time at that latency (median of RUNS), then N
endpoints with --concurrency C (median of RUNS). Target: N finish within 1.5 x ceil(N/C) x
one endpoint's time. Also counts the connections each endpoint cost (the proxy counts them),
which times the round trip bounds one endpoint's time from below.

Benchmark only (never run by scripts/test). Prints `uptime` before and after (the machine is
shared). Usage:
    bench/endpoints-latency.py [--vetter target/release/vetter] [--delay-ms 25] [--n 100]
                               [--concurrency 32] [--runs 3]
"""

import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tls_compare import ROOT, make_certs, manifest, s_server, vetter  # noqa: E402


def timed(fn, runs):
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), min(ts), max(ts)


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main():
    default = os.path.join(ROOT, "target", "release", "vetter")
    if not os.path.exists(default):
        default = os.path.join(ROOT, "target", "debug", "vetter")
    ap = argparse.ArgumentParser()
    ap.add_argument("--vetter", default=default)
    ap.add_argument("--delay-ms", type=float, default=25.0, help="per direction")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    print(f"vetter: {a.vetter}")
    print(f"before: {uptime()}")
    d = tempfile.mkdtemp(prefix="vetter-latency-")
    make_certs(d)
    servers, proxy = [], None
    try:
        ups = []
        for _ in range(a.n):
            p, port = s_server(d, "default", [])
            servers.append(p)
            ups.append(port)
        counts = f"{d}/counts.json"
        proxy = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "bench", "delay_proxy.py"), "--delay-ms", str(a.delay_ms),
             "--counts", counts, *map(str, ups)],
            stdout=subprocess.PIPE, text=True)
        ready = proxy.stdout.readline().split()
        if not ready or ready[0] != "ready":
            raise RuntimeError("delay_proxy.py did not start")
        listens = [int(p) for p in ready[1:]]
        urls = [(f"https://127.0.0.1:{lp}/", None) for lp in listens]
        one = manifest(d, "one", urls[:1])
        many = manifest(d, "many", urls)
        got = []
        t1 = timed(lambda: got.append(vetter(a.vetter, d, one)), a.runs)
        one_errors = [e["error"] or e["http"].get("error") for e in got[-1] if e["error"] or e["http"].get("error")]
        tn = timed(lambda: got.append(vetter(a.vetter, d, many, ["--concurrency", str(a.concurrency)])), a.runs)
        errors = [e["error"] or e["http"].get("error") for e in got[-1] if e["error"] or e["http"].get("error")]
        incomplete = sum(1 for e in got[-1] if (e.get("tls") or {}).get("incomplete"))
        proxy.send_signal(signal.SIGTERM)
        proxy.wait(timeout=30)
        with open(counts) as f:
            c = json.load(f)
        # Endpoint 0 took part in every run; the others only in the N-endpoint runs.
        each = [c.get(str(lp), 0) / a.runs for lp in listens[1:]] or [0]
        per = statistics.mean(each)
        waves = math.ceil(a.n / a.concurrency)
        target = 1.5 * waves * t1[0]
        rtt = 2 * a.delay_ms / 1000
        print(f"round trip added: {rtt * 1000:.0f} ms")
        print(f"one endpoint: median {t1[0]:.2f} s (min {t1[1]:.2f}, max {t1[2]:.2f}); errors: {one_errors}")
        print(f"{a.n} endpoints, --concurrency {a.concurrency}: median {tn[0]:.2f} s "
              f"(min {tn[1]:.2f}, max {tn[2]:.2f}); endpoint errors: {len(errors)}; incomplete: {incomplete}")
        for e in errors[:3]:
            print(f"  e.g. {e}")
        print(f"connections per endpoint: {per:.1f} (min {min(each):.1f}, max {max(each):.1f}) -> "
              f"at least {per * rtt:.2f} s of round trips each")
        print(f"ratio {tn[0] / t1[0]:.2f} x one endpoint; ideal {waves} waves = {waves * t1[0]:.2f} s; "
              f"target <= 1.5 x {waves} x {t1[0]:.2f} = {target:.2f} s: {'met' if tn[0] <= target else 'NOT met'}")
    finally:
        if proxy and proxy.poll() is None:
            proxy.kill()
            proxy.wait()
        for p in servers:
            p.kill()
            p.wait()
        print(f"after: {uptime()}")


if __name__ == "__main__":
    main()
