/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <time.h>

#include "util.h"

const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

const char *path_below(const char *path, const char *root) {
        if (streq(root, "/"))
                return path;
        size_t n = strlen(root);
        if (strncmp(path, root, n) != 0 || (path[n] != '\0' && path[n] != '/'))
                return NULL;
        return path + n;
}

char *path_lexical(const char *path) {
        char *s = strdup(path), *w = s;

        if (!s)
                return NULL;
        for (const char *p = path; *p;) {
                if (*p == '/' && (p[1] == '/' || (p[1] == '.' && (p[2] == '/' || p[2] == 0)))) {
                        p += p[1] == '/' ? 1 : 2;
                        continue;
                }
                *w++ = *p++;
        }
        while (w > s + 1 && w[-1] == '/')
                w--;
        if (w == s && path[0] == '/')
                *w++ = '/'; /* "/." is the root too */
        *w = 0;
        return s;
}

int pidfd_open_compat(pid_t pid) {
#ifdef SYS_pidfd_open
        return (int) syscall(SYS_pidfd_open, pid, 0);
#else
        (void) pid;
        errno = ENOSYS;
        return -1;
#endif
}

int pidfd_signal(int pidfd, int sig) {
#ifdef SYS_pidfd_send_signal
        return (int) syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
#else
        (void) pidfd;
        (void) sig;
        errno = ENOSYS;
        return -1;
#endif
}

bool pidfd_ended(int pidfd) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        return poll(&p, 1, 0) != 0;
}

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        if (l)
                while (l[n])
                        n++;
        return n;
}

int strv_push(char ***l, char *s) {
        size_t n = strv_length(*l);
        char **c;

        if (!s)
                return -EINVAL;
        c = realloc(*l, sizeof(char *) * (n + 2));
        if (!c) {
                free(s);
                return -ENOMEM;
        }
        c[n] = s;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        char *d = strdup(s);
        if (!d)
                return -ENOMEM;
        return strv_push(l, d);
}

int strv_extend_n(char ***l, char *const *add, size_t n) {
        size_t k = strv_length(*l);
        char **c;

        if (n == 0)
                return 0;
        c = reallocarray(*l, k + n + 1, sizeof(char *));
        if (!c)
                return -ENOMEM;
        *l = c;
        for (size_t i = 0; i < n; i++) {
                c[k + i + 1] = NULL; /* a vector still, however far this gets */
                c[k + i] = strdup(add[i]);
                if (!c[k + i])
                        return -ENOMEM;
        }
        return 0;
}

char **strv_copy(char *const *l) {
        char **c = calloc(strv_length(l) + 1, sizeof(char *));
        size_t k = 0;

        if (!c)
                return NULL;
        for (char *const *i = l; i && *i; i++) {
                c[k] = strdup(*i);
                if (!c[k])
                        return strv_free(c);
                k++;
        }
        return c;
}

bool strv_contains(char *const *l, const char *s) {
        for (char *const *i = l; i && *i; i++)
                if (streq(*i, s))
                        return true;
        return false;
}

int strv_split(const char *s, char sep, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        const char *p = s;

        if (!l)
                return -ENOMEM;
        for (;;) {
                const char *e = strchr(p, sep);
                size_t n = e ? (size_t) (e - p) : strlen(p);
                if (n > 0) {
                        char *w = strndup(p, n);
                        int r = strv_push(&l, w);
                        if (r < 0)
                                return r;
                }
                if (!e)
                        break;
                p = e + 1;
        }
        *ret = steal_pointer(&l);
        return 0;
}

void erase_and_free(char *s) {
        if (!s)
                return;
        explicit_bzero(s, strlen(s));
        free(s);
}

int parse_u64(const char *s, uint64_t *ret) {
        uint64_t v = 0;

        if (!s || !*s)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        *ret = v;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        char buf[32];
        size_t n;
        unsigned shift = 0;
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        n = strlen(s);
        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n + 1);
        switch (buf[n - 1]) {
        case 'K': case 'k': shift = 10; break;
        case 'M': case 'm': shift = 20; break;
        case 'G': case 'g': shift = 30; break;
        default: break;
        }
        if (shift)
                buf[n - 1] = 0;
        r = parse_u64(buf, &v);
        if (r < 0)
                return r;
        if (shift && v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = v << shift;
        return 0;
}

int loop_write(int fd, const void *buf, size_t len) {
        const char *p = buf;

        while (len > 0) {
                ssize_t k = write(fd, p, len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        return -EIO;
                p += k;
                len -= (size_t) k;
        }
        return 0;
}

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                ssize_t k;
                if (cap - len < 4096) {
                        size_t ncap = cap ? cap * 2 : 4096;
                        char *n;
                        if (ncap > max + 1)
                                ncap = max + 1;
                        if (ncap <= len)
                                return -EFBIG;
                        n = realloc(buf, ncap + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap = ncap;
                }
                k = read(fd, buf + len, cap - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max)
                        return -EFBIG;
        }
        if (!buf && !(buf = malloc(1)))
                return -ENOMEM;
        buf[len] = 0;
        *ret = steal_pointer(&buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

/* A decimal id field from p to the next ':' (or end): a uid_t/gid_t, never (uid_t) -1. */
static const char *parse_id_field(const char *p, const char *end, uint32_t *ret) {
        const char *colon = memchr(p, ':', (size_t) (end - p));
        char buf[16];
        uint64_t v;

        if (!colon || colon == p || (size_t) (colon - p) >= sizeof buf)
                return NULL;
        memcpy(buf, p, (size_t) (colon - p));
        buf[colon - p] = 0;
        if (parse_u64(buf, &v) < 0 || v >= UINT32_MAX)
                return NULL;
        *ret = (uint32_t) v;
        return colon + 1;
}

int passwd_find(const char *text, const char *name, uint32_t *ret_uid, uint32_t *ret_gid) {
        size_t nl = strlen(name);

        if (nl == 0)
                return -ESRCH;
        for (const char *line = text; *line;) {
                const char *end = strchrnul(line, '\n'), *p;
                uint32_t uid, gid;

                if ((size_t) (end - line) > nl && memcmp(line, name, nl) == 0 && line[nl] == ':' &&
                    (p = memchr(line + nl + 1, ':', (size_t) (end - line - nl - 1))) &&
                    (p = parse_id_field(p + 1, end, &uid)) && parse_id_field(p, end, &gid)) {
                        *ret_uid = uid;
                        *ret_gid = gid;
                        return 0;
                }
                line = *end ? end + 1 : end;
        }
        return -ESRCH;
}

int proc_status_mask(const char *text, const char *key, uint64_t *ret) {
        size_t kl = strlen(key);
        uint64_t v = 0;

        for (const char *line = text; *line;) {
                const char *end = strchrnul(line, '\n');

                if ((size_t) (end - line) == kl + 2 + 16 && memcmp(line, key, kl) == 0 && line[kl] == ':' &&
                    line[kl + 1] == '\t') {
                        for (const char *p = line + kl + 2; p < end; p++) {
                                int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
                                if (d < 0)
                                        return -EBADMSG;
                                v = v << 4 | (uint64_t) d;
                        }
                        *ret = v;
                        return 0;
                }
                if ((size_t) (end - line) > kl && memcmp(line, key, kl) == 0 && line[kl] == ':')
                        return -EBADMSG;
                line = *end ? end + 1 : end;
        }
        return -ENOENT;
}

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        return read_full_fd(fd, max, ret, ret_len);
}

/* A file of the kernel's interfaces: regular by its type, but no text to read. Some block and take
 * what they give from everyone else (/proc/kmsg, the kernel's messages, from syslog; tracefs'
 * trace_pipe), some act when read. A deploy user's symlink could name one. */
static bool kernel_interface_file(int fd) {
        struct statfs sf;

        if (fstatfs(fd, &sf) < 0)
                return false;
        switch ((unsigned long) sf.f_type) {
        case PROC_SUPER_MAGIC:
        case SYSFS_MAGIC:
        case TRACEFS_MAGIC:
        case DEBUGFS_MAGIC:
        case SECURITYFS_MAGIC:
                return true;
        default:
                return false;
        }
}

int open_regular(const char *path, struct stat *ret_st) {
        _cleanup_close_ int pfd = open(path, O_PATH | O_CLOEXEC);
        char proc[sizeof("/proc/self/fd/") + 12];
        struct stat st, again;
        int fd;

        if (pfd < 0)
                return negative_errno();
        if (fstat(pfd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (kernel_interface_file(pfd))
                return -EMEDIUMTYPE;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
        fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno != ENOENT && errno != EMFILE)
                return negative_errno();
        if (fd >= 0) {
                if (ret_st)
                        *ret_st = st; /* the file fd is: no second fstat() */
                return fd;
        }
        /* no /proc, or no second fd (a worker short of them reads the tokens file with the one
         * it has, as before): by path, O_NONBLOCK should a FIFO have taken its place */
        close(pfd);
        pfd = -1;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &again) < 0 || again.st_dev != st.st_dev || again.st_ino != st.st_ino) {
                close(fd);
                return -EBADFD;
        }
        if (ret_st)
                *ret_st = again;
        return fd;
}

int read_full_secret(const char *path, size_t max, char **ret, size_t *ret_len) {
        struct stat st;
        _cleanup_close_ int fd = open_regular(path, &st);
        char *buf;
        size_t len = 0;

        if (fd < 0)
                return fd;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;
        /* one buffer of the final size: no realloc leaves a copy of the secret in freed memory */
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (len < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + len, (size_t) st.st_size - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int r = negative_errno();
                        explicit_bzero(buf, len);
                        free(buf);
                        return r;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = 0;
        *ret = buf;
        if (ret_len)
                *ret_len = len;
        return 0;
}

int write_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode) {
        _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        int r;

        /* mode exactly, whatever the umask */
        if (fd < 0 || fchmod(fd, mode) < 0)
                return negative_errno();
        r = loop_write(fd, data, len);
        if (r < 0)
                return r;
        return 0;
}

uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

void stop_signals_fill(sigset_t *ret) {
        /* SIGQUIT's default action would end a `skillrun run` (^\) and leave the skill running,
         * its work dir and cgroups behind */
        static const int stop[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };

        sigemptyset(ret);
        for (size_t i = 0; i < ELEMENTSOF(stop); i++) {
                struct sigaction sa;
                /* Ignored by whoever started us (nohup: SIGHUP; a shell's background job: SIGINT),
                 * it asks nothing. Blocked, the kernel would keep it pending instead of dropping
                 * it, and the run would end on it. */
                if (sigaction(stop[i], NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN)
                        continue;
                sigaddset(ret, stop[i]);
        }
}

static bool stop_was_requested;

void stop_requested_set(void) {
        stop_was_requested = true;
}

bool stop_requested(void) {
        return stop_was_requested;
}

int random_hex(char *buf, size_t n) {
        static const char hex[] = "0123456789abcdef";
        unsigned char raw[64];
        size_t got = 0;

        if (n > sizeof(raw))
                return -EINVAL;
        while (got < n) {
                ssize_t k = getrandom(raw + got, n - got, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                got += (size_t) k;
        }
        for (size_t i = 0; i < n; i++) {
                buf[2 * i] = hex[raw[i] >> 4];
                buf[2 * i + 1] = hex[raw[i] & 15];
        }
        buf[2 * n] = 0;
        return 0;
}

/* A skill may leave a tree nested deeper than we have fds (or stack) for. Below this depth a
 * subdirectory is moved up to the top of the tree being removed and taken in a later pass,
 * so the fds held at once stay bounded whatever the depth. */
#define RM_RF_DEPTH_MAX 32

typedef struct RmRf RmRf;
struct RmRf {
        dev_t dev;       /* of the tree's top */
        uint64_t mnt_id; /* of the mount it is in, when the kernel says (mnt_id_known) */
        bool mnt_id_known;
        int rootfd;
        unsigned moved;  /* directories moved up in this pass */
        RmRf *top;       /* the tree rm_rf_contents() was given: where subvolumes are moved */
};

/* statx(), for its mount id; what fstatat() says where there is none (a seccomp filter that
 * predates it): then the st_dev rule alone decides. */
static int rm_rf_stat(int dfd, const char *name, int flags, struct statx *ret) {
        struct stat st;

        if (statx(dfd, name, flags | AT_NO_AUTOMOUNT, STATX_TYPE | STATX_INO | STATX_MNT_ID, ret) >= 0)
                return 0;
        if (errno != ENOSYS && errno != EPERM)
                return negative_errno();
        if (fstatat(dfd, name, &st, flags) < 0)
                return negative_errno();
        *ret = (struct statx) { .stx_mask = STATX_TYPE | STATX_INO, .stx_mode = st.st_mode, .stx_ino = st.st_ino,
                                .stx_dev_major = major(st.st_dev), .stx_dev_minor = minor(st.st_dev) };
        return 0;
}

static dev_t rm_rf_dev(const struct statx *stx) {
        return makedev(stx->stx_dev_major, stx->stx_dev_minor);
}

/* Another mount below the tree is never crossed. Told by the mount where the kernel says
 * (5.8+), not by st_dev: a btrfs subvolume, which an unprivileged skill may create, has a
 * st_dev of its own but is no mount, and skipping it left the work dir and its disk use. */
static bool rm_rf_other_mount(const RmRf *ctx, const struct statx *stx) {
        if (ctx->mnt_id_known && (stx->stx_mask & STATX_MNT_ID))
                return stx->stx_mnt_id != ctx->mnt_id;
        if (stx->stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
                return stx->stx_attributes & STATX_ATTR_MOUNT_ROOT;
        return rm_rf_dev(stx) != ctx->dev;
}

/* A skill may leave a directory without the read bit; one sharing our uid (DynamicUser) then
 * refuses us too, as we have no CAP_DAC_OVERRIDE, and only its mode can be changed. The O_PATH
 * fd pins that very directory (O_NOFOLLOW: never what a symlink swapped in would name), and
 * /proc/self/fd/N reaches exactly its inode for chmod and the reopen. */
int open_dir_granting(int dfd, const char *name, mode_t mode) {
        _cleanup_close_ int pfd = -1;
        struct stat st;
        char proc[32];
        int fd;

        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
                return fd;
        if (errno != EACCES)
                return negative_errno();
        pfd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (pfd < 0)
                return negative_errno();
        /* The directory exists (it is pinned): a failure from here on, ENOENT without /proc
         * included, leaves the first answer standing, never "nothing there". */
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
        if (fstat(pfd, &st) < 0 || chmod(proc, (st.st_mode & 07777) | mode) < 0)
                return errno == EROFS ? -EROFS : -EACCES; /* EROFS: a read-only btrfs snapshot's */
        fd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd >= 0 ? fd : -EACCES;
}

/* Removing its entries also needs the write and search bits, which the open does not check. */
static int open_dir_for_removal(int dfd, const char *name) {
        int fd = open_dir_granting(dfd, name, S_IRWXU);

        if (fd >= 0)
                (void) fchmod(fd, 0700);
        return fd;
}

/* Any owner of a subvolume may make a read-only snapshot of it (no privilege needed): nothing in
 * it can be removed, nor can it be moved to a new parent (EROFS, for root too). Its owner (our
 * uid under DynamicUser=) or CAP_FOWNER may make it writable. Asked of subvolume roots only,
 * never of ordinary directories; -EROFS if it stays read-only. The worker's own seccomp filter,
 * which every skill inherits, refuses the requests that make one, SETFLAGS among them
 * (seccomp-compile.c): under it this is refused too, and no skill can have left one. For a
 * worker without that filter (no seccomp, sandbox = best-effort), and for rm_rf()'s other
 * callers. */
static int rm_rf_subvol_writable(int fd) {
        uint64_t flags;

        if (ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0 || !(flags & BTRFS_SUBVOL_RDONLY))
                return 0;
        flags &= ~(uint64_t) BTRFS_SUBVOL_RDONLY;
        if (ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags) < 0)
                return -EROFS;
        (void) fchmod(fd, 0700); /* what open_dir_for_removal() could not do while it was read-only */
        return 0;
}

/* open_dir_for_removal() of a subvolume root, made writable: the fd, or -EROFS when it stays
 * read-only (the flag kept, or the directory not ours to open and chmod). */
static int open_subvol_for_removal(int dfd, const char *name) {
        int fd = open_dir_for_removal(dfd, name), r;

        if (fd < 0)
                return fd;
        r = rm_rf_subvol_writable(fd);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

/* Unguessable names, never replacing anything: the tree's owner must not be able to make the
 * move fail with decoys. A moved directory's ".." changes, so it must be writable: without
 * CAP_DAC_OVERRIDE, one locked by its owner (our uid under DynamicUser=) is given its owner's
 * bits back first, and a read-only subvolume made writable. */
static int rm_rf_move_up(int dfd, const char *name, RmRf *to, bool subvol) {
        char moved[8 + 33] = ".rm-rf-";
        int fd = subvol ? open_subvol_for_removal(dfd, name) : open_dir_for_removal(dfd, name);

        if (fd >= 0)
                close(fd);
        else if (fd == -EROFS)
                return fd; /* read-only, and it stays so: no move can help */
        for (unsigned i = 0; i < 8; i++) {
                if (random_hex(moved + 7, 16) < 0)
                        return 0;
                if (renameat2(dfd, name, to->rootfd, moved, RENAME_NOREPLACE) == 0) {
                        to->moved++;
                        return 0;
                }
                if (errno != EEXIST)
                        return negative_errno();
        }
        return 0;
}

/* A snapshot has an empty stand-in for each subvolume nested in what it copied: a directory with
 * a st_dev of its own, yet no subvolume. It cannot be moved (EXDEV), only removed. */
static bool rm_rf_subvol_standin(const RmRf *ctx, const struct statx *stx) {
        return rm_rf_dev(stx) != ctx->dev && (stx->stx_mask & STATX_INO) &&
               stx->stx_ino == BTRFS_EMPTY_SUBVOL_DIR_OBJECTID;
}

static int rm_rf_passes(RmRf *ctx);

static int rm_rf_children(int dfd, RmRf *ctx, unsigned depth) {
        DIR *d = fdopendir(dfd);
        struct dirent *de;
        int ret = 0;

        if (!d) {
                close(dfd);
                return negative_errno();
        }
        while ((de = readdir(d))) {
                struct statx stx;
                int r;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = rm_rf_stat(dirfd(d), de->d_name, AT_SYMLINK_NOFOLLOW, &stx);
                if (r < 0) {
                        if (r != -ENOENT && ret == 0)
                                ret = r;
                        continue;
                }
                if (S_ISDIR(stx.stx_mode)) {
                        int cfd;
                        r = 0;
                        if (rm_rf_other_mount(ctx, &stx))
                                continue;
                        if (rm_rf_subvol_standin(ctx, &stx))
                                ; /* empty: the rmdir below */
                        else if (rm_rf_dev(&stx) != ctx->dev) {
                                /* A subvolume: a directory cannot be renamed out of it, only the
                                 * subvolume itself. One right below the top is taken as a tree of
                                 * its own; any other is moved up there first, so that those walked
                                 * at once stay two, whatever the nesting. */
                                if (ctx != ctx->top || depth > 0) {
                                        r = rm_rf_move_up(dirfd(d), de->d_name, ctx->top, true);
                                        if (r < 0 && ret == 0)
                                                ret = r;
                                        continue;
                                }
                                cfd = open_subvol_for_removal(dirfd(d), de->d_name);
                                if (cfd >= 0) {
                                        RmRf sub = { .dev = rm_rf_dev(&stx), .mnt_id = ctx->mnt_id,
                                                     .mnt_id_known = ctx->mnt_id_known, .rootfd = cfd,
                                                     .top = ctx->top };
                                        r = rm_rf_passes(&sub);
                                        close(cfd);
                                } else if (cfd == -EROFS)
                                        r = cfd; /* read-only, and it stays so */
                        } else if (depth >= RM_RF_DEPTH_MAX) {
                                r = rm_rf_move_up(dirfd(d), de->d_name, ctx, false);
                                if (r < 0 && ret == 0)
                                        ret = r;
                                continue;
                        } else {
                                cfd = open_dir_for_removal(dirfd(d), de->d_name);
                                if (cfd >= 0)
                                        r = rm_rf_children(cfd, ctx, depth + 1);
                        }
                        if (r < 0 && ret == 0)
                                ret = r;
                        if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT && ret == 0)
                                ret = negative_errno();
                } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && ret == 0)
                        ret = negative_errno();
        }
        closedir(d);
        return ret;
}

/* Walks ctx->rootfd until a pass has moved nothing up. */
static int rm_rf_passes(RmRf *ctx) {
        int r;

        do {
                int pass_fd = fcntl(ctx->rootfd, F_DUPFD_CLOEXEC, 3);
                if (pass_fd < 0)
                        return negative_errno();
                /* a fresh directory stream each pass: entries moved up are read anew */
                (void) lseek(pass_fd, 0, SEEK_SET);
                ctx->moved = 0;
                r = rm_rf_children(pass_fd, ctx, 0);
        } while (ctx->moved > 0);
        return r;
}

int rm_rf_contents(int fd) {
        struct statx stx;
        RmRf ctx = { .rootfd = fd };
        int r;

        r = rm_rf_stat(fd, "", AT_EMPTY_PATH, &stx);
        if (r < 0)
                return r;
        ctx.dev = rm_rf_dev(&stx);
        ctx.mnt_id = stx.stx_mnt_id;
        ctx.mnt_id_known = stx.stx_mask & STATX_MNT_ID;
        ctx.top = &ctx;
        /* The top itself may be a read-only subvolume (a skill's snapshot put where its work dir
         * was). No parent here to compare st_dev with, but a subvolume's root is always btrfs
         * inode 256; on another file system that rare number costs an ioctl saying ENOTTY. */
        if ((stx.stx_mask & STATX_INO) && stx.stx_ino == BTRFS_FIRST_FREE_OBJECTID) {
                r = rm_rf_subvol_writable(fd);
                if (r < 0)
                        return r;
        }
        return rm_rf_passes(&ctx);
}

int rm_rf(const char *path) {
        int fd, r;

        fd = open_dir_for_removal(AT_FDCWD, path);
        if (fd < 0)
                return fd == -ENOENT ? 0 : fd;
        r = rm_rf_contents(fd);
        close(fd);
        /* removed: it was empty, whatever the walk said (one that failed for want of an fd
         * may have had nothing to do) */
        if (rmdir(path) >= 0)
                return 0;
        if (errno != ENOENT)
                return r < 0 ? r : negative_errno();
        return r;
}

/* The length of the valid UTF-8 sequence at p (before e), strict as utf8_valid(); 0 if none. */
static size_t utf8_char_len(const unsigned char *p, const unsigned char *e) {
        unsigned c = *p;
        size_t n;
        uint32_t cp;

        if (c < 0x80)
                return 1;
        else if ((c & 0xe0) == 0xc0) {
                n = 1;
                cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
                n = 2;
                cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
                n = 3;
                cp = c & 0x07;
        } else
                return 0;
        if ((size_t) (e - p) <= n)
                return 0;
        for (size_t i = 1; i <= n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n + 1;
}

size_t line_control_len(const char *s) {
        const unsigned char *p = (const unsigned char *) s;

        /* besides the ASCII controls, what log readers that split lines the Unicode way
         * (Python's splitlines(), say) and terminals act on */
        if (*p < 0x20 || *p == 0x7f)
                return *p ? 1 : 0;
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
                return 2;
        if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
                return 3;
        return 0;
}

void escape_line(const char *s, bool backslash, char *out) {
        const unsigned char *e = (const unsigned char *) s + strlen(s);

        /* the controls, and bytes that are no UTF-8, for which journalctl shows a whole message
         * as "[blob data]" */
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                /* printable ASCII, nearly all of a line: as it is, without the checks below */
                if (*p >= 0x20 && *p < 0x7f && !(backslash && *p == '\\')) {
                        *out++ = (char) *p;
                        continue;
                }
                size_t n = line_control_len((const char *) p);
                if (n == 0 && backslash && *p == '\\')
                        n = 1;
                else if (n == 0 && *p >= 0x80) {
                        size_t k = utf8_char_len(p, e);
                        if (k == 0)
                                n = 1;
                        else { /* a whole character: kept, never read again from its middle */
                                memcpy(out, p, k);
                                out += k;
                                p += k - 1;
                                continue;
                        }
                }
                if (n == 0) {
                        *out++ = (char) *p;
                        continue;
                }
                for (size_t i = 0; i < n; i++)
                        out += sprintf(out, "\\x%02x", p[i]);
                p += n - 1;
        }
        *out = '\0';
}

bool utf8_valid(const char *s, size_t len) {
        const unsigned char *p = (const unsigned char *) s, *e = p + len;

        while (p < e) {
                size_t n = *p < 0x80 ? 1 : utf8_char_len(p, e);
                if (n == 0)
                        return false;
                p += n;
        }
        return true;
}

size_t utf8_complete_len(const char *s, size_t len) {
        const unsigned char *p = (const unsigned char *) s;

        /* the lead byte of the last sequence is at most 3 bytes back, after continuation bytes */
        for (size_t k = 1; k <= MIN(len, (size_t) 3); k++) {
                unsigned c = p[len - k], c2 = k > 1 ? p[len - k + 1] : 0;
                size_t n;

                if ((c & 0xc0) == 0x80)
                        continue;
                n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
                if (n <= k)
                        return len; /* complete, ASCII or no lead byte at all */
                /* a second byte that no valid sequence has: overlong, surrogate, above U+10FFFF */
                if (k > 1 && ((c == 0xe0 && c2 < 0xa0) || (c == 0xed && c2 > 0x9f) || (c == 0xf0 && c2 < 0x90) ||
                              (c == 0xf4 && c2 > 0x8f)))
                        return len;
                return len - k;
        }
        return len;
}

size_t utf8_cut(const char *s, size_t len, size_t max) {
        if (len <= max)
                return len;
        while (max > 0 && ((unsigned char) s[max] & 0xc0) == 0x80)
                max--;
        return max;
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *data, size_t len) {
        const unsigned char *in = data;
        char *out, *o;

        if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
                return NULL;
        out = malloc((len + 2) / 3 * 4 + 1);
        if (!out)
                return NULL;
        o = out;
        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t) in[i] << 16;
                if (i + 1 < len)
                        v |= (uint32_t) in[i + 1] << 8;
                if (i + 2 < len)
                        v |= in[i + 2];
                *o++ = b64chars[(v >> 18) & 63];
                *o++ = b64chars[(v >> 12) & 63];
                *o++ = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
                *o++ = i + 2 < len ? b64chars[v & 63] : '=';
        }
        *o = 0;
        return out;
}

static int b64val(char c) {
        const char *p = c ? strchr(b64chars, c) : NULL;
        return p ? (int) (p - b64chars) : -1;
}

int base64_decode(const char *s, size_t len, char **ret, size_t *ret_len) {
        _cleanup_free_ char *out = NULL;
        size_t o = 0;

        if (len % 4 != 0)
                return -EINVAL;
        out = malloc(len / 4 * 3 + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i += 4) {
                int a = b64val(s[i]), b = b64val(s[i + 1]), c, d;
                bool last = i + 4 == len;
                if (a < 0 || b < 0)
                        return -EINVAL;
                c = s[i + 2] == '=' && last ? -2 : b64val(s[i + 2]);
                d = s[i + 3] == '=' && last ? -2 : b64val(s[i + 3]);
                if (c == -1 || d == -1 || (c == -2 && d != -2))
                        return -EINVAL;
                out[o++] = (char) ((a << 2) | (b >> 4));
                if (c >= 0)
                        out[o++] = (char) (((b & 15) << 4) | (c >> 2));
                if (d >= 0)
                        out[o++] = (char) (((c & 3) << 6) | d);
        }
        out[o] = 0;
        *ret = steal_pointer(&out);
        *ret_len = o;
        return 0;
}

int set_error(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        if (!ret_error)
                return r;
        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

int free_and_strdup(char **p, const char *s) {
        char *copy = strdup(s);

        if (!copy)
                return -ENOMEM;
        free(*p);
        *p = copy;
        return 0;
}

/* sun_path can hold 'path': its address in *sa and that address's length in *ret_len */
static int unix_sockaddr(const char *path, struct sockaddr_un *sa, socklen_t *ret_len) {
        if (strlen(path) >= sizeof(sa->sun_path))
                return -ENAMETOOLONG;
        *sa = (struct sockaddr_un) { .sun_family = AF_UNIX };
        strcpy(sa->sun_path, path);
        *ret_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
        return 0;
}

int unix_dgram_send(const char *path, const void *buf, size_t len, struct sockaddr_un *ret_sa,
                    socklen_t *ret_sa_len) {
        struct sockaddr_un sa;
        socklen_t sa_len;
        _cleanup_close_ int fd = -1;
        int r = unix_sockaddr(path, &sa, &sa_len);

        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (sendto(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *) &sa, sa_len) < 0)
                return negative_errno();
        if (ret_sa)
                *ret_sa = sa;
        if (ret_sa_len)
                *ret_sa_len = sa_len;
        return TAKE_FD(fd);
}

int unix_stream_send(const char *path, const void *buf, size_t len) {
        struct sockaddr_un sa;
        socklen_t sa_len;
        _cleanup_close_ int fd = -1;
        ssize_t n;
        int r = unix_sockaddr(path, &sa, &sa_len);

        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        /* a listener whose backlog is full answers EAGAIN here, not later */
        if (connect(fd, (struct sockaddr *) &sa, sa_len) < 0)
                return negative_errno();
        n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
                return negative_errno();
        return (size_t) n == len ? 0 : -EAGAIN;
}
