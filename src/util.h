/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
/* A macro's value as a string literal: "is shorter than " STRINGIFY(TOKEN_MIN_LEN) " bytes" */
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* A UTF-8 byte order mark that some editors put at the start of a text file: skipped, as
 * systemd's own configuration parser does. */
#define UTF8_BOM "\xEF\xBB\xBF"
static inline const char *skip_utf8_bom(const char *p, const char *end) {
        return end - p >= 3 && memcmp(p, UTF8_BOM, 3) == 0 ? p + 3 : p;
}

/* Move ownership out of a cleanup-managed variable. */
#define steal_pointer(pp)                   \
        ({                                  \
                __typeof__(*(pp)) _p = *(pp); \
                *(pp) = NULL;               \
                _p;                         \
        })
#define TAKE_FD(fd)                \
        ({                         \
                int _fd = (fd);    \
                (fd) = -1;         \
                _fd;               \
        })

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}
static inline const char *strempty(const char *s) {
        return s ? s : "";
}
const char *startswith(const char *s, const char *prefix);
/* The part of 'path' below 'root' ("" when it is root itself, "/x" below it), or NULL when it
 * is neither: compared by whole components, as written (canonical paths, or both as the kernel
 * shows them). */
const char *path_below(const char *path, const char *root);
static inline bool path_at_or_below(const char *path, const char *root) {
        return path_below(path, root) != NULL;
}
/* 'path' with "//", "/./" and trailing slashes collapsed, nothing resolved: how the kernel
 * names what it resolves to, without the doubled slashes. Allocated; NULL on OOM. */
char *path_lexical(const char *path);

/* pidfd_open(2) and pidfd_send_signal(2), or -1 with errno ENOSYS where the headers know none. */
int pidfd_open_compat(pid_t pid);
int pidfd_signal(int pidfd, int sig);
/* Has the process behind 'pidfd' ended? Its pidfd is readable then (pidfd_open(2)). Unlike
 * pidfd_send_signal(2)'s signal 0, this needs no permission to signal it: a process we may not
 * kill (EPERM) is still alive. An error counts as ended, the safe side. */
bool pidfd_ended(int pidfd);

/* NULL-terminated string vectors. */
char **strv_free(char **l);
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)
size_t strv_length(char *const *l);
int strv_push(char ***l, char *s);  /* takes ownership of s, even on failure */
int strv_extend(char ***l, const char *s);
/* Copies of the n strings of add appended, the vector grown once (strv_extend() walks and grows
 * it on every call). On -ENOMEM, *l holds what was copied so far, still NULL-terminated. */
int strv_extend_n(char ***l, char *const *add, size_t n);
char **strv_copy(char *const *l);
bool strv_contains(char *const *l, const char *s);
int strv_split(const char *s, char sep, char ***ret);

/* Secure zero and free of secrets. */
void erase_and_free(char *s);

/* A buffer that held a secret (a token, the raw request head): its first size bytes wiped,
 * then freed, however the scope is left. size must cover every byte ever written to data: a
 * buffer filled bit by bit keeps it at what was filled, and the rest is not wiped in vain. */
typedef struct SecretBuffer {
        char *data;
        size_t size;
} SecretBuffer;
static inline void secret_buffer_done(SecretBuffer *b) {
        if (b->data) {
                explicit_bzero(b->data, b->size);
                free(b->data);
        }
        *b = (SecretBuffer) {};
}
#define _cleanup_secret_buffer_ _cleanup_(secret_buffer_done)

/* Sizes: "1048576", "64K", "256M", "1G" (binary). */
int parse_size(const char *s, uint64_t *ret);
/* Non-negative decimal integers, no sign, no trailing junk. */
int parse_u64(const char *s, uint64_t *ret);
/* The uid and gid of user 'name' in the text of a passwd(5) file ("name:pw:uid:gid:..."); lines
 * that do not parse are skipped, as fgetpwent(3) does. -ESRCH when no line names the user. */
int passwd_find(const char *text, const char *name, uint32_t *ret_uid, uint32_t *ret_gid);

/* A "Key:\t<16 hex digits>" line of /proc/<pid>/status text (SigIgn, SigCgt, CapBnd: bit N-1 is
 * signal N, bit N capability N). -ENOENT when absent, -EBADMSG when not exactly 64 bits of hex
 * (as on an architecture with more than 64 signals). */
int proc_status_mask(const char *text, const char *key, uint64_t *ret);

/* I/O helpers that retry on EINTR and short writes. */
int loop_write(int fd, const void *buf, size_t len);
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len);
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* A read-only fd for path, opened only once it is known to be a regular file: -EBADFD for
 * anything else (a FIFO, a device, a directory), never opened itself, as opening a device can act
 * (a watchdog starts, a tape rewinds) and a FIFO's open wakes its writer. Race-free: the type is
 * read from an O_PATH fd, which /proc/self/fd/ then reopens; without /proc the path is opened
 * again (also when out of fds for the second one) and must be the same file. -EMEDIUMTYPE for a
 * regular file of /proc, /sys, tracefs, debugfs or securityfs, never opened either: reading
 * /proc/kmsg blocks, and takes the kernel's messages from syslog. ret_st (may be NULL): the
 * file's stat, so that callers need no fstat() of their own. */
int open_regular(const char *path, struct stat *ret_st);
/* For secrets: one allocation of the file's size, no realloc copies; the caller wipes it. The
 * file is opened with open_regular(). */
int read_full_secret(const char *path, size_t max, char **ret, size_t *ret_len);
int write_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);

/* Monotonic clock in microseconds. */
uint64_t now_usec(void);

/* The signals that ask a worker to stop: SIGTERM (systemd's stop, RuntimeMaxSec=, shutdown),
 * SIGINT and SIGQUIT (^C and ^\ on `skillrun run`) and SIGHUP, each unless we were started with
 * it ignored. */
void stop_signals_fill(sigset_t *ret);
/* Whether one of them was taken (supervision takes it to end the run): the worker is stopping,
 * and the answer still to be written gets only the grace a skill gets. */
void stop_requested_set(void);
bool stop_requested(void);

/* Random hex id of 2*n bytes plus NUL written to buf (buf must hold 2*n+1). */
int random_hex(char *buf, size_t n);

/* Open the directory 'name' below dfd (AT_FDCWD: a path) for reading, never through a symlink.
 * If that is refused (EACCES), the owner bits 'mode' are added to its mode first: for trees a
 * skill owns and may have locked us out of. -errno on failure. */
int open_dir_granting(int dfd, const char *name, mode_t mode);

/* Remove a directory tree without following symlinks or crossing mounts. */
int rm_rf(const char *path);
/* Remove what the directory fd (open for reading, with write and search access) holds, the same
 * way; the directory itself stays. */
int rm_rf_contents(int fd);

/* The length of the character at s that no line may show as is: a C0 control (NUL excepted) or
 * DEL, 1; the UTF-8 of a C1 control (U+0085 NEL among them), 2; U+2028 or U+2029, 3; else 0. */
size_t line_control_len(const char *s);
/* 's' written to 'out' (room for 4 × strlen(s) + 1 bytes) as one line that acts on nothing:
 * every C0 control and DEL, the UTF-8 of the C1 controls (U+0085 NEL among them), U+2028,
 * U+2029 and each byte that is not part of valid UTF-8 as \xNN, bytes each; with 'backslash'
 * the backslash too, so that the escapes can be told from the text. */
void escape_line(const char *s, bool backslash, char *out);

/* UTF-8 validation (strict: no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);
/* len without an incomplete sequence at the end of s: the 1 to 3 bytes that start a valid
 * sequence, as a byte limit leaves them. len when the end is complete, or not UTF-8 at all. */
size_t utf8_complete_len(const char *s, size_t len);
/* How much of s (len bytes) to keep for at most max bytes without splitting a UTF-8 sequence:
 * len when it fits, else max or less, at a character's start. */
size_t utf8_cut(const char *s, size_t len, size_t max);

/* Base64 (RFC 4648, with padding). */
char *base64_encode(const void *data, size_t len);
int base64_decode(const char *s, size_t len, char **ret, size_t *ret_len);

/* Formats *ret_error (when ret_error is not NULL; NULL there on OOM) and returns r, so that
 * an error path is one statement: return set_error(ret_error, -EINVAL, "...", ...); */
_printf_(3, 4) int set_error(char **ret_error, int r, const char *fmt, ...);

/* Replaces *p by a copy of s, freeing the old string. 0, or -ENOMEM with *p untouched. */
int free_and_strdup(char **p, const char *s);

/* One datagram to the AF_UNIX socket at 'path' from a socket of its own (SOCK_CLOEXEC), never
 * waiting for the reader (MSG_DONTWAIT): that socket, for a caller that still needs it, or
 * -errno (-ENAMETOOLONG for a path sun_path cannot hold, -EAGAIN for a full queue). The address
 * goes to *ret_sa and *ret_sa_len when they are given. */
int unix_dgram_send(const char *path, const void *buf, size_t len, struct sockaddr_un *ret_sa,
                    socklen_t *ret_sa_len);

/* The same for a stream socket (a syslogd listening on one): a connection of its own, never
 * waited for (a full backlog or a full buffer: -EAGAIN), 'buf' sent in one go, closed: 0 when all
 * of it went, or -errno. */
int unix_stream_send(const char *path, const void *buf, size_t len);
