#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, copied or derived from fixtures/ (see docs/fuzzing.md).

Usage: fuzz/make_seeds.py REPO_ROOT OUT_DIR [VETTER_BINARY]

Writes OUT_DIR/<target>/<name> for every target. Files over 256 KiB are skipped (the fuzzer
mutates small inputs best; big fixtures only slow each execution). TLS flights and
certificates are made on the spot with Python's ssl module and the openssl command; reports
with the vetter binary from the facts fixtures. Each generator is skipped, with a note, when
its tool is missing.
"""

import glob
import hashlib
import io
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import zipfile

MAX_SEED = 256 * 1024


def main():
    root, out = sys.argv[1], sys.argv[2]
    vetter = sys.argv[3] if len(sys.argv) > 3 else None
    fx = os.path.join(root, "fixtures")

    def files(*patterns):
        found = []
        for p in patterns:
            found += glob.glob(os.path.join(root, p), recursive=True)
        return sorted(f for f in set(found) if os.path.isfile(f) and os.path.getsize(f) <= MAX_SEED)

    def put(target, data, name=None):
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        name = name or hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

    def copy(target, paths, prefix=b""):
        for p in paths:
            with open(p, "rb") as f:
                put(target, prefix + f.read())

    exports = files("fixtures/exports/*", "fixtures/*/*/exports/*", "fixtures/auditlogs/*")
    exports = [p for p in exports if not p.endswith((".py", ".txt"))]
    copy("export_stream", exports)
    copy("export_csv", [p for p in exports if p.endswith(".csv")])
    copy("export_ndjson", [p for p in exports if p.endswith((".ndjson", ".jsonl"))])
    copy("export_json", [p for p in exports if p.endswith(".json")])
    copy("export_xlsx", files("fixtures/**/*.xlsx"))
    # Stored (uncompressed) copies of the ZIP-based seeds, so mutations reach the XML inside
    # rather than only breaking the deflate stream.
    for p in files("fixtures/**/*.xlsx"):
        try:
            flat = stored(p)
        except (zipfile.BadZipFile, EOFError, OSError):
            continue  # a deliberately broken fixture: its raw copy above is the seed
        put("export_xlsx", flat)
        put("export_stream", flat)

    # The PHI target reads `column<TAB>value` lines: derive them from the CSV exports and the
    # canaries list (one value per line, no column).
    for p in [p for p in exports if p.endswith(".csv")]:
        with open(p, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        if not lines:
            continue
        header = lines[0].split(",")
        rows = []
        for line in lines[1:40]:
            for name, value in zip(header, line.split(",")):
                rows.append(f"{name}\t{value}")
        put("phi", "\n".join(rows).encode())
    copy("phi", files("fixtures/exports/canaries.txt"))

    # Documents: a control byte picks the declared kind (0 = detect) or, for markup, the
    # extension and kind; each document is seeded once undeclared and once declared.
    for p in files("fixtures/evidence/**/*.pdf", "fixtures/*/*/evidence/*.pdf"):
        copy("text_pdf", [p], b"\x00")
    for p in files("fixtures/evidence/**/*.docx", "fixtures/*/*/evidence/*.docx"):
        copy("text_docx", [p], b"\x00")
        put("text_docx", b"\x00" + stored(p))
    for p in files("fixtures/evidence/**/*.html", "fixtures/*/*/evidence/*.html"):
        copy("text_markup", [p], b"\x00")
    for p in files("fixtures/evidence/**/*.md", "fixtures/*/*/evidence/*.md"):
        copy("text_markup", [p], b"\x01")
    for p in files("fixtures/evidence/**/*.txt", "fixtures/*/*/evidence/*.txt"):
        copy("text_markup", [p], b"\x02")

    manifests = files("fixtures/**/vendor.toml", "fixtures/broken/manifests/*.toml")
    copy("manifest", manifests)
    copy("waivers", files("fixtures/broken/manifests/waiver-*.toml"))
    put("waivers", b'[[waiver]]\nrule = "hipaa-*"\nresource = "https://api.example.test/*"\n'
        b'reason = "compensating control"\napprover = "CISO"\nexpires = "2027-01-31"\n')
    copy("rule_pack", files("rules/*.toml", "fixtures/broken/packs/*.toml"))
    copy("facts", files("fixtures/facts/*.json"))

    tls_seeds(put)
    cert_seeds(put)
    report_seeds(put, fx, vetter)


def stored(path):
    """The ZIP at `path` rewritten with every member stored, not deflated."""
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    return buf.getvalue()


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certs(d):
    """A CA and two leaves (RSA, EC) with DNS and IP SANs; returns {name: der_path} plus PEMs."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "3650", "-subj", "/CN=Fuzz Seed CA", cwd=d)
    openssl("x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der", cwd=d)
    for name, key in [("rsa", ["-newkey", "rsa:2048"]), ("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])]:
        openssl("req", "-new", *key, "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", "/CN=vendor.example.test/O=Seed", cwd=d)
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write("subjectAltName=DNS:vendor.example.test,DNS:*.example.test,IP:127.0.0.1\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "397", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=d)
        openssl("x509", "-in", f"{name}.pem", "-outform", "DER", "-out", f"{name}.der", cwd=d)
    # A self-signed leaf with no SAN.
    openssl("req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", "self.key", "-out", "self.pem",
            "-days", "1", "-subj", "/CN=self", cwd=d)
    openssl("x509", "-in", "self.pem", "-outform", "DER", "-out", "self.der", cwd=d)


def cert_seeds(put):
    if not shutil.which("openssl"):
        print("make_seeds: no openssl; cert seeds skipped", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as d:
        make_certs(d)
        der = lambda n: open(os.path.join(d, f"{n}.der"), "rb").read()
        ca = der("ca")
        for leaf in ["rsa", "ec", "self"]:
            body = der(leaf)
            for ctl in (0, 1, 2, 3):
                put("cert", bytes([ctl]) + len(body).to_bytes(2, "big") + body + (ca if leaf != "self" else b""))


def flight(server_ctx, client_ctx):
    """The server's first flight in answer to the client's ClientHello, all in memory."""
    cin, cout, sin, sout = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    c = client_ctx.wrap_bio(cin, cout, server_hostname="vendor.example.test")
    s = server_ctx.wrap_bio(sin, sout, server_side=True)
    try:
        c.do_handshake()
    except ssl.SSLWantReadError:
        pass
    sin.write(cout.read())
    try:
        s.do_handshake()
    except (ssl.SSLWantReadError, ssl.SSLError):
        pass
    return sout.read()


def tls_seeds(put):
    # An alert (handshake_failure), and a truncated record.
    put("tls_hello", b"\x00\x15\x03\x03\x00\x02\x02\x28")
    put("tls_hello", b"\x01\x16\x03\x01\x00\x04\x02\x00\x00")
    if not shutil.which("openssl"):
        print("make_seeds: no openssl; TLS flight seeds skipped", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as d:
        make_certs(d)
        for leaf in ["rsa", "ec"]:
            for version in [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3]:
                srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                srv.load_cert_chain(os.path.join(d, f"{leaf}.pem"), os.path.join(d, f"{leaf}.key"))
                srv.minimum_version = srv.maximum_version = version
                cli = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                cli.check_hostname = False
                cli.verify_mode = ssl.CERT_NONE
                cli.minimum_version = cli.maximum_version = version
                data = flight(srv, cli)
                if data:
                    # Read past the ServerHello, in one go and in 7-byte pieces; and stop at it.
                    for ctl in (0xFF, 0x0F, 0xFE):
                        put("tls_hello", bytes([ctl]) + data)


def report_seeds(put, fx, vetter):
    """Reports of the facts fixtures, cut to a few findings of each status (a whole report is
    ~1 MB, which would make every execution slow)."""
    if not vetter or not os.path.exists(vetter):
        print("make_seeds: no vetter binary; report seeds skipped", file=sys.stderr)
        return
    small = []
    for f in sorted(glob.glob(os.path.join(fx, "facts", "*.json"))):
        r = subprocess.run([vetter, "eval", f, "--format", "json"], capture_output=True)
        try:
            rep = json.loads(r.stdout)
        except ValueError:
            continue
        keep, seen = [], set()
        for finding in rep.get("findings", []):
            key = (finding.get("status"), finding.get("severity"))
            if key not in seen:
                seen.add(key)
                keep.append(finding)
        rep["findings"] = keep[:12]
        ids = {x.get("rule") or x.get("id") for x in keep}
        rep["rules"] = [x for x in rep.get("rules", []) if x.get("id") in ids]
        rep["inputs"] = rep.get("inputs", [])[:4]
        small.append(rep)
        put("report", json.dumps(rep, indent=1).encode())
    if small:
        put("report", json.dumps({"reports": small[:2]}).encode())


if __name__ == "__main__":
    main()
