#!/usr/bin/env python3
"""TLS comparison and speed benchmark: vetter against sslyze on local `openssl s_server`s.

1. Starts the openssl s_server configurations the endpoint tests use (TLS 1.0 only, weak
   suites, TLS 1.2-only AES-256-GCM, TLS 1.3 only, default, self-signed) on 127.0.0.1, runs
   `vetter assess --save-facts` and `sslyze` on each, and compares accepted versions and suites.
2. Times full version + suite + group enumeration of one host (the weak-suite server), median
   of 5, vetter vs sslyze and sslscan.
3. Times 100 endpoints on 127.0.0.2..101 (one s_server each) with --concurrency 32 against one.

Benchmark only (never run by scripts/test). sslyze is installed into target/sslyze-venv:
    python3 -m venv target/sslyze-venv && target/sslyze-venv/bin/pip install sslyze
Usage: bench/tls_compare.py [--vetter target/release/vetter] [--skip-100]
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SSLYZE = os.path.join(ROOT, "target", "sslyze-venv", "bin", "sslyze")

CONFIGS = {
    "tls1.0-only": ["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"],
    "weak-suites": ["-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
    "tls1.2-aes256gcm": ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"],
    "tls1.3-only": ["-tls1_3"],
    "default": [],
    "self-signed": [],
}
VERSIONS = {
    "ssl3": "ssl_3_0_cipher_suites",
    "1.0": "tls_1_0_cipher_suites",
    "1.1": "tls_1_1_cipher_suites",
    "1.2": "tls_1_2_cipher_suites",
    "1.3": "tls_1_3_cipher_suites",
}


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def make_certs(d):
    """A CA, RSA and ECDSA leaves for localhost signed by it, and a self-signed leaf."""
    sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem", "-days", "30", "-subj", "/CN=bench CA"])
    for kind, opts in (("rsa", ["rsa:2048"]), ("ec", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])):
        sh(["openssl", "req", "-newkey", *opts, "-nodes", "-keyout", f"{d}/{kind}.key",
            "-out", f"{d}/{kind}.csr", "-subj", "/CN=localhost"])
        with open(f"{d}/ext.cnf", "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        sh(["openssl", "x509", "-req", "-in", f"{d}/{kind}.csr", "-CA", f"{d}/ca.pem", "-CAkey",
            f"{d}/ca.key", "-CAcreateserial", "-out", f"{d}/{kind}.pem", "-days", "30",
            "-extfile", f"{d}/ext.cnf"])
    sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{d}/self.key",
        "-out", f"{d}/self.pem", "-days", "30", "-subj", "/CN=localhost"])


def free_port(addr="127.0.0.1"):
    s = socket.socket()
    s.bind((addr, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def s_server(d, name, args, addr="127.0.0.1", port=None):
    port = port or free_port(addr)
    if name == "self-signed":
        certs = ["-cert", f"{d}/self.pem", "-key", f"{d}/self.key"]
    else:
        certs = ["-cert", f"{d}/rsa.pem", "-key", f"{d}/rsa.key", "-dcert", f"{d}/ec.pem", "-dkey", f"{d}/ec.key"]
    p = subprocess.Popen(["openssl", "s_server", "-accept", f"{addr}:{port}", "-www", "-quiet", *certs, *args],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    until = time.time() + 10
    while time.time() < until:
        try:
            socket.create_connection((addr, port), timeout=0.2).close()
            return p, port
        except OSError:
            time.sleep(0.02)
    p.kill()
    raise RuntimeError(f"s_server {name} did not start")


def manifest(d, tag, urls):
    path = f"{d}/{tag}.toml"
    with open(path, "w") as f:
        f.write(f'[vendor]\nname = "bench {tag}"\n')
        for u, resolve in urls:
            f.write(f'\n[[endpoint]]\nurl = "{u}"\n')
            if resolve:
                f.write(f'resolve = "{resolve}"\n')
    return path


def vetter(exe, d, m, extra=()):
    facts = m + ".facts.json"
    subprocess.run([exe, "assess", m, "-q", "--timeout", "5", "--ca-file", f"{d}/ca.pem", "--save-facts", facts,
                    "--format", "json", "--output", os.devnull, *extra], check=False, capture_output=True)
    with open(facts) as f:
        return json.load(f)["facts"]["endpoints"]


def vetter_accepted(ep):
    out = {}
    for v, key in (("ssl3", "ssl3"), ("1.0", "tls1_0"), ("1.1", "tls1_1"), ("1.2", "tls1_2"), ("1.3", "tls1_3")):
        if ep["tls"]["versions"][key]:
            out[v] = sorted(c["name"] for c in ep["tls"]["ciphers"] if c["version"] == v)
    return out


def suite_ids():
    """IANA name -> code, from vetter's own suite table (so sslscan's hex ids compare by name)."""
    import re
    with open(os.path.join(ROOT, "src", "probe", "endpoint", "suites_table.rs")) as f:
        return {m.group(2): int(m.group(1), 16)
                for m in re.finditer(r'code: 0x([0-9a-f]{4}), name: "([A-Za-z0-9_]+)"', f.read())}


SSLSCAN_VERSIONS = {"SSLv3": "ssl3", "TLSv1.0": "1.0", "TLSv1.1": "1.1", "TLSv1.2": "1.2", "TLSv1.3": "1.3"}


def sslscan(port, out, ids):
    """Accepted suites per version from Debian's sslscan (second opinion), as IANA names."""
    import xml.etree.ElementTree as ET
    subprocess.run(["sslscan", "--no-colour", "--no-heartbleed", "--no-renegotiation", "--no-compression",
                    "--no-fallback", f"--xml={out}", f"127.0.0.1:{port}"], check=False, capture_output=True)
    names = {v: k for k, v in ids.items()}
    acc = {}
    for c in ET.parse(out).getroot().iter("cipher"):
        v = SSLSCAN_VERSIONS.get(c.get("sslversion"))
        code = int(c.get("id"), 16)
        acc.setdefault(v, []).append(names.get(code, f"0x{code:04x}"))
    return {k: sorted(x) for k, x in acc.items()}


def compare(label, name, v, other):
    if v == other:
        print(f"AGREE     {name} ({label}): " + ", ".join(f"{k}: {len(x)} suites" for k, x in v.items()))
        return True
    print(f"DISAGREE  {name} ({label}):")
    for k in sorted(set(v) | set(other)):
        only_v = sorted(set(v.get(k, [])) - set(other.get(k, [])))
        only_o = sorted(set(other.get(k, [])) - set(v.get(k, [])))
        if k not in v or k not in other:
            print(f"  version {k}: vetter {'accepts' if k in v else 'refuses'}, "
                  f"{label} {'accepts' if k in other else 'refuses'}")
        if only_v:
            print(f"  {k} only vetter: {only_v}")
        if only_o:
            print(f"  {k} only {label}: {only_o}")
    return False


SSLYZE_CMDS = ["--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3", "--elliptic_curves"]


def sslyze(port, out):
    subprocess.run([SSLYZE, *SSLYZE_CMDS, "--quiet", f"--json_out={out}", f"localhost:{port}{{127.0.0.1}}"],
                   check=False, capture_output=True)
    with open(out) as f:
        r = json.load(f)["server_scan_results"][0]["scan_result"]
    acc = {}
    for v, key in VERSIONS.items():
        res = (r.get(key) or {}).get("result") or {}
        names = sorted(c["cipher_suite"]["name"] for c in res.get("accepted_cipher_suites", []))
        if names:
            acc[v] = names
    return acc


def children_cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def servers_cpu(procs):
    """utime + stime of running processes, from /proc (seconds)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in procs:
        with open(f"/proc/{p.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def median_time(fn, n=5):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), min(ts), max(ts)


def main():
    ap = argparse.ArgumentParser()
    default = os.path.join(ROOT, "target", "release", "vetter")
    if not os.path.exists(default):
        default = os.path.join(ROOT, "target", "debug", "vetter")
    ap.add_argument("--vetter", default=default)
    ap.add_argument("--skip-100", action="store_true")
    a = ap.parse_args()
    have_sslyze = os.path.exists(SSLYZE)
    if not have_sslyze:
        print(f"sslyze not found at {SSLYZE}; install it (see this file's docstring)", file=sys.stderr)
    d = tempfile.mkdtemp(prefix="vetter-bench-")
    make_certs(d)
    print(f"vetter: {a.vetter}")
    agree = disagree = 0
    procs = []
    try:
        ports = {}
        for name, args in CONFIGS.items():
            p, port = s_server(d, name, args)
            procs.append(p)
            ports[name] = port
        print("\n## Accepted versions and suites: vetter vs sslyze (and sslscan, second opinion)")
        have_sslscan = subprocess.run(["sh", "-c", "command -v sslscan"], capture_output=True).returncode == 0
        ids = suite_ids()
        scan_agree = scan_disagree = 0
        for name, port in ports.items():
            m = manifest(d, name, [(f"https://localhost:{port}/", "127.0.0.1")])
            ep = vetter(a.vetter, d, m)[0]
            v = vetter_accepted(ep)
            if not have_sslyze:
                print(f"{name}: vetter {json.dumps({k: len(x) for k, x in v.items()})}")
            elif compare("sslyze", name, v, sslyze(port, f"{d}/{name}.sslyze.json")):
                agree += 1
            else:
                disagree += 1
            if have_sslscan:
                if compare("sslscan", name, v, sslscan(port, f"{d}/{name}.sslscan.xml", ids)):
                    scan_agree += 1
                else:
                    scan_disagree += 1
        if have_sslyze:
            print(f"sslyze agreements: {agree}, disagreements: {disagree}")
        if have_sslscan:
            print(f"sslscan agreements: {scan_agree}, disagreements: {scan_disagree}")
        else:
            print("sslscan: not installed (apt-get install sslscan)")

        print("\n## One host, full enumeration (weak-suites server), median of 5")
        port = ports["weak-suites"]
        m = manifest(d, "one", [(f"https://localhost:{port}/", "127.0.0.1")])
        vt = median_time(lambda: vetter(a.vetter, d, m))
        print(f"vetter: median {vt[0]:.3f} s (min {vt[1]:.3f}, max {vt[2]:.3f})")
        if have_sslyze:
            st = median_time(lambda: sslyze(port, f"{d}/one.sslyze.json"))
            print(f"sslyze: median {st[0]:.3f} s (min {st[1]:.3f}, max {st[2]:.3f})")
            print(f"vetter is {st[0] / vt[0]:.1f}x faster")
        if have_sslscan:
            # sslscan's default scan: versions, every suite per version, groups, the certificate
            # (the same ground as vetter's enumeration; heartbleed/renegotiation/compression off).
            ct = median_time(lambda: sslscan(port, f"{d}/one.sslscan.xml", ids))
            print(f"sslscan: median {ct[0]:.3f} s (min {ct[1]:.3f}, max {ct[2]:.3f})")
            print(f"vetter is {ct[0] / vt[0]:.1f}x faster than sslscan")
    finally:
        for p in procs:
            p.kill()
            p.wait()

    if a.skip_100:
        return
    print("\n## 100 endpoints on 127.0.0.2..101 (default s_server each), --concurrency 32 vs one")
    procs = []
    try:
        port = 4433
        for i in range(2, 102):
            p, _ = s_server(d, "default", [], addr=f"127.0.0.{i}", port=port)
            procs.append(p)
        one = manifest(d, "single", [(f"https://127.0.0.2:{port}/", None)])
        many = manifest(d, "hundred", [(f"https://127.0.0.{i}:{port}/", None) for i in range(2, 102)])
        t1 = median_time(lambda: vetter(a.vetter, d, one), 5)
        eps = []
        t100 = median_time(lambda: eps.append(vetter(a.vetter, d, many, ["--concurrency", "32"])), 3)
        errors = sum(1 for e in eps[-1] if e["error"])
        print(f"one endpoint: median {t1[0]:.3f} s; 100 endpoints: median {t100[0]:.3f} s "
              f"(min {t100[1]:.3f}, max {t100[2]:.3f}); ratio {t100[0] / t1[0]:.1f}x; endpoint errors: {errors}")
        # Where the time goes: CPU seconds spent by vetter and by the servers for one run of each.
        # On loopback every handshake costs CPU on both ends, so the machine's cores bound the
        # 100-host time from below: (client CPU + server CPU) / cores.
        cores = os.cpu_count() or 1
        for tag, m, extra, srv in (("one", one, [], procs[:1]), ("hundred", many, ["--concurrency", "32"], procs)):
            c0, s0 = children_cpu(), servers_cpu(srv)
            w0 = time.perf_counter()
            vetter(a.vetter, d, m, extra)
            wall = time.perf_counter() - w0
            c, s = children_cpu() - c0, servers_cpu(srv) - s0
            print(f"{tag}: wall {wall:.3f} s; vetter CPU {c:.3f} s; s_server CPU {s:.3f} s; "
                  f"CPU-bound floor on {cores} cores {(c + s) / cores:.3f} s")
    finally:
        for p in procs:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
