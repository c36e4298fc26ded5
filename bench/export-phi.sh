#!/usr/bin/env bash
# Export-scanner throughput, memory and accuracy vs peers (not run by CI).
#   bench/export-phi.sh [SIZE_MB]      (default 1024)
# Environment:
#   BENCH_DIR=dir    where generated files go (kept between runs; default a new temp dir)
#   RUNS=n           vetter/ripgrep pairs timed back to back (default 3; the median ratio is given)
#   RSS_MB=n         also generate an n MB CSV and compare vetter's peak RSS on both sizes
#                    (the big file is deleted afterwards unless KEEP=1)
#   SKIP_PRESIDIO=1  skip the Presidio comparison
#   NO_BUILD=1       use the release binaries as they are (say which commit they were built from)
#   RG_SAME=0        skip ripgrep with vetter's exact alternation (slow: the street pattern
#                    holds every USPS suffix); the target is judged on the 8-shape run
# Input: examples/phigen.rs writes a CSV of SIZE_MB with planted identifiers, near misses and
# per-row ground truth. Peers, each only if installed: ripgrep (`--count-matches` with exactly
# vetter's PATTERNS — printed by `phigen patterns` — and with the 8-shape subset of earlier
# measurements; `rg -c` counts lines only), `openssl dgst -sha256` (hash ceiling; vetter's hash
# alone is timed on a random file of the same size, which it hashes but cannot scan),
# presidio-analyzer (recognizers only, 10 MB sample, from target/presidio-venv:
# `python3 -m venv target/presidio-venv && target/presidio-venv/bin/pip install presidio-analyzer`).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
RUNS=${RUNS:-3}
WORK=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$WORK"
[ -n "${NO_BUILD:-}" ] || cargo build --release -q --bin vetter --example phigen
GEN=./target/release/examples/phigen
V=./target/release/vetter

# gen SIZE: a generated CSV of SIZE MB and its ground truth, plus a manifest naming it.
gen() {
  local csv="$WORK/gen-$1.csv"
  [ -s "$csv" ] || $GEN write "$1" "$csv" "$WORK/gen-$1.truth.jsonl"
  cat > "$WORK/vendor-$1.toml" <<TOML
[vendor]
name = "Bench"
[[export]]
path = "gen-$1.csv"
retention = { date_field = "last_visit", max_age_days = 2190 }
TOML
}
gen "$SIZE_MB"
CSV="$WORK/gen-$SIZE_MB.csv"
BYTES=$(stat -c %s "$CSV")
printf 'input: %s (%d MB)\n' "$CSV" $((BYTES / 1000000))
rate() { python3 -c "print(f'{$BYTES/1e6/$1:.0f} MB/s' if $1 > 0 else '(skipped)')"; }
t() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); python3 -c "print(f'{$e-$s:.2f}')"; }

# Exactly the patterns vetter searches (its matchers are tested equal to this alternation).
PAT_ALL=$($GEN patterns)
# The 8 shapes of the first measurements (no DEA, MBI or street address; SSN with dashes only).
PAT8='[0-9]{3}-[0-9]{2}-[0-9]{4}|\(?[0-9]{3}\)? ?[0-9]{3}[-. ][0-9]{4}|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|MRN-?[0-9]{5,12}|[12][0-9]{9}|[3-6][0-9]{3}([ -]?[0-9]{4}){2}[ -]?[0-9]{1,7}|[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|https?://[A-Za-z0-9._~:/?#@!$&()*+;=%-]+'

echo "--- vetter assess (hash + CSV + PHI + validation + retention) vs ripgrep --count-matches, back to back"
ratios=()
for i in $(seq "$RUNS"); do
  sv=$(t $V assess --quiet --format json "$WORK/vendor-$SIZE_MB.toml")
  if command -v rg > /dev/null; then
    sa=$([ "${RG_SAME:-1}" = 0 ] && echo 0 || t rg --count-matches -e "$PAT_ALL" "$CSV")
    s8=$(t rg --count-matches -e "$PAT8" "$CSV")
    r=$(python3 -c "print(f'{$sa/$sv:.2f} {$s8/$sv:.2f}')")
    ratios+=("$r")
    echo "run $i: vetter ${sv}s $(rate "$sv") | rg same patterns ${sa}s $(rate "$sa") | rg 8 shapes ${s8}s $(rate "$s8") | vetter/rg: ${r% *}x, ${r#* }x"
  else
    echo "run $i: vetter ${sv}s $(rate "$sv") | ripgrep: not installed (apt-get install ripgrep)"
  fi
done
if [ "${#ratios[@]}" -gt 0 ]; then
  printf '%s\n' "${ratios[@]}" | python3 -c "
import sys, statistics
rs = [l.split() for l in sys.stdin if l.strip()]
print(f'median vetter/rg throughput: {statistics.median(float(a) for a, _ in rs):.2f}x (same patterns), {statistics.median(float(b) for _, b in rs):.2f}x (8 shapes)')"
  secs=$(t rg -c -e "$PAT8" "$CSV"); echo "ripgrep -c (counts matching lines only, 8 shapes): ${secs}s, $(rate "$secs")"
fi

rss() { /usr/bin/time -f "%M" $V assess --quiet --format json "$WORK/vendor-$1.toml" 2>&1 > /dev/null | tail -1; }
RSS1=$(rss "$SIZE_MB")
echo "vetter peak RSS on $SIZE_MB MB: $((RSS1 / 1024)) MiB"
if [ -n "${RSS_MB:-}" ]; then
  gen "$RSS_MB"
  RSS2=$(rss "$RSS_MB")
  python3 -c "print(f'vetter peak RSS on $RSS_MB MB: {$RSS2/1024:.0f} MiB ({$RSS2/$RSS1:.3f}x the $SIZE_MB MB run)')"
  [ -n "${KEEP:-}" ] || rm -f "$WORK/gen-$RSS_MB.csv" "$WORK/gen-$RSS_MB.truth.jsonl"
fi

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
head -n $(($(wc -l < "$WORK/sample.csv") - 1)) "$WORK/gen-$SIZE_MB.truth.jsonl" > "$WORK/sample.truth.jsonl"
echo "--- vetter accuracy on the 10 MB sample"
$GEN eval "$WORK/sample.csv" "$WORK/sample.truth.jsonl"
if [ -z "${SKIP_PRESIDIO:-}" ] && [ -x target/presidio-venv/bin/python ]; then
  echo "--- presidio on the same sample"
  target/presidio-venv/bin/python bench/presidio_eval.py "$WORK/sample.csv" "$WORK/sample.truth.jsonl"
else echo "presidio-analyzer: not installed in target/presidio-venv"; fi
