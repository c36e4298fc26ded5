#!/usr/bin/env bash
# PHI precision/recall on labelled data nobody here shaped (issue 12), not run by CI.
#   bench/phi-labelled.sh [ROWS]        (default 20000)
# Environment: SOURCES="faker mimesis" (default both), SEED=n (default 12),
#   SKIP_PRESIDIO=1 to skip Presidio on the same cells.
# Needs a venv with the generators (and Presidio):
#   python3 -m venv target/phibench-venv &&
#   target/phibench-venv/bin/pip install faker mimesis presidio-analyzer
# Writes target/phibench/SOURCE/{named,neutral}.csv + labels.jsonl (bench/phi_labelled.py) and
# prints the per-setting, per-type table of examples/phiscore.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-20000}
SEED=${SEED:-12}
PY=target/phibench-venv/bin/python
cargo build --release -q --example phiscore
for src in ${SOURCES:-faker mimesis}; do
  out=target/phibench/$src
  [ -s "$out/labels.jsonl" ] && [ "$(head -c 0 "$out/labels.jsonl"; cat "$out/.rows" 2>/dev/null)" = "$ROWS-$SEED" ] ||
    { $PY bench/phi_labelled.py --source "$src" --rows "$ROWS" --seed "$SEED" "$out" && echo "$ROWS-$SEED" > "$out/.rows"; }
  echo "=== vetter on $src ($ROWS rows, seed $SEED)"
  ./target/release/examples/phiscore "$out"
  if [ -z "${SKIP_PRESIDIO:-}" ]; then
    echo "=== presidio on $src"
    $PY bench/presidio_labelled.py "$out"
  fi
done
