#!/usr/bin/env python3
"""vetter against sslscan and testssl.sh on every test-server configuration the endpoint tests use.

Starts each configuration (openssl s_server, gnutls-serv, nginx, lighttpd + mod_wolfssl,
lighttpd + mod_mbedtls) on loopback, runs `vetter assess --save-facts`, `sslscan --xml=-` and
`testssl.sh --jsonfile` against it, and diffs accepted versions, suites per version, groups and
certificates (SHA-256 of each leaf). Every difference is then arbitrated by a direct handshake
with exactly that version / suite / group (`openssl s_client`, or `gnutls-cli` for what the
system OpenSSL cannot offer) and the verdict printed beside it.

gnutls-serv binds every interface, so it runs in a network namespace of its own
(`unshare --net`, loopback up) and every tool is run inside that namespace with
`nsenter --net=/proc/PID/ns/net` (needs root; the tests use an unprivileged relay instead).

Benchmark only (never run by scripts/test). Needs sslscan, testssl.sh (Debian `testssl.sh`,
run with the system openssl), gnutls-bin, nginx-light, lighttpd with mod_wolfssl/mod_mbedtls.
Usage: bench/tls_stacks.py [--vetter PATH] [--only NAME,...] [--no-testssl] [--jobs N]
       [--json OUT]
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSIONS = ["ssl3", "1.0", "1.1", "1.2", "1.3"]
VETTER_KEYS = {"ssl3": "ssl3", "1.0": "tls1_0", "1.1": "tls1_1", "1.2": "tls1_2", "1.3": "tls1_3"}

# The configurations of tests/endpoint/ (mod.rs, tls_verdicts.rs, certs.rs, gnutls.rs, nginx.rs).
GNUTLS_LEGACY = ("NONE:+VERS-TLS1.0:+VERS-TLS1.2:+ECDHE-ECDSA:+RSA:+AES-128-CBC:+3DES-CBC:+AES-256-GCM:"
                 "+SHA1:+AEAD:+SIGN-ALL:+COMP-NULL:+GROUP-SECP256R1:+GROUP-X25519")
CONFIGS = [
    ("s_server tls1.2 aes256gcm", "s_server", ["ec"], ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"]),
    ("s_server tls1.0 only", "s_server", ["ec"], ["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]),
    ("s_server tls1.3 only", "s_server", ["ec"], ["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"]),
    ("s_server weak + non-FS", "s_server", ["ec"],
     ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0"]),
    ("s_server legacy curves", "s_server", ["ec"],
     ["-groups", "X25519:P-256:prime192v1:brainpoolP256r1", "-cipher", "DEFAULT:@SECLEVEL=0"]),
    ("s_server tls1.2 cert curve first", "s_server", ["ec"],
     ["-tls1_2", "-groups", "P-256:prime192v1", "-cipher", "DEFAULT:@SECLEVEL=0"]),
    ("s_server ECDSA + RSA", "s_server", ["ec", "rsa"], []),
    ("s_server ECDSA + Ed25519 tls1.3", "s_server", ["ec", "ed"], ["-tls1_3"]),
    ("s_server RSA only", "s_server", ["rsa"], []),
    ("gnutls tls1.0+1.2 3DES", "gnutls", ["ec", "rsa"], GNUTLS_LEGACY),
    ("gnutls tls1.3 only", "gnutls", ["ec"], "NORMAL:-VERS-ALL:+VERS-TLS1.3"),
    ("gnutls NORMAL + secp192/224", "gnutls", ["ec"], "NORMAL:+GROUP-SECP192R1:+GROUP-SECP224R1"),
    ("gnutls NORMAL ECDSA + RSA", "gnutls", ["ec", "rsa"], "NORMAL"),
    ("gnutls ECDSA P-256 + P-384 tls1.3", "gnutls", ["ec", "ec384"], "NORMAL:-VERS-ALL:+VERS-TLS1.3"),
    ("nginx tls1.0+1.2 NULL", "nginx", ["ec"],
     "ssl_protocols TLSv1 TLSv1.2;\n ssl_ciphers "
     "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-NULL-SHA:ECDHE-ECDSA-AES256-GCM-SHA384:@SECLEVEL=0;"),
    ("nginx tls1.3 only", "nginx", ["ec"], "ssl_protocols TLSv1.3;"),
    ("nginx ECDSA + RSA", "nginx", ["ec", "rsa"], 'add_header Strict-Transport-Security "max-age=63072000";'),
    ("lighttpd wolfSSL", "lighttpd", ["ec"], "mod_wolfssl"),
    ("lighttpd mbedTLS", "lighttpd", ["ec"], "mod_mbedtls"),
]


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def make_certs(d):
    """A CA, and ECDSA P-256 and P-384, RSA 2048 and Ed25519 leaves for localhost signed by it."""
    sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem", "-days", "30", "-subj", "/CN=bench CA"])
    with open(f"{d}/ext.cnf", "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for kind, opts in (("rsa", ["-newkey", "rsa:2048"]),
                       ("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
                       ("ec384", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"]),
                       ("ed", ["-newkey", "ed25519"])):
        sh(["openssl", "req", *opts, "-nodes", "-keyout", f"{d}/{kind}.key", "-out", f"{d}/{kind}.csr",
            "-subj", "/CN=localhost"])
        sh(["openssl", "x509", "-req", "-in", f"{d}/{kind}.csr", "-CA", f"{d}/ca.pem", "-CAkey", f"{d}/ca.key",
            "-CAcreateserial", "-out", f"{d}/{kind}.pem", "-days", "30", "-extfile", f"{d}/ext.cnf"])
    os.chmod(d, 0o755)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


LIVE = set()


class Server:
    """One running configuration: its process, port, and the command prefix that reaches it."""

    def __init__(self, d, name, kind, certs, spec):
        self.name, self.kind, self.prefix = name, kind, []
        self.dir = tempfile.mkdtemp(prefix="srv-", dir=d)
        os.chmod(self.dir, 0o755)
        pem = lambda c: f"{d}/{c}.pem"  # noqa: E731
        key = lambda c: f"{d}/{c}.key"  # noqa: E731
        if kind == "gnutls":
            self.port = 4433
            args = ["gnutls-serv", "--http", "--quiet", "--disable-client-cert", "--nodb", f"--port={self.port}",
                    f"--priority={spec}"]
            for c in certs:
                args += ["--x509certfile", pem(c), "--x509keyfile", key(c)]
            cmd = ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *args]
        else:
            self.port = free_port()
        if kind == "s_server":
            cmd = ["openssl", "s_server", "-accept", f"127.0.0.1:{self.port}", "-www", "-quiet",
                   "-cert", pem(certs[0]), "-key", key(certs[0])]
            if len(certs) > 1:
                cmd += ["-dcert", pem(certs[1]), "-dkey", key(certs[1])]
            cmd += spec
        elif kind == "nginx":
            os.makedirs(f"{self.dir}/html")
            with open(f"{self.dir}/html/index.html", "w") as f:
                f.write("ok\n")
            lines = "".join(f" ssl_certificate {pem(c)}; ssl_certificate_key {key(c)};\n" for c in certs)
            with open(f"{self.dir}/nginx.conf", "w") as f:
                f.write(f"pid {self.dir}/nginx.pid; error_log {self.dir}/error.log; master_process off;\n"
                        f"worker_processes 1; events {{ worker_connections 64; }}\n"
                        f"http {{ access_log off; client_body_temp_path {self.dir}/body;\n"
                        f" server {{ listen 127.0.0.1:{self.port} ssl; root {self.dir}/html;\n{lines} {spec}\n }} }}\n")
            cmd = ["nginx", "-e", f"{self.dir}/error.log", "-p", self.dir, "-c", f"{self.dir}/nginx.conf",
                   "-g", "daemon off;"]
        elif kind == "lighttpd":
            with open(f"{self.dir}/index.html", "w") as f:
                f.write("ok\n")
            with open(f"{self.dir}/lighttpd.conf", "w") as f:
                f.write(f'server.document-root = "{self.dir}"\nserver.bind = "127.0.0.1"\nserver.port = {self.port}\n'
                        f'server.modules += ("{spec}")\nssl.engine = "enable"\nssl.pemfile = "{pem(certs[0])}"\n'
                        f'ssl.privkey = "{key(certs[0])}"\nssl.ca-file = "{d}/ca.pem"\n')
            cmd = ["lighttpd", "-D", "-f", f"{self.dir}/lighttpd.conf"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        LIVE.add(self)
        if kind == "gnutls":
            self.prefix = ["nsenter", f"--net=/proc/{self.proc.pid}/ns/net"]
        until = time.time() + 10
        while time.time() < until:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} did not start")
            if subprocess.run([*self.prefix, "bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{self.port}"],
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{name} did not listen")

    def run(self, args, **kw):
        return subprocess.run([*self.prefix, *args], capture_output=True, text=True, **kw)

    def stop(self):
        LIVE.discard(self)
        try:
            os.killpg(self.proc.pid, 9)
        except ProcessLookupError:
            pass
        self.proc.wait()


# ---------------------------------------------------------------- tables shared by the readers

def suite_table():
    """IANA code -> name, from vetter's own suite table."""
    with open(os.path.join(ROOT, "src", "probe", "endpoint", "suites_table.rs")) as f:
        return {int(m.group(1), 16): m.group(2)
                for m in re.finditer(r'code: 0x([0-9a-f]{4}), name: "([A-Za-z0-9_]+)"', f.read())}


def group_table():
    with open(os.path.join(ROOT, "src", "probe", "endpoint", "ciphers.rs")) as f:
        return {int(m.group(1), 16): m.group(2) for m in re.finditer(r'g\(0x([0-9a-f]{4}), "([^"]+)"', f.read())}


def openssl_names():
    """IANA name -> OpenSSL name, for every suite the system OpenSSL knows (at level 0)."""
    out = sh(["openssl", "ciphers", "-V", "-stdname", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]).stdout
    names = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[1] == "-":
            names[parts[2]] = parts[4]
    return names


# OpenSSL / testssl.sh curve names -> IANA.
CURVE_ALIASES = {"prime256v1": "secp256r1", "prime192v1": "secp192r1", "X25519": "x25519", "X448": "x448",
                 "secp256r1 (NIST P-256)": "secp256r1", "secp384r1 (NIST P-384)": "secp384r1",
                 "secp521r1 (NIST P-521)": "secp521r1"}


def curve(name):
    return CURVE_ALIASES.get(name, name)


# ---------------------------------------------------------------- the three readers

def run_vetter(exe, d, srv):
    m = f"{srv.dir}/vendor.toml"
    with open(m, "w") as f:
        f.write(f'[vendor]\nname = "bench"\n\n[[endpoint]]\nurl = "https://localhost:{srv.port}/"\n'
                f'resolve = "127.0.0.1"\n')
    facts = f"{srv.dir}/facts.json"
    t = time.perf_counter()
    srv.run([exe, "assess", m, "-q", "--timeout", "5", "--ca-file", f"{d}/ca.pem", "--save-facts", facts,
             "--format", "json", "--output", os.devnull])
    took = time.perf_counter() - t
    with open(facts) as f:
        ep = json.load(f)["facts"]["endpoints"][0]
    tls = ep["tls"]
    r = {"versions": {v for v in VERSIONS if tls["versions"][VETTER_KEYS[v]]}, "suites": {},
         "groups": set(tls["groups"] or []), "certs": {}, "time": took, "incomplete": tls.get("incomplete"),
         "error": ep.get("error")}
    for c in tls["ciphers"] or []:
        r["suites"].setdefault(c["version"], set()).add(c["name"])
    for c in tls.get("certs") or [tls["cert"]]:
        if c.get("sha256"):
            r["certs"][c["sha256"].lower()] = c.get("key_type")
    return r


def run_sslscan(srv, suites, groups):
    t = time.perf_counter()
    out = srv.run(["sslscan", "--no-colour", "--no-heartbleed", "--no-renegotiation", "--no-compression",
                   "--no-fallback", "--show-sigs", "--xml=-", f"127.0.0.1:{srv.port}"]).stdout
    took = time.perf_counter() - t
    root = ET.fromstring(out[out.index("<?xml"):])
    r = {"versions": set(), "suites": {}, "groups": set(), "certs": None, "time": took, "cert_types": set()}
    for p in root.iter("protocol"):
        if p.get("enabled") == "1":
            v = {("ssl", "3"): "ssl3"}.get((p.get("type"), p.get("version")), p.get("version"))
            if v in VERSIONS:
                r["versions"].add(v)
    for c in root.iter("cipher"):
        v = {"SSLv3": "ssl3", "TLSv1.0": "1.0", "TLSv1.1": "1.1", "TLSv1.2": "1.2", "TLSv1.3": "1.3"}[c.get("sslversion")]
        code = int(c.get("id"), 16)
        r["suites"].setdefault(v, set()).add(suites.get(code, f"0x{code:04x}"))
    for g in root.iter("group"):
        code = int(g.get("id"), 16)
        r["groups"].add(groups.get(code, curve(g.get("name"))))
    for pk in root.iter("pk"):
        r["cert_types"].add({"EC": "ecdsa", "RSA": "rsa", "ED25519": "ed25519"}.get(pk.get("type"), pk.get("type")))
    return r


def run_testssl(srv, suites):
    out = f"{srv.dir}/testssl.json"
    if os.path.exists(out):
        os.remove(out)
    t = time.perf_counter()
    srv.run(["testssl", "--quiet", "--color", "0", "--warnings", "off", "--openssl", "/usr/bin/openssl",
             "-p", "-E", "-S", "-f", "--jsonfile", out, f"127.0.0.1:{srv.port}"])
    took = time.perf_counter() - t
    with open(out) as f:
        items = json.load(f)
    r = {"versions": set(), "suites": {}, "groups": set(), "certs": {}, "time": took}
    proto = {"SSLv3": "ssl3", "TLS1": "1.0", "TLS1_1": "1.1", "TLS1_2": "1.2", "TLS1_3": "1.3"}
    fps = {}
    for x in items:
        i, f = x["id"], x["finding"]
        if i in proto and f.startswith("offered"):
            r["versions"].add(proto[i])
        m = re.match(r"cipher-(tls1(?:_\d)?|ssl3)_x([0-9a-f]+)$", i)
        if m:
            v = {"ssl3": "ssl3", "tls1": "1.0", "tls1_1": "1.1", "tls1_2": "1.2", "tls1_3": "1.3"}[m.group(1)]
            code = int(m.group(2), 16)
            r["suites"].setdefault(v, set()).add(suites.get(code, f"0x{code:04x}"))
        if i == "PFS_ECDHE_curves":
            r["groups"] |= {curve(c) for c in f.split()}
        if i == "DH_groups":
            r["groups"] |= {g.split("/")[-1] for g in re.split(r"[\s,]+", f) if "ffdhe" in g}
        # One certificate: plain ids; several: "<cert#N>" after each.
        m = re.match(r"cert_fingerprintSHA256(?: <cert#(\d+)>)?$", i)
        if m:
            fps[m.group(1) or "1"] = f.lower()
        m = re.match(r"cert_keySize(?: <cert#(\d+)>)?$", i)
        if m:
            fps.setdefault("type" + (m.group(1) or "1"), f.split()[0])
    for n, fp in fps.items():
        if not n.startswith("type"):
            t = fps.get("type" + n, "")
            r["certs"][fp] = {"EC": "ecdsa", "RSA": "rsa", "EdDSA": "ed25519"}.get(t, t.lower())
    return r


# ---------------------------------------------------------------- arbitration

def s_client(srv, args):
    """True when a handshake with exactly these s_client options completes."""
    p = srv.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername", "localhost", *args],
                input="", timeout=10)
    m = re.search(r"Cipher is (\S+)", p.stdout)
    return bool(m and m.group(1) != "(NONE)")


S_CLIENT_VERSION = {"ssl3": "-ssl3", "1.0": "-tls1", "1.1": "-tls1_1", "1.2": "-tls1_2", "1.3": "-tls1_3"}
GNUTLS_VERSION = {"1.0": "VERS-TLS1.0", "1.1": "VERS-TLS1.1", "1.2": "VERS-TLS1.2", "1.3": "VERS-TLS1.3"}


def gnutls_cli(srv, priority):
    p = srv.run(["gnutls-cli", "--insecure", f"--priority={priority}",
                 f"--port={srv.port}", "127.0.0.1"], input="", timeout=10)
    return "Handshake was completed" in p.stdout + p.stderr


def arbitrate_version(srv, v):
    """Accepted when either client completes a handshake at exactly that version."""
    if s_client(srv, [S_CLIENT_VERSION[v], "-cipher", "ALL:@SECLEVEL=0"]):
        return True, "openssl s_client"
    if v in GNUTLS_VERSION and gnutls_cli(srv, f"NORMAL:-VERS-ALL:+{GNUTLS_VERSION[v]}:+3DES-CBC:+GROUP-ALL"):
        return True, "gnutls-cli"
    return False, "openssl s_client and gnutls-cli"


def arbitrate_suite(srv, v, name, ossl):
    if name in ossl:
        if v == "1.3":
            return s_client(srv, ["-tls1_3", "-ciphersuites", name]), "openssl s_client"
        return s_client(srv, [S_CLIENT_VERSION[v], "-cipher", f"{ossl[name]}:@SECLEVEL=0"]), "openssl s_client"
    return None, f"no client here offers {name} alone"


OSSL_GROUP = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521", "secp224r1": "P-224",
              "secp192r1": "prime192v1", "x25519": "X25519", "x448": "X448"}


def temp_key(text):
    """The group a handshake used, from s_client's "Server Temp Key" line, as an IANA name."""
    m = re.search(r"(?:Server|Peer) Temp Key: ([^\n]+)", text)
    if not m:
        return None
    parts = [x.strip() for x in m.group(1).split(",")]
    if parts[0] == "ECDH":
        return curve(parts[1])
    if parts[0] == "DH":
        return "ffdhe" + parts[1].split()[0]
    return curve(parts[0])


def arbitrate_group(srv, g, versions):
    """Offer the group first (over TLS 1.2 with P-256 after it, since an ECDSA P-256 certificate
    cannot be used by a client without P-256, RFC 8422) and read which group was used."""
    ossl = OSSL_GROUP.get(g, g)
    for v in ("1.3", "1.2"):
        if v not in versions or (v == "1.2" and g.startswith("ffdhe")):
            continue
        offer = ossl if v == "1.3" or ossl == "P-256" else f"{ossl}:P-256"
        p = srv.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername", "localhost",
                     S_CLIENT_VERSION[v], "-groups", offer, "-cipher", "ALL:@SECLEVEL=0"], input="", timeout=10)
        if "Cipher is" in p.stdout and temp_key(p.stdout) == g:
            return True, f"openssl s_client {S_CLIENT_VERSION[v]} -groups {offer}"
    gn = "GROUP-" + g.upper()
    p = srv.run(["gnutls-cli", "--insecure", f"--priority=NORMAL:-GROUP-ALL:+{gn}:+GROUP-SECP256R1:+VERS-TLS1.2",
                 f"--port={srv.port}", "127.0.0.1"], input="", timeout=10)
    used = re.search(r"\((?:EC)?DHE-([A-Z0-9]+)\)", p.stdout)
    if used and used.group(1).lower() == g.lower():
        return True, f"gnutls-cli +{gn}"
    return False, f"openssl s_client -groups {ossl} (+P-256 over 1.2) and gnutls-cli +{gn}"


def arbitrate_cert(srv, fp, d):
    """Which handshake shows this leaf: one per key type, TLS 1.3 signature algorithms or TLS 1.2 suites."""
    tries = [["-tls1_3", "-sigalgs", "ECDSA+SHA256:ECDSA+SHA384"], ["-tls1_3", "-sigalgs", "ECDSA+SHA384"],
             ["-tls1_3", "-sigalgs", "RSA-PSS+SHA256"],
             ["-tls1_3", "-sigalgs", "ed25519"], ["-tls1_2", "-cipher", "aECDSA:@SECLEVEL=0"],
             ["-tls1_2", "-cipher", "aRSA:@SECLEVEL=0"], []]
    for t in tries:
        p = srv.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername", "localhost", *t],
                    input="", timeout=10)
        m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", p.stdout, re.S)
        if m:
            der = subprocess.run(["openssl", "x509", "-outform", "DER"], input=m.group(0).encode(),
                                 capture_output=True).stdout
            import hashlib
            if hashlib.sha256(der).hexdigest() == fp:
                return True, "openssl s_client " + " ".join(t)
    return False, "no handshake showed it"


# ---------------------------------------------------------------- diff

def diff(srv, v, o, label, ossl, d):
    """Differences between vetter (v) and a reference (o), each arbitrated: list of strings."""
    out = []

    def verdict(ok, how, vetter_says):
        if ok is None:
            return f"not arbitrated ({how})"
        right = "vetter" if ok == vetter_says else label
        return f"{'accepted' if ok else 'refused'} by {how}: {right} is right"

    for ver in VERSIONS:
        if (ver in v["versions"]) != (ver in o["versions"]):
            ok, how = arbitrate_version(srv, ver)
            out.append(f"version {ver}: vetter {'yes' if ver in v['versions'] else 'no'}, {label} "
                       f"{'yes' if ver in o['versions'] else 'no'} -> {verdict(ok, how, ver in v['versions'])}")
    for ver in VERSIONS:
        a, b = v["suites"].get(ver, set()), o["suites"].get(ver, set())
        for name in sorted(a ^ b):
            ok, how = arbitrate_suite(srv, ver, name, ossl)
            out.append(f"{ver} {name}: only {'vetter' if name in a else label} -> {verdict(ok, how, name in a)}")
    if o["groups"] is not None:
        for g in sorted(v["groups"] ^ o["groups"]):
            ok, how = arbitrate_group(srv, g, v["versions"])
            out.append(f"group {g}: only {'vetter' if g in v['groups'] else label} -> "
                       f"{verdict(ok, how, g in v['groups'])}")
    if o.get("certs") is not None:
        for fp in sorted(set(v["certs"]) ^ set(o["certs"])):
            ok, how = arbitrate_cert(srv, fp, d)
            kind = v["certs"].get(fp) or o["certs"].get(fp)
            out.append(f"certificate {kind} {fp[:16]}: only {'vetter' if fp in v['certs'] else label} -> "
                       f"{verdict(ok, how, fp in v['certs'])}")
    elif o.get("cert_types") and not o["cert_types"] <= set(v["certs"].values()):
        out.append(f"certificate types: {label} {sorted(o['cert_types'])}, vetter {sorted(v['certs'].values())}")
    return out


def summary(r):
    s = ", ".join(f"{ver} {len(r['suites'].get(ver, ()))}" for ver in VERSIONS if ver in r["versions"])
    return f"{s}; groups {len(r['groups'])}; certs {len(r['certs']) if r.get('certs') is not None else '-'}"


def main():
    ap = argparse.ArgumentParser()
    default = os.path.join(ROOT, "target", "release", "vetter")
    if not os.path.exists(default):
        default = os.path.join(ROOT, "target", "debug", "vetter")
    ap.add_argument("--vetter", default=default)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-testssl", action="store_true")
    ap.add_argument("--jobs", type=int, default=2, help="configurations scanned at once")
    ap.add_argument("--json", help="write every result and difference here")
    a = ap.parse_args()
    # A SIGTERM unwinds like Ctrl-C, so every started server is stopped on the way out.
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    import atexit
    atexit.register(lambda: [s.stop() for s in list(LIVE)])
    if os.geteuid() != 0:
        sys.exit("needs root: gnutls-serv runs in a network namespace entered with nsenter")
    for tool in ("sslscan", "gnutls-serv", "gnutls-cli", "nginx", "lighttpd", "unshare", "nsenter") + \
            (() if a.no_testssl else ("testssl",)):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (apt-get install sslscan testssl.sh gnutls-bin nginx-light lighttpd "
                     f"lighttpd-mod-wolfssl lighttpd-mod-mbedtls)")
    d = tempfile.mkdtemp(prefix="vetter-stacks-")
    make_certs(d)
    suites, groups, ossl = suite_table(), group_table(), openssl_names()
    configs = [c for c in CONFIGS if not a.only or any(o in c[0] for o in a.only.split(","))]
    print(f"vetter: {a.vetter}")

    def one(cfg):
        name, kind, certs, spec = cfg
        srv = Server(d, name, kind, certs, spec)
        try:
            v = run_vetter(a.vetter, d, srv)
            refs = {"sslscan": run_sslscan(srv, suites, groups)}
            if not a.no_testssl:
                refs["testssl.sh"] = run_testssl(srv, suites)
            diffs = {label: diff(srv, v, r, label, ossl, d) for label, r in refs.items()}
            return name, v, refs, diffs
        finally:
            srv.stop()

    results = []
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        for name, v, refs, diffs in ex.map(one, configs):
            results.append((name, v, refs, diffs))
            print(f"\n## {name}\nvetter: {summary(v)} ({v['time']:.2f} s)"
                  + (f"; incomplete: {v['incomplete']}" if v["incomplete"] else "")
                  + (f"; error: {v['error']}" if v["error"] else ""))
            for label, r in refs.items():
                print(f"{label}: {summary(r)} ({r['time']:.2f} s): "
                      + ("AGREE" if not diffs[label] else f"{len(diffs[label])} differences"))
                for line in diffs[label]:
                    print(f"  {line}")
            sys.stdout.flush()
    if a.json:
        def plain(x):
            if isinstance(x, set):
                return sorted(x)
            if isinstance(x, dict):
                return {k: plain(y) for k, y in x.items()}
            return x
        with open(a.json, "w") as f:
            json.dump([{"server": n, "vetter": plain(v), "refs": plain(r), "diffs": df} for n, v, r, df in results],
                      f, indent=1)
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
