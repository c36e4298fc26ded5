#!/usr/bin/env bash
# Export-scanner throughput vs peers on one generated CSV (not run by CI).
#   bench/export-phi.sh [SIZE_MB]      (default 1024)
# Peers, each only if installed: ripgrep (`rg -c`, same shapes, no validation), GNU grep -P,
# `openssl dgst -sha256` (hash ceiling), presidio-analyzer (regex recognizers only, 10 MB
# sample; install with `pip install presidio-analyzer`, no spaCy model is fetched).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
WORK=${BENCH_DIR:-$(mktemp -d)}
CSV="$WORK/bench.csv"
cargo build --release -q
if [ ! -s "$CSV" ]; then
  python3 - "$CSV" "$SIZE_MB" <<'PY'
import random, sys
random.seed(1)
path, mb = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("mrn,first_name,ssn,phone,email,notes,last_visit\n")
    n = 0
    while n < mb * 1_000_000:
        ssn = f"{random.randint(1,665):03d}-{random.randint(1,99):02d}-{random.randint(1,9999):04d}"
        ph = f"({random.randint(201,989)}) {random.randint(200,999)}-{random.randint(0,9999):04d}"
        line = (f"MRN-{random.randint(0,9999999):07d},Name{random.randint(0,999)},{ssn},{ph},"
                f"p{random.randint(0,99999)}@mail.example.org,\"order ORD-1{random.randint(10,99)}-{random.randint(100,999)}-"
                f"{random.randint(1000,9999)} seen 2024-03-0{random.randint(1,9)}\",2020-0{random.randint(1,9)}-1{random.randint(0,9)}\n")
        f.write(line)
        n += len(line)
PY
fi
BYTES=$(stat -c %s "$CSV")
printf 'input: %s (%d MB)\n' "$CSV" $((BYTES / 1000000))
cat > "$WORK/vendor.toml" <<TOML
[vendor]
name = "Bench"
[[export]]
path = "bench.csv"
retention = { date_field = "last_visit", max_age_days = 2190 }
TOML
rate() { python3 -c "print(f'{$BYTES/1e6/$1:.0f} MB/s')"; }
t() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); python3 -c "print($e-$s)"; }
secs=$(t ./target/release/vetter assess --quiet --format json "$WORK/vendor.toml")
echo "vetter assess (hash + CSV + PHI + retention): ${secs}s, $(rate "$secs")"
/usr/bin/time -f "vetter peak RSS: %M KiB" ./target/release/vetter assess --quiet --format json "$WORK/vendor.toml" > /dev/null
PAT='[0-9]{3}-[0-9]{2}-[0-9]{4}|\(?[0-9]{3}\)? ?[0-9]{3}[-. ][0-9]{4}|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|MRN-?[0-9]{5,12}|[12][0-9]{9}'
if command -v rg > /dev/null; then
  secs=$(t rg -c -e "$PAT" "$CSV"); echo "ripgrep -c (same shapes, no validation): ${secs}s, $(rate "$secs")"
else echo "ripgrep: not installed (apt-get install ripgrep)"; fi
secs=$(t grep -cP "$PAT" "$CSV"); echo "grep -cP: ${secs}s, $(rate "$secs")"
secs=$(t openssl dgst -sha256 "$CSV"); echo "openssl dgst -sha256: ${secs}s, $(rate "$secs")"
secs=$(t sha256sum "$CSV"); echo "sha256sum: ${secs}s, $(rate "$secs")"
if python3 -c "import presidio_analyzer" 2> /dev/null; then
  head -c 10000000 "$CSV" > "$WORK/sample.csv"
  python3 - "$WORK/sample.csv" <<'PY'
import sys, time
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
# no_op engine: regex and checksum recognizers only (spaCy models cannot be fetched here).
eng = AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration={"nlp_engine_name": "no_op", "models": []}).create_engine())
data = open(sys.argv[1]).read()
t = time.time(); n = 0
for line in data.splitlines():
    n += len(eng.analyze(text=line, language="en"))
dt = time.time() - t
print(f"presidio (no_op NLP, 10 MB): {dt:.1f}s, {len(data)/1e6/dt:.2f} MB/s, {n} results")
PY
else echo "presidio-analyzer: not installed (pip install presidio-analyzer)"; fi
