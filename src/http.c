/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "http.h"
#include "settings.h"

/* The parser works in two passes over the caller's buffer. The first pass validates line by line
 * without allocating, so a refusal can be decided as early as the bytes allow (an endless request
 * line is refused once it passes the bound, not when the read timeout fires). It goes on where the
 * last call on fewer of the same bytes left off (HttpHeadScan), the line still arriving included,
 * so that a head read in many pieces costs no more than one read whole. The second pass runs only
 * on a complete, syntactically valid head: it copies the head and cuts it into strings. */

typedef struct Parser {
        int status;
        const char *msg;
        const char *limit;      /* the setting a refusal for a bound ran into, NULL for others */
        uint64_t limit_value;
} Parser;

static int refuse(Parser *p, int status, const char *msg) {
        p->status = status;
        p->msg = msg;
        return -EBADMSG;
}

/* A refusal for one of the operator's bounds: which one, and its value, for the log. */
static int refuse_bound(Parser *p, int status, const char *msg, const char *limit, uint64_t value) {
        p->limit = limit;
        p->limit_value = value;
        return refuse(p, status, msg);
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(char c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c))
                return true;
        return c != '\0' && strchr("!#$%&'*+-.^_`|~", c);
}

/* Visible ASCII but '#': a fragment never belongs in a request target. Characters RFC 3986 does
 * not allow unencoded ('{', '|', ...) are tolerated since clients send them and routing compares
 * exact strings anyway. */
static bool is_target_char(char c) {
        unsigned char u = (unsigned char) c;
        return u > 0x20 && u < 0x7f && c != '#';
}

bool http_field_char(char c) {
        unsigned char u = (unsigned char) c;
        return u == '\t' || (u >= 0x20 && u != 0x7f);
}

/* ASCII-only: header names must not compare differently under a Turkish locale. */
static char ascii_lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

static bool strcaseeq(const char *a, const char *b) {
        for (; *a && ascii_lower(*a) == ascii_lower(*b); a++, b++)
                ;
        return ascii_lower(*a) == ascii_lower(*b);
}

static bool is_ows(char c) {
        return c == ' ' || c == '\t';
}

/* "HTTP/1.0" and "HTTP/1.1" are ours, and a later HTTP/1.x is taken as 1.1 (RFC 9110 §6.2: the
 * highest minor version we implement); a well-formed HTTP/2 or later gets 505 so the client
 * learns to downgrade; everything else is garbage. */
static int check_version(Parser *p, const char *s, size_t n, int *ret_minor) {
        size_t i = 5, digits = 0;
        unsigned major = 0;

        if (n == 8 && memcmp(s, "HTTP/1.", 7) == 0 && is_digit(s[7])) {
                *ret_minor = s[7] == '0' ? 0 : 1;
                return 0;
        }

        if (n <= 5 || memcmp(s, "HTTP/", 5) != 0)
                return refuse(p, 400, "Malformed HTTP version");
        for (; i < n && is_digit(s[i]) && digits < 4; i++, digits++)
                major = major * 10 + (unsigned) (s[i] - '0');
        if (digits == 0)
                return refuse(p, 400, "Malformed HTTP version");
        if (i < n) {
                if (s[i] != '.' || i + 1 == n || n - i - 1 > 4)
                        return refuse(p, 400, "Malformed HTTP version");
                for (i++; i < n; i++)
                        if (!is_digit(s[i]))
                                return refuse(p, 400, "Malformed HTTP version");
        }
        if (major >= 2)
                return refuse(p, 505, "Only HTTP/1.0 and HTTP/1.1 are supported");
        return refuse(p, 400, "Unsupported HTTP version");
}

/* Validate the request line l[0..n) (line end already cut off). With complete == false the line
 * is still arriving: refuse only what no further byte can repair. l[0..from) passed already, and
 * *ret holds what was found in it: a part is known once the space after it came. */
static int check_request_line(Parser *p, const char *l, size_t n, bool complete, size_t from, HttpRequestLine *ret) {
        size_t i = from, t;
        int r;

        if (ret->method_len == 0) {
                while (i < n && is_tchar(l[i]))
                        i++;
                if (i > HTTP_MAX_METHOD)
                        return refuse(p, 400, "Request method too long");
                if (i == n) {
                        if (!complete)
                                return 0;
                        return refuse(p, 400, n == 0 ? "Empty request line" : "Malformed request line");
                }
                if (i == 0 || l[i] != ' ')
                        return refuse(p, 400, "Invalid request method");
                ret->method_len = i;
                ret->target_start = ++i;
        }

        t = ret->target_start;
        if (ret->target_len == 0) {
                for (; i < n && l[i] != ' '; i++)
                        if (!is_target_char(l[i]))
                                return refuse(p, 400, "Invalid character in request target");
                /* A target in another form waits for the version, which is judged first: the HTTP/2
                 * preface "PRI * HTTP/2.0" and "GET http://... HTTP/2.0" learn 505 however the line
                 * arrives in pieces. */
                if (i == n) {
                        if (!complete)
                                return 0;
                        return refuse(p, 400, "Malformed request line");
                }
                if (i == t)
                        return refuse(p, 400, "Empty request target");
                ret->target_len = i - t;
                i++;
        }

        for (; i < n; i++)
                if (!is_tchar(l[i]) && l[i] != '/')
                        return refuse(p, 400, "Malformed HTTP version");
        if (!complete)
                return 0;
        /* the version first: a client of another protocol learns that rather than our syntax */
        i = t + ret->target_len + 1;
        r = check_version(p, l + i, n - i, &ret->version_minor);
        if (r < 0)
                return r;
        /* RFC 9110 §9.3.6, RFC 9112 §3.2.3: CONNECT takes host:port and has no content. A peer
         * takes what follows its head as tunnel data, where a Content-Length would have us read
         * a body: two framings of the same bytes, so a CONNECT with a path is refused too. Either
         * form hears the same, before the target's: no advice to send the other one. */
        if (ret->method_len == 7 && memcmp(l, "CONNECT", 7) == 0)
                return refuse(p, 400, "CONNECT is not supported (no tunnel)");
        if (l[t] != '/')
                return refuse(p, 400, "Request target must be an absolute path");
        return 0;
}

/* Validate one header field line "name:value"; partial lines, from and *name_len (0 until the ':'
 * came) as above. */
static int check_field_line(Parser *p, const char *l, size_t n, bool complete, size_t from, size_t *name_len) {
        size_t i = from;

        if (*name_len == 0) {
                if (n > 0 && is_ows(l[0]))
                        return refuse(p, 400, "Obsolete line folding is not accepted");
                while (i < n && is_tchar(l[i]))
                        i++;
                if (i == n) {
                        if (!complete)
                                return 0;
                        return refuse(p, 400, "Header field without ':'");
                }
                if (l[i] != ':') {
                        if (is_ows(l[i]))
                                return refuse(p, 400, "Whitespace between header field name and ':'");
                        return refuse(p, 400, "Invalid character in header field name");
                }
                if (i == 0)
                        return refuse(p, 400, "Empty header field name");
                *name_len = i++;
        }
        for (; i < n; i++)
                if (!http_field_char(l[i]))
                        return refuse(p, 400, "Invalid character in header field value");
        return 0;
}

/* Pass one, from where the last call left off. Returns 1 with *s filled when the head is complete,
 * 0 when more bytes are needed. */
static int scan_head(Parser *p, const char *buf, size_t len, const HttpLimits *lim, HttpHeadScan *s) {
        size_t window = MIN(len, lim->max_header);
        int r;

        for (;;) {
                /* what passed of this line holds no LF: search the rest (a CR last was not passed) */
                const char *l = buf + s->pos, *nl = memchr(l + s->checked, '\n', window - s->pos - s->checked);
                size_t n;

                if (!nl) {
                        /* The line is still arriving. Strip a CR that may yet be followed by LF. */
                        n = window - s->pos;
                        if (n > 0 && buf[window - 1] == '\r')
                                n--;
                        if (!s->line_done)
                                r = check_request_line(p, l, n, false, s->checked, &s->rl);
                        else if (n > 0 && s->n_fields >= lim->max_fields)
                                r = refuse_bound(p, 431, "Too many header fields", "max_header_fields",
                                                 lim->max_fields);
                        else
                                r = check_field_line(p, l, n, false, s->checked, &s->name_len);
                        if (r < 0)
                                return r;
                        s->checked = n;
                        /* Nothing after the window can complete a head that fits in max_header. */
                        if (len >= lim->max_header && !s->line_done && n == 0)
                                return refuse(p, 400, "Nothing but empty lines");
                        if (len >= lim->max_header)
                                return refuse_bound(p, s->line_done ? 431 : 414,
                                                    s->line_done ? "Request header too large" : "Request line too long",
                                                    "max_header", lim->max_header);
                        return 0;
                }

                n = (size_t) (nl - l);
                if (n > 0 && l[n - 1] == '\r')
                        n--;

                if (!s->line_done && n == 0) {
                        /* RFC 9112 §2.2: empty lines before the request line are ignored; they
                         * count toward the head's bound all the same */
                } else if (!s->line_done) {
                        r = check_request_line(p, l, n, true, s->checked, &s->rl);
                        if (r < 0)
                                return r;
                        s->start = s->pos;
                        s->line_done = true;
                } else if (n == 0) {
                        s->head_len = (size_t) (nl - buf) + 1;
                        return 1;
                } else {
                        if (s->n_fields >= lim->max_fields)
                                return refuse_bound(p, 431, "Too many header fields", "max_header_fields",
                                                    lim->max_fields);
                        r = check_field_line(p, l, n, true, s->checked, &s->name_len);
                        if (r < 0)
                                return r;
                        s->n_fields++;
                }
                s->pos = (size_t) (nl - buf) + 1;
                s->checked = s->name_len = 0;
        }
}

/* uri-host [ ":" port ] (RFC 3986 §3.2.2): a reg-name, an IPv4 address or an IP-literal in
 * brackets, and digits. Checked by alphabet only: enough to refuse spaces (so a list as "a, b"),
 * userinfo and paths, and nothing downstream parses it further. "a,b" passes: a comma is a
 * sub-delim, which a reg-name may hold. */
static bool host_value_ok(const char *v) {
        for (; *v; v++) {
                char c = *v;
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      strchr("-._~%!$&'()*+,;=:[]", c)))
                        return false;
        }
        return true;
}

/* Expect = #expectation (RFC 9110 §10.1.1), and 100-continue is the only expectation defined.
 * A list's empty elements are ignored (RFC 9110 §5.6.1.2): an empty value expects nothing.
 * False for any other expectation; *ret_continue tells whether 100-continue was listed. */
static bool expect_ok(const char *v, bool *ret_continue) {
        static const char cont[] = "100-continue";
        bool found = false;

        for (;;) {
                size_t n = strcspn(v, ",");
                const char *s = v, *e = v + n;

                while (s < e && is_ows(*s))
                        s++;
                while (e > s && is_ows(e[-1]))
                        e--;
                if (e > s) {
                        if ((size_t) (e - s) != sizeof(cont) - 1)
                                return false;
                        for (size_t i = 0; i < sizeof(cont) - 1; i++)
                                if (ascii_lower(s[i]) != cont[i])
                                        return false;
                        found = true;
                }
                if (v[n] == '\0')
                        break;
                v += n + 1;
        }
        *ret_continue = found;
        return true;
}

/* Set a well-known header slot; a second occurrence is ambiguous and refused. */
static int take_unique(Parser *p, const char **slot, const char *value, const char *msg) {
        if (*slot)
                return refuse(p, 400, msg);
        *slot = value;
        return 0;
}

/* Pass two: cut the copied head into strings and apply the per-field rules. */
static int fill_request(Parser *p, const HttpHeadScan *scan, const HttpLimits *lim, HttpRequest *req) {
        const char *transfer_encoding = NULL, *content_length = NULL, *expect = NULL;
        char *line, *end;
        int r;

        /* Request line: "METHOD SP target SP version" */
        line = req->head;
        end = strchr(line, '\n');
        *end = '\0';
        req->method = line;
        line[scan->rl.method_len] = '\0';
        req->target = line + scan->rl.target_start;
        req->target[scan->rl.target_len] = '\0';
        req->version_minor = scan->rl.version_minor;

        /* path and query are cut from a second copy of the target, kept after the head. */
        req->path = req->head + (scan->head_len - scan->start) + 1;
        memcpy(req->path, req->target, scan->rl.target_len + 1);
        req->query = strchr(req->path, '?');
        if (req->query)
                *req->query++ = '\0';

        req->headers = calloc(MAX(scan->n_fields, 1u), sizeof(HttpHeader));
        if (!req->headers)
                return -ENOMEM;

        for (line = end + 1; *line != '\r' && *line != '\n'; line = end + 1) {
                HttpHeader *h = &req->headers[req->n_headers++];
                char *v, *e;

                end = strchr(line, '\n');
                e = end;
                if (e > line && e[-1] == '\r')
                        e--;
                v = strchr(line, ':');
                *v++ = '\0';
                while (v < e && is_ows(*v))
                        v++;
                while (e > v && is_ows(e[-1]))
                        e--;
                *e = '\0';
                *end = '\0';
                h->name = line;
                h->value = v;

                r = 0;
                if (strcaseeq(h->name, "Content-Length"))
                        r = take_unique(p, &content_length, v, "Duplicate Content-Length header");
                else if (strcaseeq(h->name, "Transfer-Encoding"))
                        transfer_encoding = v;
                else if (strcaseeq(h->name, "Host"))
                        r = take_unique(p, &req->host, v, "Duplicate Host header");
                /* Two credentials are ambiguous: which one would be checked? */
                else if (strcaseeq(h->name, "Authorization"))
                        r = take_unique(p, &req->authorization, v, "Duplicate Authorization header");
                else if (strcaseeq(h->name, "X-Functions-Key"))
                        r = take_unique(p, &req->x_functions_key, v, "Duplicate X-Functions-Key header");
                else if (strcaseeq(h->name, "X-Abbot-SkillApiToken"))
                        r = take_unique(p, &req->x_abbot_skillapitoken, v,
                                        "Duplicate X-Abbot-SkillApiToken header");
                else if (strcaseeq(h->name, "Expect"))
                        r = take_unique(p, &expect, v, "Duplicate Expect header");
                /* which one a proxy in front of us checked is anyone's guess */
                else if (strcaseeq(h->name, "Content-Type"))
                        r = take_unique(p, &req->content_type, v, "Duplicate Content-Type header");
                if (r < 0)
                        return r;
        }

        /* Both framing headers at once is the classic smuggling vector: refuse outright. */
        if (transfer_encoding && content_length)
                return refuse(p, 400, "Transfer-Encoding together with Content-Length");
        if (transfer_encoding)
                return refuse(p, 501, "Transfer-Encoding is not supported; send Content-Length");

        if (content_length) {
                /* parse_u64(): 1*DIGIT only, so no sign, no list ("5, 5"), no inner whitespace. */
                r = parse_u64(content_length, &req->content_length);
                if (r < 0)
                        return refuse(p, 400, "Invalid Content-Length");
                if (req->content_length > lim->max_body)
                        return refuse_bound(p, 413, "Request body too large", "max_body", lim->max_body);
                req->has_content_length = true;
        } else if (streq(req->method, "POST") || streq(req->method, "PUT") || streq(req->method, "PATCH"))
                return refuse(p, 411, "Content-Length required");

        /* RFC 9112 §3.2: an HTTP/1.1 request names its host (empty when the target has no
         * authority), and a malformed one is refused, not guessed at. */
        if (req->version_minor >= 1 && !req->host)
                return refuse(p, 400, "Host header required");
        if (req->host && !host_value_ok(req->host))
                return refuse(p, 400, "Invalid Host header");

        if (expect) {
                bool cont;

                if (!expect_ok(expect, &cont))
                        return refuse(p, 400, "Unsupported Expect header");
                /* RFC 9110 §10.1.1: a 100-continue expectation from an HTTP/1.0 client is ignored. */
                req->expect_continue = cont && req->version_minor >= 1;
        }

        return 0;
}

/* A request refused after its request line keeps its method and path (no query, no header), so
 * that the refusal can be logged with them. Nothing when out of memory: they are only for the log. */
static void keep_request_line(const char *buf, const HttpHeadScan *scan, HttpRequest *req) {
        const char *line = buf + scan->start, *target = line + scan->rl.target_start;
        const char *q = memchr(target, '?', scan->rl.target_len);
        size_t m = scan->rl.method_len, t = q ? (size_t) (q - target) : scan->rl.target_len;

        req->head_size = m + 1 + t + 1;
        req->head = malloc(req->head_size);
        if (!req->head) {
                req->head_size = 0;
                return;
        }
        memcpy(req->head, line, m);
        req->head[m] = '\0';
        memcpy(req->head + m + 1, target, t);
        req->head[m + 1 + t] = '\0';
        req->method = req->head;
        req->path = req->head + m + 1;
}

int http_parse_head_more(HttpHeadScan *scan, const char *buf, size_t len, const HttpLimits *lim, HttpRequest *req,
                         int *ret_status, const char **ret_msg) {
        static const HttpLimits default_limits = {
                .max_header = DEFAULT_MAX_HEADER,
                .max_fields = DEFAULT_MAX_HEADER_FIELDS,
                .max_body = DEFAULT_MAX_BODY,
        };
        Parser p = {};
        int r;

        *req = (HttpRequest) {};
        if (!lim)
                lim = &default_limits;
        if (len == 0)
                return 0;

        r = scan_head(&p, buf, len, lim, scan);
        if (r <= 0)
                goto finish;

        /* head, NUL, then a copy of the target to cut into path and query */
        req->head_size = scan->head_len - scan->start + 1 + scan->rl.target_len + 1;
        req->head = malloc(req->head_size);
        if (!req->head) {
                r = -ENOMEM;
                goto finish;
        }
        memcpy(req->head, buf + scan->start, scan->head_len - scan->start);
        req->head[scan->head_len - scan->start] = '\0';
        req->head_len = scan->head_len;

        r = fill_request(&p, scan, lim, req);
        if (r < 0) {
                http_request_done(req);
                goto finish;
        }
        return 1;

finish:
        /* Any failure comes with a status to answer, so a caller can never mistake it for 0. */
        if (r < 0 && r != -EBADMSG)
                (void) refuse(&p, 500, "Out of memory");
        if (r == -EBADMSG && scan->line_done)
                keep_request_line(buf, scan, req);
        if (r < 0) {
                if (ret_status)
                        *ret_status = p.status;
                if (ret_msg)
                        *ret_msg = p.msg;
                req->refused_limit = p.limit;
                req->refused_limit_value = p.limit_value;
        }
        return r;
}

int http_parse_head(const char *buf, size_t len, const HttpLimits *lim, HttpRequest *req, int *ret_status,
                    const char **ret_msg) {
        HttpHeadScan scan = {};

        return http_parse_head_more(&scan, buf, len, lim, req, ret_status, ret_msg);
}

size_t http_empty_lines(const char *buf, size_t len) {
        size_t i = 0;

        for (;;) {
                if (i < len && buf[i] == '\n')
                        i++;
                else if (len - i >= 2 && buf[i] == '\r' && buf[i + 1] == '\n')
                        i += 2;
                else
                        return i;
        }
}

bool http_nothing_asked(const char *buf, size_t len) {
        size_t i = http_empty_lines(buf, len);

        return i == len || (i + 1 == len && buf[i] == '\r');
}

bool http_is_head_request(const char *buf, size_t len) {
        size_t i = http_empty_lines(buf, len);

        return len - i >= 5 && memcmp(buf + i, "HEAD ", 5) == 0;
}

void http_request_done(HttpRequest *req) {
        if (!req)
                return;
        /* Routes wipe the credentials once checked, but a request refused or answered without the
         * check (a parser refusal, /healthz, 404) still carries them here. */
        if (req->head)
                explicit_bzero(req->head, req->head_size);
        free(req->head);
        free(req->headers);
        free(req->body);
        *req = (HttpRequest) {};
}

const char *http_request_header(const HttpRequest *req, const char *name) {
        for (size_t i = 0; i < req->n_headers; i++)
                if (strcaseeq(req->headers[i].name, name))
                        return req->headers[i].value;
        return NULL;
}

const char *http_status_reason(int status) {
        switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 406: return "Not Acceptable";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 411: return "Length Required";
        case 413: return "Payload Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 417: return "Expectation Failed";
        case 422: return "Unprocessable Content";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        default:  return "Unknown";
        }
}

const char *http_status_code(int status) {
        switch (status) {
        case 400: return "bad_request";
        case 401: return "unauthorized";
        case 403: return "forbidden";
        case 404: return "not_found";
        case 405: return "method_not_allowed";
        case 408: return "request_timeout";
        case 411: return "length_required";
        case 413: return "payload_too_large";
        case 414: return "uri_too_long";
        case 415: return "unsupported_media_type";
        case 431: return "request_header_fields_too_large";
        case 500: return "internal_error";
        case 501: return "not_implemented";
        case 503: return "service_unavailable";
        case 505: return "http_version_not_supported";
        default:  return "error";
        }
}
