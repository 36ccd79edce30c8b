/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The request record in journald's native protocol: parsed back here as journald does, and sent
 * to a datagram socket of our own, so that no journald is needed. */
#include <endian.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal.h"
#include "run.h"
#include "tap.h"
#include "util.h"

#define FIELDS_MAX 32

/* journal_wait_taken()'s pauses (unit.am links this test with -Wl,--wrap=nanosleep): counted,
 * and where drain_fd is set, the "journal" reads its queue during the pause. */
int __real_nanosleep(const struct timespec *req, struct timespec *rem);
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem);
static int drain_fd = -1;
static bool drain_one; /* one datagram a pause, as a busy journal would */
static bool comment_taken;
/* another sender that fills the slot the journal's first read frees, at once (PID 1) */
static int refill_fd = -1;
static const struct sockaddr_un *refill_sa;
static unsigned pauses;
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem) {
        char b[JOURNAL_RECORD_MAX + 1];
        ssize_t k;

        pauses++;
        if (drain_fd >= 0)
                while ((k = recv(drain_fd, b, sizeof b, MSG_DONTWAIT)) >= 0) {
                        if (k == 2 && memcmp(b, "#\n", 2) == 0)
                                comment_taken = true;
                        if (refill_fd >= 0) {
                                assert_se(sendto(refill_fd, "y", 1, MSG_DONTWAIT, (const struct sockaddr *) refill_sa,
                                                 sizeof *refill_sa) == 1);
                                refill_fd = -1;
                        }
                        if (drain_one)
                                break;
                }
        return __real_nanosleep(req, rem);
}

typedef struct Field {
        char key[64];
        char *value;
        size_t len;
} Field;

static void free_fields(Field *f, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(f[i].value);
}

/* journald's reading of a datagram: -EBADMSG on anything it would refuse, with nothing kept
 * (*ret_n 0), so that a caller reusing f and n after an earlier record reads no freed value. */
static int parse(const char *p, size_t n, Field *f, size_t *ret_n) {
        const char *end = p + n;
        size_t k = 0;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *eq;
                if (!nl || k == FIELDS_MAX)
                        goto fail;
                eq = memchr(p, '=', (size_t) (nl - p));
                size_t kl = (size_t) ((eq ?: nl) - p);
                if (kl == 0 || kl >= sizeof f[k].key)
                        goto fail;
                memcpy(f[k].key, p, kl);
                f[k].key[kl] = 0;
                if (eq) {
                        f[k].len = (size_t) (nl - eq - 1);
                        f[k].value = strndup(eq + 1, f[k].len);
                        p = nl + 1;
                } else {
                        uint64_t le;
                        if ((size_t) (end - nl - 1) < sizeof le)
                                goto fail;
                        memcpy(&le, nl + 1, sizeof le);
                        f[k].len = (size_t) le64toh(le);
                        const char *v = nl + 1 + sizeof le;
                        if ((size_t) (end - v) < f[k].len + 1 || v[f[k].len] != '\n')
                                goto fail;
                        f[k].value = strndup(v, f[k].len);
                        p = v + f[k].len + 1;
                }
                for (const char *c = f[k].key; *c; c++)
                        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_')) {
                                free(f[k].value);
                                goto fail;
                        }
                k++;
        }
        *ret_n = k;
        return 0;
fail:
        free_fields(f, k);
        *ret_n = 0;
        return -EBADMSG;
}

static const Field *find(const Field *f, size_t n, const char *key) {
        for (size_t i = 0; i < n; i++)
                if (streq(f[i].key, key))
                        return &f[i];
        return NULL;
}

static const char *value(const Field *f, size_t n, const char *key) {
        const Field *x = find(f, n, key);
        return x ? x->value : "(missing)";
}

/* The reader refuses what journald would, and keeps nothing of it: a test reusing f and n after
 * a refused record must find none of its fields, nor freed ones of the record before. */
static void test_reader(void) {
        static const char good[] = "MESSAGE=hi\nPRIORITY=6\n", bad[] = "MESSAGE=hi\nlower=x\n";
        Field f[FIELDS_MAX] = {};
        size_t n = 0;

        is_int(parse(good, strlen(good), f, &n), 0, "reader: a record journald takes");
        is_int(n, 2, "reader: its two fields");
        free_fields(f, n);
        is_int(parse(bad, strlen(bad), f, &n), -EBADMSG, "reader: a lowercase key is refused");
        is_int(n, 0, "reader: nothing kept of a refused record");
        free_fields(f, n);
}

/* The record of l parses, and its PRIORITY is want. */
static void check_priority(const RequestLog *l, const char *want, const char *what) {
        static char buf[JOURNAL_RECORD_MAX];
        Field f[FIELDS_MAX] = {};
        size_t n = 0, len = journal_format_record(l, buf, sizeof buf);

        is_int(parse(buf, len, f, &n), 0, "%s: the record parses", what);
        is_str(value(f, n, "PRIORITY"), want, "%s: PRIORITY %s", what, want);
        free_fields(f, n);
}

static void test_format(void) {
        static char buf[JOURNAL_RECORD_MAX];
        Field f[FIELDS_MAX] = {};
        size_t n = 0, len;
        RequestLog l = {
                .run_id = "0123456789abcdef0123456789abcdef",
                .skill = "wc",
                .token_name = "ci",
                .peer = "127.0.0.1:4711",
                .method = "POST",
                .path = "/v1/skills/wc/run",
                .status = 200,
                .outcome = "ok",
                .exit_code = 0,
                .duration_usec = 1234,
                .max_rss_kb = 512,
        };

        len = journal_format_record(&l, buf, sizeof buf);
        is_int(parse(buf, len, f, &n), 0, "the record parses as journald reads it");
        is_int(n, 14, "14 fields, no SKILLRUN_ERROR without an error");
        is_str(value(f, n, "MESSAGE"), "POST /v1/skills/wc/run → 200 skill=wc outcome=ok", "MESSAGE");
        is_str(value(f, n, "PRIORITY"), "6", "PRIORITY info for a 200");
        is_str(value(f, n, "SYSLOG_IDENTIFIER"), "skillrun", "SYSLOG_IDENTIFIER");
        is_str(value(f, n, "SKILLRUN_RUN_ID"), l.run_id, "SKILLRUN_RUN_ID");
        is_str(value(f, n, "SKILLRUN_SKILL"), "wc", "SKILLRUN_SKILL");
        is_str(value(f, n, "SKILLRUN_TOKEN_NAME"), "ci", "SKILLRUN_TOKEN_NAME");
        is_str(value(f, n, "SKILLRUN_PEER"), "127.0.0.1:4711", "SKILLRUN_PEER");
        is_str(value(f, n, "SKILLRUN_METHOD"), "POST", "SKILLRUN_METHOD");
        is_str(value(f, n, "SKILLRUN_PATH"), "/v1/skills/wc/run", "SKILLRUN_PATH");
        is_str(value(f, n, "SKILLRUN_STATUS"), "200", "SKILLRUN_STATUS");
        is_str(value(f, n, "SKILLRUN_OUTCOME"), "ok", "SKILLRUN_OUTCOME");
        is_str(value(f, n, "SKILLRUN_EXIT_CODE"), "0", "SKILLRUN_EXIT_CODE");
        is_str(value(f, n, "SKILLRUN_DURATION_USEC"), "1234", "SKILLRUN_DURATION_USEC");
        is_str(value(f, n, "SKILLRUN_MAX_RSS_KB"), "512", "SKILLRUN_MAX_RSS_KB");
        free_fields(f, n);

        /* an error with a newline takes the length-prefixed form; a 500 is an error */
        RequestLog e = REQUEST_LOG_INIT;
        e.method = "GET";
        e.path = "/v1/skills/broken";
        e.status = 500;
        e.error = "manifest: line one\nline two";
        len = journal_format_record(&e, buf, sizeof buf);
        is_int(parse(buf, len, f, &n), 0, "a record with a multi-line value parses");
        is_str(value(f, n, "SKILLRUN_ERROR"), "manifest: line one\nline two", "multi-line value kept whole");
        ok(find(f, n, "SKILLRUN_ERROR") && find(f, n, "SKILLRUN_ERROR")->len == 27, "its length is exact");
        /* MESSAGE is what journalctl shows: one line, the newline written as \xNN (below) */
        is_str(value(f, n, "MESSAGE"), "GET /v1/skills/broken → 500: manifest: line one\\x0aline two",
               "MESSAGE one line, the newline written as \\x0a");
        is_str(value(f, n, "PRIORITY"), "3", "PRIORITY err for a 500");
        is_str(value(f, n, "SKILLRUN_EXIT_CODE"), "-1", "no exit code: -1");
        is_str(value(f, n, "SKILLRUN_SKILL"), "", "no skill: empty");
        free_fields(f, n);

        /* An error can quote the client (a JSON key it sent): journalctl shows a MESSAGE with a
         * control character but the newline as "[blob data]" and a newline as a line of its own
         * ("-o cat"), so MESSAGE is written as the stderr line's and the worker's messages are;
         * SKILLRUN_ERROR keeps the text as it was */
        const RequestLog q = { .method = "POST", .path = "/v1/skills/echo/run", .status = 400, .exit_code = -1,
                               .error = "unknown field '\x1b[2Jx\nskillrun: status=200\t\x01\xc2\x85\xe2\x80\xa8\\ é'" };
        is_int(parse(buf, journal_format_record(&q, buf, sizeof buf), f, &n), 0,
               "a record quoting control characters parses");
        is_str(value(f, n, "MESSAGE"),
               "POST /v1/skills/echo/run → 400: unknown field '\\x1b[2Jx\\x0askillrun: status=200\\x09\\x01"
               "\\xc2\\x85\\xe2\\x80\\xa8\\ é'",
               "MESSAGE: control characters, NEL and U+2028 written as \\xNN, the backslash and other UTF-8 kept");
        is_str(value(f, n, "SKILLRUN_ERROR"), q.error, "SKILLRUN_ERROR as it was");
        free_fields(f, n);

        /* skillrun run (status 0): info for a run, err for one that could not start */
        RequestLog c = REQUEST_LOG_INIT;
        c.method = "CLI";
        c.path = "run";
        c.skill = "echo";
        c.outcome = "ok";
        check_priority(&c, "6", "a CLI run");
        c.outcome = NULL;
        c.error = "work_dir: No such file or directory";
        check_priority(&c, "3", "a CLI run that could not start");

        /* a 200 whose skill never ran (sandbox_error) is the operator's to look at: err, and the
         * same for skillrun run, whose record has no status */
        c.method = "POST";
        c.path = "/v1/skills/x/run";
        c.status = 200;
        c.outcome = "sandbox_error";
        c.error = "execve: No such file or directory";
        check_priority(&c, "3", "a 200 with outcome sandbox_error");
        c.status = 0;
        check_priority(&c, "3", "skillrun run's sandbox_error");

        /* the lowest client error is the client's too: notice, as a 404 is */
        RequestLog c4 = REQUEST_LOG_INIT;
        c4.status = 400;
        c4.error = "bad JSON";
        check_priority(&c4, "5", "a 400, the client's");

        /* what a client asked for and we do not do is its error, not ours: as for the exit status
         * (skillrun(8)), a 501 or 505 is no worker failure */
        static const int client_5xx[] = { 501, 505 };
        for (size_t i = 0; i < ELEMENTSOF(client_5xx); i++) {
                RequestLog c5 = REQUEST_LOG_INIT;
                char what[32];
                c5.status = client_5xx[i];
                c5.error = "Only HTTP/1.0 and HTTP/1.1 are supported";
                snprintf(what, sizeof what, "a %d, the client's", c5.status);
                check_priority(&c5, "5", what);
        }

        /* a long value is cut, not split inside a UTF-8 sequence, and the record stays bounded */
        char *longpath = malloc(3 * JOURNAL_VALUE_MAX + 2);
        assert_se(longpath);
        longpath[0] = '/';
        for (size_t i = 1; i < 3 * JOURNAL_VALUE_MAX; i += 2)
                memcpy(longpath + i, "\xc3\xa9", 2); /* é */
        longpath[3 * JOURNAL_VALUE_MAX + 1] = 0;
        e.path = longpath;
        e.error = longpath;
        e.status = 404;
        e.method = "POST"; /* "POST /": 505 bytes of é pairs left in MESSAGE, which snprintf cuts in one */
        len = journal_format_record(&e, buf, sizeof buf);
        ok(len <= JOURNAL_RECORD_MAX, "record within JOURNAL_RECORD_MAX (%zu)", len);
        is_int(parse(buf, len, f, &n), 0, "a record with long values parses");
        const Field *p = find(f, n, "SKILLRUN_PATH");
        ok(p && p->len <= JOURNAL_VALUE_MAX && p->len >= JOURNAL_VALUE_MAX - 1, "path cut to %d bytes (%zu)",
           JOURNAL_VALUE_MAX, p ? p->len : 0);
        ok(p && ((unsigned char) p->value[p->len - 1] == 0xa9), "cut after a whole 'é'");
        const Field *m = find(f, n, "MESSAGE");
        ok(m && m->len > 400 && m->len < 512 && (unsigned char) m->value[m->len - 1] == 0xa9,
           "MESSAGE cut to its buffer after a whole 'é' (%zu bytes)", m ? m->len : 0);
        is_str(value(f, n, "PRIORITY"), "5", "PRIORITY notice for a 404");
        free_fields(f, n);
        free(longpath);
}

static void test_send(void) {
        char dir[] = "/tmp/test-journal-XXXXXX", path[PATH_MAX];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        static char buf[JOURNAL_RECORD_MAX + 1];
        Field f[FIELDS_MAX] = {};
        size_t n = 0;
        RequestLog l = REQUEST_LOG_INIT;
        int fd;

        l.method = "GET";
        l.path = "/healthz";
        l.status = 200;
        assert_se(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/socket", dir);
        is_int(journal_send_record(path, &l), -ENOENT, "no socket: -ENOENT (the caller falls back to stderr)");

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_se(fd >= 0);
        strcpy(sa.sun_path, path);
        assert_se(bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0);
        is_int(journal_send_record(path, &l), 0, "sent to a datagram socket");
        ssize_t k = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        ok(k > 0, "one datagram arrived (%zd bytes)", k);
        is_int(k > 0 ? parse(buf, (size_t) k, f, &n) : -1, 0, "it parses");
        is_str(value(f, n, "SKILLRUN_PATH"), "/healthz", "with the record's fields");
        free_fields(f, n);

        /* journald not draining its queue: refused at once, never waited for */
        int sent = 0, r = 0;
        while (sent < 100000 && (r = journal_send_record(path, &l)) == 0)
                sent++;
        is_int(r, -EAGAIN, "a full queue answers -EAGAIN after %d records instead of blocking", sent);

        close(fd);
        unlink(path);
        rmdir(dir);
        char toolong[200];
        memset(toolong, 'a', sizeof toolong - 1);
        toolong[sizeof toolong - 1] = 0;
        is_int(journal_send_record(toolong, &l), -ENAMETOOLONG, "a socket path too long: -ENAMETOOLONG");
}

/* A sender gone before journald takes its datagram leaves a record without its unit
 * (systemd#2913): the worker stays until journald has it, and not forever when it never does. */
static void test_wait_taken(void) {
        char dir[] = "/tmp/test-journal-XXXXXX", path[PATH_MAX];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        static char buf[JOURNAL_RECORD_MAX + 1];
        RequestLog l = REQUEST_LOG_INIT;
        int fd, p[2], status;
        pid_t pid;

        l.method = "GET";
        l.path = "/healthz";
        l.status = 200;
        journal_wait_taken(); /* nothing sent: nothing to wait for */
        ok(true, "nothing sent: journal_wait_taken() returns");

        assert_se(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/socket", dir);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_se(fd >= 0);
        strcpy(sa.sun_path, path);
        assert_se(bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0);
        assert_se(pipe2(p, O_CLOEXEC) == 0);

        pid = fork();
        assert_se(pid >= 0);
        if (pid == 0) {
                if (journal_send_record(path, &l) < 0)
                        _exit(1);
                journal_wait_taken();
                _exit(write(p[1], "x", 1) == 1 ? 0 : 1);
        }
        close(p[1]);
        struct pollfd in = { .fd = fd, .events = POLLIN }, gone = { .fd = p[0], .events = POLLIN };
        ok(poll(&in, 1, 5000) == 1, "the record is in the journal's queue");
        /* a sender that did not wait would be gone within microseconds */
        is_int(poll(&gone, 1, 50), 0, "the sender waits while its record is unread");
        ok(recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0, "the journal takes it");
        /* journald reads the sender's /proc after taking the record: the sender waits until the
         * journal is done with it, which it shows by taking the next datagram */
        ok(poll(&in, 1, 5000) == 1, "a second datagram follows the record");
        is_int(poll(&gone, 1, 50), 0, "the sender waits while that one is unread too");
        ssize_t k = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        ok(k == 2 && memcmp(buf, "#\n", 2) == 0, "it is a comment line, which journald logs nothing of");
        is_int(poll(&gone, 1, 5000), 1, "... and once it is taken the sender goes on at once");
        assert_se(waitpid(pid, &status, 0) == pid);
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the sender exits 0");
        close(p[0]);

        /* a journal that takes both datagrams during the first pause: no second one (the wait
         * ends when the queue is empty, not when its time is up) */
        is_int(journal_send_record(path, &l), 0, "a record for a journal that reads it at once");
        drain_fd = fd;
        pauses = 0;
        journal_wait_taken();
        drain_fd = -1;
        ok(pauses <= 1, "both taken during the first pause: the wait ends there (%u pauses)", pauses);
        ok(recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0 && errno == EAGAIN, "... nothing left in the queue");

        /* a journal whose queue the record filled (PID 1 writes there too while units stop):
         * the comment does not fit at first, and is sent once the journal has made room, so
         * that the wait still ends only once the journal is done with the record */
        int filler = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_se(filler >= 0);
        is_int(journal_send_record(path, &l), 0, "a record for a journal with a full queue");
        unsigned fillers = 0;
        while (sendto(filler, "x", 1, MSG_DONTWAIT, (struct sockaddr *) &sa, sizeof sa) == 1)
                fillers++;
        is_int(errno, EAGAIN, "the journal's queue is full after %u more datagrams", fillers);
        drain_fd = fd;
        drain_one = true;
        comment_taken = false;
        pauses = 0;
        journal_wait_taken();
        drain_fd = -1;
        drain_one = false;
        ok(comment_taken, "the comment was sent once there was room, and taken (%u pauses)", pauses);
        ok(recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0 && errno == EAGAIN, "... nothing left in the queue");

        /* the slot the record leaves is taken at once by another sender: the record is read, the
         * comment still does not fit, and the wait goes on until it does and is taken (journald
         * reads the record's /proc only after it) */
        is_int(journal_send_record(path, &l), 0, "a record for a journal whose queue another sender keeps full");
        while (sendto(filler, "x", 1, MSG_DONTWAIT, (struct sockaddr *) &sa, sizeof sa) == 1)
                ;
        is_int(errno, EAGAIN, "... full");
        drain_fd = fd;
        drain_one = true;
        refill_fd = filler;
        refill_sa = &sa;
        comment_taken = false;
        journal_wait_taken();
        drain_fd = refill_fd = -1;
        drain_one = false;
        ok(comment_taken, "the record taken while the queue stays full: the wait goes on until the comment is taken");
        ok(recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0 && errno == EAGAIN, "... nothing left in the queue");
        close(filler);

        /* a journal gone after the record (journald restarted: its socket not read by anyone, the
         * comment refused with ECONNREFUSED): nothing to wait for, no pause */
        char gone_path[PATH_MAX];
        struct sockaddr_un gone_sa = { .sun_family = AF_UNIX };
        snprintf(gone_path, sizeof gone_path, "%s/gone", dir);
        strcpy(gone_sa.sun_path, gone_path);
        int gone_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_se(gone_fd >= 0);
        assert_se(bind(gone_fd, (struct sockaddr *) &gone_sa, sizeof gone_sa) == 0);
        is_int(journal_send_record(gone_path, &l), 0, "a record for a journal that then goes away");
        close(gone_fd);
        pauses = 0;
        journal_wait_taken();
        is_int(pauses, 0, "the journal gone: journal_wait_taken() returns at once, without a pause");
        unlink(gone_path);

        /* a journal that never reads it: the wait ends, the socket is closed */
        int before = tap_open_fds();
        is_int(journal_send_record(path, &l), 0, "another record sent");
        is_int(tap_open_fds(), before + 1, "its socket stays open for the wait");
        is_int(journal_send_record(path, &l), 0, "one more record before the wait");
        is_int(tap_open_fds(), before + 1, "... the socket of the one before closed, not leaked");
        journal_wait_taken();
        ok(true, "a record left unread: journal_wait_taken() returns");
        is_int(tap_open_fds(), before, "... and closes the socket");

        close(fd);
        unlink(path);
        rmdir(dir);
}

/* The stderr form is one line whatever the error quotes: a forged second record cannot start. */
static void test_line(void) {
        RequestLog l = REQUEST_LOG_INIT;
        char *line;

        l.method = "POST";
        l.path = "/v1/skills/echo/run";
        l.status = 400;
        l.error = "unknown field 'x\nskillrun: status=200 token=admin\t\x01\\'";
        line = journal_format_line(&l);
        ok(line && !strpbrk(line, "\n\r\t\x01"), "no control character in the line");
        ok(line && strstr(line, " error=unknown field 'x\\x0askillrun: status=200 token=admin\\x09\\x01\\x5c'"),
           "control characters and the backslash written as \\xNN: %s", line ? line : "(null)");
        ok(line && strncmp(line, "skillrun: status=400 method=POST path=/v1/skills/echo/run ", 58) == 0,
           "the record's fields as before");
        free(line);

        /* nor a Unicode line break (NEL, U+2028, U+2029) or C1 control: Python's splitlines() and
         * terminals act on those; other UTF-8 stays as it is */
        l.error = "unknown field 'x\xc2\x85skillrun: status=200\xe2\x80\xa8" "a\xe2\x80\xa9" "b\xc2\x9b" "31m é\xe2\x80\xa6'";
        line = journal_format_line(&l);
        ok(line && strstr(line, " error=unknown field 'x\\xc2\\x85skillrun: status=200\\xe2\\x80\\xa8a\\xe2\\x80\\xa9b"
                                "\\xc2\\x9b31m é\xe2\x80\xa6'"),
           "NEL, U+2028, U+2029 and C1 controls written as \\xNN, other UTF-8 kept: %s", line ? line : "(null)");
        free(line);

        /* a client can make the error as long as its body: cut as the record cuts it */
        char *big = malloc(100001);
        assert_se(big);
        memset(big, 'k', 100000);
        big[100000] = 0;
        l.error = big;
        line = journal_format_line(&l);
        ok(line && strstr(line, " error=k") && strlen(strstr(line, " error=") + strlen(" error=")) == JOURNAL_VALUE_MAX,
           "a 100000-byte error is cut to %d bytes on stderr too", JOURNAL_VALUE_MAX);
        free(line);

        /* ... and so is the path, which is the client's as well */
        memset(big, 'p', 100000);
        l.path = big;
        l.error = NULL;
        line = journal_format_line(&l);
        const char *path = line ? strstr(line, " path=") : NULL;
        ok(path && strspn(path + strlen(" path="), "p") == JOURNAL_VALUE_MAX &&
           startswith(path + strlen(" path=") + JOURNAL_VALUE_MAX, " skill="),
           "a 100000-byte path is cut to %d bytes on stderr", JOURNAL_VALUE_MAX);
        free(line);

        /* an error of control characters only: each one four bytes (\xNN), all of them there */
        memset(big, '\x01', JOURNAL_VALUE_MAX);
        big[JOURNAL_VALUE_MAX] = 0;
        l.path = "/v1/skills/echo/run";
        l.error = big;
        line = journal_format_line(&l);
        const char *err = line ? strstr(line, " error=") : NULL;
        size_t k = 0;
        if (err)
                for (err += strlen(" error="); startswith(err, "\\x01"); err += 4)
                        k++;
        ok(err && *err == 0 && k == JOURNAL_VALUE_MAX, "%d control characters: each written as \\x01 (%zu)",
           JOURNAL_VALUE_MAX, k);
        free(line);
        free(big);
}

/* What journal_log_request_to() writes on stderr when the socket does not take the record, with
 * $JOURNAL_STREAM set to js (NULL: unset). */
static char *fallback_line(const RequestLog *l, const char *js) {
        char path[] = "/tmp/test-journal-XXXXXX", *got = calloc(1, 4096);
        int fd = mkstemp(path), saved = dup(STDERR_FILENO);
        ssize_t k;

        assert_se(fd >= 0 && saved >= 0 && got);
        unlink(path);
        if (js)
                assert_se(setenv("JOURNAL_STREAM", js, 1) == 0);
        else
                unsetenv("JOURNAL_STREAM");
        fflush(stderr);
        assert_se(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
        journal_log_request_to("/nonexistent/journal/socket", l);
        fflush(stderr);
        assert_se(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
        close(saved);
        unsetenv("JOURNAL_STREAM");
        k = pread(fd, got, 4095, 0);
        close(fd);
        assert_se(k >= 0);
        return got;
}

/* Under systemd stderr is the journal's stream too: the record that could not be sent keeps its
 * priority there through a "<N>" prefix, so that "journalctl -p err" still shows a 500. Only when
 * stderr is that stream, not wherever $JOURNAL_STREAM is merely inherited. */
static void test_fallback(void) {
        RequestLog l = REQUEST_LOG_INIT;
        char js[64], *line;
        struct stat st;

        l.method = "GET";
        l.path = "/v1/skills/broken";
        l.status = 500;
        l.error = "skill 'broken' is misconfigured";

        line = fallback_line(&l, NULL);
        ok(strncmp(line, "skillrun: status=500 method=GET path=/v1/skills/broken ", 55) == 0 &&
           strchr(line, '\n') == line + strlen(line) - 1, "no journal stream: the plain line, one");
        free(line);

        /* the file fallback_line() makes has a new inode each time: name one that is not it */
        assert_se(fstat(STDIN_FILENO, &st) == 0);
        snprintf(js, sizeof js, "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
        line = fallback_line(&l, js);
        ok(strncmp(line, "skillrun: status=500 ", 21) == 0, "$JOURNAL_STREAM naming another file: no prefix: %s",
           line);
        free(line);

        line = fallback_line(&l, "journal");
        ok(strncmp(line, "skillrun: status=500 ", 21) == 0, "$JOURNAL_STREAM not device:inode: no prefix");
        free(line);
}

/* The same, with stderr the stream $JOURNAL_STREAM names: set from inside, once the file exists. */
static void test_fallback_priority(void) {
        static const struct {
                int status;
                const char *prefix;
        } cases[] = {
                { 500, "<3>skillrun: status=500 " },
                { 503, "<3>skillrun: status=503 " },
                { 404, "<5>skillrun: status=404 " },
                { 505, "<5>skillrun: status=505 " },
                { 200, "<6>skillrun: status=200 " },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                RequestLog l = REQUEST_LOG_INIT;
                char path[] = "/tmp/test-journal-XXXXXX", js[64], got[4096] = "";
                int fd = mkstemp(path), saved = dup(STDERR_FILENO);
                struct stat st;
                ssize_t k;

                l.method = "GET";
                l.path = "/x";
                l.status = cases[i].status;
                assert_se(fd >= 0 && saved >= 0 && fstat(fd, &st) == 0);
                unlink(path);
                snprintf(js, sizeof js, "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
                assert_se(setenv("JOURNAL_STREAM", js, 1) == 0);
                fflush(stderr);
                assert_se(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
                journal_log_request_to("/nonexistent/journal/socket", &l);
                fflush(stderr);
                assert_se(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
                close(saved);
                unsetenv("JOURNAL_STREAM");
                k = pread(fd, got, sizeof got - 1, 0);
                close(fd);
                ok(k > 0 && strncmp(got, cases[i].prefix, strlen(cases[i].prefix)) == 0,
                   "stderr the journal's stream: a %d's line starts \"%s\"", cases[i].status, cases[i].prefix);
        }
}

/* JOURNAL_RECORD_MAX holds, whole, a record whose fields are as long as they can be: the client's
 * method and path and the error (which may quote them) cut to JOURNAL_VALUE_MAX, the rest bounded
 * by what they are (a run id, a skill name, a token name, an address, an outcome). A buffer too
 * small for a field leaves that field out rather than write past its end. */
static void test_bounds(void) {
        static char buf[JOURNAL_RECORD_MAX], big[4 * JOURNAL_VALUE_MAX], name[65];
        Field f[FIELDS_MAX] = {};
        size_t n = 0, len;
        RequestLog l = REQUEST_LOG_INIT;

        memset(big, 'x', sizeof big - 1);
        memset(name, 'n', sizeof name - 1);
        l.run_id = "0123456789abcdef0123456789abcdef";
        l.skill = l.token_name = name;
        l.peer = "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535";
        l.outcome = "sandbox_error";
        l.method = l.path = l.error = big;
        l.status = 500;
        len = journal_format_record(&l, buf, sizeof buf);
        ok(len <= sizeof buf, "longest values: within JOURNAL_RECORD_MAX (%zu bytes)", len);
        is_int(parse(buf, len, f, &n), 0, "... the record parses");
        is_int(n, 15, "... with all its 15 fields");
        is_int(strlen(value(f, n, "SKILLRUN_ERROR")), JOURNAL_VALUE_MAX, "... the error cut to JOURNAL_VALUE_MAX");
        free_fields(f, n);

        l = (RequestLog) REQUEST_LOG_INIT;
        l.method = "GET";
        l.path = big;
        l.status = 404;
        len = journal_format_record(&l, buf, 64);
        ok(len <= 64, "a 64-byte buffer: %zu bytes written", len);
        is_int(parse(buf, len, f, &n), 0, "... whole fields only");
        ok(!find(f, n, "MESSAGE") && !find(f, n, "SKILLRUN_PATH"), "... those that do not fit left out");
        is_str(value(f, n, "PRIORITY"), "5", "... a short one after them kept");
        free_fields(f, n);

        /* the last field, a multi-line error in the length-prefixed form: a buffer of exactly the
         * record's size holds all of it; one byte less leaves that field out, its 8-byte length
         * counted, and nothing is written past the end */
        static char whole[JOURNAL_RECORD_MAX], cut[JOURNAL_RECORD_MAX];
        size_t full;
        l = (RequestLog) REQUEST_LOG_INIT;
        l.method = "GET";
        l.path = "/v1/skills/broken";
        l.status = 500;
        l.error = "manifest: line one\nline two";
        full = journal_format_record(&l, whole, sizeof whole);
        len = journal_format_record(&l, cut, full);
        ok(len == full && memcmp(cut, whole, full) == 0, "a buffer of the record's size (%zu): all of it (%zu)", full,
           len);
        memset(cut, '#', sizeof cut);
        len = journal_format_record(&l, cut, full - 1);
        ok(len <= full - 1 && cut[full - 1] == '#', "one byte less: nothing past the end (%zu bytes written)", len);
        is_int(parse(cut, len, f, &n), 0, "... whole fields only");
        ok(!find(f, n, "SKILLRUN_ERROR") && find(f, n, "SKILLRUN_MAX_RSS_KB"), "... the error left out, the rest kept");
        free_fields(f, n);
}

/* A journald whose queue is full (EAGAIN): run_log_record() tries once more through
 * journal_log_request() and, still refused, writes the record to stderr, one line. With a
 * journal socket of our own at its real path, in a mount namespace of a child's own (root). */
static void test_queue_full(void) {
        char path[] = "/tmp/test-journal-XXXXXX", got[4096] = "";
        int out = mkstemp(path);
        pid_t pid;
        int status;

        assert_se(out >= 0);
        unlink(path);
        fflush(stdout);
        pid = fork();
        assert_se(pid >= 0);
        if (pid == 0) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                RequestLog l = REQUEST_LOG_INIT;
                int rx, tx, sent = 0;

                if (unshare(CLONE_NEWNS) < 0)
                        _exit(77);
                /* EINVAL: a chroot whose / is no mount point (a plain chroot; schroot and sbuild
                 * bind-mount it), where no private mount namespace can be had */
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(errno == EINVAL ? 78 : 10);
                if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0 ||
                    mkdir("/run/systemd", 0755) < 0 || mkdir("/run/systemd/journal", 0755) < 0)
                        _exit(10);
                strcpy(sa.sun_path, "/run/systemd/journal/socket"); /* journal.c's JOURNAL_SOCKET */
                rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                tx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *) &sa, sizeof sa) < 0)
                        _exit(11);
                while (sendto(tx, "#\n", 2, MSG_DONTWAIT, (struct sockaddr *) &sa, sizeof sa) == 2)
                        if (++sent > 100000)
                                _exit(12);
                if (errno != EAGAIN)
                        _exit(13);
                l.method = "POST";
                l.path = "/v1/skills/x/run";
                l.status = 200;
                if (dup2(out, STDERR_FILENO) < 0)
                        _exit(14);
                run_log_record(&l);
                exit(0); /* not _exit(): a coverage build writes its profile at exit (stdout was flushed) */
        }
        status = 0;
        assert_se(waitpid(pid, &status, 0) == pid);
        if (WIFEXITED(status) && (WEXITSTATUS(status) == 77 || WEXITSTATUS(status) == 78)) {
                printf("ok %d # SKIP %s\n", ++tap_n,
                       WEXITSTATUS(status) == 77 ? "a mount namespace of our own needs root"
                                                 : "the kernel refuses a private / (a chroot whose / is no mount point)");
                close(out);
                return;
        }
        is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0, "journal queue full: the child ran (10-14: set-up)");
        ok(pread(out, got, sizeof got - 1, 0) > 0 &&
           strncmp(got, "skillrun: status=200 method=POST path=/v1/skills/x/run ", 55) == 0 &&
           strchr(got, '\n') == got + strlen(got) - 1,
           "journal queue full: the record on stderr, one line: %s", got);
        close(out);
}

int main(void) {
        test_reader();
        test_format();
        test_bounds();
        test_send();
        test_wait_taken();
        test_line();
        test_fallback();
        test_fallback_priority();
        test_queue_full();
        return done_testing();
}
