/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "auth.h"
#include "http.h"
#include "journal.h"
#include "settings.h"

/* One connection, one request (design §1, §2). */
typedef struct Server {
        Settings settings;
        int settings_error;        /* < 0: the configuration could not be loaded (answer 500) */
        char *settings_message;
        int fd;                    /* the connection */
        char peer[128];
        HttpRequest req;
        RequestLog log;
        char *log_error;           /* owned text behind log.error */
        uint64_t start_usec;
        size_t body_have;          /* bytes of req.body read so far (req.body_len once complete) */
        /* what the record names; kept here so they outlive the routing code */
        char skill_name[65];
        char token_name[65];
        char run_id[33];
} Server;

/* Find the connection: sd_listen_fds() (fd 3) or stdin when it is a socket. -EISCONN when that
 * is a listening socket, -E2BIG for more than one fd, -ENOTSOCK for none, -EINVAL (with
 * *ret_error) for LISTEN_PID or LISTEN_FDS malformed, LISTEN_FDS unset or 0 included. */
int server_get_connection(int *ret_fd, char **ret_error);

/* `skillrun serve`: handle one connection end to end. Returns the process exit code:
 * 0 when a response was sent (4xx included), 1 on internal errors (5xx, I/O). */
int server_main(void);

/* The rest of the request body, read only once the route has accepted the request (token,
 * skill, media type), so that a request refused for its head is answered before its body is
 * sent: no "100 Continue" for it (RFC 9110 §10.1.1), no megabyte read from an unknown client.
 * Returns 0 (req.body and req.body_len set; both empty without a body), 408 or (the client
 * closed its side, or reset the connection, before the body was whole) 400 with *ret_msg set,
 * -ENOMEM, or another -errno when the client is gone (nothing to answer). */
int server_read_body(Server *srv, const char **ret_msg);

/* Set the record's reason text (copied). */
void server_log_error(Server *srv, const char *fmt, ...) _printf_(2, 3);
