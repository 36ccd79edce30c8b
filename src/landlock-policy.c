/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The filesystem half of the policies (design §5): which paths a skill may read, execute and
 * write, said as landlock rules. Landlock can only allow, so "all of /etc but the secrets" is
 * every entry of /etc but those, one rule each. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>

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

typedef struct Secrets {
        const char *names[ELEMENTSOF(etc_secrets) + 2]; /* + tokens dir and config file below /etc */
        size_t n;
        char buf[2][PATH_MAX];
        const char *files[2];    /* absolute: tokens file, config file */
} Secrets;

/* 'rel' below /etc, or NULL. */
static const char *below_etc(const char *path) {
        const char *r = startswith(path, "/etc/");
        return r && *r ? r : NULL;
}

static void secrets_init(Secrets *sec, const Settings *s) {
        *sec = (Secrets) {};
        for (size_t i = 0; i < ELEMENTSOF(etc_secrets); i++)
                sec->names[sec->n++] = etc_secrets[i];

        /* The tokens file's whole directory (credentials often come in pairs) and the config. */
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
}

typedef struct SkipCtx {
        const Secrets *sec;
        const char *prefix; /* the directory being listed, relative to /etc ("" for /etc) */
        LandlockRuleset *rs;
        uint64_t access;
        int error;
} SkipCtx;

static int allow_etc_dir(LandlockRuleset *rs, const Secrets *sec, const char *rel, uint64_t access);

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

        for (size_t i = 0; i < ctx->sec->n; i++) {
                bool below;
                if (!matches(ctx->prefix, name, ctx->sec->names[i], &below))
                        continue;
                if (below && ctx->error >= 0) {
                        /* A secret lies deeper: allow this directory's other entries instead. */
                        char sub[PATH_MAX];
                        if (snprintf(sub, sizeof(sub), "%s%s%s", ctx->prefix, *ctx->prefix ? "/" : "", name) >=
                            (int) sizeof(sub))
                                ctx->error = -ENAMETOOLONG;
                        else {
                                int r = allow_etc_dir(ctx->rs, ctx->sec, sub, ctx->access);
                                if (r < 0 && r != -ENOENT && r != -ENOTDIR)
                                        ctx->error = r;
                        }
                }
                return true;
        }
        return false;
}

static int allow_etc_dir(LandlockRuleset *rs, const Secrets *sec, const char *rel, uint64_t access) {
        char path[PATH_MAX];
        SkipCtx ctx = { .sec = sec, .prefix = rel, .rs = rs, .access = access };
        int r;

        if (snprintf(path, sizeof(path), "/etc%s%s", *rel ? "/" : "", rel) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        r = landlock_ruleset_allow_entries(rs, path, access, skip_secret, &ctx);
        return r < 0 ? r : ctx.error;
}

/* Would allowing 'path' (a whole tree) expose the tokens or the config file? */
static bool exposes_secret(const Secrets *sec, const char *path) {
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
        return false;
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
 * operator listing "/etc" or "/" surely did not mean the tokens. */
static int check_manifest_paths(const Secrets *sec, const Manifest *m, char **ret_error) {
        for (unsigned w = 0; w < 2; w++)
                for (char **p = w ? m->write_paths : m->read_paths; p && *p; p++)
                        if (exposes_secret(sec, *p))
                                return set_error(ret_error, -EPERM, "%s path '%s' would expose skillrun's tokens or configuration",
                                                 w ? "write" : "read", *p);
        return 0;
}

int landlock_policy_check(const Settings *s, const Manifest *m, char **ret_error) {
        Secrets sec;

        secrets_init(&sec, s);
        return check_manifest_paths(&sec, m, ret_error);
}

static int allow_manifest_paths(LandlockRuleset *rs, const Secrets *sec, const Manifest *m, char **ret_error) {
        int r = check_manifest_paths(sec, m, ret_error);

        if (r < 0)
                return r;
        for (unsigned w = 0; w < 2; w++)
                for (char **p = w ? m->write_paths : m->read_paths; p && *p; p++) {
                        r = allow_optional(rs, *p, w ? LL_FS_ALL : LL_FS_READ_EXEC);
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
                if (!exposes_secret(sec, own)) {
                        r = allow_optional(rs, own, LL_FS_READ_EXEC);
                        if (r < 0)
                                return r;
                }
        }
        r = allow_manifest_paths(rs, sec, m, ret_error);
        if (r < 0)
                return r;
        return landlock_ruleset_allow_path(rs, AT_FDCWD, workdir, LL_FS_ALL);
}

static int landlock_permissive(LandlockRuleset *rs, const Secrets *sec, const Manifest *m, const char *workdir,
                               char **ret_error) {
        int r;

        r = allow_list(rs, system_dirs, ELEMENTSOF(system_dirs), LL_FS_READ_EXEC);
        if (r < 0)
                return r;
        r = allow_etc_dir(rs, sec, "", LL_FS_READ);
        if (r < 0)
                return r;
        r = allow_devices(rs);
        if (r < 0)
                return r;
        r = allow_list(rs, proc_files, ELEMENTSOF(proc_files), LL_FS_READ_FILE);
        if (r < 0)
                return r;
        r = allow_list(rs, proc_dirs, ELEMENTSOF(proc_dirs), LL_FS_READ);
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
        r = allow_list(rs, library_dirs, ELEMENTSOF(library_dirs), LL_FS_READ_EXEC);
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
        Secrets sec;

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
