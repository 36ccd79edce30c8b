/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The request record, sent to journald with its native protocol: one datagram of fields, each
 * "KEY=value\n", or "KEY\n", a 64-bit little-endian length and the value, then "\n" when the
 * value holds a newline (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/, stable since systemd 38).
 * Written here rather than loading libsystemd: dlopen()ing it with its dependencies (gcrypt,
 * lzma, zstd, lz4) costs ≈ 0.4 ms of CPU in every worker, and a static skillrun cannot load it. */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "log-syslog.h"
#include "log.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define MESSAGE_MAX 511
/* how long journal_wait_taken() waits for journald to read the last record */
#define TAKE_WAIT_USEC (250 * 1000)

/* The socket the last record went out on, and where to, until journal_wait_taken() */
static int last_fd = -1;
static struct sockaddr_un last_sa;
static socklen_t last_sa_len;

typedef struct Record {
        char *buf;
        size_t size, len;
} Record;

static void put(Record *r, const void *p, size_t n) {
        memcpy(r->buf + r->len, p, n);
        r->len += n;
}

static void field(Record *r, const char *key, const char *value) {
        size_t kl = strlen(key), vl = strlen(value);

        vl = utf8_cut(value, vl, JOURNAL_VALUE_MAX);
        /* sizes are bounded by JOURNAL_VALUE_MAX and the field count, see JOURNAL_RECORD_MAX */
        if (r->len + kl + 1 + sizeof(uint64_t) + vl + 1 > r->size)
                return;
        put(r, key, kl);
        if (!memchr(value, '\n', vl)) {
                put(r, "=", 1);
                put(r, value, vl);
        } else {
                uint64_t le = htole64((uint64_t) vl);
                put(r, "\n", 1);
                put(r, &le, sizeof le);
                put(r, value, vl);
        }
        put(r, "\n", 1);
}

_printf_(3, 4) static void fieldf(Record *r, const char *key, const char *fmt, ...) {
        char v[64];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(v, sizeof v, fmt, ap);
        va_end(ap);
        field(r, key, v);
}

/* 501 and 505 refuse what the client asked for (Transfer-Encoding, HTTP/2): its error, as a 400
 * is, not a failure of ours (the exit status says the same, skillrun(8)) */
static int record_priority(const RequestLog *l) {
        bool client = l->status >= 400 && (l->status < 500 || l->status == 501 || l->status == 505);

        /* the skill never ran, answered 200 (or printed by skillrun run): a missing command or a
         * sandbox step the host refuses is the operator's to fix, as a broken manifest's 500 is */
        if (streq_ptr(l->outcome, "sandbox_error"))
                return LOG_ERR;
        if (l->status == 0) /* skillrun run: an error when the run could not even start */
                return l->error ? LOG_ERR : LOG_INFO;

        return client ? LOG_NOTICE : l->status >= 500 ? LOG_ERR : LOG_INFO;
}

size_t journal_format_record(const RequestLog *l, char *buf, size_t size) {
        Record r = { .buf = buf, .size = size };
        /* a UTF-8 sequence's worth beyond MESSAGE_MAX, so that utf8_cut() sees where it ends */
        char raw[MESSAGE_MAX + 4 + 1], message[sizeof(raw) * 4];
        int prio = record_priority(l);

        snprintf(raw, sizeof(raw), "%s %s → %d%s%s%s%s%s%s", strempty(l->method), strempty(l->path), l->status,
                 l->skill ? " skill=" : "", strempty(l->skill), l->outcome ? " outcome=" : "", strempty(l->outcome),
                 l->error ? ": " : "", strempty(l->error));
        /* What journalctl shows, one line as the worker's messages are: the error can quote the
         * client (a JSON key it sent), and journalctl shows a message with a control character
         * but the newline as "[blob data]", and a newline as a line of its own. SKILLRUN_ERROR
         * keeps the text as it was. */
        escape_line(raw, false, message);
        message[utf8_cut(message, strlen(message), MESSAGE_MAX)] = '\0';

        field(&r, "MESSAGE", message);
        fieldf(&r, "PRIORITY", "%d", prio);
        field(&r, "SYSLOG_IDENTIFIER", "skillrun");
        field(&r, "SKILLRUN_RUN_ID", strempty(l->run_id));
        field(&r, "SKILLRUN_SKILL", strempty(l->skill));
        field(&r, "SKILLRUN_TOKEN_NAME", strempty(l->token_name));
        field(&r, "SKILLRUN_PEER", strempty(l->peer));
        field(&r, "SKILLRUN_METHOD", strempty(l->method));
        field(&r, "SKILLRUN_PATH", strempty(l->path));
        fieldf(&r, "SKILLRUN_STATUS", "%d", l->status);
        field(&r, "SKILLRUN_OUTCOME", strempty(l->outcome));
        fieldf(&r, "SKILLRUN_EXIT_CODE", "%d", l->exit_code);
        fieldf(&r, "SKILLRUN_DURATION_USEC", "%" PRIu64, l->duration_usec);
        fieldf(&r, "SKILLRUN_MAX_RSS_KB", "%" PRIu64, l->max_rss_kb);
        if (l->error)
                field(&r, "SKILLRUN_ERROR", l->error);
        return r.len;
}

int journal_send_record(const char *socket_path, const RequestLog *l) {
        static char buf[JOURNAL_RECORD_MAX];
        struct sockaddr_un sa;
        socklen_t sa_len;
        size_t len = journal_format_record(l, buf, sizeof buf);
        /* A journald too busy to take it now gets it on stderr instead: the worker never waits. */
        int fd = unix_dgram_send(socket_path, buf, len, &sa, &sa_len);

        if (fd < 0)
                return fd;
        if (last_fd >= 0)
                close(last_fd);
        last_fd = fd;
        last_sa = sa;
        last_sa_len = sa_len;
        return 0;
}

void journal_wait_taken(void) {
        uint64_t start;
        long pause_usec = 20;
        bool comment_sent = false;

        if (last_fd < 0)
                return;
        /* A second datagram of a comment line only, which journald reads and logs nothing of
         * (native protocol: lines starting with '#' are ignored): journald takes a datagram
         * only once it is done with the one before, /proc read, so once this one is taken the
         * record has its sender's unit. The record being taken is not enough: journald reads
         * the sender's /proc after it. When journald's queue is full (net.unix.max_dgram_qlen
         * is 10 where systemd-sysctl has not raised it, and PID 1 writes there too while units
         * stop), the comment is sent again after each pause until it fits. */
        start = now_usec();
        for (;;) {
                int queued = 0;
                if (!comment_sent) {
                        ssize_t k = sendto(last_fd, "#\n", 2, MSG_DONTWAIT | MSG_NOSIGNAL,
                                           (struct sockaddr *) &last_sa, last_sa_len);
                        /* anything but a full queue: the journal is gone, nothing to wait for */
                        if (k < 0 && errno != EAGAIN)
                                break;
                        comment_sent = k >= 0;
                }
                /* a datagram is charged to the socket that sent it until the reader has it */
                if (ioctl(last_fd, SIOCOUTQ, &queued) < 0)
                        break;
                if (queued <= 0 && comment_sent)
                        break;
                if (now_usec() - start >= TAKE_WAIT_USEC)
                        break;
                (void) nanosleep(&(struct timespec) { .tv_nsec = pause_usec * 1000 }, NULL);
                pause_usec = pause_usec < 5000 ? pause_usec * 2 : pause_usec;
        }
        close(last_fd);
        last_fd = -1;
}

char *journal_format_line(const RequestLog *l) {
        _cleanup_free_ char *raw = NULL;
        char *line;

        /* the path and the error cut as in the journal record */
        const char *path = strempty(l->path), *error = strempty(l->error);
        int path_len = (int) utf8_cut(path, strlen(path), JOURNAL_VALUE_MAX);
        int error_len = (int) utf8_cut(error, strlen(error), JOURNAL_VALUE_MAX);

        if (asprintf(&raw,
                     "skillrun: status=%d method=%s path=%.*s skill=%s outcome=%s exit_code=%d run_id=%s token=%s peer=%s "
                     "duration_usec=%" PRIu64 " max_rss_kb=%" PRIu64 "%s%.*s",
                     l->status, strempty(l->method), path_len, path, l->skill ? l->skill : "-",
                     l->outcome ? l->outcome : "-", l->exit_code, l->run_id ? l->run_id : "-",
                     l->token_name ? l->token_name : "-", l->peer ? l->peer : "-", l->duration_usec, l->max_rss_kb,
                     l->error ? " error=" : "", error_len, error) < 0)
                return NULL;
        /* The error text can quote the client (a JSON key it sent, say): no control character,
         * above all no newline, may start a line of its own that looks like another record. */
        line = malloc(strlen(raw) * 4 + 1);
        if (!line)
                return NULL;
        escape_line(raw, true, line);
        return line;
}

void journal_log_request_to(const char *socket_path, const RequestLog *l) {
        /* no journal (ENOENT), or one that does not take it: stderr, one line */
        if (journal_send_record(socket_path, l) < 0)
                journal_log_request_stderr(l);
}

void journal_log_request_stderr(const RequestLog *l) {
        _cleanup_free_ char *line = NULL;
        const char *syslog_socket = log_get_syslog_socket();

        line = journal_format_line(l);
        if (!line)
                return;
        /* stderr detached from an inetd connection: syslog names us in its tag */
        if (syslog_socket) {
                (void) log_syslog_send_to(syslog_socket, record_priority(l), startswith(line, "skillrun: ") ?: line);
                return;
        }
        /* journald's queue full, or journald restarting: stderr is still its stream under systemd,
         * which takes the record's priority from a "<N>" prefix, so that a 500 stays an error */
        log_stderr_line(record_priority(l), "", line);
}

void journal_log_request(const RequestLog *l) {
        journal_log_request_to(JOURNAL_SOCKET, l);
}

int journal_log_request_nowait(const RequestLog *l) {
        return journal_send_record(JOURNAL_SOCKET, l);
}
