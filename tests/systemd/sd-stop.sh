#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# sd-stop.sh: power the private systemd off, wait, remove its cgroups.
W=${SDTEST_WORK:?}
P=$(cat $W/systemd.pid 2>/dev/null); L=$(cat $W/launcher.pid 2>/dev/null)
[[ -n $P ]] && kill -s SIGRTMIN+4 "$P" 2>/dev/null       # = "systemctl poweroff" for a container PID 1
for i in $(seq 150); do [[ -n $L ]] && kill -0 "$L" 2>/dev/null || break; sleep 0.1; done
if [[ -n $L ]] && kill -0 "$L" 2>/dev/null; then         # hard stop: killing a pid-ns init kills the ns
  echo "graceful poweroff timed out, SIGKILL"; kill -9 "$P"; sleep 1; fi
# systemd leaves its (empty) sub-cgroups behind: remove them bottom-up
[[ -f $W/cgroups ]] && while read -r d; do [[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} + ; done < $W/cgroups
echo "stopped"
