#!/usr/bin/env bash
# Run every fuzz target for a short while (FUZZTIME, default 20s each).
# Seed corpora live in each package's testdata/fuzz/<FuzzName>/.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-20s}"
status=0
for pkg in $(go list ./internal/...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for fn in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "=== $pkg $fn ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$fuzztime" "$pkg"; then
      status=1
    fi
  done
done
exit $status
