/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "json-writer.h"
#include "util.h"

static bool reserve(JsonWriter *w, size_t more) {
        if (w->oom)
                return false;
        if (more < w->size - w->len) /* room for it and the NUL */
                return true;
        if (more > SIZE_MAX / 2 - w->len) {
                w->oom = true;
                return false;
        }
        size_t size = MAX(w->size * 2, w->len + more + 1);
        size = MAX(size, (size_t) 512);
        char *b = realloc(w->buf, size);
        if (!b) {
                w->oom = true;
                return false;
        }
        w->buf = b;
        w->size = size;
        return true;
}

static void put(JsonWriter *w, const char *s, size_t n) {
        if (!reserve(w, n))
                return;
        memcpy(w->buf + w->len, s, n);
        w->len += n;
        w->buf[w->len] = '\0';
}

/* Before a value or a key: the comma that separates it from the one before, at this depth. */
static void separate(JsonWriter *w) {
        if (w->depth == 0)
                return;
        if (w->comma[w->depth - 1])
                put(w, ",", 1);
        w->comma[w->depth - 1] = true;
}

/* A value after its key: the separator was written before the key. */
static void value_begin(JsonWriter *w) {
        if (w->after_key)
                w->after_key = false;
        else
                separate(w);
}

static void open_container(JsonWriter *w, char c) {
        value_begin(w);
        put(w, &c, 1);
        if (w->depth >= JSON_WRITER_DEPTH_MAX) {
                w->oom = true; /* a programming error: the result is never this deep */
                return;
        }
        w->comma[w->depth++] = false;
}

static void close_container(JsonWriter *w, char c) {
        if (w->depth > 0)
                w->depth--;
        put(w, &c, 1);
}

void json_writer_object_begin(JsonWriter *w) {
        open_container(w, '{');
}

void json_writer_object_end(JsonWriter *w) {
        close_container(w, '}');
}

void json_writer_array_begin(JsonWriter *w) {
        open_container(w, '[');
}

void json_writer_array_end(JsonWriter *w) {
        close_container(w, ']');
}

static bool needs_escape(unsigned char c) {
        return c < 0x20 || c == '"' || c == '\\';
}

static void put_escaped(JsonWriter *w, const char *s, size_t len) {
        /* json-c's escapes: these seven by letter, the other control characters by number */
        static const char hex[] = "0123456789abcdef", short_from[] = "\"\\\b\f\n\r\t", short_to[] = "\"\\bfnrt";
        size_t start = 0;

        put(w, "\"", 1);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];
                char esc[6];
                size_t n = 2;

                if (!needs_escape(c))
                        continue;
                put(w, s + start, i - start);
                start = i + 1;
                esc[0] = '\\';
                const char *short_form = memchr(short_from, c, sizeof short_from - 1);
                if (short_form)
                        esc[1] = short_to[short_form - short_from];
                else {
                        memcpy(esc + 1, "u00", 3);
                        esc[4] = hex[c >> 4];
                        esc[5] = hex[c & 0xf];
                        n = 6;
                }
                put(w, esc, n);
        }
        put(w, s + start, len - start);
        put(w, "\"", 1);
}

static bool plain(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (needs_escape((unsigned char) s[i]))
                        return false;
        return true;
}

void json_writer_key(JsonWriter *w, const char *key) {
        size_t len = strlen(key);
        bool comma = w->depth > 0 && w->comma[w->depth - 1];

        w->after_key = true;
        if (!plain(key, len) || !reserve(w, len + 4)) {
                separate(w);
                put_escaped(w, key, len);
                put(w, ":", 1);
                return;
        }
        /* ,"key": in one go: keys are the result's own names */
        char *p = w->buf + w->len;
        if (comma)
                *p++ = ',';
        *p++ = '"';
        memcpy(p, key, len);
        p += len;
        *p++ = '"';
        *p++ = ':';
        *p = '\0';
        w->len = (size_t) (p - w->buf);
        if (w->depth > 0)
                w->comma[w->depth - 1] = true;
}

void json_writer_string_len(JsonWriter *w, const char *s, size_t len) {
        value_begin(w);
        put_escaped(w, s, len);
}

void json_writer_string(JsonWriter *w, const char *s) {
        json_writer_string_len(w, s, strlen(s));
}

/* Decimal digits of v, ending at end: where they start. */
static char *digits(char *end, uint64_t v) {
        do
                *--end = (char) ('0' + v % 10);
        while (v /= 10);
        return end;
}

void json_writer_u64(JsonWriter *w, uint64_t v) {
        char b[20], *end = b + sizeof b, *p = digits(end, v);

        value_begin(w);
        put(w, p, (size_t) (end - p));
}

void json_writer_int(JsonWriter *w, int v) {
        char b[21], *end = b + sizeof b, *p = digits(end, v < 0 ? -(uint64_t) v : (uint64_t) v);

        if (v < 0)
                *--p = '-';
        value_begin(w);
        put(w, p, (size_t) (end - p));
}

void json_writer_bool(JsonWriter *w, bool v) {
        value_begin(w);
        if (v)
                put(w, "true", 4);
        else
                put(w, "false", 5);
}

void json_writer_null(JsonWriter *w) {
        value_begin(w);
        put(w, "null", 4);
}

void json_writer_field_string(JsonWriter *w, const char *key, const char *s) {
        json_writer_key(w, key);
        json_writer_string(w, s);
}

void json_writer_field_u64(JsonWriter *w, const char *key, uint64_t v) {
        json_writer_key(w, key);
        json_writer_u64(w, v);
}

void json_writer_field_bool(JsonWriter *w, const char *key, bool v) {
        json_writer_key(w, key);
        json_writer_bool(w, v);
}

void json_writer_raw(JsonWriter *w, const char *text, size_t len) {
        value_begin(w);
        put(w, text, len);
}

char *json_writer_steal(JsonWriter *w, size_t *ret_len) {
        char *s = w->oom ? NULL : w->buf;

        if (s && ret_len)
                *ret_len = w->len;
        if (!s)
                free(w->buf);
        *w = (JsonWriter) {};
        return s;
}

void json_writer_done(JsonWriter *w) {
        free(json_writer_steal(w, NULL));
}
