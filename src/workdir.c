/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "log.h"
#include "workdir.h"

int workdir_create(const char *base, const char *run_id, Workdir *ret) {
        _cleanup_free_ char *path = NULL;
        mode_t mask;
        int fd, r;

        if (asprintf(&path, "%s/skillrun-%s", base, run_id) < 0)
                return -ENOMEM;
        /* 0700 whatever umask we inherited: under 0277 the skill could not write its work dir,
         * under 0777 not even enter it, nor could we open it without CAP_DAC_OVERRIDE */
        mask = umask(0077);
        r = mkdir(path, 0700) < 0 ? negative_errno() : 0;
        (void) umask(mask);
        if (r < 0)
                return r;
        /* A default ACL of the work root, not the umask, decides what mkdir's mode narrows: one
         * whose owner entry grants nothing leaves the directory mode 0, which a worker without
         * CAP_DAC_OVERRIDE cannot open. Its owner may set one, and a skill sharing that owner
         * (a worker under RuntimeDirectory=, or started by hand as the root's owner) can, as
         * landlock does not rule setxattr(2). So the owner's bits are given back for the open,
         * and an inherited ACL is dropped: the directory is plain 0700, what the skill makes
         * there follows its umask. */
        fd = open_dir_granting(AT_FDCWD, path, S_IRWXU);
        if (fd < 0) {
                (void) rmdir(path);
                return fd;
        }
        /* asked first: removing an ACL that is not there succeeds on some file systems (tmpfs) */
        if (fgetxattr(fd, "system.posix_acl_default", NULL, 0) >= 0) {
                (void) fremovexattr(fd, "system.posix_acl_default");
                log_warning("Work directory %s inherited a default ACL from its work root, which a skill may have set: "
                            "removed, with its access ACL, mode 0700", path);
                (void) fremovexattr(fd, "system.posix_acl_access");
                if (fchmod(fd, 0700) < 0) {
                        r = negative_errno();
                        close(fd);
                        (void) rmdir(path);
                        return r;
                }
        }
        ret->path = steal_pointer(&path);
        ret->fd = fd;
        return 0;
}

int workdir_populate(Workdir *w, const Manifest *m, const RunRequest *req, char **ret_code_path) {
        int r;

        for (size_t i = 0; i < req->n_files; i++) {
                r = write_file_at(w->fd, req->files[i].name, req->files[i].data, req->files[i].len, 0600);
                if (r < 0)
                        return r;
        }
        *ret_code_path = NULL;
        if (req->has_code) {
                const char *name = m->code_file ? m->code_file : "code";
                r = write_file_at(w->fd, name, req->code, req->code_len, 0600);
                if (r < 0)
                        return r;
                if (asprintf(ret_code_path, "%s/%s", w->path, name) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int workdir_chown(Workdir *w, uid_t uid, gid_t gid, bool contents) {
        DIR *d;
        struct dirent *de;
        int dfd, r = 0;

        if (fchown(w->fd, uid, gid) < 0)
                return negative_errno();
        if (!contents)
                return 0;
        /* only what we just wrote lives here: plain files, no subdirectories */
        dfd = fcntl(w->fd, F_DUPFD_CLOEXEC, 3);
        if (dfd < 0)
                return negative_errno();
        d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return negative_errno();
        }
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") &&
                    fchownat(w->fd, de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && r == 0)
                        r = negative_errno();
        closedir(d);
        return r;
}

/* The work root a run's directory 'path' lies in (allocated), and in *ret_name the directory's
 * own name there; NULL when path has no parent to name. */
static char *work_root_of(const char *path, const char **ret_name) {
        const char *slash = strrchr(path, '/');

        if (!slash || slash == path)
                return NULL;
        *ret_name = slash + 1;
        return strndup(path, (size_t) (slash - path));
}

/* Does name (relative to dfd, not followed) name the inode st describes? */
static bool names_inode_at(int dfd, const char *name, const struct stat *st) {
        struct stat now;
        return fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) >= 0 && now.st_dev == st->st_dev &&
               now.st_ino == st->st_ino;
}

static bool names_inode(const char *path, const struct stat *st) {
        return names_inode_at(AT_FDCWD, path, st);
}

/* Without /proc (a chroot that has none) the kernel cannot show where fd is: the work root's
 * entry that is the directory st describes, "base/name" (allocated), or NULL. */
static char *entry_naming(const char *base, const struct stat *st) {
        DIR *d = opendir(base);
        struct dirent *de;
        char *found = NULL;

        while (d && !found && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") && names_inode_at(dirfd(d), de->d_name, st) &&
                    asprintf(&found, "%s/%s", base, de->d_name) < 0)
                        found = NULL;
        if (d)
                closedir(d);
        return found;
}

/* Where the directory fd (st: its fstat) names now is, if it was renamed within the work root
 * that 'path' (its first name) lies in: a skill sharing the work root may have done that. NULL
 * otherwise: not moved, moved elsewhere, or removed (the kernel then shows its last path with
 * " (deleted)"). */
static char *moved_within(int fd, const struct stat *st, const char *path) {
        _cleanup_free_ char *dir = NULL, *base = NULL, *was = NULL;
        char proc[32], now[PATH_MAX];
        const char *name;
        ssize_t n;

        if (st->st_nlink == 0)
                return NULL;
        dir = work_root_of(path, &name);
        if (!dir)
                return NULL;
        base = realpath(dir, NULL); /* the kernel shows the fd's path resolved */
        if (!base || asprintf(&was, "%s/%s", base, name) < 0)
                return NULL;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, now, sizeof(now) - 1);
        if (n <= 0)
                /* no /proc: it was left behind, empty, wherever the skill had put it */
                return errno == ENOENT ? entry_naming(base, st) : NULL;
        now[n] = 0;
        const char *rel = path_below(now, base);
        if (!rel || rel[0] != '/' || strchr(rel + 1, '/') || streq(now, was))
                return NULL;
        return strdup(now);
}

/* The work root, if we own it, has every owner bit back. A worker that owns it (one under
 * RuntimeDirectory=, or started by hand as its owner) shares that owner with its skills, and
 * landlock does not rule chmod(2): a skill can take them away, and then neither its own work dir
 * can be removed nor any later run's made. Its path is ours (the skill cannot write its parent),
 * and changing its mode needs no bit of its own. */
static void work_root_grant(const char *path) {
        const char *name;
        _cleanup_free_ char *root = work_root_of(path, &name);
        struct stat st;

        if (!root || stat(root, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
            (st.st_mode & S_IRWXU) == S_IRWXU)
                return;
        log_warning("Work root %s has mode %04o, which a skill may have set: giving its owner rwx back", root,
                    (unsigned) (st.st_mode & 07777));
        (void) chmod(root, (st.st_mode & 07777) | S_IRWXU);
}

/* Why a work dir stays, where the error alone does not say it: rm_rf() answers EROFS for a
 * read-only btrfs snapshot (which any owner of a subvolume may make, but no skill under the
 * worker's seccomp filter) that it could not make writable. */
static const char *left_behind_why(int r) {
        return r == -EROFS ? " (a read-only btrfs snapshot in it that could not be made writable: that takes its owner"
                             " or CAP_FOWNER, read access to it and a worker without its own seccomp filter, which"
                             " refuses it; or a read-only file system)" : "";
}

void workdir_remove(Workdir *w) {
        bool emptied = false; /* the path still names the directory the fd emptied */
        struct stat was;

        /* The usual end: the skill left its work dir where it was, and empty (it wrote nothing, or
         * cleaned up): one rmdir, not the walk below (≈ 10 system calls fewer). */
        bool removed = w->fd >= 0 && w->path && fstat(w->fd, &was) >= 0 && names_inode(w->path, &was) &&
                       rmdir(w->path) >= 0;

        /* only when the root refused us: an operator's own mode for it is left alone otherwise */
        if (w->path && !removed && (errno == EACCES || errno == EPERM))
                work_root_grant(w->path);
        if (w->fd >= 0 && !removed) {
                /* Through the fd held since it was made first: the skill may have renamed its work
                 * dir (policy none, in a work root it may write to) and put anything at its path.
                 * Then the path, whatever is there, and the renamed directory, now empty. */
                (void) fchmod(w->fd, 0700);
                int r = rm_rf_contents(w->fd);
                /* where it is now, looked up last (and only when its path no longer leads to it);
                 * removed only if that name still is it */
                bool known = fstat(w->fd, &was) >= 0 && w->path;
                bool here = known && names_inode(w->path, &was);
                emptied = here && r >= 0;
                _cleanup_free_ char *moved = known && !here ? moved_within(w->fd, &was, w->path) : NULL;
                if (moved && names_inode(moved, &was) && rmdir(moved) < 0 && errno != ENOENT) {
                        r = r < 0 ? r : -errno; /* why it was not emptied, rather than "not empty" */
                        log_warning_errno(r, "Cannot remove work directory %s (moved from %s), left behind: %m%s",
                                          moved, w->path, left_behind_why(r));
                }
        }
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -1;
        if (w->path && !removed) {
                /* emptied through the fd: nothing left to walk a second time */
                int r = emptied && rmdir(w->path) >= 0 ? 0 : rm_rf(w->path);
                /* what the skill put at the path: a file, a symlink (never followed) */
                if ((r == -ENOTDIR || r == -ELOOP) && unlink(w->path) >= 0)
                        r = 0;
                if (r < 0)
                        log_warning_errno(r, "Cannot remove work directory %s, left behind: %m%s", w->path,
                                          left_behind_why(r));
        }
        free(w->path);
        w->path = NULL;
}
