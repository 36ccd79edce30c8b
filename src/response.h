/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

#include "util.h"

/* From now on, responses written to fd are sent without their body: the request was HEAD. */
void http_response_head_only(int fd);
/* From now on, each response written to fd (a socket) must be taken by the client within
 * timeout_ms, or the write fails with -ETIMEDOUT; and within stop_grace_ms of a stop request
 * (stop_signals_fill(), while blocked), or it fails with -ECANCELED. */
void http_response_timeout(int fd, uint64_t timeout_ms, uint64_t stop_grace_ms);

/* Every response carries Connection: close and an exact Content-Length. extra_headers is
 * either NULL or a block of complete "Name: value\r\n" lines. Returns bytes of body written
 * or -errno (EPIPE when the client left; ENOMEM only when nothing was sent). */
int http_write_response(int fd, int status, const char *content_type, const char *extra_headers,
                        const void *body, size_t len);
int http_write_json(int fd, int status, json_object *j, const char *content_type, const char *extra_headers);
/* {"error": http_status_code(status), "message": <formatted>} */
int http_write_error(int fd, int status, const char *extra_headers, const char *fmt, ...) _printf_(4, 5);

/* Interim "HTTP/1.1 100 Continue\r\n\r\n". */
int http_write_continue(int fd);

/* Serialise compactly; the string is owned by j. */
const char *json_to_string(json_object *j);
