#!/bin/sh
# Quick start on a fresh Debian 12 or 13 machine, as root: install dependencies, build, install,
# create a token and start skillrun on 127.0.0.1:8080 with the example skills.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
port=${QUICKSTART_PORT:-8080}

# Fail before installing anything: what follows writes /usr and /etc.
if [ "$(id -u)" != 0 ]; then
        echo "quickstart.sh: run it as root (it installs packages and skillrun, and writes /etc/skillrun)" >&2
        exit 1
fi
# QUICKSTART_PORT is for the systemd-socket-activate fallback: under systemd, skillrun.socket
# listens on 127.0.0.1:8080 as shipped, and waiting on another port would only time out.
if [ -d /run/systemd/system ] && [ "$port" != 8080 ]; then
        echo "quickstart.sh: QUICKSTART_PORT=$port: under systemd skillrun.socket listens on 127.0.0.1:8080;" \
                "unset QUICKSTART_PORT, or change ListenStream= with a drop-in (systemctl edit skillrun.socket," \
                "then systemctl restart skillrun.socket)" >&2
        exit 1
fi

sh contrib/install-deps.sh
# tap-driver.sh too: a checkout made before git stopped tracking it keeps an old configure,
# which refuses to run without it ("cannot find required auxiliary files")
[ -x configure ] && [ -f build-aux/tap-driver.sh ] || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure -q --prefix=/usr --sysconfdir=/etc --localstatedir=/var
make -j"$(nproc)" >/dev/null
make install >/dev/null
cd "$top"

install -d -m 0755 /etc/skillrun /etc/skillrun/skills
if ! grep -qs '^quickstart:' /etc/skillrun/tokens; then
        umask 077
        skillrun token quickstart >> /etc/skillrun/tokens
fi
chmod 0600 /etc/skillrun/tokens
token=$(sed -n 's/^quickstart://p' /etc/skillrun/tokens)

if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        systemctl enable --now skillrun.socket
        how="systemd (skillrun.socket)"
else
        # no systemd as PID 1 (containers, chroots): the same per-connection worker under
        # systemd-socket-activate, which hands each accepted connection to a new skillrun
        # 0711: the worker (root) makes each run's directory here; run_user may enter its own
        # but not list or watch the others'
        install -d -m 0711 /run/skillrun
        chmod 0711 /run/skillrun
        # an earlier quick start's listener goes, found by the pid it noted, not by its command
        # line: in a chroot or container that shares the host's processes, a match by name
        # would stop the host's own listener too
        # (2>/dev/null before the '<': dash reports a file it cannot open on the stderr it has
        # then, and a noted listener may be long gone)
        pidfile=/run/skillrun/quickstart.pid
        if pid=$(cat "$pidfile" 2>/dev/null) &&
           tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -q '^systemd-socket-activate --accept '; then
                kill "$pid"
                for _ in $(seq 50); do
                        [ -d "/proc/$pid" ] || break
                        sleep 0.1
                done
        fi
        # the tokens file itself, read at every connection as under the unit: a token added
        # or removed there counts at once (an earlier quickstart's copy here goes)
        rm -f /run/skillrun/tokens
        # emptied here, not only by the listener's own redirection: the wait below must not
        # find an earlier listener's "Listening on" before that one starts
        : > /var/log/skillrun.log
        setsid nohup systemd-socket-activate --accept -l "127.0.0.1:$port" \
                -E SKILLRUN_TOKENS_FILE=/etc/skillrun/tokens -E SKILLRUN_WORK_DIR=/run/skillrun \
                /usr/bin/skillrun >/var/log/skillrun.log 2>&1 < /dev/null &
        pid=$!
        # Where the port is held (a listener of a quick start from before the pid file, the
        # host's own in a chroot sharing its network) this one exits at once, and the health
        # check below would be answered by that other one, with other tokens: said instead.
        # Gone is no process, or a zombie (ours, not reaped yet).
        gone() { st=$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) && [ "$st" != Z ] && return 1; return 0; }
        for _ in $(seq 50); do
                grep -qs '^Listening on ' /var/log/skillrun.log && break
                gone && break
                sleep 0.1
        done
        if gone; then
                cat /var/log/skillrun.log >&2
                echo "quickstart.sh: systemd-socket-activate does not listen on 127.0.0.1:$port (above): stop" \
                        "what holds the port, or set QUICKSTART_PORT to a free one" >&2
                exit 1
        fi
        echo "$pid" > "$pidfile"
        how="systemd-socket-activate (log: /var/log/skillrun.log)"
fi
for _ in $(seq 50); do
        curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
        sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null
# what check warns about or refuses, and its verdict (not the skills that load, nor how this
# root shell's cgroup mode was found: the unit's may differ, as check warns): a pipe into a
# filter would hide its exit status, and set -e with it
if ! check=$(skillrun check); then
        printf '%s\n' "$check"
        echo "quickstart.sh: skillrun check found errors (above): fix them and run quickstart.sh again" >&2
        exit 1
fi
printf '%s\n' "$check" | grep -Ev '^(ok|config|tokens|cgroup): '
cat <<MSG

skillrun is listening on 127.0.0.1:$port via $how. Try:

  curl -s -H 'Authorization: Bearer $token' -H 'Content-Type: application/json' \\
       -d '{"stdin": "hello sandboxed world"}' http://127.0.0.1:$port/v1/skills/wc/run

MSG
