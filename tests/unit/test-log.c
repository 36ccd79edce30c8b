/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The log once stderr reaches no one (inetd style): syslog's datagram as glibc's syslog(3)
 * writes it, sent to a datagram socket of our own, for the program's messages and for the
 * request record that no journal took; and stderr left alone, then as before. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "journal.h"
#include "log-syslog.h"
#include "log.h"
#include "tap.h"
#include "util.h"

static void test_format(void) {
        struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 4, .tm_hour = 0, .tm_min = 7, .tm_sec = 9 };
        char *s;

        s = log_syslog_format(LOG_WARNING, &tm, 4242, "skills_dir: 'x\\x0ay' ignored");
        is_str(s, "<28>Nov  4 00:07:09 skillrun[4242]: skills_dir: 'x\\x0ay' ignored",
               "daemon.warning, a one-digit day padded with a space, the line as given");
        free(s);

        tm = (struct tm) { .tm_mon = 0, .tm_mday = 31, .tm_hour = 23, .tm_min = 59, .tm_sec = 60 };
        static const struct {
                int level;
                const char *want;
        } cases[] = {
                { LOG_ERR, "<27>Jan 31 23:59:60 skillrun[1]: m" },
                { LOG_NOTICE, "<29>Jan 31 23:59:60 skillrun[1]: m" },
                { LOG_INFO, "<30>Jan 31 23:59:60 skillrun[1]: m" },
                { LOG_DEBUG, "<31>Jan 31 23:59:60 skillrun[1]: m" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                s = log_syslog_format(cases[i].level, &tm, 1, "m");
                is_str(s, cases[i].want, "level %d: facility daemon, PRI %.4s", cases[i].level, cases[i].want);
                free(s);
        }
        tm.tm_mon = 11;
        s = log_syslog_format(LOG_INFO, &tm, 1, "m");
        ok(s && strncmp(s, "<30>Dec 31 ", 11) == 0, "December: %s", s ? s : "(null)");
        free(s);
}

typedef struct Sink {
        char dir[32], path[PATH_MAX];
        int fd;
} Sink;

/* a syslog socket of the type given, SOCK_STREAM ones listening with no room for a second
 * connection waiting */
static void sink_open_type(Sink *k, int type) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        strcpy(k->dir, "/tmp/test-log-XXXXXX");
        assert_se(mkdtemp(k->dir));
        snprintf(k->path, sizeof k->path, "%s/log", k->dir);
        k->fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        assert_se(k->fd >= 0);
        strcpy(sa.sun_path, k->path);
        assert_se(bind(k->fd, (struct sockaddr *) &sa, sizeof sa) == 0);
        if (type == SOCK_STREAM) {
                assert_se(listen(k->fd, 0) == 0);
                assert_se(fcntl(k->fd, F_SETFL, O_NONBLOCK) == 0);
        }
}

static void sink_open(Sink *k) {
        sink_open_type(k, SOCK_DGRAM);
}

static void sink_close(Sink *k) {
        close(k->fd);
        unlink(k->path);
        rmdir(k->dir);
}

/* The next datagram, NUL-terminated, or "" when none is queued. */
static char *sink_recv(Sink *k) {
        static char buf[65536];
        ssize_t n = recv(k->fd, buf, sizeof buf - 1, MSG_DONTWAIT);

        buf[n > 0 ? n : 0] = '\0';
        return buf;
}

/* Whether got is the datagram log_syslog_send_to() makes of level and msg at a time between
 * before and after (a second may pass between them). */
static bool sent_as(const char *got, int level, const char *msg, time_t before, time_t after) {
        for (time_t t = before; t <= after; t++) {
                struct tm tm;
                _cleanup_free_ char *want = NULL;

                assert_se(localtime_r(&t, &tm));
                want = log_syslog_format(level, &tm, getpid(), msg);
                if (want && streq(got, want))
                        return true;
        }
        return false;
}

static void test_send(void) {
        Sink k;
        time_t before;
        int fds, r = 0, sent = 0;
        char *got;

        sink_open(&k);
        fds = tap_open_fds();
        before = time(NULL);
        is_int(log_syslog_send_to(k.path, LOG_ERR, "Configuration error: x"), 0, "sent to a datagram socket");
        got = sink_recv(&k);
        ok(sent_as(got, LOG_ERR, "Configuration error: x", before, time(NULL)),
           "one datagram, \"<27>\", now, our pid: %s", got);
        is_str(sink_recv(&k), "", "and only one");
        is_int(tap_open_fds(), fds, "no fd kept");

        /* a syslogd that does not read: dropped at once, never waited for */
        while (sent < 100000 && (r = log_syslog_send_to(k.path, LOG_INFO, "flood")) == 0)
                sent++;
        is_int(r, -EAGAIN, "a full queue answers -EAGAIN after %d lines instead of blocking", sent);
        is_int(tap_open_fds(), fds, "no fd kept after a failure either");
        sink_close(&k);

        is_int(log_syslog_send_to(k.path, LOG_ERR, "x"), -ENOENT, "no syslog socket: -ENOENT");
        char toolong[200];
        memset(toolong, 'a', sizeof toolong - 1);
        toolong[sizeof toolong - 1] = 0;
        is_int(log_syslog_send_to(toolong, LOG_ERR, "x"), -ENAMETOOLONG, "a socket path too long: -ENAMETOOLONG");
        /* sun_path's size exactly leaves no room for its NUL; one byte less fits (and is not there) */
        struct sockaddr_un sa;
        toolong[sizeof sa.sun_path] = 0;
        is_int(log_syslog_send_to(toolong, LOG_ERR, "x"), -ENAMETOOLONG, "a socket path of %zu bytes: -ENAMETOOLONG",
               sizeof sa.sun_path);
        toolong[sizeof sa.sun_path - 1] = 0;
        is_int(log_syslog_send_to(toolong, LOG_ERR, "x"), -ENOENT, "a socket path of %zu bytes: tried, -ENOENT",
               sizeof sa.sun_path - 1);
}

/* A syslogd listening on a stream socket gets each line over a connection of its own, ended by
 * its NUL as glibc frames it; one that does not accept is not waited for. */
static void test_send_stream(void) {
        Sink k;
        time_t before;
        char got[4096];
        size_t have = 0;
        ssize_t n;
        int conn, fds, r = 0, sent = 0;

        sink_open_type(&k, SOCK_STREAM);
        fds = tap_open_fds();
        before = time(NULL);
        is_int(log_syslog_send_to(k.path, LOG_WARNING, "skills_dir: x ignored"), 0, "sent to a stream socket");
        /* without it, nothing waits to be accepted */
        conn = accept4(k.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        while (conn >= 0 && have < sizeof got && (n = read(conn, got + have, sizeof got - have)) > 0)
                have += (size_t) n;
        if (conn >= 0)
                close(conn);
        ok(have > 0 && got[have - 1] == '\0', "the line ends with its NUL (%zu bytes)", have);
        ok(have > 0 && strlen(got) == have - 1 && sent_as(got, LOG_WARNING, "skills_dir: x ignored", before, time(NULL)),
           "the same text as a datagram, once, then the connection closed: %s", have > 0 ? got : "(nothing)");
        is_int(tap_open_fds(), fds, "no fd kept");

        /* a line larger than the connection takes at once is not sent whole: -EAGAIN, not 0 */
        size_t big = 4 << 20;
        _cleanup_free_ char *huge = malloc(big);
        assert_se(huge);
        memset(huge, 'x', big);
        is_int(unix_stream_send(k.path, huge, big), -EAGAIN, "a line the connection takes in part: -EAGAIN");
        conn = accept4(k.fd, NULL, NULL, SOCK_CLOEXEC);
        if (conn >= 0)
                close(conn);
        is_int(tap_open_fds(), fds, "no fd kept after it");

        /* nobody accepts: the backlog fills, and the next line is dropped at once */
        while (sent < 1000 && (r = log_syslog_send_to(k.path, LOG_INFO, "flood")) == 0)
                sent++;
        is_int(r, -EAGAIN, "a full backlog answers -EAGAIN after %d lines instead of blocking", sent);
        is_int(tap_open_fds(), fds, "no fd kept after a failure either");
        sink_close(&k);
}

/* stderr to a file of its own while f runs; what was written there, malloc'ed */
static char *capture_stderr(void (*f)(void *), void *userdata) {
        char path[] = "/tmp/test-log-XXXXXX", *got = calloc(1, 65536);
        int fd = mkstemp(path), saved = dup(STDERR_FILENO);
        ssize_t n;

        assert_se(fd >= 0 && saved >= 0 && got);
        unlink(path);
        fflush(stderr);
        assert_se(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
        f(userdata);
        fflush(stderr);
        assert_se(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
        close(saved);
        n = pread(fd, got, 65535, 0);
        close(fd);
        assert_se(n >= 0);
        return got;
}

static void log_some(void *userdata) {
        (void) userdata;
        log_warning("%s:3: invalid token name, line ignored", "/etc/skillrun/tokens\nforged");
        log_debug("not at the default level");
        is_int(log_error_errno(-ENOENT, "Failed to open '%s': %m", "x"), -ENOENT, "the error comes back as ever");
}

/* the max level itself is written; below it nothing, and the error still comes back */
static void log_levels(void *userdata) {
        (void) userdata;
        log_info("at the max level");
        is_int(log_debug_errno(-EACCES, "below the max level"), -EACCES, "not written: the error comes back all the same");
        is_int(log_debug_errno(EACCES, "below the max level"), -EACCES, "... negative, whichever sign it was given");
}

/* $JOURNAL_STREAM set to stderr's own "dev:ino", with the changes named: "" none, "dev" or "ino"
 * one more, "junk" a third field after them */
static void journal_stream_is_stderr(const char *change) {
        struct stat st;
        char js[96];

        assert_se(fstat(STDERR_FILENO, &st) == 0);
        snprintf(js, sizeof js, "%llu:%llu%s", (unsigned long long) st.st_dev + streq(change, "dev"),
                 (unsigned long long) st.st_ino + streq(change, "ino"), streq(change, "junk") ? ":1" : "");
        assert_se(setenv("JOURNAL_STREAM", js, 1) == 0);
}

/* one warning with $JOURNAL_STREAM as journal_stream_is_stderr(userdata) sets it */
static void log_journal_stream(void *userdata) {
        journal_stream_is_stderr(userdata);
        log_warning("on stderr");
        unsetenv("JOURNAL_STREAM");
}

/* a 401's record with the error given, through the journal socket named */
static void log_record_to(const char *socket_path, const char *error) {
        RequestLog l = REQUEST_LOG_INIT;

        l.method = "GET";
        l.path = "/v1/info";
        l.status = 401;
        l.error = error;
        l.peer = "127.0.0.1:4711";
        journal_log_request_to(socket_path, &l);
}

/* a 401's record, through the journal socket userdata names */
static void log_record(void *userdata) {
        log_record_to(userdata, "unauthorized\n\\");
}

/* Once stderr is detached, the messages and the record no journal took go to syslog, escaped as
 * on stderr, at their priority, one datagram each; nothing to stderr. */
static void test_detached(void) {
        Sink k, journal;
        time_t before;
        char *err, *got;

        sink_open(&k);
        unsetenv("JOURNAL_STREAM");

        is_str(log_get_syslog_socket(), NULL, "stderr is the log until told otherwise");
        err = capture_stderr(log_some, NULL);
        ok(strstr(err, "skillrun: /etc/skillrun/tokens\\x0aforged:3: invalid token name, line ignored\n") &&
                   strstr(err, "skillrun: Failed to open 'x': No such file or directory\n"),
           "stderr not detached: the warning and the error on stderr, as before");
        is_str(sink_recv(&k), "", "... and nothing to syslog");
        free(err);

        log_set_syslog_socket(k.path);
        is_str(log_get_syslog_socket(), k.path, "detached: the socket is kept");
        before = time(NULL);
        err = capture_stderr(log_some, NULL);
        is_str(err, "", "detached: nothing on stderr");
        free(err);
        got = sink_recv(&k);
        ok(sent_as(got, LOG_WARNING, "/etc/skillrun/tokens\\x0aforged:3: invalid token name, line ignored", before,
                   time(NULL)),
           "the warning to syslog, <28>, escaped as on stderr: %s", got);
        got = sink_recv(&k);
        ok(sent_as(got, LOG_ERR, "Failed to open 'x': No such file or directory", before, time(NULL)),
           "the error with its %%m, <27>: %s", got);
        is_str(sink_recv(&k), "", "nothing above the max level");

        /* the record: no journal (ENOENT), so to syslog at record_priority(), a 401 the client's */
        err = capture_stderr(log_record, (void *) "/nonexistent/journal/socket");
        is_str(err, "", "no journal, detached: no record on stderr");
        free(err);
        got = sink_recv(&k);
        ok(sent_as(got, LOG_NOTICE,
                   "status=401 method=GET path=/v1/info skill=- outcome=- exit_code=-1 run_id=- token=- "
                   "peer=127.0.0.1:4711 duration_usec=0 max_rss_kb=0 error=unauthorized\\x0a\\x5c",
                   before, time(NULL)),
           "no journal: the record's line to syslog, <29>, as escaped as on stderr: %s", got);
        is_str(sink_recv(&k), "", "one datagram");

        /* a journal that takes it: there only, never twice */
        sink_open(&journal);
        err = capture_stderr(log_record, journal.path);
        is_str(err, "", "a journal: nothing on stderr");
        free(err);
        char rec[JOURNAL_RECORD_MAX];
        ssize_t n = recv(journal.fd, rec, sizeof rec, MSG_DONTWAIT);
        ok(n > 0 && memmem(rec, (size_t) n, "\nSKILLRUN_STATUS=401\n", 21), "the record went to the journal");
        is_str(sink_recv(&k), "", "... and not to syslog too");
        sink_close(&journal);

        /* no syslog either: dropped, still nothing to stderr (it may be the connection) */
        sink_close(&k);
        err = capture_stderr(log_some, NULL);
        is_str(err, "", "detached, no syslog: nothing on stderr");
        free(err);
        err = capture_stderr(log_record, (void *) "/nonexistent/journal/socket");
        is_str(err, "", "... nor the record");
        free(err);

        log_set_syslog_socket(NULL);
        err = capture_stderr(log_record, (void *) "/nonexistent/journal/socket");
        ok(strncmp(err, "skillrun: status=401 method=GET ", 32) == 0, "NULL: stderr again: %s", err);
        free(err);
}

/* Messages on stderr: the max level is written, what is below it returns its error unwritten;
 * under systemd (stderr the journal's stream: its device and inode both in $JOURNAL_STREAM, and
 * nothing else) the level as a "<N>" prefix, else "skillrun: ". */
static void stderr_is(void (*f)(void *), void *userdata, const char *want, const char *what) {
        char *err = capture_stderr(f, userdata);

        is_str(err, want, "%s", what);
        free(err);
}

static void test_stderr(void) {
        static const char *const other[][2] = { { "dev", "another device" }, { "ino", "another inode" },
                                                  { "junk", "a third field" } };
        char what[96];

        unsetenv("JOURNAL_STREAM");
        stderr_is(log_levels, NULL, "skillrun: at the max level\n", "the max level (info) written, debug not");
        stderr_is(log_journal_stream, (void *) "", "<4>on stderr\n", "stderr the journal's stream: the level as a prefix");
        for (size_t i = 0; i < ELEMENTSOF(other); i++) {
                snprintf(what, sizeof what, "$JOURNAL_STREAM with %s: the plain line", other[i][1]);
                stderr_is(log_journal_stream, (void *) other[i][0], "skillrun: on stderr\n", what);
        }
}

/* stderr a datagram socket while f runs, which keeps each write(2) apart: the datagrams, each
 * NUL-terminated, into got[0..n), how many through the return value */
static size_t stderr_writes(void (*f)(void *), void *userdata, char got[][1024], size_t n) {
        int sv[2], saved = dup(STDERR_FILENO);
        size_t i;

        assert_se(saved >= 0 && socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
        fflush(stderr);
        assert_se(dup2(sv[1], STDERR_FILENO) == STDERR_FILENO);
        f(userdata);
        assert_se(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
        close(saved);
        close(sv[1]);
        for (i = 0; i < n; i++) {
                ssize_t k = recv(sv[0], got[i], sizeof got[i] - 1, MSG_DONTWAIT);
                if (k < 0)
                        break;
                got[i][k] = '\0';
        }
        close(sv[0]);
        return i;
}

static void log_long(void *userdata) {
        log_warning("%s", (const char *) userdata);
}

/* the same with $JOURNAL_STREAM naming stderr */
static void log_long_journal(void *userdata) {
        journal_stream_is_stderr("");
        log_long(userdata);
        unsetenv("JOURNAL_STREAM");
}

/* a 401's record whose error (userdata) makes it long, with no journal */
static void log_long_record(void *userdata) {
        log_record_to("/nonexistent/journal/socket", userdata);
}

/* A line is one write(2), however long: stdio (glibc 2.37 and later) writes an unbuffered stream's
 * formatted output in 128-byte pieces, between which another process writing to the same stderr
 * (systemd-socket-activate and the other workers it started) cut in and tore the record apart. */
static void test_one_write(void) {
        char got[4][1024], msg[301], want[512];
        size_t n;

        memset(msg, 'm', sizeof msg - 1);
        msg[sizeof msg - 1] = '\0';
        unsetenv("JOURNAL_STREAM");
        n = stderr_writes(log_long, msg, got, ELEMENTSOF(got));
        snprintf(want, sizeof want, "skillrun: %s\n", msg);
        is_int(n, 1, "a 300-byte message: one write");
        is_str(n > 0 ? got[0] : "", want, "... which holds the whole line");

        n = stderr_writes(log_long_record, msg, got, ELEMENTSOF(got));
        snprintf(want, sizeof want,
                 "skillrun: status=401 method=GET path=/v1/info skill=- outcome=- exit_code=-1 run_id=- token=- "
                 "peer=127.0.0.1:4711 duration_usec=0 max_rss_kb=0 error=%s\n", msg);
        is_int(n, 1, "the request record's line of %zu bytes: one write", strlen(want));
        is_str(n > 0 ? got[0] : "", want, "... which holds the whole line");

        /* under systemd: the "<N>" prefix in the same write */
        n = stderr_writes(log_long_journal, msg, got, ELEMENTSOF(got));
        snprintf(want, sizeof want, "<4>%s\n", msg);
        is_int(n, 1, "stderr the journal's stream: one write");
        is_str(n > 0 ? got[0] : "", want, "... the level's prefix and the whole line");
}

/* writev(2) wrapped (-Wl,--wrap=writev): the next call fails with EINTR 'eintr' times, then
 * writes only the first 'short_at' bytes when that is not -1, as a pipe or a terminal may */
static int eintr;
static ssize_t short_at = -1;

ssize_t __real_writev(int fd, const struct iovec *iov, int n);
ssize_t __wrap_writev(int fd, const struct iovec *iov, int n);
ssize_t __wrap_writev(int fd, const struct iovec *iov, int n) {
        struct iovec cut[8];
        size_t left;
        int m = 0;

        if (eintr > 0) {
                eintr--;
                errno = EINTR;
                return -1;
        }
        if (short_at < 0 || n > (int) ELEMENTSOF(cut))
                return __real_writev(fd, iov, n);
        left = (size_t) short_at;
        short_at = -1;
        for (int i = 0; i < n && left > 0; i++, m++) {
                cut[m] = iov[i];
                if (cut[m].iov_len > left)
                        cut[m].iov_len = left;
                left -= cut[m].iov_len;
        }
        return m == 0 ? 0 : __real_writev(fd, cut, m);
}

/* write(2) wrapped too (-Wl,--wrap=write): the next 'fail_writes' calls fail with EIO */
static int fail_writes;

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n) {
        if (fail_writes > 0) {
                fail_writes--;
                errno = EIO;
                return -1;
        }
        return __real_write(fd, buf, n);
}

static void log_short(void *userdata) {
        (void) userdata;
        log_warning("cut short");
}

/* What one writev(2) left is written after it, in order and once, wherever the cut falls: in
 * the prefix, at a boundary, in the text, before the newline; and an EINTR is tried again. */
static void test_short_writes(void) {
        static const char want[] = "skillrun: cut short\n";
        char *err;

        unsetenv("JOURNAL_STREAM");
        for (ssize_t k = 0; k < (ssize_t) strlen(want); k++) {
                short_at = k;
                err = capture_stderr(log_short, NULL);
                is_str(err, want, "writev(2) wrote %zd of %zu bytes: the rest follows", k, strlen(want));
                free(err);
        }
        short_at = -1;
        eintr = 2;
        err = capture_stderr(log_short, NULL);
        is_str(err, want, "writev(2) interrupted twice: the line is written all the same");
        free(err);
        eintr = 0;

        /* the write of what was left fails: the line ends there, no later piece glued on */
        short_at = 5;
        fail_writes = 1;
        err = capture_stderr(log_short, NULL);
        is_str(err, "skill", "writev(2) short, the write after it failing: nothing more of the line");
        free(err);
        short_at = -1;
        fail_writes = 0;
}

int main(void) {
        test_format();
        test_stderr();
        test_one_write();
        test_short_writes();
        test_send();
        test_send_stream();
        test_detached();
        return done_testing();
}
