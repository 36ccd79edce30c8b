/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>
#include <time.h>

/* Where syslogd (or journald, on a systemd host) takes local datagrams: what the worker would
 * log to stderr goes here once stderr is detached from an inetd connection (log.h). */
#define LOG_SYSLOG_SOCKET "/dev/log"

/* The datagram for one line at level (LOG_ERR...), facility daemon, as glibc's syslog(3) writes
 * it (RFC 3164): "<PRI>Mmm dd hh:mm:ss skillrun[PID]: MSG", the time tm local, the month in
 * English whatever the locale, the day padded with a space, no newline. NULL on OOM. */
char *log_syslog_format(int level, const struct tm *tm, pid_t pid, const char *msg);

/* Send msg (one line, escaped already) at level as one datagram to the syslog socket at
 * socket_path, stamped now: 0, or -errno. Where that socket is a stream one, the same text and
 * its NUL over a connection of its own. Never waits: a syslogd that does not read its queue or
 * accept gets nothing (-EAGAIN). No fd is kept. */
int log_syslog_send_to(const char *socket_path, int level, const char *msg);
