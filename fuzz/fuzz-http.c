/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the request-head parser. Besides memory errors it checks the parser's contract: what a
 * complete head looks like, which statuses a refusal may carry, that the verdict on a prefix
 * never changes once more bytes arrive, and that the same bytes fed in pieces, a scan carried from
 * one to the next as server.c does after each read, get that verdict with the same byte, to the
 * last field.
 * What server.c and routes.c read from the head besides are checked too: the bearer token taken
 * from the Authorization field, the HEAD test server.c makes on the raw bytes of a request it
 * refuses, which must agree with the method the parser read, and its test of the bytes a client
 * left undecided when it went away, that they asked nothing. */
#include <string.h>

#include "auth.h"
#include "fuzz.h"
#include "http.h"

static const HttpLimits limits[] = {
        { .max_header = 16384, .max_fields = 100, .max_body = 1048576 },
        /* tight bounds so the fuzzer reaches the edges with short inputs */
        { .max_header = 64, .max_fields = 3, .max_body = 10 },
};

typedef struct Verdict {
        int r;
        int status;
        size_t head_len;
} Verdict;

static bool is_allowed_refusal(int status) {
        static const int allowed[] = { 400, 411, 413, 414, 431, 501, 505 };

        for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
                if (status == allowed[i])
                        return true;
        return false;
}

static void check_request(const HttpRequest *req, size_t size, const HttpLimits *lim) {
        fuzz_check(req->head && req->head_len > 0 && req->head_len <= size && req->head_len <= lim->max_header);
        fuzz_check(req->method && strlen(req->method) >= 1 && strlen(req->method) <= HTTP_MAX_METHOD);
        fuzz_check(req->target && req->target[0] == '/');
        fuzz_check(!streq(req->method, "CONNECT"));
        fuzz_check(req->path && req->path[0] == '/' && strlen(req->path) <= strlen(req->target));
        fuzz_check(strncmp(req->target, req->path, strlen(req->path)) == 0);
        fuzz_check(!req->query || req->target[strlen(req->path)] == '?');
        fuzz_check(req->version_minor == 0 || req->version_minor == 1);
        fuzz_check(req->n_headers <= lim->max_fields);
        fuzz_check(!req->has_content_length || req->content_length <= lim->max_body);
        fuzz_check(!req->expect_continue || req->version_minor == 1);
        fuzz_check(!req->body && req->body_len == 0);

        for (size_t i = 0; i < req->n_headers; i++) {
                const HttpHeader *h = &req->headers[i];
                size_t n = strlen(h->value);

                fuzz_check(h->name[0] != '\0' && !strpbrk(h->name, ": \t\r\n"));
                fuzz_check(!strpbrk(h->value, "\r\n"));
                fuzz_check(n == 0 || (h->value[0] != ' ' && h->value[0] != '\t' && h->value[n - 1] != ' ' &&
                                      h->value[n - 1] != '\t'));
        }

        /* unique headers are the first (and only) field of that name */
        fuzz_check(req->host == http_request_header(req, "host"));
        fuzz_check(req->authorization == http_request_header(req, "AUTHORIZATION"));
        fuzz_check(req->content_type == http_request_header(req, "Content-type"));
        fuzz_check(req->has_content_length == !!http_request_header(req, "content-length"));
        fuzz_check(!http_request_header(req, "transfer-encoding"));

        /* the token is what follows "Bearer" and its blanks, and there is one whenever the field
         * has that form: the parser trimmed the value's trailing blanks, so something follows */
        const char *auth = req->authorization, *bearer = auth_bearer_token(auth);
        bool bearer_form = auth && strncasecmp(auth, "bearer", 6) == 0 && (auth[6] == ' ' || auth[6] == '\t');
        fuzz_check(!!bearer == bearer_form);
        if (bearer) {
                size_t n = strlen(auth);
                fuzz_check(bearer > auth + 6 && bearer < auth + n);
                fuzz_check(bearer == auth + 6 + strspn(auth + 6, " \t"));
        }
}

/* What http_nothing_asked() is to say, spelled out byte by byte: only CR and LF, each CR followed
 * by LF unless it is the last byte. */
static bool only_empty_lines(const char *buf, size_t size) {
        for (size_t i = 0; i < size; i++)
                if (buf[i] != '\n' && !(buf[i] == '\r' && (i + 1 == size || buf[i + 1] == '\n')))
                        return false;
        return true;
}

static Verdict parse(const char *buf, size_t size, const HttpLimits *lim, bool check) {
        HttpRequest req;
        const char *msg = NULL;
        Verdict v = { .status = -1 };

        v.r = http_parse_head(buf, size, lim, &req, &v.status, &msg);
        /* bytes that asked nothing are never a request, nor refused before they reach the bound;
         * server.c closes quietly on them */
        if (http_nothing_asked(buf, size)) {
                fuzz_check(only_empty_lines(buf, size));
                fuzz_check(v.r == 0 || (v.r == -EBADMSG && v.status == 400 && size >= lim->max_header));
                fuzz_check(!http_is_head_request(buf, size));
        } else
                fuzz_check(!only_empty_lines(buf, size));
        /* what the parser read as the method is what server.c's raw test says */
        if (v.r != 0 && req.method)
                fuzz_check(streq(req.method, "HEAD") == http_is_head_request(buf, size));
        if (v.r == 1) {
                if (check)
                        check_request(&req, size, lim);
                v.head_len = req.head_len;
        } else if (v.r == 0) {
                fuzz_check(size < lim->max_header);
                fuzz_check(!req.head && !req.headers);
        } else {
                fuzz_check(v.r == -EBADMSG && msg && is_allowed_refusal(v.status));
                /* at most the method and path of a whole request line, for the log */
                fuzz_check(!req.headers && req.n_headers == 0 && !req.target && !req.query);
                fuzz_check(!req.head || (req.method && *req.method && req.path && req.path[0] == '/' &&
                                         !strchr(req.path, '?') &&
                                         req.head_size == strlen(req.method) + 1 + strlen(req.path) + 1));
        }
        http_request_done(&req);
        return v;
}

static bool same(Verdict a, Verdict b) {
        return a.r == b.r && (a.r >= 0 || a.status == b.status) && (a.r != 1 || a.head_len == b.head_len);
}

/* All that a parse gives back, as strings: the two heads are apart. */
static bool same_request(const HttpRequest *a, const HttpRequest *b) {
        if (a->head_size != b->head_size || a->head_len != b->head_len || !streq_ptr(a->method, b->method) ||
            !streq_ptr(a->target, b->target) || !streq_ptr(a->path, b->path) || !streq_ptr(a->query, b->query) ||
            a->version_minor != b->version_minor || a->n_headers != b->n_headers ||
            !streq_ptr(a->authorization, b->authorization) || !streq_ptr(a->x_functions_key, b->x_functions_key) ||
            !streq_ptr(a->x_abbot_skillapitoken, b->x_abbot_skillapitoken) ||
            !streq_ptr(a->content_type, b->content_type) || !streq_ptr(a->host, b->host) ||
            a->expect_continue != b->expect_continue || a->has_content_length != b->has_content_length ||
            a->content_length != b->content_length || a->refused_limit != b->refused_limit ||
            a->refused_limit_value != b->refused_limit_value || a->body || b->body)
                return false;
        for (size_t i = 0; i < a->n_headers; i++)
                if (!streq(a->headers[i].name, b->headers[i].name) || !streq(a->headers[i].value, b->headers[i].value))
                        return false;
        return true;
}

/* Feed buf to http_parse_head_more() in pieces, one byte each (bytewise) or as many as the byte
 * before says, until a verdict: it is the one a parse of the bytes so far whole gives, status,
 * reason and request alike, and that parse of the bytes before the last piece gave none. */
static void check_pieces(const char *buf, size_t size, const HttpLimits *lim, bool bytewise) {
        HttpHeadScan scan = {};
        HttpRequest a = {}, b; /* a: as a parse of no bytes leaves it, for an empty input */
        const char *msg_a = NULL, *msg_b = NULL;
        int status_a = -1, status_b = -1, r = 0;
        size_t k = 0, before = 0;

        while (k < size && r == 0) {
                before = k;
                k = bytewise || k == 0 ? k + 1 : MIN(size, k + 1 + (unsigned char) buf[k - 1] % 16);
                r = http_parse_head_more(&scan, buf, k, lim, &a, &status_a, &msg_a);
                if (r == 0)
                        fuzz_check(!a.head && !a.headers);
        }
        fuzz_check(http_parse_head(buf, k, lim, &b, &status_b, &msg_b) == r);
        fuzz_check(r >= 0 || (status_a == status_b && msg_a == msg_b));
        fuzz_check(same_request(&a, &b));
        http_request_done(&a);
        http_request_done(&b);
        if (r != 0) {
                fuzz_check(http_parse_head(buf, before, lim, &b, &status_b, &msg_b) == 0);
                http_request_done(&b);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* An exact-size copy, so reading one byte past the input is caught by ASan. */
        char *buf = malloc(size ? size : 1);

        fuzz_check(buf);
        memcpy(buf, data, size);

        for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
                const HttpLimits *lim = &limits[i];
                Verdict full = parse(buf, size, lim, true), v;

                if (full.r == 1) {
                        /* the head alone decides; one byte less is never a verdict */
                        fuzz_check(same(parse(buf, full.head_len, lim, false), full));
                        fuzz_check(parse(buf, full.head_len - 1, lim, false).r == 0);
                }

                /* a verdict reached on a prefix stands */
                v = parse(buf, size / 2, lim, false);
                fuzz_check(v.r == 0 || same(v, full));

                check_pieces(buf, size, lim, true);
                check_pieces(buf, size, lim, false);
        }

        free(buf);
        return 0;
}
