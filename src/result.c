/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The run result and its JSON (design §4). Pure. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "json-util.h"
#include "json-writer.h"
#include "response.h"
#include "run.h"

static const char *const outcome_table[_OUTCOME_MAX] = {
        [OUTCOME_OK] = "ok",
        [OUTCOME_FAILED] = "failed",
        [OUTCOME_TIMEOUT] = "timeout",
        [OUTCOME_OOM] = "oom",
        [OUTCOME_KILLED] = "killed",
        [OUTCOME_OUTPUT_LIMIT] = "output_limit",
        [OUTCOME_SIGNALED] = "signaled",
        [OUTCOME_SANDBOX_ERROR] = "sandbox_error",
};

const char *outcome_to_string(Outcome o) {
        return o >= 0 && o < _OUTCOME_MAX ? outcome_table[o] : NULL;
}

void sandbox_report_done(SandboxReport *r) {
        r->missing = strv_free(r->missing);
}

void run_result_init(RunResult *r) {
        *r = (RunResult) {
                .exit_code = -1,
                .sandbox.seccomp = "none",
                .sandbox.cgroup = "none",
        };
}

void run_result_done(RunResult *r) {
        free(r->skill);
        free(r->out.buf);
        free(r->err.buf);
        free(r->sandbox_error);
        sandbox_report_done(&r->sandbox);
        run_result_init(r);
}

void run_effective_limits(const Manifest *m, const RunRequest *req, Limits *ret) {
        *ret = m->limits;
        if (req && req->timeout_ms > 0 && req->timeout_ms < ret->timeout_ms)
                ret->timeout_ms = req->timeout_ms;
}

/* output_max may have cut the last character in half: what comes before it is still text. Not
 * UTF-8 even then: base64, said by NAME_encoding. */
static int write_stream(JsonWriter *w, const char *name, const OutputStream *s) {
        const char *buf = s->buf ? s->buf : "";
        size_t len = s->truncated ? utf8_complete_len(buf, s->len) : s->len;
        char key[32];

        json_writer_key(w, name);
        if (utf8_valid(buf, len)) {
                json_writer_string_len(w, buf, len);
                return 0;
        }
        _cleanup_free_ char *b64 = base64_encode(s->buf, s->len);
        if (!b64)
                return -ENOMEM;
        json_writer_string(w, b64);
        snprintf(key, sizeof(key), "%s_encoding", name);
        json_writer_key(w, key);
        json_writer_string(w, "base64");
        return 0;
}

static void write_limits(JsonWriter *w, const Limits *l) {
        json_writer_object_begin(w);
        json_writer_field_u64(w, "timeout_ms", l->timeout_ms);
        json_writer_field_u64(w, "memory_max", l->memory_max);
        json_writer_field_u64(w, "tasks_max", l->tasks_max);
        json_writer_key(w, "cpu_max");
        if (l->cpu_max)
                json_writer_u64(w, l->cpu_max);
        else
                json_writer_null(w);
        json_writer_field_u64(w, "output_max", l->output_max);
        json_writer_field_u64(w, "workdir_max", l->workdir_max);
        json_writer_object_end(w);
}

json_object *limits_to_json(const Limits *l) {
        JsonWriter w = {};

        write_limits(&w, l);
        _cleanup_free_ char *text = json_writer_steal(&w, NULL);
        return text ? json_tokener_parse(text) : NULL;
}

static void write_sandbox(JsonWriter *w, const SandboxReport *s) {
        json_writer_object_begin(w);
        json_writer_field_string(w, "policy", policy_to_string(s->policy));
        json_writer_key(w, "landlock_abi");
        json_writer_int(w, s->landlock_abi);
        json_writer_field_string(w, "seccomp", s->seccomp ? s->seccomp : "none");
        json_writer_field_string(w, "cgroup", s->cgroup ? s->cgroup : "none");
        json_writer_field_bool(w, "network", s->network);
        json_writer_field_bool(w, "no_new_privs", s->no_new_privs);
        json_writer_field_bool(w, "capabilities_dropped", s->caps_dropped);
        json_writer_field_bool(w, "user_switched", s->user_switched);
        if (s->missing) {
                json_writer_key(w, "missing");
                json_writer_array_begin(w);
                for (char **m = s->missing; *m; m++)
                        json_writer_string(w, *m);
                json_writer_array_end(w);
        }
        json_writer_object_end(w);
}

/* The skill's stdout as a JSON value for "output": 1 and *ret (NULL for a JSON null, an answer
 * too), 0 when stdout is not exactly one JSON value, or -ENOMEM. JSON is text (RFC 8259 §8.1):
 * stdout that is not UTF-8, returned base64, is not parsed either. */
static int output_value(const RunResult *r, json_object **ret) {
        const char *why;
        int k;

        *ret = NULL;
        if (r->output_mode != OUTPUT_JSON || r->out.len == 0 || r->out.truncated || !utf8_valid(r->out.buf, r->out.len))
                return 0;
        k = json_parse_strict(r->out.buf, r->out.len, JSON_TOKENER_DEFAULT_DEPTH, ret, &why);
        if (k == -ENOMEM)
                return k;
        return k >= 0;
}

int run_result_format(const RunResult *r, char **ret, size_t *ret_len) {
        _cleanup_(json_object_putp) json_object *output = NULL;
        JsonWriter w = {};
        int has_output;

        has_output = output_value(r, &output);
        if (has_output < 0)
                return has_output;

        json_writer_object_begin(&w);
        json_writer_field_string(&w, "run_id", r->run_id);
        json_writer_field_string(&w, "skill", strempty(r->skill));
        json_writer_field_string(&w, "outcome", outcome_to_string(r->outcome));
        json_writer_key(&w, "exit_code");
        if (r->exit_code >= 0)
                json_writer_int(&w, r->exit_code);
        else
                json_writer_null(&w);
        json_writer_key(&w, "signal");
        if (r->signal > 0) {
                const char *sig = sigabbrev_np(r->signal);
                char name[32];
                /* sigabbrev_np() knows no real-time signal: those by their offset from SIGRTMIN */
                if (sig)
                        snprintf(name, sizeof(name), "SIG%s", sig);
                else if (r->signal >= SIGRTMIN && r->signal <= SIGRTMAX)
                        snprintf(name, sizeof(name), "SIGRTMIN+%d", r->signal - SIGRTMIN);
                else
                        snprintf(name, sizeof(name), "SIG%d", r->signal);
                json_writer_string(&w, name);
        } else
                json_writer_null(&w);
        if (write_stream(&w, "stdout", &r->out) < 0 || write_stream(&w, "stderr", &r->err) < 0) {
                json_writer_done(&w);
                return -ENOMEM;
        }
        if (has_output) {
                /* written back as json-c writes what it parsed */
                const char *text = output ? json_to_string(output) : "null";
                if (!text) {
                        json_writer_done(&w);
                        return -ENOMEM;
                }
                json_writer_key(&w, "output");
                json_writer_raw(&w, text, strlen(text));
        }
        json_writer_field_bool(&w, "stdout_truncated", r->out.truncated);
        json_writer_field_bool(&w, "stderr_truncated", r->err.truncated);
        json_writer_field_u64(&w, "stdout_bytes", r->out.total);
        json_writer_field_u64(&w, "stderr_bytes", r->err.total);
        json_writer_field_u64(&w, "duration_ms", r->duration_ms);
        json_writer_field_u64(&w, "cpu_ms", r->cpu_ms);
        json_writer_field_u64(&w, "max_rss_kb", r->max_rss_kb);
        json_writer_key(&w, "limits");
        write_limits(&w, &r->limits);
        json_writer_key(&w, "sandbox");
        write_sandbox(&w, &r->sandbox);
        if (r->sandbox_error) {
                json_writer_field_string(&w, "sandbox_error", r->sandbox_error);
        }
        json_writer_object_end(&w);

        *ret = json_writer_steal(&w, ret_len);
        return *ret ? 0 : -ENOMEM;
}
