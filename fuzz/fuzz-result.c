/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz what the worker builds from a skill's output, which whoever holds a token controls (the
 * code is theirs): the run result (design §4), the Abbot response (design §6) and the log line
 * escape. The first byte picks the outcome, the output mode and which stream was truncated; the
 * next two give stdout's length (little endian, at most the rest), the rest after stdout is
 * stderr. A truncated stream had more written than was kept (output_max cut it): one byte
 * more, or with the first byte's top bit 1 + the number the input's last 8 bytes give for stdout
 * and the 8 before them for stderr (little endian, cut off stderr), up to what a uint64_t holds.
 * Checked: the result is one JSON object that json-c reads back strictly, whose "stdout" and
 * "stderr" give back exactly the bytes kept (as text, or base64 when said so), "stdout_bytes" and
 * "stderr_bytes" the bytes written, and "*_truncated" whether they were cut; the Abbot
 * response is an object with its seven members; escape_line() leaves nothing a terminal or a
 * line splitter acts on and no byte that is not UTF-8, within the room it is promised. */
#include <string.h>

#include "abbot.h"
#include "fuzz.h"
#include "json-util.h"
#include "response.h"
#include "run.h"

/* Independent of utf8_valid(): the well-formed byte sequences of Unicode Table 3-7. */
static bool utf8_reference(const unsigned char *s, size_t n) {
        size_t i = 0;

        while (i < n) {
                unsigned char c = s[i];
                unsigned char lo = 0x80, hi = 0xbf;
                size_t k;

                if (c <= 0x7f) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        k = 1;
                else if (c >= 0xe0 && c <= 0xef) {
                        k = 2;
                        if (c == 0xe0)
                                lo = 0xa0;
                        else if (c == 0xed)
                                hi = 0x9f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        k = 3;
                        if (c == 0xf0)
                                lo = 0x90;
                        else if (c == 0xf4)
                                hi = 0x8f;
                } else
                        return false;
                if (n - i <= k)
                        return false;
                if (s[i + 1] < lo || s[i + 1] > hi)
                        return false;
                for (size_t j = 2; j <= k; j++)
                        if (s[i + j] < 0x80 || s[i + j] > 0xbf)
                                return false;
                i += k + 1;
        }
        return true;
}

static void check_stream(json_object *result, const char *name, const OutputStream *s) {
        char key[32];
        json_object *v, *enc;

        /* what was written, kept or not, and whether it was cut */
        snprintf(key, sizeof(key), "%s_bytes", name);
        fuzz_check(json_object_object_get_ex(result, key, &v) && json_object_is_type(v, json_type_int) &&
                   json_object_get_uint64(v) == s->total);
        snprintf(key, sizeof(key), "%s_truncated", name);
        fuzz_check(json_object_object_get_ex(result, key, &v) && json_object_is_type(v, json_type_boolean) &&
                   json_object_get_boolean(v) == s->truncated);

        fuzz_check(json_object_object_get_ex(result, name, &v) && json_object_is_type(v, json_type_string));
        snprintf(key, sizeof(key), "%s_encoding", name);
        if (json_object_object_get_ex(result, key, &enc)) {
                _cleanup_free_ char *raw = NULL;
                size_t raw_len = 0;

                fuzz_check(json_object_is_type(enc, json_type_string) && streq(json_object_get_string(enc), "base64"));
                fuzz_check(base64_decode(json_object_get_string(v), (size_t) json_object_get_string_len(v), &raw,
                                         &raw_len) == 0);
                fuzz_check(raw_len == s->len && memcmp(raw, s->buf ? s->buf : "", raw_len) == 0);
                fuzz_check(!utf8_reference((const unsigned char *) s->buf, s->len));
        } else {
                size_t len = s->truncated ? utf8_complete_len(s->buf, s->len) : s->len;

                fuzz_check(len <= s->len && s->len - len <= 3);
                fuzz_check((size_t) json_object_get_string_len(v) == len);
                fuzz_check(memcmp(json_object_get_string(v), s->buf ? s->buf : "", len) == 0);
                fuzz_check(utf8_reference((const unsigned char *) s->buf, len));
        }
}

static void check_escape(const char *s) {
        size_t n = strlen(s);
        char *out = malloc(4 * n + 1);

        fuzz_check(out);
        for (int backslash = 0; backslash < 2; backslash++) {
                escape_line(s, backslash, out);
                fuzz_check(utf8_valid(out, strlen(out))); /* no byte journalctl would call a blob */
                for (const unsigned char *p = (const unsigned char *) out; *p; p++) {
                        fuzz_check(*p >= 0x20 && *p != 0x7f);
                        fuzz_check(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f));
                        fuzz_check(!(p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)));
                }
        }
        free(out);
}

static uint64_t le64(const uint8_t *p) {
        uint64_t v = 0;

        for (size_t i = 8; i > 0; i--)
                v = v << 8 | p[i - 1];
        return v;
}

/* As supervise.c counts: a truncated stream had more written than kept (total > len). */
static uint64_t written(size_t len, bool truncated, uint64_t unkept) {
        if (!truncated)
                return len;
        return len + 1 + MIN(unkept, UINT64_MAX - len - 1);
}

static char *copy(const uint8_t *data, size_t size) {
        /* exact size, no NUL: the code must respect len */
        char *p = malloc(size ? size : 1);

        fuzz_check(p);
        memcpy(p, data, size);
        return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL, *nul_terminated = NULL;
        RunResult r;
        unsigned flags;
        size_t out_len, len = 0;
        uint64_t unkept_out = 0, unkept_err = 0;
        json_object *j, *v;
        const char *why;

        if (size < 3)
                return 0;
        flags = data[0];
        if ((flags & 0x80) && size >= 3 + 16) {
                unkept_out = le64(data + size - 8);
                unkept_err = le64(data + size - 16);
                size -= 16;
        }
        out_len = MIN((size_t) (data[1] | data[2] << 8), size - 3);
        data += 3;
        size -= 3;

        run_result_init(&r);
        memcpy(r.run_id, "0123456789abcdef0123456789abcdef", sizeof(r.run_id));
        r.skill = strdup("fuzz");
        fuzz_check(r.skill);
        r.outcome = (Outcome) ((flags & 7) % _OUTCOME_MAX);
        r.exit_code = r.outcome == OUTCOME_OK ? 0 : r.outcome == OUTCOME_FAILED ? 1 : -1;
        r.signal = r.outcome == OUTCOME_SIGNALED ? (flags & 0x40 ? 31 : 9) : 0;
        r.output_mode = flags & 8 ? OUTPUT_JSON : OUTPUT_TEXT;
        r.out = (OutputStream) { .buf = copy(data, out_len), .len = out_len, .truncated = flags & 0x10 };
        r.out.total = written(r.out.len, r.out.truncated, unkept_out);
        r.err = (OutputStream) { .buf = copy(data + out_len, size - out_len), .len = size - out_len,
                                 .truncated = flags & 0x20 };
        r.err.total = written(r.err.len, r.err.truncated, unkept_err);
        r.limits = (Limits) { .timeout_ms = 1000, .memory_max = UINT64_C(256) << 20, .tasks_max = 64,
                              .output_max = 1 << 20, .workdir_max = UINT64_C(64) << 20 };
        if (r.outcome == OUTCOME_SANDBOX_ERROR) {
                r.sandbox_error = strndup(r.err.buf, r.err.len);
                fuzz_check(r.sandbox_error);
        }

        /* the run result: always one JSON object, read back as json-c reads requests */
        fuzz_check(run_result_format(&r, &text, &len) == 0 && text && strlen(text) == len);
        fuzz_check(json_parse_strict(text, len, JSON_TOKENER_DEFAULT_DEPTH, &j, &why) == 0);
        fuzz_check(json_object_is_type(j, json_type_object));
        /* text, but for the worker's own sandbox_error */
        fuzz_check(r.sandbox_error || utf8_reference((const unsigned char *) text, len));
        check_stream(j, "stdout", &r.out);
        check_stream(j, "stderr", &r.err);
        fuzz_check(!json_object_object_get_ex(j, "output", &v) ||
                   (r.output_mode == OUTPUT_JSON && !r.out.truncated && utf8_reference((const unsigned char *) r.out.buf, r.out.len)));
        json_object_put(j);

        /* the Abbot response: an object of the seven members, in Abbot's order */
        j = abbot_response_from_result(&r);
        fuzz_check(j && json_object_is_type(j, json_type_object) && json_object_object_length(j) == 7);
        {
                const char *s = json_to_string(j);
                json_object *back = NULL;
                fuzz_check(s && json_parse_strict(s, strlen(s), 64, &back, &why) == 0);
                fuzz_check(r.sandbox_error || utf8_reference((const unsigned char *) s, strlen(s)));
                json_object_put(back);
        }
        json_object_put(j);

        /* a log line of what a client or skill sent */
        nul_terminated = strndup(r.out.buf, r.out.len);
        fuzz_check(nul_terminated);
        check_escape(nul_terminated);

        /* the validator against the table */
        fuzz_check(utf8_valid(r.err.buf, r.err.len) == utf8_reference((const unsigned char *) r.err.buf, r.err.len));

        run_result_done(&r);
        return 0;
}
