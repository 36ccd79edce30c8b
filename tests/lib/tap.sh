# SPDX-License-Identifier: LGPL-2.1-or-later
# TAP for the shell tests, sourced (. "$srcdir/tests/lib/tap.sh"): ok and not_ok number the
# results, check turns an exit status into one and shows what failed as diagnostics; the test
# prints the plan ("1..$n") at its end and exits $failed.
n=0; failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
check() { # status, description, output shown on failure
        if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; printf '%s\n' "$3" | sed 's/^/# /'; fi
}
