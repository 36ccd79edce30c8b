/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the filesystem policies keep out of a skill's reach, and where it really is: the host's
 * secrets below /etc, skillrun's own files (tokens, configuration, the operator's manifests)
 * wherever they live, symlinks resolved. landlock-policy.c turns this into rules. */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "settings.h"

/* A secret that does not lie below /etc, by canonical path, with the identity of each of its
 * ancestors ("/a", "/a/b", …, itself): a tree the policy would allow whole is compared with
 * those by the fstat its rule needs anyway. */
#define SECRET_DEPTH_MAX 32
typedef struct SecretOutside {
        const char *path;
        size_t n;
        struct {
                dev_t dev;
                ino_t ino;
                size_t len; /* path[0..len) names it */
        } at[SECRET_DEPTH_MAX];
} SecretOutside;

typedef struct Secrets {
        const char **names;  /* relative to /etc: as given, as resolved, and each link on the way */
        size_t n_names, n_names_alloc;
        char buf[2][PATH_MAX];
        const char *files[2]; /* absolute, as given: tokens file, config file */
        char **canon;        /* every secret resolved (owned; names and outside point into them) */
        size_t n_canon, n_canon_alloc;
        SecretOutside *outside;
        size_t n_outside, n_outside_alloc;
        char **links;        /* the symlinks on the way to a secret, their directories resolved (owned) */
        size_t n_links, n_links_alloc;
        int error;           /* -ENOMEM while recording: nothing may then be allowed */
} Secrets;

void secrets_init(Secrets *sec, const Settings *s);
void secrets_done(Secrets *sec);

/* The canonical path of what fd (O_PATH, opened from 'path') names: its /proc link, or without
 * /proc 'path' resolved again and checked to be the same inode (-ESTALE if not). */
int secrets_canonical_of(int fd, const char *path, char buf[static PATH_MAX]);

/* Would a rule on canonical 'target' (a whole tree) reach a secret, or is it one? */
bool secrets_reached_by(const Secrets *sec, const char *target);

/* Would allowing 'path' (a whole tree; 'canon' its resolved form, or NULL) expose skillrun's
 * files: the tokens or config file as given, or any secret kept out as resolved? */
bool secrets_exposed_by(const Secrets *sec, const char *path, const char *canon);

/* Does 'path' lead, through a symlink (anyone's, anywhere on the way, its targets' own
 * included), into something kept out ('canon' its resolved form, or NULL)? Named as it
 * is, a file inside a hidden directory is the operator's choice; arrived at by a link, not. */
bool secrets_entered_by(const Secrets *sec, const char *path, const char *canon);

/* Is 'path' (one of the policy's own trees, as written) inside something kept out? */
bool secrets_contain(const Secrets *sec, const char *path);

/* For a tree the policy allows whole, the file st describes: 2 when it is a secret itself, 1 when
 * secrets lie below it (each relative to it, at most n, in ret_below; their count in ret_n), 0
 * when it holds none. */
int secrets_in_tree(const Secrets *sec, const struct stat *st, const char **ret_below, size_t n, size_t *ret_n);
