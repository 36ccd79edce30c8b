/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sandbox's pure parts and build products: #! and PT_INTERP parsing, the interpreter
 * chain of a script, the precompiled seccomp programs against a fresh libseccomp build of the
 * same profiles, the landlock probe and the features JSON; as root, src/caps.c's raw syscalls
 * read back with libcap. */
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "caps.h"
#include "execdeps.h"
#include "landlock-secrets.h"
#include "landlock.h"
#include "sandbox.h"
#include "seccomp-bpf.h"
#include "seccomp-filter.h"
#include "tap.h"
#include "util.h"

static void test_shebang(void) {
        static const struct {
                const char *text, *interp, *arg;
                int r;
        } cases[] = {
                { "#!/bin/sh\necho\n", "/bin/sh", NULL, 0 },
                { "#! /usr/bin/env  python3 -u \nprint()\n", "/usr/bin/env", "python3 -u", 0 },
                { "#!/bin/bash", "/bin/bash", NULL, 0 },
                { "#!/usr/bin/python3\r\n", "/usr/bin/python3\r", NULL, 0 }, /* like the kernel: \r is part of it */
                { "#!\n", NULL, NULL, -EINVAL },
                { "#!   \n/bin/sh\n", NULL, NULL, -EINVAL },
                { "\x7f" "ELF", NULL, NULL, -EINVAL },
                { "echo hi\n", NULL, NULL, -EINVAL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *interp = NULL, *arg = NULL;
                int r = execdeps_parse_shebang(cases[i].text, strlen(cases[i].text), &interp, &arg);
                is_int(r, cases[i].r, "shebang case %zu: return", i);
                if (r < 0)
                        continue;
                is_str(interp, cases[i].interp, "shebang case %zu: interpreter", i);
                is_str(arg, cases[i].arg, "shebang case %zu: argument", i);
        }

        /* The kernel reads the #! line from the first 256 bytes (BINPRM_BUF_SIZE) only, and a
         * NUL ends the interpreter and the line. */
        char buf[512];
        _cleanup_free_ char *interp = NULL, *arg = NULL;
        int r = execdeps_parse_shebang("#!/bin/sh\0 -e\n", 14, &interp, &arg);
        is_int(r, 0, "shebang with a NUL after the interpreter: return");
        is_str(interp, "/bin/sh", "…the interpreter ends at the NUL");
        is_str(arg, NULL, "…and the line too: no argument");
        free(interp);
        interp = NULL;
        r = execdeps_parse_shebang("#!\0/bin/sh\n", 11, &interp, &arg);
        is_int(r, -EINVAL, "shebang with a NUL for the interpreter");

        /* an interpreter not ended by the 256th byte would run cut: refused */
        memset(buf, 'a', sizeof(buf));
        memcpy(buf, "#!/", 3);
        buf[300] = '\n';
        r = execdeps_parse_shebang(buf, sizeof(buf), &interp, &arg);
        is_int(r, -EINVAL, "shebang with a 298-byte interpreter");
        buf[255] = ' ';
        r = execdeps_parse_shebang(buf, sizeof(buf), &interp, &arg);
        is_int(r, 0, "shebang with a 253-byte interpreter, then a blank as the 256th byte: return");
        ok(interp && strlen(interp) == 253, "…the interpreter whole (%zu bytes)", strlen(strempty(interp)));
        free(interp);
        interp = NULL;
        buf[254] = ' ';
        r = execdeps_parse_shebang(buf, sizeof(buf), &interp, &arg);
        is_int(r, 0, "shebang with a 252-byte interpreter, then a blank: return");
        ok(interp && strlen(interp) == 252, "…the interpreter whole (%zu bytes)", strlen(strempty(interp)));
        is_str(arg, NULL, "…the argument cut to nothing at the 255th byte");
        free(interp);
        interp = NULL;

        /* an argument the buffer cuts is cut where the kernel cuts it */
        memcpy(buf, "#!/bin/sh ", 10);
        buf[254] = 'a';
        r = execdeps_parse_shebang(buf, sizeof(buf), &interp, &arg);
        is_int(r, 0, "shebang with a 290-byte argument: return");
        is_str(interp, "/bin/sh", "…interpreter");
        ok(arg && strlen(arg) == 245, "…the argument cut at the 255th byte (%zu bytes)", strlen(strempty(arg)));
        free(arg);
        arg = NULL;
}

static void test_elf(void) {
        _cleanup_free_ char *interp = NULL, *data = NULL;
        size_t len;
        int r;

        r = read_full_file("/bin/sh", 64 << 20, &data, &len);
        ok(r >= 0, "read /bin/sh");
        if (r >= 0) {
                r = execdeps_parse_elf_interp(data, MIN(len, (size_t) 4096), &interp);
                is_int(r, 0, "/bin/sh has a PT_INTERP");
                ok(interp && interp[0] == '/' && strstr(interp, "ld"), "…naming the dynamic loader ('%s')", strempty(interp));
        }

        /* A static ELF: a header, no program header with PT_INTERP. */
        char buf[sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr)] = {};
        Elf64_Ehdr *eh = (Elf64_Ehdr *) buf;
        Elf64_Phdr ph = { .p_type = PT_LOAD };
        memcpy(eh->e_ident, ELFMAG, SELFMAG);
        eh->e_ident[EI_CLASS] = ELFCLASS64;
        eh->e_phoff = sizeof(Elf64_Ehdr);
        eh->e_phentsize = sizeof(Elf64_Phdr);
        eh->e_phnum = 1;
        memcpy(buf + sizeof(Elf64_Ehdr), &ph, sizeof(ph));
        char *s = NULL;
        is_int(execdeps_parse_elf_interp(buf, sizeof(buf), &s), -ENOENT, "static ELF: no interpreter");

        /* Program headers pointing past what was read: refused, not read out of bounds. */
        eh->e_phnum = 100;
        is_int(execdeps_parse_elf_interp(buf, sizeof(buf), &s), -EINVAL, "truncated program headers: -EINVAL");
        is_int(execdeps_parse_elf_interp("#!/bin/sh\n", 10, &s), -EINVAL, "not ELF: -EINVAL");

        /* Offsets so large that adding a size wraps them around to a small one: refused too. */
        eh->e_phnum = 1;
        eh->e_phoff = UINT64_MAX - 7;
        is_int(execdeps_parse_elf_interp(buf, sizeof(buf), &s), -EINVAL, "program header offset wrapping: -EINVAL");
        eh->e_phoff = sizeof(Elf64_Ehdr);
        ph = (Elf64_Phdr) { .p_type = PT_INTERP, .p_offset = UINT64_C(1) << 63, .p_filesz = (UINT64_C(1) << 63) + 16 };
        memcpy(buf + sizeof(Elf64_Ehdr), &ph, sizeof(ph));
        is_int(execdeps_parse_elf_interp(buf, sizeof(buf), &s), -EINVAL, "PT_INTERP offset wrapping: -EINVAL");

        /* A 32-bit program (an i386 one on x86_64, an armhf one on arm64): its loader is a
         * dependency too. Then what is no ELF class, and a PT_INTERP that names no absolute
         * path, which the kernel would look up relative to the skill's cwd. */
        static const char ld32[] = "/lib/ld-linux.so.2";
        char buf32[sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr) + sizeof(ld32)] = {};
        Elf32_Ehdr *eh32 = (Elf32_Ehdr *) buf32;
        Elf32_Phdr ph32 = { .p_type = PT_INTERP, .p_offset = sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr),
                            .p_filesz = sizeof(ld32) };
        memcpy(eh32->e_ident, ELFMAG, SELFMAG);
        eh32->e_ident[EI_CLASS] = ELFCLASS32;
        eh32->e_phoff = sizeof(Elf32_Ehdr);
        eh32->e_phentsize = sizeof(Elf32_Phdr);
        eh32->e_phnum = 1;
        memcpy(buf32 + sizeof(Elf32_Ehdr), &ph32, sizeof(ph32));
        memcpy(buf32 + ph32.p_offset, ld32, sizeof(ld32));
        _cleanup_free_ char *interp32 = NULL;
        is_int(execdeps_parse_elf_interp(buf32, sizeof(buf32), &interp32), 0, "32-bit ELF: PT_INTERP found");
        is_str(interp32, ld32, "32-bit ELF: ...naming its loader");
        eh32->e_phentsize = sizeof(Elf64_Phdr);
        is_int(execdeps_parse_elf_interp(buf32, sizeof(buf32), &s), -EINVAL,
               "32-bit ELF with 64-bit program headers: -EINVAL");
        eh32->e_phentsize = sizeof(Elf32_Phdr);
        memcpy(buf32 + ph32.p_offset, "ld.so.2", sizeof("ld.so.2"));
        is_int(execdeps_parse_elf_interp(buf32, sizeof(buf32), &s), -EINVAL, "PT_INTERP not absolute: -EINVAL");
        eh32->e_ident[EI_CLASS] = ELFCLASSNONE;
        is_int(execdeps_parse_elf_interp(buf32, sizeof(buf32), &s), -EINVAL, "ELF class none: -EINVAL");
}

/* s with each "BIN" replaced by bin (allocated) */
static char *with_bin(const char *s, const char *bin) {
        const char *at = strstr(s, "BIN");
        _cleanup_free_ char *rest = NULL;
        char *r;

        if (!at)
                return strdup(s);
        rest = with_bin(at + 3, bin);
        if (!rest || asprintf(&r, "%.*s%s%s", (int) (at - s), s, bin, rest) < 0)
                return NULL;
        return r;
}

static void test_collect(void) {
        char dir[] = "/tmp/skillrun-execdeps-XXXXXX", script[64];
        _cleanup_strv_free_ char **deps = NULL;

        if (!mkdtemp(dir)) {
                ok(false, "mkdtemp");
                return;
        }
        snprintf(script, sizeof(script), "%s/skill", dir);
        int r = write_file_at(AT_FDCWD, script, "#!/usr/bin/env sh\necho hi\n", 26, 0755);
        ok(r >= 0, "write a '#!/usr/bin/env sh' script");

        r = execdeps_collect(script, SKILL_DEFAULT_PATH, &deps, NULL, NULL);
        is_int(r, 0, "execdeps_collect");
        ok(deps && streq(deps[0], script), "the script itself comes first");
        ok(strv_contains(deps, "/usr/bin/env"), "…then its interpreter, /usr/bin/env");
        ok(strv_contains(deps, "/usr/local/bin/sh") || strv_contains(deps, "/usr/bin/sh") || strv_contains(deps, "/bin/sh"),
           "…the program env runs, found in PATH");
        bool loader = false;
        for (char **d = deps; d && *d; d++)
                if (strstr(*d, "/ld-") || strstr(*d, "/ld."))
                        loader = true;
        ok(loader, "…and the dynamic loader");
        for (char **d = deps; d && *d; d++)
                printf("#   %s\n", *d);

        /* env's -S string glued to its option: the kernel passes "--split-string=sh -e" as one
         * argument, env splits it and runs sh */
        static const char *const glued[] = {
                "#!/usr/bin/env --split-string=sh -e\necho hi\n",
                "#!/usr/bin/env -Ssh -e\necho hi\n",
                "#!/usr/bin/env -vSsh\necho hi\n",
                "#!/usr/bin/env --split-string=FOO=1 sh\necho hi\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(glued); i++) {
                _cleanup_strv_free_ char **d = NULL;
                char path[64];
                snprintf(path, sizeof(path), "%s/glued%zu", dir, i);
                r = write_file_at(AT_FDCWD, path, glued[i], strlen(glued[i]), 0755);
                if (r >= 0)
                        r = execdeps_collect(path, SKILL_DEFAULT_PATH, &d, NULL, NULL);
                ok(r >= 0 && (strv_contains(d, "/usr/local/bin/sh") || strv_contains(d, "/usr/bin/sh") ||
                              strv_contains(d, "/bin/sh")),
                   "'%.*s': the program env runs, found in PATH", (int) strcspn(glued[i], "\n"), glued[i]);
        }

        /* What names nothing to follow further: an interpreter that is missing or no regular
         * file (the execve fails, and says so), a program env will not find, env without one
         * (it runs the script itself again). Each is listed as far as it goes, nothing more. */
        static const struct {
                const char *text, *deps;
        } ends[] = {
                { "#!/nonexistent/interp\n", "/nonexistent/interp" },
                { "#!/tmp -x\n", "/tmp" },
                { "#!/dev/null\n", "/dev/null" },
                { "#!/usr/bin/env no-such-program-zz\n", "/usr/bin/env" },
                { "#!/usr/bin/env -i FOO=1\n", "/usr/bin/env" },
        };
        for (size_t i = 0; i < ELEMENTSOF(ends); i++) {
                _cleanup_strv_free_ char **d = NULL;
                char path[64];
                snprintf(path, sizeof(path), "%s/end%zu", dir, i);
                r = write_file_at(AT_FDCWD, path, ends[i].text, strlen(ends[i].text), 0755);
                if (r >= 0)
                        r = execdeps_collect(path, SKILL_DEFAULT_PATH, &d, NULL, NULL);
                is_int(r, 0, "'%.*s': collected", (int) strcspn(ends[i].text, "\n"), ends[i].text);
                ok(d && streq(d[0], path) && d[1] && streq(d[1], ends[i].deps),
                   "'%.*s': the script, then %s", (int) strcspn(ends[i].text, "\n"), ends[i].text, ends[i].deps);
                /* env's own loader may follow; nothing named after env, nor past what is missing */
                size_t n = strv_length(d);
                bool only_loader = n == 2 || (n == 3 && streq(ends[i].deps, "/usr/bin/env") &&
                                              (strstr(d[2], "/ld-") || strstr(d[2], "/ld.")));
                ok(only_loader, "'%.*s': nothing more (%zu in all)", (int) strcspn(ends[i].text, "\n"), ends[i].text, n);
        }

        /* env's program is looked up where env's execvp() looks: the skill's PATH (its manifest's
         * "env" may set one), what the #! line sets PATH to, or glibc's default where it unsets
         * it; never in an empty or relative entry (the work dir, the request's files) */
        char bin[80], tool[96];
        snprintf(bin, sizeof(bin), "%s/bin", dir);
        snprintf(tool, sizeof(tool), "%s/tool", bin);
        r = mkdir(bin, 0755) < 0 ? -errno : 0;
        if (r >= 0)
                r = write_file_at(AT_FDCWD, tool, "#!/bin/sh\n", 10, 0755);
        ok(r >= 0, "a program 'tool' in a directory of its own");
        /* …and a directory of that name ahead of it, which execvp() passes by (EACCES) */
        char shadow[96];
        snprintf(shadow, sizeof(shadow), "%s/dirs", bin);
        r = mkdir(shadow, 0755) < 0 ? -errno : 0;
        strcat(shadow, "/tool");
        if (r >= 0 && mkdir(shadow, 0755) < 0)
                r = -errno;
        ok(r >= 0, "a directory 'tool' in another");
        /* …and a file of that name that may not be run, which execvp() passes by too */
        char noexec[96];
        snprintf(noexec, sizeof(noexec), "%s/noexec", bin);
        r = mkdir(noexec, 0755) < 0 ? -errno : 0;
        strcat(noexec, "/tool");
        if (r >= 0)
                r = write_file_at(AT_FDCWD, noexec, "#!/bin/sh\n", 10, 0644);
        ok(r >= 0, "a file 'tool' not executable in another");
        struct {
                const char *text, *path;
                bool found;
        } lookups[] = {
                { "#!/usr/bin/env tool\n", SKILL_DEFAULT_PATH, false },
                { "#!/usr/bin/env tool\n", bin, true },
                { "#!/usr/bin/env tool\n", "/nonexistent:BIN", true },
                { "#!/usr/bin/env -S PATH=BIN tool\n", SKILL_DEFAULT_PATH, true },
                { "#!/usr/bin/env -S PATH=/nonexistent tool\n", bin, false },
                { "#!/usr/bin/env -S -i tool\n", bin, false },
                { "#!/usr/bin/env -iS tool\n", bin, false },
                { "#!/usr/bin/env -S -u PATH tool\n", bin, false },
                { "#!/usr/bin/env -S --unset=PATH tool\n", bin, false },
                { "#!/usr/bin/env -S - PATH=BIN tool\n", SKILL_DEFAULT_PATH, true },
                { "#!/usr/bin/env tool\n", ".:bin::tool", false },
                { "#!/usr/bin/env tool\n", "BIN/dirs:BIN", true },
                { "#!/usr/bin/env tool\n", "BIN/noexec:BIN", true },
                /* an entry ending in "/", or holding doubled slashes or "/./" (more than one
                 * trailing slash, a leading "//"), also where -S sets PATH: the program is
                 * BIN/tool, as check names it, not BIN//tool */
                { "#!/usr/bin/env tool\n", "/nonexistent/:BIN/", true },
                { "#!/usr/bin/env tool\n", "/nonexistent/:BIN//", true },
                { "#!/usr/bin/env tool\n", "//BIN", true },
                { "#!/usr/bin/env tool\n", "BIN/./", true },
                { "#!/usr/bin/env -S PATH=//BIN/// tool\n", SKILL_DEFAULT_PATH, true },
                { "#!/usr/bin/env -S -uPATH tool\n", bin, false },
                { "#!/usr/bin/env -S -vu PATH tool\n", bin, false },
                { "#!/usr/bin/env -S\ttool\n", bin, true },
                /* -a ARG, --argv0 ARG (coreutils 9.6): the program's argv[0], not the program */
                { "#!/usr/bin/env -S -a name tool\n", bin, true },
                { "#!/usr/bin/env -S --argv0 name tool\n", bin, true },
                /* ${PATH} in -S's string: the PATH env was given, before any -i or -u */
                { "#!/usr/bin/env -S PATH=/nonexistent:${PATH} tool\n", bin, true },
                { "#!/usr/bin/env -S -i PATH=${PATH}:/nonexistent tool\n", bin, true },
                { "#!/usr/bin/env -S PATH=${HOME}/x:${PATH}:${PATH} tool\n", SKILL_DEFAULT_PATH, false },
                /* without -S, env takes the kernel's one argument whole: a program named
                 * "tool -x", a PATH of "BIN tool" (then it runs the script itself again), or
                 * options it refuses ("invalid option -- ' '") */
                { "#!/usr/bin/env tool -x\n", bin, false },
                { "#!/usr/bin/env PATH=BIN tool\n", SKILL_DEFAULT_PATH, false },
                { "#!/usr/bin/env -i PATH=BIN tool\n", SKILL_DEFAULT_PATH, false },
        };
        for (size_t i = 0; i < ELEMENTSOF(lookups); i++) {
                _cleanup_strv_free_ char **d = NULL;
                _cleanup_free_ char *text = NULL, *path = NULL;
                char script_i[64];
                unsigned via_env = 0;

                text = with_bin(lookups[i].text, bin);
                path = with_bin(lookups[i].path, bin);
                snprintf(script_i, sizeof(script_i), "%s/lookup%zu", dir, i);
                r = text && path ? write_file_at(AT_FDCWD, script_i, text, strlen(text), 0755) : -ENOMEM;
                /* the last case's relative entry "bin" names 'tool' from the cwd */
                if (r >= 0 && chdir(dir) < 0)
                        r = -errno;
                if (r >= 0)
                        r = execdeps_collect(script_i, path, &d, &via_env, NULL);
                assert_se(chdir("/") == 0);
                size_t at = 0;
                for (char **e = d; e && *e; e++)
                        if (streq(*e, tool))
                                at = e - d;
                ok(r >= 0 && (at > 0) == lookups[i].found && (!at || via_env == 1u << at),
                   "'%.*s' with PATH '%s': %s", (int) strcspn(lookups[i].text, "\n"), lookups[i].text,
                   lookups[i].path, lookups[i].found ? "finds it, marked as run by env" : "does not find it");
        }
        (void) rm_rf(dir);
}

static void test_seccomp(void) {
        ok(seccomp_filter_available(), "seccomp filters available");
        for (SeccompProfile p = 0; p < _SECCOMP_PROFILE_MAX; p++) {
                _cleanup_free_ struct sock_filter *fresh = NULL;
                SeccompProgram prog = {};
                size_t len = 0;

                is_int(seccomp_program_get(p, &prog), 0, "%s: program", seccomp_profile_to_string(p));
                is_int(seccomp_profile_compile(p, &fresh, &len), 0, "%s: libseccomp builds it", seccomp_profile_to_string(p));
                ok(len == prog.fprog.len && fresh && memcmp(fresh, prog.fprog.filter, len * sizeof(struct sock_filter)) == 0,
                   "%s: the generated BPF is what libseccomp builds now (%zu instructions)", seccomp_profile_to_string(p), len);
                seccomp_program_done(&prog);
        }
}

/* Limits and priorities of another process: each profile on its own (not stacked on the
 * worker's, as skills get them) must refuse to change them for any target but the caller. The child
 * targets us, its parent, of its own uid: what the kernel alone would allow. Every change sets
 * what is there already, so a filter that lets one through changes nothing. */
#define IOPRIO_WHO_PROCESS 1

static int parent_nice, parent_ioprio;

static long prlimit_parent_read(void) {
        struct rlimit rl;
        return prlimit(getppid(), RLIMIT_NOFILE, NULL, &rl);
}
static long prlimit_parent(void) {
        struct rlimit rl;
        if (prlimit(getppid(), RLIMIT_NOFILE, NULL, &rl) < 0)
                return -1;
        return prlimit(getppid(), RLIMIT_NOFILE, &rl, NULL);
}
static long prlimit_own_pid(void) {
        struct rlimit rl;
        if (prlimit(getpid(), RLIMIT_NOFILE, NULL, &rl) < 0)
                return -1;
        return prlimit(getpid(), RLIMIT_NOFILE, &rl, NULL);
}
static long prlimit_self(void) {
        struct rlimit rl;
        if (prlimit(0, RLIMIT_NOFILE, NULL, &rl) < 0 || prlimit(0, RLIMIT_NOFILE, &rl, NULL) < 0)
                return -1;
        return setrlimit(RLIMIT_NOFILE, &rl);
}
static long affinity(pid_t pid) {
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof(set), &set) < 0) /* the parent's, inherited */
                return -1;
        return sched_setaffinity(pid, sizeof(set), &set);
}
static void *thread_noop(void *arg) {
        return arg;
}
/* glibc sets a new thread's CPUs with sched_setaffinity(its tid) */
static long thread_with_affinity(void) {
        cpu_set_t set;
        pthread_attr_t attr;
        pthread_t t;
        int e;

        if (sched_getaffinity(0, sizeof(set), &set) < 0 || pthread_attr_init(&attr) != 0)
                return -1;
        e = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
        if (e == 0)
                e = pthread_create(&t, &attr, thread_noop, NULL);
        pthread_attr_destroy(&attr);
        if (e != 0) {
                errno = e;
                return -1;
        }
        return pthread_join(t, NULL) == 0 ? 0 : -1;
}
static long affinity_parent(void) {
        return affinity(getppid());
}
static long affinity_self(void) {
        return affinity(0);
}
static long sched_param_parent(void) {
        struct sched_param sp = {}; /* SCHED_OTHER's only priority */
        return sched_setparam(getppid(), &sp);
}
static long nice_parent(void) {
        return setpriority(PRIO_PROCESS, getppid(), parent_nice);
}
static long nice_pgrp(void) {
        return setpriority(PRIO_PGRP, 0, parent_nice);
}
static long nice_user(void) {
        return setpriority(PRIO_USER, 0x7ffffff0 /* a uid without processes: ESRCH */, parent_nice);
}
static long nice_self(void) {
        return setpriority(PRIO_PROCESS, 0, parent_nice);
}
static long ioprio_parent(void) {
        return syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, getppid(), parent_ioprio);
}

/* 0, the errno, or minus the signal that ended the child, under the n profiles stacked in
 * that order (as a skill's own is on the worker's); n 0: no filter */
static int in_profiles(const SeccompProfile *p, size_t n, long (*attempt)(void)) {
        int status;
        pid_t pid = fork();

        assert_se(pid >= 0);
        if (pid == 0) {
                if (n > 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(100);
                for (size_t i = 0; i < n; i++) {
                        SeccompProgram prog = {};
                        if (seccomp_program_get(p[i], &prog) < 0 || seccomp_program_load(&prog) < 0)
                                _exit(100);
                }
                _exit(attempt() < 0 ? errno : 0);
        }
        assert_se(waitpid(pid, &status, 0) == pid);
        return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
}

/* p NULL: no filter */
static int in_profile(const SeccompProfile *p, long (*attempt)(void)) {
        return in_profiles(p, p ? 1 : 0, attempt);
}

/* One attempt and what it gets under the profiles skills meet. */
typedef struct ProfileCase {
        const char *name;
        long (*attempt)(void);
        bool control; /* the kernel alone lets it through: try without a filter too */
        int deny_list, allow_list; /* expected under the worker's and permissive's, restrictive's */
} ProfileCase;

/* Each case without a filter (where control), then under each profile that rules it. */
static void check_profile_cases(const ProfileCase *cases, size_t n) {
        static const SeccompProfile profiles[] = { SECCOMP_PROFILE_WORKER, SECCOMP_PROFILE_PERMISSIVE,
                                                   SECCOMP_PROFILE_PERMISSIVE_NET, SECCOMP_PROFILE_RESTRICTIVE };

        for (size_t j = 0; j < n; j++)
                if (cases[j].control)
                        is_int(in_profile(NULL, cases[j].attempt), 0, "no filter: %s", cases[j].name);
        for (size_t i = 0; i < ELEMENTSOF(profiles); i++)
                for (size_t j = 0; j < n; j++) {
                        bool allow_list = profiles[i] == SECCOMP_PROFILE_RESTRICTIVE;
                        is_int(in_profile(&profiles[i], cases[j].attempt),
                               allow_list ? cases[j].allow_list : cases[j].deny_list, "%s: %s",
                               seccomp_profile_to_string(profiles[i]), cases[j].name);
                }
}

static void test_seccomp_other_processes(void) {
        static const ProfileCase cases[] = {
                { "prlimit64(parent) setting", prlimit_parent, true, EPERM, EPERM },
                { "prlimit64(parent) reading only", prlimit_parent_read, true, 0, EPERM },
                /* a filter cannot tell the caller's pid from another: only 0 is the caller */
                { "prlimit64(getpid()) setting", prlimit_own_pid, true, EPERM, EPERM },
                { "prlimit64(0)/setrlimit", prlimit_self, true, 0, 0 },
                /* open: glibc's thread affinity calls pass a tid (a pinned worker is slower) */
                { "sched_setaffinity(parent)", affinity_parent, true, 0, 0 },
                { "pthread_create() with a CPU affinity", thread_with_affinity, true, 0, 0 },
                { "sched_setaffinity(0)", affinity_self, true, 0, 0 },
                { "sched_setparam(parent)", sched_param_parent, true, EPERM, -SIGSYS },
                { "setpriority(PRIO_PROCESS, parent)", nice_parent, true, EPERM, -SIGSYS },
                /* no control: the group may hold processes that are not ours to renice */
                { "setpriority(PRIO_PGRP, 0)", nice_pgrp, false, EPERM, -SIGSYS },
                { "setpriority(PRIO_USER, uid)", nice_user, false, EPERM, -SIGSYS },
                { "setpriority(PRIO_PROCESS, 0)", nice_self, true, 0, -SIGSYS },
                { "ioprio_set(IOPRIO_WHO_PROCESS, parent)", ioprio_parent, true, EPERM, -SIGSYS },
        };

        errno = 0;
        parent_nice = getpriority(PRIO_PROCESS, 0);
        assert_se(errno == 0);
        parent_ioprio = (int) syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
        assert_se(parent_ioprio >= 0);
        check_profile_cases(cases, ELEMENTSOF(cases));
}

/* The instructions libseccomp emits, run on a seccomp_data of our making: a program built for
 * another arch than ours (of our byte order: libseccomp mixes both in the other's programs) is
 * checked without its kernel. BPF_RUN_BAD for an instruction it does not know, a load out of
 * bounds or falling off the end. */
#define BPF_RUN_BAD UINT32_C(0xffffffff)
static uint32_t bpf_run(const struct sock_filter *f, size_t len, const struct seccomp_data *d) {
        uint32_t a = 0;

        for (size_t pc = 0; pc < len; pc++) {
                const struct sock_filter *i = &f[pc];
                switch (i->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        if (i->k % 4 != 0 || i->k > sizeof(*d) - 4)
                                return BPF_RUN_BAD;
                        memcpy(&a, (const char *) d + i->k, 4);
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        a &= i->k;
                        break;
                case BPF_JMP | BPF_JA:
                        pc += i->k;
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                        pc += a == i->k ? i->jt : i->jf;
                        break;
                case BPF_JMP | BPF_JGT | BPF_K:
                        pc += a > i->k ? i->jt : i->jf;
                        break;
                case BPF_JMP | BPF_JGE | BPF_K:
                        pc += a >= i->k ? i->jt : i->jf;
                        break;
                case BPF_JMP | BPF_JSET | BPF_K:
                        pc += a & i->k ? i->jt : i->jf;
                        break;
                case BPF_RET | BPF_K:
                        return i->k;
                default:
                        return BPF_RUN_BAD;
                }
        }
        return BPF_RUN_BAD;
}

static const char *action_name(uint32_t action) {
        static char buf[32];
        if (action == SCMP_ACT_ALLOW)
                return "allow";
        if (action == SCMP_ACT_KILL_PROCESS)
                return "kill";
        if ((action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO)
                return strerrorname_np((int) (action & SECCOMP_RET_DATA)) ?: "errno ?";
        snprintf(buf, sizeof(buf), "%#x", action);
        return buf;
}

/* System calls newer than the deny-list's review or the build's libseccomp, whichever is lower
 * (SECCOMP_BPF_SYSCALL_MAX, from the generated header): the skills' deny-lists answer them
 * ENOSYS, the worker's lets them through (it calls statmount(2) itself), restrictive's kills them. All arguments 0: whatever call the number is on
 * this kernel, it fails on a NULL pointer or fd 0 without harm. */
static long syscall_above_max(void) {
        return syscall(SECCOMP_BPF_SYSCALL_MAX + 1, 0, 0, 0, 0, 0, 0);
}
static long syscall_max(void) {
        return syscall(SECCOMP_BPF_SYSCALL_MAX, 0, 0, 0, 0, 0, 0);
}
/* the top of the range, below x32's bit: no kernel has it */
static long syscall_below_x32(void) {
        return syscall(0x3fffffffL, 0, 0, 0, 0, 0, 0);
}
/* an x32 call, and one of x32's numbers above SECCOMP_BPF_SYSCALL_MAX */
static long x32_getpid(void) {
        return syscall(0x40000000L | SYS_getpid);
}
static long x32_above_max(void) {
        return syscall(0x40000000L | (SECCOMP_BPF_SYSCALL_MAX + 1), 0, 0, 0, 0, 0, 0);
}
static long ordinary(void) {
        return getppid() > 0 ? 0 : -1;
}
/* named on the deny-list */
static long open_tree_denied(void) {
        return syscall(SYS_open_tree, -1, "", 0);
}

/* src/seccomp-bpf.h as seccomp-gen wrote it, read from the build directory before a test moves */
static char *generated_header;

static void test_seccomp_newer_syscalls(void) {
        static const SeccompProfile profiles[] = { SECCOMP_PROFILE_WORKER, SECCOMP_PROFILE_PERMISSIVE,
                                                   SECCOMP_PROFILE_PERMISSIVE_NET, SECCOMP_PROFILE_RESTRICTIVE,
                                                   SECCOMP_PROFILE_SOCKETS_LOCAL, SECCOMP_PROFILE_SOCKETS_NET };

        is_int(seccomp_syscall_reviewed_max(0), SECCOMP_BPF_SYSCALL_MAX,
               "the generated programs' SECCOMP_BPF_SYSCALL_MAX (%d) is what this libseccomp and the deny-list's review give now",
               SECCOMP_BPF_SYSCALL_MAX);
        /* ... and the generated header's comment says which bound that is: what a packager reads
         * to learn why the number is not libseccomp's highest, or is */
        bool reviewed_known = seccomp_syscall_resolve_name(SECCOMP_REVIEWED_LAST) >= 0;
        const char *bound = reviewed_known ? "The bound: " SECCOMP_REVIEWED_LAST "'s, the newest call the deny-list"
                                           : "The bound: the highest that libseccomp";
        if (!generated_header)
                ok(1, "# SKIP src/seccomp-bpf.h was not in the working directory");
        else
                ok(strstr(generated_header, bound) != NULL, "src/seccomp-bpf.h: \"%s\" (libseccomp %s " SECCOMP_REVIEWED_LAST ")",
                   bound, reviewed_known ? "knows" : "does not know");
        int kernel = in_profile(NULL, syscall_above_max), at_max = in_profile(NULL, syscall_max);
        printf("# syscall %d (SECCOMP_BPF_SYSCALL_MAX + 1) without a filter: %s; %d: %s\n", SECCOMP_BPF_SYSCALL_MAX + 1,
               kernel ? strerrorname_np(kernel) : "ok", SECCOMP_BPF_SYSCALL_MAX, at_max ? strerrorname_np(at_max) : "ok");
        is_int(in_profile(NULL, syscall_below_x32), ENOSYS, "no filter: syscall 0x3fffffff answers ENOSYS");

        for (size_t i = 0; i < ELEMENTSOF(profiles); i++) {
                SeccompProfile p = profiles[i];
                const char *name = seccomp_profile_to_string(p);
                bool restrictive = p == SECCOMP_PROFILE_RESTRICTIVE, enosys = p != SECCOMP_PROFILE_WORKER && !restrictive;

                is_int(seccomp_profile_enosys_above_max(p), enosys, "%s: seccomp_profile_enosys_above_max() %s", name,
                       enosys ? "true" : "false");
                if (enosys) {
                        is_int(in_profile(&p, syscall_above_max), ENOSYS, "%s: syscall %d → ENOSYS", name,
                               SECCOMP_BPF_SYSCALL_MAX + 1);
                        is_int(in_profile(&p, syscall_below_x32), ENOSYS, "%s: syscall 0x3fffffff → ENOSYS", name);
                } else if (restrictive)
                        is_int(in_profile(&p, syscall_above_max), -SIGSYS, "%s: syscall %d → killed", name,
                               SECCOMP_BPF_SYSCALL_MAX + 1);
                else if (kernel == ENOSYS)
                        ok(1, "# SKIP %s: syscall %d lets the kernel answer: this kernel lacks it (ENOSYS)", name,
                           SECCOMP_BPF_SYSCALL_MAX + 1);
                else
                        is_int(in_profile(&p, syscall_above_max), kernel, "%s: syscall %d → the kernel's answer, %s",
                               name, SECCOMP_BPF_SYSCALL_MAX + 1, kernel ? strerrorname_np(kernel) : "ok");
                /* The kernel answers 0x3fffffff with ENOSYS too, and may lack MAX + 1: the program
                 * itself, run here, tells the filter's answer from the kernel's */
                SeccompProgram prog = {};
                is_int(seccomp_program_get(p, &prog), 0, "%s: the built-in program", name);
                for (size_t k = 0; k < 2; k++) {
                        uint32_t nr = k == 0 ? SECCOMP_BPF_SYSCALL_MAX + 1 : 0x3fffffff;
                        struct seccomp_data d = { .nr = (int) nr, .arch = SECCOMP_BPF_AUDIT_ARCH };
                        uint32_t want = enosys ? SCMP_ACT_ERRNO(ENOSYS) : restrictive ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ALLOW;
                        uint32_t got = bpf_run(prog.fprog.filter, prog.fprog.len, &d);
                        ok(got == want, "%s: its program answers syscall %#x with %s (expected %s)", name, nr,
                           action_name(got), action_name(want));
                }
                /* the range starts above the highest number, and stops below x32's bit: the
                 * highest is the profile's rules' to answer (the deny-list names open_tree_attr,
                 * the reviewed-last call), or the kernel's */
                struct seccomp_data top = { .nr = SECCOMP_BPF_SYSCALL_MAX, .arch = SECCOMP_BPF_AUDIT_ARCH };
                uint32_t rule = bpf_run(prog.fprog.filter, prog.fprog.len, &top);
                seccomp_program_done(&prog);
                if (!restrictive) {
                        ok(rule == SCMP_ACT_ALLOW || rule == SCMP_ACT_ERRNO(EPERM),
                           "%s: its program answers syscall %d with %s (expected allow, or the deny-list's EPERM)", name,
                           SECCOMP_BPF_SYSCALL_MAX, action_name(rule));
                        int want = rule == SCMP_ACT_ALLOW ? at_max : EPERM;
                        is_int(in_profile(&p, syscall_max), want, "%s: syscall %d → %s, %s", name, SECCOMP_BPF_SYSCALL_MAX,
                               rule == SCMP_ACT_ALLOW ? "the kernel's answer" : "the deny-list's",
                               want ? strerrorname_np(want) : "ok");
                }
#if defined(__x86_64__)
                is_int(in_profile(&p, x32_getpid), -SIGSYS, "%s: x32 getpid → killed", name);
                is_int(in_profile(&p, x32_above_max), -SIGSYS, "%s: x32 syscall %d → killed", name,
                       SECCOMP_BPF_SYSCALL_MAX + 1);
#else
                /* no x32 here: the same numbers are past the range, the kernel's "no such call" */
                is_int(in_profile(&p, x32_getpid), restrictive ? -SIGSYS : ENOSYS, "%s: syscall %#lx → %s", name,
                       0x40000000L | SYS_getpid, restrictive ? "killed" : "ENOSYS");
                is_int(in_profile(&p, x32_above_max), restrictive ? -SIGSYS : ENOSYS, "%s: syscall %#x → %s", name,
                       0x40000000U | (SECCOMP_BPF_SYSCALL_MAX + 1), restrictive ? "killed" : "ENOSYS");
#endif
                /* and the rest of the program is still there */
                is_int(in_profile(&p, ordinary), 0, "%s: getppid → ok", name);
                if (p != SECCOMP_PROFILE_SOCKETS_LOCAL && p != SECCOMP_PROFILE_SOCKETS_NET)
                        is_int(in_profile(&p, open_tree_denied), restrictive ? -SIGSYS : EPERM, "%s: open_tree → %s",
                               name, restrictive ? "killed" : "EPERM");
        }
}

/* Every call skillrun.skill(5) names for permissive's deny-list, as its own program answers it:
 * EPERM (the worker's filter, which "none" inherits, too), killed under restrictive. Run here on
 * the program, not tried in a child: most of them fail anyway for a skill without capabilities
 * (mount, ptrace of a non-dumpable parent, bpf and userfaultfd under the usual sysctls), so an
 * attempt could not tell a name dropped from the list. System V IPC, message queues and the
 * kernel's AIO are permissive's only. Calls this arch does not have are left out. */
static void test_seccomp_deny_list(void) {
        static const char *const denied[] = {
                "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
                "fsconfig", "fsmount", "fspick", "mount_setattr", "ptrace", "process_vm_readv",
                "process_vm_writev", "pidfd_getfd", "kcmp", "process_madvise", "bpf", "perf_event_open",
                "lookup_dcookie", "syslog", "kexec_load", "kexec_file_load", "init_module", "finit_module",
                "delete_module", "create_module", "reboot", "swapon", "swapoff", "acct", "quotactl",
                "quotactl_fd", "iopl", "ioperm", "vhangup", "uselib", "nfsservctl", "_sysctl", "keyctl",
                "add_key", "request_key", "unshare", "setns", "userfaultfd", "io_uring_setup", "io_uring_enter",
                "io_uring_register", "open_by_handle_at", "name_to_handle_at", "settimeofday", "stime",
                "clock_settime", "clock_adjtime", "adjtimex", "vm86", "vm86old", "modify_ldt",
        };
        static const char *const ipc[] = {
                "shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop",
                "semtimedop", "semctl", "ipc", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
                "mq_notify", "mq_getsetattr", "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents",
                "io_pgetevents", "io_pgetevents_time64",
        };
        static const struct {
                SeccompProfile profile;
                bool ipc;
                uint32_t want;
        } profiles[] = {
                { SECCOMP_PROFILE_WORKER, false, SCMP_ACT_ERRNO(EPERM) },
                { SECCOMP_PROFILE_PERMISSIVE, true, SCMP_ACT_ERRNO(EPERM) },
                { SECCOMP_PROFILE_PERMISSIVE_NET, true, SCMP_ACT_ERRNO(EPERM) },
                { SECCOMP_PROFILE_RESTRICTIVE, true, SCMP_ACT_KILL_PROCESS },
        };

        for (size_t i = 0; i < ELEMENTSOF(profiles); i++) {
                const char *name = seccomp_profile_to_string(profiles[i].profile);
                _cleanup_free_ char *other = NULL;
                SeccompProgram prog = {};
                size_t n = 0;

                is_int(seccomp_program_get(profiles[i].profile, &prog), 0, "%s: the built-in program", name);
                for (size_t k = 0; k < ELEMENTSOF(denied) + (profiles[i].ipc ? ELEMENTSOF(ipc) : 0); k++) {
                        const char *call = k < ELEMENTSOF(denied) ? denied[k] : ipc[k - ELEMENTSOF(denied)];
                        int nr = seccomp_syscall_resolve_name(call);
                        if (nr < 0)
                                continue; /* not a call of this arch */
#ifdef SKILLRUN_ASAN
                        /* LeakSanitizer's ptrace: a sanitizer build's worker keeps it (seccomp-filter.h) */
                        if (profiles[i].profile == SECCOMP_PROFILE_WORKER && streq(call, "ptrace"))
                                continue;
#endif
                        struct seccomp_data d = { .nr = nr, .arch = SECCOMP_BPF_AUDIT_ARCH };
                        uint32_t got = bpf_run(prog.fprog.filter, prog.fprog.len, &d);
                        n++;
                        if (got != profiles[i].want) {
                                char *l = NULL;
                                assert_se(asprintf(&l, "%s%s%s → %s", strempty(other), other ? ", " : "", call,
                                                   action_name(got)) >= 0);
                                free(other);
                                other = l;
                        }
                }
                seccomp_program_done(&prog);
                ok(n > 40, "%s: %zu of the deny-list's calls are this arch's", name, n);
                is_str(strempty(other), "", "%s: each one answered with %s", name, action_name(profiles[i].want));
        }
}

/* personality(2) as the kernel reads it, an unsigned int: the query whatever the upper half of
 * the register says (glibc's prototype takes an unsigned long, and ~0UL or -1 is a common way to
 * write it), a change whatever the upper half says too. */
static long personality_query(void) {
        return syscall(SYS_personality, 0xffffffffUL);
}
static long personality_query_long(void) {
        return syscall(SYS_personality, ~0UL);
}
static long personality_change_long(void) {
        return syscall(SYS_personality, ~0xffffffffUL | 0x0400000 /* READ_IMPLIES_EXEC */);
}

static void test_seccomp_personality(void) {
        static const ProfileCase cases[] = {
                { "personality(0xffffffff)", personality_query, false, 0, 0 },
                { "personality(~0UL)", personality_query_long, true, 0, 0 },
                { "personality(READ_IMPLIES_EXEC), upper half set", personality_change_long, false, EPERM, -SIGSYS },
        };

        check_profile_cases(cases, ELEMENTSOF(cases));
}

/* Extended attributes and ACLs: cp -a, cp -p and install set a file's ACL through fsetxattr(2),
 * on the file they opened; restrictive lets that through, not the calls by path. The empty name
 * is the kernel's ERANGE, whatever the file system. */
static long fsetxattr_opened(void) {
        int fd = memfd_create("xattr", MFD_CLOEXEC);
        return fd < 0 ? -1 : fsetxattr(fd, "", "1", 1, 0);
}
static long fremovexattr_opened(void) {
        int fd = memfd_create("xattr", MFD_CLOEXEC);
        return fd < 0 ? -1 : fremovexattr(fd, "");
}
static long setxattr_path(void) {
        return setxattr("/", "", "1", 1, 0);
}

static void test_seccomp_xattr(void) {
        SeccompProfile p = SECCOMP_PROFILE_RESTRICTIVE;

        is_int(in_profile(NULL, fsetxattr_opened), ERANGE, "no filter: fsetxattr(fd, \"\") → ERANGE");
        is_int(in_profile(&p, fsetxattr_opened), ERANGE, "restrictive: fsetxattr(fd, \"\") → ERANGE");
        is_int(in_profile(&p, fremovexattr_opened), ERANGE, "restrictive: fremovexattr(fd, \"\") → ERANGE");
        is_int(in_profile(&p, setxattr_path), -SIGSYS, "restrictive: setxattr(path) → killed");
}

/* arm numbers its private calls (cacheflush, set_tls, …) from 0xf0001, far above its table: the
 * ENOSYS range is what lies between, not what lies above them. Built for arm wherever this runs. */
static void test_seccomp_newer_syscalls_arm(void) {
        _cleanup_free_ struct sock_filter *f = NULL;
        size_t len = 0;

        is_int(seccomp_profile_compile_arch(SECCOMP_PROFILE_PERMISSIVE, SCMP_ARCH_ARM, &f, &len), 0,
               "arm: permissive builds");
        ok(f && len > 5 && f[3].k < 0xf0000 && f[4].k == 0xf0000,
           "arm: ENOSYS from above its table (%u) up to its private calls (%#x)", f && len > 5 ? f[3].k : 0,
           f && len > 5 ? f[4].k : 0);
}

/* On an arch that multiplexes the socket calls through socketcall(2), libseccomp turns a rule on
 * socket(2) or socketpair(2) with arguments into one on socketcall that compares its pointer:
 * restrictive did not build there (EEXIST), so neither did skillrun on i386, ppc64el or 32-bit
 * mips. The multiplexed calls are refused whole, the direct ones checked as on x86_64. The
 * pair's address is odd: a comparison of its low bits with SOCK_STREAM would let it through.
 * The direct numbers are the kernel's tables' (libseccomp names them by a pseudo number there),
 * x86_64's too, not SYS_*, which are i386's on i386; x86_64, without socketcall, checks the
 * interpreter on what test_seccomp() has the kernel do.
 * Not here: the big-endian ones (ppc64, s390x), nor s390's clone(2), whose flags are its second
 * argument (clone_flags_masked()): libseccomp builds them on a machine of their byte order only. */
static void test_seccomp_socketcall_arches(void) {
        static const struct {
                const char *name;
                uint32_t arch;
                int socket_nr, socketpair_nr;
        } arches[] = {
                { "x86", SCMP_ARCH_X86, 359, 360 },
                { "ppc64le", SCMP_ARCH_PPC64LE, 326, 333 },
                { "mipsel", SCMP_ARCH_MIPSEL, 4183, 4184 },
                { "x86_64", SCMP_ARCH_X86_64, 41, 53 },
        };
        enum { C_MUX_SOCKET, C_MUX_PAIR, C_MUX_CONNECT, C_MUX_SEND, C_MUX_RECV, C_UNIX_SOCK, C_INET_SOCK, C_PACKET_SOCK, C_NL_ROUTE, C_NL_AUDIT,
               C_PAIR_STREAM, C_PAIR_SEQ_CLOEXEC, C_PAIR_DGRAM, C_PAIR_TIPC, C_CLONE_FORK, C_CLONE_NEWUSER, N_CALLS };
        static const char *const call_names[N_CALLS] = {
                "socketcall(SYS_SOCKET)", "socketcall(SYS_SOCKETPAIR)", "socketcall(SYS_CONNECT)",
                "socketcall(SYS_SEND)", "socketcall(SYS_RECV)",
                "socket(AF_UNIX)", "socket(AF_INET)", "socket(AF_PACKET)", "socket(AF_NETLINK, NETLINK_ROUTE)",
                "socket(AF_NETLINK, NETLINK_AUDIT)", "socketpair(AF_UNIX, SOCK_STREAM)",
                "socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_CLOEXEC)", "socketpair(AF_UNIX, SOCK_DGRAM)",
                "socketpair(AF_TIPC, SOCK_STREAM)", "clone(SIGCHLD)", "clone(CLONE_NEWUSER|SIGCHLD)",
        };
        const uint32_t A = SCMP_ACT_ALLOW, P = SCMP_ACT_ERRNO(EPERM), K = SCMP_ACT_KILL_PROCESS;
        /* what each profile answers, multiplexed calls first */
        const struct {
                SeccompProfile p;
                uint32_t expect[N_CALLS];
        } profiles[] = {
                { SECCOMP_PROFILE_WORKER, { A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, P } },
                { SECCOMP_PROFILE_PERMISSIVE, { P, P, A, A, A, A, P, P, P, P, A, A, A, P, A, P } },
                { SECCOMP_PROFILE_PERMISSIVE_NET, { P, P, A, A, A, A, A, P, A, P, A, A, A, P, A, P } },
                { SECCOMP_PROFILE_SOCKETS_LOCAL, { P, P, A, A, A, A, P, P, P, P, A, A, A, P, A, A } },
                { SECCOMP_PROFILE_SOCKETS_NET, { P, P, A, A, A, A, A, P, A, P, A, A, A, P, A, A } },
                { SECCOMP_PROFILE_RESTRICTIVE, { P, P, A, A, A, P, P, P, P, P, A, A, P, P, A, K } },
        };

        for (size_t i = 0; i < ELEMENTSOF(arches); i++) {
                int socketcall_nr = seccomp_syscall_resolve_name_arch(arches[i].arch, "socketcall");
                bool mux = socketcall_nr >= 0;
                int clone_nr = seccomp_syscall_resolve_name_arch(arches[i].arch, "clone");

                ok(mux == (arches[i].arch != SCMP_ARCH_X86_64), "%s: socketcall %s (%d)", arches[i].name,
                   mux ? "multiplexes the socket calls" : "is none", socketcall_nr);
                for (size_t j = 0; j < ELEMENTSOF(profiles); j++) {
                        const char *pname = seccomp_profile_to_string(profiles[j].p);
                        _cleanup_free_ struct sock_filter *f = NULL;
                        size_t len = 0;

                        int r = seccomp_profile_compile_arch(profiles[j].p, arches[i].arch, &f, &len);
                        is_int(r, 0, "%s: %s builds", arches[i].name, pname);
                        if (r < 0)
                                continue;
                        const struct {
                                int nr;
                                uint64_t a0, a1, a2;
                        } calls[N_CALLS] = {
                                [C_MUX_SOCKET] = { socketcall_nr, SYS_SOCKET, 0x7ffd1000, 0 },
                                [C_MUX_PAIR] = { socketcall_nr, SYS_SOCKETPAIR, 0x7ffd1001, 0 },
                                [C_MUX_CONNECT] = { socketcall_nr, SYS_CONNECT, 0x7ffd1000, 0 },
                                [C_MUX_SEND] = { socketcall_nr, SYS_SEND, 0x7ffd1000, 0 },
                                [C_MUX_RECV] = { socketcall_nr, SYS_RECV, 0x7ffd1000, 0 },
                                [C_UNIX_SOCK] = { arches[i].socket_nr, AF_UNIX, SOCK_STREAM, 0 },
                                [C_INET_SOCK] = { arches[i].socket_nr, AF_INET, SOCK_STREAM, 0 },
                                [C_PACKET_SOCK] = { arches[i].socket_nr, AF_PACKET, SOCK_RAW, 0 },
                                [C_NL_ROUTE] = { arches[i].socket_nr, AF_NETLINK, SOCK_RAW, 0 /* NETLINK_ROUTE */ },
                                [C_NL_AUDIT] = { arches[i].socket_nr, AF_NETLINK, SOCK_RAW, 9 /* NETLINK_AUDIT */ },
                                [C_PAIR_STREAM] = { arches[i].socketpair_nr, AF_UNIX, SOCK_STREAM, 0 },
                                [C_PAIR_SEQ_CLOEXEC] = { arches[i].socketpair_nr, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0 },
                                [C_PAIR_DGRAM] = { arches[i].socketpair_nr, AF_UNIX, SOCK_DGRAM, 0 },
                                [C_PAIR_TIPC] = { arches[i].socketpair_nr, AF_TIPC, SOCK_STREAM, 0 },
                                [C_CLONE_FORK] = { clone_nr, SIGCHLD, 0, 0 },
                                [C_CLONE_NEWUSER] = { clone_nr, CLONE_NEWUSER | SIGCHLD, 0, 0 },
                        };
                        for (size_t c = 0; c < N_CALLS; c++) {
                                if (!mux && c <= C_MUX_RECV)
                                        continue;
                                struct seccomp_data d = {
                                        .nr = calls[c].nr,
                                        .arch = arches[i].arch,
                                        .args = { calls[c].a0, calls[c].a1, calls[c].a2 },
                                };
                                uint32_t got = bpf_run(f, len, &d);
                                ok(got == profiles[j].expect[c], "%s: %s: %s → %s (expected %s)", arches[i].name,
                                   pname, call_names[c], action_name(got), action_name(profiles[j].expect[c]));
                        }
                }
        }
}

/* Every profile builds for every arch configure knows, where libseccomp can write it: a
 * distribution builds skillrun on each, and restrictive did not build for i386 and ppc64el
 * (EEXIST) unnoticed. libseccomp writes an arch of the other byte order only on a machine of
 * that order, and 2.5 does not know loongarch64: one skip each. */
static void test_seccomp_all_arches(void) {
        static const char *const arches[] = { "x86_64", "x86", "aarch64", "arm", "ppc64le", "riscv64", "loongarch64",
                                              "ppc64", "ppc", "s390x", "s390" };
        static const uint32_t big[] = { SCMP_ARCH_PPC64, SCMP_ARCH_PPC, SCMP_ARCH_S390X, SCMP_ARCH_S390 };
        bool host_big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
        _cleanup_free_ char *unknown = NULL, *other_order = NULL;

        for (size_t i = 0; i < ELEMENTSOF(arches); i++) {
                uint32_t arch = seccomp_arch_resolve_name(arches[i]);
                bool be = false;
                for (size_t j = 0; j < ELEMENTSOF(big); j++)
                        be = be || arch == big[j];
                char **skip = arch == 0 ? &unknown : be != host_big ? &other_order : NULL;
                if (skip) {
                        char *l = NULL;
                        assert_se(asprintf(&l, "%s%s%s", strempty(*skip), *skip ? ", " : "", arches[i]) >= 0);
                        free(*skip);
                        *skip = l;
                        continue;
                }
                for (SeccompProfile p = 0; p < _SECCOMP_PROFILE_MAX; p++) {
                        _cleanup_free_ struct sock_filter *f = NULL;
                        size_t len = 0;
                        is_int(seccomp_profile_compile_arch(p, arch, &f, &len), 0, "%s: %s builds", arches[i],
                               seccomp_profile_to_string(p));
                }
        }
        if (unknown)
                ok(1, "# SKIP %s: this libseccomp does not know it", unknown);
        if (other_order)
                ok(1, "# SKIP %s: libseccomp writes them on a machine of their byte order only", other_order);
}

/* p's program for arch, NULL (a failed check) if libseccomp does not build it */
static struct sock_filter *profile_for(SeccompProfile p, uint32_t arch, const char *what, size_t *ret_len) {
        struct sock_filter *f = NULL;
        int r = seccomp_profile_compile_arch(p, arch, &f, ret_len);
        is_int(r, 0, "%s builds for %s", seccomp_profile_to_string(p), what);
        return r < 0 ? NULL : f;
}

/* The ENOSYS range starts above the newest call the deny-list was reviewed against
 * (SECCOMP_REVIEWED_LAST, open_tree_attr) or above the highest number libseccomp knows, whichever
 * is lower: the same source enforces the same policy whichever libseccomp built it. The rule
 * itself, on the numbers each libseccomp gives: */
static void test_seccomp_reviewed_max(void) {
        is_int(seccomp_reviewed_max(456, __NR_SCMP_ERROR), 456,
               "libseccomp knows up to 456 and not the reviewed-last call (2.5.4, x86_64): 456");
        is_int(seccomp_reviewed_max(471, 467), 467, "libseccomp knows up to 471, the reviewed-last call is 467: 467");
        is_int(seccomp_reviewed_max(467, 467), 467, "libseccomp knows up to the reviewed-last call, 467: 467");
        is_int(seccomp_reviewed_max(4471, 4467), 4467, "mips' numbers (from 4000): 4467");
        is_int(seccomp_reviewed_max(456, 467), 456, "the reviewed-last call above libseccomp's highest: 456");
        is_int(seccomp_reviewed_max(471, -10251), 471, "the reviewed-last call a pseudo number (not on this arch): 471");
        is_int(seccomp_reviewed_max(471, 0), 0, "the reviewed-last call numbered 0, a real number (read on x86_64): 0");
}

#if defined(__x86_64__)
/* file_getattr(2) of fd 0 with no path, no struct and size 0: a kernel that has it refuses the size */
static long file_getattr_zero(void) {
        return syscall(468, 0, 0, 0, 0, 0, 0);
}
#endif

/* file_getattr(2) and file_setattr(2) (Linux 6.17), newer than the deny-list's review: ENOSYS
 * under permissive and the sockets-* remainders, for every arch and whichever libseccomp built
 * the programs. A libseccomp that knew them (2.6.1) let them through, and file_setattr sets a
 * file's flags by path, which landlock does not rule. The numbers are the kernel's tables'. */
static void test_seccomp_unreviewed_calls(void) {
        static const struct {
                const char *name;
                uint32_t arch;
                int open_tree_attr; /* + 1: file_getattr, + 2: file_setattr */
        } arches[] = {
                { "x86_64", SCMP_ARCH_X86_64, 467 },  { "x86", SCMP_ARCH_X86, 467 },
                { "aarch64", SCMP_ARCH_AARCH64, 467 }, { "arm", SCMP_ARCH_ARM, 467 },
                { "riscv64", SCMP_ARCH_RISCV64, 467 }, { "ppc64le", SCMP_ARCH_PPC64LE, 467 },
                { "mipsel", SCMP_ARCH_MIPSEL, 4467 },   { "mipsel64", SCMP_ARCH_MIPSEL64, 5467 },
                { "mipsel64n32", SCMP_ARCH_MIPSEL64N32, 6467 },
        };
        static const SeccompProfile profiles[] = { SECCOMP_PROFILE_PERMISSIVE, SECCOMP_PROFILE_PERMISSIVE_NET,
                                                   SECCOMP_PROFILE_SOCKETS_LOCAL, SECCOMP_PROFILE_SOCKETS_NET };

        for (size_t i = 0; i < ELEMENTSOF(arches); i++) {
                int known = seccomp_syscall_resolve_name_arch(arches[i].arch, SECCOMP_REVIEWED_LAST);
                int max = seccomp_syscall_max(arches[i].arch);
                /* libseccomp knows the reviewed-last call by the kernel's number, or not at all */
                ok(known < 0 || known == arches[i].open_tree_attr, "%s: libseccomp numbers %s %d (the kernel: %d)",
                   arches[i].name, SECCOMP_REVIEWED_LAST, known, arches[i].open_tree_attr);
                is_int(seccomp_syscall_reviewed_max(arches[i].arch), known < 0 ? max : arches[i].open_tree_attr,
                       "%s: the ENOSYS range starts above %s", arches[i].name,
                       known < 0 ? "libseccomp's highest" : SECCOMP_REVIEWED_LAST);
                for (size_t j = 0; j < ELEMENTSOF(profiles); j++) {
                        const char *pname = seccomp_profile_to_string(profiles[j]);
                        size_t len = 0;
                        _cleanup_free_ struct sock_filter *f = profile_for(profiles[j], arches[i].arch, arches[i].name,
                                                                           &len);
                        if (!f)
                                continue;
                        for (int k = 1; k <= 2; k++) {
                                struct seccomp_data d = { .nr = arches[i].open_tree_attr + k, .arch = arches[i].arch };
                                uint32_t got = bpf_run(f, len, &d);
                                ok(got == SCMP_ACT_ERRNO(ENOSYS), "%s: %s: %s (%d) → %s (expected ENOSYS)",
                                   arches[i].name, pname, k == 1 ? "file_getattr" : "file_setattr", d.nr,
                                   action_name(got));
                        }
                }
        }
#if defined(__x86_64__)
        /* and on this kernel, which may have them (the no-filter answer tells) */
        int kernel = in_profile(NULL, file_getattr_zero);
        printf("# file_getattr (468) without a filter: %s\n", kernel ? strerrorname_np(kernel) : "ok");
        for (size_t j = 0; j < ELEMENTSOF(profiles); j++)
                is_int(in_profile(&profiles[j], file_getattr_zero), ENOSYS, "%s: file_getattr (468) → ENOSYS",
                       seccomp_profile_to_string(profiles[j]));
#endif
}

/* Calls of an arch's own that restrictive, which kills what it does not name, must name. Every
 * program sets up its thread-local storage before main() by one (i386 did not have it, and
 * every restrictive skill was killed at start; aarch64 and riscv64 set a register, with no
 * call), and send(2)/recv(2) are calls there, not libc functions over sendto/recvfrom. Built
 * for each arch wherever this runs. */
static void test_seccomp_arch_calls(void) {
        static const struct {
                const char *name;
                uint32_t arch;
                int nr;
        } calls[] = {
                { "x86_64 arch_prctl", SCMP_ARCH_X86_64, 158 },
                { "x86 set_thread_area", SCMP_ARCH_X86, 243 },
                { "arm set_tls", SCMP_ARCH_ARM, 0xf0005 },
                { "arm cacheflush", SCMP_ARCH_ARM, 0xf0002 },
                { "riscv64 riscv_flush_icache", SCMP_ARCH_RISCV64, 259 },
                /* send(2) and recv(2) are calls of their own there: a pair must work past its
                 * first send() */
                { "arm send", SCMP_ARCH_ARM, 289 },
                { "arm recv", SCMP_ARCH_ARM, 291 },
                { "ppc64le send", SCMP_ARCH_PPC64LE, 334 },
                { "ppc64le recv", SCMP_ARCH_PPC64LE, 336 },
        };

        for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
                size_t len = 0;
                _cleanup_free_ struct sock_filter *f = profile_for(SECCOMP_PROFILE_RESTRICTIVE, calls[i].arch, calls[i].name,
                                                                   &len);
                if (!f)
                        continue;
                struct seccomp_data d = { .nr = calls[i].nr, .arch = calls[i].arch };
                uint32_t got = bpf_run(f, len, &d);
                ok(got == SCMP_ACT_ALLOW, "restrictive allows %s (%#x): %s", calls[i].name, (unsigned) calls[i].nr,
                   action_name(got));
        }
}

/* ioctl(2) on a socket pair's end: restrictive, and permissive without the network, refuse the
 * host's network configuration (the SIOC* requests 0x8908-0x89ff, wireless extensions'
 * 0x8b00-0x8bff) and let every other request through to the kernel. */
static int ioctl_fd = -1;
static struct ifreq ioctl_ifr;
static long ioctl_ifconf_at(unsigned long request) {
        char buf[4096];
        struct ifconf ifc = { .ifc_len = sizeof(buf), .ifc_buf = buf };
        return ioctl(ioctl_fd, request, &ifc);
}
static long ioctl_ifconf(void) {
        return ioctl_ifconf_at(SIOCGIFCONF);
}
static long ioctl_ifconf_high_bits(void) { /* the kernel reads an unsigned int */
#if ULONG_MAX > UINT32_MAX
        return ioctl_ifconf_at((1UL << 32) | SIOCGIFCONF);
#else
        return ioctl_ifconf_at(SIOCGIFCONF); /* a 32-bit long has no high bits to set */
#endif
}
static long ioctl_ifindex(void) {
        return ioctl(ioctl_fd, SIOCGIFINDEX, &ioctl_ifr);
}
static long ioctl_hwaddr(void) {
        return ioctl(ioctl_fd, SIOCGIFHWADDR, &ioctl_ifr);
}
static long ioctl_wireless(void) {
        return ioctl(ioctl_fd, 0x8b01 /* SIOCGIWNAME */, &ioctl_ifr);
}
static long ioctl_fionread(void) {
        int n;
        return ioctl(ioctl_fd, FIONREAD, &n);
}
static long ioctl_getown(void) {
        int owner;
        return ioctl(ioctl_fd, FIOGETOWN, &owner);
}
static long ioctl_tcgets(void) {
        char termios[64];
        return ioctl(ioctl_fd, TCGETS, termios);
}
static long ioctl_encoded(void) {
        long flags;
        return ioctl(ioctl_fd, 0x80086601UL /* FS_IOC_GETFLAGS */, &flags);
}

static void test_seccomp_ioctl(void) {
        static const struct {
                const char *name;
                long (*attempt)(void);
                int unfiltered; /* the kernel's answer; -1: not checked */
                bool network;   /* a request for the host's network configuration */
        } cases[] = {
                { "SIOCGIFCONF (interfaces and addresses)", ioctl_ifconf, 0, true },
                { "SIOCGIFCONF with high bits set", ioctl_ifconf_high_bits, 0, true },
                { "SIOCGIFINDEX", ioctl_ifindex, 0, true },
                { "SIOCGIFHWADDR (a MAC address)", ioctl_hwaddr, 0, true },
                { "SIOCGIWNAME (wireless extensions)", ioctl_wireless, -1, true },
                { "FIONREAD", ioctl_fionread, 0, false },
                { "FIOGETOWN (0x8903, the socket's own)", ioctl_getown, 0, false },
                { "TCGETS (isatty)", ioctl_tcgets, ENOTTY, false },
                { "FS_IOC_GETFLAGS (an _IOC-encoded request)", ioctl_encoded, ENOTTY, false },
        };
        /* refuses the network ones: restrictive, and permissive without the network (whole, or
         * its remainder on the worker's filter); the others leave them to the kernel */
        static const struct {
                SeccompProfile profile;
                bool refuses;
        } profiles[] = {
                { SECCOMP_PROFILE_WORKER, false },        { SECCOMP_PROFILE_PERMISSIVE, true },
                { SECCOMP_PROFILE_PERMISSIVE_NET, false }, { SECCOMP_PROFILE_SOCKETS_LOCAL, true },
                { SECCOMP_PROFILE_SOCKETS_NET, false },   { SECCOMP_PROFILE_RESTRICTIVE, true },
        };
        int pair[2];

        assert_se(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
        ioctl_fd = pair[0];
        strcpy(ioctl_ifr.ifr_name, "lo");
        for (size_t j = 0; j < ELEMENTSOF(cases); j++) {
                if (cases[j].unfiltered >= 0)
                        is_int(in_profile(NULL, cases[j].attempt), cases[j].unfiltered, "no filter: ioctl %s",
                               cases[j].name);
                for (size_t i = 0; i < ELEMENTSOF(profiles); i++) {
                        bool refused = cases[j].network && profiles[i].refuses;
                        if (!refused && cases[j].unfiltered < 0)
                                continue;
                        is_int(in_profile(&profiles[i].profile, cases[j].attempt), refused ? EPERM : cases[j].unfiltered,
                               "%s: ioctl %s", seccomp_profile_to_string(profiles[i].profile), cases[j].name);
                }
        }
        close(pair[0]);
        close(pair[1]);
        ioctl_fd = -1;

        /* the bounds, in the program built for each arch (ioctl is 54 on the 32-bit tables, 29
         * on the generic one, 16 on x86_64) */
        static const struct {
                const char *name;
                uint32_t arch;
                int nr;
        } arches[] = {
                { "x86_64", SCMP_ARCH_X86_64, 16 },   { "x86", SCMP_ARCH_X86, 54 },
                { "aarch64", SCMP_ARCH_AARCH64, 29 }, { "arm", SCMP_ARCH_ARM, 54 },
                { "ppc64le", SCMP_ARCH_PPC64LE, 54 }, { "riscv64", SCMP_ARCH_RISCV64, 29 },
        };
        static const struct {
                uint64_t request;
                bool refused;
        } bounds[] = {
                { 0, false },           { 0x5401, false },     { 0x8907, false },
                { 0x8908, true },       { 0x8912, true },      { 0x89ff, true },
                { 0x8a00, true },       { 0x8bff, true },      { 0x8c00, false },
                { 0xffff, false },      { 0x10000, false },    { 0x80086601, false },
                { 0xffffffff, false },  { 0x100008912, true }, { UINT64_C(0xffffffff00005401), false },
                { UINT64_C(0xffffffff00008bff), true },
        };
        /* restrictive allows the rest one block at a time, permissive's remainder by its default */
        static const SeccompProfile refusing[] = { SECCOMP_PROFILE_RESTRICTIVE, SECCOMP_PROFILE_SOCKETS_LOCAL };
        for (size_t i = 0; i < ELEMENTSOF(arches) * ELEMENTSOF(refusing); i++) {
                size_t a = i / ELEMENTSOF(refusing), len = 0;
                SeccompProfile p = refusing[i % ELEMENTSOF(refusing)];
                _cleanup_free_ struct sock_filter *f = profile_for(p, arches[a].arch, arches[a].name, &len);
                if (!f)
                        continue;
                for (size_t j = 0; j < ELEMENTSOF(bounds); j++) {
                        struct seccomp_data d = { .nr = arches[a].nr, .arch = arches[a].arch };
                        d.args[1] = bounds[j].request;
                        uint32_t got = bpf_run(f, len, &d), want = bounds[j].refused ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_ALLOW;
                        ok(got == want, "%s: %s's ioctl request %#" PRIx64 ": %s (want %s)", arches[a].name,
                           seccomp_profile_to_string(p), bounds[j].request, action_name(got), action_name(want));
                }
        }
}

/* btrfs' requests that snapshot a subvolume or change its flags: with them a skill could make a
 * read-only subvolume that its owner can lock itself out of, and the worker with it. EPERM from
 * the worker's filter, which every skill inherits, whatever the upper half of the request says
 * (the kernel reads an unsigned int). On a directory elsewhere than btrfs the kernel answers
 * ENOTTY, so EPERM can only be the filter's; the arguments are such that btrfs would refuse them
 * too (source fd -1, a name with a slash). The reflink requests of the same type and plain
 * subvolumes stay the kernel's. */
static int btrfs_fd = -1;
static unsigned long btrfs_request;
static long btrfs_ioctl(void) {
        union {
                char bytes[4096];
                int64_t fd; /* btrfs_ioctl_vol_args(_v2), file_clone_range: the source's */
        } args = {};
        args.fd = -1;
        strcpy(args.bytes + offsetof(struct btrfs_ioctl_vol_args, name), "a/b");
        strcpy(args.bytes + offsetof(struct btrfs_ioctl_vol_args_v2, name), "a/b");
        if ((btrfs_request & 0xffffffffUL) == FICLONE)
                return ioctl(btrfs_fd, btrfs_request, -1); /* the source fd itself */
        return ioctl(btrfs_fd, btrfs_request, &args);
}
#if ULONG_MAX > UINT32_MAX
#define HIGH_BITS (~0UL << 32) /* all of the upper half: what the kernel drops */
#else
#define HIGH_BITS 0UL /* a 32-bit long has no high bits to set */
#endif

static void test_seccomp_btrfs(void) {
        static const struct {
                const char *name;
                unsigned long request;
                bool refused;
        } cases[] = {
                { "BTRFS_IOC_SNAP_CREATE", BTRFS_IOC_SNAP_CREATE, true },
                { "BTRFS_IOC_SNAP_CREATE, upper half set", HIGH_BITS | BTRFS_IOC_SNAP_CREATE, true },
                { "BTRFS_IOC_SNAP_CREATE_V2", BTRFS_IOC_SNAP_CREATE_V2, true },
                { "BTRFS_IOC_SNAP_CREATE_V2, upper half set", HIGH_BITS | BTRFS_IOC_SNAP_CREATE_V2, true },
                { "BTRFS_IOC_SUBVOL_SETFLAGS", BTRFS_IOC_SUBVOL_SETFLAGS, true },
                { "BTRFS_IOC_SUBVOL_SETFLAGS, upper half set", HIGH_BITS | BTRFS_IOC_SUBVOL_SETFLAGS, true },
                { "BTRFS_IOC_SUBVOL_CREATE", BTRFS_IOC_SUBVOL_CREATE, false },
                { "BTRFS_IOC_SUBVOL_CREATE_V2", BTRFS_IOC_SUBVOL_CREATE_V2, false },
                { "BTRFS_IOC_SUBVOL_GETFLAGS", BTRFS_IOC_SUBVOL_GETFLAGS, false },
                { "FICLONE", FICLONE, false },
                { "FICLONERANGE", FICLONERANGE, false },
                { "FIDEDUPERANGE", FIDEDUPERANGE, false },
        };
        /* what skills meet: the worker's filter alone (none), or a skill's own on it */
        static const struct {
                const char *name;
                SeccompProfile stack[2];
                size_t n;
        } stacks[] = {
                { "worker", { SECCOMP_PROFILE_WORKER }, 1 },
                { "permissive", { SECCOMP_PROFILE_PERMISSIVE }, 1 },
                { "permissive-net", { SECCOMP_PROFILE_PERMISSIVE_NET }, 1 },
                { "sockets-local on worker", { SECCOMP_PROFILE_WORKER, SECCOMP_PROFILE_SOCKETS_LOCAL }, 2 },
                { "sockets-net on worker", { SECCOMP_PROFILE_WORKER, SECCOMP_PROFILE_SOCKETS_NET }, 2 },
                { "restrictive on worker", { SECCOMP_PROFILE_WORKER, SECCOMP_PROFILE_RESTRICTIVE }, 2 },
        };
        char dir[] = "/tmp/test-sandbox-btrfs-XXXXXX";

        assert_se(mkdtemp(dir));
        btrfs_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_se(btrfs_fd >= 0);
        for (size_t j = 0; j < ELEMENTSOF(cases); j++) {
                btrfs_request = cases[j].request;
                int kernel = in_profile(NULL, btrfs_ioctl);
                /* the kernel's own EPERM would not tell the filter's apart */
                ok(kernel > 0 && kernel != EPERM, "no filter: ioctl %s → %s", cases[j].name, strerrorname_np(kernel) ?: "?");
                for (size_t i = 0; i < ELEMENTSOF(stacks); i++)
                        is_int(in_profiles(stacks[i].stack, stacks[i].n, btrfs_ioctl),
                               cases[j].refused ? EPERM : kernel, "%s: ioctl %s", stacks[i].name, cases[j].name);
        }
        close(btrfs_fd);
        btrfs_fd = -1;
        assert_se(rmdir(dir) == 0);

        /* the program built for each arch, in its own encoding of the requests: powerpc's _IOW()
         * is 4 << 29, the others' 1 << 30 (and their _IOR() 2 << 29 and 2 << 30) */
        static const struct {
                const char *name;
                uint32_t arch;
                int nr;
                bool ppc;
        } arches[] = {
                { "x86_64", SCMP_ARCH_X86_64, 16, false },  { "x86", SCMP_ARCH_X86, 54, false },
                { "aarch64", SCMP_ARCH_AARCH64, 29, false }, { "arm", SCMP_ARCH_ARM, 54, false },
                { "ppc64le", SCMP_ARCH_PPC64LE, 54, true },  { "riscv64", SCMP_ARCH_RISCV64, 29, false },
        };
        static const struct {
                uint64_t generic, ppc;
                bool refused;
        } requests[] = {
                { 0x50009401, 0x90009401, true }, /* SNAP_CREATE */
                { 0x50009417, 0x90009417, true }, /* SNAP_CREATE_V2 */
                { 0x4008941a, 0x8008941a, true }, /* SUBVOL_SETFLAGS */
                { UINT64_C(0x150009401), UINT64_C(0x190009401), true },
                { UINT64_C(0xffffffff50009417), UINT64_C(0xffffffff90009417), true },
                { UINT64_C(0x804008941a), UINT64_C(0x808008941a), true },
                { 0x5000940e, 0x9000940e, false }, /* SUBVOL_CREATE */
                { 0x50009418, 0x90009418, false }, /* SUBVOL_CREATE_V2 */
                { 0x80089419, 0x40089419, false }, /* SUBVOL_GETFLAGS */
                { 0xc0c89425, 0xc0c89425, false }, /* SET_RECEIVED_SUBVOL */
                { 0x40049409, 0x80049409, false }, /* FICLONE */
                { 0x4020940d, 0x8020940d, false }, /* FICLONERANGE */
                { 0xc0189436, 0xc0189436, false }, /* FIDEDUPERANGE */
                { 0x8008941a, 0x4008941a, false }, /* SETFLAGS' number and size, read or other direction */
                { 0x5008941a, 0x9008941a, false }, /* ... another size */
                { 0x40089417, 0x80089417, false }, /* SNAP_CREATE_V2's number, another size */
                { UINT64_C(0xffffffff00005401), UINT64_C(0xffffffff00005401), false },
        };
        static const SeccompProfile refusing[] = { SECCOMP_PROFILE_WORKER, SECCOMP_PROFILE_PERMISSIVE,
                                                   SECCOMP_PROFILE_PERMISSIVE_NET };
        for (size_t i = 0; i < ELEMENTSOF(arches) * ELEMENTSOF(refusing); i++) {
                size_t a = i / ELEMENTSOF(refusing), len = 0;
                SeccompProfile p = refusing[i % ELEMENTSOF(refusing)];
                _cleanup_free_ struct sock_filter *f = profile_for(p, arches[a].arch, arches[a].name, &len);
                _cleanup_free_ char *wrong = NULL;
                if (!f)
                        continue;
                for (size_t j = 0; j < ELEMENTSOF(requests); j++) {
                        struct seccomp_data d = { .nr = arches[a].nr, .arch = arches[a].arch };
                        d.args[1] = arches[a].ppc ? requests[j].ppc : requests[j].generic;
                        uint32_t got = bpf_run(f, len, &d);
                        if (got != (requests[j].refused ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_ALLOW)) {
                                char *l = NULL;
                                assert_se(asprintf(&l, "%s%s%#" PRIx64 " → %s", strempty(wrong), wrong ? ", " : "",
                                                   (uint64_t) d.args[1], action_name(got)) >= 0);
                                free(wrong);
                                wrong = l;
                        }
                }
                is_str(strempty(wrong), "", "%s: %s refuses btrfs' snapshot and flag requests, no other",
                       arches[a].name, seccomp_profile_to_string(p));
        }
}

/* Every secret of /etc that skillrun.skill(5) names is on the list the policies keep out, whether
 * this host has it or not (most hosts lack some: their rules cannot show a name dropped). The
 * tokens and configuration files elsewhere: they would add their own directory. */
static void test_etc_secrets(void) {
        static const char *const documented[] = {
                "skillrun", "shadow", "shadow-", "gshadow", "gshadow-", "sudoers", "sudoers.d", "ssh",
                "ssl/private", "pki/tls/private", "credstore", "credstore.encrypted", "krb5.keytab",
                "wireguard", "ipsec.secrets", "letsencrypt",
        };
        _cleanup_free_ char *missing = NULL;
        Settings s;
        Secrets sec;

        settings_init(&s);
        free(s.tokens_file);
        free(s.config_path);
        assert_se(s.tokens_file = strdup("/nonexistent/tokens"));
        assert_se(s.config_path = strdup("/nonexistent/skillrun.conf"));
        secrets_init(&sec, &s);
        is_int(sec.error, 0, "secrets_init");
        for (size_t i = 0; i < ELEMENTSOF(documented); i++) {
                bool found = false;
                for (size_t j = 0; j < sec.n_names && !found; j++)
                        found = streq(sec.names[j], documented[i]);
                if (!found) {
                        char *l = NULL;
                        assert_se(asprintf(&l, "%s%s%s", strempty(missing), missing ? ", " : "", documented[i]) >= 0);
                        free(missing);
                        missing = l;
                }
        }
        is_str(strempty(missing), "", "every secret of /etc that skillrun.skill(5) names is kept out");
        secrets_done(&sec);
        settings_done(&s);
}

static void test_features(void) {
        SandboxFeatures f;
        int e = -1;
        int abi = landlock_probe(&e);

        ok(abi >= 0 && abi <= LANDLOCK_ABI_KNOWN, "landlock ABI %d within 0…%d", abi, LANDLOCK_ABI_KNOWN);
        ok(abi > 0 ? e == 0 : e != 0, "an errno exactly when landlock is unusable");
        is_str(landlock_status_to_string(0, ENOSYS), "not built (ENOSYS)", "ENOSYS reads 'not built'");
        is_str(landlock_status_to_string(0, EOPNOTSUPP), "disabled (EOPNOTSUPP)", "EOPNOTSUPP reads 'disabled'");
        ok(landlock_fs_rights(1) == (LL_FS_ALL & ~(LL_FS_REFER | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)), "ABI 1 rights");
        ok(landlock_fs_rights(7) == LL_FS_ALL && landlock_net_rights(3) == 0 && landlock_net_rights(4) != 0 &&
                   landlock_scopes(5) == 0 && landlock_scopes(6) != 0,
           "rights, network and scopes by ABI");

        is_int(sandbox_probe(&f), 0, "sandbox_probe");
        is_int(f.landlock_abi, abi, "…landlock_abi");
        json_object *j = sandbox_features_to_json(&f);
        ok(j != NULL, "features JSON");
        const char *text = j ? json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN) : NULL;
        printf("#   %s\n", strempty(text));
        json_object *v;
        ok(j && json_object_object_get_ex(j, "landlock_abi", &v) && json_object_get_int(v) == abi, "…landlock_abi");
        ok(j && json_object_object_get_ex(j, "landlock", &v) &&
                   streq(json_object_get_string(v), landlock_status_to_string(abi, e)),
           "…landlock status");
        ok(j && json_object_object_get_ex(j, "seccomp", &v) && json_object_get_boolean(v) == f.seccomp, "…seccomp");
        ok(j && json_object_object_get_ex(j, "cgroup", &v) && streq(json_object_get_string(v), cgroup_mode_to_string(f.cgroup)),
           "…cgroup");
        ok(j && json_object_object_get_ex(j, "root", &v) && json_object_get_boolean(v) == (geteuid() == 0), "…root");
        json_object_put(j);

        /* check's caveat: without landlock scoping (ABI 6) runs of one uid can signal each other */
        for (int a = 0; a <= LANDLOCK_ABI_KNOWN; a++) {
                SandboxFeatures g = { .landlock_abi = a, .seccomp = true };
                const char *c = sandbox_features_caveat(&g);
                if (a >= 1 && a <= 5)
                        ok(c && strstr(c, "ABI 6") && strstr(c, "signal"), "ABI %d: check warns that runs can signal each other", a);
                else
                        ok(c == NULL, "ABI %d: no caveat (%s)", a, a == 0 ? "no landlock at all is reported apart" : "scoped");
        }
}

static size_t count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        size_t n = 0;

        if (!d)
                return 0;
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

/* The rules' O_PATH fds stay open with the ruleset (bounded), and go with it. */
static void test_landlock_held_fds(void) {
        LandlockRuleset rs;
        int e, abi = landlock_probe(&e);
        size_t before, entries = 0;

        if (abi <= 0) {
                ok(1, "# SKIP landlock unavailable");
                return;
        }
        for (int pass = 0; pass < 2; pass++) {
                /* /etc: fewer entries than the bound; /usr/bin: more (1000+ on any distribution) */
                const char *dir = pass == 0 ? "/etc" : "/usr/bin";
                DIR *d = opendir(dir);
                entries = 0;
                while (d && readdir(d))
                        entries++;
                if (d)
                        closedir(d);
                entries -= 2; /* . and .. */

                before = count_fds();
                is_int(landlock_ruleset_new(&rs, abi, LL_FS_ALL, 0, 0), 0, "%s: ruleset", dir);
                is_int(landlock_ruleset_allow_entries(&rs, dir, LL_FS_READ, NULL), 0, "%s: a rule per entry", dir);
                size_t expect = MIN(entries, rs.hold_max);
                ok(rs.hold_max <= LANDLOCK_HELD_FDS_MAX, "%s: hold bound %zu within %d", dir, rs.hold_max,
                   LANDLOCK_HELD_FDS_MAX);
                ok(rs.n_held <= expect && rs.n_held + 8 >= expect, "%s: %zu of %zu entries' fds held (bound %zu)", dir,
                   rs.n_held, entries, rs.hold_max);
                is_int((int) count_fds(), (int) (before + 1 + rs.n_held), "%s: open fds: the ruleset and the held ones", dir);
                landlock_ruleset_done(&rs);
                is_int((int) count_fds(), (int) before, "%s: all closed with the ruleset", dir);
                is_int((int) rs.n_held, 0, "%s: none held after done", dir);
        }

        /* Under a low RLIMIT_NOFILE the walk holds fewer, and never runs out of fds. */
        pid_t pid = fork();
        assert_se(pid >= 0);
        if (pid == 0) {
                struct rlimit rl = { 64, 64 };
                int ret = 0;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || landlock_ruleset_new(&rs, abi, LL_FS_ALL, 0, 0) < 0)
                        _exit(2);
                if (rs.hold_max != 32)
                        ret |= 4;
                if (landlock_ruleset_allow_entries(&rs, "/usr/bin", LL_FS_READ, NULL) < 0)
                        ret |= 8;
                if (rs.n_held > 32)
                        ret |= 16;
                _exit(ret);
        }
        int st;
        assert_se(waitpid(pid, &st, 0) == pid);
        is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0,
               "RLIMIT_NOFILE 64: hold bound 32, /usr/bin walked without EMFILE, at most 32 held");
}

/* What a child saw through libcap after src/caps.c's steps, as a skill's child takes them. */
typedef struct CapsSeen {
        int lock, switched, dropped; /* the steps' return values */
        bool keep_bounding;          /* caps_drop_all(false), its bounding set left as it is */
        bool bounding_empty_before, bounding_empty_after; /* caps_bounding_empty() */
        int max_bits;                /* libcap's count of the kernel's capabilities */
        int bound_before, bound_left, ambient_left;
        bool proc_empty;             /* cap_get_proc() equals cap_init() */
        unsigned secbits;
        uid_t uid;
} CapsSeen;

static void caps_child(int fd, bool keep_bounding) {
        CapsSeen s = { .keep_bounding = keep_bounding };

        s.bounding_empty_before = caps_bounding_empty();
        for (cap_value_t c = 0; c < (cap_value_t) cap_max_bits(); c++)
                s.bound_before += cap_get_bound(c) != 0;
        s.lock = caps_lock_securebits();
        s.switched = caps_switch_user(65534, 65534);
        s.dropped = caps_drop_all(!keep_bounding);
        s.bounding_empty_after = caps_bounding_empty();
        s.max_bits = (int) cap_max_bits();
        for (cap_value_t c = 0; c < s.max_bits; c++) {
                s.bound_left += cap_get_bound(c) != 0;
                s.ambient_left += cap_get_ambient(c) != 0;
        }
        cap_t cur = cap_get_proc(), none = cap_init();
        s.proc_empty = cur && none && cap_compare(cur, none) == 0;
        cap_free(cur);
        cap_free(none);
        s.secbits = cap_get_secbits();
        s.uid = getuid();
        _exit(write(fd, &s, sizeof(s)) == (ssize_t) sizeof(s) ? 0 : 1);
}

/* caps_child() in a child of ours, its report read back */
static CapsSeen caps_in_child(bool keep_bounding, const char *what) {
        CapsSeen seen = {};
        int fds[2], status = -1;
        pid_t pid;

        assert_se(pipe(fds) == 0);
        pid = fork();
        assert_se(pid >= 0);
        if (pid == 0) {
                close(fds[0]);
                caps_child(fds[1], keep_bounding);
        }
        close(fds[1]);
        is_int(read(fds[0], &seen, sizeof(seen)), (int) sizeof(seen), "caps%s: the child's report", what);
        close(fds[0]);
        assert_se(waitpid(pid, &status, 0) == pid);
        is_int(status, 0, "caps%s: child exited 0", what);
        return seen;
}

/* A rule for rights the ruleset does not handle grants nothing, and is no error (the kernel
 * answers ENOMSG for it); a kernel without landlock handles no right at all. */
static void test_landlock_unhandled_rights(void) {
        LandlockRuleset rs;
        int e, abi = landlock_probe(&e);

        is_int((int) landlock_fs_rights(0), 0, "no landlock: no file system right handled");
        if (abi <= 0) {
                ok(1, "# SKIP landlock unavailable");
                return;
        }
        is_int(landlock_ruleset_new(&rs, abi, LL_FS_READ_FILE, 0, 0), 0, "a ruleset handling only reading files");
        is_int(landlock_ruleset_allow_path(&rs, AT_FDCWD, "/tmp", LL_FS_WRITE_FILE), 0,
               "a rule for writing, which it does not handle: no error");
        is_int(landlock_ruleset_allow_path(&rs, AT_FDCWD, "/tmp", LL_FS_READ_FILE | LL_FS_WRITE_FILE), 0,
               "a rule for reading and writing: the reading added");
        landlock_ruleset_done(&rs);
}

static void test_caps(void) {
        CapsSeen seen;

        if (geteuid() != 0 || cap_get_bound(CAP_SETPCAP) != 1) {
                ok(1, "# SKIP caps: needs root with CAP_SETPCAP in the bounding set");
                return;
        }
        /* the control: there is something to drop */
        ok(cap_get_bound(CAP_SYS_ADMIN) == 1 && caps_have(CAP_SYS_ADMIN), "caps: we start with CAP_SYS_ADMIN");

        seen = caps_in_child(false, "");
        is_int(seen.lock, 0, "caps_lock_securebits");
        is_int(seen.switched, 0, "caps_switch_user");
        is_int(seen.dropped, 0, "caps_drop_all");
        ok(!seen.bounding_empty_before && seen.bounding_empty_after,
           "caps_bounding_empty: false before, true after");
        ok(seen.max_bits > CAP_SYS_ADMIN, "libcap counts %d capabilities", seen.max_bits);
        is_int(seen.bound_left, 0, "libcap: bounding set empty");
        is_int(seen.ambient_left, 0, "libcap: ambient set empty");
        ok(seen.proc_empty, "libcap: effective, permitted and inheritable sets empty");
        /* NOROOT, NO_SETUID_FIXUP, both locked, KEEP_CAPS off and locked */
        is_int(seen.secbits, 0x2f, "libcap: securebits locked");
        is_int(seen.uid, 65534, "uid switched");

        /* told to keep the bounding set (a worker without CAP_SETPCAP): every other set still goes */
        seen = caps_in_child(true, ", bounding set kept");
        is_int(seen.dropped, 0, "caps_drop_all(false)");
        ok(seen.bound_before > CAP_SYS_ADMIN && !seen.bounding_empty_after && seen.bound_left == seen.bound_before,
           "caps_drop_all(false): the bounding set untouched (%d of %d left)", seen.bound_left, seen.bound_before);
        ok(seen.proc_empty && seen.ambient_left == 0, "caps_drop_all(false): the other sets empty");
}

int main(void) {
        size_t len;
        if (read_full_file("src/seccomp-bpf.h", 1 << 20, &generated_header, &len) < 0)
                generated_header = NULL;
        test_shebang();
        test_elf();
        test_collect();
        test_seccomp();
        test_seccomp_other_processes();
        test_seccomp_newer_syscalls();
        test_seccomp_deny_list();
        test_seccomp_personality();
        test_seccomp_xattr();
        test_seccomp_newer_syscalls_arm();
        test_seccomp_reviewed_max();
        test_seccomp_unreviewed_calls();
        test_seccomp_socketcall_arches();
        test_seccomp_arch_calls();
        test_seccomp_ioctl();
        test_seccomp_btrfs();
        test_seccomp_all_arches();
        test_etc_secrets();
        test_features();
        test_landlock_held_fds();
        test_landlock_unhandled_rights();
        test_caps();
        free(generated_header);
        return done_testing();
}
