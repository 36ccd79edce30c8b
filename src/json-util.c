/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "json-util.h"
#include "util.h"

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, the n bytes at s exactly */
static bool number_valid(const char *s, size_t n) {
        const char *e = s + n;

        if (s < e && *s == '-')
                s++;
        if (s < e && *s == '0')
                s++;
        else if (s < e && *s >= '1' && *s <= '9')
                while (s < e && is_digit(*s))
                        s++;
        else
                return false;
        if (s < e && *s == '.') {
                s++;
                if (!(s < e && is_digit(*s)))
                        return false;
                while (s < e && is_digit(*s))
                        s++;
        }
        if (s < e && (*s == 'e' || *s == 'E')) {
                s++;
                if (s < e && (*s == '+' || *s == '-'))
                        s++;
                if (!(s < e && is_digit(*s)))
                        return false;
                while (s < e && is_digit(*s))
                        s++;
        }
        return s == e;
}

static bool in_number(char c) {
        return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static size_t literal_len(const char *s, size_t n) {
        static const char *const literals[] = { "true", "false", "null" };

        for (size_t i = 0; i < ELEMENTSOF(literals); i++) {
                size_t k = strlen(literals[i]);
                if (n >= k && memcmp(s, literals[i], k) == 0)
                        return k;
        }
        return 0;
}

/* The numbers and literals of text json-c's strict mode took, read as written: it also takes
 * NaN, Infinity, "1.", "00" and "-007", and writes a parsed decimal back as it came (invalid
 * JSON in our answer), an integer rewritten. Outside strings such text holds only structure,
 * white space, numbers and literals. */
static bool scalars_valid(const char *s, size_t n) {
        bool in_string = false;

        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (in_string) {
                        if (c == '\\')
                                i++;
                        else if (c == '"')
                                in_string = false;
                } else if (c == '"')
                        in_string = true;
                else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                        /* a literal: only these three (json-c also reads NaN and Infinity) */
                        size_t k = literal_len(s + i, n - i);
                        if (k == 0)
                                return false;
                        i += k - 1;
                } else if (c == '-' || is_digit(c)) {
                        size_t j = i;
                        while (j < n && in_number(s[j]))
                                j++;
                        if (!number_valid(s + i, j - i))
                                return false;
                        i = j - 1;
                }
        }
        return true;
}

static bool is_json_ws(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int json_parse_strict(const char *buf, size_t len, int depth, json_object **ret, const char **ret_why) {
        enum json_tokener_error e;
        json_tokener *tok;
        json_object *v;
        size_t end;

        if (len > INT32_MAX) {
                *ret_why = "too large";
                return -EINVAL;
        }
        tok = json_tokener_new_ex(depth);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        v = json_tokener_parse_ex(tok, buf, (int) len);
        e = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        if (e == json_tokener_continue) {
                /* all of it taken, the value maybe unfinished ("42" may go on): a NUL ends it */
                v = json_tokener_parse_ex(tok, "", 1);
                e = json_tokener_get_error(tok);
                end = len;
        }
        json_tokener_free(tok);
        if (e != json_tokener_success) {
                json_object_put(v);
                *ret_why = e == json_tokener_continue || e == json_tokener_error_parse_eof ? "unexpected end of data" :
                                                                                          json_tokener_error_desc(e);
                return -EINVAL;
        }
        while (end < len && is_json_ws(buf[end]))
                end++;
        if (end != len) {
                json_object_put(v);
                *ret_why = "trailing data";
                return -EINVAL;
        }
        if (!scalars_valid(buf, len)) {
                json_object_put(v);
                *ret_why = "a number JSON does not allow (NaN, Infinity, a leading zero, no digit after '.')";
                return -EINVAL;
        }
        *ret = v;
        return 0;
}
