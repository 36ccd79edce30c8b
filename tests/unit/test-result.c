/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <signal.h>
#include <stdio.h>

#include "json-writer.h"
#include "response.h"
#include "run.h"
#include "tap.h"

static json_object *get(json_object *j, const char *k) {
        json_object *v = NULL;
        return json_object_object_get_ex(j, k, &v) ? v : NULL;
}

/* The result as a client reads it: parsed, after checking that the text is byte for byte what
 * json-c writes for the tree it parses into (flags as response.c's json_to_string()). */
static json_object *result_json(const RunResult *r) {
        char *text = NULL;
        size_t len = 0;
        json_object *j;

        if (run_result_format(r, &text, &len) < 0) {
                ok(false, "run_result_format() failed");
                return NULL;
        }
        j = json_tokener_parse(text);
        ok(j && len == strlen(text) && streq(json_to_string(j), text), "the result text is what json-c writes: %s",
           text);
        free(text);
        return j;
}

static void set_stream(OutputStream *s, const char *data, size_t len) {
        free(s->buf);
        s->buf = malloc(len + 1);
        memcpy(s->buf, data, len);
        s->buf[len] = 0;
        s->len = len;
        s->total = len;
}

int main(void) {
        RunResult r;
        json_object *j, *v;
        static const char *const keys[] = { "run_id", "skill", "outcome", "exit_code", "signal", "stdout", "stderr",
                                            "stdout_truncated", "stderr_truncated", "duration_ms", "cpu_ms",
                                            "max_rss_kb", "limits", "sandbox" };

        for (int o = 0; o < _OUTCOME_MAX; o++)
                ok(outcome_to_string((Outcome) o) != NULL, "outcome %d has a name", o);
        is_str(outcome_to_string(OUTCOME_OUTPUT_LIMIT), "output_limit", "output_limit");
        ok(outcome_to_string(_OUTCOME_MAX) == NULL, "out of range is NULL");

        run_result_init(&r);
        strcpy(r.run_id, "0123456789abcdef0123456789abcdef");
        r.skill = strdup("wc");
        r.outcome = OUTCOME_OK;
        r.exit_code = 0;
        set_stream(&r.out, "3\n", 2);
        r.limits = (Limits) { .timeout_ms = 1000, .memory_max = 64 << 20, .tasks_max = 8, .cpu_max = 0,
                              .output_max = 65536, .workdir_max = 1 << 20 };
        r.sandbox.policy = POLICY_RESTRICTIVE;
        r.sandbox.landlock_abi = 7;
        r.sandbox.seccomp = "restrictive";
        r.sandbox.cgroup = "v1";
        r.sandbox.no_new_privs = true;
        j = result_json(&r);
        ok(j != NULL, "result serialises");
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                ok(json_object_object_get_ex(j, keys[i], NULL), "result has '%s'", keys[i]);
        is_str(json_object_get_string(get(j, "outcome")), "ok", "outcome ok");
        /* json_object_get_int(NULL) is 0 too: exit_code 0 must be a number, not null */
        ok(json_object_is_type(get(j, "exit_code"), json_type_int), "exit_code 0 is a number, not null");
        is_int(json_object_get_int(get(j, "exit_code")), 0, "exit_code 0");
        ok(json_object_object_get_ex(j, "signal", &v) && v == NULL, "signal is null");
        is_str(json_object_get_string(get(j, "stdout")), "3\n", "stdout text");
        ok(!get(j, "stdout_encoding"), "no encoding for UTF-8");
        ok(!get(j, "output"), "no output in text mode");
        is_int(json_object_get_int64(get(get(j, "limits"), "memory_max")), 64 << 20, "limits.memory_max");
        ok(json_object_object_get_ex(get(j, "limits"), "cpu_max", &v) && v == NULL, "cpu_max null when unlimited");
        is_str(json_object_get_string(get(get(j, "sandbox"), "policy")), "restrictive", "sandbox.policy");
        is_int(json_object_get_int(get(get(j, "sandbox"), "landlock_abi")), 7, "sandbox.landlock_abi");
        is_str(json_object_get_string(get(get(j, "sandbox"), "cgroup")), "v1", "sandbox.cgroup");
        is_str(json_object_get_string(get(get(j, "sandbox"), "seccomp")), "restrictive", "sandbox.seccomp");
        ok(json_object_is_type(get(get(j, "sandbox"), "network"), json_type_boolean) &&
           !json_object_get_boolean(get(get(j, "sandbox"), "network")), "sandbox.network false");
        ok(json_object_get_boolean(get(get(j, "sandbox"), "no_new_privs")), "sandbox.no_new_privs true");
        ok(json_object_is_type(get(get(j, "sandbox"), "capabilities_dropped"), json_type_boolean) &&
           !json_object_get_boolean(get(get(j, "sandbox"), "capabilities_dropped")),
           "sandbox.capabilities_dropped false, apart from no_new_privs");
        ok(json_object_is_type(get(get(j, "sandbox"), "user_switched"), json_type_boolean) &&
           !json_object_get_boolean(get(get(j, "sandbox"), "user_switched")), "sandbox.user_switched false");
        ok(!get(get(j, "sandbox"), "missing"), "nothing missing");
        json_object_put(j);

        /* binary output, a signal, json output, truncation, missing features */
        set_stream(&r.out, "a\0\xff", 3);
        set_stream(&r.err, "{\"x\": 1}\n", 9);
        r.outcome = OUTCOME_SIGNALED;
        r.exit_code = -1;
        r.signal = SIGSEGV;
        r.err.truncated = true;
        r.err.total = 100;
        (void) strv_extend(&r.sandbox.missing, "landlock-network");
        r.sandbox.network = true;
        r.sandbox.no_new_privs = true;
        r.sandbox.caps_dropped = true;
        r.sandbox.user_switched = true;
        r.sandbox.seccomp = "permissive";
        j = result_json(&r);
        is_str(json_object_get_string(get(get(j, "sandbox"), "seccomp")), "permissive", "sandbox.seccomp as enforced");
        ok(json_object_get_boolean(get(get(j, "sandbox"), "network")), "sandbox.network true");
        ok(json_object_get_boolean(get(get(j, "sandbox"), "no_new_privs")), "sandbox.no_new_privs true");
        ok(json_object_get_boolean(get(get(j, "sandbox"), "capabilities_dropped")), "sandbox.capabilities_dropped true");
        ok(json_object_get_boolean(get(get(j, "sandbox"), "user_switched")), "sandbox.user_switched true");
        is_str(json_object_get_string(get(j, "stdout")), "YQD/", "binary stdout is base64");
        is_str(json_object_get_string(get(j, "stdout_encoding")), "base64", "stdout_encoding base64");
        ok(json_object_object_get_ex(j, "exit_code", &v) && v == NULL, "exit_code null when signaled");
        is_str(json_object_get_string(get(j, "signal")), "SIGSEGV", "signal name");
        is_str(json_object_get_string(get(j, "outcome")), "signaled", "outcome signaled");
        json_object_put(j);
        r.signal = SIGRTMIN + 3;
        j = result_json(&r);
        is_str(json_object_get_string(get(j, "signal")), "SIGRTMIN+3", "a real-time signal is named too");
        json_object_put(j);
        r.signal = SIGRTMAX;
        j = result_json(&r);
        {
                char want[32];
                snprintf(want, sizeof(want), "SIGRTMIN+%d", SIGRTMAX - SIGRTMIN);
                is_str(json_object_get_string(get(j, "signal")), want, "SIGRTMAX, the last real-time signal, too");
        }
        r.signal = SIGSEGV;
        ok(json_object_get_boolean(get(j, "stderr_truncated")), "stderr_truncated");
        is_int(json_object_get_int64(get(j, "stderr_bytes")), 100, "stderr_bytes counts all");
        is_str(json_object_get_string(json_object_array_get_idx(get(get(j, "sandbox"), "missing"), 0)), "landlock-network",
               "missing features reported");
        json_object_put(j);

        r.output_mode = OUTPUT_JSON;
        set_stream(&r.out, "{\"n\": [1, 2]}\n", 14);
        j = result_json(&r);
        is_str(json_object_to_json_string_ext(get(j, "output"), JSON_C_TO_STRING_PLAIN), "{\"n\":[1,2]}",
               "json output parsed (trailing newline allowed)");
        json_object_put(j);
        set_stream(&r.out, "{\"n\": 1} junk", 13);
        j = result_json(&r);
        ok(!get(j, "output"), "no output when stdout is not exactly JSON");
        json_object_put(j);
        /* strictly JSON: json-c's lenient mode takes the first ones, its strict mode the numbers
         * (and would write them back as they came, making the answer invalid JSON) */
#define S(lit) { lit, sizeof(lit) - 1 }
        static const struct {
                const char *s;
                size_t n;
        } not_json[] = {
                S("[1,]"), S("['x']"), S("{\"a\":1,}"), S("1 2"), S("  \n"), S("{}\0"), S("4\0"), S("nul"),
                S("[1] x"), S("NaN"), S("[1, -Infinity]"), S("{\"a\": 1.}"), S("1.e5\n"), S("[00]"), S("-007"), S("[123456789012345678901]"), S("\"a\tb\""), S("{\"a\\u0000\":1}"),
                S("\"\\ud800\""), S("[\"\\udc00\\ud800\"]"),
        };
#undef S
        for (size_t i = 0; i < ELEMENTSOF(not_json); i++) {
                json_object *o;
                set_stream(&r.out, not_json[i].s, not_json[i].n);
                j = result_json(&r);
                ok(!json_object_object_get_ex(j, "output", &o), "no output for stdout #%zu (%zu bytes)", i,
                   not_json[i].n);
                json_object_put(j);
        }
        static const struct {
                const char *out, *want;
        } values[] = {
                { "null\n", "null" }, { "42", "42" }, { " -1.5e3 ", "-1.5e3" }, { "\"s\"", "\"s\"" },
                { "true", "true" }, { "[]\r\n", "[]" }, { "[0.5, -0, 1E+2, 1.5e999]", "[0.5,0,1E+2,1.5e999]" },
        };
        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                json_object *o = NULL;
                set_stream(&r.out, values[i].out, strlen(values[i].out));
                j = result_json(&r);
                ok(json_object_object_get_ex(j, "output", &o), "output present for stdout #%zu", i);
                is_str(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), values[i].want, "... and is %s",
                       values[i].want);
                json_object_put(j);
        }
        set_stream(&r.out, "{\"n\": 1}", 8);
        r.out.truncated = true;
        j = result_json(&r);
        ok(!get(j, "output"), "no output from truncated stdout");
        json_object_put(j);
        /* json-c alone takes the raw byte into a string, and so into the answer */
        set_stream(&r.out, "{\"a\":\"\xff\"}", 9);
        r.out.truncated = false;
        j = result_json(&r);
        ok(!get(j, "output"), "no output from JSON stdout that is not UTF-8");
        is_str(json_object_get_string(get(j, "stdout")), "eyJhIjoi/yJ9", "... stdout base64");
        is_str(json_object_get_string(get(j, "stdout_encoding")), "base64", "... stdout_encoding base64");
        ok(utf8_valid(json_object_to_json_string(j), strlen(json_object_to_json_string(j))), "... the answer is UTF-8");
        json_object_put(j);

        /* output_max=11 after 100 "é": the half character goes, the counts stay */
        r.output_mode = OUTPUT_TEXT;
        set_stream(&r.out, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3", 11);
        r.out.truncated = true;
        r.out.total = 200;
        set_stream(&r.err, "ab\xff", 3);
        r.err.truncated = true;
        j = result_json(&r);
        is_str(json_object_get_string(get(j, "stdout")), "ééééé",
               "truncated in a character: stdout text without it");
        ok(!get(j, "stdout_encoding"), "... no stdout_encoding");
        ok(json_object_get_boolean(get(j, "stdout_truncated")), "... stdout_truncated");
        is_int(json_object_get_int64(get(j, "stdout_bytes")), 200, "... stdout_bytes counts all");
        is_str(json_object_get_string(get(j, "stderr")), "YWL/", "truncated, not UTF-8: base64 of every byte");
        is_str(json_object_get_string(get(j, "stderr_encoding")), "base64", "... stderr_encoding base64");
        json_object_put(j);
        /* not UTF-8 before the cut: the half character at the end is kept in the base64 too */
        set_stream(&r.err, "a\xff" "b\xc3", 4);
        j = result_json(&r);
        is_str(json_object_get_string(get(j, "stderr")), "Yf9iww==",
               "truncated in a character, not UTF-8 before it: base64 of every byte, the half character too");
        json_object_put(j);
        set_stream(&r.out, "\xc3\xa9\xc3", 3);
        r.out.truncated = false;
        j = result_json(&r);
        is_str(json_object_get_string(get(j, "stdout")), "w6nD", "not truncated, ends in half a character: base64");
        json_object_put(j);

        r.outcome = OUTCOME_SANDBOX_ERROR;
        r.sandbox_error = strdup("landlock: Operation not permitted");
        j = result_json(&r);
        is_str(json_object_get_string(get(j, "sandbox_error")), "landlock: Operation not permitted", "sandbox_error");
        is_str(json_object_get_string(get(j, "outcome")), "sandbox_error", "outcome sandbox_error");
        json_object_put(j);

        /* the writer alone: every byte escaped as json-c escapes it, nesting, numbers */
        {
                char all[256];
                for (int c = 0; c < 256; c++)
                        all[c] = (char) c;
                JsonWriter w = {};
                json_writer_object_begin(&w);
                json_writer_key(&w, "all\t\"bytes\"");
                json_writer_string_len(&w, all, sizeof all);
                json_writer_key(&w, "empty");
                json_writer_array_begin(&w);
                json_writer_array_end(&w);
                json_writer_key(&w, "o");
                json_writer_object_begin(&w);
                json_writer_object_end(&w);
                json_writer_key(&w, "a");
                json_writer_array_begin(&w);
                json_writer_u64(&w, UINT64_MAX);
                json_writer_int(&w, INT_MIN);
                json_writer_null(&w);
                json_writer_bool(&w, false);
                json_writer_array_begin(&w);
                json_writer_string(&w, "");
                json_writer_raw(&w, "{\"r\":[1]}", 9);
                json_writer_array_end(&w);
                json_writer_array_end(&w);
                json_writer_object_end(&w);
                size_t len = 0;
                char *text = json_writer_steal(&w, &len);

                json_object *want = json_object_new_object(), *a = json_object_new_array(),
                            *inner = json_object_new_array();
                json_object_object_add(want, "all\t\"bytes\"", json_object_new_string_len(all, sizeof all));
                json_object_object_add(want, "empty", json_object_new_array());
                json_object_object_add(want, "o", json_object_new_object());
                json_object_array_add(a, json_object_new_uint64(UINT64_MAX));
                json_object_array_add(a, json_object_new_int(INT_MIN));
                json_object_array_add(a, NULL);
                json_object_array_add(a, json_object_new_boolean(false));
                json_object_array_add(inner, json_object_new_string(""));
                json_object_array_add(inner, json_tokener_parse("{\"r\":[1]}"));
                json_object_array_add(a, inner);
                json_object_object_add(want, "a", a);
                ok(text && len == strlen(text) && streq(text, json_to_string(want)),
                   "the writer writes what json-c writes for the same values (every byte, nesting, numbers)");
                json_object_put(want);
                free(text);
                ok(!json_writer_steal(&w, NULL), "... and is empty after");
        }

        /* nesting: JSON_WRITER_DEPTH_MAX levels fit, one more is refused (its comma[] is full) */
        {
                char want[2 * JSON_WRITER_DEPTH_MAX + 1] = "";
                JsonWriter w = {};

                for (int i = 0; i < JSON_WRITER_DEPTH_MAX; i++)
                        json_writer_array_begin(&w), strcat(want, "[");
                for (int i = 0; i < JSON_WRITER_DEPTH_MAX; i++)
                        json_writer_array_end(&w), strcat(want, "]");
                char *text = json_writer_steal(&w, NULL);
                is_str(text, want, "nested %d deep", JSON_WRITER_DEPTH_MAX);
                free(text);
                for (int i = 0; i <= JSON_WRITER_DEPTH_MAX; i++)
                        json_writer_array_begin(&w);
                for (int i = 0; i <= JSON_WRITER_DEPTH_MAX; i++)
                        json_writer_array_end(&w);
                ok(!json_writer_steal(&w, NULL), "one level deeper: refused");

                /* signs: exit codes and the like are small, the one above was INT_MIN */
                json_writer_array_begin(&w);
                json_writer_int(&w, -1);
                json_writer_int(&w, 0);
                json_writer_int(&w, 1);
                json_writer_array_end(&w);
                text = json_writer_steal(&w, NULL);
                is_str(text, "[-1,0,1]", "small ints, negative too");
                free(text);
        }

        /* one value far longer than the buffer so far (its first growth is to 512 bytes): the
         * buffer grows to hold it and its NUL (an ASan build sees a byte written past the end) */
        {
                static const size_t lens[] = { 510, 511, 1022, 1023, 3000 };
                for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
                        char *s = malloc(lens[i]), *want = malloc(lens[i] + 3);
                        JsonWriter w = {};
                        size_t len = 0;

                        assert_se(s && want);
                        memset(s, 'v', lens[i]);
                        want[0] = '"';
                        memcpy(want + 1, s, lens[i]);
                        memcpy(want + 1 + lens[i], "\"", 2);
                        json_writer_string_len(&w, s, lens[i]);
                        char *text = json_writer_steal(&w, &len);
                        ok(text && len == lens[i] + 2 && streq(text, want), "a %zu-byte string in one go", lens[i]);
                        free(text);
                        free(want);
                        free(s);
                }
        }

        run_result_done(&r);
        ok(r.skill == NULL && r.out.buf == NULL && r.exit_code == -1, "run_result_done resets");
        return done_testing();
}
