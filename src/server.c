/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "log-syslog.h"
#include "log.h"
#include "response.h"
#include "routes.h"
#include "run.h"
#include "sandbox.h"
#include "server.h"

/* The socket activation protocol (sd_listen_fds(3)): $LISTEN_PID names us, $LISTEN_FDS counts
 * the fds from SD_LISTEN_FDS_START on. Read here rather than through libsystemd, whose
 * dependencies would double the start-up time of a process that lives for one request. */
static int listen_fds(char **ret_error) {
        const char *e;
        uint64_t pid, n;
        int r = 0;

        e = getenv("LISTEN_PID");
        if (!e)
                return 0;
        /* what is wrong said here: the variables are gone when the caller logs */
        if (parse_u64(e, &pid) < 0)
                r = set_error(ret_error, -EINVAL, "LISTEN_PID '%s' is not a process ID", e);
        else if (pid != (uint64_t) getpid())
                r = 0;
        else if (!(e = getenv("LISTEN_FDS")))
                r = set_error(ret_error, -EINVAL, "LISTEN_PID names this process, but LISTEN_FDS is not set");
        else if (parse_u64(e, &n) < 0 || n > INT_MAX - SD_LISTEN_FDS_START)
                r = set_error(ret_error, -EINVAL, "LISTEN_FDS '%s' is not a number of sockets", e);
        else if (n == 0) /* invalid to sd_listen_fds() too: not a reason to serve stdin instead */
                r = set_error(ret_error, -EINVAL, "LISTEN_PID names this process, but LISTEN_FDS is 0");
        else
                r = (int) n;
        /* nothing of the protocol must reach a skill or a child */
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        return r;
}

/* Accept=no (systemd), systemd-socket-activate without --accept and inetd "wait" style hand over
 * the listening socket: we never accept ourselves, so refuse it here rather than fail on recv(). */
static int take_connection(int fd, int *ret_fd) {
        int listening = 0;
        socklen_t l = sizeof(listening);

        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l) == 0 && listening)
                return -EISCONN;
        *ret_fd = fd;
        return 0;
}

int server_get_connection(int *ret_fd, char **ret_error) {
        struct stat st;
        int n = listen_fds(ret_error);

        if (n < 0)
                return n;
        if (n > 1)
                return -E2BIG; /* Accept=yes hands over exactly one connection */
        if (n == 1)
                return take_connection(SD_LISTEN_FDS_START, ret_fd);
        if (fstat(STDIN_FILENO, &st) == 0 && S_ISSOCK(st.st_mode))
                return take_connection(STDIN_FILENO, ret_fd);
        return -ENOTSOCK;
}

void server_log_error(Server *srv, const char *fmt, ...) {
        va_list ap;

        free(srv->log_error);
        va_start(ap, fmt);
        if (vasprintf(&srv->log_error, fmt, ap) < 0)
                srv->log_error = NULL;
        va_end(ap);
        srv->log.error = srv->log_error;
}

static void describe_peer(int fd, char *buf, size_t n) {
        struct sockaddr_storage sa;
        socklen_t len = sizeof(sa);
        char ip[INET6_ADDRSTRLEN];

        snprintf(buf, n, "-");
        if (getpeername(fd, (struct sockaddr *) &sa, &len) < 0)
                return;
        if (sa.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *) &sa)->sin6_addr)) {
                /* An IPv4 client of a dual-stack listener: named as over IPv4, as systemd names
                 * its instance, not [::ffff:a.b.c.d]:port */
                struct sockaddr_in6 in6 = *(struct sockaddr_in6 *) &sa;
                struct sockaddr_in *in = (struct sockaddr_in *) &sa;

                *in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = in6.sin6_port };
                memcpy(&in->sin_addr, &in6.sin6_addr.s6_addr[12], sizeof(in->sin_addr));
        }
        if (sa.ss_family == AF_INET) {
                struct sockaddr_in *in = (struct sockaddr_in *) &sa;
                inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
                snprintf(buf, n, "%s:%u", ip, ntohs(in->sin_port));
        } else if (sa.ss_family == AF_INET6) {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &sa;
                inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
                snprintf(buf, n, "[%s]:%u", ip, ntohs(in6->sin6_port));
        } else if (sa.ss_family == AF_UNIX)
                snprintf(buf, n, "unix");
}

/* Wait for readability until the absolute deadline; -ETIMEDOUT when it passes. */
static int wait_readable(int fd, uint64_t deadline) {
        for (;;) {
                uint64_t now = now_usec();
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int k;
                if (now >= deadline)
                        return -ETIMEDOUT;
                k = poll(&p, 1, (int) ((deadline - now + 999) / 1000));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                if (k > 0)
                        return 0;
        }
}

/* Some bytes, 0 when none were there after all, -ETIMEDOUT past the deadline, -ENODATA at the
 * end of the client's stream (it closed, or half-closed, its side), -ECONNRESET when it reset
 * the connection, or another -errno. */
static ssize_t read_some(int fd, char *buf, size_t n, uint64_t deadline) {
        int r = wait_readable(fd, deadline);
        ssize_t k;

        if (r < 0)
                return r;
        do
                k = recv(fd, buf, n, MSG_DONTWAIT);
        while (k < 0 && errno == EINTR);
        if (k < 0 && errno == EAGAIN)
                return 0;
        if (k < 0)
                return negative_errno();
        if (k == 0)
                return -ENODATA;
        return k;
}

/* The whole request, head and body, must have arrived by then (design §2). */
static uint64_t request_deadline(const Server *srv) {
        return srv->start_usec + srv->settings.read_timeout_ms * 1000;
}

/* Read the head, and what of the body came with it: the rest waits for server_read_body(), once
 * the route has accepted the request. Returns 0 or the HTTP status to refuse with (message in
 * *ret_msg); -errno when the client is gone (nothing to answer). */
static int read_request(Server *srv, const char **ret_msg) {
        const Settings *s = &srv->settings;
        HttpLimits lim = {
                .max_header = s->max_header,
                .max_fields = s->max_header_fields,
                .max_body = s->max_body,
        };
        uint64_t deadline = request_deadline(srv);
        size_t cap = s->max_header + 1, len = 0;
        /* the raw head holds the token: wiped on every way out (the parsed copy after auth), as
         * far as it was read into: a head of a few hundred bytes in a buffer of max_header */
        _cleanup_secret_buffer_ SecretBuffer raw = { .data = malloc(cap + 1) };
        char *buf = raw.data;
        /* each parse goes on where the last one left off: a head sent a byte per segment costs no
         * more to parse than one sent whole */
        HttpHeadScan scan = {};
        int status = 0, r;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k;
                if (len > 0) {
                        r = http_parse_head_more(&scan, buf, len, &lim, &srv->req, &status, ret_msg);
                        if (r < 0) {
                                /* refused, but still a HEAD: the error goes without its body */
                                if (http_is_head_request(buf, len))
                                        http_response_head_only(srv->fd);
                                return status;
                        }
                        if (r > 0)
                                break;
                }
                if (len >= cap) { /* cannot happen: the parser refuses heads over the bound */
                        *ret_msg = "request header too large";
                        return 431;
                }
                k = read_some(srv->fd, buf + len, cap - len, deadline);
                if (k == -ETIMEDOUT || k == -ENODATA || k == -ECONNRESET) {
                        /* nothing asked (a port probe, say, or `echo | nc -N`'s empty line
                         * alone): nothing to answer */
                        if (http_nothing_asked(buf, len))
                                return k == -ETIMEDOUT ? -ETIMEDOUT : -ECONNRESET;
                        /* a client that closed its side half-way may still read the answer; one
                         * that reset it cannot, but what it began to ask is logged all the same */
                        *ret_msg = k == -ETIMEDOUT   ? "the request did not arrive in time"
                                   : k == -ENODATA ? "the request ended before its head was complete"
                                                   : "the connection was reset before the head was complete";
                        if (http_is_head_request(buf, len))
                                http_response_head_only(srv->fd);
                        return k == -ETIMEDOUT ? 408 : 400;
                }
                if (k < 0)
                        return (int) k;
                len += (size_t) k;
                raw.size = len;
        }

        /* what of the body came with the head (the raw head is wiped on return); the room for
         * the rest is only made once the request is accepted */
        if (srv->req.has_content_length && srv->req.content_length > 0) {
                srv->body_have = MIN(len - srv->req.head_len, (size_t) srv->req.content_length);
                if (srv->body_have > 0) {
                        srv->req.body = malloc(srv->body_have);
                        if (!srv->req.body)
                                return -ENOMEM;
                        memcpy(srv->req.body, buf + srv->req.head_len, srv->body_have);
                }
        }
        return 0;
}

#define RESET_BEFORE_BODY "the connection was reset before the body was complete"

int server_read_body(Server *srv, const char **ret_msg) {
        uint64_t deadline = request_deadline(srv);
        size_t want = (size_t) srv->req.content_length;
        char *body;
        int r;

        if (!srv->req.has_content_length || want == 0)
                return 0;
        body = realloc(srv->req.body, want + 1);
        if (!body)
                return -ENOMEM;
        srv->req.body = body;
        if (srv->body_have < want && srv->req.expect_continue) {
                r = http_write_continue(srv->fd);
                if (r == -ECONNRESET || r == -EPIPE) {
                        /* the reset came first: the same request as one reset while its body came */
                        *ret_msg = RESET_BEFORE_BODY;
                        return 400;
                }
                if (r < 0)
                        return r;
        }
        while (srv->body_have < want) {
                ssize_t k = read_some(srv->fd, srv->req.body + srv->body_have, want - srv->body_have, deadline);
                if (k == -ETIMEDOUT) {
                        *ret_msg = "the request body did not arrive in time";
                        return 408;
                }
                if (k == -ENODATA) {
                        *ret_msg = "the request body ended before its Content-Length";
                        return 400;
                }
                if (k == -ECONNRESET) {
                        /* no answer can reach it, but an accepted request leaves its record */
                        *ret_msg = RESET_BEFORE_BODY;
                        return 400;
                }
                if (k < 0)
                        return (int) k;
                srv->body_have += (size_t) k;
        }
        srv->req.body[want] = 0;
        srv->req.body_len = want;
        return 0;
}

/* A request refused before its body was read (a bad token, say) was answered at once; a client
 * that did not ask to wait (no Expect: 100-continue) is still sending that body, maybe slowly,
 * and would get a reset instead of the answer if we closed now. Take in what it announced,
 * within the request's deadline as before, without keeping it. */
static void discard_unread_body(Server *srv) {
        uint64_t deadline = request_deadline(srv);
        char buf[16384];

        /* a body read whole left nothing to take in: body_have is its length then */
        if (!srv->req.has_content_length || srv->req.expect_continue)
                return;
        while (srv->body_have < srv->req.content_length) {
                uint64_t left = srv->req.content_length - srv->body_have;
                ssize_t k = read_some(srv->fd, buf, (size_t) MIN(left, (uint64_t) sizeof buf), deadline);
                if (k < 0)
                        return;
                srv->body_have += (size_t) k;
        }
}

/* inetd and xinetd hand the connection over as stdin, stdout and stderr alike: whatever we log
 * to stderr would land in the response, with paths and token names. Only 'fd' speaks to the
 * client; the standard fds that are the same socket become /dev/null. The log then goes to
 * syslog, as nothing else reads it (tcpserver keeps stderr apart: its log stays there). */
static void detach_stdio_from_connection(int fd) {
        struct stat conn, st;

        if (fstat(fd, &conn) < 0)
                return;
        for (int i = 0; i <= 2; i++) {
                int null;
                if (i == fd || fstat(i, &st) < 0 || st.st_dev != conn.st_dev || st.st_ino != conn.st_ino)
                        continue;
                /* even if /dev/null cannot be had: no log line may go to the client */
                if (i == STDERR_FILENO)
                        log_set_syslog_socket(LOG_SYSLOG_SOCKET);
                null = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
                if (null < 0)
                        continue;
                (void) dup2(null, i);  /* dup2 clears CLOEXEC on the copy */
                if (null != i)
                        close(null);
        }
}

/* Closing with unread bytes (a pipelined request) would send a RST that can destroy the response
 * in flight: half-close (done already once an answer was sent), then discard what the client
 * still sends, bounded in time. */
static void lingering_close(int fd) {
        uint64_t end = now_usec() + 1000000;
        char scratch[4096];

        (void) shutdown(fd, SHUT_WR);
        for (;;) {
                ssize_t k = recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT);
                if (k > 0) {
                        /* a client that never stops sending does not keep us either */
                        if (now_usec() >= end)
                                break;
                        continue;
                }
                if (k == 0 || (errno != EAGAIN && errno != EINTR))
                        break;
                /* nothing pending: if nothing was pending at all, there is nothing to protect */
                if (wait_readable(fd, MIN(end, now_usec() + 100000)) < 0)
                        break;
        }
}

int server_main(void) {
        Server srv = {
                .fd = -1,
                .log = REQUEST_LOG_INIT,
        };
        _cleanup_free_ char *activation_error = NULL;
        const char *msg = NULL;
        int r, status, exit_code = 0;

        srv.start_usec = now_usec();
        r = server_get_connection(&srv.fd, &activation_error);
        if (r == -EISCONN) {
                log_error("Got a listening socket, not a connection: skillrun never accepts itself; use "
                          "Accept=yes (systemd), --accept (systemd-socket-activate) or 'wait = no' (xinetd)");
                return 1;
        }
        if (r == -E2BIG) {
                log_error("Got more than one socket: skillrun serves one connection; use Accept=yes");
                return 1;
        }
        if (r == -EINVAL && activation_error) {
                log_error("Malformed socket activation variables: %s (systemd and systemd-socket-activate set "
                          "LISTEN_PID and LISTEN_FDS together)", activation_error);
                return 1;
        }
        if (r < 0) {
                log_error_errno(r, "No connection to serve: not socket-activated (LISTEN_FDS) and stdin is not a socket: %m");
                return 1;
        }
        (void) fcntl(srv.fd, F_SETFD, FD_CLOEXEC);
        detach_stdio_from_connection(srv.fd);
        (void) signal(SIGPIPE, SIG_IGN);
        describe_peer(srv.fd, srv.peer, sizeof(srv.peer));
        srv.log.peer = srv.peer;

        /* before a byte from the client is parsed */
        r = sandbox_confine_worker();
        if (r < 0)
                log_warning_errno(r, "Failed to confine the worker itself, continuing without: %m");

        srv.settings_error = settings_load(&srv.settings, &srv.settings_message);
        if (srv.settings_error < 0) {
                /* still answer, within default bounds */
                log_error("Configuration error: %s", strempty(srv.settings_message));
                settings_done(&srv.settings);
                settings_init(&srv.settings);
        }

        /* the answer gets as long as the request had; after a stop request, the grace a skill gets */
        http_response_timeout(srv.fd, srv.settings.read_timeout_ms, srv.settings.kill_grace_ms);
        status = read_request(&srv, &msg);
        if (status >= 0 && srv.req.method && streq(srv.req.method, "HEAD"))
                http_response_head_only(srv.fd);
        if (status == -ENOMEM) {
                /* ours, not the client's: answer if we still can */
                log_error_errno(status, "Reading the request failed: %m");
                status = 500;
                msg = "out of memory";
        }
        if (status < 0) {
                /* the client left or never spoke (e.g. a port probe): nothing to answer */
                if (status != -ECONNRESET && status != -ETIMEDOUT)
                        log_debug_errno(status, "Reading the request failed: %m");
                status = 0;
                exit_code = 0;
        } else if (status > 0) {
                srv.log.method = srv.req.method;
                srv.log.path = srv.req.path;
                /* the bound it ran into, for the operator (the client is told which, not its value) */
                if (srv.req.refused_limit)
                        server_log_error(&srv, "%s (%s is %" PRIu64 ")", msg ? msg : http_status_reason(status),
                                         srv.req.refused_limit, srv.req.refused_limit_value);
                else
                        server_log_error(&srv, "%s", msg ? msg : http_status_reason(status));
                r = http_write_error(srv.fd, status, NULL, "%s", msg ? msg : http_status_reason(status));
                exit_code = status >= 500 && status != 505 && status != 501 ? 1 : 0;
        } else {
                srv.log.method = srv.req.method;
                srv.log.path = srv.req.path;
                if (srv.settings_error < 0) {
                        status = 500;
                        server_log_error(&srv, "configuration error: %s", strempty(srv.settings_message));
                        (void) http_write_error(srv.fd, 500, NULL, "skillrun is misconfigured; see the journal");
                } else
                        status = routes_dispatch(&srv);
                exit_code = status >= 500 && status != 501 && status != 503 ? 1 : 0;
        }

        /* The answer is out: say so with a FIN now, so that a client reading until EOF does not
         * wait for what follows (removing the work dir and cgroup, the journal record), then
         * clean up. lingering_close() still drains what the client sends after. */
        if (status > 0)
                (void) shutdown(srv.fd, SHUT_WR);
        run_cleanup();
        if (status > 0) {
                srv.log.status = status;
                srv.log.duration_usec = now_usec() - srv.start_usec;
                /* a stop request that came while the answer was written waits for the record,
                 * but not for the stream of a journal too busy to take the datagram */
                run_log_record(&srv.log);
        }
        /* a stop request that came while the answer was written ends us here, logged */
        run_unblock_stop_signals();
        /* alive until journald has the record, so that it finds our unit (`journalctl -u`) */
        journal_wait_taken();
        discard_unread_body(&srv);
        lingering_close(srv.fd);
        http_request_done(&srv.req);
        settings_done(&srv.settings);
        free(srv.settings_message);
        free(srv.log_error);
        return exit_code;
}
