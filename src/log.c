/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
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
        /* journald reads "<N>" level prefixes on stderr streams; a terminal gets plain text */
        if (syslog_socket)
                (void) log_syslog_send_to(syslog_socket, level, out);
        else if (log_stderr_is_journal())
                fprintf(stderr, "<%d>%s\n", level, out);
        else
                fprintf(stderr, "skillrun: %s\n", out);
        (void) file;
        (void) line;
        return -e;
}
