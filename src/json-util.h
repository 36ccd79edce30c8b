/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* For _cleanup_(json_object_putp): json_object_put() takes NULL. */
static inline void json_object_putp(json_object **o) {
        json_object_put(*o);
}

/* One JSON value and nothing but white space around it, strictly by RFC 8259, and nothing json-c
 * would change on the way: json-c's strict mode, then the accepted text as written (json-c takes
 * NaN, Infinity, "1.", "00" and raw control characters in strings, writes a parsed decimal back
 * as it came, clamps integers beyond 64 bits, cuts a key at a \u0000, makes half a UTF-16
 * surrogate pair U+FFFD and keeps the last of a key given twice in one object). 0 and *ret (NULL
 * for JSON null), -EINVAL with *ret_why a static reason, or -ENOMEM. */
int json_parse_strict(const char *buf, size_t len, int depth, json_object **ret, const char **ret_why);
/* The same, and where in buf the problem is: *ret_offset, SIZE_MAX when it cannot say (a key given
 * twice, or json-c read a copy of the text) or the text is fine; len for "unexpected end of data". */
int json_parse_strict_at(const char *buf, size_t len, int depth, json_object **ret, const char **ret_why,
                         size_t *ret_offset);

/* json_parse_strict_at(), its refusal worded for a client: "WHAT is not valid JSON: WHY", with
 * "(line L, column C)" where the text says where (columns count characters). 0, -ENOMEM, or
 * -EINVAL with *ret_error set. */
int json_parse_strict_said(const char *buf, size_t len, int depth, const char *what, json_object **ret,
                           char **ret_error);

/* What RFC 8259 does not allow, or json-c would not keep, in JSON text read as written (a raw
 * control character in a string, NaN, a leading zero, an integer beyond 64 bits, half a
 * surrogate pair, a key with \u0000): a static reason, or NULL. Outside strings the text is
 * taken to hold only structure, white space, numbers and literals. */
const char *json_text_problem(const char *s, size_t n);
/* The same, and where it is (ret_offset may be NULL; left as it was when there is no problem). */
const char *json_text_problem_at(const char *s, size_t n, size_t *ret_offset);

/* json-c 0.18's strict mode refuses every byte above 0x7f in a string (it compares a signed char
 * with 0x1f; json-c issue #875): valid UTF-8 such as "café" is an "invalid string sequence" there,
 * and its \u escapes are no way round (json-c makes U+1D800-U+1DFFF, U+2D800-U+2DFFF, ... U+FFFD).
 * The tokener flags for the text s[0..n): JSON_TOKENER_STRICT, or 0 where the text is not ASCII
 * and the json-c in use has that bug (asked once); then json_text_grammar_problem() must refuse
 * what strict mode would have. */
int json_tokener_flags_for(const char *s, size_t n);

/* JSON text as json-c reads it, for a caller that then says in its own words what is wrong with
 * it: a copy where json-c would misread a \u pair (json_unescape_misread_pairs()), the tokener
 * strict where that json-c can be (json_tokener_flags_for()) plus extra_flags, and a bare value
 * the text ends on completed, as the end of the text completes it. */
typedef struct JsonRead {
        char *copy;                     /* what json-c read, where it is not the text itself */
        const char *text;               /* what json-c read: copy, or the text */
        size_t len;
        int flags;                      /* the tokener's */
        json_object *value;
        enum json_tokener_error error;
        size_t end;                     /* where the tokener stopped, at most len */
} JsonRead;
/* 0, or -ENOMEM; n at most INT32_MAX (the caller's bound). */
int json_read(const char *s, size_t n, int depth, int extra_flags, JsonRead *ret);
void json_read_done(JsonRead *r);

/* RFC 8259's grammar, which json-c's strict mode enforces and its default mode does not (it
 * takes comments, single quotes, trailing commas, ...): a static reason why s[0..n) is not one
 * JSON value with nothing but white space around it, or NULL. depth bounds the nesting. With
 * ret_offset: where the problem is. */
const char *json_text_grammar_problem(const char *s, size_t n, unsigned depth, size_t *ret_offset);

/* The escape at s[0] == '\\' in the text of a JSON string: its length (2; 6 for \uXXXX; 12 for a
 * surrogate pair), or -EILSEQ for half a surrogate pair, which json-c turns into U+FFFD without
 * a word (RFC 8259 §8.2 leaves it to the parser; raw, in UTF-8, such a code point is invalid).
 * *ret_nul tells \u0000. A malformed \u escape, which json-c refuses, only ends the scan. */
int json_escape_len(const char *s, size_t n, bool *ret_nul);

/* json-c (0.16 to 0.18 at least) decodes a \u surrogate pair escape whose code point's low 16
 * bits are D800-DFFF (U+1D800-U+1DFFF, U+2D800-U+2DFFF, ... U+10D800-U+10DFFF: its surrogate test
 * ignores the plane) to U+FFFD, or to another character when a \u escape follows, without a word;
 * raw UTF-8 it keeps. For the tokener: a copy of s[0..n) with exactly those pairs, in strings,
 * written as the code point's UTF-8 (4 bytes for 12; no newline moves, so lines stay), NUL
 * terminated, in *ret and *ret_len, and 1; 0 and *ret NULL when the text has none; -ENOMEM.
 * Half a pair stays as written (json_text_problem() tells it). */
int json_unescape_misread_pairs(const char *s, size_t n, char **ret, size_t *ret_len);

/* Calls f for each object key in JSON text that a parser accepted, in text order: the key as
 * written (quotes and escapes included), its length and offset. depth 1: the keys of the
 * outermost object only; 0: of every object. A negative return of f ends the walk and is
 * returned; else 0. The text is only scanned, never decoded. */
typedef int (*JsonKeyFunc)(const char *key, size_t len, size_t offset, void *userdata);
int json_text_foreach_key(const char *s, size_t n, unsigned depth, JsonKeyFunc f, void *userdata);

/* Whether 'parsed', what json-c made of the text s, lost a key given twice in one object (json-c
 * keeps the last): the text has more keys than the tree. */
bool json_has_repeated_key(const char *s, size_t n, json_object *parsed);
