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
#include "util.h"

/* Paths below /etc that a skill never reads, even where file modes would let it (the skill may
 * share the worker's uid): relative to /etc. An entry is skipped when it is listed, and
 * descended into (to allow its other entries) when a listed path lies below it. */
static const char *const etc_secrets[] = {
        "skillrun", /* our own configuration, tokens and manifests */
        "shadow", "shadow-", "gshadow", "gshadow-", "sudoers", "sudoers.d",
        "ssh",      /* host keys */
        "ssl/private", "pki/tls/private", "credstore", "credstore.encrypted",
        "krb5.keytab", "wireguard", "ipsec.secrets", "letsencrypt",
};

/* Read-only /proc files that leak nothing about other processes; /proc/<pid> and /proc/self are
 * not here (landlock cannot name "self" for a pid not yet known, and allowing /proc whole would
 * show every other process' command line). */
static const char *const proc_files[] = {
        "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/uptime", "/proc/loadavg", "/proc/version",
        "/proc/filesystems",
};
static const char *const proc_dirs[] = {
        "/proc/sys", "/sys/devices/system/cpu",
};

static const char *const system_dirs[] = {
        "/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin",
};

static const char *const library_dirs[] = {
        "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/local/lib", "/lib", "/lib64", "/lib32",
};

/* A configured secret outside /etc (a tokens file under /usr/local/etc, say, or in the
 * credentials directory), by canonical path, with the identity of each of its ancestors: a tree
 * the policy would allow whole is checked against those with the fstat it needs anyway. */
#define OUTSIDE_DEPTH_MAX 32
/* How deep a walk around a secret goes (about 30 KiB of stack a level) before it hides the rest. */
#define WALK_DEPTH_MAX 16
typedef struct Outside {
        const char *path;
        size_t n;
        struct {
                dev_t dev;
                ino_t ino;
                size_t len; /* path[0..len) names it */
        } at[OUTSIDE_DEPTH_MAX];
} Outside;

/* Operator-named skills directories kept out, after which more are not (a list that long is
 * not a real configuration; the packaged one is public and never counted). */
#define SKILLS_DIRS_MAX 8
/* The tokens file, its directory as given and as resolved; the same three for the config file;
 * the skills directories. */
#define CONFIGURED_MAX (6 + SKILLS_DIRS_MAX)

typedef struct Secrets {
        /* relative to /etc: the fixed list, and skillrun's own files as given and as resolved */
        const char *names[ELEMENTSOF(etc_secrets) + 2 + CONFIGURED_MAX];
        size_t n;
        char buf[2][PATH_MAX];
        const char *files[2];       /* absolute, as given: tokens file, config file */
        char *canon[CONFIGURED_MAX]; /* every secret resolved (owned; names and outside point here) */
        size_t n_canon;
        Outside outside[CONFIGURED_MAX];
        size_t n_outside;
} Secrets;

static void secrets_done(Secrets *sec) {
        for (size_t i = 0; i < sec->n_canon; i++)
                free(sec->canon[i]);
        sec->n_canon = 0;
}

/* 'rel' below /etc, or NULL. */
static const char *below_etc(const char *path) {
        const char *r = startswith(path, "/etc/");
        return r && *r ? r : NULL;
}

/* Is 'path' 'top' or below it? Both canonical. */
static bool path_at_or_below(const char *path, const char *top) {
        const char *r = streq(top, "/") ? path : startswith(path, top);
        return r && (*r == 0 || *r == '/' || streq(top, "/"));
}

/* Record the identities of canon's ancestors ("/a", "/a/b", …) and of canon itself. */
static void outside_add(Secrets *sec, const char *canon) {
        Outside *o = &sec->outside[sec->n_outside];
        char buf[PATH_MAX];
        size_t len = strlen(canon);

        *o = (Outside) { .path = canon };
        memcpy(buf, canon, len + 1);
        for (size_t i = 1; i <= len && o->n < OUTSIDE_DEPTH_MAX; i++) {
                struct stat st;

                if (canon[i] != '/' && canon[i] != 0)
                        continue;
                buf[i] = 0;
                if (stat(buf, &st) >= 0)
                        o->at[o->n++] = (typeof(o->at[0])) { .dev = st.st_dev, .ino = st.st_ino, .len = i };
                buf[i] = canon[i];
        }
        if (o->n > 0)
                sec->n_outside++;
}

/* Record a resolved secret (taking 'real'): by name when below /etc, else by identity. */
static void secret_add(Secrets *sec, char *real) {
        const char *rel;

        if (!real)
                return;
        /* a file inside a directory already kept out stays listed: read paths are judged against it */
        for (size_t i = 0; i < sec->n_canon; i++)
                if (streq(real, sec->canon[i])) {
                        free(real);
                        return;
                }
        if (sec->n_canon >= CONFIGURED_MAX || streq(real, "/") || streq(real, "/etc")) {
                free(real);
                return;
        }
        sec->canon[sec->n_canon++] = real;
        rel = below_etc(real);
        if (rel)
                sec->names[sec->n++] = rel;
        else
                outside_add(sec, real);
}

static bool named_skillrun(const char *dir) {
        const char *slash = strrchr(dir, '/');
        return streq(slash ? slash + 1 : dir, "skillrun");
}

/* One of skillrun's files, where its bytes really are, and the directories it is kept in when
 * those are skillrun's own: named "skillrun" (as `make install` lays out any sysconfdir; it holds
 * the operator's manifests), or, with any_in_etc, anywhere below /etc. The directory is judged
 * both as the path names it and as the resolved file lies. */
static void secret_file(Secrets *sec, const char *path, bool any_in_etc) {
        char *real = realpath(path, NULL);
        const char *slash = strrchr(path, '/');

        if (slash && slash != path) {
                _cleanup_free_ char *given = strndup(path, slash - path);
                char *d = given ? realpath(given, NULL) : NULL;
                if (d && (named_skillrun(given) || named_skillrun(d) || (any_in_etc && below_etc(d))))
                        secret_add(sec, d);
                else
                        free(d);
        }
        if (real) {
                char *d = strdup(real);
                char *ds = d ? strrchr(d, '/') : NULL;
                if (ds && ds != d) {
                        *ds = 0;
                        if (named_skillrun(d) || (any_in_etc && below_etc(d)))
                                secret_add(sec, steal_pointer(&d));
                }
                free(d);
                secret_add(sec, real);
        }
}

static void secrets_init(Secrets *sec, const Settings *s) {
        size_t n_skills = 0;

        *sec = (Secrets) {};
        for (size_t i = 0; i < ELEMENTSOF(etc_secrets); i++)
                sec->names[sec->n++] = etc_secrets[i];

        /* As given: the tokens file's whole directory (credentials often come in pairs), and the
         * config. */
        if (s->tokens_file) {
                const char *rel = below_etc(s->tokens_file);
                const char *slash = rel ? strrchr(rel, '/') : NULL;
                if (slash && (size_t) (slash - rel) < sizeof(sec->buf[0])) {
                        memcpy(sec->buf[0], rel, slash - rel);
                        sec->buf[0][slash - rel] = 0;
                        sec->names[sec->n++] = sec->buf[0];
                } else if (rel)
                        sec->names[sec->n++] = rel;
        }
        if (s->config_path) {
                const char *rel = below_etc(s->config_path);
                if (rel && strlen(rel) < sizeof(sec->buf[1])) {
                        strcpy(sec->buf[1], rel);
                        sec->names[sec->n++] = sec->buf[1];
                }
        }
        sec->files[0] = s->tokens_file;
        sec->files[1] = s->config_path;

        /* As resolved: where the bytes are. Symlinks, or a prefix outside /etc, put them under
         * a tree the policy allows whole (/usr/local/etc for a --prefix=/usr/local build). */
        if (s->tokens_file)
                secret_file(sec, s->tokens_file, true);
        if (s->config_path)
                secret_file(sec, s->config_path, false);
        /* The operator's manifests (other skills' env and token lists), wherever they are. The
         * packaged ones under DATADIR are public and not walked around (/usr/share is big). */
        for (char **d = s->skills_dirs; d && *d && n_skills < SKILLS_DIRS_MAX; d++) {
                if (streq(*d, DATADIR "/skillrun/skills"))
                        continue;
                n_skills++;
                secret_add(sec, realpath(*d, NULL));
        }
}

/* A symlink's canonical target: from the fd's /proc link, or resolved again without /proc. */
static int canonical_of(int fd, const char *path, char buf[static PATH_MAX]) {
        char link[sizeof("/proc/self/fd/") + 12];
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, buf, PATH_MAX - 1);
        if (n > 0 && buf[0] == '/') {
                buf[n] = 0;
                return 0;
        }
        /* Without /proc: resolved again, which is only what fd names if nothing moved meanwhile */
        struct stat a, b;
        if (!realpath(path, buf))
                return -errno;
        if (fstat(fd, &a) < 0 || stat(buf, &b) < 0)
                return -errno;
        if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return -ESTALE;
        return 0;
}

/* Would a rule on canonical 'target' (a whole tree) reach a secret, or is it a secret? */
static bool reaches_secret(const Secrets *sec, const char *target) {
        if (path_at_or_below("/etc", target))
                return true; /* "/" or "/etc" */
        for (size_t i = 0; i < sec->n_outside; i++)
                if (path_at_or_below(sec->outside[i].path, target) || path_at_or_below(target, sec->outside[i].path))
                        return true;
        return false;
}

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

/* Compare "prefix/name" with a secret without building the string. */
static bool matches(const char *prefix, const char *name, const char *secret, bool *ret_below) {
        size_t pl = strlen(prefix), nl = strlen(name);

        *ret_below = false;
        if (pl > 0) {
                if (strncmp(secret, prefix, pl) != 0 || secret[pl] != '/')
                        return false;
                secret += pl + 1;
        }
        if (strncmp(secret, name, nl) != 0)
                return false;
        if (secret[nl] == 0)
                return true;
        if (secret[nl] == '/') {
                *ret_below = true;
                return true;
        }
        return false;
}

static bool skip_secret(const char *name, void *userdata) {
        SkipCtx *ctx = userdata;
        bool deeper = false;

        /* the entry itself is a secret: whatever lies below it is hidden with it */
        for (size_t i = 0; i < ctx->n_names; i++) {
                bool below;
                if (matches(ctx->prefix, name, ctx->names[i], &below)) {
                        if (!below)
                                return true;
                        deeper = true;
                }
        }
        if (!deeper)
                return false;

        /* A secret lies deeper: allow this directory's other entries instead. So deep a walk
         * (each level costs stack and rules) hides the rest of the way instead: fail closed. */
        if (ctx->depth + 1 >= WALK_DEPTH_MAX || ctx->error < 0)
                return true;
        char sub[PATH_MAX], full[PATH_MAX];
        struct stat st;
        if (snprintf(sub, sizeof(sub), "%s%s%s", ctx->prefix, *ctx->prefix ? "/" : "", name) >= (int) sizeof(sub) ||
            snprintf(full, sizeof(full), "%s/%s", ctx->root, sub) >= (int) sizeof(full))
                return true; /* too long to walk: hidden */
        /* Only a real directory is walked: through a symlink the walk would allow the entries of
         * wherever it points (a link to / gives everything), a name given through it having made
         * it look like the way to a secret. */
        if (lstat(full, &st) < 0 || !S_ISDIR(st.st_mode))
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

        /* Below a system tree the whole-tree rule never reached a symlink's target (landlock
         * checks where a path resolves to): walking it must not start to. Only /etc's are
         * followed, as resolv.conf and the like may point out of it. */
        if (!streq(ctx->root, "/etc"))
                return true;
        if (canonical_of(fd, path, target) < 0)
                return true;
        return path_at_or_below(target, "/etc") || reaches_secret(ctx->sec, target);
}

static int allow_dir_except(LandlockRuleset *rs, const Secrets *sec, const char *root, const char *const *names,
                            size_t n_names, const char *rel, unsigned depth, uint64_t access) {
        char path[PATH_MAX];
        SkipCtx ctx = { .sec = sec, .root = root, .names = names, .n_names = n_names, .prefix = rel, .depth = depth,
                        .rs = rs, .access = access };
        LandlockEntryFilter filter = { .skip = skip_secret, .skip_link = skip_link, .userdata = &ctx };
        int r;

        if (snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        r = landlock_ruleset_allow_entries(rs, path, access, &filter);
        return r < 0 ? r : ctx.error;
}

static int allow_etc(LandlockRuleset *rs, const Secrets *sec, uint64_t access) {
        return allow_dir_except(rs, sec, "/etc", sec->names, sec->n, "", 0, access);
}

/* Would allowing 'path' (a whole tree) expose skillrun's files? Lexically, the tokens and
 * config files as given; and as resolved, when 'canon' is, any of them or the directories kept
 * out with them. */
static bool exposes_secret(const Secrets *sec, const char *path, const char *canon) {
        size_t n = strlen(path);

        while (n > 1 && path[n - 1] == '/')
                n--;
        for (size_t i = 0; i < ELEMENTSOF(sec->files); i++) {
                const char *f = sec->files[i];
                if (!f)
                        continue;
                if (n == 1 && path[0] == '/')
                        return true;
                if (strncmp(f, path, n) == 0 && (f[n] == 0 || f[n] == '/'))
                        return true;
        }
        for (size_t i = 0; canon && i < sec->n_canon; i++)
                if (path_at_or_below(sec->canon[i], canon))
                        return true;
        return false;
}

/* A tree the policy allows whole (system, library and /proc directories): one rule, unless a
 * configured secret lives inside it, then its entries but the secret. Missing: nothing. */
static int allow_tree(LandlockRuleset *rs, const Secrets *sec, const char *path, uint64_t access) {
        _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
        const char *below[CONFIGURED_MAX];
        size_t n_below = 0;
        struct stat st;
        int r;

        if (fd < 0)
                return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? 0 : negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        for (size_t i = 0; i < sec->n_outside; i++) {
                const Outside *o = &sec->outside[i];
                for (size_t j = 0; j < o->n; j++) {
                        if (o->at[j].dev != st.st_dev || o->at[j].ino != st.st_ino)
                                continue;
                        if (o->path[o->at[j].len] == 0)
                                return 0; /* the secret itself */
                        below[n_below++] = o->path + o->at[j].len + 1;
                        break;
                }
        }
        if (n_below > 0)
                return allow_dir_except(rs, sec, path, below, n_below, "", 0, access);

        r = landlock_ruleset_allow_fd(rs, fd, S_ISDIR(st.st_mode), access);
        if (r < 0)
                return r;
        landlock_ruleset_hold_fd(rs, TAKE_FD(fd));
        return 0;
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
static int check_manifest_path(const Secrets *sec, const char *path, bool write, char **ret_canon, char **ret_error) {
        _cleanup_free_ char *canon = realpath(path, NULL);

        if (exposes_secret(sec, path, canon))
                return set_error(ret_error, -EPERM, "%s path '%s' would expose skillrun's tokens or configuration",
                                 write ? "write" : "read", path);
        if (ret_canon)
                *ret_canon = steal_pointer(&canon);
        return 0;
}

static int check_manifest_paths(const Secrets *sec, const Manifest *m, char **ret_error) {
        for (unsigned w = 0; w < 2; w++)
                for (char **p = w ? m->write_paths : m->read_paths; p && *p; p++) {
                        int r = check_manifest_path(sec, *p, w, NULL, ret_error);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int landlock_policy_check(const Settings *s, const Manifest *m, char **ret_error) {
        _cleanup_(secrets_done) Secrets sec;

        secrets_init(&sec, s);
        return check_manifest_paths(&sec, m, ret_error);
}

/* A path the rules name on purpose (the manifest's, the skill's own directory): opened first,
 * then judged by where the open fd leads, so that what is checked is what is granted even if a
 * symlink on the way is swapped meanwhile. 1: granted, 0: missing (grants nothing), -EPERM (with
 * *ret_canon set): it would expose a secret. */
static int allow_resolved(LandlockRuleset *rs, const Secrets *sec, const char *path, uint64_t access,
                          char ret_canon[static PATH_MAX]) {
        _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
        int r;

        /* missing, or unreachable (a loop, a path too long): grants nothing, as before it existed */
        if (fd < 0)
                return errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == ELOOP || errno == ENAMETOOLONG
                               ? 0
                               : negative_errno();
        if (canonical_of(fd, path, ret_canon) < 0)
                return -EPERM; /* cannot tell where it leads: not granted */
        if (exposes_secret(sec, path, ret_canon))
                return -EPERM;
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
                        int r = allow_resolved(rs, sec, *p, w ? LL_FS_ALL : LL_FS_READ_EXEC, canon);
                        if (r == -EPERM)
                                return set_error(ret_error, -EPERM,
                                                 "%s path '%s' would expose skillrun's tokens or configuration",
                                                 w ? "write" : "read", *p);
                        if (r < 0)
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

/* What every policy grants last: the skill's own directory "<manifest dir>/<name>/" (where a
 * packaged skill keeps its scripts, unless that would expose a secret), the manifest's paths,
 * and the run's work dir. Never the manifest directory itself: other skills' manifests, their
 * env and token lists, are not this skill's to read. */
static int allow_skill_paths(LandlockRuleset *rs, const Secrets *sec, const Manifest *m, const char *workdir,
                             char **ret_error) {
        int r;

        if (m->dir && m->name) {
                _cleanup_free_ char *own = NULL;
                if (asprintf(&own, "%s/%s", m->dir, m->name) < 0)
                        return -ENOMEM;
                char canon[PATH_MAX];
                r = allow_resolved(rs, sec, own, LL_FS_READ_EXEC, canon);
                if (r < 0 && r != -EPERM) /* one that would expose a secret is simply not granted */
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
        r = allow_trees(rs, sec, proc_dirs, ELEMENTSOF(proc_dirs), LL_FS_READ);
        if (r < 0)
                return r;
        return allow_skill_paths(rs, sec, m, workdir, ret_error);
}

static int landlock_restrictive(LandlockRuleset *rs, const Secrets *sec, const Manifest *m, const char *workdir,
                                char **ret_error) {
        _cleanup_strv_free_ char **deps = NULL;
        int r;

        /* The command, its #! interpreters and its dynamic loader: read and execute. */
        r = execdeps_collect(m->command[0], &deps);
        if (r < 0)
                return r;
        for (char **d = deps; *d; d++) {
                r = allow_optional(rs, *d, LL_FS_READ_FILE | LL_FS_EXECUTE);
                if (r < 0)
                        return r;
        }
        /* Shared libraries (and an interpreter's own library tree, /usr/lib/python3*). */
        r = allow_trees(rs, sec, library_dirs, ELEMENTSOF(library_dirs), LL_FS_READ_EXEC);
        if (r < 0)
                return r;
        r = allow_optional(rs, "/etc/ld.so.cache", LL_FS_READ_FILE);
        if (r < 0)
                return r;
        r = allow_optional(rs, "/etc/localtime", LL_FS_READ_FILE);
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
        switch (m->policy) {
        case POLICY_PERMISSIVE:
                return landlock_permissive(rs, &sec, m, workdir, ret_error);
        case POLICY_RESTRICTIVE:
                return landlock_restrictive(rs, &sec, m, workdir, ret_error);
        default:
                return -EINVAL;
        }
}
