/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>

#include "json-util.h"

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number_text_valid(const char *s) {
        if (!s)
                return false;
        if (*s == '-')
                s++;
        if (*s == '0')
                s++;
        else if (*s >= '1' && *s <= '9')
                while (is_digit(*s))
                        s++;
        else
                return false;
        if (*s == '.') {
                s++;
                if (!is_digit(*s))
                        return false;
                while (is_digit(*s))
                        s++;
        }
        if (*s == 'e' || *s == 'E') {
                s++;
                if (*s == '+' || *s == '-')
                        s++;
                if (!is_digit(*s))
                        return false;
                while (is_digit(*s))
                        s++;
        }
        return *s == '\0';
}

bool json_numbers_valid(json_object *v) {
        switch (json_object_get_type(v)) {
        case json_type_double:
                return number_text_valid(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        case json_type_array:
                for (size_t i = 0, n = json_object_array_length(v); i < n; i++)
                        if (!json_numbers_valid(json_object_array_get_idx(v, i)))
                                return false;
                return true;
        case json_type_object: {
                json_object_object_foreach(v, key, val) {
                        (void) key;
                        if (!json_numbers_valid(val))
                                return false;
                }
                return true;
        }
        default:
                return true;
        }
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
        if (!json_numbers_valid(v)) {
                json_object_put(v);
                *ret_why = "a number JSON does not allow (NaN, Infinity, or no digit after '.')";
                return -EINVAL;
        }
        *ret = v;
        return 0;
}
