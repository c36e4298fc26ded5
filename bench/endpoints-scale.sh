#!/usr/bin/env bash
# Scale benchmark (issue 14): a manifest of N endpoints that all refuse the connection, assessed
# end to end (manifest, probes, evaluation, JSON report). The cost must grow linearly: 10,000
# endpoints in under 10x the time of 1,000. Prints wall time, peak RSS and the ratio.
# Usage: bench/endpoints-scale.sh [SMALL] [LARGE]   (defaults 1000 10000). Not part of .ci/run.
# PROFILE=profiling runs the release code with symbols kept (target/profiling/vetter), for perf.
set -euo pipefail
cd "$(dirname "$0")/.."
small=${1:-1000}
large=${2:-10000}
profile=${PROFILE:-release}
[ -n "${NO_BUILD:-}" ] || cargo build --profile "$profile" -q
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for n in "$small" "$large"; do
  python3 - "$n" "$dir/scale$n.toml" <<'PY'
import sys
n, out = int(sys.argv[1]), sys.argv[2]
with open(out, "w") as f:
    f.write('[vendor]\nname = "Scale"\n\n')
    for i in range(n):
        # Port 1 on loopback refuses at once: the run measures vetter, not the network.
        f.write(f'[[endpoint]]\nurl = "https://127.0.0.1:1/p{i}"\n\n')
PY
done
run() {
  local n=$1 best=
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$dir/t" "./target/$profile/vetter" assess "$dir/scale$n.toml" \
      --format json --output "$dir/r$n.json" --quiet --concurrency 32 || true
    read -r secs kb <"$dir/t"
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; rss=$kb; fi
  done
  echo "$n endpoints: ${best} s (best of 3), peak RSS $((rss / 1024)) MiB" >&2
  echo "$best"
}
a=$(run "$small")
b=$(run "$large")
awk -v a="$a" -v b="$b" -v s="$small" -v l="$large" \
  'BEGIN{printf "ratio %d/%d endpoints: %.2fx (target < 10x)\n", l, s, b / a}'
