/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "http.h"
#include "response.h"

/* The connection whose client gets a bounded time to take each answer (design §2: a slow
 * client can never hold a worker longer than the read timeout). A worker answers one
 * connection, so one fd is all there is. */
static int bounded_fd = -1;
static uint64_t bounded_usec, stop_grace_usec;

void http_response_timeout(int fd, uint64_t timeout_ms, uint64_t stop_grace_ms) {
        bounded_fd = fd;
        bounded_usec = timeout_ms * 1000;
        stop_grace_usec = stop_grace_ms * 1000;
}

/* All of iov, or -ETIMEDOUT once the client has not taken it by the deadline: never blocked in a
 * write, so a client that stops reading cannot stall us. -ENOTSOCK: not a socket, no bound.
 *
 * A worker told to stop (systemd's SIGTERM) leaves a client slow to take the answer only
 * stop_grace_usec more, then -ECANCELED: the request is still cleaned up and logged within
 * systemd's TimeoutStopSec=, not ended by its SIGKILL at the read timeout. Told during the run,
 * supervision took the signal (stop_requested()); told after it, the signal is still blocked and
 * pending, and only looked at here, never taken: once the record is written, unblocking it ends
 * us. Looked for only when the client is slow, so a fast answer costs no signalfd. */
static int send_by(int fd, struct iovec *iov, int n_iov, uint64_t deadline) {
        _cleanup_close_ int stop_fd = -1;
        bool stop_looked = false, stopping = false;

        for (;;) {
                struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t) n_iov };
                ssize_t k = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                        return negative_errno();
                size_t done = k > 0 ? (size_t) k : 0;
                while (n_iov > 0 && done >= iov->iov_len) {
                        done -= iov->iov_len;
                        iov++;
                        n_iov--;
                }
                if (n_iov == 0)
                        return 0;
                iov->iov_base = (char *) iov->iov_base + done;
                iov->iov_len -= done;
                if (k > 0)
                        continue; /* it took some: maybe more right away */

                uint64_t now = now_usec();
                if (!stopping && stop_requested()) {
                        stopping = true;
                        deadline = MIN(deadline, now + stop_grace_usec);
                }
                if (now >= deadline)
                        return stopping ? -ECANCELED : -ETIMEDOUT;
                if (!stop_looked && !stopping) {
                        sigset_t stop;

                        stop_signals_fill(&stop);
                        /* without one, a stop request waits for the deadline, as it did */
                        stop_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
                        stop_looked = true;
                }
                struct pollfd p[2] = {
                        { .fd = fd, .events = POLLOUT },
                        { .fd = stopping ? -1 : stop_fd, .events = POLLIN },
                };
                if (poll(p, 2, (int) MIN((deadline - now + 999) / 1000, (uint64_t) INT_MAX)) < 0 && errno != EINTR)
                        return negative_errno();
                if (!stopping && (p[1].revents & POLLIN)) {
                        stopping = true;
                        deadline = MIN(deadline, now_usec() + stop_grace_usec);
                }
        }
}

/* Write head and body with as few syscalls as the kernel allows: one writev, then loop_write for
 * whatever a short write left over. */
static int write_two(int fd, const char *head, size_t head_len, const void *body, size_t body_len) {
        struct iovec iov[2] = {
                { .iov_base = (void *) head, .iov_len = head_len },
                { .iov_base = (void *) body, .iov_len = body_len },
        };
        ssize_t n;

        if (fd == bounded_fd) {
                int r = send_by(fd, iov, body_len > 0 ? 2 : 1, now_usec() + bounded_usec);
                if (r != -ENOTSOCK)
                        return r;
        }

        do
                n = writev(fd, iov, body_len > 0 ? 2 : 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();

        if ((size_t) n < head_len) {
                int r = loop_write(fd, head + n, head_len - (size_t) n);
                if (r < 0)
                        return r;
                n = (ssize_t) head_len;
        }
        n -= (ssize_t) head_len;
        if ((size_t) n < body_len)
                return loop_write(fd, (const char *) body + n, body_len - (size_t) n);
        return 0;
}

/* A CR or LF in a header value we emit would let it forge further header lines. */
static bool header_value_ok(const char *s) {
        return !strpbrk(s, "\r\n");
}

static bool header_block_ok(const char *s) {
        size_t n = strlen(s);

        return n == 0 || (n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n');
}

/* The connection whose request was HEAD: its responses keep their Content-Length and lose their
 * body (RFC 9110 §9.3.2). A worker answers one request, so one fd is all there is. */
static int head_only_fd = -1;

void http_response_head_only(int fd) {
        head_only_fd = fd;
}

int http_write_response(int fd, int status, const char *content_type, const char *extra_headers,
                        const void *body, size_t len) {
        _cleanup_free_ char *head = NULL;
        char length_line[64] = "";
        bool bodyless;
        int n, r;

        if (status < 100 || status > 999)
                return -EINVAL;
        if (content_type && !header_value_ok(content_type))
                return -EINVAL;
        if (extra_headers && !header_block_ok(extra_headers))
                return -EINVAL;

        /* RFC 9110 §8.6: no Content-Length (and no body) on 1xx and 204. */
        bodyless = status < 200 || status == 204;
        if (bodyless)
                len = 0;
        else
                snprintf(length_line, sizeof length_line, "Content-Length: %zu\r\n", len);
        if (fd == head_only_fd)
                len = 0;

        n = asprintf(&head,
                     "HTTP/1.1 %d %s\r\n"
                     "%s%s%s"
                     "%s"
                     "Connection: close\r\n"
                     "Cache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\n"
                     "%s"
                     "\r\n",
                     status, http_status_reason(status),
                     content_type ? "Content-Type: " : "", strempty(content_type), content_type ? "\r\n" : "",
                     length_line,
                     strempty(extra_headers));
        if (n < 0) {
                head = NULL;
                return -ENOMEM;
        }

        r = write_two(fd, head, (size_t) n, body, len);
        if (r < 0)
                /* -ENOMEM says nothing was sent (a caller may answer otherwise): not the kernel's */
                return r == -ENOMEM ? -EIO : r;
        return (int) MIN(len, (size_t) INT_MAX);
}

const char *json_to_string(json_object *j) {
        return json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

int http_write_json(int fd, int status, json_object *j, const char *content_type, const char *extra_headers) {
        const char *s = json_to_string(j);

        if (!s)
                return -ENOMEM;
        return http_write_response(fd, status, content_type ?: "application/json", extra_headers, s, strlen(s));
}

int http_write_error(int fd, int status, const char *extra_headers, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        json_object *j;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0) {
                msg = NULL;
                return -ENOMEM;
        }
        /* The message may quote client bytes; JSON must stay valid UTF-8. */
        if (!utf8_valid(msg, (size_t) r))
                for (char *c = msg; *c; c++)
                        if ((unsigned char) *c >= 0x80)
                                *c = '?';

        j = json_object_new_object();
        if (!j)
                return -ENOMEM;
        if (json_object_object_add(j, "error", json_object_new_string(http_status_code(status))) < 0 ||
            json_object_object_add(j, "message", json_object_new_string(msg)) < 0) {
                json_object_put(j);
                return -ENOMEM;
        }

        r = http_write_json(fd, status, j, NULL, extra_headers);
        json_object_put(j);
        return r;
}

int http_write_continue(int fd) {
        static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";

        return write_two(fd, line, sizeof line - 1, NULL, 0);
}
