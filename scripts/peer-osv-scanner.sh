#!/usr/bin/env bash
# stella beside osv-scanner on the same SBOMs and the same OSV records,
# alternating the two commands in one run (docs/performance.md, "Against
# osv-scanner"). osv-scanner is a peer, never a dependency: build it outside
# the repository, e.g.
#
#   GOBIN=$HOME/peer-bin go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.0
#
# and put it on PATH (or set OSV_SCANNER). The shared OSV set is laid out as
# its offline database (tools/peerdb: one osv-scalibr/<Ecosystem>/all.zip
# per ecosystem, a record in every ecosystem it affects) and each SBOM's
# packages as its package list; osv-scanner then runs fully offline:
#
#   osv-scanner scan source --offline --local-db-path DB -L osv-scanner:PKGS \
#       --format json --all-vulns --all-packages
#
# stella runs `policy simulate` with the baseline policy on the SBOM itself
# against the OSV directory (loose files, through the frozen-advisory cache
# the warm-up run fills; for newrelic also with the cache off, ".cold") and,
# for newrelic, a snapshot.
# Each pair runs PEER_RUNS times after a warm-up, A B A B …; the table gives
# the medians of wall time and peak RSS and the median of the per-pair wall
# ratios stella ÷ osv-scanner.
#
# Environment: OSV_SCANNER (default osv-scanner), PEER_RUNS (default 7),
# BENCH_OUT (default bench-out), STELLA_TESTDATA (default ../shared/data),
# STELLA (a stella binary; default: built into BENCH_OUT/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${BENCH_OUT:-$root/bench-out}
runs=${PEER_RUNS:-7}
peer=${OSV_SCANNER:-osv-scanner}
data=${STELLA_TESTDATA:-$root/../shared/data}
if ! command -v "$peer" >/dev/null 2>&1; then
  echo "peer-osv-scanner: $peer is not on PATH: nothing to compare (see the header of $0 to build it)" >&2
  exit 3
fi
[ -d "$data/osv" ] || { echo "peer-osv-scanner: no shared data at $data" >&2; exit 3; }
data=$(cd "$data" && pwd)
mkdir -p "$out/bin" "$out/peer"
out=$(cd "$out" && pwd)
stella=${STELLA:-}
if [ -z "$stella" ]; then
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/bin/stella" ./cmd/stella
  stella=$out/bin/stella
fi
go build -o "$out/bin/peerdb" ./tools/peerdb
db=$out/peer/db
rm -rf "$db"
"$out/bin/peerdb" db "$db" "$data/osv"
export HOME=$out/peer/home XDG_DATA_HOME=$out/peer/home/data XDG_CACHE_HOME=$out/peer/home/cache NO_COLOR=1
export STELLA_INPUTS_CACHE_DIR=$out/peer/frozen
mkdir -p "$HOME"
pol=$data/policies/baseline.stella
timer=/usr/bin/time
[ -x "$timer" ] || { go build -o "$out/bin/timeit" ./tools/timeit; timer=$out/bin/timeit; }

# sample CMD… runs CMD once under the timer and prints "wall_ms rss_mib".
sample() {
  local t0 t1 log=$out/peer/run.log
  t0=$(date +%s%N)
  "$timer" -v "$@" >/dev/null 2>"$log" || true
  t1=$(date +%s%N)
  awk -v wall=$(((t1 - t0) / 1000000)) '/Maximum resident/ {m=$NF} END {printf "%d %.1f\n", wall, m/1024}' "$log"
}

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

table=$out/peer.md
load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?)
{
  echo "stella $(git rev-parse --short=12 HEAD 2>/dev/null || echo ?) vs $("$peer" --version 2>/dev/null | head -1) ·" \
    "$(nproc) CPUs · $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //') ·" \
    "median of $runs alternating pairs after a warm-up · load average $load_start at the start"
  echo
  echo "| case | stella wall ms | stella RSS MiB | osv-scanner wall ms | osv-scanner RSS MiB | stella ÷ osv-scanner (median of pairs) |"
  echo "|---|---:|---:|---:|---:|---:|"
} >"$table"

# pair NAME SBOM [STELLA ARGS…]: stella on SBOM (with the args, default the
# loose OSV directory) against osv-scanner on the SBOM's package list.
pair() {
  local name=$1 sbom=$2
  shift 2
  local args=("$@")
  [ ${#args[@]} -gt 0 ] || args=(--sbom "$sbom" --advisories "$data/osv")
  local pkgs=$out/peer/$name.pkgs.json
  "$out/bin/peerdb" pkgs "$sbom" "$db" >"$pkgs"
  local a=(${STELLA_ENV:+env "$STELLA_ENV"} "$stella" policy simulate "$pol" "${args[@]}" --format json --fail-on never -q)
  local b=("$peer" scan source --offline --local-db-path "$db" -L "osv-scanner:$pkgs" --format json --all-vulns --all-packages)
  "${a[@]}" >/dev/null 2>&1 || true
  "${b[@]}" >"$out/peer/$name.osv-scanner.json" 2>"$out/peer/$name.osv-scanner.err" || true
  local i sa sb aw=() am=() bw=() bm=() r=()
  for ((i = 0; i < runs; i++)); do
    read -r w m < <(sample "${a[@]}"); aw+=("$w"); am+=("$m"); sa=$w
    read -r w m < <(sample "${b[@]}"); bw+=("$w"); bm+=("$m"); sb=$w
    r+=("$(awk -v a="$sa" -v b="$sb" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}')")
  done
  printf '| %s | %s | %s | %s | %s | %s |\n' "$name" \
    "$(printf '%s\n' "${aw[@]}" | median)" "$(printf '%s\n' "${am[@]}" | median)" \
    "$(printf '%s\n' "${bw[@]}" | median)" "$(printf '%s\n' "${bm[@]}" | median)" \
    "$(printf '%s\n' "${r[@]}" | median)" >>"$table"
  tail -1 "$table" >&2
}

nr=$data/sbom/spdx/trivy-newrelic_synthetics-minion-runner.spdx.json
pair newrelic "$nr"
STELLA_ENV=STELLA_INPUTS_CACHE_DIR=off pair newrelic.cold "$nr"
rm -rf "$out/peer/snap-newrelic"
"$stella" -q snapshot create --sbom "$nr" --advisories "$data/osv" -o "$out/peer/snap-newrelic" >/dev/null
pair newrelic.snapshot "$nr" --snapshot "$out/peer/snap-newrelic"
# The same records from the feed cache: the per-ecosystem zips of the
# peer's database pulled by `stella feeds pull` from a loopback server
# (python3's http.server; the row is left out without python3).
if command -v python3 >/dev/null 2>&1; then
  port=${PEER_PORT:-18765}
  python3 -m http.server --bind 127.0.0.1 --directory "$db/osv-scalibr" "$port" >/dev/null 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  sleep 1
  rm -rf "$out/peer/feeds"
  # Every ecosystem with records (the empty zips peerdb writes for
  # osv-scanner are not feeds): the same 7,553 records as the directory.
  ecos=()
  for z in "$db"/osv-scalibr/*/all.zip; do
    [ "$(wc -c <"$z")" -gt 22 ] && ecos+=(--osv "$(basename "$(dirname "$z")")")
  done
  if "$stella" -q feeds pull "${ecos[@]}" --osv-url "http://127.0.0.1:$port" --cache-dir "$out/peer/feeds" >/dev/null; then
    # The frozen-advisory cache keeps no entry for files changed in the
    # last two seconds (docs/performance.md, "Loose files, zips and the feed
    # cache"): without the wait, the warm-up and the first timed runs over
    # the just-pulled zips all freeze anew, and on a quiet machine the
    # median was such a cold run.
    sleep 3
    pair newrelic.feeds "$nr" --sbom "$nr" --feeds --cache-dir "$out/peer/feeds"
  else
    echo "peer-osv-scanner: feeds pull from the loopback server failed; no feed-cache row" >&2
  fi
  kill $server 2>/dev/null || true
fi
pair juice-shop "$data/sbom/cyclonedx/juice-shop-11.1.2.cdx.json"
pair keycloak "$data/sbom/cyclonedx/keycloak-10.0.2.cdx.json"
pair syft-grype "$data/sbom/spdx/syft-grype-0.32.0-release.spdx.json"
echo >>"$table"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?)" >>"$table"
cat "$table"
