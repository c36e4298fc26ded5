#!/usr/bin/env bash
# Cold-start benchmark: `vetter rules list` (metadata load) and `vetter rules check rules`
# (full load: every pack parsed, every CEL expression compiled and path-checked).
# Needs hyperfine (Debian package `hyperfine`). Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)" >&2; exit 2; }
hyperfine -N --warmup 5 --runs 50 \
  './target/release/vetter rules list' \
  './target/release/vetter rules check rules' \
  './target/release/vetter --version'
