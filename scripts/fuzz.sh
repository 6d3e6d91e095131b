#!/usr/bin/env bash
# Runs every fuzz target in the module for $1 (default 30s) each.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-30s}
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
  pkg="./$(dirname "${f#./}")"
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //' | while read -r fn; do
    echo "== $pkg $fn ($t)"
    go test "$pkg" -run '^$' -fuzz "^${fn}\$" -fuzztime "$t"
  done
done
