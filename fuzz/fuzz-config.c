/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the operator's files: skillrun.conf (settings_parse_text) and the tokens file
 * (auth_load, read from a memfd by its /proc/self/fd path). The first byte picks which;
 * the rest is the file. Checked: a refusal says why; what the settings accept stays within the
 * bounds design §2 gives; every token loaded is one the tokens file may hold (a valid name, no
 * blank to start or end, no control character but the tab, at least TOKEN_MIN_LEN bytes) and is found again by
 * auth_check(); a file taken warns once for each line that gives a key again, naming it. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "auth.h"
#include "fuzz.h"
#include "settings.h"

#define BLANKS " \t\r\v\f"
#define MAX_KEYS 64

/* The warnings a file the settings take gives: one for each line whose key an earlier line gave,
 * naming that line and the first, in the order of the lines. */
static void check_warnings(const Settings *s, const char *text, size_t len) {
        _cleanup_free_ char *copy = strndup(text, len);
        char keys[MAX_KEYS][64];
        unsigned first[MAX_KEYS], n_keys = 0, line_no = 0;
        size_t n_warnings = 0;

        fuzz_check(copy);
        /* strtok would merge the empty lines the numbers count: split by hand */
        for (char *line = (char *) skip_utf8_bom(copy, copy + len), *next; line; line = next) {
                char *eq, *key, *e;
                size_t i;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                line_no++;
                key = line + strspn(line, BLANKS);
                if (key[0] == '\0' || key[0] == '#')
                        continue;
                eq = strchr(key, '=');
                fuzz_check(eq);
                for (e = eq; e > key && strchr(BLANKS, e[-1]); e--)
                        ;
                *e = '\0';
                fuzz_check(strlen(key) < sizeof(keys[0]));
                for (i = 0; i < n_keys && !streq(keys[i], key); i++)
                        ;
                if (i == n_keys) {
                        fuzz_check(n_keys < MAX_KEYS);
                        strcpy(keys[n_keys], key);
                        first[n_keys++] = line_no;
                        continue;
                }
                _cleanup_free_ char *want = NULL;
                fuzz_check(asprintf(&want, "skillrun.conf:%u: '%s' is given again (first on line %u); the last one counts",
                                    line_no, key, first[i]) >= 0);
                fuzz_check(s->file_warnings && s->file_warnings[n_warnings] &&
                           streq(s->file_warnings[n_warnings], want));
                n_warnings++;
        }
        fuzz_check(!s->file_warnings ? n_warnings == 0 : !s->file_warnings[n_warnings]);
}

static void fuzz_settings(const char *text, size_t len) {
        _cleanup_free_ char *error = NULL;
        Settings s;
        int r;

        settings_init(&s);
        r = settings_parse_text(&s, "skillrun.conf", text, len, &error);
        if (r < 0)
                fuzz_check(r == -ENOMEM || (r == -EINVAL && error && error[0] != '\0'));
        else {
                fuzz_check(s.max_header >= 1 && s.max_header <= (UINT64_C(1) << 30));
                fuzz_check(s.max_body <= (UINT64_C(1) << 30));
                fuzz_check(s.max_header_fields >= 1);
                fuzz_check(s.read_timeout_ms >= 1 && s.read_timeout_ms <= UINT64_C(86400000));
                check_warnings(&s, text, len);
        }
        settings_done(&s);
}

static void fuzz_tokens(const uint8_t *data, size_t size) {
        static char path[64];
        static int fd = -1;
        _cleanup_strv_free_ char **warnings = NULL;
        AuthTokens t = {};
        int r;

        /* a regular file that leaves nothing behind */
        if (fd < 0) {
                fd = memfd_create("fuzz-tokens", MFD_CLOEXEC);
                fuzz_check(fd >= 0);
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        }
        fuzz_check(ftruncate(fd, 0) == 0);
        fuzz_check(pwrite(fd, data, size, 0) == (ssize_t) size);

        r = auth_load(path, &t, &warnings);
        fuzz_check(r == 0 || r == -ENOMEM);
        for (size_t i = 0; i < t.n; i++) {
                const AuthToken *k = &t.tokens[i];

                fuzz_check(auth_token_name_valid(k->name));
                fuzz_check(k->secret_len >= TOKEN_MIN_LEN && strlen(k->secret) == k->secret_len);
                /* nothing an Authorization header cannot carry: no control character but the
                 * tab, no DEL (said here apart from http.c's check, which auth_load() asks) */
                for (size_t j = 0; j < k->secret_len; j++) {
                        unsigned char c = (unsigned char) k->secret[j];
                        fuzz_check(c == '\t' || (c >= 0x20 && c != 0x7f));
                }
                fuzz_check(!strchr(" \t", k->secret[0]) && !strchr(" \t", k->secret[k->secret_len - 1]));
                /* the first token with that secret answers for it */
                const char *who = auth_check(&t, k->secret);
                fuzz_check(who);
                for (size_t j = 0; j <= i; j++)
                        if (streq(t.tokens[j].secret, k->secret)) {
                                fuzz_check(who == t.tokens[j].name);
                                break;
                        }
        }
        /* a presented token that is a prefix or an extension of a stored one is no match */
        for (size_t i = 0; i < t.n; i++) {
                _cleanup_free_ char *longer = NULL, *shorter = strndup(t.tokens[i].secret, t.tokens[i].secret_len - 1);
                fuzz_check(shorter);
                fuzz_check(asprintf(&longer, "%sx", t.tokens[i].secret) >= 0);
                const char *a = auth_check(&t, shorter), *b = auth_check(&t, longer);
                fuzz_check(!a || strlen(shorter) >= TOKEN_MIN_LEN);
                for (size_t j = 0; j < t.n; j++) {
                        if (a == t.tokens[j].name)
                                fuzz_check(streq(t.tokens[j].secret, shorter));
                        if (b == t.tokens[j].name)
                                fuzz_check(streq(t.tokens[j].secret, longer));
                }
        }
        auth_done(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text;

        if (size == 0)
                return 0;
        if (data[0] & 1) {
                fuzz_tokens(data + 1, size - 1);
                return 0;
        }
        /* exact size, no NUL: the parser must respect len */
        text = malloc(size - 1 ? size - 1 : 1);
        fuzz_check(text);
        memcpy(text, data + 1, size - 1);
        fuzz_settings(text, size - 1);
        free(text);
        return 0;
}
