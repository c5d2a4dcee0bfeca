#!/usr/bin/env bash
# A one-host Slurm 22.05 for tests, demos and benchmarks: munged, slurmctld, NODES slurmd
# "nodes" (default 4, CPUS each, default 2, and 4 counted-only "tesla" GPUs each) and
# slurmrestd with JWT auth, all under DIR, loopback only, stopped by the PIDs recorded
# there. Needs root (slurmd runs jobs as their users) and the Debian packages slurm-wlm,
# slurmrestd and munge.
#   eval "$(scripts/slurm-local.sh start DIR [NODES] [CPUS])"   # prints the exports below
#   scripts/slurm-local.sh stop DIR
# SLURM_CONTAIN=cgroup contains jobs with cgroups (proctrack/cgroup, task/cgroup).
# Exports: SLURM_CONF (for sbatch, squeue, scontrol), OG_SLURMRESTD_URL, OG_SLURM_TOKEN_FILE
# (a JWT for root, renewed by OG_SLURM_TOKEN_COMMAND).
set -euo pipefail

die() { echo "slurm-local: $*" >&2; exit 1; }
cmd=${1:-}
dir=${2:-}
[[ ($cmd == start || $cmd == stop) && -n $dir ]] || die "usage: slurm-local.sh start|stop DIR [NODES] [CPUS]"

stop() {
  local pidfile pid
  for pidfile in "$dir"/run/*.pid; do
    [[ -f $pidfile ]] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
  done
  for pidfile in "$dir"/run/*.pid; do
    [[ -f $pidfile ]] || continue
    pid=$(cat "$pidfile")
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}
if [[ $cmd == stop ]]; then
  [[ -d $dir/run ]] && stop
  exit 0
fi

nodes=${3:-4}
cpus=${4:-2}
[[ $(id -u) -eq 0 ]] || die "needs root (slurmd starts jobs as their users)"
for tool in munged mungekey slurmctld slurmd slurmrestd scontrol sinfo; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] ||
    die "$tool is missing: apt-get install slurm-wlm slurmrestd slurm-wlm-jwt-plugin munge"
done
ls /usr/lib/*/slurm-wlm/auth_jwt.so >/dev/null 2>&1 ||
  die "Slurm's JWT plugin is missing: apt-get install slurm-wlm-jwt-plugin"
export PATH=/usr/sbin:$PATH

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[[ -d $dir/run ]] && stop
rm -rf "$dir/state" "$dir/spool" "$dir/log" "$dir/run" "$dir/munge" "$dir/etc"
mkdir -p "$dir/state" "$dir/log" "$dir/run" "$dir/munge/run" "$dir/etc"
for n in $(seq "$nodes"); do mkdir -p "$dir/spool/n$n"; done
chmod 755 "$dir" "$dir/run" "$dir/etc"  # slurmrestd runs as nobody and reads the config
runuser -u munge -- test -x "$dir" ||
  die "$dir is out of reach of the munge user: a directory above it is not searchable (chmod o+x)"

# Free loopback ports, consecutive: slurmctld, slurmrestd, then one per slurmd. Taken below
# the kernel's ephemeral range, where no outgoing connection or bind(0) can be handed one:
# a daemon restarted on its port (tests restart slurmrestd) finds it still free.
mapfile -t ports < <(python3 - "$((nodes + 2))" <<'PY'
import random, socket, sys
count = int(sys.argv[1])
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
floor = 10000 if low > 10000 + 2 * count else 1024
for _ in range(200):
    start = random.randrange(floor, max(floor + 1, low - count))
    socks = []
    try:
        for port in range(start, start + count):
            s = socket.socket()
            s.bind(("127.0.0.1", port))
            socks.append(s)
    except OSError:
        continue
    print("\n".join(str(port) for port in range(start, start + count)))
    sys.exit(0)
sys.exit("slurm-local: no %d free consecutive ports below the ephemeral range (%d)" % (count, low))
PY
)
[[ ${#ports[@]} -eq $((nodes + 2)) ]] || die "could not find free ports for Slurm"
ctld_port=${ports[0]}
rest_port=${ports[1]}

# munge: its own key, socket and files under DIR, run as the munge user.
mungekey -c -k "$dir/munge/munge.key" >/dev/null 2>&1 || mungekey -c -f -k "$dir/munge/munge.key"
chown -R munge:munge "$dir/munge"
chmod 400 "$dir/munge/munge.key"
chmod 755 "$dir/munge/run"
socket=$dir/munge/run/munge.socket
runuser -u munge -- munged --key-file="$dir/munge/munge.key" --socket="$socket" \
  --pid-file="$dir/munge/run/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munge.seed"
for _ in $(seq 50); do [[ -f $dir/munge/run/munged.pid ]] && break; sleep 0.1; done
cp "$dir/munge/run/munged.pid" "$dir/run/munged.pid"

head -c 32 /dev/urandom >"$dir/etc/jwt.key"
chmod 600 "$dir/etc/jwt.key"
memory=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)  # half the host, shared
# SLURM_CONTAIN=cgroup: jobs tracked and held to their CPUs and memory by cgroups, as sites
# run Slurm (proctrack/cgroup, task/cgroup); default: neither (the lightest Slurm).
proctrack=proctrack/linuxproc task_plugin=task/none
if [[ ${SLURM_CONTAIN:-} == cgroup ]]; then
  proctrack=proctrack/cgroup task_plugin=task/cgroup
  cat >"$dir/etc/cgroup.conf" <<CGROUP
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainCores=yes
ConstrainRAMSpace=yes
CGROUP
  chmod 644 "$dir/etc/cgroup.conf"
fi
cat >"$dir/etc/slurm.conf" <<CONF
ClusterName=opengrid-local
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CryptoType=crypto/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$dir/etc/jwt.key
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
ProctrackType=$proctrack
TaskPlugin=$task_plugin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,default_queue_depth=1000
MpiDefault=none
GresTypes=gpu
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=600
KillWait=2
NodeName=n[1-$nodes] NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory Gres=gpu:tesla:4 Port=${ports[2]}-${ports[$((nodes + 1))]} State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
chmod 644 "$dir/etc/slurm.conf"
# Four "GPUs" per node, plain files standing for devices (slurmd logs that they are not
# devices and counts them): enough for sbatch to size GPU requests; nothing runs on them.
for g in 0 1 2 3; do : >"$dir/etc/gpu$g"; done
echo "NodeName=n[1-$nodes] Name=gpu Type=tesla File=$dir/etc/gpu[0-3]" >"$dir/etc/gres.conf"
chmod 644 "$dir/etc/gres.conf"
export SLURM_CONF=$dir/etc/slurm.conf

slurmctld -D -i -f "$SLURM_CONF" >>"$dir/log/slurmctld.out" 2>&1 &
echo $! >"$dir/run/slurmctld.pid"
for n in $(seq "$nodes"); do
  slurmd -D -N "n$n" -f "$SLURM_CONF" >>"$dir/log/slurmd-n$n.out" 2>&1 &
  echo $! >"$dir/run/slurmd-n$n.pid"
done
# slurmrestd can be restarted on its own (tests stop it to see the worker cope).
# It returns once slurmrestd listens, or fails saying why.
cat >"$dir/etc/start-slurmrestd.sh" <<REST
# Running, and not a zombie nobody has reaped yet.
alive() { local s; s=\$(sed 's/.*) //' /proc/\$1/stat 2>/dev/null | cut -d' ' -f1) && [[ -n \$s && \$s != [ZX] ]]; }
if [[ -f "$dir/run/slurmrestd.pid" ]] && alive "\$(cat "$dir/run/slurmrestd.pid")"; then
  echo "slurm-local: slurmrestd is already running (pid \$(cat "$dir/run/slurmrestd.pid"))" >&2
  exit 1
fi
SLURM_JWT=daemon $(command -v slurmrestd) -f "$SLURM_CONF" -u nobody -a rest_auth/jwt -s openapi/v0.0.38 "127.0.0.1:$rest_port" \\
  >>"$dir/log/slurmrestd.out" 2>&1 &
pid=\$!
echo \$pid >"$dir/run/slurmrestd.pid"
for _ in \$(seq 100); do
  alive \$pid || break
  (exec 3<>/dev/tcp/127.0.0.1/$rest_port) 2>/dev/null && alive \$pid && exit 0
  sleep 0.1
done
echo "slurm-local: slurmrestd is not listening on 127.0.0.1:$rest_port; its log:" >&2
tail -n 20 "$dir/log/slurmrestd.out" >&2
exit 1
REST
bash "$dir/etc/start-slurmrestd.sh" || { stop; die "slurmrestd did not start"; }

# Ready when every node is idle (0.5-0.7 s here).
for _ in $(seq 200); do
  idle=$( (sinfo -h -N -t idle -o %N 2>/dev/null || true) | wc -l)
  [[ $idle -ge $nodes ]] && break
  sleep 0.1
done
[[ ${idle:-0} -ge $nodes ]] || { stop; die "nodes did not come up: see $dir/log"; }

# A JWT for root, and the command that renews it (tokens last an hour).
# The token is root's: readable by root only; a failed renewal keeps the old one.
renew="set -o pipefail; umask 077; SLURM_CONF='$SLURM_CONF' scontrol token username=root lifespan=3600 | sed -n 's/^SLURM_JWT=//p' >'$dir/etc/token.new' && [ -s '$dir/etc/token.new' ] && mv '$dir/etc/token.new' '$dir/etc/token'"
bash -c "$renew"
echo "$renew" >"$dir/etc/renew-token.sh"
chmod 700 "$dir/etc/renew-token.sh"
for _ in $(seq 50); do
  curl -s -o /dev/null -H "X-SLURM-USER-NAME: root" -H "X-SLURM-USER-TOKEN: $(cat "$dir/etc/token")" \
    "http://127.0.0.1:$rest_port/slurm/v0.0.38/ping" && break
  sleep 0.1
done

echo "export SLURM_CONF=$SLURM_CONF"
echo "export OG_SLURMRESTD_URL=http://127.0.0.1:$rest_port"
echo "export OG_SLURM_TOKEN_FILE=$dir/etc/token"
echo "export OG_SLURM_TOKEN_COMMAND=\"bash '$dir/etc/renew-token.sh'\""
