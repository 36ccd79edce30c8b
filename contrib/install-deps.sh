#!/bin/sh
# Install what skillrun needs on Debian/Ubuntu (run as root): to build, fuzz and run it,
# and with --tests also the Debian packaging tools the test suite builds and checks a .deb with.
# Only installs what is missing, so it is cheap to call again.
set -eu
PKGS="build-essential autoconf automake pkg-config libsystemd-dev libjson-c-dev libseccomp-dev libcap-dev
      systemd python3 curl clang libclang-rt-14-dev groff-base util-linux bsdutils iproute2"
if [ "${1:-}" = --tests ]; then
        PKGS="$PKGS debhelper lintian"
fi
missing=""
for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
        echo "installing:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing
fi
