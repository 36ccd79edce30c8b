/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lines to syslog for a worker whose stderr reaches no one (inetd style, no journal). Not
 * glibc's syslog(3): it keeps its socket open between calls, in every child too until exec, and
 * sends with a blocking send(), in which a syslogd that stopped reading would hold the worker. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log-syslog.h"
#include "util.h"

char *log_syslog_format(int level, const struct tm *tm, pid_t pid, const char *msg) {
        static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        char *s;

        if (asprintf(&s, "<%d>%s %2d %02d:%02d:%02d skillrun[%d]: %s", LOG_DAEMON | (level & LOG_PRIMASK),
                     months[(unsigned) tm->tm_mon % 12], tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec, (int) pid,
                     msg) < 0)
                return NULL;
        return s;
}

int log_syslog_send_to(const char *socket_path, int level, const char *msg) {
        _cleanup_free_ char *dgram = NULL;
        time_t now = time(NULL);
        struct tm tm;
        int fd;

        if (!localtime_r(&now, &tm))
                return -EOVERFLOW;
        dgram = log_syslog_format(level, &tm, getpid(), msg);
        if (!dgram)
                return -ENOMEM;
        fd = unix_dgram_send(socket_path, dgram, strlen(dgram), NULL, NULL);
        /* a syslogd listening on a stream socket (syslog-ng's unix-stream()): each message
         * ends with its NUL there, as glibc's syslog(3) frames it */
        if (fd == -EPROTOTYPE)
                return unix_stream_send(socket_path, dgram, strlen(dgram) + 1);
        if (fd < 0)
                return fd;
        close(fd);
        return 0;
}
