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

/* What RFC 8259 does not allow, or json-c would not keep, in JSON text read as written (a raw
 * control character in a string, NaN, a leading zero, an integer beyond 64 bits, half a
 * surrogate pair, a key with \u0000): a static reason, or NULL. Outside strings the text is
 * taken to hold only structure, white space, numbers and literals. */
const char *json_text_problem(const char *s, size_t n);

/* json-c 0.18's strict mode refuses every byte above 0x7f in a string (it compares a signed char
 * with 0x1f; json-c issue #875): valid UTF-8 such as "café" is an "invalid string sequence" there.
 * json_strict_input() gives what to hand a strict tokener instead of s[0..n): 0 and *ret NULL
 * when s itself will do (ASCII only, or a json-c without that bug, asked once), else 0 and *ret
 * a copy (free() it) of *ret_len bytes, NUL-terminated, from json_escape_non_ascii(). -ENOMEM,
 * or -E2BIG. */
int json_strict_input(const char *s, size_t n, char **ret, size_t *ret_len);

/* s[0..n) with each valid UTF-8 sequence inside a string written as its \u escape (a surrogate
 * pair above U+FFFF), which json-c decodes to the same bytes; everything else, bytes that are no
 * UTF-8 included, as it was. Newlines stay, so a line number counted in the copy is the text's.
 * 0 and *ret (NUL-terminated, free() it) of *ret_len bytes, -ENOMEM or -E2BIG. */
int json_escape_non_ascii(const char *s, size_t n, char **ret, size_t *ret_len);

/* The escape at s[0] == '\\' in the text of a JSON string: its length (2; 6 for \uXXXX; 12 for a
 * surrogate pair), or -EILSEQ for half a surrogate pair, which json-c turns into U+FFFD without
 * a word (RFC 8259 §8.2 leaves it to the parser; raw, in UTF-8, such a code point is invalid).
 * *ret_nul tells \u0000. A malformed \u escape, which json-c refuses, only ends the scan. */
int json_escape_len(const char *s, size_t n, bool *ret_nul);

/* Calls f for each object key in JSON text that a parser accepted, in text order: the key as
 * written (quotes and escapes included), its length and offset. depth 1: the keys of the
 * outermost object only; 0: of every object. A negative return of f ends the walk and is
 * returned; else 0. The text is only scanned, never decoded. */
typedef int (*JsonKeyFunc)(const char *key, size_t len, size_t offset, void *userdata);
int json_text_foreach_key(const char *s, size_t n, unsigned depth, JsonKeyFunc f, void *userdata);

/* Whether 'parsed', what json-c made of the text s, lost a key given twice in one object (json-c
 * keeps the last): the text has more keys than the tree. */
bool json_has_repeated_key(const char *s, size_t n, json_object *parsed);
