#!/usr/bin/env bash
# bench_monitor.sh: the wall time, CPU and peak memory of `edbx monitor` running jwql's MIRI
# configuration over the synthetic month (tests/make_miri_month.py, 80 mnemonics, 30 days)
# against `edbx serve` on this machine, three times each way.  A benchmark, not a test: it
# prints figures and never fails on them.
#   tests/bench/bench_monitor.sh [build/release/edbx]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
edbx=${1:-$top/build/release/edbx}
work=$(mktemp -d)
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
/usr/bin/python3 "$top/tests/make_miri_month.py" "$work/month"
"$edbx" serve "$work/month" --port 0 >"$work/serve.out" 2>/dev/null &
serve_pid=$!
for _ in $(seq 100); do grep -q ' on http' "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/.* on \(http[^ ]*\).*/\1/p' "$work/serve.out" | head -1)
config="$top/fixtures/jwql-monitor-configs/miri_mnemonics_to_monitor.json"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for extra in "--plots none" "" "--chunk 30d"; do
  for run in 1 2 3; do
    rm -rf "$work/out"
    /usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB peak" -o "$work/time" \
      "$edbx" monitor "$config" --start 2024-03-01 --for 30d -o "$work/out" --base-url "$base" \
      --no-cache --meta "$work/month-inventory.csv" --meta "$work/month/meta.json" -q \
      $extra 2>/dev/null || true
    echo "monitor ${extra:-(plots)} run $run: $(grep -v 'exited with' "$work/time")"
  done
done
