/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The filesystem half of the policies (design §5): which paths a skill may read, execute and
 * write, said as landlock rules. Landlock can only allow, so "all of /etc but the secrets" is
 * every entry of /etc but those, one rule each. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "execdeps.h"
#include "landlock-policy.h"
#include "landlock-secrets.h"
#include "util.h"

/* Read-only /proc files that leak nothing about other processes; /proc/<pid> and /proc/self are
 * not here (landlock cannot name "self" for a pid not yet known, and allowing /proc whole would
 * show every other process' command line). */
static const char *const proc_files[] = {
        "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/uptime", "/proc/loadavg", "/proc/version",
        "/proc/filesystems",
};
/* /proc/sys read-only, but for /proc/sys/net without the network: no netlink socket, no
 * interface names, neighbour tables or conntrack counts by another way either. */
static const char *const proc_dirs[] = {
        "/proc/sys/kernel", "/proc/sys/vm", "/proc/sys/fs", "/proc/sys/user", "/proc/sys/abi",
        "/proc/sys/dev", "/proc/sys/debug", "/sys/devices/system/cpu",
};
static const char *const proc_dirs_network[] = {
        "/proc/sys", "/sys/devices/system/cpu",
};

static const char *const system_dirs[] = {
        "/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin",
};

static const char *const library_dirs[] = {
        "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/local/lib", "/lib", "/lib64", "/lib32",
};

/* Interpreters' own libraries that Debian keeps outside the library dirs, arch-independent:
 * Perl's core modules (perl-modules-5.x: JSON::PP, Time::Local, HTTP::Tiny, …), its vendor and
 * local ones, and Tcl's init.tcl and clock. Read only: nothing there is the skill's to execute. */
static const char *const interpreter_dirs[] = {
        "/usr/share/perl", "/usr/share/perl5", "/usr/local/share/perl", "/usr/share/tcltk",
};

/* How deep a walk around a secret goes (about 30 KiB of stack a level) before it hides the rest. */
#define WALK_DEPTH_MAX 16

typedef struct SkipCtx {
        const Secrets *sec;
        const char *root;   /* the tree being walked: "/etc", or a system tree */
        const char *const *names; /* to leave out, relative to root */
        size_t n_names;
        const char *prefix; /* the directory being listed, relative to root ("" for root) */
        unsigned depth;     /* of prefix */
        LandlockRuleset *rs;
        uint64_t access;
        int error;
} SkipCtx;

static int allow_dir_except(LandlockRuleset *rs, const Secrets *sec, const char *root, const char *const *names,
                            size_t n_names, const char *rel, unsigned depth, uint64_t access);

/* Whether entry 'name' is a secret's component 'comp' (its first 'cl' bytes) or a copy of it
 * that an editor, dpkg, ucf, rpm, shadow-utils or an operator leaves next to it: "shadow-",
 * "shadow+", "skillrun.conf~", ".dpkg-old", ".bak", vim's ".skillrun.conf.swp", emacs's
 * "#skillrun.conf#" and ".#skillrun.conf": the name, maybe after a leading ".", ".#" or "#",
 * then nothing or one of "~.-_#+" and anything. The name is tried as it is too: a secret whose
 * own name starts with "." (".tokens") is that name, not "tokens". */
static bool copy_of(const char *name, const char *comp, size_t cl) {
        static const char *const leads[] = { "", ".#", ".", "#" };

        for (size_t i = 0; i < ELEMENTSOF(leads); i++) {
                const char *n = startswith(name, leads[i]);
                if (n && strncmp(n, comp, cl) == 0 && (n[cl] == 0 || strchr("~.-_#+", n[cl])))
                        return true;
        }
        return false;
}

/* Compare "prefix/name" with a secret without building the string. A copy of a secret's last
 * component is the secret: hidden whole. So is a copy of a directory on the way to one
 * ("ssl.bak" of "ssl/private"): a backup holds the secret too, wherever in it. */
static bool matches(const char *prefix, const char *name, const char *secret, bool *ret_below) {
        size_t pl = strlen(prefix), nl = strlen(name);

        *ret_below = false;
        if (pl > 0) {
                if (strncmp(secret, prefix, pl) != 0 || secret[pl] != '/')
                        return false;
                secret += pl + 1;
        }
        if (strncmp(secret, name, nl) == 0 && secret[nl] == '/') {
                *ret_below = true;
                return true;
        }
        const char *slash = strchr(secret, '/');
        return copy_of(name, secret, slash ? (size_t) (slash - secret) : strlen(secret));
}

typedef enum EntryVerdict {
        ENTRY_ALLOWED, /* a rule of its own */
        ENTRY_HIDDEN,
        ENTRY_WALKED,  /* its entries are judged in turn */
} EntryVerdict;

/* What the walk around the secrets (names, relative to root) does with entry 'name' of the
 * directory 'prefix' ("" for root itself, 'depth' deep): allowed; hidden, as a secret or a copy
 * of one (whatever lies below it is hidden with it); or, on the way to a secret deeper, walked,
 * 'sub' (PATH_MAX) then naming it relative to root. So deep a walk (each level costs stack and
 * rules) hides the rest of the way instead: fail closed. Only a real directory is walked:
 * through a symlink the walk would allow the entries of wherever it points (a link to / gives
 * everything), a name given through it having made it look like the way to a secret. The
 * rules and check's prediction (tree_grants()) both ask this. */
static EntryVerdict entry_verdict(const char *root, const char *const *names, size_t n_names, const char *prefix,
                                  unsigned depth, const char *name, char sub[static PATH_MAX]) {
        char full[PATH_MAX];
        bool deeper = false;
        struct stat st;

        for (size_t i = 0; i < n_names; i++) {
                bool below;
                if (matches(prefix, name, names[i], &below)) {
                        if (!below)
                                return ENTRY_HIDDEN;
                        deeper = true;
                }
        }
        if (!deeper)
                return ENTRY_ALLOWED;
        if (depth + 1 >= WALK_DEPTH_MAX)
                return ENTRY_HIDDEN;
        if (snprintf(sub, PATH_MAX, "%s%s%s", prefix, *prefix ? "/" : "", name) >= PATH_MAX ||
            snprintf(full, sizeof(full), "%s/%s", root, sub) >= (int) sizeof(full))
                return ENTRY_HIDDEN; /* too long to walk */
        if (lstat(full, &st) < 0 || !S_ISDIR(st.st_mode))
                return ENTRY_HIDDEN;
        return ENTRY_WALKED;
}

static bool skip_secret(const char *name, void *userdata) {
        SkipCtx *ctx = userdata;
        char sub[PATH_MAX];

        switch (entry_verdict(ctx->root, ctx->names, ctx->n_names, ctx->prefix, ctx->depth, name, sub)) {
        case ENTRY_ALLOWED:
                return false;
        case ENTRY_HIDDEN:
                return true;
        case ENTRY_WALKED:
                break;
        }
        /* a secret lies deeper: this directory's other entries are allowed instead */
        if (ctx->error < 0)
                return true;
        int r = allow_dir_except(ctx->rs, ctx->sec, ctx->root, ctx->names, ctx->n_names, sub, ctx->depth + 1,
                                 ctx->access);
        if (r < 0 && r != -ENOENT && r != -ENOTDIR)
                ctx->error = r;
        return true;
}

/* A symlink among the entries: its rule would land on its target, which may be anywhere. One
 * into /etc needs none (the target's own entry has its rule); one onto a secret, or onto a
 * tree holding one, gets none. Unresolvable: none either. */
static bool skip_link(int fd, const char *path, void *userdata) {
        SkipCtx *ctx = userdata;
        char target[PATH_MAX];

        if (secrets_canonical_of(fd, path, target) < 0)
                return true;
        /* resolved here, /proc/self is the worker's (/etc/mtab): nothing the skill should get */
        if (path_at_or_below(target, "/proc"))
                return true;
        return path_at_or_below(target, "/etc") || secrets_reached_by(ctx->sec, target);
}

static int allow_dir_except(LandlockRuleset *rs, const Secrets *sec, const char *root, const char *const *names,
                            size_t n_names, const char *rel, unsigned depth, uint64_t access) {
        char path[PATH_MAX];
        SkipCtx ctx = { .sec = sec, .root = root, .names = names, .n_names = n_names, .prefix = rel, .depth = depth,
                        .rs = rs, .access = access };
        /* Below a system tree the whole-tree rule never reached a symlink's target (landlock
         * checks where a path resolves to): walking it must not start to, and no link there
         * gets a rule (skip_link() is never asked). Only /etc's are followed, as resolv.conf
         * and the like may point out of it. */
        LandlockEntryFilter filter = { .skip = skip_secret, .skip_link = skip_link,
                                       .no_links = !streq(root, "/etc"), .userdata = &ctx };
        int r;

        if (snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        r = landlock_ruleset_allow_entries(rs, path, access, &filter);
        return r < 0 ? r : ctx.error;
}

static int allow_etc(LandlockRuleset *rs, const Secrets *sec, uint64_t access) {
        return allow_dir_except(rs, sec, "/etc", sec->names, sec->n_names, "", 0, access);
}

/* How allow_tree() grants 'path', a tree the policy allows whole (system, library and /proc
 * directories): 0 not at all (missing, or inside a hidden directory: /usr/local/lib when the
 * tokens' directory is /usr/local); 1 whole, one rule on *ret_fd (*ret_st its stat); 2 its
 * entries but the configured secrets inside it, those relative to it in *ret_below (allocated,
 * *ret_n of them). */
static int tree_plan(const Secrets *sec, const char *path, int *ret_fd, struct stat *ret_st, const char ***ret_below,
                     size_t *ret_n) {
        _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
        const char **below;
        int r;

        *ret_fd = -1;
        *ret_below = NULL;
        *ret_n = 0;
        if (fd < 0)
                return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? 0 : negative_errno();
        if (secrets_contain(sec, path))
                return 0;
        if (fstat(fd, ret_st) < 0)
                return negative_errno();
        if (sec->n_outside > 0) {
                below = calloc(sec->n_outside, sizeof(*below));
                if (!below)
                        return -ENOMEM;
                r = secrets_in_tree(sec, ret_st, below, sec->n_outside, ret_n);
                if (r == 1) {
                        *ret_below = below;
                        *ret_fd = TAKE_FD(fd);
                        return 2;
                }
                free(below);
                *ret_n = 0;
                if (r == 2)
                        return 0; /* the secret itself */
        }
        *ret_fd = TAKE_FD(fd);
        return 1;
}

/* A tree the policy allows whole: one rule, unless a configured secret lives inside it, then
 * its entries but the secret. Missing: nothing. */
static int allow_tree(LandlockRuleset *rs, const Secrets *sec, const char *path, uint64_t access) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ const char **below = NULL;
        size_t n_below = 0;
        struct stat st;
        int r;

        r = tree_plan(sec, path, &fd, &st, &below, &n_below);
        if (r <= 0)
                return r;
        if (r == 2)
                return allow_dir_except(rs, sec, path, below, n_below, "", 0, access);
        r = landlock_ruleset_allow_fd(rs, fd, S_ISDIR(st.st_mode), access);
        if (r < 0)
                return r;
        landlock_ruleset_hold_fd(rs, TAKE_FD(fd));
        return 0;
}

/* Does allow_tree()'s rule for 'path' reach canonical 'canon': the tree whole, or an entry its
 * walk around the secrets allows, on canon's way? Each component as the walk judges it (a
 * canonical path has no symlink on the way, which the walk would give no rule). */
static bool tree_grants(const Secrets *sec, const char *path, const char *canon) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ const char **below = NULL;
        char real[PATH_MAX], prefix[PATH_MAX] = "";
        size_t n_below = 0;
        unsigned depth = 0;
        struct stat st;
        const char *rest;
        int plan;

        plan = tree_plan(sec, path, &fd, &st, &below, &n_below);
        if (plan <= 0 || secrets_canonical_of(fd, path, real) < 0 || !(rest = path_below(canon, real)))
                return false;
        if (plan == 1)
                return true;
        /* rest: "" (the tree itself, which the walk gives no rule) or "/a/b…" */
        while (*rest == '/') {
                char name[NAME_MAX + 1], sub[PATH_MAX];
                size_t n = strcspn(++rest, "/");

                if (n == 0 || n > NAME_MAX)
                        return false;
                memcpy(name, rest, n);
                name[n] = 0;
                rest += n;
                switch (entry_verdict(path, below, n_below, prefix, depth, name, sub)) {
                case ENTRY_ALLOWED:
                        return true;
                case ENTRY_HIDDEN:
                        return false;
                case ENTRY_WALKED:
                        strcpy(prefix, sub);
                        depth++;
                        break;
                }
        }
        return false;
}

static int allow_trees(LandlockRuleset *rs, const Secrets *sec, const char *const *paths, size_t n, uint64_t access) {
        for (size_t i = 0; i < n; i++) {
                int r = allow_tree(rs, sec, paths[i], access);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int allow_optional(LandlockRuleset *rs, const char *path, uint64_t access) {
        int r = landlock_ruleset_allow_path(rs, AT_FDCWD, path, access);
        return r == -ENOENT || r == -ENOTDIR || r == -EACCES ? 0 : r;
}

static int allow_list(LandlockRuleset *rs, const char *const *paths, size_t n, uint64_t access) {
        for (size_t i = 0; i < n; i++) {
                int r = allow_optional(rs, paths[i], access);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The manifest's own paths. A path that would expose skillrun's secrets is refused: an
 * operator listing "/etc" or "/" surely did not mean the tokens, nor a symlink to their
 * directory. */
static int refuse_exposing(const char *path, bool write, char **ret_error) {
        return set_error(ret_error, -EPERM,
                         "%s: '%s' would expose what skillrun keeps out (its tokens, configuration, "
                         "manifests or other runs' work dirs)",
                         write ? "write_paths" : "read_paths", path);
}

/* open(path, O_PATH) one component at a time, following symlinks as the kernel does, noting in
 * *ret_foreign whether one of them, in the path as written or in a link's target (an operator's
 * root link onto a link a skill planted in its write path), is not root's. The links noted are
 * those the returned fd was reached through, however they are swapped meanwhile. */
static int open_noting_links(const char *path, bool *ret_foreign) {
        char todo[PATH_MAX], target[PATH_MAX];
        _cleanup_close_ int dfd = -1;
        unsigned links = 0;
        const char *p = todo;

        *ret_foreign = false;
        if (strlen(path) >= sizeof(todo))
                return -ENAMETOOLONG;
        strcpy(todo, path);
        dfd = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        for (;;) {
                _cleanup_close_ int fd = -1;
                char comp[NAME_MAX + 1];
                struct stat st;
                size_t n, left;
                ssize_t l;

                n = strspn(p, "/");
                p += n;
                if (*p == 0) {
                        /* a '/' after the last component asks for a directory ("file/" is
                         * ENOTDIR to the kernel: it grants nothing) */
                        if (n > 0 && fstat(dfd, &st) >= 0 && !S_ISDIR(st.st_mode))
                                return -ENOTDIR;
                        return TAKE_FD(dfd);
                }
                n = strcspn(p, "/");
                if (n > NAME_MAX)
                        return -ENAMETOOLONG;
                memcpy(comp, p, n);
                comp[n] = 0;
                p += n;
                /* an O_PATH open does not trigger an automount point (x-systemd.automount), a
                 * path walk through it does: a stat without AT_NO_AUTOMOUNT does it here */
                (void) fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW);
                fd = openat(dfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &st) < 0)
                        return negative_errno();
                if (!S_ISLNK(st.st_mode)) {
                        (void) close(dfd);
                        dfd = TAKE_FD(fd);
                        continue;
                }

                if (st.st_uid != 0)
                        *ret_foreign = true;
                l = readlinkat(fd, "", target, sizeof(target) - 1);
                if (l < 0)
                        return negative_errno();
                if (l == 0)
                        return -ENOENT;
                if (++links > 40)
                        return -ELOOP;
                /* the target, then what was left of the path (empty, or from a '/'); a relative
                 * target goes on from the link's directory (dfd), an absolute one from / */
                left = strlen(p);
                if ((size_t) l + left >= sizeof(todo))
                        return -ENAMETOOLONG;
                memmove(todo + l, p, left + 1);
                memcpy(todo, target, l);
                p = todo;
                if (target[0] == '/') {
                        (void) close(dfd);
                        dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (dfd < 0)
                                return negative_errno();
                }
        }
}

static int check_manifest_path(const Secrets *sec, const char *path, bool write, char **ret_error) {
        _cleanup_free_ char *canon = NULL;
        _cleanup_close_ int fd = -1;
        bool foreign = false;

        /* as a run takes it: through a symlink not root's, in the path as written or in a root
         * link's target, it grants nothing and fails nothing */
        fd = open_noting_links(path, &foreign);
        if (foreign)
                return 0;
        canon = realpath(path, NULL);
        if (secrets_exposed_by(sec, path, canon) || secrets_entered_by(sec, path, canon))
                return refuse_exposing(path, write, ret_error);
        return 0;
}

static int check_manifest_paths(const Secrets *sec, const Manifest *m, char **ret_error) {
        for (unsigned w = 0; w < 2; w++)
                for (char **p = w ? m->write_paths : m->read_paths; p && *p; p++) {
                        int r = check_manifest_path(sec, *p, w, ret_error);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int landlock_policy_check(const Secrets *sec, const Manifest *m, char **ret_error) {
        if (sec->error < 0)
                return sec->error;
        return check_manifest_paths(sec, m, ret_error);
}

/* A path the rules name on purpose (the manifest's, the skill's own directory): opened first,
 * then judged by where the open fd leads, so that what is checked is what is granted even if a
 * symlink on the way is swapped meanwhile. 1: granted, its fd in *ret_fd; 0: missing (grants
 * nothing); -EXDEV: through a symlink not root's; -ESTALE: where it leads cannot be told;
 * -EPERM: it would expose a secret (ret_canon says where it leads). */
static int open_granted(const Secrets *sec, const char *path, bool manifest, char ret_canon[static PATH_MAX],
                        int *ret_fd) {
        _cleanup_close_ int fd = -1;
        bool foreign = false;

        *ret_fd = -1;
        /* The walk notes the owner of every link it follows, in the path as written and inside
         * a root link's target (the operator's link onto one a skill planted in its write path):
         * through one not root's, the path grants nothing wherever it leads, even where the walk
         * then failed, so that no such link can stop a skill either. */
        fd = open_noting_links(path, &foreign);
        if (foreign)
                return -EXDEV;
        /* missing, or unreachable (a loop, a path too long): grants nothing, as before it existed */
        if (fd < 0)
                return fd == -ENOENT || fd == -ENOTDIR || fd == -EACCES || fd == -ELOOP || fd == -ENAMETOOLONG ? 0 : fd;
        if (secrets_canonical_of(fd, path, ret_canon) < 0)
                return -ESTALE; /* cannot tell where it leads (or it moved): not granted */
        /* A manifest path led by root's links into what is kept out: the skill's own directory
         * lies inside its skills directory on purpose. */
        if (secrets_exposed_by(sec, path, ret_canon) || (manifest && secrets_entered_by(sec, path, ret_canon)))
                return -EPERM;
        *ret_fd = TAKE_FD(fd);
        return 1;
}

/* open_granted()'s path, given its rule: 1 granted, else what open_granted() said. */
static int allow_resolved(LandlockRuleset *rs, const Secrets *sec, const char *path, uint64_t access,
                          bool manifest, char ret_canon[static PATH_MAX]) {
        _cleanup_close_ int fd = -1;
        int r;

        r = open_granted(sec, path, manifest, ret_canon, &fd);
        if (r <= 0)
                return r;
        r = landlock_ruleset_allow_fd(rs, fd, -1, access);
        if (r < 0)
                return r;
        landlock_ruleset_hold_fd(rs, TAKE_FD(fd));
        return 1;
}

static int allow_manifest_paths(LandlockRuleset *rs, const Secrets *sec, const Manifest *m, char **ret_error) {
        for (unsigned w = 0; w < 2; w++)
                for (char **p = w ? m->write_paths : m->read_paths; p && *p; p++) {
                        char canon[PATH_MAX];
                        int r = allow_resolved(rs, sec, *p, w ? LL_FS_ALL : LL_FS_READ_EXEC, true, canon);
                        if (r == -EPERM)
                                return refuse_exposing(*p, w, ret_error);
                        if (r == -ESTALE)
                                return set_error(ret_error, -EPERM,
                                                 "%s: cannot tell where '%s' leads (it moved, or no /proc)",
                                                 w ? "write_paths" : "read_paths", *p);
                        /* A symlink not root's (a skill's own, or anybody's in /tmp where the path
                         * does not exist yet) grants nothing, as a missing path: refusing the run
                         * would let any local user stop a skill. */
                        if (r < 0 && r != -EXDEV)
                                return r;
                }
        return 0;
}

static int allow_devices(LandlockRuleset *rs) {
        static const char *const readable[] = { "/dev/zero", "/dev/random", "/dev/urandom", "/dev/full" };
        int r;

        /* IOCTL_DEV so that isatty() and friends answer ENOTTY as usual, not EACCES. */
        r = allow_optional(rs, "/dev/null", LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV);
        if (r < 0)
                return r;
        return allow_list(rs, readable, ELEMENTSOF(readable), LL_FS_READ_FILE | LL_FS_IOCTL_DEV);
}

/* The skill's own directory, "<manifest dir>/<name>", in *ret (allocated): 1, or 0 with NULL when
 * the manifest was not loaded from a directory; -ENOMEM. */
static int skill_own_dir(const Manifest *m, char **ret) {
        *ret = NULL;
        if (!m->dir || !m->name)
                return 0;
        if (asprintf(ret, "%s/%s", m->dir, m->name) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 1;
}

/* What every policy grants last: the skill's own directory "<manifest dir>/<name>/" (where a
 * packaged skill keeps its scripts, unless that would expose a secret), the manifest's paths,
 * and the run's work dir. Never the manifest directory itself: other skills' manifests, their
 * env and token lists, are not this skill's to read. */
static int allow_skill_paths(LandlockRuleset *rs, const Secrets *sec, const Manifest *m, const char *workdir,
                             char **ret_error) {
        _cleanup_free_ char *own = NULL;
        int r;

        r = skill_own_dir(m, &own);
        if (r < 0)
                return r;
        if (r > 0) {
                char canon[PATH_MAX];
                r = allow_resolved(rs, sec, own, LL_FS_READ_EXEC, false, canon);
                if (r < 0 && r != -EPERM && r != -ESTALE && r != -EXDEV) /* not granted, nothing more */
                        return r;
        }
        r = allow_manifest_paths(rs, sec, m, ret_error);
        if (r < 0)
                return r;
        return landlock_ruleset_allow_path(rs, AT_FDCWD, workdir, LL_FS_ALL);
}

static int landlock_permissive(LandlockRuleset *rs, const Secrets *sec, const Manifest *m, const char *workdir,
                               char **ret_error) {
        int r;

        r = allow_trees(rs, sec, system_dirs, ELEMENTSOF(system_dirs), LL_FS_READ_EXEC);
        if (r < 0)
                return r;
        r = allow_etc(rs, sec, LL_FS_READ);
        if (r < 0)
                return r;
        r = allow_devices(rs);
        if (r < 0)
                return r;
        r = allow_list(rs, proc_files, ELEMENTSOF(proc_files), LL_FS_READ_FILE);
        if (r < 0)
                return r;
        if (m->network)
                r = allow_trees(rs, sec, proc_dirs_network, ELEMENTSOF(proc_dirs_network), LL_FS_READ);
        else
                r = allow_trees(rs, sec, proc_dirs, ELEMENTSOF(proc_dirs), LL_FS_READ);
        if (r < 0)
                return r;
        return allow_skill_paths(rs, sec, m, workdir, ret_error);
}

/* Is a dependency at 'path' (canonical 'canon') one restrictive does not grant by itself: a
 * secret, or inside what is kept out? */
static bool dep_kept_out(const Secrets *sec, const char *path, const char *canon) {
        return secrets_exposed_by(sec, path, canon) || secrets_contain(sec, canon);
}

/* One of the command's dependencies (the program, its #! interpreters, their loader): named by
 * the skill's own files, so only ever a regular file, and never one of the secrets. */
static int allow_dep(LandlockRuleset *rs, const Secrets *sec, const char *path) {
        _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
        char canon[PATH_MAX];
        struct stat st;
        int r;

        if (fd < 0)
                return 0; /* missing: the execve will say so */
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return 0;
        if (secrets_canonical_of(fd, path, canon) < 0 || dep_kept_out(sec, path, canon))
                return 0;
        r = landlock_ruleset_allow_fd(rs, fd, 0, LL_FS_READ_FILE | LL_FS_EXECUTE);
        if (r < 0)
                return r;
        landlock_ruleset_hold_fd(rs, TAKE_FD(fd));
        return 0;
}

static int landlock_restrictive(LandlockRuleset *rs, const Secrets *sec, const Manifest *m, const char *workdir,
                                char **ret_error) {
        _cleanup_strv_free_ char **deps = NULL;
        int r;

        /* The command, its #! interpreters and its dynamic loader: read and execute. */
        r = execdeps_collect(m->command[0], manifest_skill_path(m), &deps, NULL, NULL);
        if (r < 0)
                return r;
        for (char **d = deps; *d; d++) {
                r = allow_dep(rs, sec, *d);
                if (r < 0)
                        return r;
        }
        /* Shared libraries (and an interpreter's own library tree, /usr/lib/python3*). */
        r = allow_trees(rs, sec, library_dirs, ELEMENTSOF(library_dirs), LL_FS_READ_EXEC);
        if (r < 0)
                return r;
        r = allow_trees(rs, sec, interpreter_dirs, ELEMENTSOF(interpreter_dirs), LL_FS_READ);
        if (r < 0)
                return r;
        r = allow_optional(rs, "/etc/ld.so.cache", LL_FS_READ_FILE);
        if (r < 0)
                return r;
        r = allow_optional(rs, "/etc/localtime", LL_FS_READ_FILE);
        if (r < 0)
                return r;
        /* the other time zones, for a TZ the manifest sets (glibc would silently take UTC) */
        r = allow_tree(rs, sec, "/usr/share/zoneinfo", LL_FS_READ);
        if (r < 0)
                return r;
        r = allow_devices(rs);
        if (r < 0)
                return r;
        return allow_skill_paths(rs, sec, m, workdir, ret_error);
}

int landlock_policy_build(LandlockRuleset *rs, const Settings *s, const Manifest *m, const char *workdir,
                          char **ret_error) {
        _cleanup_(secrets_done) Secrets sec;

        secrets_init(&sec, s);
        if (sec.error < 0)
                return sec.error; /* a secret not recorded could not be kept out */
        switch (m->policy) {
        case POLICY_PERMISSIVE:
                return landlock_permissive(rs, &sec, m, workdir, ret_error);
        case POLICY_RESTRICTIVE:
                return landlock_restrictive(rs, &sec, m, workdir, ret_error);
        default:
                return -EINVAL;
        }
}

/* Does one of the system trees, as landlock_permissive() grants them, reach canonical 'canon'? */
static bool system_grants(const Secrets *sec, const char *canon) {
        for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++)
                if (tree_grants(sec, system_dirs[i], canon))
                        return true;
        return false;
}

/* Is canonical 'canon' at or below 'path', as allow_resolved() would grant it: never through a
 * symlink not root's, nor where 'path' would expose what is kept out? */
static bool granted_below(const Secrets *sec, const char *canon, const char *path, bool manifest) {
        _cleanup_close_ int fd = -1;
        char where[PATH_MAX];

        return open_granted(sec, path, manifest, where, &fd) > 0 && path_at_or_below(canon, where);
}

/* Granted by name, whatever else is kept out: the skill's own directory and the manifest's paths. */
static bool granted_by_name(const Secrets *sec, const Manifest *m, const char *canon) {
        _cleanup_free_ char *own = NULL;

        if (skill_own_dir(m, &own) > 0 && granted_below(sec, canon, own, false))
                return true;
        for (unsigned w = 0; w < 2; w++)
                for (char **p = w ? m->write_paths : m->read_paths; p && *p; p++)
                        if (granted_below(sec, canon, *p, true))
                                return true;
        return false;
}

int landlock_policy_unexecutable(const Secrets *sec, const Manifest *m, char **ret_path) {
        _cleanup_strv_free_ char **deps = NULL;
        unsigned via_env, env_needs;
        int r;

        *ret_path = NULL;
        if (m->policy != POLICY_PERMISSIVE && m->policy != POLICY_RESTRICTIVE)
                return 0;
        if (sec->error < 0)
                return sec->error;
        r = execdeps_collect(m->command[0], manifest_skill_path(m), &deps, &via_env, &env_needs);
        if (r < 0)
                return r;
        for (char **d = deps; *d; d++) {
                _cleanup_free_ char *canon = realpath(*d, NULL);
                bool granted;

                if (!canon)
                        continue; /* missing: check says so of the command and its #! interpreter */
                if (granted_by_name(sec, m, canon))
                        continue;
                if (m->policy == POLICY_PERMISSIVE)
                        granted = system_grants(sec, canon);
                else
                        granted = !dep_kept_out(sec, *d, canon);
                if (!granted) {
                        *ret_path = strdup(*d);
                        if (!*ret_path)
                                return -ENOMEM;
                        return via_env & (1u << (d - deps)) ? 2 : env_needs & (1u << (d - deps)) ? 3 : 1;
                }
        }
        return 0;
}
