#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-deb.sh DEB: a built .deb under a real systemd: its own autopkgtests (debian/tests), the
# way autopkgtest(1) runs them on an isolation-container testbed, then its life cycle as the
# maintainer scripts promise it (README, Building): an upgrade keeps a running socket running
# and a stopped one stopped, removal stops it and keeps the configuration, purge removes it.
#
# Boots the distribution's systemd as PID 1 of private namespaces (sd-start.sh) over a
# throw-away overlay of "/", with a network namespace of its own as well: the socket test uses
# the package's 127.0.0.1:8080, which the host may be using. There, whatever an earlier
# `make install` left of skillrun's configuration and units is removed, the .deb is installed
# with dpkg as on a fresh machine, and each test that debian/tests/control names runs as root
# from a scratch directory. As autopkgtest does: exit 0 passes, 77 skips a test marked
# skippable, and anything on standard error fails a test not marked allow-stderr.
# Nothing reaches the host's file systems. Prints TAP lines ("ok - deb: ...").
# Root only: exit 77 otherwise, or when no systemd can be booted here (sdharness.py says why).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
deb=${1:?usage: test-deb.sh DEB}
control=$TOP/debian/tests/control

# what test-systemd.py needs, and why not (in a chroot: the kernel refuses it a user namespace,
# and ns-init.sh's pivot_root), said before a boot that would only fail
why=$(cd "$HERE" && python3 -c 'import sdharness; print(sdharness.missing_requirements() or "")')
if [[ -n $why ]]; then echo "1..0 # SKIP $why (a private systemd)"; exit 77; fi
if ! command -v dpkg >/dev/null; then echo "1..0 # SKIP needs dpkg"; exit 77; fi
[[ -f $deb && -f $control ]] || { echo "not ok - deb: no $deb or no $control"; exit 1; }

scratch=$(mktemp -d /var/tmp/skillrun-test-deb.XXXXXX)
export SDTEST_WORK=$scratch/work SDTEST_PAYLOAD=$scratch/payload SDTEST_TARGET=test-deb-boot.target
booted=
cleanup() {
	if [[ -n $booted ]]; then "$HERE/sd-stop.sh" >/dev/null 2>&1 || true; fi
	rm -rf "$scratch"
}
trap cleanup EXIT

# the payload: the .deb, the tests, and a boot target that starts nothing but sockets.target
at=/var/lib/skillrun-autopkgtest
mkdir -p "$SDTEST_PAYLOAD$at" "$SDTEST_PAYLOAD/etc/systemd/system"
cp "$deb" "$SDTEST_PAYLOAD$at/skillrun.deb"
cp -r "$TOP/debian/tests" "$SDTEST_PAYLOAD$at/tests"
printf '[Unit]\nDescription=skillrun autopkgtest boot target\nWants=sockets.target\n' \
	>"$SDTEST_PAYLOAD/etc/systemd/system/$SDTEST_TARGET"

if ! unshare --net "$HERE/sd-start.sh" >"$scratch/boot.log" 2>&1; then
	booted=1
	echo "1..0 # SKIP no systemd could be booted here: $(tail -n 1 "$scratch/boot.log")"
	exit 77
fi
booted=1
inside() { nsenter -t "$(cat "$SDTEST_WORK/systemd.pid")" -m -p -u -i -n -- "$@"; }

rc=0
# A fresh install: no skillrun package (purged, if the host has one), no configuration, units
# or drop-ins of an earlier `make install`; and no policy-rc.d, which container images ship to
# keep maintainer scripts from starting or stopping anything (deb-systemd-invoke obeys it) and
# a booted system does not have.
if ! inside sh -c "{ ! dpkg -s skillrun >/dev/null 2>&1 || dpkg -P skillrun; } && rm -rf /etc/skillrun /etc/systemd/system/skillrun* /usr/local/lib/systemd/system/skillrun* \
		/usr/sbin/policy-rc.d &&
		systemctl daemon-reload && dpkg -i $at/skillrun.deb" >"$scratch/dpkg.log" 2>&1; then
	echo "not ok - deb: dpkg -i $(basename "$deb")"
	sed 's/^/#   /' "$scratch/dpkg.log"
	exit 1
fi
echo "ok - deb: dpkg -i $(basename "$deb") under systemd"
check() { # description, shell command run inside
	if inside sh -c "$2" >"$scratch/check.log" 2>&1; then
		echo "ok - deb: $1"
	else
		echo "not ok - deb: $1"
		sed 's/^/#   /' "$scratch/check.log"
		rc=1
	fi
}
check "a fresh install starts and enables nothing, and makes an empty token file only root reads" \
	'[ "$(systemctl is-enabled skillrun.socket)" = disabled ] && ! systemctl is-active -q skillrun.socket &&
	 [ "$(stat -c "%a %U %s" /etc/skillrun/tokens)" = "600 root 0" ]'


# "Tests: a b", "Restrictions: x, y" and "Depends: @, p" of each stanza of debian/tests/control
stanzas=$(awk 'BEGIN { RS = ""; FS = "\n" } {
	t = ""; r = ""; d = ""
	for (i = 1; i <= NF; i++) {
		if ($i ~ /^Tests:/) t = substr($i, 7)
		if ($i ~ /^Restrictions:/) r = substr($i, 14)
		if ($i ~ /^Depends:/) d = substr($i, 9)
	}
	if (t != "") { gsub(/,/, " ", r); gsub(/[,@]/, " ", d); print t "|" r "|" d }
}' "$control")
[[ -n $stanzas ]] || { echo "not ok - deb: no Tests: in $control"; exit 1; }

while IFS='|' read -r names restrictions depends; do
	# autopkgtest installs a test's Depends (@ is the package itself); here the host has them
	missing=
	for p in $depends; do
		inside dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q ' installed$' || missing="$missing $p"
	done
	for name in $names; do
		if [[ -n $missing ]]; then
			echo "not ok - deb: autopkgtest $name needs$missing (contrib/install-deps.sh installs them)"
			rc=1
			continue
		fi
		out=$scratch/$name.out err=$scratch/$name.err
		set +e
		inside sh -c "d=\$(mktemp -d) && cd \"\$d\" && AUTOPKGTEST_TMP=\"\$d\" $at/tests/$name; r=\$?; cd / && rm -rf \"\$d\"; exit \$r" \
			>"$out" 2>"$err"
		status=$?
		set -e
		if [[ $status == 77 && " $restrictions " == *" skippable "* ]]; then
			echo "ok - deb: autopkgtest $name # SKIP $(tail -n 1 "$err")"
		elif [[ $status != 0 ]]; then
			echo "not ok - deb: autopkgtest $name exited $status"
			sed 's/^/#   /' "$out" "$err"
			rc=1
		elif [[ -s $err && " $restrictions " != *" allow-stderr "* ]]; then
			echo "not ok - deb: autopkgtest $name wrote to standard error (not allow-stderr)"
			sed 's/^/#   /' "$err"
			rc=1
		else
			echo "ok - deb: autopkgtest $name ($(grep -c '^ok ' "$out") checks)"
		fi
	done
done <<<"$stanzas"

# The life cycle. A token and a running socket, as an administrator leaves them; then the
# same .deb again, which dpkg treats as an upgrade (preinst upgrade, postinst configure OLD).
answers='curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $(cut -d: -f2- /etc/skillrun/tokens)" http://127.0.0.1:8080/v1/skills'
check "a token added and the socket enabled, as the package description says" \
	"skillrun token admin >/etc/skillrun/tokens && systemctl enable --now skillrun.socket && [ \"\$($answers)\" = 200 ]"
tokens_sum=$(inside sha256sum /etc/skillrun/tokens)
since='systemctl show -p ActiveEnterTimestampMonotonic --value skillrun.socket'
started=$(inside sh -c "$since")
check "an upgrade restarts a running socket (the new units take over), with the tokens untouched" \
	"dpkg -i $at/skillrun.deb && systemctl is-active -q skillrun.socket && [ \"\$($since)\" != '$started' ] &&
	 [ \"\$($answers)\" = 200 ] && [ \"\$(sha256sum /etc/skillrun/tokens)\" = '$tokens_sum' ]"
check "an upgrade leaves a stopped socket stopped" \
	"systemctl stop skillrun.socket && dpkg -i $at/skillrun.deb && ! systemctl is-active -q skillrun.socket &&
	 [ \"\$(systemctl is-enabled skillrun.socket)\" = enabled ]"
check "removal stops a running socket and keeps the configuration and tokens" \
	"systemctl start skillrun.socket && dpkg -r skillrun && ! systemctl is-active -q skillrun.socket &&
	 ! [ -e /usr/bin/skillrun ] && [ -f /etc/skillrun/skillrun.conf ] &&
	 [ \"\$(sha256sum /etc/skillrun/tokens)\" = '$tokens_sum' ] &&
	 ! curl -s -o /dev/null http://127.0.0.1:8080/healthz"
check "purge removes the configuration, the tokens and /etc/skillrun" \
	"dpkg -P skillrun && ! [ -e /etc/skillrun ]"
# Where no systemd-tmpfiles is installed (a host or container without systemd, which the
# xinetd and tcpserver examples serve), the token file must still be there, empty and
# root-only: else the description's `skillrun token NAME >> /etc/skillrun/tokens` makes it
# under the shell's umask, readable by every local user. Hidden for this install only.
check "an install without systemd-tmpfiles still makes an empty token file only root reads" \
	"umask 022 && t=\$(command -v systemd-tmpfiles) && mv \"\$t\" \"\$t.hidden\" &&
	 { dpkg -i $at/skillrun.deb; r=\$?; mv \"\$t.hidden\" \"\$t\"; [ \$r = 0 ]; } &&
	 [ \"\$(stat -c '%a %U %s' /etc/skillrun/tokens)\" = '600 root 0' ] && dpkg -P skillrun && ! [ -e /etc/skillrun ]"
exit $rc
