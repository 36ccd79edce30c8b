/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Compact JSON written straight into one buffer, as json-c writes a tree with
 * JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, byte for byte: for the run result,
 * which every request answers with, without a tree of allocations to build and walk first.
 * Strings must be UTF-8 (the caller checks); they are escaped as json-c does. An allocation
 * failure is remembered and reported once, by json_writer_steal(). */
#define JSON_WRITER_DEPTH_MAX 8

typedef struct JsonWriter {
        char *buf;
        size_t len, size;
        bool oom;
        bool after_key; /* a key was written: its value needs no separator */
        unsigned depth;
        bool comma[JSON_WRITER_DEPTH_MAX]; /* a value was written at that depth: the next needs ',' */
} JsonWriter;

void json_writer_object_begin(JsonWriter *w);
void json_writer_object_end(JsonWriter *w);
void json_writer_array_begin(JsonWriter *w);
void json_writer_array_end(JsonWriter *w);
/* A key in the object being written; its value follows. */
void json_writer_key(JsonWriter *w, const char *key);
void json_writer_string(JsonWriter *w, const char *s);
void json_writer_string_len(JsonWriter *w, const char *s, size_t len);
void json_writer_u64(JsonWriter *w, uint64_t v);
void json_writer_int(JsonWriter *w, int v);
void json_writer_bool(JsonWriter *w, bool v);
void json_writer_null(JsonWriter *w);
/* A key and its value. */
void json_writer_field_string(JsonWriter *w, const char *key, const char *s);
void json_writer_field_u64(JsonWriter *w, const char *key, uint64_t v);
void json_writer_field_bool(JsonWriter *w, const char *key, bool v);

/* One JSON value the caller has checked, written as it is. */
void json_writer_raw(JsonWriter *w, const char *text, size_t len);

/* The text (NUL-terminated, *ret_len without the NUL), now the caller's; NULL after an
 * allocation failure or when nothing was written. Either way the writer is empty again. */
char *json_writer_steal(JsonWriter *w, size_t *ret_len);
void json_writer_done(JsonWriter *w);
