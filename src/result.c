/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The run result and its JSON (design §4). Pure. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "json-util.h"
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

static int add(json_object *o, const char *k, json_object *v) {
        if (!v)
                return -ENOMEM;
        return json_object_object_add(o, k, v) < 0 ? -ENOMEM : 0;
}

/* json-c represents JSON null as a NULL object: for fields that may be null. */
static int add_nullable(json_object *o, const char *k, json_object *v) {
        return json_object_object_add(o, k, v) < 0 ? -ENOMEM : 0;
}

static int add_stream(json_object *o, const char *name, const OutputStream *s) {
        const char *buf = s->buf ? s->buf : "";
        /* output_max may have cut the last character in half: what comes before it is still text */
        size_t len = s->truncated ? utf8_complete_len(buf, s->len) : s->len;
        char key[32];
        int r;

        if (utf8_valid(buf, len))
                return add(o, name, json_object_new_string_len(buf, (int) len));

        _cleanup_free_ char *b64 = base64_encode(s->buf, s->len);
        if (!b64)
                return -ENOMEM;
        r = add(o, name, json_object_new_string(b64));
        if (r < 0)
                return r;
        snprintf(key, sizeof(key), "%s_encoding", name);
        return add(o, key, json_object_new_string("base64"));
}

json_object *limits_to_json(const Limits *l) {
        json_object *j = json_object_new_object();

        if (!j)
                return NULL;
        if (add(j, "timeout_ms", json_object_new_uint64(l->timeout_ms)) < 0 ||
            add(j, "memory_max", json_object_new_uint64(l->memory_max)) < 0 ||
            add(j, "tasks_max", json_object_new_uint64(l->tasks_max)) < 0 ||
            add_nullable(j, "cpu_max", l->cpu_max ? json_object_new_uint64(l->cpu_max) : NULL) < 0 ||
            add(j, "output_max", json_object_new_uint64(l->output_max)) < 0 ||
            add(j, "workdir_max", json_object_new_uint64(l->workdir_max)) < 0) {
                json_object_put(j);
                return NULL;
        }
        return j;
}

static json_object *sandbox_to_json(const SandboxReport *s) {
        json_object *j = json_object_new_object(), *missing;

        if (!j)
                return NULL;
        if (add(j, "policy", json_object_new_string(policy_to_string(s->policy))) < 0 ||
            add(j, "landlock_abi", json_object_new_int(s->landlock_abi)) < 0 ||
            add(j, "seccomp", json_object_new_string(s->seccomp ? s->seccomp : "none")) < 0 ||
            add(j, "cgroup", json_object_new_string(s->cgroup ? s->cgroup : "none")) < 0 ||
            add(j, "network", json_object_new_boolean(s->network)) < 0 ||
            add(j, "no_new_privs", json_object_new_boolean(s->no_new_privs)) < 0 ||
            add(j, "capabilities_dropped", json_object_new_boolean(s->caps_dropped)) < 0 ||
            add(j, "user_switched", json_object_new_boolean(s->user_switched)) < 0)
                goto fail;
        if (s->missing) {
                missing = json_object_new_array();
                if (add(j, "missing", missing) < 0)
                        goto fail;
                for (char **m = s->missing; *m; m++)
                        if (json_object_array_add(missing, json_object_new_string(*m)) < 0)
                                goto fail;
        }
        return j;
fail:
        json_object_put(j);
        return NULL;
}

json_object *run_result_to_json(const RunResult *r) {
        json_object *j = json_object_new_object();
        const char *sig;

        if (!j)
                return NULL;
        if (add(j, "run_id", json_object_new_string(r->run_id)) < 0 ||
            add(j, "skill", json_object_new_string(strempty(r->skill))) < 0 ||
            add(j, "outcome", json_object_new_string(outcome_to_string(r->outcome))) < 0 ||
            add_nullable(j, "exit_code", r->exit_code >= 0 ? json_object_new_int(r->exit_code) : NULL) < 0)
                goto fail;
        sig = r->signal > 0 ? sigabbrev_np(r->signal) : NULL;
        if (r->signal > 0) {
                char name[32];
                /* sigabbrev_np() knows no real-time signal: those by their offset from SIGRTMIN */
                if (sig)
                        snprintf(name, sizeof(name), "SIG%s", sig);
                else if (r->signal >= SIGRTMIN && r->signal <= SIGRTMAX)
                        snprintf(name, sizeof(name), "SIGRTMIN+%d", r->signal - SIGRTMIN);
                else
                        snprintf(name, sizeof(name), "SIG%d", r->signal);
                if (add(j, "signal", json_object_new_string(name)) < 0)
                        goto fail;
        } else if (add_nullable(j, "signal", NULL) < 0)
                goto fail;
        if (add_stream(j, "stdout", &r->out) < 0 || add_stream(j, "stderr", &r->err) < 0)
                goto fail;
        /* JSON is text (RFC 8259 §8.1): json-c would copy the bytes of a non-UTF-8 string into the
         * answer as they are, so such stdout, returned base64, is not parsed either */
        if (r->output_mode == OUTPUT_JSON && r->out.len > 0 && !r->out.truncated &&
            utf8_valid(r->out.buf, r->out.len)) {
                json_object *out = NULL;
                const char *why;
                int r_out = json_parse_strict(r->out.buf, r->out.len, JSON_TOKENER_DEFAULT_DEPTH, &out, &why);
                if (r_out == -ENOMEM)
                        goto fail;
                /* not exactly one JSON value: no "output"; a JSON null is an answer too */
                if (r_out >= 0 && add_nullable(j, "output", out) < 0)
                        goto fail;
        }
        if (add(j, "stdout_truncated", json_object_new_boolean(r->out.truncated)) < 0 ||
            add(j, "stderr_truncated", json_object_new_boolean(r->err.truncated)) < 0 ||
            add(j, "stdout_bytes", json_object_new_uint64(r->out.total)) < 0 ||
            add(j, "stderr_bytes", json_object_new_uint64(r->err.total)) < 0 ||
            add(j, "duration_ms", json_object_new_uint64(r->duration_ms)) < 0 ||
            add(j, "cpu_ms", json_object_new_uint64(r->cpu_ms)) < 0 ||
            add(j, "max_rss_kb", json_object_new_uint64(r->max_rss_kb)) < 0 ||
            add(j, "limits", limits_to_json(&r->limits)) < 0 || add(j, "sandbox", sandbox_to_json(&r->sandbox)) < 0)
                goto fail;
        if (r->sandbox_error && add(j, "sandbox_error", json_object_new_string(r->sandbox_error)) < 0)
                goto fail;
        return j;
fail:
        json_object_put(j);
        return NULL;
}
