/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <linux/btrfs.h>
#include <linux/capability.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "auth.h"
#include "json-util.h"
#include "supervise.h"
#include "workdir.h"
#include "tap.h"
#include "util.h"

static void test_parse(void) {
        uint64_t v = 0;

        /* the suffix in either case, as skillrun.conf(5) says */
        static const struct {
                const char *s;
                uint64_t v;
        } sizes[] = {
                { "0", 0 },           { "12", 12 },         { "64K", 65536 },    { "64k", 65536 },
                { "256M", 256 << 20 }, { "256m", 256 << 20 }, { "1G", 1 << 30 }, { "1g", 1 << 30 },
        };
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                v = 4242;
                is_int(parse_size(sizes[i].s, &v), 0, "parse_size %s", sizes[i].s);
                ok(v == sizes[i].v, "%s = %" PRIu64 " (got %" PRIu64 ")", sizes[i].s, sizes[i].v, v);
        }
        is_int(parse_size("", &v), -EINVAL, "empty size refused");
        is_int(parse_size("M", &v), -EINVAL, "suffix alone refused");
        is_int(parse_size("-1", &v), -EINVAL, "negative refused");
        is_int(parse_size("1.5M", &v), -EINVAL, "fraction refused");
        is_int(parse_size("1T", &v), -EINVAL, "unknown suffix refused");
        is_int(parse_size(" 1", &v), -EINVAL, "leading space refused");
        is_int(parse_size("99999999999999999999", &v), -ERANGE, "overflow refused");
        is_int(parse_size("17179869184G", &v), -ERANGE, "suffix overflow refused");
        /* 31 characters fit the copy parse_size() makes; 32 are refused, not copied past it */
        is_int(parse_size("0000000000000000000000000000001", &v), 0, "31 characters parse");
        is_int(v, 1, "... zeros in front");
        is_int(parse_size("00000000000000000000000000000001", &v), -EINVAL, "32 characters refused");
        is_int(parse_u64("18446744073709551615", &v), 0, "UINT64_MAX parses");
        is_int(parse_u64("18446744073709551616", &v), -ERANGE, "UINT64_MAX+1 overflows");
        is_int(parse_u64("+1", &v), -EINVAL, "sign refused");
        is_int(parse_u64("", &v), -EINVAL, "empty refused");
        is_int(parse_u64("1/", &v), -EINVAL, "'/' (just below '0') refused");
        is_int(parse_u64("1:", &v), -EINVAL, "':' (just above '9') refused");
        is_int(parse_u64("0123456789", &v), 0, "every digit");
        is_int(v, 123456789, "... read as decimal");
}

static void test_passwd_find(void) {
        const char *text = "root:x:0:0:root:/root:/bin/bash\n"
                           "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                           "broken:x:12\n"
                           "neg:x:-1:5::/:/bin/sh\n"
                           "big:x:4294967295:5::/:/bin/sh\n"
                           "nogid:x:7::::\n"
                           "skillrun:x:999:996::/:/bin/sh\n"
                           "skill:x:998:997::/nonexistent:/usr/sbin/nologin\n"
                           "dup:x:10:10::/:/bin/sh\n"
                           "dup:x:11:11::/:/bin/sh\n"
                           /* "last" and one more letter: read from after "last", its password
                            * field would be the uid */
                           "lastz:1:2:3::/:\n"
                           "last:x:65534:65534::/:";
        uint32_t uid = 1, gid = 1;

        is_int(passwd_find(text, "root", &uid, &gid), 0, "root found");
        ok(uid == 0 && gid == 0, "root is 0:0");
        is_int(passwd_find(text, "daemon", &uid, &gid), 0, "daemon found");
        ok(uid == 1 && gid == 1, "daemon is 1:1");
        is_int(passwd_find(text, "skill", &uid, &gid), 0, "'skill' found");
        ok(uid == 998 && gid == 997, "'skill' is 998:997, not skillrun's line (a prefix of it)");
        is_int(passwd_find(text, "skillrun", &uid, &gid), 0, "skillrun found");
        ok(uid == 999 && gid == 996, "skillrun is 999:996");
        is_int(passwd_find(text, "dup", &uid, &gid), 0, "dup found");
        is_int(uid, 10, "the first of two lines wins, as with getpwnam");
        is_int(passwd_find(text, "last", &uid, &gid), 0, "a last line without a newline");
        ok(uid == 65534 && gid == 65534, "last is 65534:65534, not the line of 'lastz' before it");
        uid = gid = 4242;
        is_int(passwd_find(text, "broken", &uid, &gid), -ESRCH, "a line without a gid is skipped");
        is_int(passwd_find(text, "neg", &uid, &gid), -ESRCH, "a negative uid is skipped");
        is_int(passwd_find(text, "big", &uid, &gid), -ESRCH, "uid 4294967295 ((uid_t) -1) is skipped");
        is_int(passwd_find(text, "nogid", &uid, &gid), -ESRCH, "an empty gid is skipped");
        ok(uid == 4242 && gid == 4242, "nothing written when not found");
        is_int(passwd_find(text, "sk", &uid, &gid), -ESRCH, "a prefix of a name is not the name");
        is_int(passwd_find(text, "x", &uid, &gid), -ESRCH, "a password field is not a name");
        is_int(passwd_find(text, "", &uid, &gid), -ESRCH, "empty name");
        is_int(passwd_find("", "root", &uid, &gid), -ESRCH, "empty file");
}

static void test_strv(void) {
        _cleanup_strv_free_ char **l = NULL;

        is_int(strv_split("a::b:", ':', &l), 0, "split");
        is_int(strv_length(l), 2, "empty fields dropped");
        is_str(l[0], "a", "first");
        is_str(l[1], "b", "second");
        ok(strv_contains(l, "b") && !strv_contains(l, "c"), "contains");
        is_int(strv_extend(&l, "c"), 0, "extend");
        is_int(strv_length(l), 3, "length after extend");
        is_int(strv_push(&l, NULL), -EINVAL, "push NULL refused");

        char *more[] = { "d", "e" };
        is_int(strv_extend_n(&l, more, 2), 0, "extend_n");
        is_int(strv_length(l), 5, "length after extend_n");
        ok(streq(l[3], "d") && streq(l[4], "e") && l[5] == NULL, "extend_n: copies in order, NULL-terminated");
        ok(l[3] != more[0], "extend_n copies the strings");
        is_int(strv_extend_n(&l, NULL, 0), 0, "extend_n of nothing");
        is_int(strv_length(l), 5, "... changes nothing");
        _cleanup_strv_free_ char **empty = NULL;
        is_int(strv_extend_n(&empty, more, 1), 0, "extend_n onto no vector");
        ok(empty && streq(empty[0], "d") && empty[1] == NULL, "... makes one");
}

static void test_base64_utf8(void) {
        const char bin[] = { 'a', 0, (char) 0xff, 'z' };
        _cleanup_free_ char *e = base64_encode(bin, sizeof(bin)), *d = NULL;
        size_t n = 0;

        is_str(e, "YQD/eg==", "encode binary");
        is_int(base64_decode(e, strlen(e), &d, &n), 0, "decode");
        ok(n == sizeof(bin) && memcmp(d, bin, n) == 0, "round trip");
        free(d);
        d = NULL;
        is_int(base64_decode("YQ=", 3, &d, &n), -EINVAL, "bad length refused");
        is_int(base64_decode("Y=Q=", 4, &d, &n), -EINVAL, "padding in the middle refused");
        is_int(base64_decode("Y!==", 4, &d, &n), -EINVAL, "bad character refused");
        is_int(base64_decode("", 0, &d, &n), 0, "empty decodes");
        is_int(n, 0, "to nothing");
        is_int(base64_decode("YQ==YQ==", 8, &d, &n), -EINVAL, "padding before the last quantum refused");
        is_int(base64_decode("YQ=A", 4, &d, &n), -EINVAL, "a character after '=' refused");
        is_int(base64_decode("YWJjZGVm", 6, &d, &n), -EINVAL, "a length not a multiple of 4 refused, whatever follows");
        is_int(base64_decode("YQ\0\0", 4, &d, &n), -EINVAL, "NUL is no base64 character");

        ok(utf8_valid("héllo €𝄞", strlen("héllo €𝄞")), "valid UTF-8");
        ok(!utf8_valid("\xff", 1), "0xff invalid");
        ok(!utf8_valid("\xc0\xaf", 2), "overlong invalid");
        ok(!utf8_valid("\xed\xa0\x80", 3), "surrogate invalid");
        ok(!utf8_valid("\xe2\x82", 2), "truncated sequence invalid");
        ok(!utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF invalid");
        ok(utf8_valid("a\0b", 3), "NUL is valid UTF-8");
        /* each bound at its edge: the shortest form of a code point only, no surrogate, none past U+10FFFF */
        ok(!utf8_valid("\xc1\xbf", 2), "U+007F in 2 bytes (overlong) invalid");
        ok(utf8_valid("\xc2\x80", 2), "U+0080 valid");
        ok(!utf8_valid("\xe0\x9f\xbf", 3), "U+07FF in 3 bytes (overlong) invalid");
        ok(utf8_valid("\xe0\xa0\x80", 3), "U+0800 valid");
        ok(!utf8_valid("\xf0\x8f\xbf\xbf", 4), "U+FFFF in 4 bytes (overlong) invalid");
        ok(utf8_valid("\xf0\x90\x80\x80", 4), "U+10000 valid");
        ok(utf8_valid("\xf4\x8f\xbf\xbf", 4), "U+10FFFF valid");
        ok(utf8_valid("\xed\x9f\xbf", 3), "U+D7FF valid");
        ok(!utf8_valid("\xed\xbf\xbf", 3), "U+DFFF (last surrogate) invalid");
        ok(utf8_valid("\xee\x80\x80", 3), "U+E000 valid");
        ok(!utf8_valid("\xe2\x82\xac", 2), "a sequence cut by the length, whatever follows, invalid");
        /* RFC 8259's grammar, which json-c's default mode (taken for UTF-8 where its strict mode
         * refuses that: json-c 0.18) does not enforce */
        {
                static const struct {
                        const char *text, *why;
                } g[] = {
                        { "{\"a\": [1, \"\xc3\xa9\", {\"b\": null}, true, -0.5e3], \"c\": {}} \n", NULL },
                        { " \"\\u00e9\\\" \\/\\b\\f\\n\\r\\t\" ", NULL },
                        { "[1, 2,]", "a trailing comma" },
                        { "{\"a\": 1,}", "a trailing comma" },
                        { "[1 /* c */]", "a comment" },
                        { "// c\n{}", "a comment" },
                        { "{'a': 1}", "a string in single quotes" },
                        { "{a: 1}", "an object key that is no string" },
                        { "{\"a\" 1}", "no ':' after an object key" },
                        { "[1 2]", "neither ',' nor the end of the object or array" },
                        { "[1,,2]", "a number JSON does not allow (NaN, Infinity, a leading zero, no digit after '.')" },
                        { "\"\\x\"", "an escape JSON does not have" },
                        { "\"\\u12\"", "a malformed \\u escape" },
                        { "\"a\tb\"", "a control character not escaped in a string" },
                        { "\"a\x1f\"", "a control character not escaped in a string" },
                        { "\"\x7f\"", NULL },
                        { "{} {}", "trailing data" },
                        { "[] x", "trailing data" },
                        { "\xEF\xBB\xBF{}", "a byte order mark (U+FEFF)" },
                        { "[1, \xEF\xBB\xBF]", "a byte order mark (U+FEFF)" },
                        { "[1", "unexpected end of data" },
                        { "[[[[1]]]]", "nested too deeply" },
                };
                for (size_t i = 0; i < ELEMENTSOF(g); i++) {
                        const char *why = json_text_grammar_problem(g[i].text, strlen(g[i].text), 3, NULL);
                        ok(streq_ptr(why, g[i].why), "grammar of %s: %s", g[i].text, why ? why : "(none)");
                }
                /* a NUL after a backslash is no escape (strchr() would find the string's end) */
                is_str(json_text_grammar_problem("\"\\\0\"", 4, 3, NULL), "an escape JSON does not have",
                       "grammar of a backslash before a NUL byte");
                /* where the problem is, or where the value ended: what a manifest's error line counts */
                size_t at = 0;
                const char *why = json_text_grammar_problem("[1,\n 2,]", 8, 3, &at);
                ok(why && at == 7, "grammar: the problem's offset, 7: %zu", at);
                why = json_text_grammar_problem(" {} ", 4, 3, &at);
                ok(!why && at == 4, "grammar: no problem, the text's end, 4: %zu", at);
        }

        /* \u pairs json-c makes U+FFFD (their code point's low 16 bits are D800-DFFF) become UTF-8
         * in the copy it reads: only those, only in strings, lines kept */
        {
                static const struct {
                        const char *text, *want; /* want NULL: no copy */
                } p[] = {
                        { "\"\\ud837\\udf00\"", "\"\xf0\x9d\xbc\x80\"" },
                        { "{\"\\uD836\\uDC00\":\n\"a\\ud83d\\ude00\\udbb6\\udfffb\"}",
                          "{\"\xf0\x9d\xa0\x80\":\n\"a\\ud83d\\ude00\xf3\xbd\xaf\xbf" "b\"}" },
                        { "[\"\\\\ud837\\\\udf00\", \"\\\\\\ud837\\udf00\"]", "[\"\\\\ud837\\\\udf00\", \"\\\\\xf0\x9d\xbc\x80\"]" },
                        { "\"\\ud83d\\ude00 \\ud869\\ude00 \\udbff\\udfff\"", NULL },
                        { "\"\\ud837\\n\\udf00 \\udf00 \\ud837\"", NULL },
                        { "\"\\\"\\ud837\\udf0", NULL },
                        { "\"\\ud837\\udf00", "\"\xf0\x9d\xbc\x80" },
                        { "\\ud837\\udf00", NULL },
                        { "", NULL },
                };
                for (size_t i = 0; i < ELEMENTSOF(p); i++) {
                        _cleanup_free_ char *copy = NULL;
                        size_t len = 0;
                        int k = json_unescape_misread_pairs(p[i].text, strlen(p[i].text), &copy, &len);
                        is_int(k, p[i].want ? 1 : 0, "misread pairs in %s", p[i].text);
                        ok(streq_ptr(copy, p[i].want) && len == (p[i].want ? strlen(p[i].want) : 0),
                           "... copy %s", copy ? copy : "(none)");
                }
        }

        /* a byte limit cuts a character: only the start of a valid sequence is dropped */
        static const struct { const char *s; size_t want; const char *what; } cuts[] = {
                { "ab\xf0", 2, "after 1 byte of a 4-byte character" },
                { "ab\xf0\x9d", 2, "after 2 bytes of a 4-byte character" },
                { "ab\xf0\x9d\x84", 2, "after 3 bytes of a 4-byte character" },
                { "ab\xf0\x9d\x84\x9e", 6, "a complete 4-byte character" },
                { "ab\xe2\x82", 2, "after 2 bytes of a 3-byte character" },
                { "ab\xe2", 2, "after 1 byte of a 3-byte character" },
                { "\xc3\xa9\xc3", 2, "after 1 byte of a 2-byte character" },
                { "\xc3", 0, "nothing but a cut character" },
                { "ab\xc3\xa9", 4, "a complete 2-byte character" },
                { "ab", 2, "ASCII" },
                { "", 0, "empty" },
                { "ab\xff", 3, "0xff is no start" },
                { "ab\x9d\x84\x9e", 5, "continuation bytes without a start" },
                { "a\xc3\xa9\xa9", 4, "one continuation byte too many" },
                { "ab\xc0", 3, "0xc0 starts only overlongs" },
                { "ab\xf5\x80", 4, "0xf5 starts nothing" },
                { "ab\xe0\x80", 4, "overlong 3-byte start" },
                { "ab\xed\xa0", 4, "surrogate start" },
                { "ab\xf4\x90", 4, "start above U+10FFFF" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cuts); i++)
                is_int(utf8_complete_len(cuts[i].s, strlen(cuts[i].s)), cuts[i].want, "utf8_complete_len: %s",
                       cuts[i].what);

        /* utf8_cut(): a bound of 3 bytes */
        is_int(utf8_cut("ab", 2, 3), 2, "utf8_cut: what fits is kept whole");
        is_int(utf8_cut("abcd", 4, 3), 3, "utf8_cut: ASCII cut at the bound");
        is_int(utf8_cut("ab\xc3\xa9", 4, 3), 2, "utf8_cut: not inside a 2-byte character");
        is_int(utf8_cut("a\xe2\x82\xac", 4, 3), 1, "utf8_cut: not inside a 3-byte character");
        is_int(utf8_cut("\xe2\x82\xac\xe2", 4, 3), 3, "utf8_cut: a whole character up to the bound");
        is_int(utf8_cut("\xc3\xa9", 2, 1), 0, "utf8_cut: not inside the first character");
        /* a value that fits exactly is kept whole: what follows it is not its own (nor there) */
        const char exact[4] = { 'a', 'b', 'c', (char) 0x80 };
        is_int(utf8_cut(exact, 3, 3), 3, "utf8_cut: what fits exactly is kept whole, the byte after it not read");
}

static void test_rm_rf(void) {
        char tmpl[] = "/tmp/test-util-XXXXXX";
        char path[256];
        int fd;

        ok(mkdtemp(tmpl) != NULL, "mkdtemp");
        snprintf(path, sizeof(path), "%s/sub", tmpl);
        mkdir(path, 0700);
        snprintf(path, sizeof(path), "%s/sub/f", tmpl);
        fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        close(fd);
        snprintf(path, sizeof(path), "%s/sub", tmpl);
        chmod(path, 0); /* a skill may leave a directory it cannot be entered */
        snprintf(path, sizeof(path), "%s/link", tmpl);
        (void) !symlink("/etc", path);
        is_int(rm_rf(tmpl), 0, "rm_rf");
        ok(access(tmpl, F_OK) < 0 && errno == ENOENT, "tree gone");
        ok(access("/etc/passwd", F_OK) == 0, "symlink target untouched");
        is_int(rm_rf(tmpl), 0, "rm_rf of a missing dir is fine");
}

typedef struct TreeDir {
        const char *rel;
        mode_t mode;
} TreeDir;

/* As root, become nobody (a forked child): the skill's uid, and no capability. */
static bool drop_to_nobody(void) {
        return geteuid() != 0 || (setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
                                  setresuid(65534, 65534, 65534) == 0);
}

/* The directories below 'top', each but the first with a file 'f' of 'size' bytes. 0, or the
 * _exit() code of what failed. */
static int make_locked_tree(const char *top, const TreeDir *dirs, size_t n, size_t size) {
        static char data[65536];
        char p[256];

        assert_se(size <= sizeof(data));
        for (size_t i = 0; i < n; i++) {
                snprintf(p, sizeof(p), "%s/%s", top, dirs[i].rel);
                if (mkdir(p, 0700) < 0)
                        return 101;
                if (i > 0) {
                        snprintf(p, sizeof(p), "%s/%s/f", top, dirs[i].rel);
                        int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
                        if (fd < 0 || write(fd, data, size) != (ssize_t) size)
                                return 102;
                        close(fd);
                }
        }
        return 0;
}

/* Then their modes, deepest first (else no way in). */
static int lock_tree(const char *top, const TreeDir *dirs, size_t n) {
        char p[256];

        for (size_t i = n; i-- > 0;) {
                snprintf(p, sizeof(p), "%s/%s", top, dirs[i].rel);
                if (chmod(p, dirs[i].mode) < 0)
                        return 103;
        }
        return 0;
}

/* In a child: a mount namespace of its own whose /proc is an empty tmpfs, as in a chroot
 * without one. False where the kernel refuses a private / (a chroot whose / is no mount point). */
static bool hide_proc_in_new_namespace(void) {
        return unshare(CLONE_NEWNS) >= 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) >= 0 &&
               mount("tmpfs", "/proc", "tmpfs", 0, NULL) >= 0;
}

/* What the worker meets under DynamicUser: a work dir the skill, with the worker's own uid,
 * made unreadable at every level. Removing it takes no CAP_DAC_OVERRIDE, only ownership; as
 * root the test drops to nobody for it, so that it means the same in CI. With hide_proc (root
 * only: a mount namespace with an empty /proc, as in a chroot) the way through /proc/self/fd is
 * gone: rm_rf() must then say EACCES, not report the tree removed. */
static void test_rm_rf_owner(bool hide_proc) {
        char tmpl[] = "/tmp/test-util-owner-XXXXXX";
        const char *what = hide_proc ? "without /proc" : "with /proc";
        int status = -1, code;
        pid_t pid;

        if (hide_proc && geteuid() != 0) {
                ok(1, "# SKIP rm_rf %s: needs root for a mount namespace", what);
                return;
        }
        assert_se(mkdtemp(tmpl));
        if (geteuid() == 0)
                assert_se(chown(tmpl, 65534, 65534) == 0);
        pid = fork();
        assert_se(pid >= 0);
        if (pid == 0) {
                static const TreeDir dirs[] = {
                        { "tree", 0 },           /* the work dir itself */
                        { "tree/none", 0 },      /* no permission at all */
                        { "tree/wx", 0300 },     /* enterable, not listable */
                        { "tree/rx", 0500 },     /* listable, entries not removable */
                };
                char p[256];
                int r;

                if (hide_proc && !hide_proc_in_new_namespace())
                        _exit(99);
                if (!drop_to_nobody())
                        _exit(100);
                r = make_locked_tree(tmpl, dirs, ELEMENTSOF(dirs), 0);
                if (r == 0)
                        r = lock_tree(tmpl, dirs, ELEMENTSOF(dirs));
                if (r != 0)
                        _exit(r);
                snprintf(p, sizeof(p), "%s/tree", tmpl);
                r = rm_rf(p);
                /* 0: removed; 1: EACCES; 2: another answer; +4: the tree is still there */
                code = (r == 0 ? 0 : r == -EACCES ? 1 : 2) | (access(p, F_OK) == 0 || errno != ENOENT ? 4 : 0);
                if (code & 4) {
                        /* +8: the worker's removal of such a work dir does not say so on stderr */
                        Workdir w = { .path = strdup(p), .fd = -1 };
                        char said[512] = "";
                        int fds[2];
                        if (!w.path || pipe(fds) < 0 || dup2(fds[1], STDERR_FILENO) < 0)
                                _exit(104);
                        close(fds[1]);
                        workdir_remove(&w);
                        close(STDERR_FILENO);
                        (void) !read(fds[0], said, sizeof(said) - 1);
                        if (!strstr(said, "Cannot remove work directory") || !strstr(said, p) ||
                            !strstr(said, strerror(EACCES)))
                                code |= 8;
                }
                _exit(code);
        }
        assert_se(waitpid(pid, &status, 0) == pid);
        code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (hide_proc && code == 99) {
                /* a chroot whose / is no mount point (not sbuild's or schroot's: they bind-mount it) */
                ok(1, "# SKIP rm_rf %s: the kernel refuses a private / in a new mount namespace", what);
                assert_se(rm_rf(tmpl) == 0);
                return;
        }
        ok(code >= 0 && code < 99, "rm_rf %s: owner's tree built (as uid %d)", what,
           geteuid() == 0 ? 65534 : (int) geteuid());
        if (hide_proc) {
                is_int(code, 1 | 4, "rm_rf %s: EACCES, and the tree left, not 'removed'; workdir_remove() logs it", what);
                assert_se(rm_rf(tmpl) == 0); /* as root */
        } else {
                is_int(code, 0, "rm_rf %s: a tree its owner made unreadable, removed by the owner", what);
                assert_se(rmdir(tmpl) == 0);
        }
}

/* body(base) in a child with /proc hidden in a mount namespace of its own, base a fresh directory
 * (removed afterwards): its exit code, or -1 when the test was skipped (not root, or a kernel that
 * refuses a private / there). Root only. */
static int without_proc(const char *what, int (*body)(const char *base)) {
        char base[] = "/tmp/test-util-noproc-XXXXXX";
        int status = -1, code;
        pid_t pid;

        if (geteuid() != 0) {
                ok(1, "# SKIP %s without /proc: needs root for a mount namespace", what);
                return -1;
        }
        assert_se(mkdtemp(base));
        pid = fork();
        assert_se(pid >= 0);
        if (pid == 0)
                _exit(hide_proc_in_new_namespace() ? body(base) : 99);
        assert_se(waitpid(pid, &status, 0) == pid);
        code = WIFEXITED(status) ? WEXITSTATUS(status) : -2;
        assert_se(rm_rf(base) == 0);
        if (code == 99) {
                ok(1, "# SKIP %s without /proc: the kernel refuses a private / in a new mount namespace", what);
                return -1;
        }
        return code;
}

/* 0: gone from both names; +1 the moved one stays; +2 the old name is back */
static int workdir_moved(const char *base) {
        char p[256], f[256], moved[256];
        Workdir w;

        snprintf(p, sizeof(p), "%s/w", base);
        snprintf(f, sizeof(f), "%s/w/f", base);
        snprintf(moved, sizeof(moved), "%s/w.x", base);
        if (mkdir(p, 0700) < 0 || write_file_at(AT_FDCWD, f, "x", 1, 0600) < 0)
                return 100;
        w = (Workdir) { .path = strdup(p), .fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
        if (!w.path || w.fd < 0 || rename(p, moved) < 0)
                return 101;
        workdir_remove(&w);
        return (access(moved, F_OK) == 0 || errno != ENOENT ? 1 : 0) | (access(p, F_OK) == 0 || errno != ENOENT ? 2 : 0);
}

/* A work dir the skill renamed within the work root, where there is no /proc to show where
 * its fd is now (a chroot without one): workdir_remove() finds it by its inode among the work
 * root's entries, and removes it there once emptied. */
static void test_workdir_moved_without_proc(void) {
        int code = without_proc("workdir_remove of a moved work dir", workdir_moved);
        if (code >= 0)
                is_int(code, 0, "workdir_remove without /proc: a work dir moved within the work root is found and removed");
}

/* +1 the regular file not opened or not readable; +2 the FIFO not refused; +4 a missing file
 * not ENOENT */
static int open_regular_files(const char *base) {
        char f[256], fifo[256], gone[256], buf[8] = {};
        int fd;

        snprintf(f, sizeof(f), "%s/f", base);
        snprintf(fifo, sizeof(fifo), "%s/fifo", base);
        snprintf(gone, sizeof(gone), "%s/gone", base);
        if (access("/proc/self/fd", F_OK) == 0 || write_file_at(AT_FDCWD, f, "abc", 3, 0600) < 0 || mkfifo(fifo, 0600) < 0)
                return 100;
        fd = open_regular(f, NULL);
        return (fd < 0 || read(fd, buf, sizeof(buf)) != 3 || strcmp(buf, "abc") != 0 ? 1 : 0) |
               (open_regular(fifo, NULL) != -EBADFD ? 2 : 0) | (open_regular(gone, NULL) != -ENOENT ? 4 : 0);
}

/* Without /proc (a chroot, a container that mounts none), open_regular() cannot reopen its
 * O_PATH fd through /proc/self/fd: it opens the path again. A regular file must still open, and
 * what is no regular file still be refused before any open of it. */
static void test_open_regular_without_proc(void) {
        int code = without_proc("open_regular", open_regular_files);
        if (code >= 0)
                is_int(code, 0, "open_regular without /proc: a regular file opened by path, a FIFO refused, ENOENT");
}

/* The same below the depth where rm_rf() moves subtrees up to the top (32, so that the fds it
 * holds stay bounded): a directory moved to a new parent must be writable, as its ".." entry
 * changes, and one its owner locked read-only (0500) or shut (0) must not stay behind. */
static void test_rm_rf_owner_deep(mode_t mode) {
        char tmpl[] = "/tmp/test-util-odeep-XXXXXX";
        int status = -1, code;
        pid_t pid;

        assert_se(mkdtemp(tmpl));
        if (geteuid() == 0)
                assert_se(chown(tmpl, 65534, 65534) == 0);
        pid = fork();
        assert_se(pid >= 0);
        if (pid == 0) {
                int fd, r;

                if (!drop_to_nobody())
                        _exit(100);
                fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                /* 40 levels, each made, then locked from the deepest up through its parent's fd */
                int fds[41];
                fds[0] = fd;
                for (unsigned i = 0; i < 40; i++) {
                        if (fds[i] < 0 || mkdirat(fds[i], "d", 0700) < 0)
                                _exit(101);
                        fds[i + 1] = openat(fds[i], "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                }
                for (unsigned i = 40; i-- > 0;) {
                        if (fchmodat(fds[i], "d", mode, 0) < 0)
                                _exit(103);
                        close(fds[i + 1]);
                }
                close(fd);
                r = rm_rf(tmpl);
                _exit((r == 0 ? 0 : 1) | (access(tmpl, F_OK) == 0 || errno != ENOENT ? 4 : 0));
        }
        assert_se(waitpid(pid, &status, 0) == pid);
        code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        is_int(code, 0, "rm_rf: a tree 40 deep its owner locked (%04o) at every level, removed by the owner",
               (unsigned) mode);
        if (code != 0)
                (void) rm_rf(tmpl);
}

/* Mount points below the tree are never crossed, whatever their st_dev: a tmpfs (its own) and
 * a bind mount of the tree's own file system (the same st_dev, which alone let rm_rf() in). As
 * root, in a child with a mount namespace of its own, so that nothing stays mounted. */
static void test_rm_rf_mounts(void) {
        char tmpl[] = "/tmp/test-util-mnt-XXXXXX";
        int status = -1, code;
        pid_t pid;

        if (geteuid() != 0) {
                ok(1, "# SKIP rm_rf and mount points: needs root to mount");
                return;
        }
        assert_se(mkdtemp(tmpl));
        pid = fork();
        assert_se(pid >= 0);
        if (pid == 0) {
                char tree[256], tmpfs[256], bind[256], src[256], p[300];
                int fd, r;

                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(99);
                snprintf(tree, sizeof(tree), "%s/tree", tmpl);
                snprintf(tmpfs, sizeof(tmpfs), "%s/tree/tmpfs", tmpl);
                snprintf(bind, sizeof(bind), "%s/tree/d/bind", tmpl);
                snprintf(src, sizeof(src), "%s/src", tmpl);
                if (mkdir(tree, 0700) < 0 || mkdir(tmpfs, 0700) < 0 || mkdir(src, 0700) < 0 ||
                    snprintf(p, sizeof(p), "%s/d", tree) < 0 || mkdir(p, 0700) < 0 || mkdir(bind, 0700) < 0)
                        _exit(101);
                if (mount("tmpfs", tmpfs, "tmpfs", 0, "size=1m") < 0 || mount(src, bind, NULL, MS_BIND, NULL) < 0)
                        _exit(102);
                snprintf(p, sizeof(p), "%s/f", tmpfs);
                if ((fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) < 0)
                        _exit(103);
                close(fd);
                snprintf(p, sizeof(p), "%s/f", src);
                if ((fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) < 0)
                        _exit(103);
                close(fd);
                r = rm_rf(tree);
                /* +1: no error said (the mount points cannot go); +2: the tmpfs' file removed;
                 * +4: the bound directory's file removed */
                code = (r == 0 ? 1 : 0);
                snprintf(p, sizeof(p), "%s/f", tmpfs);
                code |= access(p, F_OK) < 0 ? 2 : 0;
                snprintf(p, sizeof(p), "%s/f", src);
                code |= access(p, F_OK) < 0 ? 4 : 0;
                _exit(code);
        }
        assert_se(waitpid(pid, &status, 0) == pid);
        code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (code == 99)
                ok(1, "# SKIP rm_rf and mount points: the kernel refuses a private / in a new mount namespace");
        else {
                ok(code >= 0 && code < 100, "rm_rf and mount points: tree with a tmpfs and a bind mount built");
                ok(code >= 0 && !(code & 1), "rm_rf: an error when a mount point is left");
                ok(code >= 0 && !(code & 2), "rm_rf: a tmpfs mounted below is not crossed");
                ok(code >= 0 && !(code & 4), "rm_rf: a bind mount of the same file system below is not crossed");
        }
        assert_se(rm_rf(tmpl) == 0); /* the mounts went with the child's namespace */
}

/* A btrfs image on a loop device (autoclear: it goes when unmounted), mounted at 'dir'. NULL,
 * or why not. */
static const char *btrfs_mount(const char *img, const char *dir) {
        _cleanup_free_ char *fss = NULL;
        struct loop_config cfg = { .info.lo_flags = LO_FLAGS_AUTOCLEAR };
        char loop[32];
        int ctl, n, lfd, ifd, status = -1;
        pid_t pid;

        if (geteuid() != 0)
                return "needs root to mount";
        if (read_full_file("/proc/filesystems", 65536, &fss, NULL) < 0 || !strstr(fss, "\tbtrfs\n"))
                return "no btrfs in /proc/filesystems";
        ifd = open(img, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
        assert_se(ifd >= 0);
        assert_se(ftruncate(ifd, 128 << 20) == 0); /* sparse */
        pid = fork();
        assert_se(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (null < 0 || dup2(null, STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0)
                        _exit(126);
                execlp("mkfs.btrfs", "mkfs.btrfs", "-q", img, (char *) NULL);
                _exit(127);
        }
        assert_se(waitpid(pid, &status, 0) == pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
                close(ifd);
                return "no mkfs.btrfs (btrfs-progs)";
        }
        assert_se(WEXITSTATUS(status) == 0);
        ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        n = ctl >= 0 ? ioctl(ctl, LOOP_CTL_GET_FREE) : -1;
        if (ctl >= 0)
                close(ctl);
        if (n < 0) {
                close(ifd);
                return "no free loop device";
        }
        snprintf(loop, sizeof(loop), "/dev/loop%d", n);
        lfd = open(loop, O_RDWR | O_CLOEXEC);
        cfg.fd = (uint32_t) ifd;
        if (lfd < 0 || ioctl(lfd, LOOP_CONFIGURE, &cfg) < 0) {
                if (lfd >= 0)
                        close(lfd);
                close(ifd);
                return "no free loop device (or no LOOP_CONFIGURE: Linux 5.8+)";
        }
        close(ifd);
        /* In a mount namespace of this process' own where the kernel allows: the mount, and the
         * loop device with it, then go when the test ends, however it ends. */
        if (unshare(CLONE_NEWNS) == 0)
                (void) mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
        if (mount(loop, dir, "btrfs", 0, NULL) < 0) {
                (void) ioctl(lfd, LOOP_CLR_FD);
                close(lfd);
                return "mounting a btrfs image failed";
        }
        close(lfd); /* held by the mount now; detached with it */
        return NULL;
}

/* The btrfs ioctl 'request' on the directory 'parent', where it makes a subvolume */
static int btrfs_ioctl_in(const char *parent, unsigned long request, void *args) {
        int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

        if (fd < 0)
                return negative_errno();
        r = ioctl(fd, request, args) < 0 ? negative_errno() : 0;
        close(fd);
        return r;
}

static int btrfs_subvol_create(const char *parent, const char *name) {
        struct btrfs_ioctl_vol_args args = {};

        snprintf(args.name, sizeof(args.name), "%s", name);
        return btrfs_ioctl_in(parent, BTRFS_IOC_SUBVOL_CREATE, &args);
}

/* A snapshot of the subvolume open at 'sfd', at 'parent'/'name'; with BTRFS_SUBVOL_RDONLY in
 * 'flags' a read-only one. Any owner of a subvolume may make either, with no privilege. */
static int btrfs_snapshot_fd(int sfd, const char *parent, const char *name, uint64_t flags) {
        struct btrfs_ioctl_vol_args_v2 args = { .fd = sfd, .flags = flags };

        snprintf(args.name, sizeof(args.name), "%s", name);
        return btrfs_ioctl_in(parent, BTRFS_IOC_SNAP_CREATE_V2, &args);
}

static int btrfs_snapshot(const char *src, const char *parent, const char *name, uint64_t flags) {
        int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

        if (sfd < 0)
                return negative_errno();
        r = btrfs_snapshot_fd(sfd, parent, name, flags);
        close(sfd);
        return r;
}

/* 0, or the _exit() code of what failed: 'tree' with a subvolume holding a file and a nested
 * subvolume, and a snapshot of it (with an empty stand-in for the nested one); one at the top
 * holding a chain 40 deep (its dirs cannot be renamed out of it) with a subvolume at the bottom
 * (moved up, as subvolumes can be). */
static int make_subvol_tree(const char *tree) {
        char p[512];
        int fd;

        if (mkdir(tree, 0700) < 0)
                return 101;
        snprintf(p, sizeof(p), "%s/a", tree);
        if (mkdir(p, 0700) < 0 || btrfs_subvol_create(p, "sv") < 0)
                return 102;
        snprintf(p, sizeof(p), "%s/a/sv", tree);
        if (btrfs_subvol_create(p, "inner") < 0)
                return 103;
        snprintf(p, sizeof(p), "%s/a/sv/f", tree);
        if ((fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) < 0 || write(fd, "x", 1) != 1)
                return 104;
        close(fd);
        snprintf(p, sizeof(p), "%s/a/sv/inner/f", tree);
        if ((fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) < 0)
                return 104;
        close(fd);
        snprintf(p, sizeof(p), "%s/a/sv", tree);
        if (btrfs_snapshot(p, tree, "snap", 0) < 0)
                return 108;
        if (btrfs_subvol_create(tree, "top") < 0)
                return 105;
        snprintf(p, sizeof(p), "%s/top", tree);
        fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (unsigned i = 0; i < 40; i++) {
                int next;
                if (fd < 0 || mkdirat(fd, "d", 0700) < 0)
                        return 106;
                next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                close(fd);
                fd = next;
        }
        if (fd < 0 || snprintf(p, sizeof(p), "/proc/self/fd/%d", fd) < 0 || btrfs_subvol_create(p, "bottom") < 0)
                return 107;
        close(fd);
        return 0;
}

/* 0, or the _exit() code of what failed: 'tree' with read-only snapshots of a subvolume 'sv'
 * (a file and a directory in it): 'ro' and 'self' right below the top, 'ro2' in a subvolume in
 * 'sv', 'ro3' below a directory; and 'rosv', a subvolume its owner made read-only holding another
 * subvolume. */
static int make_rdonly_tree(const char *tree) {
        char p[512], q[512];
        int fd;

        if (mkdir(tree, 0700) < 0 || btrfs_subvol_create(tree, "sv") < 0)
                return 111;
        snprintf(p, sizeof(p), "%s/sv/d", tree);
        if (mkdir(p, 0700) < 0 || write_file_at(AT_FDCWD, strcat(p, "/f"), "x", 1, 0600) < 0)
                return 112;
        snprintf(p, sizeof(p), "%s/sv", tree);
        if (btrfs_snapshot(p, tree, "ro", BTRFS_SUBVOL_RDONLY) < 0 ||
            btrfs_snapshot(p, tree, "self", BTRFS_SUBVOL_RDONLY) < 0)
                return 114;
        snprintf(q, sizeof(q), "%s/sv/inner", tree);
        if (btrfs_subvol_create(p, "inner") < 0 || btrfs_snapshot(p, q, "ro2", BTRFS_SUBVOL_RDONLY) < 0)
                return 115;
        snprintf(q, sizeof(q), "%s/a", tree);
        if (mkdir(q, 0700) < 0 || btrfs_snapshot(p, q, "ro3", BTRFS_SUBVOL_RDONLY) < 0)
                return 116;
        snprintf(p, sizeof(p), "%s/rosv", tree);
        if (btrfs_subvol_create(tree, "rosv") < 0 || btrfs_subvol_create(p, "nested") < 0)
                return 117;
        uint64_t flags = BTRFS_SUBVOL_RDONLY;
        fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags) < 0)
                return 118;
        close(fd);
        /* the snapshots are read-only indeed */
        snprintf(p, sizeof(p), "%s/ro/d/f", tree);
        if (unlink(p) == 0 || errno != EROFS)
                return 119;
        return 0;
}

/* 'tree'/'sv', a subvolume with a file whose top its owner gave 'mode', and 'tree'/'ro', its
 * read-only snapshot (the snapshot's mode cannot be changed then). */
static int make_snapshot_of_mode(const char *tree, mode_t mode) {
        char p[512];
        int fd, r;

        if (mkdir(tree, 0700) < 0 || btrfs_subvol_create(tree, "sv") < 0)
                return 121;
        snprintf(p, sizeof(p), "%s/sv/f", tree);
        if (write_file_at(AT_FDCWD, p, "x", 1, 0600) < 0)
                return 122;
        snprintf(p, sizeof(p), "%s/sv", tree);
        fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fchmod(fd, mode) < 0)
                return 123;
        r = btrfs_snapshot_fd(fd, tree, "ro", BTRFS_SUBVOL_RDONLY);
        close(fd);
        return r < 0 ? 124 : 0;
}

/* Its top with every bit taken away first: not even its owner can open it. */
static int make_locked_snapshot(const char *tree) {
        return make_snapshot_of_mode(tree, 0);
}

/* Its top read and search only (0500): opened, but nothing in it can be removed until the
 * flag is cleared and the owner's write bit given back. */
static int make_rx_snapshot(const char *tree) {
        return make_snapshot_of_mode(tree, 0500);
}

/* rm_rf() of 'tree': 0, or +1 it failed, +2 the tree stayed */
static int tree_removed(const char *tree) {
        int code = rm_rf(tree) == 0 ? 0 : 1;

        return code | (access(tree, F_OK) == 0 || errno != ENOENT ? 2 : 0);
}

/* make_rdonly_tree(), then rm_rf() of 'self' and of the whole tree. 0, make_rdonly_tree()'s code,
 * or: +1 rm_rf() of the snapshot itself failed, +2 it stayed, +4 rm_rf() of the tree failed, +8 it
 * stayed. */
static int rdonly_tree_removed(const char *tree) {
        char p[512];
        int code = make_rdonly_tree(tree);

        if (code != 0)
                return code;
        snprintf(p, sizeof(p), "%s/self", tree);
        code = rm_rf(p) == 0 ? 0 : 1;
        code |= access(p, F_OK) == 0 || errno != ENOENT ? 2 : 0;
        code |= rm_rf(tree) == 0 ? 0 : 4;
        return code | (access(tree, F_OK) == 0 || errno != ENOENT ? 8 : 0);
}

/* Without CAP_FOWNER, as root may run (a bounding set without it): another's read-only snapshot
 * cannot be made writable. */
static bool drop_cap_fowner(void) {
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

        if (syscall(SYS_capget, &hdr, data) < 0)
                return false;
        data[CAP_TO_INDEX(CAP_FOWNER)].effective &= ~CAP_TO_MASK(CAP_FOWNER);
        data[CAP_TO_INDEX(CAP_FOWNER)].permitted &= ~CAP_TO_MASK(CAP_FOWNER);
        return syscall(SYS_capset, &hdr, data) == 0;
}

/* fn(path) in a child that became another first (become()), and the code it returned; 100 if it
 * could not become it. */
static int in_child(bool (*become)(void), int (*fn)(const char *), const char *path) {
        int status = -1;
        pid_t pid = fork();

        assert_se(pid >= 0);
        if (pid == 0)
                _exit(become() ? fn(path) : 100);
        assert_se(waitpid(pid, &status, 0) == pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* workdir_remove(w) with stderr read back: does its log say why the work dir stays? */
static bool workdir_remove_says_rdonly(Workdir *w) {
        char said[1024] = "";
        int fds[2];

        if (pipe(fds) < 0 || dup2(fds[1], STDERR_FILENO) < 0)
                return false;
        close(fds[1]);
        workdir_remove(w);
        close(STDERR_FILENO);
        (void) !read(fds[0], said, sizeof(said) - 1);
        close(fds[0]);
        return strstr(said, "Cannot remove work directory") && strstr(said, strerror(EROFS)) &&
               strstr(said, "read-only btrfs snapshot");
}

/* rm_rf() of a tree that holds a read-only snapshot not ours to make writable, then
 * workdir_remove() of it: 0, or +1 not EROFS, +2 the snapshot 'ro' is gone, +4 the subvolume
 * 'sv' stayed, +8 the worker's log does not say why its work dir stays. */
static int rdonly_stays(const char *tree) {
        Workdir w = { .path = strdup(tree), .fd = -1 };
        char p[512];
        int code;

        code = rm_rf(tree) == -EROFS ? 0 : 1;
        snprintf(p, sizeof(p), "%s/ro", tree);
        code |= access(p, F_OK) < 0 && errno == ENOENT ? 2 : 0;
        snprintf(p, sizeof(p), "%s/sv", tree);
        code |= access(p, F_OK) == 0 || errno != ENOENT ? 4 : 0;
        return code | (w.path && workdir_remove_says_rdonly(&w) ? 0 : 8);
}

/* The same where the skill moved its work dir ('tree') within the work root, to 'tree'.x: what
 * workdir_remove() empties through the fd it holds, and removes where it is now. 0, or +1 the
 * log does not say why it stays. */
static int rdonly_moved_stays(const char *tree) {
        _cleanup_free_ char *moved = NULL;
        Workdir w = { .path = strdup(tree), .fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC) };

        if (!w.path || w.fd < 0 || asprintf(&moved, "%s.x", tree) < 0 || rename(tree, moved) < 0)
                return 101;
        return workdir_remove_says_rdonly(&w) ? 0 : 1;
}

/* A skill may make a read-only snapshot of a subvolume it owns (no privilege needed): nothing in
 * it can be removed (EROFS), nor can it be moved to a new parent, and the work dir stayed behind
 * after every run that made one. rm_rf() makes such a subvolume writable first, as root and as
 * its owner; who may do neither gets EROFS, the snapshot stays, and the log says why. */
static void test_rm_rf_btrfs_rdonly(const char *mnt) {
        char tree[80], locked[80], moved[90];
        int code;

        snprintf(tree, sizeof(tree), "%s/rdonly", mnt);
        is_int(rdonly_tree_removed(tree), 0,
               "rm_rf: read-only btrfs snapshots (one given itself, at the top, nested), removed by root");

        snprintf(tree, sizeof(tree), "%s/rdonly-owner", mnt);
        is_int(in_child(drop_to_nobody, rdonly_tree_removed, tree), 0,
               "rm_rf: read-only btrfs snapshots their owner (nobody) made, removed by the owner too");

        snprintf(tree, sizeof(tree), "%s/rdonly-rx", mnt);
        code = in_child(drop_to_nobody, make_rx_snapshot, tree);
        is_int(code == 0 ? in_child(drop_to_nobody, tree_removed, tree) : code, 0,
               "rm_rf: a read-only snapshot of a 0500 top, removed by its owner (write bit given back)");

        snprintf(tree, sizeof(tree), "%s/rdonly-others", mnt);
        code = in_child(drop_to_nobody, make_rdonly_tree, tree);
        is_int(code == 0 ? in_child(drop_cap_fowner, rdonly_stays, tree) : code, 0,
               "rm_rf as root without CAP_FOWNER: another's read-only snapshot stays, with EROFS, and the log says why");

        /* its owner cannot even open it: still EROFS, and the log says why */
        snprintf(locked, sizeof(locked), "%s/rdonly-locked", mnt);
        code = in_child(drop_to_nobody, make_locked_snapshot, locked);
        is_int(code == 0 ? in_child(drop_to_nobody, rdonly_stays, locked) : code, 0,
               "rm_rf: a read-only snapshot its owner cannot open (mode 0) stays, with EROFS, and the log says why");
        is_int(code == 0 ? in_child(drop_to_nobody, rdonly_moved_stays, locked) : code, 0,
               "... and where the skill moved its work dir, the log says why too");
        snprintf(moved, sizeof(moved), "%s.x", locked);
        ok(rm_rf(tree) == 0 && rm_rf(moved) == 0, "... both removed by root");
}

/* A skill on btrfs may create subvolumes in its work dir (an ioctl, unprivileged): each has a
 * st_dev of its own, yet it is no mount. rm_rf() once skipped them as "another mount", and the
 * work dir stayed behind with its disk use. Removed by root, and by their owner (nobody). */
static void test_rm_rf_btrfs(void) {
        char tmpl[] = "/tmp/test-util-btrfs-XXXXXX";
        char img[64], mnt[64], tree[80], owned[80];
        const char *why;

        assert_se(mkdtemp(tmpl));
        snprintf(img, sizeof(img), "%s/img", tmpl);
        snprintf(mnt, sizeof(mnt), "%s/mnt", tmpl);
        assert_se(mkdir(mnt, 0755) == 0);
        why = btrfs_mount(img, mnt);
        if (why) {
                ok(1, "# SKIP rm_rf of btrfs subvolumes: %s", why);
                ok(1, "# SKIP rm_rf of btrfs subvolumes by their owner: %s", why);
                ok(1, "# SKIP rm_rf of read-only btrfs snapshots: %s", why);
                assert_se(rm_rf(tmpl) == 0);
                return;
        }
        snprintf(tree, sizeof(tree), "%s/tree", mnt);
        snprintf(owned, sizeof(owned), "%s/owned", mnt);
        is_int(make_subvol_tree(tree), 0, "btrfs: a tree with nested subvolumes and a snapshot built");
        is_int(rm_rf(tree), 0, "rm_rf: a tree with btrfs subvolumes, one 40 deep in another, a snapshot with a stand-in");
        ok(access(tree, F_OK) < 0 && errno == ENOENT, "... gone");

        assert_se(chmod(tmpl, 0711) == 0 && chown(mnt, 65534, 65534) == 0);
        pid_t pid = fork();
        int status = -1, code;
        assert_se(pid >= 0);
        if (pid == 0) {
                if (!drop_to_nobody())
                        _exit(100);
                code = make_subvol_tree(owned);
                if (code != 0)
                        _exit(code);
                _exit((rm_rf(owned) == 0 ? 0 : 1) | (access(owned, F_OK) == 0 || errno != ENOENT ? 4 : 0));
        }
        assert_se(waitpid(pid, &status, 0) == pid);
        code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        is_int(code, 0, "rm_rf: btrfs subvolumes their owner (nobody) made, removed by the owner");
        test_rm_rf_btrfs_rdonly(mnt);

        if (umount2(mnt, 0) < 0) /* the loop device goes with it (autoclear) */
                ok(0, "umount '%s': %m", mnt);
        assert_se(rm_rf(tmpl) == 0);
}

/* workdir_max under DynamicUser: the skill shares the worker's uid, and the worker has no DAC
 * capability, so a directory the skill locks is locked for the worker too. Its owner's bits are
 * given back and it is counted; one we cannot open even so counts as over the limit. As root
 * the test drops to nobody, so that it means the same in CI. */
static void test_dir_usage_owner(void) {
        char tmpl[] = "/tmp/test-util-usage-XXXXXX";
        bool root = geteuid() == 0;
        int status = -1, code;
        char p[256];
        pid_t pid;

        assert_se(mkdtemp(tmpl));
        if (root)
                assert_se(chown(tmpl, 65534, 65534) == 0);
        pid = fork();
        assert_se(pid >= 0);
        if (pid == 0) {
                static const TreeDir dirs[] = {
                        { "tree", 0300 },        /* the work dir itself: not listable */
                        { "tree/wx", 0300 },     /* enterable, not listable */
                        { "tree/r", 0600 },      /* listable, not enterable */
                        { "tree/wx/none", 0 },   /* nothing at all */
                };
                uint64_t before, after;
                bool uncounted = true;
                int r, wfd;

                if (!drop_to_nobody())
                        _exit(100);
                r = make_locked_tree(tmpl, dirs, ELEMENTSOF(dirs), 65536);
                if (r != 0)
                        _exit(r);
                /* the worker holds its work dir open from the start */
                snprintf(p, sizeof(p), "%s/tree", tmpl);
                wfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (wfd < 0)
                        _exit(106);
                before = supervise_dir_usage(wfd, &uncounted);
                if (uncounted || before < (ELEMENTSOF(dirs) - 1) * 65536)
                        _exit(105);
                r = lock_tree(tmpl, dirs, ELEMENTSOF(dirs));
                if (r != 0)
                        _exit(r);
                after = supervise_dir_usage(wfd, &uncounted);
                /* 0: all counted; +1: not all; +2: said uncounted; +4: more than the owner bits changed
                 * (the work dir itself, read through the fd, not at all) */
                code = (after != before ? 1 : 0) | (uncounted ? 2 : 0);
                for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                        struct stat st;
                        snprintf(p, sizeof(p), "%s/%s", tmpl, dirs[i].rel);
                        if (stat(p, &st) < 0 || (st.st_mode & 07777) != (dirs[i].mode | (i == 0 ? 0 : 0500)))
                                code |= 4;
                }
                _exit(code);
        }
        assert_se(waitpid(pid, &status, 0) == pid);
        code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        ok(code >= 0 && code < 99, "dir usage: owner's tree built and measured (as uid %d)",
           root ? 65534 : (int) geteuid());
        is_int(code, 0, "dir usage: directories their owner locked are unlocked (u+rx only) and counted");

        if (!root) {
                ok(1, "# SKIP dir usage of a directory we may not unlock: needs root to make one");
                assert_se(rm_rf(tmpl) == 0);
                return;
        }
        /* a directory of root's in the tree: uid 65534 may neither read it nor change its mode */
        snprintf(p, sizeof(p), "%s/tree", tmpl);
        assert_se(chmod(p, 0700) == 0); /* for the open of the work dir, as at its creation */
        snprintf(p, sizeof(p), "%s/tree/root", tmpl);
        assert_se(mkdir(p, 0700) == 0);
        pid = fork();
        assert_se(pid >= 0);
        if (pid == 0) {
                bool uncounted = false;
                if (!drop_to_nobody())
                        _exit(100);
                snprintf(p, sizeof(p), "%s/tree", tmpl);
                int wfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (wfd < 0)
                        _exit(106);
                (void) supervise_dir_usage(wfd, &uncounted);
                _exit(uncounted ? 0 : 1);
        }
        assert_se(waitpid(pid, &status, 0) == pid);
        is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
               "dir usage: a directory that cannot be read even so counts as over the limit");

        /* the directory the fd is open on, wherever it went: renamed, or removed (nothing left is
         * nothing over the limit) */
        bool uncounted = true;
        char moved[300];
        snprintf(p, sizeof(p), "%s/wd", tmpl);
        snprintf(moved, sizeof(moved), "%s/wd.x", tmpl);
        assert_se(mkdir(p, 0700) == 0);
        int wfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_se(wfd >= 0);
        assert_se(write_file_at(wfd, "f", "x", 1, 0600) == 0);
        assert_se(rename(p, moved) == 0);
        assert_se(mkdir(p, 0700) == 0); /* an empty decoy at the old path */
        ok(supervise_dir_usage(wfd, &uncounted) > 0 && !uncounted, "dir usage follows a renamed directory");
        assert_se(unlinkat(wfd, "f", 0) == 0 && rmdir(moved) == 0);
        is_int(supervise_dir_usage(wfd, &uncounted), 0, "dir usage of a directory that is gone: 0");
        ok(!uncounted, "... and counted, not over the limit");
        close(wfd);
        assert_se(rm_rf(tmpl) == 0);
}

static size_t entries_in(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        while (d && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        if (d)
                closedir(d);
        return n;
}

/* A skill that renamed its work dir in the work root and put something at its old path (a
 * symlink to a directory with a sentinel in it: never followed): both go, the renamed one
 * emptied through the fd held since it was made, and nothing else. One that removed its work
 * dir and made a directory named as the kernel shows a removed one: that one stays. */
static void test_workdir_moved(void) {
        char base[] = "/tmp/test-util-wd-XXXXXX", other[] = "/tmp/test-util-other-XXXXXX";
        Workdir w = WORKDIR_INIT;
        char p[300], q[300];

        assert_se(mkdtemp(base) && mkdtemp(other));
        snprintf(p, sizeof(p), "%s/sentinel", other);
        assert_se(write_file_at(AT_FDCWD, p, "keep", 4, 0600) == 0);
        snprintf(p, sizeof(p), "%s/sibling", base); /* another run's, say */
        assert_se(mkdir(p, 0700) == 0);

        is_int(workdir_create(base, "0123", &w), 0, "workdir_create");
        snprintf(p, sizeof(p), "%s/sub", w.path);
        assert_se(mkdir(p, 0700) == 0);
        snprintf(p, sizeof(p), "%s/sub/f", w.path);
        assert_se(write_file_at(AT_FDCWD, p, "data", 4, 0600) == 0);
        snprintf(p, sizeof(p), "%s/elsewhere", base);
        assert_se(rename(w.path, p) == 0);
        assert_se(symlink(other, w.path) == 0);
        workdir_remove(&w);
        ok(access(p, F_OK) < 0 && errno == ENOENT, "a work dir renamed in the work root is removed");
        snprintf(p, sizeof(p), "%s/skillrun-0123", base);
        ok(access(p, F_OK) < 0 && errno == ENOENT, "... and the symlink put at its path");
        snprintf(p, sizeof(p), "%s/sentinel", other);
        ok(access(p, F_OK) == 0, "... never followed: what it pointed to is kept");
        is_int(entries_in(base), 1, "... and so is the rest of the work root");

        is_int(workdir_create(base, "4567", &w), 0, "workdir_create");
        snprintf(p, sizeof(p), "%s/gone", base);
        snprintf(q, sizeof(q), "%s/gone (deleted)", base);
        assert_se(rename(w.path, p) == 0 && rmdir(p) == 0 && mkdir(q, 0700) == 0);
        workdir_remove(&w);
        ok(access(q, F_OK) == 0, "a removed work dir is not taken for one named '... (deleted)'");
        assert_se(rmdir(q) == 0);
        snprintf(p, sizeof(p), "%s/sibling", base);
        assert_se(rmdir(p) == 0 && rmdir(base) == 0);
        assert_se(rm_rf(other) == 0);
}

/* A skill can nest directories far deeper than the worker has fds or stack for. */
static int make_deep(const char *root, unsigned depth) {
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (unsigned i = 0; fd >= 0 && i < depth; i++) {
                int n;
                if (mkdirat(fd, "d", 0700) < 0) {
                        close(fd);
                        return -1;
                }
                n = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                close(fd);
                fd = n;
        }
        if (fd < 0)
                return -1;
        close(fd);
        return 0;
}

static void test_scan_children(void) {
        pid_t kids[2], found[16];
        size_t n;
        int seen = 0;

        for (int i = 0; i < 2; i++) {
                kids[i] = fork();
                if (kids[i] == 0) {
                        /* not left behind holding the TAP pipe if the kill below fails */
                        (void) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
                        pause();
                        _exit(0);
                }
        }
        n = supervise_scan_children(getpid(), found, ELEMENTSOF(found));
        for (size_t i = 0; i < n; i++)
                seen += found[i] == kids[0] || found[i] == kids[1];
        is_int(seen, 2, "the /proc scan finds both children (the fallback without PROC_CHILDREN)");
        supervise_kill_descendants();
        is_int(supervise_scan_children(getpid(), found, ELEMENTSOF(found)), 0, "and none once they are killed and reaped");
}

/* kill() for the library under test: a SIGKILL to 'spared' is dropped, as if that process were
 * stuck in the kernel where no signal reaches it. The executable's own definition is the one its
 * objects call. */
static pid_t spared;

int kill(pid_t pid, int sig) {
        if (spared > 0 && pid == spared && sig == SIGKILL)
                return 0;
        return (int) syscall(SYS_kill, pid, sig);
}

/* A child that no SIGKILL ends: the sweep gives up after its rounds and says so. */
static void test_kill_survivor(void) {
        char log[512] = "";
        int saved, mfd, st = 0;
        ssize_t k;
        pid_t pid = fork();

        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
                pause();
                _exit(0);
        }
        assert_se(pid > 0);
        mfd = memfd_create("stderr", MFD_CLOEXEC);
        saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        assert_se(mfd >= 0 && saved >= 0 && dup2(mfd, STDERR_FILENO) == STDERR_FILENO);
        spared = pid;
        is_int(supervise_kill_descendants(), 1, "a child that outlives every SIGKILL is counted");
        spared = 0;
        assert_se(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
        close(saved);
        k = pread(mfd, log, sizeof(log) - 1, 0);
        log[MAX(k, 0)] = 0;
        log[strcspn(log, "\n")] = 0;
        close(mfd);
        ok(strstr(log, "1 process of the run survived 200 rounds of SIGKILL and is left running") != NULL,
           "and the give-up is logged: %s", log);
        char pidtext[32];
        snprintf(pidtext, sizeof(pidtext), "the first pid %d", (int) pid);
        ok(strstr(log, pidtext) != NULL, "naming its pid");
        is_int(waitpid(pid, &st, WNOHANG), 0, "it is still there");
        (void) kill(pid, SIGKILL);
        is_int(waitpid(pid, &st, 0), pid, "until a real SIGKILL");
        ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "which ends it");
        is_int(supervise_kill_descendants(), 0, "no child left: 0, at once");
}

/* One call takes at most SUPERVISE_DRAIN_MAX from a pipe that holds more: writers that keep it
 * full must not keep the supervision loop from its timeout. */
static void test_drain_bounded(void) {
        static char block[65536];
        OutputStream s = {};
        int p[2], queued = 0;
        size_t filled = 0;

        assert_se(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
        (void) fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
        memset(block, 'x', sizeof(block));
        while (write(p[1], block, sizeof(block)) == (ssize_t) sizeof(block))
                filled += sizeof(block);
        ok(filled > SUPERVISE_DRAIN_MAX, "a pipe holding %zu bytes, more than one call takes", filled);
        ok(supervise_drain(&p[0], &s, 1024), "a bounded call: the pipe is still open");
        is_int(s.total, SUPERVISE_DRAIN_MAX, "it took SUPERVISE_DRAIN_MAX bytes, not all");
        ok(ioctl(p[0], FIONREAD, &queued) == 0 && (size_t) queued == filled - SUPERVISE_DRAIN_MAX,
           "the rest is still in the pipe");
        is_int(s.len, 1024, "kept up to the cap");
        close(p[1]);
        while (supervise_drain(&p[0], &s, 1024))
                ;
        is_int(s.total, filled, "further calls take the rest, then EOF");
        is_int(p[0], -1, "and close the read end");
        free(s.buf);
}

static void test_read_secret(void) {
        char path[] = "/tmp/test-secret-XXXXXX";
        int fd = mkstemp(path);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;

        (void) !write(fd, "ci:abc\n\0x", 9);
        close(fd);
        is_int(read_full_secret(path, 1024, &text, &len), 0, "read_full_secret");
        ok(len == 9 && memcmp(text, "ci:abc\n\0x", 9) == 0, "exact bytes, NUL included");
        free(text);
        text = NULL;
        is_int(read_full_secret(path, 8, &text, &len), -EFBIG, "bounded");
        is_int(read_full_secret("/dev/null", 8, &text, &len), -EBADFD, "only regular files");
        unlink(path);
        /* no writer will ever come: refused at once, not waited for in open() */
        ok(mkfifo(path, 0600) == 0, "mkfifo");
        is_int(read_full_secret(path, 8, &text, &len), -EBADFD, "a FIFO: refused");
        unlink(path);
        is_int(read_full_secret(path, 8, &text, &len), -ENOENT, "missing file");
        is_int(open_regular("/tmp", NULL), -EBADFD, "open_regular: a directory is refused");
        /* regular by type, but the kernel's: /proc/kmsg would block, and take syslog's messages */
        is_int(open_regular("/proc/self/status", NULL), -EMEDIUMTYPE, "open_regular: a file of /proc is refused");
        if (access("/sys/kernel/uevent_seqnum", F_OK) == 0)
                is_int(open_regular("/sys/kernel/uevent_seqnum", NULL), -EMEDIUMTYPE,
                       "open_regular: a file of /sys is refused");
        else
                printf("ok %d # SKIP no /sys/kernel/uevent_seqnum: /sys not mounted\n", ++tap_n);
        is_int(read_full_secret("/proc/self/status", 8, &text, &len), -EMEDIUMTYPE, "read_full_secret: not of /proc");
        is_str(auth_load_strerror(-EMEDIUMTYPE), "a file of the kernel's (/proc, /sys), not a tokens file",
               "auth_load_strerror(-EMEDIUMTYPE)");
        char link[PATH_MAX];
        snprintf(link, sizeof link, "%s.link", path);
        assert_se(symlink("/etc/passwd", link) == 0);
        struct stat said = {}, seen = {};
        int fd2 = open_regular(link, &said); /* through a symlink */
        ok(fd2 >= 0 && read(fd2, (char[8]) {}, 8) == 8, "open_regular: a regular file, readable (%d)", fd2);
        unlink(link);
        ok(fd2 >= 0 && fstat(fd2, &seen) == 0 && said.st_dev == seen.st_dev && said.st_ino == seen.st_ino &&
           S_ISREG(said.st_mode), "open_regular: the stat it gives is the opened file's");
        if (fd2 >= 0)
                close(fd2);
        /* a tokens file over its bound: the bound is said, not "File too large" */
        is_str(auth_load_strerror(-EFBIG), "larger than 1048576 bytes", "auth_load_strerror(-EFBIG)");
        is_str(auth_load_strerror(-EBADFD), "not a regular file", "auth_load_strerror(-EBADFD)");
}

static uint64_t usage_of(const char *path, bool *ret_uncounted) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        uint64_t n;

        assert_se(fd >= 0);
        n = supervise_dir_usage(fd, ret_uncounted);
        close(fd);
        return n;
}

static void test_deep_trees(void) {
        char deep[] = "/tmp/test-deep-XXXXXX", shallow[] = "/tmp/test-shallow-XXXXXX";
        char deep2[] = "/tmp/test-decoy-XXXXXX";
        struct rlimit saved, few = { .rlim_cur = 64 };
        bool too_deep = false;

        ok(mkdtemp(deep) != NULL, "mkdtemp for the deep tree");
        is_int(make_deep(deep, 3000), 0, "a tree 3000 directories deep");
        (void) usage_of(deep, &too_deep);
        ok(too_deep, "dir usage: deeper than %d levels is reported, without a crash", SUPERVISE_DIR_DEPTH_MAX);
        /* with 64 fds, one fd per level could never reach the bottom */
        getrlimit(RLIMIT_NOFILE, &saved);
        few.rlim_max = saved.rlim_max;
        setrlimit(RLIMIT_NOFILE, &few);
        is_int(rm_rf(deep), 0, "rm_rf removes a tree far deeper than the 64 fds it may hold");
        setrlimit(RLIMIT_NOFILE, &saved);
        ok(access(deep, F_OK) < 0 && errno == ENOENT, "deep tree gone");

        /* decoys where a predictable name for a moved-up subtree would go */
        ok(mkdtemp(deep2) != NULL, "mkdtemp for a deep tree with decoys");
        is_int(make_deep(deep2, 100), 0, "a tree 100 directories deep");
        for (unsigned i = 0; i < 64; i++) {
                char decoy[PATH_MAX];
                snprintf(decoy, sizeof(decoy), "%s/.rm-rf-%u", deep2, i);
                close(open(decoy, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
        }
        is_int(rm_rf(deep2), 0, "rm_rf is not stopped by decoy files");
        ok(access(deep2, F_OK) < 0 && errno == ENOENT, "tree with decoys gone");

        ok(mkdtemp(shallow) != NULL, "mkdtemp for a shallow tree");
        is_int(make_deep(shallow, 10), 0, "a tree 10 directories deep");
        too_deep = true;
        (void) usage_of(shallow, &too_deep);
        ok(!too_deep, "dir usage: 10 levels are not too deep");
        is_int(rm_rf(shallow), 0, "rm_rf of the shallow tree");
}

static void test_auth(void) {
        char tmpl[] = "/tmp/test-auth-XXXXXX";
        int fd = mkstemp(tmpl);
        const char *text = "# comment\n"
                           "ci:0123456789abcdef0123456789abcdef\n"
                           "short:0123456789abcdef0123456789abcde\n" /* one byte short of ci's */
                           "bad name:0123456789abcdef0123456789abcdef\n"
                           "nocolon\n"
                           "  other:abcdefabcdefabcdefabcdefabcdefabcdef  \r\n";
        _cleanup_strv_free_ char **warn = NULL;
        _cleanup_free_ char *line = NULL;
        AuthTokens t = {};

        (void) !write(fd, text, strlen(text));
        close(fd);
        unsetenv("ABBOT_SKILL_RUNNER_TOKEN");
        is_int(auth_load(tmpl, &t, &warn), 0, "auth_load");
        is_int(t.n, 2, "two usable tokens");
        is_int(strv_length(warn), 3, "three refused lines");
        contains_str(warn ? warn[0] : NULL, ":3: token 'short' is shorter than 32 bytes", "short token refused with line");
        ok(warn && !strstr(warn[0], "0123456789abcde"), "the refused token itself is not in the message");
        is_str(auth_check(&t, "0123456789abcdef0123456789abcdef"), "ci", "ci matches");
        is_str(auth_check(&t, "abcdefabcdefabcdefabcdefabcdefabcdef"), "other", "trailing space and CR trimmed");
        ok(auth_check(&t, "0123456789abcdef0123456789abcde") == NULL, "prefix does not match");
        ok(auth_check(&t, "0123456789abcdef0123456789abcdef0") == NULL, "longer does not match");
        ok(auth_check(&t, "") == NULL, "empty does not match");
        auth_done(&t);
        is_int(t.n, 0, "auth_done empties");

        setenv("ABBOT_SKILL_RUNNER_TOKEN", "abbotabbotabbotabbotabbotabbotabbot", 1);
        is_int(auth_load(tmpl, &t, NULL), 0, "auth_load with ABBOT_SKILL_RUNNER_TOKEN");
        is_str(auth_check(&t, "abbotabbotabbotabbotabbotabbotabbot"), "abbot", "Abbot runner token is named 'abbot'");
        auth_done(&t);
        is_str(getenv("ABBOT_SKILL_RUNNER_TOKEN"), "", "... and wiped from the environment once taken");
        /* skillrun(8): a token besides those of the tokens file, which a migrating client may lack */
        setenv("ABBOT_SKILL_RUNNER_TOKEN", "abbotabbotabbotabbotabbotabbotabbot", 1);
        is_int(auth_load("/nonexistent/tokens", &t, NULL), 0, "no tokens file, ABBOT_SKILL_RUNNER_TOKEN set: loaded");
        is_str(auth_check(&t, "abbotabbotabbotabbotabbotabbotabbot"), "abbot", "... with the Abbot runner token");
        auth_done(&t);
        unsetenv("ABBOT_SKILL_RUNNER_TOKEN");
        is_int(auth_load("/nonexistent/tokens", &t, NULL), -ENOENT, "no tokens file and no other token: ENOENT");
        /* at least 32 bytes (skillrun(8)): 32 taken, 31 refused */
        setenv("ABBOT_SKILL_RUNNER_TOKEN", "abbotabbotabbotabbotabbotabbot12", 1);
        is_int(auth_load(tmpl, &t, NULL), 0, "auth_load with a 32-byte ABBOT_SKILL_RUNNER_TOKEN");
        is_str(auth_check(&t, "abbotabbotabbotabbotabbotabbot12"), "abbot", "... which is taken");
        auth_done(&t);
        setenv("ABBOT_SKILL_RUNNER_TOKEN", "abbotabbotabbotabbotabbotabbot1", 1);
        is_int(auth_load(tmpl, &t, NULL), 0, "auth_load with a 31-byte ABBOT_SKILL_RUNNER_TOKEN");
        ok(auth_check(&t, "abbotabbotabbotabbotabbotabbot1") == NULL, "... which is refused");
        auth_done(&t);
        unsetenv("ABBOT_SKILL_RUNNER_TOKEN");

        /* a blank after the colon could never match (the header's blanks are skipped); a NUL
         * byte would silently end the file there */
        static const char blank[] = "sp: 0123456789abcdef0123456789abcdef\nci:0123456789abcdef0123456789abcdef\n";
        static const char nul[] = "a:0123456789abcdef0123456789abcdef\0junk\nb:0123456789abcdef0123456789abcdef\n";
        _cleanup_strv_free_ char **warn2 = NULL, **warn3 = NULL;
        (void) unlink(tmpl);
        assert_se(write_file_at(AT_FDCWD, tmpl, blank, sizeof blank - 1, 0600) >= 0);
        is_int(auth_load(tmpl, &t, &warn2), 0, "auth_load, a token after a blank");
        is_int(t.n, 1, "... the other one is usable");
        contains_str(warn2 ? warn2[0] : NULL, ":1: token 'sp' starts with a blank, refused", "... and it is refused");
        auth_done(&t);
        /* nor could a control character (a header value refuses it, as DEL; a tab it keeps) */
        static const char ctl[] = "cr:0123456789abcdef\r0123456789abcdef\nesc:0123456789abcdef\x1b" "0123456789abcdef\n"
                                  "del:0123456789abcdef\x7f" "0123456789abcdef\ntab:0123456789abcdef\t0123456789abcdef\n";
        _cleanup_strv_free_ char **warn5 = NULL;
        (void) unlink(tmpl);
        assert_se(write_file_at(AT_FDCWD, tmpl, ctl, sizeof ctl - 1, 0600) >= 0);
        is_int(auth_load(tmpl, &t, &warn5), 0, "auth_load, tokens with control characters");
        is_int(t.n, 1, "... only the one with a tab is usable");
        is_str(auth_check(&t, "0123456789abcdef\t0123456789abcdef"), "tab", "... and matches");
        is_int(warn5 ? (int) strv_length(warn5) : 0, 3, "... three warnings");
        contains_str(warn5 ? warn5[0] : NULL, ":1: token 'cr' holds a control character, refused", "... CR refused");
        contains_str(warn5 && warn5[0] ? warn5[1] : NULL, ":2: token 'esc' holds a control character, refused",
                     "... ESC refused");
        contains_str(warn5 && warn5[0] && warn5[1] ? warn5[2] : NULL,
                     ":3: token 'del' holds a control character, refused", "... DEL refused");
        auth_done(&t);
        setenv("ABBOT_SKILL_RUNNER_TOKEN", "abbotabbotabbotabbot\x01" "abbotabbotabbot", 1);
        _cleanup_strv_free_ char **warn6 = NULL;
        (void) unlink(tmpl);
        assert_se(write_file_at(AT_FDCWD, tmpl, "", 0, 0600) >= 0);
        is_int(auth_load(tmpl, &t, &warn6), 0, "ABBOT_SKILL_RUNNER_TOKEN with a control character");
        is_int(t.n, 0, "... is not added");
        contains_str(warn6 ? warn6[0] : NULL, "ABBOT_SKILL_RUNNER_TOKEN holds a control character, refused",
                     "... and says why");
        auth_done(&t);
        unsetenv("ABBOT_SKILL_RUNNER_TOKEN");
        (void) unlink(tmpl);
        assert_se(write_file_at(AT_FDCWD, tmpl, nul, sizeof nul - 1, 0600) >= 0);
        is_int(auth_load(tmpl, &t, &warn3), 0, "a tokens file with a NUL byte");
        is_int(t.n, 1, "... keeps the line before it");
        is_str(auth_check(&t, "0123456789abcdef0123456789abcdef"), "a", "... which works");
        contains_str(warn3 ? warn3[0] : NULL, ": a NUL byte at offset 34: the rest of the file is ignored",
                     "... and says that the rest is ignored");
        auth_done(&t);

        /* "TOKEN:name", the two swapped: the token passes for a name (skillrun token makes 44
         * characters a name may hold), and a refused line must not show it in check's output and
         * the journal; a name that short is no token, and is shown */
        static const char swapped[] = "Zq3v_8mN-4xR7tW2yB5kL9pD6hF1jG0cA2sE4uI8oQ0a:ci\n"
                                      "Zq3v_8mN-4xR7tW2yB5kL9pD6hF1jG0cA2sE4uI8oQ0a: 0123456789abcdef0123456789abcdef\n"
                                      "Zq3v_8mN-4xR7tW2yB5kL9pD6hF1jG0cA2sE4uI8oQ0a:0123456789abcdef\x01\n"
                                      "0123456789abcdef0123456789abcde:ci\n";
        _cleanup_strv_free_ char **warn7 = NULL;
        _cleanup_free_ char *want7a = NULL, *want7b = NULL, *want7c = NULL, *want7d = NULL;
        (void) unlink(tmpl);
        assert_se(write_file_at(AT_FDCWD, tmpl, swapped, sizeof swapped - 1, 0600) >= 0);
        is_int(auth_load(tmpl, &t, &warn7), 0, "a tokens file with name and token swapped");
        is_int(t.n, 0, "... nothing usable");
        is_int(warn7 ? (int) strv_length(warn7) : 0, 4, "... four warnings");
        assert_se(asprintf(&want7a, "%s:1: token is shorter than 32 bytes, refused (the name is as long as a "
                           "token: not shown; name and token swapped?)", tmpl) > 0);
        assert_se(asprintf(&want7b, "%s:2: token starts with a blank, refused (the name is as long as a token: "
                           "not shown)", tmpl) > 0);
        assert_se(asprintf(&want7c, "%s:3: token holds a control character, refused (the name is as long as a "
                           "token: not shown)", tmpl) > 0);
        assert_se(asprintf(&want7d, "%s:4: token '0123456789abcdef0123456789abcde' is shorter than 32 bytes, "
                           "refused", tmpl) > 0);
        is_str(warn7 ? warn7[0] : NULL, want7a, "... a short token: the line, not the token that is its name");
        is_str(warn7 && warn7[0] ? warn7[1] : NULL, want7b, "... a blank: the same");
        is_str(warn7 && warn7[0] && warn7[1] ? warn7[2] : NULL, want7c, "... a control character: the same");
        is_str(warn7 && warn7[0] && warn7[1] && warn7[2] ? warn7[3] : NULL, want7d,
               "... a name of 31 bytes, which no token is, still shown");
        for (char **w = warn7; w && *w; w++)
                ok(!strstr(*w, "Zq3v_8mN"), "... no warning shows the token: %s", *w);
        auth_done(&t);

        /* one token under two names: a client presenting it is the first (skillrun(8), check) */
        static const char shared[] = "first:0123456789abcdef0123456789abcdef\n"
                                     "second:0123456789abcdef0123456789abcdef\n";
        (void) unlink(tmpl);
        assert_se(write_file_at(AT_FDCWD, tmpl, shared, sizeof shared - 1, 0600) >= 0);
        is_int(auth_load(tmpl, &t, NULL), 0, "a token under two names");
        is_str(auth_check(&t, "0123456789abcdef0123456789abcdef"), "first", "... is the first name");
        auth_done(&t);

        /* a UTF-8 byte order mark from an editor: skipped, not part of the first name */
        static const char bom[] = "\xEF\xBB\xBF" "ci:0123456789abcdef0123456789abcdef\n";
        _cleanup_strv_free_ char **warn4 = NULL;
        (void) unlink(tmpl);
        assert_se(write_file_at(AT_FDCWD, tmpl, bom, sizeof bom - 1, 0600) >= 0);
        is_int(auth_load(tmpl, &t, &warn4), 0, "a tokens file starting with a BOM");
        is_str(auth_check(&t, "0123456789abcdef0123456789abcdef"), "ci", "... its first line works, named 'ci'");
        ok(!warn4, "... without a warning");
        auth_done(&t);

        unlink(tmpl);
        is_int(auth_load(tmpl, &t, NULL), -ENOENT, "missing tokens file is -ENOENT");

        is_str(auth_bearer_token("Bearer abc"), "abc", "Bearer");
        is_str(auth_bearer_token("bEaReR   abc"), "abc", "scheme case-insensitive, spaces skipped");
        ok(auth_bearer_token("Basic abc") == NULL, "Basic refused");
        ok(auth_bearer_token("Bearerabc") == NULL, "no separator refused");
        ok(auth_bearer_token("Bearer ") == NULL, "empty token refused");
        ok(auth_bearer_token(NULL) == NULL, "no header");

        is_int(auth_generate("ci", &line), 0, "generate");
        ok(line && strncmp(line, "ci:", 3) == 0 && strlen(line) == 3 + 44, "name:44 chars");
        ok(line && strspn(line + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 44,
           "base64url alphabet");
        is_int(auth_generate("no spaces", &line), -EINVAL, "bad name refused");
        {
                /* skillrun(8): a token name is 1 to 64 letters, digits, ... */
                char name[70];
                memset(name, 'n', 65);
                name[64] = 0;
                ok(auth_token_name_valid(name), "a token name of 64 characters is valid");
                name[64] = 'n';
                name[65] = 0;
                ok(!auth_token_name_valid(name), "a token name of 65 characters is not");
                ok(!auth_token_name_valid(""), "an empty token name is not");
                ok(auth_token_name_valid("az_AZ.09-"), "letters, digits, '_', '.' and '-' are valid");
                ok(!auth_token_name_valid("a/b") && !auth_token_name_valid("a:b"), "'/' and ':' are not");
        }
}

static void test_set_error_free_and_strdup(void) {
        _cleanup_free_ char *error = NULL, *s = NULL;

        is_int(set_error(NULL, -EINVAL, "ignored %d", 1), -EINVAL, "set_error without a message returns r");
        is_int(set_error(&error, -ENOENT, "%s: %d", "key", 7), -ENOENT, "set_error returns r");
        is_str(error, "key: 7", "set_error formats the message");

        s = strdup("old");
        is_int(free_and_strdup(&s, "new"), 0, "free_and_strdup");
        is_str(s, "new", "free_and_strdup replaced the string");
        is_int(free_and_strdup(&s, ""), 0, "free_and_strdup of the empty string");
        is_str(s, "", "…is the empty string");
}

static void test_path_below(void) {
        is_str(path_below("/etc/ssh/key", "/etc"), "/ssh/key", "path_below: the rest");
        is_str(path_below("/etc", "/etc"), "", "path_below: root itself");
        ok(!path_below("/etcetera", "/etc"), "path_below: whole components only");
        ok(!path_below("/et", "/etc"), "path_below: shorter is not below");
        is_str(path_below("/usr/lib", "/"), "/usr/lib", "path_below: everything is below /");
        ok(path_at_or_below("/proc/self/mounts", "/proc"), "path_at_or_below: below");
        ok(path_at_or_below("/proc", "/proc"), "path_at_or_below: at");
        ok(!path_at_or_below("/process", "/proc"), "path_at_or_below: a longer name is not below");
}

static void test_path_lexical(void) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "/usr//bin/", "/usr/bin" }, { "//usr/./bin//", "/usr/bin" }, { "/usr/bin/.", "/usr/bin" },
                { "/usr/../bin", "/usr/../bin" }, { "/", "/" },      { "//", "/" },
                { "/.", "/" },                    { "/./", "/" },    { "/.hidden/x", "/.hidden/x" },
                { "rel//x/", "rel/x" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = path_lexical(cases[i].in);
                is_str(s, cases[i].out, "path_lexical(\"%s\")", cases[i].in);
        }
}

/* The masks skillrun reads from /proc/self/status instead of a syscall per signal or capability. */
static void test_proc_status_mask(void) {
        static const char text[] = "Name:\tskillrun\nSigQ:\t0/63431\nSigPnd:\t0000000000000000\n"
                                   "SigBlk:\t0000000000014003\nSigIgn:\t0000000000001000\nSigCgt:\t8000000000000002\n"
                                   "CapInh:\t0000000000000000\nCapBnd:\t000001ffffffffff\n";
        uint64_t v = 0;

        is_int(proc_status_mask(text, "SigIgn", &v), 0, "SigIgn found");
        ok(v == UINT64_C(1) << (SIGPIPE - 1), "SigIgn: SIGPIPE is bit %d", SIGPIPE - 1);
        is_int(proc_status_mask(text, "SigCgt", &v), 0, "SigCgt found");
        ok(v == (UINT64_C(1) << 63 | UINT64_C(1) << (SIGINT - 1)), "SigCgt: signal 64 and SIGINT");
        is_int(proc_status_mask(text, "CapBnd", &v), 0, "CapBnd found");
        ok(v == UINT64_C(0x1ffffffffff), "CapBnd: 41 capabilities");
        is_int(proc_status_mask(text, "SigPnd", &v), 0, "a key that is the start of another is not it");
        ok(v == 0, "SigPnd: none");
        is_int(proc_status_mask(text, "CapAmb", &v), -ENOENT, "absent key: ENOENT");
        is_int(proc_status_mask(text, "Sig", &v), -ENOENT, "a key's prefix alone matches nothing");
        is_int(proc_status_mask("SigIgn:\t00000000000000000000000000001000\n", "SigIgn", &v), -EBADMSG,
               "128 signals' worth (mips): EBADMSG, not the low 64");
        is_int(proc_status_mask("SigIgn:\t000000000000100\n", "SigIgn", &v), -EBADMSG, "15 digits: EBADMSG");
        is_int(proc_status_mask("SigIgn:\t00000000000010g0\n", "SigIgn", &v), -EBADMSG, "not hex: EBADMSG");
        is_int(proc_status_mask("SigIgn: 0000000000001000\n", "SigIgn", &v), -EBADMSG, "no tab: EBADMSG");
        is_int(proc_status_mask("SigIgn:\t0000000000001000", "SigIgn", &v), 0, "last line without newline");
        is_int(proc_status_mask("", "SigIgn", &v), -ENOENT, "empty text: ENOENT");
}

/* What check's escape_line(), list's descriptions and the journal's MESSAGE take for a control:
 * the bounds of each range, and what lies just outside them */
static void test_line_control_len(void) {
        static const struct {
                const char *in;
                size_t len;
                const char *what;
        } cases[] = {
                { "", 0, "the NUL" },
                { "\x01", 1, "U+0001" },
                { "\x1f", 1, "U+001F" },
                { " ", 0, "a space" },
                { "~", 0, "a tilde" },
                { "\x7f", 1, "DEL" },
                { "\xc2\x80", 2, "U+0080, the first C1 control" },
                { "\xc2\x9f", 2, "U+009F, the last C1 control" },
                { "\xc2\xa0", 0, "U+00A0" },
                { "\xc2\x7f", 0, "0xc2 before DEL" },
                { "\xe2\x80\xa7", 0, "U+2027" },
                { "\xe2\x80\xa8", 3, "U+2028" },
                { "\xe2\x80\xa9", 3, "U+2029" },
                { "\xe2\x80\xaa", 0, "U+202A" },
                { "\xe2\x82\xa8", 0, "U+20A8, with U+2028's last byte" },
                { "\xe2\x81\xa9", 0, "U+2069, with U+2029's last byte" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                is_int((int) line_control_len(cases[i].in), (int) cases[i].len, "line_control_len: %s", cases[i].what);
}

static void test_escape_line(void) {
        /* every byte of the input needing four of the output at most */
        const char *all = "a\nb\tc\x1b[0m\x7f\\d\xc2\x85" "e\xc2\x9f\xc2\xa0\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xa7\xc3\xa9";
        char out[4 * 64 + 1];

        escape_line(all, false, out);
        is_str(out, "a\\x0ab\\x09c\\x1b[0m\\x7f\\d\\xc2\\x85e\\xc2\\x9f\xc2\xa0\\xe2\\x80\\xa8\\xe2\\x80\\xa9\xe2\x80\xa7\xc3\xa9",
               "C0, DEL, C1 (NEL, U+009F), U+2028, U+2029 as \\xNN; U+00A0, U+2027, é and the backslash kept");
        escape_line(all, true, out);
        ok(strstr(out, "\\x5cd") != NULL, "with backslash: the backslash too");
        memset(out, 'x', sizeof(out));
        escape_line("\n\n\n\n", false, out);
        is_str(out, "\\x0a\\x0a\\x0a\\x0a", "four newlines take 16 bytes and the NUL");
        escape_line("", true, out);
        is_str(out, "", "empty");
        /* the ends of printable ASCII, which is copied as it is */
        escape_line("\x1f \x7e\x7f", true, out);
        is_str(out, "\\x1f ~\\x7f", "U+001F and DEL as \\xNN, the space and '~' kept");

        /* bytes that are no UTF-8 (journalctl shows such a message as "[blob data]"): each one
         * escaped, what is valid around them kept */
        static const struct {
                const char *in, *out, *what;
        } invalid[] = {
                { "a\xff" "b", "a\\xffb", "a lone 0xff" },
                { "\x9b[2J", "\\x9b[2J", "a lone 0x9b (CSI in an 8-bit terminal)" },
                { "caf\xe9", "caf\\xe9", "Latin-1 é" },
                { "\xc3", "\\xc3", "a sequence cut at the end" },
                { "\xc3(\xc3\xa9", "\\xc3(\xc3\xa9", "a cut sequence, then a whole é" },
                { "\xc0\xaf", "\\xc0\\xaf", "an overlong '/'" },
                { "\xed\xa0\x80", "\\xed\\xa0\\x80", "a surrogate (U+D800)" },
                { "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80", "above U+10FFFF" },
                { "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", "U+1F600 kept" },
        };
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
                escape_line(invalid[i].in, false, out);
                is_str(out, invalid[i].out, "%s: as \\xNN", invalid[i].what);
        }
}

int main(void) {
        test_parse();
        test_passwd_find();
        test_strv();
        test_base64_utf8();
        test_rm_rf();
        test_rm_rf_owner(false);
        test_rm_rf_owner(true);
        test_workdir_moved_without_proc();
        test_open_regular_without_proc();
        test_rm_rf_owner_deep(0500);
        test_rm_rf_owner_deep(0);
        test_rm_rf_mounts();
        test_rm_rf_btrfs();
        test_deep_trees();
        test_dir_usage_owner();
        test_workdir_moved();
        test_read_secret();
        test_scan_children();
        test_kill_survivor();
        test_drain_bounded();
        test_auth();
        test_set_error_free_and_strdup();
        test_path_below();
        test_path_lexical();
        test_proc_status_mask();
        test_line_control_len();
        test_escape_line();
        return done_testing();
}
