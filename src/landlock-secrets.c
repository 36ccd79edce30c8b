/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a filesystem policy keeps out, found where it really is. Names below /etc are matched by
 * the /etc walk; everything is also resolved, because a symlink, or an install prefix outside
 * /etc, can put it in a tree the policy allows whole (/usr/local/etc for --prefix=/usr/local). */
#include <dirent.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "landlock-secrets.h"
#include "manifest.h"
#include "util.h"

/* Paths below /etc that a skill never reads, even where file modes would let it (the skill may
 * share the worker's uid): relative to /etc. */
static const char *const etc_secrets[] = {
        "skillrun", /* our own configuration, tokens and manifests */
        "shadow", "shadow-", "gshadow", "gshadow-", "sudoers", "sudoers.d",
        "ssh",      /* host keys */
        "ssl/private", "pki/tls/private", "credstore", "credstore.encrypted",
        "krb5.keytab", "wireguard", "ipsec.secrets", "letsencrypt",
};

/* Grow *array (of elem-sized items) to hold one more; false (and sec->error) when out of memory. */
static bool grow(Secrets *sec, void **array, size_t n, size_t *n_alloc, size_t elem) {
        if (n < *n_alloc)
                return true;
        size_t want = MAX(*n_alloc * 2, (size_t) 8);
        void *p = reallocarray(*array, want, elem);
        if (!p) {
                sec->error = -ENOMEM;
                return false;
        }
        *array = p;
        *n_alloc = want;
        return true;
}

static void name_add(Secrets *sec, const char *rel) {
        if (grow(sec, (void **) &sec->names, sec->n_names, &sec->n_names_alloc, sizeof(*sec->names)))
                sec->names[sec->n_names++] = rel;
}

/* realpath(), noting an out-of-memory failure: a secret not resolved is one not kept out. */
static char *resolve(Secrets *sec, const char *path) {
        char *r = realpath(path, NULL);
        if (!r && errno == ENOMEM)
                sec->error = -ENOMEM;
        return r;
}

/* 'rel' below /etc, or NULL. */
static const char *below_etc(const char *path) {
        const char *r = startswith(path, "/etc/");
        return r && *r ? r : NULL;
}

static void outside_add(Secrets *sec, const char *canon) {
        char buf[PATH_MAX];
        size_t len = strlen(canon);
        SecretOutside *o;

        if (len >= sizeof(buf) ||
            !grow(sec, (void **) &sec->outside, sec->n_outside, &sec->n_outside_alloc, sizeof(*sec->outside)))
                return;
        o = &sec->outside[sec->n_outside];
        *o = (SecretOutside) { .path = canon };
        memcpy(buf, canon, len + 1);
        for (size_t i = 1; i <= len && o->n < SECRET_DEPTH_MAX; i++) {
                struct stat st;

                if (canon[i] != '/' && canon[i] != 0)
                        continue;
                buf[i] = 0;
                /* the last one as it is: a link (secret_links()) is itself, not where it leads */
                if ((i < len ? stat(buf, &st) : lstat(buf, &st)) >= 0)
                        o->at[o->n++] = (typeof(o->at[0])) { .dev = st.st_dev, .ino = st.st_ino, .len = i };
                buf[i] = canon[i];
        }
        if (o->n > 0)
                sec->n_outside++;
}

static void hidden_dir_links(Secrets *sec, const char *dir);

/* What the walks keep out, 'path' (kept): by name when below /etc, else by identity. */
static void place_add(Secrets *sec, const char *path) {
        const char *rel = below_etc(path);

        if (rel)
                name_add(sec, rel);
        else
                outside_add(sec, path);
}

/* Record a symlink on the way to a secret (its directory resolved), as secret_add() does the
 * secret. */
static void link_add(Secrets *sec, const char *path) {
        char *p;

        for (size_t i = 0; i < sec->n_links; i++)
                if (streq(path, sec->links[i]))
                        return;
        if (!grow(sec, (void **) &sec->links, sec->n_links, &sec->n_links_alloc, sizeof(*sec->links)))
                return;
        p = strdup(path);
        if (!p) {
                sec->error = -ENOMEM;
                return;
        }
        sec->links[sec->n_links++] = p;
        place_add(sec, p);
}

/* The directory 'at' holds the link of (its first len bytes, "" for /) is root's to change alone
 * (or sticky): elsewhere a root's link is anyone's to bring there, renamed from beside it. */
static bool root_only_dir(char *at, size_t len) {
        struct stat d;
        char c = at[len];
        int r;

        at[len] = 0;
        r = lstat(len ? at : "/", &d);
        at[len] = c;
        return r >= 0 && S_ISDIR(d.st_mode) && d.st_uid == 0 &&
               (!(d.st_mode & (S_IWGRP | S_IWOTH)) || (d.st_mode & S_ISVTX));
}

/* Every symlink 'path' leads through to a secret, where it lies: /etc/zz-skills -> zz-skills-real,
 * a chain /etc/zz-sr -> zz-sr2 -> /usr/local/etc/sr, a key's link in /etc/ssh going on through
 * /etc. None gets a rule (skip_link(), or landlock resolving it onto what is kept out), but a
 * copy made of one ("zz-skills.bak", "zz-sr2~") is a copy of the secret: recorded as names of
 * it, so that the copies beside every name of a secret are kept out, not only those beside the
 * name it has where it is. The path is walked as the kernel walks it, one lstat a component,
 * in 'at' (PATH_MAX): true when it was walked to its end, 'at' then where it leads ("" for /)
 * and *st what is there. root_only (the host's secrets): false at a symlink not root's, or in a
 * directory not root's alone, before recording it; whoever owns it chose where it leads, and
 * would choose what is kept out. */
static bool links_walk(Secrets *sec, const char *path, bool root_only, char *at, struct stat *st) {
        char todo[PATH_MAX], target[PATH_MAX];
        const char *p = todo;
        unsigned links = 0;
        bool st_at = false; /* *st is at's */

        at[0] = 0;
        if (strlen(path) >= sizeof(todo) || path[0] != '/')
                return false;
        strcpy(todo, path);
        for (;;) {
                size_t n, len = strlen(at), left;
                ssize_t l;

                p += strspn(p, "/");
                if (*p == 0)
                        return st_at || lstat(at[0] ? at : "/", st) >= 0;
                n = strcspn(p, "/");
                if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
                        char *slash = strrchr(at, '/');
                        if (n == 2 && slash)
                                *slash = 0;
                        p += n;
                        st_at = st_at && n == 1;
                        continue;
                }
                if (len + 1 + n >= PATH_MAX)
                        return false;
                at[len] = '/';
                memcpy(at + len + 1, p, n);
                at[len + 1 + n] = 0;
                p += n;
                if (lstat(at, st) < 0)
                        return false;
                if (!S_ISLNK(st->st_mode)) {
                        /* "file/": no file for the kernel (ENOTDIR) */
                        if (*p == '/' && !S_ISDIR(st->st_mode))
                                return false;
                        st_at = true;
                        continue;
                }
                if (root_only && (st->st_uid != 0 || !root_only_dir(at, len)))
                        return false;
                l = readlink(at, target, sizeof(target) - 1);
                if (l <= 0 || ++links > 40)
                        return false;
                link_add(sec, at);
                /* the target, then what was left (empty, or from a '/'), from the link's
                 * directory, or from / */
                left = strlen(p);
                if ((size_t) l + left >= sizeof(todo))
                        return false;
                memmove(todo + l, p, left + 1);
                memcpy(todo, target, l);
                p = todo;
                at[target[0] == '/' ? 0 : len] = 0;
                st_at = false;
        }
}

/* A host secret through its symlinks, root's alone (links_walk()): where it leads, or NULL;
 * *st what is there. */
static char *host_secret_resolved(Secrets *sec, const char *path, struct stat *st) {
        char at[PATH_MAX], *r;

        if (!links_walk(sec, path, true, at, st))
                return NULL;
        r = strdup(at[0] ? at : "/");
        if (!r)
                sec->error = -ENOMEM;
        return r;
}

/* Record a resolved secret (taking 'real'): by name when below /etc, else by identity. "/" and
 * "/etc" themselves cannot be kept out without taking everything. scan: a directory whose
 * symlinks lead to what it holds (hidden_dir_links()), read once, when first recorded. */
static void secret_add(Secrets *sec, char *real, bool scan) {
        if (!real)
                return;
        for (size_t i = 0; i < sec->n_canon; i++)
                if (streq(real, sec->canon[i])) {
                        free(real);
                        return;
                }
        if (streq(real, "/") || streq(real, "/etc") ||
            !grow(sec, (void **) &sec->canon, sec->n_canon, &sec->n_canon_alloc, sizeof(*sec->canon))) {
                free(real);
                return;
        }
        sec->canon[sec->n_canon++] = real;
        place_add(sec, real);
        if (scan)
                hidden_dir_links(sec, real);
}

/* The links on the way to one of skillrun's files, as configured ('real': where it resolved, or
 * NULL): whoever owns them already decides skillrun's tokens and manifests. Resolved as written
 * (the usual layout), it has none, and there is nothing to walk. */
static void secret_links(Secrets *sec, const char *path, const char *real) {
        _cleanup_free_ char *lex = real ? path_lexical(path) : NULL;
        char at[PATH_MAX];
        struct stat st;

        if (lex && streq(real, lex))
                return;
        (void) links_walk(sec, path, false, at, &st);
}

static bool named_skillrun(const char *dir) {
        const char *slash = strrchr(dir, '/');
        return streq(slash ? slash + 1 : dir, "skillrun");
}

/* The directory part of a lexical path, or NULL (none, or "/"). */
static char *dir_of(const char *path) {
        const char *slash = strrchr(path, '/');
        return slash && slash != path ? strndup(path, slash - path) : NULL;
}

/* One of skillrun's files where its bytes are, and the directories it is kept in when those are
 * skillrun's own: named "skillrun" (as `make install` lays out any sysconfdir; it holds the
 * operator's manifests), or, with any_in_etc, anywhere below /etc (credentials come in pairs).
 * The directory is judged as the path names it and as the resolved file lies, by both names. */
static void secret_file(Secrets *sec, const char *path, bool any_in_etc) {
        _cleanup_free_ char *lex = path_lexical(path), *given = lex ? dir_of(lex) : NULL;
        char *real = resolve(sec, path);

        if (!lex)
                sec->error = -ENOMEM;
        secret_links(sec, path, real);
        if (given) {
                char *d = resolve(sec, given);
                if (d && (named_skillrun(given) || named_skillrun(d) ||
                          (any_in_etc && (below_etc(given) || below_etc(d)))))
                        secret_add(sec, d, true);
                else
                        free(d);
        }
        if (real) {
                char *d = dir_of(real);
                if (d && (named_skillrun(d) || (any_in_etc && below_etc(d))))
                        secret_add(sec, steal_pointer(&d), true);
                free(d);
                secret_add(sec, real, false);
        }
}

/* A hidden directory's symlinks (one level: a Stow-style manifest, a key or a second credential
 * kept elsewhere) lead out of it: where they land on a regular file through root's links alone,
 * that is kept out too. */
static void hidden_dir_links(Secrets *sec, const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char buf[8192] __attribute__((aligned(8)));
        struct stat dst;

        /* only a directory that root alone writes to: elsewhere anyone could plant links to
         * what every skill needs (libc), and have it hidden */
        if (fd < 0 || fstat(fd, &dst) < 0 || dst.st_uid != 0 || (dst.st_mode & (S_IWGRP | S_IWOTH)))
                return;
        for (;;) {
                long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
                if (n <= 0)
                        return;
                for (long off = 0; off < n;) {
                        struct dirent64 *de = (struct dirent64 *) (buf + off);
                        char path[PATH_MAX], *real;
                        struct stat st;

                        off += de->d_reclen;
                        if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
                                continue;
                        if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int) sizeof(path))
                                continue;
                        /* a link to a directory (/usr/lib, say) would hide what every skill
                         * needs; one not root's, whatever its owner points it to */
                        if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode) ||
                            st.st_uid != 0 || fstatat(fd, de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
                                continue;
                        /* through root's links alone, and (not changed meanwhile) to a file */
                        real = host_secret_resolved(sec, path, &st);
                        if (real && !S_ISREG(st.st_mode)) {
                                free(real);
                                continue;
                        }
                        secret_add(sec, real, false);
                }
        }
}

/* The host's secrets are named below /etc, but a symlink on the way (/etc/ssh -> /usr/local/etc/ssh,
 * /etc/ssl/private -> /srv/keys) puts them elsewhere: where any component is one, the secret is
 * resolved and kept out where it lands, through root's links alone. lstat only, unless a symlink is
 * found. */
static void etc_secret_resolved(Secrets *sec, const char *name) {
        char path[PATH_MAX];
        int n = snprintf(path, sizeof(path), "/etc/%s", name);

        if (n < 0 || (size_t) n >= sizeof(path))
                return;
        for (char *p = path + 5;; p++) {
                struct stat st;
                char c = *p;

                if (c != '/' && c != 0)
                        continue;
                *p = 0;
                int r = lstat(path, &st);
                *p = c;
                if (r < 0)
                        return; /* not there: nothing below it either */
                if (S_ISLNK(st.st_mode)) {
                        /* the whole name, through root's links */
                        secret_add(sec, host_secret_resolved(sec, path, &st), true);
                        return;
                }
                if (c == 0) {
                        /* a real directory: what its symlinks point to is what it holds */
                        if (S_ISDIR(st.st_mode))
                                hidden_dir_links(sec, path);
                        return;
                }
        }
}

/* An operator's skills directory ('given', resolved: 'real'). One that is "/" or "/etc" itself
 * cannot be hidden whole: then its manifests are, one by one. */
static void skills_dir(Secrets *sec, const char *given, char *real) {
        if (streq(real, "/") || streq(real, "/etc")) {
                DIR *d = opendir(real);
                struct dirent *de;
                while (d && (de = readdir(d))) {
                        char path[PATH_MAX];
                        if (manifest_file_name(de->d_name) &&
                            snprintf(path, sizeof(path), "%s/%s", streq(real, "/") ? "" : real, de->d_name) <
                                    (int) sizeof(path))
                                secret_add(sec, resolve(sec, path), false);
                }
                if (d)
                        closedir(d);
                free(real);
                return;
        }
        secret_links(sec, given, real);
        secret_add(sec, real, true);
}

void secrets_init(Secrets *sec, const Settings *s) {
        *sec = (Secrets) {};
        for (size_t i = 0; i < ELEMENTSOF(etc_secrets); i++)
                name_add(sec, etc_secrets[i]);

        /* As given: the tokens file's whole directory (credentials often come in pairs), and the
         * config. */
        if (s->tokens_file) {
                const char *rel = below_etc(s->tokens_file);
                const char *slash = rel ? strrchr(rel, '/') : NULL;
                if (slash && (size_t) (slash - rel) < sizeof(sec->buf[0])) {
                        memcpy(sec->buf[0], rel, slash - rel);
                        sec->buf[0][slash - rel] = 0;
                        name_add(sec, sec->buf[0]);
                } else if (rel)
                        name_add(sec, rel);
        }
        if (s->config_path) {
                const char *rel = below_etc(s->config_path);
                if (rel && strlen(rel) < sizeof(sec->buf[1])) {
                        strcpy(sec->buf[1], rel);
                        name_add(sec, sec->buf[1]);
                }
        }
        sec->files[0] = s->tokens_file;
        sec->files[1] = s->config_path;

        /* As resolved: where the bytes are. */
        for (size_t i = 0; i < ELEMENTSOF(etc_secrets); i++)
                etc_secret_resolved(sec, etc_secrets[i]);
        if (s->tokens_file)
                secret_file(sec, s->tokens_file, true);
        if (s->config_path)
                secret_file(sec, s->config_path, false);
        /* The operator's manifests (other skills' env and token lists). The packaged ones under
         * DATADIR are public and not walked around (/usr/share is big). */
        for (char **d = s->skills_dirs; d && *d; d++) {
                char *real = resolve(sec, *d);
                if (!real)
                        continue;
                /* the packaged directory itself, however written; not one that links elsewhere */
                if (streq(real, DATADIR "/skillrun/skills")) {
                        free(real);
                        continue;
                }
                skills_dir(sec, *d, real);
        }

        /* The runs' work dirs: another run's files are not this skill's (all run as run_user).
         * Its symlinks unread: /tmp's are anybody's to plant. */
        if (s->work_dir)
                secret_add(sec, resolve(sec, s->work_dir), false);
}

void secrets_done(Secrets *sec) {
        for (size_t i = 0; i < sec->n_canon; i++)
                free(sec->canon[i]);
        free(sec->canon);
        for (size_t i = 0; i < sec->n_links; i++)
                free(sec->links[i]);
        free(sec->links);
        free(sec->names);
        free(sec->outside);
        *sec = (Secrets) {};
}

int secrets_canonical_of(int fd, const char *path, char buf[static PATH_MAX]) {
        char link[sizeof("/proc/self/fd/") + 12];
        struct stat a, b;
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, buf, PATH_MAX - 1);
        if (n > 0 && buf[0] == '/') {
                buf[n] = 0;
                return 0;
        }
        /* Without /proc: resolved again, which is only what fd names if nothing moved meanwhile */
        if (!realpath(path, buf))
                return -errno;
        if (fstat(fd, &a) < 0 || stat(buf, &b) < 0)
                return -errno;
        if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return -ESTALE;
        return 0;
}

bool secrets_reached_by(const Secrets *sec, const char *target) {
        if (path_at_or_below("/etc", target))
                return true; /* "/" or "/etc" */
        for (size_t i = 0; i < sec->n_canon; i++)
                if (path_at_or_below(sec->canon[i], target) || path_at_or_below(target, sec->canon[i]))
                        return true;
        return false;
}

bool secrets_exposed_by(const Secrets *sec, const char *path, const char *canon) {
        size_t n = strlen(path);

        /* Where a path leads elsewhere than it says (a symlink on the way, maybe a skill's own in a
         * write path), it must not lead to, into or above a host secret of /etc either: naming
         * /etc/ssh in read_paths is the operator's choice, arriving there by a link is not. */
        if (canon) {
                _cleanup_free_ char *lex = path_lexical(path);
                if (!lex || !streq(lex, canon))
                        for (size_t i = 0; i < ELEMENTSOF(etc_secrets); i++) {
                                char abs[PATH_MAX];
                                snprintf(abs, sizeof(abs), "/etc/%s", etc_secrets[i]);
                                if (path_at_or_below(canon, abs) || path_at_or_below(abs, canon))
                                        return true;
                        }
        }

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

bool secrets_entered_by(const Secrets *sec, const char *path, const char *canon) {
        _cleanup_free_ char *lex = NULL;

        if (!canon)
                return false;
        lex = path_lexical(path);
        /* as written: the operator's choice (a file of a hidden directory named on purpose) */
        if (lex && streq(lex, canon))
                return false;
        return secrets_contain(sec, canon);
}

bool secrets_contain(const Secrets *sec, const char *path) {
        for (size_t i = 0; i < sec->n_canon; i++)
                if (path_at_or_below(path, sec->canon[i]))
                        return true;
        return false;
}

int secrets_in_tree(const Secrets *sec, const struct stat *st, const char **ret_below, size_t n, size_t *ret_n) {
        size_t k = 0;

        for (size_t i = 0; i < sec->n_outside; i++) {
                const SecretOutside *o = &sec->outside[i];
                for (size_t j = 0; j < o->n; j++) {
                        if (o->at[j].dev != st->st_dev || o->at[j].ino != st->st_ino)
                                continue;
                        if (o->path[o->at[j].len] == 0)
                                return 2;
                        if (k < n)
                                ret_below[k++] = o->path + o->at[j].len + 1;
                        break;
                }
        }
        *ret_n = k;
        return k > 0;
}
