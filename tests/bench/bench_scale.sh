#!/usr/bin/env bash
# tests/bench/bench_scale.sh [EDBX]: the wall time of one pull through 1, 4 and 8 array
# tasks (docs/scale.md).
#
# 29 mnemonics x 60 days (1740 one-day requests; a sample every 15 minutes) from
# `edbx serve --delay 200ms` on 127.0.0.1, each task with -j 4, written with
# `edbx get --slurm N` and run:
#   - as a real Slurm job array and its assembly job (a one-node Slurm of the benchmark's
#     own, tests/slurm/cluster.sh; as root), timed from the first sbatch to the end of the
#     assembly, the shards' own end reported too.  The node declares BENCH_SCALE_CPUS CPUs
#     (default 8, whatever the machine has) so that up to 8 of these network-bound
#     one-CPU tasks run at once, as on 8 cores of a cluster;
#   - by the script's shell loop (`sh FILE.sbatch local`), without a scheduler.
# Each run starts from an empty cache, and its output is compared with the first run's.
# Prints figures; never fails on timing.
#   EDBX: the edbx to time (default build/release/edbx, else build/test/edbx)
#   BENCH_SCALE_TASKS="1 4 8"  BENCH_SCALE_SLURM=0 (no Slurm: the shell loop only)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
edbx=${1:-}
if [ -z "$edbx" ]; then
    edbx=$top/build/release/edbx
    [ -x "$edbx" ] || edbx=$top/build/test/edbx
fi
edbx=$(realpath "$edbx")
tasks=${BENCH_SCALE_TASKS:-1 4 8}
use_slurm=${BENCH_SCALE_SLURM:-1}
. "$top/tests/slurm/cluster.sh"

scratch=$(mktemp -d /tmp/edbx-bench-scale.XXXXXX)
serve_pid=
cleanup() {
    local rc=$?
    cluster_stop
    if [ -n "$serve_pid" ]; then
        kill "$serve_pid" 2>/dev/null || true
        wait "$serve_pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
    exit $rc
}
trap cleanup EXIT
now() { date +%s.%N; }
# verdict="N lines, identical to the first output" (the first output is the reference).
first=
verdict=
same() {
    if [ -z "$first" ]; then
        first=$1
        verdict="$(wc -l <"$1") lines"
    elif cmp -s "$first" "$1"; then
        verdict="$(wc -l <"$1") lines, identical to $first"
    else
        verdict="$(wc -l <"$1") lines, DIFFERENT from $first"
    fi
}
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# The store: SA_ZBENCH0..28, 60 days from 2022-03-01, every 15 minutes.
mkdir -p "$scratch/store" "$scratch/work"
/usr/bin/python3 - "$scratch/store" <<'EOF'
import json, sys
d = sys.argv[1]
t0 = 1646092800000  # 2022-03-01T00:00:00Z in ms
names = ["SA_ZBENCH%d" % m for m in range(29)]
json.dump({"Count": 29, "TlmMnemonics": [{"TlmMnemonic": n, "SQLType": "REAL", "AllPoints": 1}
                                         for n in names]}, open(d + "/meta.json", "w"))
for m, n in enumerate(names):
    data = [{"ObsTime": "/Date(%d+0000)/" % (t0 + k * 900000), "EUValue": m + k / 1000.0}
            for k in range(60 * 96)]
    json.dump({"TlmMnemonic": n, "AllPoints": 1, "Count": len(data), "Data": data},
              open("%s/%s_data.json" % (d, n.lower()), "w"))
EOF
"$edbx" serve "$scratch/store" --port 0 --delay 200ms >"$scratch/serve.out" 2>"$scratch/serve.err" &
serve_pid=$!
for t in $(seq 100); do
    grep -q '^edbx serve: serving' "$scratch/serve.out" 2>/dev/null && break
    sleep 0.1
done
base=$(sed -n 's/^edbx serve: serving .* on \(http[^ ]*\)$/\1/p' "$scratch/serve.out")
[ -n "$base" ] || { echo "bench_scale: edbx serve did not start" >&2; exit 1; }
export ENG_BASE_URL=$base HOME=$scratch/home
unset MAST_API_TOKEN XDG_CACHE_HOME
mkdir -p "$HOME"
cd "$scratch/work"
for m in $(seq 0 28); do echo "SA_ZBENCH$m"; done >names.txt
query=(-f names.txt --start 2022-03-01 --end 2022-04-29T23:59:59 -j 4)
echo "bench_scale: 29 mnemonics x 60 days = 1740 requests, 200 ms each, -j 4 per task ($edbx)"

if [ "$use_slurm" = 1 ]; then
    cluster_start "$scratch/slurm" "${BENCH_SCALE_CPUS:-8}" || exit 1
    for n in $tasks; do
        rm -rf cache
        "$edbx" get "${query[@]}" --cache "$scratch/work/cache" --slurm "$n" -o "slurm$n.csv" >/dev/null
        t0=$(now)
        jid=$(sbatch --parsable --array=0-$((n - 1)) "slurm$n.csv.sbatch" shard)
        jid=${jid%%;*}
        aid=$(sbatch --parsable --dependency=afterany:"$jid" "slurm$n.csv.sbatch" assemble)
        aid=${aid%%;*}
        CLUSTER_JOBS+=("$jid" "$aid")
        cluster_wait "$jid" 900
        t1=$(now)
        cluster_wait "$aid" 300
        t2=$(now)
        state=$(scontrol show job "$aid" | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p' | head -n 1)
        same "slurm$n.csv"
        printf 'slurm  %d task%s x -j 4: %6s s (shards %s s, assembly %s s; ideal %s s) %s, %s\n' \
            "$n" "$([ "$n" = 1 ] && echo ' ' || echo s)" "$(secs "$t0" "$t2")" "$(secs "$t0" "$t1")" \
            "$(secs "$t1" "$t2")" "$(awk -v n="$n" 'BEGIN { printf "%.1f", 1740 * 0.2 / (4 * n) }')" \
            "$state" "$verdict"
    done
    cluster_stop
fi
for n in $tasks; do
    rm -rf cache
    "$edbx" get "${query[@]}" --cache "$scratch/work/cache" --slurm "$n" -o "loop$n.csv" >/dev/null
    t0=$(now)
    sh "loop$n.csv.sbatch" local 2>/dev/null
    t1=$(now)
    same "loop$n.csv"
    printf 'shell  %d task%s x -j 4: %6s s (ideal %s s), %s\n' "$n" \
        "$([ "$n" = 1 ] && echo ' ' || echo s)" "$(secs "$t0" "$t1")" \
        "$(awk -v n="$n" 'BEGIN { printf "%.1f", 1740 * 0.2 / (4 * n) }')" "$verdict"
done
