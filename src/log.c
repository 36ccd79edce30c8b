/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log-syslog.h"
#include "log.h"

static int max_level = LOG_INFO;
static const char *syslog_socket = NULL;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_syslog_socket(const char *socket_path) {
        syslog_socket = socket_path;
}

const char *log_get_syslog_socket(void) {
        return syslog_socket;
}

bool log_stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        int n = 0;

        if (!e || sscanf(e, "%llu:%llu%n", &dev, &ino, &n) != 2 || e[n] != '\0')
                return false;
        return fstat(STDERR_FILENO, &st) == 0 && st.st_dev == (dev_t) dev && st.st_ino == (ino_t) ino;
}

void log_stderr_line(int level, const char *plain, const char *text) {
        char priority[16];
        const char *prefix = plain;
        ssize_t n;

        /* journald reads "<N>" level prefixes on stderr streams; a terminal gets plain text */
        if (log_stderr_is_journal()) {
                snprintf(priority, sizeof priority, "<%d>", level);
                prefix = priority;
        }
        struct iovec iov[3] = {
                { .iov_base = (void *) prefix, .iov_len = strlen(prefix) },
                { .iov_base = (void *) text, .iov_len = strlen(text) },
                { .iov_base = (void *) "\n", .iov_len = 1 },
        };
        /* one write(2), not stdio's: glibc 2.37 and later write an unbuffered stream's formatted
         * output 128 bytes at a time, and another process writing to the same stderr (the other
         * workers under systemd-socket-activate or tcpserver, the activator) would cut in. Nothing
         * allocated: "Out of memory" is written too. */
        do
                n = writev(STDERR_FILENO, iov, ELEMENTSOF(iov));
        while (n < 0 && errno == EINTR);
        /* what a short write left, in order */
        for (size_t i = 0; n >= 0 && i < ELEMENTSOF(iov); i++) {
                if ((size_t) n >= iov[i].iov_len) {
                        n -= (ssize_t) iov[i].iov_len;
                        continue;
                }
                if (loop_write(STDERR_FILENO, (const char *) iov[i].iov_base + n, iov[i].iov_len - (size_t) n) < 0)
                        break;
                n = 0;
        }
}

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) {
        int e = error < 0 ? -error : error;
        char buf[2048], out[sizeof(buf) * 4];
        va_list ap;

        if (level > max_level)
                return error < 0 ? error : -e;
        /* %m must print the error we were given, not whatever errno happens to be */
        errno = e;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        /* one line, whatever a message quotes (a file name, a key from a manifest): under
         * systemd a newline would start another journal entry */
        escape_line(buf, false, out);
        if (syslog_socket)
                (void) log_syslog_send_to(syslog_socket, level, out);
        else
                log_stderr_line(level, "skillrun: ", out);
        (void) file;
        (void) line;
        return -e;
}
