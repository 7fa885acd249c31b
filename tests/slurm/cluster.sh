# tests/slurm/cluster.sh: a real single-node Slurm for one test run, in a scratch folder.
# Sourced by tests/slurm/run.sh and tests/bench/bench_scale.sh (bash).
#
#   cluster_start DIR [CPUS]
#                       generate a munge key and a slurm.conf in DIR, start munged,
#                       slurmctld and slurmd in the foreground (so their PIDs are the ones
#                       started here), wait until the node is idle; on failure print the
#                       daemons' logs and return 1.  Exports SLURM_CONF.  CPUS (default:
#                       nproc) is how many CPUs the node offers, so how many one-CPU tasks
#                       run at once: more than the machine has lets network-bound tasks
#                       run side by side as they would on the cores of a real cluster.
#   cluster_wait JOBID SECONDS   wait until the job (and its array tasks) left the queue
#   cluster_stop        cancel the jobs submitted (CLUSTER_JOBS), stop the daemons by the
#                       PIDs started, wait for them to exit
#
# As root on this machine only (Debian 12's slurm-wlm 22.05 and munge, no systemd, no
# cgroups: /work/shared/slurm-on-one-node.md).  Nothing of the machine's own configuration
# is read or changed: every path is in DIR, the ports are free ones picked at start.

CLUSTER_PIDS=()
CLUSTER_JOBS=()
CLUSTER_DIR=

cluster_logs() {
    local f
    for f in "$CLUSTER_DIR"/log/*; do
        [ -f "$f" ] || continue
        echo "----- $f (last 60 lines) -----" >&2
        tail -n 60 "$f" >&2
    done
}

# Two free TCP ports on 127.0.0.1, picked by the kernel.
cluster_ports() {
    /usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))'
}

cluster_start() {
    CLUSTER_DIR=$1
    local d=$CLUSTER_DIR host cpus ctl_port d_port t overrides=
    if [ "$(id -u)" != 0 ]; then
        echo "cluster: a real Slurm is started as root (SlurmUser=root); run as root" >&2
        return 1
    fi
    for t in munged slurmctld slurmd sbatch sinfo squeue scontrol scancel; do
        if ! command -v "$t" >/dev/null 2>&1; then
            echo "cluster: $t is missing: install slurm-wlm and munge (scripts/bootstrap)" >&2
            return 1
        fi
    done
    mkdir -p "$d/munge" "$d/state" "$d/spool" "$d/log" "$d/run"
    chmod 700 "$d" "$d/munge"
    head -c 1024 /dev/urandom >"$d/munge/munge.key"
    chmod 400 "$d/munge/munge.key"
    host=$(hostname -s)
    cpus=${2:-$(nproc)}
    # More CPUs than the machine has: slurmd registers the configured count, not its own.
    [ "$cpus" -gt "$(nproc)" ] && overrides="SlurmdParameters=config_overrides"
    read -r ctl_port d_port < <(cluster_ports)
    cat >"$d/slurm.conf" <<EOF
# A one-node cluster for one test run (tests/slurm/cluster.sh); everything in $d.
ClusterName=edbxtest
SlurmctldHost=$host
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.socket
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
ReturnToService=2
MinJobAge=600
$overrides
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF=$d/slurm.conf
    munged --foreground --force --key-file="$d/munge/munge.key" \
        --socket="$d/munge/munge.socket" --pid-file="$d/run/munged.pid" \
        --log-file="$d/log/munged.log" --seed-file="$d/munge/munged.seed" \
        >"$d/log/munged.out" 2>&1 &
    CLUSTER_PIDS+=($!)
    for t in $(seq 50); do
        [ -S "$d/munge/munge.socket" ] && break
        sleep 0.1
    done
    if [ ! -S "$d/munge/munge.socket" ]; then
        echo "cluster: munged did not start" >&2
        cluster_logs
        return 1
    fi
    slurmctld -D -c >"$d/log/slurmctld.out" 2>&1 &
    CLUSTER_PIDS+=($!)
    slurmd -D >"$d/log/slurmd.out" 2>&1 &
    CLUSTER_PIDS+=($!)
    for t in $(seq 150); do
        if [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; then
            return 0
        fi
        sleep 0.2
    done
    echo "cluster: the node did not come up idle within 30 s (sinfo: $(sinfo 2>&1 | tr '\n' ' '))" >&2
    cluster_logs
    return 1
}

# Wait until job $1 (all of its array tasks) left the queue; at most $2 seconds.
cluster_wait() {
    local job=$1 limit=$2 t
    for t in $(seq $((limit * 5))); do
        if [ -z "$(squeue -h -j "$job" 2>/dev/null)" ]; then
            return 0
        fi
        sleep 0.2
    done
    echo "cluster: job $job still in the queue after $limit s:" >&2
    squeue >&2 || true
    return 1
}

cluster_stop() {
    local p t alive
    if [ ${#CLUSTER_JOBS[@]} -gt 0 ] && [ -n "${SLURM_CONF-}" ]; then
        scancel "${CLUSTER_JOBS[@]}" 2>/dev/null || true
        for t in $(seq 50); do
            [ -z "$(squeue -h 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
    # Last started, first stopped: slurmd, slurmctld, munged.
    for ((p = ${#CLUSTER_PIDS[@]} - 1; p >= 0; p--)); do
        kill "${CLUSTER_PIDS[p]}" 2>/dev/null || true
    done
    for t in $(seq 100); do
        alive=0
        for p in "${CLUSTER_PIDS[@]}"; do
            kill -0 "$p" 2>/dev/null && alive=1
        done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for p in "${CLUSTER_PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    CLUSTER_PIDS=()
    CLUSTER_JOBS=()
}
