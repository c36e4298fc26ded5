#!/usr/bin/env bash
# Export-scanner throughput and accuracy vs peers (not run by CI).
#   bench/export-phi.sh [SIZE_MB]      (default 1024)
# Input: examples/phigen.rs writes a CSV of SIZE_MB with planted identifiers, near misses and
# per-row ground truth. Peers, each only if installed: ripgrep (`rg -c` and `--count-matches`,
# same shapes, no validation), `openssl dgst -sha256` (hash ceiling; vetter's hash alone is timed
# on a random file of the same size, which it hashes but cannot scan), presidio-analyzer
# (recognizers only, 10 MB sample, from target/presidio-venv:
# `python3 -m venv target/presidio-venv && target/presidio-venv/bin/pip install presidio-analyzer`).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
WORK=${BENCH_DIR:-$(mktemp -d)}
CSV="$WORK/gen.csv"
cargo build --release -q --bin vetter --example phigen
if [ ! -s "$CSV" ]; then ./target/release/examples/phigen write "$SIZE_MB" "$CSV" "$WORK/gen.truth.jsonl"; fi
BYTES=$(stat -c %s "$CSV")
printf 'input: %s (%d MB)\n' "$CSV" $((BYTES / 1000000))
cat > "$WORK/vendor.toml" <<TOML
[vendor]
name = "Bench"
[[export]]
path = "gen.csv"
retention = { date_field = "last_visit", max_age_days = 2190 }
TOML
rate() { python3 -c "print(f'{$BYTES/1e6/$1:.0f} MB/s')"; }
t() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); python3 -c "print(f'{$e-$s:.2f}')"; }
V=./target/release/vetter
secs=$(t $V assess --quiet --format json "$WORK/vendor.toml")
echo "vetter assess (hash + CSV + PHI + retention): ${secs}s, $(rate "$secs")"
/usr/bin/time -f "vetter peak RSS: %M KiB" $V assess --quiet --format json "$WORK/vendor.toml" > /dev/null
PAT='[0-9]{3}-[0-9]{2}-[0-9]{4}|\(?[0-9]{3}\)? ?[0-9]{3}[-. ][0-9]{4}|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|MRN-?[0-9]{5,12}|[12][0-9]{9}|[3-6][0-9]{3}([ -]?[0-9]{4}){2}[ -]?[0-9]{1,7}|[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|https?://[A-Za-z0-9._~:/?#@!$&()*+;=%-]+'
if command -v rg > /dev/null; then
  secs=$(t rg -c -e "$PAT" "$CSV"); echo "ripgrep -c (matching lines): ${secs}s, $(rate "$secs")"
  secs=$(t rg --count-matches -e "$PAT" "$CSV"); echo "ripgrep --count-matches (every match): ${secs}s, $(rate "$secs")"
else echo "ripgrep: not installed (apt-get install ripgrep)"; fi
secs=$(t openssl dgst -sha256 "$CSV"); echo "openssl dgst -sha256: ${secs}s, $(rate "$secs")"
RND="$WORK/random.bin"
[ -s "$RND" ] && [ "$(stat -c %s "$RND")" = "$BYTES" ] || head -c "$BYTES" /dev/urandom > "$RND"
cat > "$WORK/hash.toml" <<TOML
[vendor]
name = "Bench"
[[export]]
path = "random.bin"
TOML
secs=$(t $V assess --quiet --format json "$WORK/hash.toml"); echo "vetter on random bytes (hash only): ${secs}s, $(rate "$secs")"
head -c 10000000 "$CSV" | head -n -1 > "$WORK/sample.csv"
head -n $(($(wc -l < "$WORK/sample.csv") - 1)) "$WORK/gen.truth.jsonl" > "$WORK/sample.truth.jsonl"
echo "--- vetter accuracy on the 10 MB sample"
./target/release/examples/phigen eval "$WORK/sample.csv" "$WORK/sample.truth.jsonl"
if [ -z "${SKIP_PRESIDIO:-}" ] && [ -x target/presidio-venv/bin/python ]; then
  echo "--- presidio on the same sample"
  target/presidio-venv/bin/python bench/presidio_eval.py "$WORK/sample.csv" "$WORK/sample.truth.jsonl"
else echo "presidio-analyzer: not installed in target/presidio-venv"; fi
