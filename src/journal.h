/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util.h"

/* The one structured record per request (design §7). Never the token, never the input. */
typedef struct RequestLog {
        const char *run_id;
        const char *skill;
        const char *token_name;
        const char *peer;
        const char *method;
        const char *path;
        int status;               /* HTTP status; 0 for the CLI */
        const char *outcome;
        int exit_code;            /* -1: none */
        uint64_t duration_usec;
        uint64_t max_rss_kb;
        const char *error;        /* why a 4xx/5xx was answered */
} RequestLog;

#define REQUEST_LOG_INIT { .exit_code = -1 }

/* A value is cut to this many bytes (the request path, an error message); a record fits in
 * JOURNAL_RECORD_MAX, far below a datagram's limit, so it is always one datagram. */
#define JOURNAL_VALUE_MAX 2048
#define JOURNAL_RECORD_MAX 16384

/* The record in journald's native protocol; its length in buf. */
size_t journal_format_record(const RequestLog *l, char *buf, size_t size);

/* Send the record as one datagram to a journald socket: 0, or -errno (also when journald's
 * queue is full, as the worker does not wait for it). */
int journal_send_record(const char *socket_path, const RequestLog *l);

/* journald reads who sent a datagram (_SYSTEMD_UNIT, which `journalctl -u` matches; _COMM,
 * _EXE) from /proc when it takes it from its queue: a sender gone by then leaves a record
 * without them (systemd#2913). Send a comment datagram after the last record and wait until
 * journald has taken both (it has then read /proc for the record), or 250 ms, before going;
 * then close the socket. Nothing to wait for when no record was sent. */
void journal_wait_taken(void);

/* The stderr form of the record: one line (no newline at its end), the path and the error cut
 * to JOURNAL_VALUE_MAX bytes as in the record, control characters (C1 included), U+2028, U+2029
 * and backslashes written as \xNN, byte by byte. NULL on OOM. */
char *journal_format_line(const RequestLog *l);

/* To the journal when its socket is there, else one line on stderr, prefixed with the record's
 * "<priority>" when stderr is the journal's stream ($JOURNAL_STREAM); or, once stderr is
 * detached (log_set_syslog_socket()), that line to syslog at the record's priority, facility
 * daemon, its "skillrun: " in the tag "skillrun[PID]: ". */
void journal_log_request(const RequestLog *l);
/* The same through another socket (tests). */
void journal_log_request_to(const char *socket_path, const RequestLog *l);
/* Only the datagram, which never waits: 0, or -errno. -EAGAIN (or -ENOBUFS): a journal is there
 * but too busy to take it, and may not read its stream, stderr under systemd, either: a caller
 * holding signals back lets them in before it falls back to journal_log_request(). Without a
 * journal (-ENOENT, -ECONNREFUSED) stderr is the log itself. */
int journal_log_request_nowait(const RequestLog *l);
/* What journal_log_request() falls back to, for a caller that already knows there is no journal
 * to take the datagram: the line on stderr, or syslog's once stderr is detached. */
void journal_log_request_stderr(const RequestLog *l);
