#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The man pages format without a groff warning, and document exactly the keys the
# code knows: settings_keys[] in skillrun.conf(5) SETTINGS, manifest_keys[] in
# skillrun.skill(5) KEYS. A key is documented by a ".TP" followed by ".B key", ".BI key..."
# or ".BR key ..." inside that section. The pages are read as make generated them from
# their .in files, every @placeholder@ replaced.
builddir=${top_builddir:-.}/man
GROFF=${GROFF:-groff}
. "${top_srcdir:-.}/tests/lib/tap.sh"

# keys documented in section $2 of page $1, one a line
documented() {
        awk -v sect="$2" '
                /^\.SH / { insect = ($2 == sect || $2 == "\"" sect "\""); next }
                !insect { next }
                /^\.TP/ { tp = 1; next }
                tp && /^\.B[IR]? / {
                        k = $2; gsub(/"/, "", k); sub(/[^a-z_].*/, "", k)
                        if (k != "") print k
                }
                { tp = 0 }' "$1" | sort -u
}

for page in skillrun.8 skillrun.conf.5 skillrun.skill.5; do
        if [ ! -f "$builddir/$page" ]; then
                not_ok "$page exists"
                continue
        fi
        left=$(grep -n '@[a-z_]*@' "$builddir/$page")
        if [ -z "$left" ]; then ok "$page: every @placeholder@ is replaced"
        else not_ok "$page: every @placeholder@ is replaced"; echo "$left" | sed 's/^/# /'; fi
        # every warning but 'break' (a line too long to fit): the pages name the configured
        # paths, and a long prefix (distcheck's, below a checkout's own long path) makes a
        # FILES entry no line holds
        if command -v "$GROFF" >/dev/null 2>&1; then
                out=$("$GROFF" -ww -Wbreak -z -man "$builddir/$page" 2>&1)
                if [ -z "$out" ]; then ok "groff -ww -Wbreak -z -man $page is silent"
                else not_ok "groff -ww -Wbreak -z -man $page is silent"; echo "$out" | sed 's/^/# /'; fi
        else
                n=$((n + 1)); echo "ok $n - # SKIP groff not installed ($page)"
        fi
        # what a reader copies (paths, settings, variables) is never hyphenated: groff's
        # hyphen is U+2010 in UTF-8 output, a hyphen of the text (man's "-") stays ASCII
        if command -v "$GROFF" >/dev/null 2>&1; then
                out=$("$GROFF" -man -Tutf8 -P-cbou -rLL=78n "$builddir/$page" 2>/dev/null | grep -E '‐$')
                if [ -z "$out" ]; then ok "$page: no word hyphenated at a line's end"
                else not_ok "$page: no word hyphenated at a line's end"; echo "$out" | sed 's/^/# /'; fi
        fi
        # mandoc's lint is stricter than groff (a .TH date it cannot parse, ...): no warning or error
        if command -v mandoc >/dev/null 2>&1; then
                out=$(mandoc -Tlint -W warning "$builddir/$page" 2>&1)
                if [ -z "$out" ]; then ok "mandoc -Tlint -W warning $page is silent"
                else not_ok "mandoc -Tlint -W warning $page is silent"; echo "$out" | sed 's/^/# /'; fi
        else
                n=$((n + 1)); echo "ok $n - # SKIP mandoc not installed ($page)"
        fi
done

keys=$("$builddir/test-man-keys") || { not_ok "test-man-keys runs"; echo "1..$n"; exit 1; }
code_settings=$(echo "$keys" | awk '$1 == "setting" { print $2 }' | sort -u)
code_manifest=$(echo "$keys" | awk '$1 == "manifest" { print $2 }' | sort -u)
[ -n "$code_settings" ] && ok "the code lists settings keys" || not_ok "the code lists settings keys"
[ -n "$code_manifest" ] && ok "the code lists manifest keys" || not_ok "the code lists manifest keys"

compare() { # what page section code_keys
        doc=$(documented "$builddir/$2" "$3")
        missing=$(printf '%s\n' "$4" | while read -r k; do
                printf '%s\n' "$doc" | grep -qx "$k" || echo "$k"; done)
        extra=$(printf '%s\n' "$doc" | while read -r k; do
                [ -z "$k" ] || printf '%s\n' "$4" | grep -qx "$k" || echo "$k"; done)
        if [ -z "$missing" ]; then ok "every $1 key is documented in $2 $3"
        else not_ok "every $1 key is documented in $2 $3"; echo "# undocumented: $(echo $missing)"; fi
        if [ -z "$extra" ]; then ok "$2 $3 documents no key the code lacks"
        else not_ok "$2 $3 documents no key the code lacks"; echo "# unknown to the code: $(echo $extra)"; fi
}
compare setting skillrun.conf.5 SETTINGS "$code_settings"
compare manifest skillrun.skill.5 KEYS "$code_manifest"

# the built-in default paths, as configure made them, are the ones the pages name
defaults=$(echo "$keys" | awk '$1 == "default" { print $2 }')
[ -n "$defaults" ] && ok "the code lists its default paths" || not_ok "the code lists its default paths"
for d in $defaults; do
        if grep -qF "$d" "$builddir/skillrun.8" && grep -qF "$d" "$builddir/skillrun.conf.5"; then
                ok "skillrun(8) and skillrun.conf(5) name the default $d"
        else not_ok "skillrun(8) and skillrun.conf(5) name the default $d"; fi
done

# the env-only key
if grep -q '^\.B SKILLRUN_CONFIG$' "$builddir/skillrun.conf.5"; then ok "SKILLRUN_CONFIG is documented"
else not_ok "SKILLRUN_CONFIG is documented"; fi

echo "1..$n"
exit $failed
