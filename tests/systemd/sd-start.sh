#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# sd-start.sh: boot a private systemd over the payload tree $SDTEST_PAYLOAD and wait until
# it reached its target. Needs root. SDTEST_WORK is a scratch directory of its own.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export SDTEST_WORK=${SDTEST_WORK:?} SDTEST_PAYLOAD=${SDTEST_PAYLOAD:?}
export SDTEST_TARGET=${SDTEST_TARGET:-skillrun-test.target}
CG=${SDTEST_CG:-sdtest-$$}
rm -rf "$SDTEST_WORK"; mkdir -p "$SDTEST_WORK"
: > $SDTEST_WORK/cgroups
# a fresh child cgroup in every hierarchy (v1 + name=systemd + cgroup2), below our current one
while IFS=: read -r id ctrl path; do
  if [[ $id == 0 ]]; then
    if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then base=/sys/fs/cgroup; else base=/sys/fs/cgroup/unified; fi
  else base=/sys/fs/cgroup/${ctrl#name=}; fi
  dir=$base${path%/}/$CG
  mkdir "$dir"
  if [[ $ctrl == cpuset ]]; then   # v1 cpuset refuses tasks until cpus/mems are set
    cat "$dir/../cpuset.cpus" > "$dir/cpuset.cpus"; cat "$dir/../cpuset.mems" > "$dir/cpuset.mems"
  fi
  echo "$dir" >> $SDTEST_WORK/cgroups
done < /proc/self/cgroup
# script(1) provides a pty that becomes the container's /dev/console (boot log -> console.log)
(
  while read -r dir; do echo $BASHPID > "$dir/cgroup.procs"; done < $SDTEST_WORK/cgroups
  exec script -q -f -e -c "unshare --pid --fork --mount --cgroup --uts --ipc --propagation private $HERE/ns-init.sh" \
       $SDTEST_WORK/console.log
) < /dev/null > $SDTEST_WORK/launcher.log 2>&1 &
echo $! > $SDTEST_WORK/launcher.pid
# handshake: once ns-init reported its host pid, move the launcher processes (script and
# unshare, outside the new pid namespace) back to the original cgroups, then let it exec systemd
for i in $(seq 200); do [[ -s $SDTEST_WORK/systemd.pid ]] && break; sleep 0.05; done
[[ -s $SDTEST_WORK/systemd.pid ]] || { echo "ns-init did not start"; cat $SDTEST_WORK/launcher.log; exit 1; }
P=$(cat $SDTEST_WORK/systemd.pid)
for pid in $(cat $SDTEST_WORK/launcher.pid) $(awk '{print $4}' /proc/$P/stat); do
  while read -r dir; do echo $pid > "$dir/../cgroup.procs"; done < $SDTEST_WORK/cgroups
done
touch $SDTEST_WORK/go
# wait for PID 1 to come up and reach its target
for i in $(seq 300); do
  [[ $(nsenter -t $P -m -p systemctl is-system-running 2>/dev/null) =~ ^(running|degraded)$ ]] && break
  kill -0 $(cat $SDTEST_WORK/launcher.pid) 2>/dev/null || { echo "systemd died"; cat $SDTEST_WORK/launcher.log $SDTEST_WORK/console.log; exit 1; }
  sleep 0.1
done
state=$(nsenter -t $P -m -p systemctl is-system-running 2>/dev/null || true)
echo "systemd (host pid $P) state: $state"
[[ $state =~ ^(running|degraded)$ ]]
