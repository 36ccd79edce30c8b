/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
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

/* An integer json-c would clamp to its int64/uint64 range without a word: beyond
 * -9223372036854775808 … 18446744073709551615. */
static bool integer_too_large(const char *s, size_t n) {
        bool negative = *s == '-';
        const char *limit = negative ? "9223372036854775808" : "18446744073709551615";
        size_t k = strlen(limit);

        if (negative) {
                s++;
                n--;
        }
        if (memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n))
                return false; /* a decimal: json-c keeps its text */
        return n > k || (n == k && memcmp(s, limit, k) > 0);
}

static bool is_json_ws(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Is s[0..n) the literal null, give or take white space? */
static bool is_json_null(const char *s, size_t n) {
        size_t i = 0;

        while (i < n && is_json_ws(s[i]))
                i++;
        if (n - i < 4 || memcmp(s + i, "null", 4) != 0)
                return false;
        for (i += 4; i < n && is_json_ws(s[i]); i++)
                ;
        return i == n;
}

/* Does s[0..n) end where a value is complete: outside any string, every object and array
 * opened in it closed again? */
static bool value_complete(const char *s, size_t n) {
        size_t level = 0;
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
                else if (c == '{' || c == '[')
                        level++;
                else if ((c == '}' || c == ']') && level > 0)
                        level--;
        }
        return !in_string && level == 0;
}

static int hex4(const char *s, size_t n) {
        int v = 0;

        if (n < 4)
                return -1;
        for (size_t i = 0; i < 4; i++) {
                char c = s[i];
                if (is_digit(c))
                        v = v * 16 + (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v = v * 16 + (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v = v * 16 + (c - 'A' + 10);
                else
                        return -1;
        }
        return v;
}

int json_escape_len(const char *s, size_t n, bool *ret_nul) {
        int u, low;

        *ret_nul = false;
        if (n < 2 || s[1] != 'u')
                return (int) MIN(n, (size_t) 2);
        u = hex4(s + 2, n - 2);
        if (u < 0)
                return (int) MIN(n, (size_t) 6);
        *ret_nul = u == 0;
        if (u >= 0xdc00 && u <= 0xdfff)
                return -EILSEQ; /* a low half first */
        if (u < 0xd800 || u > 0xdbff)
                return 6;
        if (n < 12 || s[6] != '\\' || s[7] != 'u')
                return -EILSEQ; /* a high half, and no escape after it */
        low = hex4(s + 8, n - 8);
        return low >= 0xdc00 && low <= 0xdfff ? 12 : -EILSEQ;
}

/* The code point of the surrogate pair escape at s[0..12), as json_escape_len() found it, if
 * json-c would misread it: a code point whose low 16 bits are D800-DFFF (json-c's surrogate
 * test ignores the plane), else 0. */
static uint32_t misread_pair(const char *s) {
        uint32_t c = 0x10000 + ((uint32_t) (hex4(s + 2, 4) - 0xd800) << 10) + (uint32_t) (hex4(s + 8, 4) - 0xdc00);

        return (c & 0xf800) == 0xd800 ? c : 0;
}

int json_unescape_misread_pairs(const char *s, size_t n, char **ret, size_t *ret_len) {
        bool in_string = false;
        size_t found = 0, o = 0;
        char *copy = NULL;

        *ret = NULL;
        *ret_len = 0;
        /* twice: measure, then (if a pair was found) copy */
        for (int pass = 0; pass < 2; pass++) {
                if (pass == 1) {
                        if (found == 0)
                                return 0;
                        copy = malloc(o + 1);
                        if (!copy)
                                return -ENOMEM;
                        o = 0;
                }
                in_string = false;
                for (size_t i = 0; i < n;) {
                        size_t k = 1;
                        uint32_t c = 0;

                        if (in_string && s[i] == '\\') {
                                bool nul;
                                int e = json_escape_len(s + i, n - i, &nul);
                                /* half a pair: its own \uXXXX, left as written */
                                k = e < 0 ? 6 : (size_t) e;
                                if (k == 12)
                                        c = misread_pair(s + i);
                        } else if (s[i] == '"')
                                in_string = !in_string;
                        if (c == 0 && copy)
                                memcpy(copy + o, s + i, k);
                        else if (c && copy) {
                                copy[o] = (char) (0xf0 | (c >> 18));
                                copy[o + 1] = (char) (0x80 | ((c >> 12) & 0x3f));
                                copy[o + 2] = (char) (0x80 | ((c >> 6) & 0x3f));
                                copy[o + 3] = (char) (0x80 | (c & 0x3f));
                        }
                        o += c ? 4 : k;
                        found += c ? 1 : 0;
                        i += k;
                }
        }
        copy[o] = '\0';
        *ret = copy;
        *ret_len = o;
        return 1;
}

#define BAD_NUMBER "a number JSON does not allow (NaN, Infinity, a leading zero, no digit after '.')"

/* Line and column (1-based; columns count characters: s is UTF-8) of offset in s. */
static void text_position(const char *s, size_t offset, unsigned *ret_line, unsigned *ret_column) {
        unsigned line = 1, column = 1;

        for (size_t i = 0; i < offset; i++)
                if (s[i] == '\n')
                        line++, column = 1;
                else if (((unsigned char) s[i] & 0xc0) != 0x80)
                        column++;
        *ret_line = line;
        *ret_column = column;
}

/* What json-c's strict mode takes and RFC 8259 does not, or what json-c would not keep, in the
 * text it accepted, read as written; NULL if nothing. Outside strings such text holds only
 * structure, white space, numbers and literals. */
const char *json_text_problem(const char *s, size_t n) {
        return json_text_problem_at(s, n, NULL);
}

/* the problem's reason, and its offset through ret_offset (when not NULL) */
#define PROBLEM_AT(why, at) (ret_offset ? (void) (*ret_offset = (at)) : (void) 0, (why))

const char *json_text_problem_at(const char *s, size_t n, size_t *ret_offset) {
        bool in_string = false, nul_escape = false;
        size_t string_start = 0;

        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (in_string) {
                        if ((unsigned char) c < 0x20)
                                return PROBLEM_AT("a control character not escaped in a string", i);
                        if (c == '\\') {
                                bool nul;
                                int k = json_escape_len(s + i, n - i, &nul);
                                if (k < 0)
                                        return PROBLEM_AT("half a UTF-16 surrogate pair in a \\u escape", i);
                                nul_escape = nul_escape || nul;
                                i += (size_t) k - 1;
                        } else if (c == '"') {
                                in_string = false;
                                if (nul_escape) {
                                        /* json-c cuts a key short at a NUL, and may then merge it
                                         * with another: a value keeps it */
                                        size_t j = i + 1;
                                        while (j < n && is_json_ws(s[j]))
                                                j++;
                                        if (j < n && s[j] == ':')
                                                return PROBLEM_AT("a key with \\u0000 in it", string_start);
                                }
                        }
                } else if (c == '"') {
                        in_string = true;
                        nul_escape = false;
                        string_start = i;
                } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                        /* a literal: only these three (json-c also reads NaN and Infinity) */
                        size_t k = literal_len(s + i, n - i);
                        if (k == 0)
                                return PROBLEM_AT(BAD_NUMBER, i);
                        i += k - 1;
                } else if (c == '-' || is_digit(c)) {
                        size_t j = i;
                        while (j < n && in_number(s[j]))
                                j++;
                        if (!number_valid(s + i, j - i))
                                return PROBLEM_AT(BAD_NUMBER, i);
                        if (integer_too_large(s + i, j - i))
                                return PROBLEM_AT("an integer beyond 64 bits", i);
                        i = j - 1;
                }
        }
        return NULL;
}

int json_text_foreach_key(const char *s, size_t n, unsigned depth, JsonKeyFunc f, void *userdata) {
        unsigned level = 0;

        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (c == '{' || c == '[')
                        level++;
                else if (c == '}' || c == ']')
                        level--;
                else if (c == '"') {
                        size_t start = i;
                        for (i++; i < n && s[i] != '"'; i++)
                                if (s[i] == '\\')
                                        i++;
                        size_t j = i + 1;
                        while (j < n && is_json_ws(s[j]))
                                j++;
                        if (j < n && s[j] == ':' && (depth == 0 || level == depth)) {
                                int r = f(s + start, MIN(i + 1, n) - start, start, userdata);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        return 0;
}

static int count_key(const char *key, size_t len, size_t offset, void *userdata) {
        size_t *n = userdata;
        (*n)++;
        return 0;
}

/* The keys of every object in v, nested ones included. Depth is the tokener's bound. */
static size_t tree_keys(json_object *v) {
        size_t n = 0;

        if (json_object_is_type(v, json_type_object)) {
                json_object_object_foreach(v, key, child) {
                        (void) key;
                        n += 1 + tree_keys(child);
                }
        } else if (json_object_is_type(v, json_type_array))
                for (size_t i = 0; i < json_object_array_length(v); i++)
                        n += tree_keys(json_object_array_get_idx(v, i));
        return n;
}

bool json_has_repeated_key(const char *s, size_t n, json_object *parsed) {
        size_t text = 0;

        (void) json_text_foreach_key(s, n, 0, count_key, &text);
        return text != tree_keys(parsed);
}

/* Does the json-c we run with refuse valid UTF-8 in a string in strict mode? Asked once. */
static bool strict_refuses_utf8(void) {
        static int refuses = -1;

        if (refuses < 0) {
                json_tokener *tok = json_tokener_new();
                if (!tok)
                        return true; /* not known: the other way is right either way */
                json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
                json_object_put(json_tokener_parse_ex(tok, "\"\xc3\xa9\"", 4));
                refuses = json_tokener_get_error(tok) != json_tokener_success;
                json_tokener_free(tok);
        }
        return refuses;
}

int json_tokener_flags_for(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] >= 0x80)
                        return strict_refuses_utf8() ? 0 : JSON_TOKENER_STRICT;
        return JSON_TOKENER_STRICT;
}

static void skip_ws(const char *s, size_t n, size_t *i) {
        while (*i < n && is_json_ws(s[*i]))
                (*i)++;
}

/* What is at s[i] where something else was due */
static const char *unexpected(const char *s, size_t n, size_t i, const char *otherwise) {
        if (i >= n)
                return "unexpected end of data";
        if (s[i] == '/')
                return "a comment";
        if (s[i] == '\'')
                return "a string in single quotes";
        if (skip_utf8_bom(s + i, s + n) != s + i)
                return "a byte order mark (U+FEFF)"; /* an editor's, not "a number" */
        return otherwise;
}

static const char *grammar_string(const char *s, size_t n, size_t *i) {
        for ((*i)++; *i < n; (*i)++) {
                unsigned char c = (unsigned char) s[*i];
                if (c == '"') {
                        (*i)++;
                        return NULL;
                }
                if (c < 0x20)
                        return "a control character not escaped in a string";
                if (c != '\\')
                        continue;
                if (++*i >= n)
                        break;
                c = (unsigned char) s[*i];
                if (c == 'u') {
                        if (hex4(s + *i + 1, n - *i - 1) < 0)
                                return "a malformed \\u escape";
                        *i += 4;
                } else if (c == 0 || !strchr("\"\\/bfnrt", c))
                        return "an escape JSON does not have";
        }
        return "unexpected end of data";
}

static const char *grammar_value(const char *s, size_t n, size_t *i, unsigned depth) {
        const char *why;
        char c, close;
        size_t k;

        if (*i >= n)
                return "unexpected end of data";
        c = s[*i];
        if (c == '"')
                return grammar_string(s, n, i);
        if (c == '-' || is_digit(c)) {
                for (k = *i; k < n && in_number(s[k]); k++)
                        ;
                if (!number_valid(s + *i, k - *i))
                        return BAD_NUMBER;
                *i = k;
                return NULL;
        }
        if (c != '{' && c != '[') {
                k = literal_len(s + *i, n - *i);
                if (k == 0)
                        return unexpected(s, n, *i, BAD_NUMBER);
                *i += k;
                return NULL;
        }
        if (depth == 0)
                return "nested too deeply";
        close = c == '{' ? '}' : ']';
        (*i)++;
        skip_ws(s, n, i);
        if (*i < n && s[*i] == close) {
                (*i)++;
                return NULL;
        }
        for (;;) {
                if (c == '{') {
                        if (*i >= n || s[*i] != '"')
                                return unexpected(s, n, *i, "an object key that is no string");
                        why = grammar_string(s, n, i);
                        if (why)
                                return why;
                        skip_ws(s, n, i);
                        if (*i >= n || s[*i] != ':')
                                return unexpected(s, n, *i, "no ':' after an object key");
                        (*i)++;
                        skip_ws(s, n, i);
                }
                why = grammar_value(s, n, i, depth - 1);
                if (why)
                        return why;
                skip_ws(s, n, i);
                if (*i < n && s[*i] == close) {
                        (*i)++;
                        return NULL;
                }
                if (*i >= n || s[*i] != ',')
                        return unexpected(s, n, *i, "neither ',' nor the end of the object or array");
                (*i)++;
                skip_ws(s, n, i);
                if (*i < n && (s[*i] == '}' || s[*i] == ']'))
                        return "a trailing comma";
        }
}

const char *json_text_grammar_problem(const char *s, size_t n, unsigned depth, size_t *ret_offset) {
        const char *why;
        size_t i = 0;

        skip_ws(s, n, &i);
        why = grammar_value(s, n, &i, depth);
        if (!why) {
                skip_ws(s, n, &i);
                if (i < n)
                        why = unexpected(s, n, i, "trailing data");
        }
        if (ret_offset)
                *ret_offset = MIN(i, n);
        return why;
}

int json_read(const char *s, size_t n, int depth, int extra_flags, JsonRead *ret) {
        json_tokener *tok;
        int k;

        *ret = (JsonRead) {};
        k = json_unescape_misread_pairs(s, n, &ret->copy, &ret->len);
        if (k < 0)
                return k;
        ret->text = ret->copy ?: s;
        if (!ret->copy)
                ret->len = n;
        tok = json_tokener_new_ex(depth);
        if (!tok) {
                json_read_done(ret);
                return -ENOMEM;
        }
        ret->flags = json_tokener_flags_for(ret->text, ret->len) | extra_flags;
        json_tokener_set_flags(tok, ret->flags);
        ret->value = json_tokener_parse_ex(tok, ret->text, (int) ret->len);
        ret->error = json_tokener_get_error(tok);
        ret->end = MIN(json_tokener_get_parse_end(tok), ret->len);
        if (ret->error == json_tokener_continue) {
                /* all of it taken, the value maybe unfinished ("42" may go on): a NUL ends it */
                ret->value = json_tokener_parse_ex(tok, "", 1);
                ret->error = json_tokener_get_error(tok);
                ret->end = ret->len;
        }
        json_tokener_free(tok);
        return 0;
}

void json_read_done(JsonRead *r) {
        free(r->copy);
        json_object_put(r->value);
        *r = (JsonRead) {};
}

/* What the tokener's error e, its value v and where it stopped (end) say about the text
 * p[0..n) it read: 0, -EINVAL with *ret_why, or -ENOMEM. v stays the caller's. */
static int json_parse_end_check(const char *p, size_t n, unsigned depth, size_t end, enum json_tokener_error e,
                                json_object *v, const char **ret_why, size_t *ret_offset) {
#if HAVE_DECL_JSON_TOKENER_ERROR_MEMORY
        if (e == json_tokener_error_memory)
                return -ENOMEM; /* ours, not the text's */
#endif
        if (e != json_tokener_success) {
                bool eof = e == json_tokener_continue || e == json_tokener_error_parse_eof;
                /* in our words, the same whichever json-c and mode refused it: json-c 0.18 and
                 * 0.19's strict mode refuse a raw control character in a string and an integer
                 * beyond 64 bits themselves, as "invalid string sequence" and "number expected",
                 * and take a bare such integer that ends the text for one cut short */
                *ret_why = json_text_grammar_problem(p, n, depth, ret_offset)
                                   ?: json_text_problem_at(p, MIN(n, end + 1), ret_offset)
                                   ?: eof ? PROBLEM_AT("unexpected end of data", n)
                                          : PROBLEM_AT(json_tokener_error_desc(e), end);
                return -EINVAL;
        }
        /* json-c before 0.17 stops where an allocation failed and says nothing (no
         * json_tokener_error_memory, above): no value, no error, but not the text "null" */
        if (!v && !is_json_null(p, end))
                return -ENOMEM;
        /* ... or stops inside the value, and hands back what it had (an array of a deeper
         * level, say) as if the text ended there: not trailing data either */
        if (end < n && !value_complete(p, end))
                return -ENOMEM;
        while (end < n && is_json_ws(p[end]))
                end++;
        if (end != n) {
                *ret_why = PROBLEM_AT("trailing data", end);
                return -EINVAL;
        }
        return 0;
}

int json_parse_strict_said(const char *buf, size_t len, int depth, const char *what, json_object **ret,
                           char **ret_error) {
        const char *why;
        size_t at;
        int k = json_parse_strict_at(buf, len, depth, ret, &why, &at);

        if (k == -ENOMEM || k >= 0)
                return k;
        if (at < len) { /* where, for a text of many lines or one long one */
                unsigned line, column;
                text_position(buf, at, &line, &column);
                return set_error(ret_error, -EINVAL, "%s is not valid JSON: %s (line %u, column %u)", what, why, line,
                                 column);
        }
        return set_error(ret_error, -EINVAL, "%s is not valid JSON: %s", what, why);
}

int json_parse_strict(const char *buf, size_t len, int depth, json_object **ret, const char **ret_why) {
        return json_parse_strict_at(buf, len, depth, ret, ret_why, NULL);
}

int json_parse_strict_at(const char *buf, size_t len, int depth, json_object **ret, const char **ret_why,
                         size_t *ret_offset) {
        _cleanup_(json_read_done) JsonRead t = {};
        size_t at = SIZE_MAX;
        int k;

        if (ret_offset)
                *ret_offset = SIZE_MAX;
        if (len > INT32_MAX) {
                *ret_why = "too large";
                return -EINVAL;
        }
        /* json-c reads the text with its pairs json-c would misread as UTF-8; the checks below
         * read it as written */
        k = json_read(buf, len, depth, 0, &t);
        if (k < 0)
                return k;
        k = json_parse_end_check(t.text, t.len, (unsigned) depth + 1, t.end, t.error, t.value, ret_why, &at);
        if (k < 0) {
                /* an offset into json-c's copy (shorter where it rewrote a \u pair) is none into buf:
                 * there, the same reason found in buf itself says where */
                if (ret_offset && t.text == buf)
                        *ret_offset = at;
                else if (ret_offset && k == -EINVAL &&
                         (json_text_grammar_problem(buf, len, (unsigned) depth + 1, &at) ?:
                                  json_text_problem_at(buf, len, &at)) == *ret_why)
                        *ret_offset = at;
                return k;
        }
        /* what strict mode refuses (comments, single quotes, trailing commas, ...), for the
         * json-c whose strict mode cannot take UTF-8, then what even strict mode takes */
        *ret_why = json_text_grammar_problem(buf, len, (unsigned) depth + 1, &at) ?: json_text_problem_at(buf, len, &at);
        if (*ret_why) {
                if (ret_offset)
                        *ret_offset = at;
                return -EINVAL;
        }
        /* json-c keeps the last of a key given twice in one object, without a word: what a proxy
         * or another parser took for the request need not be what we run */
        if (json_has_repeated_key(buf, len, t.value)) {
                *ret_why = "a key given twice in one object";
                return -EINVAL;
        }
        *ret = steal_pointer(&t.value);
        return 0;
}
