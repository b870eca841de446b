#!/usr/bin/env bash
# make bench: stella's benchmark harness (docs/performance.md).
#
#  1. Go benchmarks: go test -bench -benchmem, BENCH_COUNT runs each, saved as
#     bench-out/go-bench.txt (compare two commits with benchstat).
#  2. End to end: real commands over ../shared/data and over synthetic inputs
#     (tools/gen), each run BENCH_RUNS times under /usr/bin/time -v (wall,
#     user, sys, peak RSS), beside the floor (tools/floor: read and
#     JSON-decode the same input bytes, nothing else), written as a Markdown
#     table to bench-out/e2e.md and printed.
#
# Environment:
#   BENCH_OUT    results directory (default bench-out)
#   BENCH_COUNT  runs of each Go benchmark (default 6; 0 skips them)
#   BENCH_RUNS   runs of each command; the table shows medians (default 5)
#   BENCH_QUICK  1: only the real-data cases and the small synthetic ones
#   BENCH_FILTER Go benchmark regexp (default .)
#   STELLA_TESTDATA  the shared data (default ../shared/data)
#   OSV_SCANNER  the peer binary (default osv-scanner): when it is on PATH,
#                scripts/peer-osv-scanner.sh runs it beside stella
#
# Timings are never asserted: the table says whether each target was met on
# this machine. Wall times on a shared machine are noisy; CPU time (user +
# sys) is reported beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${BENCH_OUT:-$root/bench-out}
count=${BENCH_COUNT:-6}
runs=${BENCH_RUNS:-5}
quick=${BENCH_QUICK:-0}
filter=${BENCH_FILTER:-.}
data=${STELLA_TESTDATA:-$root/../shared/data}
mkdir -p "$out/bin" "$out/data" "$out/logs"
out=$(cd "$out" && pwd)
[ -d "$data" ] && data=$(cd "$data" && pwd) || data=""
export STELLA_TESTDATA=${data:-/nonexistent}
# Loose advisories go through the frozen-advisory cache (docs/performance.md,
# "The advisory store"), kept here rather than in the user's cache: the
# warm-up run fills it, the timed runs read it. The ".cold" cases turn it
# off and freeze every record on every run.
export STELLA_INPUTS_CACHE_DIR=$out/frozen
cold=(env STELLA_INPUTS_CACHE_DIR=off)

log() { printf '\n=== %s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------

timer=/usr/bin/time
timer_note="/usr/bin/time -v"
if [ ! -x "$timer" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  log "installing time"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null) || true
fi
log "building stella (stripped, static) and the tools"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/bin/stella" ./cmd/stella
for t in gen floor timeit seedruns; do
  go build -o "$out/bin/$t" "./tools/$t"
done
if [ ! -x "$timer" ]; then
  timer="$out/bin/timeit"
  timer_note="tools/timeit (Go: wall clock and the child's getrusage; /usr/bin/time was not available)"
fi
stella=$out/bin/stella
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)

# --- Go benchmarks ---------------------------------------------------------

if [ "$count" -gt 0 ]; then
  log "go test -bench $filter -benchmem -count $count"
  pkgs=$(grep -l '^func Benchmark' $(git ls-files '*_test.go' 2>/dev/null || find internal -name '*_test.go') |
    xargs -n1 dirname | sort -u | sed 's|^|./|')
  # shellcheck disable=SC2086
  go test -run '^$' -bench "$filter" -benchmem -count "$count" -timeout 60m $pkgs | tee "$out/go-bench.txt" |
    grep -E '^(Benchmark|ok|FAIL|---)' >&2 || true
fi

# --- end to end ------------------------------------------------------------

export HOME=$out/home XDG_DATA_HOME=$out/home/data XDG_CONFIG_HOME=$out/home/config NO_COLOR=1
rm -rf "$out/home"
mkdir -p "$HOME"
results=$out/e2e.tsv
: >"$results"

# measure NAME CMD… runs CMD BENCH_RUNS times (after one warm-up run) with its
# stdout to /dev/null and appends "NAME wall user sys rss exit" (medians in
# ms, the largest peak RSS in MiB, the last non-zero exit status) to the
# results. An argument {i} is replaced by the run's number.
measure() {
  local name=$1
  shift
  local log=$out/logs/$name.txt samples=$out/logs/$name.samples
  : >"$log"
  : >"$samples"
  local i
  for ((i = 0; i <= runs; i++)); do
    local args=("${@//\{i\}/$i}") t0 t1
    t0=$(date +%s%N)
    "$timer" -v "${args[@]}" >/dev/null 2>"$log.run" || true
    t1=$(date +%s%N)
    cat "$log.run" >>"$log"
    [ "$i" = 0 ] && continue # warm-up
    awk -v wall=$(((t1 - t0) / 1000)) '
      /User time/ {u=$NF} /System time/ {s=$NF} /Maximum resident/ {m=$NF} /Exit status/ {x=$NF}
      END {printf "%.1f %.1f %.1f %.1f %s\n", wall/1000, u*1000, s*1000, m/1024, x}' "$log.run" >>"$samples"
  done
  rm -f "$log.run"
  local med=() col
  for col in 1 2 3; do
    med+=("$(cut -d' ' -f$col "$samples" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')")
  done
  local rss exit
  rss=$(cut -d' ' -f4 "$samples" | sort -n | tail -1)
  exit=$(cut -d' ' -f5 "$samples" | grep -v '^0$' | tail -1 || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "${med[@]}" "$rss" "${exit:-0}" >>"$results"
  printf '  %-34s wall %s ms, user %s ms, sys %s ms, %s MiB%s\n' "$name" "${med[@]}" "$rss" "${exit:+, exit $exit}" >&2
}

# gen DIR ARGS… writes a synthetic set once (it is deterministic).
gen() {
  local dir=$out/data/$1
  shift
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    "$out/bin/gen" -out "$dir" "$@" >/dev/null
    touch "$dir/.done"
  fi
}

# simulate NAME DIR [ARGS…]: the synthetic set in DIR through policy
# simulate (JSON with explain traces, to /dev/null), and the floor over the
# same files.
simulate_synth() {
  local name=$1 dir=$out/data/$2
  shift 2
  local vex=() vexfile=()
  if [ -f "$dir/vex.openvex.json" ]; then
    vex=(--vex "$dir/vex.openvex.json")
    vexfile=("$dir/vex.openvex.json")
  fi
  measure "$name" "$stella" policy simulate "$dir/policy.stella" --sbom "$dir/sbom.cdx.json" --advisories "$dir/osv.zip" \
    "${vex[@]}" --env exposure=internet --as-of 2026-01-01T00:00:00Z --format json --fail-on never -q "$@"
  measure "$name.floor" "$out/bin/floor" "$dir/sbom.cdx.json" "$dir/osv.zip" "${vexfile[@]}"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?)
log "end to end ($timer_note; $runs runs, medians; load average $load_start)"
measure version "$stella" version

if [ -n "$data" ]; then
  nr=$data/sbom/spdx/trivy-newrelic_synthetics-minion-runner.spdx.json
  pol=$data/policies/baseline.stella
  measure compile.baseline "$stella" policy compile "$pol" --digest
  measure simulate.newrelic "$stella" policy simulate "$pol" --sbom "$nr" --advisories "$data/osv" --format json --fail-on never -q
  measure simulate.newrelic.cold "${cold[@]}" "$stella" policy simulate "$pol" --sbom "$nr" --advisories "$data/osv" --format json --fail-on never -q
  measure simulate.newrelic.floor "$out/bin/floor" "$nr" "$data/osv"
  measure simulate.newrelic.mfloor "$out/bin/floor" -matching "$nr" "$data/osv"
  rm -rf "$out/snap-newrelic"
  "$stella" -q snapshot create --sbom "$nr" --advisories "$data/osv" -o "$out/snap-newrelic" >/dev/null
  measure simulate.newrelic.snapshot "$stella" policy simulate "$pol" --snapshot "$out/snap-newrelic" --format json --fail-on never -q
  measure simulate.newrelic.snapshot.floor "$out/bin/floor" "$out/snap-newrelic"
  measure simulate.newrelic.snapshot.mfloor "$out/bin/floor" -matching "$nr" "$data/osv"
else
  log "no shared data ($STELLA_TESTDATA): skipping the real-data cases"
fi

gen rules1000 -components 1 -advisories 0 -vex 0 -rules 1000
measure compile.1000rules "$stella" policy compile "$out/data/rules1000/policy.stella" --digest

# The scaling tables: one dimension at 1k, 10k, 100k, the others at the base
# (10k components, 10k advisories, 20 rules, 1k VEX statements).
gen base -components 10000 -advisories 10000 -vex 1000 -rules 20
simulate_synth scale.base base
for n in 1000 100000; do
  [ "$quick" = 1 ] && [ "$n" = 100000 ] && continue
  gen comp$n -components $n -advisories 10000 -vex 1000 -rules 20
  simulate_synth scale.components.$n comp$n
  gen adv$n -components 10000 -advisories $n -vex 1000 -rules 20
  simulate_synth scale.advisories.$n adv$n
done
for n in 10000 100000; do # 1k statements is the base
  [ "$quick" = 1 ] && [ "$n" = 100000 ] && continue
  gen vex$n -components 10000 -advisories 10000 -vex $n -rules 20
  simulate_synth scale.vex.$n vex$n
done
# Rules: every finding's explain trace holds every rule, so the rules
# dimension runs on a smaller set (1k components × 1k advisories, ~100
# findings). A 100k-rule policy (20 MB) is over the 4 MiB policy file limit.
for n in 20 1000 10000; do
  gen rules$n-eval -components 1000 -advisories 1000 -vex 100 -rules $n
  simulate_synth scale.rules.$n rules$n-eval
done
gen rules10000 -components 1 -advisories 0 -vex 0 -rules 10000
measure compile.10000rules "$stella" policy compile "$out/data/rules10000/policy.stella" --digest

if [ "$quick" != 1 ]; then
  # The big case and the doubling curve: 200k advisories, 20 rules.
  for n in 12500 25000 50000 100000; do
    gen big$n -components $n -advisories 200000 -vex 10000 -rules 20
    simulate_synth big.$n big$n
  done
  d=$out/data/big100000
  big=("$stella" policy simulate "$d/policy.stella" --sbom "$d/sbom.cdx.json" --advisories "$d/osv.zip"
    --vex "$d/vex.openvex.json" --env exposure=internet --as-of 2026-01-01T00:00:00Z --format json --fail-on never -q)
  # The first run over the zip: an empty cache entry each time, so every
  # run freezes the 200k records into it as it reads them
  # (docs/performance.md, "The first run over a new zip"); .cold has no
  # cache at all and freezes in memory.
  rm -rf "$out/frozen-first"
  measure big.100000.first env STELLA_INPUTS_CACHE_DIR="$out/frozen-first/{i}" "${big[@]}"
  rm -rf "$out/frozen-first"
  measure big.100000.cold "${cold[@]}" "${big[@]}"
  # The store: a policy run persisting ~100k findings, history over 10k runs.
  # Each run has another env value, so each is a new run that persists
  # every finding and explain trace.
  gen store -components 70000 -advisories 200000 -vex 0 -rules 20 -hit 0.9
  rm -rf "$out/snap-store" "$out/run.db"
  "$stella" -q snapshot create --sbom "$out/data/store/sbom.cdx.json" --advisories "$out/data/store/osv.zip" -o "$out/snap-store" >/dev/null
  "$stella" -q --db "$out/run.db" snapshot import "$out/snap-store" >/dev/null
  sid=$(sed -n 's/^  "id": "\(sha256:[0-9a-f]*\)".*/\1/p' "$out/snap-store/manifest.json" | head -1)
  measure run.store "$stella" --db "$out/run.db" policy run "$out/data/store/policy.stella" --snapshot "$sid" \
    --as-of 2026-01-01T00:00:00Z --env bench_run={i} --format json -q
  "$stella" --db "$out/run.db" policy history --limit 1 --format json >"$out/logs/run.store.history.json" 2>&1 || true
  if [ ! -f "$out/data/history.done" ]; then
    rm -f "$out/data/history.db"*
    "$out/bin/seedruns" -db "$out/data/history.db" -runs 10000 >/dev/null
    touch "$out/data/history.done"
  fi
  measure history.10k "$stella" --db "$out/data/history.db" policy history
  measure history.10k.all "$stella" --db "$out/data/history.db" policy history --limit 0 --format json
fi

# --- the table ------------------------------------------------------------

size=$(stat -c %s "$stella" 2>/dev/null || stat -f %z "$stella")
table=$out/e2e.md
{
  echo "stella $commit$dirty · $(go env GOOS)/$(go env GOARCH) · $(nproc 2>/dev/null || echo ?) CPUs ·" \
    "$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //' || echo unknown CPU) ·" \
    "$(go env GOVERSION) · timed with $timer_note, median of $runs runs after a warm-up (page cache warm) ·" \
    "load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?) at the end"
  echo
  echo "stripped static binary: $((size / 1024 / 1024)) MiB ($size bytes; target < 40 MiB)"
  echo
  echo "| case | wall ms | user ms | sys ms | peak RSS MiB | floor wall ms | ÷ floor | matching floor ms | ÷ matching floor | target |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  awk -F'\t' '
    BEGIN {
      t["version"]="< 20 ms"; t["compile.1000rules"]="< 100 ms"; t["simulate.newrelic"]="< 300 ms, < 150 MiB, ≤ 2× floor"
      t["simulate.newrelic.snapshot"]="< 100 ms"; t["big.100000"]="< 10 s, < 600 MB (issue 15)"; t["big.100000.first"]="< 10 s, < 600 MB (issue 15)"; t["run.store"]="< 5 s"
      t["history.10k"]="< 100 ms"
    }
    {name[NR]=$1; w[$1]=$2; u[$1]=$3; s[$1]=$4; m[$1]=$5; x[$1]=$6}
    END {
      for (i=1; i<=NR; i++) {
        n=name[i]; if (n ~ /\.m?floor$/) continue
        f=w[n ".floor"]; r=(f>0 ? sprintf("%.2f", w[n]/f) : ""); fs=(f>0 ? sprintf("%.1f", f) : "")
        g=w[n ".mfloor"]; r2=(g>0 ? sprintf("%.2f", w[n]/g) : ""); gs=(g>0 ? sprintf("%.1f", g) : "")
        note=t[n]; if (x[n]!=0) note=note " (exit " x[n] ")"
        printf "| %s | %.1f | %.1f | %.1f | %.1f | %s | %s | %s | %s | %s |\n", n, w[n], u[n], s[n], m[n], fs, r, gs, r2, note
      }
    }' "$results"
  if [ -f "$out/data/big100000/.done" ]; then
    echo
    echo "doubling components (200k advisories, 20 rules): wall ms"
    awk -F'\t' '$1 ~ /^big\.[0-9]+$/ {sub("big.","",$1); printf "%s components: %s ms (user %s ms)\n", $1, $2, $3}' "$results"
  fi
} >"$table"

# --- the peer --------------------------------------------------------------

if [ -z "$data" ]; then
  echo "osv-scanner comparison skipped: no shared data" >>"$table"
elif command -v "${OSV_SCANNER:-osv-scanner}" >/dev/null 2>&1; then
  log "stella beside osv-scanner (scripts/peer-osv-scanner.sh)"
  STELLA=$stella BENCH_OUT=$out PEER_RUNS=$runs ./scripts/peer-osv-scanner.sh >/dev/null
  { echo; cat "$out/peer.md"; } >>"$table"
else
  printf '\nosv-scanner is not on PATH: the side-by-side comparison (scripts/peer-osv-scanner.sh) was skipped;\nbuild it outside the repository as that script says and run make bench again.\n' >>"$table"
fi
log "results: $table${count:+, $out/go-bench.txt}"
cat "$table"
