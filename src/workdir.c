/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "log.h"
#include "workdir.h"

int workdir_create(const char *base, const char *run_id, Workdir *ret) {
        _cleanup_free_ char *path = NULL;
        int fd;

        if (asprintf(&path, "%s/skillrun-%s", base, run_id) < 0)
                return -ENOMEM;
        if (mkdir(path, 0700) < 0)
                return negative_errno();
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                int r = negative_errno();
                (void) rmdir(path);
                return r;
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

void workdir_remove(Workdir *w) {
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -1;
        if (w->path) {
                int r = rm_rf(w->path);
                if (r < 0)
                        log_warning_errno(r, "Cannot remove work directory %s, left behind: %m", w->path);
        }
        free(w->path);
        w->path = NULL;
}
