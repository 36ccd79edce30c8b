/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the request-head parser. Besides memory errors it checks the parser's contract: what a
 * complete head looks like, which statuses a refusal may carry, and that the verdict on a prefix
 * never changes once more bytes arrive (what server.c relies on when it re-parses each read).
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
        }

        free(buf);
        return 0;
}
