/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include "execdeps.h"
#include "util.h"

/* Where glibc's execvp() looks when PATH is unset (env -i, env -u PATH): confstr's _CS_PATH. */
#define EXECDEPS_UNSET_PATH "/bin:/usr/bin"
#define EXECDEPS_MAX_DEPTH 4 /* the kernel allows 4 levels of interpreters too */
/* exec_binprm(): the command's format handler runs at depth 0, each #! interpreter's one deeper,
 * and one deeper than this is ELOOP: five nested scripts run, six do not */
#define EXECDEPS_KERNEL_DEPTH 5
#define EXECDEPS_HEAD 4096
/* BINPRM_BUF_SIZE: the bytes of a file the kernel reads its #! line from */
#define EXECDEPS_BINPRM_BUF 256

int execdeps_parse_shebang(const char *buf, size_t len, char **ret_interp, char **ret_arg) {
        size_t i = 2, start, end, eol;
        const char *nl;
        bool cut = false;

        if (len < 3 || buf[0] != '#' || buf[1] != '!')
                return -EINVAL;

        /* Like the kernel: of its first BINPRM_BUF_SIZE bytes, the line up to '\n', interpreter
         * up to the first blank or NUL, the rest (trimmed, up to a NUL) is one argument. A line
         * the buffer cuts ends before its last byte, and only an argument may be cut there: an
         * interpreter that has not ended by it (a blank or NUL there ends it) is refused
         * (ENOEXEC), not run truncated. */
        nl = memchr(buf, '\n', MIN(len, (size_t) EXECDEPS_BINPRM_BUF));
        if (nl)
                eol = (size_t) (nl - buf);
        else if (len < EXECDEPS_BINPRM_BUF)
                eol = len;
        else {
                eol = EXECDEPS_BINPRM_BUF - 1;
                cut = true;
        }
        while (i < eol && (buf[i] == ' ' || buf[i] == '\t'))
                i++;
        start = i;
        while (i < eol && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\0')
                i++;
        if (i == start || (cut && i == eol && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\0'))
                return -EINVAL;
        end = i;
        /* after a NUL the kernel looks no further */
        if (i < eol && buf[i] == '\0')
                i = eol;
        while (i < eol && (buf[i] == ' ' || buf[i] == '\t'))
                i++;
        size_t arg_end = eol;
        while (arg_end > i && (buf[arg_end - 1] == ' ' || buf[arg_end - 1] == '\t' || buf[arg_end - 1] == '\r'))
                arg_end--;

        _cleanup_free_ char *interp = strndup(buf + start, end - start);
        if (!interp)
                return -ENOMEM;
        char *arg = NULL;
        if (arg_end > i) {
                arg = strndup(buf + i, arg_end - i);
                if (!arg)
                        return -ENOMEM;
        }
        *ret_interp = steal_pointer(&interp);
        *ret_arg = arg;
        return 0;
}

#define ELF_PARSE_INTERP(Ehdr, Phdr)                                                          \
        do {                                                                                  \
                const Ehdr *eh = (const Ehdr *) buf;                                          \
                if (len < sizeof(Ehdr) || eh->e_phentsize != sizeof(Phdr))                    \
                        return -EINVAL;                                                       \
                for (size_t k = 0; k < eh->e_phnum; k++) {                                    \
                        /* the file's offsets can be anything: compared with what is left,    \
                         * never summed, where a huge one wraps around to a small one */      \
                        uint64_t off = (uint64_t) eh->e_phoff;                                \
                        Phdr ph;                                                              \
                        if (off > len || len - off < (k + 1) * sizeof(Phdr))                  \
                                return -EINVAL;                                               \
                        off += k * sizeof(Phdr);                                              \
                        memcpy(&ph, buf + off, sizeof(ph));                                   \
                        if (ph.p_type != PT_INTERP)                                           \
                                continue;                                                     \
                        if (ph.p_filesz < 2 || ph.p_offset > len ||                           \
                            ph.p_filesz > len - ph.p_offset)                                  \
                                return -EINVAL;                                               \
                        interp = buf + ph.p_offset;                                           \
                        interp_len = ph.p_filesz;                                             \
                        break;                                                                \
                }                                                                             \
        } while (0)

int execdeps_parse_elf_interp(const char *buf, size_t len, char **ret) {
        const char *interp = NULL;
        size_t interp_len = 0;

        if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0)
                return -EINVAL;

        /* Native byte order only: a foreign-endian binary does not run here anyway. */
        if (buf[EI_CLASS] == ELFCLASS64)
                ELF_PARSE_INTERP(Elf64_Ehdr, Elf64_Phdr);
        else if (buf[EI_CLASS] == ELFCLASS32)
                ELF_PARSE_INTERP(Elf32_Ehdr, Elf32_Phdr);
        else
                return -EINVAL;

        if (!interp)
                return -ENOENT;
        /* NUL-terminated inside the segment; keep only what precedes the NUL. */
        char *s = strndup(interp, strnlen(interp, interp_len));
        if (!s)
                return -ENOMEM;
        if (s[0] != '/') {
                free(s);
                return -EINVAL;
        }
        *ret = s;
        return 0;
}

static int read_head(const char *path, char *buf, size_t size, size_t *ret_len) {
        _cleanup_close_ int fd = -1;
        ssize_t n;

        /* A #! line may name anything: only a regular file is read (opening a device as root
         * could have side effects, a FIFO could stall us). */
        fd = open_regular(path, NULL);
        if (fd == -EBADFD || fd == -EMEDIUMTYPE)
                return -ENOEXEC;
        if (fd < 0)
                return fd;
        do
                n = read(fd, buf, size);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();
        *ret_len = (size_t) n;
        return 0;
}

int execdeps_script_interpreter(const char *command, char **ret) {
        _cleanup_free_ char *arg = NULL;
        char buf[EXECDEPS_HEAD];
        size_t len;
        int r;

        r = read_head(command, buf, sizeof(buf), &len);
        if (r < 0)
                return r;
        return execdeps_parse_shebang(buf, len, ret, &arg);
}

/* Whether binfmt_misc may take a file the kernel's own formats refuse (a Java jar, a Windows
 * binary, a foreign architecture's under qemu): any handler registered. Not mounted, none is. */
static bool binfmt_misc_handlers(void) {
        DIR *d = opendir("/proc/sys/fs/binfmt_misc");
        struct dirent *de;
        bool any = false;

        if (!d)
                return false;
        while (!any && (de = readdir(d)))
                any = !streq(de->d_name, ".") && !streq(de->d_name, "..") && !streq(de->d_name, "register") &&
                      !streq(de->d_name, "status");
        closedir(d);
        return any;
}

/* This host's own ELF machine, class and byte order; 0 where unknown here (nothing is judged). */
#if defined(__x86_64__)
#  define EXECDEPS_EM EM_X86_64
#elif defined(__aarch64__)
#  define EXECDEPS_EM EM_AARCH64
#elif defined(__i386__)
#  define EXECDEPS_EM EM_386
#elif defined(__arm__)
#  define EXECDEPS_EM EM_ARM
#elif defined(__riscv)
#  define EXECDEPS_EM EM_RISCV
#elif defined(__powerpc64__)
#  define EXECDEPS_EM EM_PPC64
#elif defined(__s390x__)
#  define EXECDEPS_EM EM_S390
#else
#  define EXECDEPS_EM 0
#endif
#define EXECDEPS_CLASS (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32)
#define EXECDEPS_DATA (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB)

/* An ELF file the kernel's loaders refuse outright (ENOEXEC): a class neither of them knows, or,
 * of this host's class and byte order, another machine's (an arm64 binary on x86-64) or no
 * program (an object file). Another class is not judged further: x86-64 runs i386's. */
static bool elf_refused(const char *buf, size_t len) {
        uint16_t type, machine;

        if (len < EI_NIDENT || (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64))
                return true;
        if (EXECDEPS_EM == 0 || buf[EI_CLASS] != EXECDEPS_CLASS || buf[EI_DATA] != EXECDEPS_DATA ||
            len < sizeof(Elf32_Ehdr))
                return false;
        /* e_type and e_machine: at the same place in either class */
        memcpy(&type, buf + offsetof(Elf32_Ehdr, e_type), sizeof(type));
        memcpy(&machine, buf + offsetof(Elf32_Ehdr, e_machine), sizeof(machine));
        return (type != ET_EXEC && type != ET_DYN) || machine != EXECDEPS_EM;
}

int execdeps_chain_fault(const char *command, char **ret_path, char **ret_via) {
        _cleanup_free_ char *cur = strdup(command), *via = NULL;
        char buf[EXECDEPS_HEAD];

        *ret_path = *ret_via = NULL;
        if (!cur)
                return -ENOMEM;
        for (unsigned depth = 0;; depth++) {
                _cleanup_free_ char *interp = NULL, *arg = NULL;
                struct stat st;
                size_t len;
                int r;

                /* what cannot be read here (a file only its owner may read) is not judged */
                if (read_head(cur, buf, sizeof(buf), &len) < 0)
                        return 0;
                r = execdeps_parse_shebang(buf, len, &interp, &arg);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        /* the kernel's own formats: ELF, of this host, and #! */
                        bool elf = len >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
                        if ((elf && !elf_refused(buf, len)) || binfmt_misc_handlers())
                                return 0;
                        r = elf ? -ELIBBAD : -ENOEXEC;
                } else if (stat(interp, &st) < 0)
                        /* ENOTDIR: a path through a file ("#!/bin/sh/python3"), which names no file */
                        r = errno == ENOENT || errno == ENOTDIR ? -ENOENT : 0;
                else if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                        r = -EACCES;
                else if (depth >= EXECDEPS_KERNEL_DEPTH)
                        r = -ELOOP; /* opened, then not executed */
                else {
                        free(via);
                        via = steal_pointer(&cur);
                        cur = steal_pointer(&interp);
                        continue;
                }
                if (r == 0)
                        return 0;
                bool self = r == -ENOEXEC || r == -ELIBBAD; /* the file examined, not its interpreter */
                *ret_path = self ? steal_pointer(&cur) : steal_pointer(&interp);
                *ret_via = self ? steal_pointer(&via) : steal_pointer(&cur);
                return r;
        }
}

static int find_in_path(const char *name, const char *path, char **ret) {
        const char *p = path;

        if (strchr(name, '/'))
                return (*ret = strdup(name)) ? 0 : -ENOMEM;
        while (*p) {
                size_t n = strcspn(p, ":");
                char *c;

                /* An empty or relative entry is looked up in the skill's working directory, the
                 * work dir, which holds what the request sent: never followed, never granted.
                 * What execve(2) refuses, a directory of that name say, execvp() passes by.
                 * The path is named in check's messages: as the kernel takes it, without the
                 * doubled slashes or "/./" an entry may hold ("/", "/usr/bin/", "/usr//bin/."). */
                if (p[0] == '/') {
                        _cleanup_free_ char *joined = NULL;
                        struct stat st;

                        if (asprintf(&joined, "%.*s/%s", (int) n, p, name) < 0) {
                                joined = NULL; /* undefined after a failure */
                                return -ENOMEM;
                        }
                        c = path_lexical(joined);
                        if (!c)
                                return -ENOMEM;
                        if (stat(c, &st) == 0 && S_ISREG(st.st_mode) && access(c, X_OK) == 0) {
                                *ret = c;
                                return 0;
                        }
                        free(c);
                }
                p += n;
                if (*p == ':')
                        p++;
        }
        return -ENOENT;
}

/* A PATH value of -S's string as env sets it: "${PATH}" is the PATH env itself was given (the
 * skill's, whatever -i or -u do after); another ${NAME} is left as written, which makes its
 * entry no directory that exists, or no absolute one (never followed). */
static char *env_path_value(const char *v, const char *path) {
        size_t n = 0;
        char *r, *o;

        for (const char *p = v; (p = strstr(p, "${PATH}")); p += 7)
                n++;
        r = o = malloc(strlen(v) + n * strlen(path) + 1);
        if (!r)
                return NULL;
        while (*v) {
                const char *rest = startswith(v, "${PATH}");
                if (rest) {
                        o = stpcpy(o, path);
                        v = rest;
                } else
                        *o++ = *v++;
        }
        *o = 0;
        return r;
}

/* "#!/usr/bin/env ARG" → the program env runs, looked up where env's execvp() will look: in
 * 'path' (the skill's PATH), or in what env sets PATH to, or unsets it to. The kernel passes
 * ARG, the rest of the line, as one argument, which GNU env splits only after -S
 * (--split-string, glued to it or after flags without a value: "-vS…"). Otherwise ARG is
 * whole what env takes it for: a program named "python3 -u" (none), NAME=VALUE (after which
 * env runs the script itself again), or options it refuses ("invalid option -- ' '"). */
static int env_program(const char *arg, const char *path, char **ret) {
        _cleanup_strv_free_ char **words = NULL;
        _cleanup_free_ char *split = NULL, *set_path = NULL;
        const char *skill_path = path;

        /* -S first (after flags without a value, "-vS"), or env takes ARG whole */
        if (!startswith(arg, "--split-string=") &&
            !(arg[0] == '-' && arg[1] != '-' && arg[1 + strspn(arg + 1, "iv0")] == 'S'))
                return arg[0] == '-' || strchr(arg, '=') ? -ENOENT : find_in_path(arg, path, ret);

        /* split at blanks, a tab as a space; the words below read the -S option itself again */
        split = strdup(arg);
        if (!split)
                return -ENOMEM;
        for (char *t = split; (t = strchr(t, '\t')); t++)
                *t = ' ';
        int r = strv_split(split, ' ', &words);
        if (r < 0)
                return r;
        for (char **w = words; w && *w; w++) {
                const char *word = *w, *v;

                /* Options, in a cluster ("-vi", "-iuPATH", "-vu PATH", "-iS"), and -S's string
                 * glued to its option ("--split-string=python3", "-Spython3"): its first word is
                 * env's next one. */
                const char *glued = startswith(word, "--split-string=");
                if (!glued && word[0] == '-' && word[1] && word[1] != '-') {
                        size_t k = 1 + strspn(word + 1, "iv0");
                        if (memchr(word + 1, 'i', k - 1))
                                path = EXECDEPS_UNSET_PATH; /* -i: an empty environment */
                        if (word[k] == 'S' && word[k + 1])
                                glued = word + k + 1;
                        else if (word[k] && strchr("uCaP", word[k])) {
                                /* an option that takes a value, in this word or the next: -u NAME,
                                 * -C DIR, -a ARG (coreutils 9.6; -P PATH: BSD's), none of them a
                                 * program */
                                const char *val = word[k + 1] ? word + k + 1 : w[1] ? *++w : "";
                                if (word[k] == 'u' && streq(val, "PATH"))
                                        path = EXECDEPS_UNSET_PATH;
                                continue;
                        }
                }
                if (glued)
                        word = glued;
                if (streq(word, "-") || streq(word, "--ignore-environment") || streq(word, "--unset=PATH")) {
                        path = EXECDEPS_UNSET_PATH;
                        continue;
                }
                /* the long options that take a value in the next word (--unset NAME, --chdir DIR,
                 * --argv0 ARG): that word is no program. Others and empty words are skipped;
                 * "NAME=VALUE" too, but PATH's is where the program is looked up. */
                if ((streq(word, "--unset") || streq(word, "--chdir") || streq(word, "--argv0")) && w[1]) {
                        if (streq(word, "--unset") && streq(w[1], "PATH"))
                                path = EXECDEPS_UNSET_PATH;
                        w++;
                        continue;
                }
                if ((v = startswith(word, "PATH="))) {
                        free(set_path);
                        path = set_path = env_path_value(v, skill_path);
                        if (!set_path)
                                return -ENOMEM;
                        continue;
                }
                if (*word == 0 || *word == '-' || strchr(word, '='))
                        continue;
                return find_in_path(word, path, ret);
        }
        return -ENOENT;
}

int execdeps_collect(const char *command, const char *path, char ***ret, unsigned *ret_via_env,
                     unsigned *ret_env_needs) {
        _cleanup_strv_free_ char **deps = NULL;
        unsigned via_env = 0, env_needs = 0;
        char buf[EXECDEPS_HEAD];
        int r;

        r = strv_extend(&deps, command);
        if (r < 0)
                return r;

        /* deps doubles as the work queue: every file in it is examined once, and what it needs is
         * appended. Bounded like the kernel's interpreter nesting (plus the loaders). */
        for (size_t i = 0; i < 2 * EXECDEPS_MAX_DEPTH && deps[i]; i++) {
                _cleanup_free_ char *interp = NULL, *arg = NULL, *prog = NULL;
                size_t len;

                if (read_head(deps[i], buf, sizeof(buf), &len) < 0)
                        continue;

                r = execdeps_parse_shebang(buf, len, &interp, &arg);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0) {
                        const char *base = strrchr(interp, '/');
                        /* "#!/usr/bin/env python3": env runs a program found in PATH, follow it */
                        if (arg && streq(base ? base + 1 : interp, "env")) {
                                r = env_program(arg, path, &prog);
                                if (r == -ENOMEM)
                                        return r;
                        }
                } else {
                        r = execdeps_parse_elf_interp(buf, len, &interp);
                        if (r == -ENOMEM)
                                return r;
                }

                /* what env's program needs, env executes too (its execvp() fails, not the kernel's
                 * execve of the command) */
                bool by_env = (via_env | env_needs) & (1u << i);
                if (interp && !strv_contains(deps, interp)) {
                        r = strv_extend(&deps, interp);
                        if (r < 0)
                                return r;
                        if (by_env)
                                env_needs |= 1u << (strv_length(deps) - 1);
                }
                if (prog && !strv_contains(deps, prog)) {
                        r = strv_extend(&deps, prog);
                        if (r < 0)
                                return r;
                        via_env |= 1u << (strv_length(deps) - 1);
                }
        }

        *ret = steal_pointer(&deps);
        if (ret_via_env)
                *ret_via_env = via_env;
        if (ret_env_needs)
                *ret_env_needs = env_needs;
        return 0;
}
