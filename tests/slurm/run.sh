#!/usr/bin/env bash
# tests/slurm/run.sh EDBX: edbx get as a real Slurm job array (docs/scale.md).
#
# Starts a single-node Slurm of its own (tests/slurm/cluster.sh: munged, slurmctld and slurmd
# as root, every file in a scratch folder) and `edbx serve` on 127.0.0.1 failing one data
# request in five at random (503, retried), writes the job script with
# `edbx get --slurm 4`, submits the 4-task array of shards and the assembly that depends on
# it with sbatch, and checks that:
#   - every task and the assembly exit 0;
#   - the output is byte for byte the output of one process asking the service;
#   - the assembly asked nothing, and a shard submitted again asks nothing.
# Every daemon it started is stopped by its PID and the scratch folder removed, also on
# failure.  If Slurm cannot start, the test fails with the daemons' logs; it never skips.
set -euo pipefail
edbx=$(realpath "${1:?usage: run.sh EDBX}")
here=$(cd "$(dirname "$0")" && pwd)
fixtures=${EDBX_FIXTURES:-$here/../../fixtures}
. "$here/cluster.sh"

scratch=$(mktemp -d /tmp/edbx-slurm.XXXXXX)
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
fail() {
    echo "slurm test: FAILED: $*" >&2
    for f in "$scratch"/work/slurm-*.out "$scratch"/serve.err; do
        [ -f "$f" ] || continue
        echo "----- $f -----" >&2
        tail -n 40 "$f" >&2
    done
    cluster_logs
    exit 1
}
# Show each command and its output, as docs/scale.md quotes them.
show() {
    echo "\$ $*"
    "$@"
}

# Four CPUs on the node (the machine may have fewer): the 4 tasks run at once, four
# writers in one cache folder.
cluster_start "$scratch/slurm" 4 || fail "Slurm did not start (its logs are above)"
echo "slurm test: a one-node Slurm is up: $(sinfo -h -o '%P %a %D %T %N')"

# The service: the real recordings of 2021-01-26 (21 mnemonics), one request in five
# failing with 503 (seed 7: the same request numbers every run).
echo "\$ $edbx serve $fixtures/jwst-2021-01-26 --port 0 --fail-rate 0.2 --seed 7 -v &"
"$edbx" serve "$fixtures/jwst-2021-01-26" --port 0 --fail-rate 0.2 --seed 7 -v \
    >"$scratch/serve.out" 2>"$scratch/serve.err" &
serve_pid=$!
for t in $(seq 50); do
    grep -q '^edbx serve: serving' "$scratch/serve.out" 2>/dev/null && break
    sleep 0.1
done
base=$(sed -n 's/^edbx serve: serving .* on \(http[^ ]*\)$/\1/p' "$scratch/serve.out")
[ -n "$base" ] || fail "edbx serve did not start"
cat "$scratch/serve.out"
export ENG_BASE_URL=$base
unset MAST_API_TOKEN XDG_CACHE_HOME ENG_RETRIES ENG_TIMEOUT
export HOME=$scratch/home
mkdir -p "$HOME" "$scratch/work"
requests() { grep -c ' /api/v0.1/Download/file' "$scratch/serve.err" || true; }

cd "$scratch/work"
ls "$fixtures/jwst-2021-01-26" | sed -n 's/_data\.json$//p' | tr a-z A-Z >names.txt
echo "names.txt: $(wc -l <names.txt) mnemonics: $(head -n 3 names.txt | tr '\n' ' ')..."
query=(-f names.txt --start 2021-01-26T02:28:00 --end 2021-01-26T02:36:00 --chunk 1min
       --cache "$scratch/work/cache")
show "$edbx" get "${query[@]}" -j 4 --slurm 4 -o trend.csv || fail "--slurm"
[ -x trend.csv.sbatch ] || fail "no executable trend.csv.sbatch"

t0=$(date +%s.%N)
echo "\$ jid=\$(sbatch --parsable --array=0-3 trend.csv.sbatch shard)"
jid=$(sbatch --parsable --array=0-3 trend.csv.sbatch shard) || fail "sbatch of the array"
jid=${jid%%;*}
CLUSTER_JOBS+=("$jid")
echo "\$ sbatch --parsable --dependency=afterany:\$jid trend.csv.sbatch assemble"
aid=$(sbatch --parsable --dependency=afterany:"$jid" trend.csv.sbatch assemble) ||
    fail "sbatch of the assembly"
aid=${aid%%;*}
CLUSTER_JOBS+=("$aid")
echo "submitted: array $jid, assembly $aid"
cluster_wait "$aid" 240 || fail "the jobs did not finish"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "the array and the assembly took %.1f s\n", b - a }'

for k in 0 1 2 3; do
    state=$(scontrol show job "${jid}_$k" | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p' | head -n 1)
    code=$(scontrol show job "${jid}_$k" | sed -n 's/.* ExitCode=\([0-9:]*\).*/\1/p' | head -n 1)
    [ "$state" = COMPLETED ] && [ "$code" = 0:0 ] || fail "task $k: $state, exit $code"
    echo "task ${jid}_$k: $state, exit $code: $(grep 'shard' "slurm-${jid}_$k.out")"
done
state=$(scontrol show job "$aid" | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p' | head -n 1)
[ "$state" = COMPLETED ] || fail "the assembly: $state"
echo "assembly $aid: $state"
cat "slurm-$aid.out"
after_array=$(requests)
echo "the service answered $after_array data requests (168 in the plan, the rest were failed tries)"
[ "$after_array" -ge 168 ] || fail "fewer requests than the plan has: $after_array"

# The assembly asked nothing: its output equals one process asking the service.
show "$edbx" get "${query[@]}" --no-cache -o single.csv || fail "the single-process run"
show cmp trend.csv single.csv || fail "the assembly differs from one process"
echo "$(wc -l <trend.csv) lines, $(wc -c <trend.csv) bytes: identical"

# A shard submitted again (as a requeue or a rerun by hand) asks nothing.
before=$(requests)
echo "\$ sbatch --parsable --array=2 trend.csv.sbatch shard    # shard 2 again"
rid=$(sbatch --parsable --array=2 trend.csv.sbatch shard) || fail "sbatch of a rerun"
rid=${rid%%;*}
CLUSTER_JOBS+=("$rid")
cluster_wait "$rid" 120 || fail "the rerun did not finish"
echo "task ${rid}_2: $(cat "slurm-${rid}_2.out")"
[ "$(requests)" = "$before" ] || fail "the rerun of shard 2 asked $(( $(requests) - before )) requests"
echo "slurm test: passed"
