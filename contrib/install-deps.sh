#!/bin/sh
# Install what skillrun needs on Debian/Ubuntu (run as root): to build, fuzz and run it,
# and with --tests also the Debian packaging tools the test suite builds and checks a .deb with.
# Only installs what is missing, so it is cheap to call again.
set -eu
PKGS="build-essential autoconf automake pkg-config libsystemd-dev libjson-c-dev libseccomp-dev libcap-dev
      systemd python3 curl clang libclang-rt-dev groff-base util-linux bsdutils iproute2"
no_start=
if [ "${1:-}" = --tests ]; then
        # the .deb checks, mandoc's lint of the man pages, strace's fault injection
        # (test-stop.py), the TLS proxies test-proxy.py runs (never started as services),
        # the super-servers test-superserver.py runs (xinetd is a service too),
        # rpmbuild and rpmlint for contrib/rpm/skillrun.spec (test-rpm-spec.sh; elfutils: Debian 13's
        # find-debuginfo runs eu-strip, which its debugedit does not depend on), and
        # mkfs.btrfs for the work dir removal checks on btrfs (test-util, test-supervise.py), mkfs.ext2
        # for an /etc without d_type (test-landlock-edges.py; e2fsprogs is not in a minimal chroot),
        # mount/losetup and pivot_root for those and the real-systemd tests (not Essential, and
        # pivot_root moved to util-linux-extra after Debian 13), and tclsh for the sandbox's
        # interpreter checks (test-worker-sandbox.py)
        PKGS="$PKGS debhelper lintian mandoc strace nginx haproxy xinetd ucspi-tcp openssl rpm rpmlint
              elfutils btrfs-progs e2fsprogs mount util-linux-extra tcl"
        no_start=1
fi
missing=""
for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
        echo "installing:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # Packages with a service (nginx, haproxy, xinetd) are started by their postinst: not on a
        # machine that only runs the tests. policy-rc.d is Debian's way to say so, and ours
        # only while we install (one already there is left as it is).
        if [ -n "$no_start" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
                printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
                chmod 0755 /usr/sbin/policy-rc.d
                trap 'rm -f /usr/sbin/policy-rc.d' EXIT
        fi
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing
        # ...nor at the next boot, also where systemd is not running now (a container or chroot
        # that boots it later, a host without it as PID 1): systemctl disables offline too
        if command -v systemctl >/dev/null; then
                case "$missing " in *" nginx "*) systemctl disable --quiet nginx || true ;; esac
                case "$missing " in *" haproxy "*) systemctl disable --quiet haproxy || true ;; esac
                case "$missing " in *" xinetd "*) systemctl disable --quiet xinetd || true ;; esac
        fi
fi
