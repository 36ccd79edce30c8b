/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <sys/random.h>

#include "auth.h"
#include "http.h"

bool auth_token_name_valid(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > TOKEN_NAME_MAX)
                return false;
        for (const char *p = name; *p; p++)
                if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
                      strchr("_.-", *p)))
                        return false;
        return true;
}

/* Whether an Authorization header can carry the secret: one with a byte no header value may hold
 * (a control character but the tab, DEL) could never match. */
static bool presentable(const char *secret) {
        for (const char *p = secret; *p; p++)
                if (!http_field_char(*p))
                        return false;
        return true;
}

static int add_warning(char ***w, const char *fmt, ...) _printf_(2, 3);
static int add_warning(char ***w, const char *fmt, ...) {
        char *s = NULL;
        va_list ap;

        if (!w)
                return 0;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        return s ? strv_push(w, s) : -ENOMEM;
}

/* A refused line: named by its file and number, and by its name only where that cannot be a
 * token. "TOKEN:name", the two swapped, passes the name check (skillrun token's 44 characters are
 * a valid name), and its short "token" is refused: quoting the name would print the secret in
 * check's output and, on every request, in the journal. why finishes "token ...". */
static void refuse_line(char ***w, const char *path, unsigned line, const char *name, const char *why,
                        const char *hint) {
        if (strlen(name) < TOKEN_MIN_LEN)
                add_warning(w, "%s:%u: token '%s' %s, refused", path, line, name, why);
        else
                add_warning(w, "%s:%u: token %s, refused (the name is as long as a token: not shown%s)", path,
                            line, why, hint);
}

static int tokens_add(AuthTokens *t, const char *name, const char *secret, size_t len) {
        AuthToken *n = realloc(t->tokens, sizeof(AuthToken) * (t->n + 1));

        if (!n)
                return -ENOMEM;
        t->tokens = n;
        n[t->n].name = strdup(name);
        n[t->n].secret = strndup(secret, len);
        n[t->n].secret_len = len;
        if (!n[t->n].name || !n[t->n].secret) {
                free(n[t->n].name);
                erase_and_free(n[t->n].secret);
                return -ENOMEM;
        }
        t->n++;
        return 0;
}

/* a file of name:token lines: far more is not one (a number, for the message) */
#define TOKENS_FILE_MAX 1048576

const char *auth_load_strerror(int r) {
        /* read_full_secret()'s answers for a FIFO, a device or a socket, and for a file of /proc;
         * the bound, not the file system's "File too large" */
        return r == -EBADFD        ? "not a regular file"
               : r == -EMEDIUMTYPE ? "a file of the kernel's (/proc, /sys), not a tokens file"
               : r == -EFBIG       ? "larger than " STRINGIFY(TOKENS_FILE_MAX) " bytes"
                                   : strerror(-r);
}

int auth_load(const char *path, AuthTokens *ret, char ***ret_warnings) {
        _cleanup_secret_buffer_ SecretBuffer file = {}; /* wiped whole: the parse puts NULs in it */
        AuthTokens t = {};
        unsigned line = 0;
        char *p, *env;
        int r;

        r = read_full_secret(path, TOKENS_FILE_MAX, &file.data, &file.size);
        if (r < 0 && !(r == -ENOENT && getenv("ABBOT_SKILL_RUNNER_TOKEN")))
                return r;
        t.file_missing = r < 0;

        /* the parse ends at a NUL byte (a file cut short by a crash can end in a run of them):
         * the lines before it still count, and what follows is said to be ignored */
        const char *nul = file.data ? memchr(file.data, 0, file.size) : NULL;
        if (nul)
                add_warning(ret_warnings, "%s: a NUL byte at offset %zu: the rest of the file is ignored", path,
                            (size_t) (nul - file.data));

        for (p = file.data ? (char *) skip_utf8_bom(file.data, file.data + file.size) : NULL; p && *p;) {
                char *nl = strchr(p, '\n'), *colon, *secret, *end;
                line++;
                if (nl)
                        *nl = 0;
                end = p + strlen(p);
                while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                        *--end = 0;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p && *p != '#') {
                        colon = strchr(p, ':');
                        if (!colon)
                                add_warning(ret_warnings, "%s:%u: expected 'name:token', line ignored", path, line);
                        else {
                                *colon = 0;
                                secret = colon + 1;
                                if (!auth_token_name_valid(p))
                                        /* the name is not quoted: a line written "token:name" would show the token */
                                        add_warning(ret_warnings, "%s:%u: invalid token name (want 1 to %d letters, digits, "
                                                    "'_', '.' or '-'), line ignored", path, line, TOKEN_NAME_MAX);
                                else if (*secret == ' ' || *secret == '\t')
                                        /* a client's "Bearer  x" loses its blanks: it could never match */
                                        refuse_line(ret_warnings, path, line, p, "starts with a blank", "");
                                else if (!presentable(secret))
                                        refuse_line(ret_warnings, path, line, p, "holds a control character", "");
                                else if (strlen(secret) < TOKEN_MIN_LEN)
                                        refuse_line(ret_warnings, path, line, p,
                                                    "is shorter than " STRINGIFY(TOKEN_MIN_LEN) " bytes",
                                                    "; name and token swapped?");
                                else if ((r = tokens_add(&t, p, secret, strlen(secret))) < 0)
                                        goto fail;
                        }
                }
                if (!nl)
                        break;
                p = nl + 1;
        }
        env = getenv("ABBOT_SKILL_RUNNER_TOKEN");
        if (env) {
                if (strlen(env) < TOKEN_MIN_LEN)
                        add_warning(ret_warnings, "ABBOT_SKILL_RUNNER_TOKEN is shorter than %d bytes, refused",
                                    TOKEN_MIN_LEN);
                else if (!presentable(env))
                        add_warning(ret_warnings, "ABBOT_SKILL_RUNNER_TOKEN holds a control character, refused");
                else if ((r = tokens_add(&t, AUTH_ABBOT_TOKEN_NAME, env, strlen(env))) < 0)
                        goto fail;
                else
                        t.from_env = true;
                explicit_bzero(env, strlen(env));
        }
        *ret = t;
        return 0;
fail:
        auth_done(&t);
        return r;
}

const char *auth_check(const AuthTokens *t, const char *presented) {
        size_t plen = strlen(presented);
        const char *match = NULL;

        for (size_t i = 0; i < t->n; i++) {
                const AuthToken *k = &t->tokens[i];
                /* Always walk the stored token's full length: the time depends on the stored
                 * secrets' lengths only, never on how much of the presented one matches. */
                unsigned char diff = (unsigned char) (plen != k->secret_len);
                for (size_t j = 0; j < k->secret_len; j++)
                        diff |= (unsigned char) (k->secret[j] ^ (j < plen ? presented[j] : 0));
                if (diff == 0 && !match)
                        match = k->name;
        }
        return match;
}

const char *auth_bearer_token(const char *authorization) {
        const char *p;

        if (!authorization || strncasecmp(authorization, "bearer", 6) != 0)
                return NULL;
        p = authorization + 6;
        if (*p != ' ' && *p != '\t')
                return NULL;
        while (*p == ' ' || *p == '\t')
                p++;
        return *p ? p : NULL;
}

void auth_done(AuthTokens *t) {
        for (size_t i = 0; i < t->n; i++) {
                free(t->tokens[i].name);
                explicit_bzero(t->tokens[i].secret, t->tokens[i].secret_len);
                free(t->tokens[i].secret);
        }
        free(t->tokens);
        t->tokens = NULL;
        t->n = 0;
}

int auth_generate(const char *name, char **ret) {
        static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        unsigned char raw[33];
        char tok[45];
        size_t got = 0, o = 0;

        if (!auth_token_name_valid(name))
                return -EINVAL;
        while (got < sizeof(raw)) {
                ssize_t k = getrandom(raw + got, sizeof(raw) - got, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                got += (size_t) k;
        }
        /* 33 bytes → exactly 44 base64url characters, no padding: 264 bits of entropy */
        for (size_t i = 0; i < sizeof(raw); i += 3) {
                uint32_t v = (uint32_t) raw[i] << 16 | (uint32_t) raw[i + 1] << 8 | raw[i + 2];
                tok[o++] = b64url[(v >> 18) & 63];
                tok[o++] = b64url[(v >> 12) & 63];
                tok[o++] = b64url[(v >> 6) & 63];
                tok[o++] = b64url[v & 63];
        }
        tok[o] = 0;
        explicit_bzero(raw, sizeof(raw));
        if (asprintf(ret, "%s:%s", name, tok) < 0)
                return -ENOMEM;
        explicit_bzero(tok, sizeof(tok));
        return 0;
}
