/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lines to syslog for a worker whose stderr reaches no one (inetd style, no journal). Not
 * glibc's syslog(3): it keeps its socket open between calls, in every child too until exec, and
 * sends with a blocking send(), in which a syslogd that stopped reading would hold the worker. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
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
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t sa_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(socket_path) + 1);
        _cleanup_free_ char *dgram = NULL;
        _cleanup_close_ int fd = -1;
        time_t now = time(NULL);
        struct tm tm;

        if (strlen(socket_path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, socket_path);
        if (!localtime_r(&now, &tm))
                return -EOVERFLOW;
        dgram = log_syslog_format(level, &tm, getpid(), msg);
        if (!dgram)
                return -ENOMEM;

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (sendto(fd, dgram, strlen(dgram), MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *) &sa, sa_len) < 0)
                return -errno;
        return 0;
}
