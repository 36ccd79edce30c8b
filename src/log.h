/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <syslog.h>

#include "util.h"

/* Diagnostics of the program itself (not the per-request record, see journal.h).
 * Goes to stderr, which under systemd is the journal. Only top-level code logs. */
void log_set_max_level(int level);
int log_get_max_level(void);
/* stderr reaches no one from now on (inetd style, it was the connection: server.c detached it):
 * what would go there, messages and the request record's fallback line, goes to the syslog
 * socket at socket_path instead (LOG_SYSLOG_SOCKET, log-syslog.h), one datagram a line, and not
 * to stderr even when syslog does not take it. NULL: stderr again. The string is kept. */
void log_set_syslog_socket(const char *socket_path);
/* That socket, or NULL while stderr is the log. */
const char *log_get_syslog_socket(void);
/* Whether stderr is the journal's stream that $JOURNAL_STREAM names ("device:inode",
 * systemd.exec(5)): not merely set, since a child of a service inherits it with its stderr
 * elsewhere (a shell started from a unit, say). */
bool log_stderr_is_journal(void);
/* text as one line on stderr, with one write: "<level>" before it when stderr is the journal's
 * stream, else plain (as is; "" for none). */
void log_stderr_line(int level, const char *plain, const char *text);
int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) _printf_(5, 6);

#define log_full_errno(level, error, ...) log_internal((level), (error), __FILE__, __LINE__, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
/* These return the negative errno passed in, so that "return log_error_errno(r, ...)" works.
 * %m in the format prints strerror of that error. */
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, (e), __VA_ARGS__)
