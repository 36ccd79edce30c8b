/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util.h"

/* A strict HTTP/1.x request-head parser (design §2). Pure: no I/O, fuzzed. */

#define HTTP_MAX_METHOD 16

typedef struct HttpHeader {
        char *name;   /* as sent; compare case-insensitively */
        char *value;  /* leading/trailing whitespace removed */
} HttpHeader;

typedef struct HttpLimits {
        size_t max_header;        /* bytes of the whole head, request line included */
        size_t max_fields;        /* header fields */
        uint64_t max_body;        /* Content-Length above this: 413 */
} HttpLimits;

typedef struct HttpRequest {
        char *head;                 /* owned, NUL-separated copy; every char * below points into it */
        size_t head_size;           /* bytes allocated at head, all wiped by http_request_done() */
        char *method;
        char *target;               /* origin-form as sent, e.g. "/v1/skills/wc/run?x=1" */
        char *path;                 /* target up to '?', percent-decoding NOT applied */
        char *query;                /* after '?', or NULL */
        int version_minor;          /* 0 or 1 (HTTP/1.x) */
        HttpHeader *headers;
        size_t n_headers;
        /* well-known headers (NULL when absent) */
        const char *authorization;
        const char *x_functions_key;
        const char *x_abbot_skillapitoken;
        const char *content_type;
        const char *host;
        bool expect_continue;       /* "Expect: 100-continue" */
        bool has_content_length;
        uint64_t content_length;
        size_t head_len;            /* bytes of the head in the input, empty lines before it and the terminator included */
        char *body;                 /* owned, filled by the caller (server.c) */
        size_t body_len;
        /* a refusal for one of the bounds: the setting's name (static) and value, for the log */
        const char *refused_limit;
        uint64_t refused_limit_value;
} HttpRequest;

/* A request line's parts, as offsets into it. */
typedef struct HttpRequestLine {
        size_t method_len;
        size_t target_start, target_len;
        int version_minor;
} HttpRequestLine;

/* How far http_parse_head_more() got in a head that is still arriving (private to http.c). */
typedef struct HttpHeadScan {
        HttpRequestLine rl;
        size_t n_fields;
        size_t start;       /* where the request line begins, after any empty lines */
        bool line_done;     /* the request line is whole and valid */
        size_t head_len;    /* where the head ends, its terminator included */
        size_t pos;         /* where the line still arriving begins */
        size_t checked;     /* how many of its bytes passed already */
        size_t name_len;    /* its field name's length once the ':' came, 0 before */
} HttpHeadScan;

/* Parse the request head at the start of buf[0..len).
 *   returns 0       the head is not complete yet and still within bounds: read more
 *   returns 1       complete; *req is filled, req->head_len tells where the body starts
 *   returns -EBADMSG  the request is refused: *ret_status is the HTTP status (400, 405 never,
 *                   411, 413, 414, 431, 501, 505) and *ret_msg a static human-readable reason
 *   returns -ENOMEM  out of memory; *ret_status is 500 (so a status is set on every failure)
 * *req is reset on entry and owns nothing unless 1 is returned, or -EBADMSG for a request whose
 * request line was whole and valid: then req->method and req->path alone are set, for the log
 * (http_request_done() frees them). lim NULL means the defaults.
 * Duplicate X-Functions-Key, X-Abbot-SkillApiToken and Expect are refused like Authorization.
 * Rules: request line "METHOD SP origin-form SP HTTP/1.x", CRLF or bare LF line ends; a request
 * line longer than max_header → 414; head longer than max_header or more than max_fields fields
 * → 431; "HTTP/2.0" and higher → 505 whatever the target (the HTTP/2 preface "PRI * HTTP/2.0"
 * included), other versions/garbage → 400; CONNECT, whatever its target → 400;
 * obsolete line folding → 400;
 * Transfer-Encoding → 501, Transfer-Encoding with Content-Length → 400; duplicate Content-Length,
 * Authorization or Host → 400; bad Content-Length → 400; Content-Length above max_body → 413;
 * POST/PUT/PATCH without Content-Length → 411; Expect other than 100-continue → 417 is not in
 * our set, so → 400. */
int http_parse_head(const char *buf, size_t len, const HttpLimits *lim, HttpRequest *req, int *ret_status,
                    const char **ret_msg);

/* http_parse_head() for a caller that reads a head in pieces: *scan carries what was checked of
 * buf before, so that each byte is looked at once however the head arrives (a byte per segment
 * would otherwise cost a scan of all that came before it, each time). Zero *scan first, then call
 * it with the same lim and the same buf grown by each read, until it returns other than 0. What
 * it returns for buf[0..len) is what http_parse_head() would. */
int http_parse_head_more(HttpHeadScan *scan, const char *buf, size_t len, const HttpLimits *lim, HttpRequest *req,
                         int *ret_status, const char **ret_msg);

/* Whether a header field value may hold c: VCHAR, obs-text, SP, HTAB. Anything else (NUL, bare
 * CR, DEL, ...) makes the request a 400. */
bool http_field_char(char c);

/* How many of the first bytes are empty lines (CRLF or bare LF), which the parser skips before
 * the request line (RFC 9112 §2.2). */
size_t http_empty_lines(const char *buf, size_t len);

/* Whether the bytes that came before the client closed, reset or went quiet began no request:
 * only empty lines, perhaps with a CR last, which could only have begun one more. */
bool http_nothing_asked(const char *buf, size_t len);

/* Whether the bytes received so far begin a HEAD request (after the empty lines the parser skips):
 * true also for a head the parser refuses or that never completes, whose error answer must then
 * go without its body as well (RFC 9110 §9.3.2). */
bool http_is_head_request(const char *buf, size_t len);

/* Wipes the head (it holds the credentials as sent) before freeing it. */
void http_request_done(HttpRequest *req);

/* Case-insensitive lookup of the first field with this name. */
const char *http_request_header(const HttpRequest *req, const char *name);

/* Standard reason phrase ("Not Found") and our JSON error code ("not_found") for a status. */
const char *http_status_reason(int status);
const char *http_status_code(int status);
