/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Abbot's runner protocol (design §6): SkillMessage in, Abbot response body out. Pure: no I/O
 * beyond reading ABBOT_SANDBOX_POLICY from the environment. */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>

#include "abbot.h"
#include "json-util.h"

/* SkillMessages nest a Bot Framework ConversationReference and arbitrary HTTP-trigger forms;
 * json-c's default depth of 32 is close enough to real messages to be a trap. */
#define ABBOT_MAX_JSON_DEPTH 64

/* Bytes of the runner's stderr quoted when it died without a result. */
#define ABBOT_STDERR_QUOTE_MAX 300

/* Optional member of the given type: 0 absent or null, 1 present, -EINVAL wrong type. */
static int get_member(json_object *o, const char *key, json_type type, json_object **ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        if (!json_object_is_type(v, type))
                return -EINVAL;
        *ret = v;
        return 1;
}

static const char *json_type_noun(json_type t) {
        switch (t) {
        case json_type_object:
                return "an object";
        case json_type_array:
                return "an array";
        case json_type_string:
                return "a string";
        case json_type_boolean:
                return "a boolean";
        default:
                return "a value of another type";
        }
}

static int check_member(json_object *o, const char *parent, const char *key, json_type type, bool required,
                        json_object **ret, char **ret_error) {
        json_object *v = NULL;
        int k = get_member(o, key, type, &v);

        if (k < 0)
                return set_error(ret_error, -EINVAL, "%s%s%s: expected %s", strempty(parent), parent ? "." : "", key,
                            json_type_noun(type));
        if (k == 0 && required)
                return set_error(ret_error, -EINVAL, "%s%s%s: missing", strempty(parent), parent ? "." : "", key);
        if (ret)
                *ret = v;
        return 0;
}

/* Whether the sandbox will give the skill network, as sandbox.c decides it: restrictive never has
 * any, whatever the manifest says. ABBOT_SANDBOX_POLICY=restrictive can put a manifest with
 * "network": true there; handing the shim the API then would make every reply a failed POST
 * instead of an inline one. */
static bool may_use_network(const Manifest *m) {
        return m->policy == POLICY_NONE || (m->policy == POLICY_PERMISSIVE && m->network);
}

static bool env_defines(char *const *env, const char *name) {
        size_t n = strlen(name);

        for (char *const *e = env; e && *e; e++)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        return true;
        return false;
}

static int push_env(RunRequest *r, const char *name, const char *value) {
        char *e;

        if (asprintf(&e, "%s=%s", name, value) < 0)
                return -ENOMEM;
        return strv_push(&r->env, e);
}

int abbot_manifest_check(const Manifest *m, char **ret_error) {
        /* The manifest is the operator's: a mismatch is a server fault, not the caller's. */
        if (!m->accepts_code)
                return set_error(ret_error, -ENOEXEC, "skill '%s' cannot run Abbot code: its manifest lacks \"accepts_code\": true",
                            m->name);
        if (m->input != INPUT_STDIN)
                return set_error(ret_error, -ENOEXEC, "skill '%s' cannot run Abbot code: it takes no input on stdin", m->name);
        return 0;
}

int abbot_build_run_request(const Settings *s, const Manifest *m, const char *body, size_t len,
                            const char *skill_api_token, RunRequest *ret, char **ret_error) {
        _cleanup_(run_request_done) RunRequest r = {};
        json_object *root = NULL, *skill_info, *runner_info, *code;
        int k;

        k = abbot_manifest_check(m, ret_error);
        if (k < 0)
                return k;

        if (len == 0)
                return set_error(ret_error, -EINVAL, "empty body: expected an Abbot SkillMessage");
        if (!utf8_valid(body, len))
                return set_error(ret_error, -EINVAL, "body is not valid UTF-8");

        k = json_parse_strict_said(body, len, ABBOT_MAX_JSON_DEPTH, "body", &root, ret_error);
        if (k < 0)
                return k;

        if (!json_object_is_type(root, json_type_object)) {
                k = set_error(ret_error, -EINVAL, "body must be a JSON object (an Abbot SkillMessage)");
                goto out;
        }
        /* Only what the shim cannot do without is checked here; every other field is optional
         * in Abbot's own runner too and is the shim's to interpret. */
        if ((k = check_member(root, NULL, "SkillInfo", json_type_object, true, &skill_info, ret_error)) < 0 ||
            (k = check_member(root, NULL, "RunnerInfo", json_type_object, true, &runner_info, ret_error)) < 0 ||
            (k = check_member(runner_info, "RunnerInfo", "Code", json_type_string, true, &code, ret_error)) < 0 ||
            (k = check_member(root, NULL, "PassiveReplies", json_type_boolean, false, NULL, ret_error)) < 0 ||
            (k = check_member(skill_info, "SkillInfo", "Arguments", json_type_string, false, NULL, ret_error)) < 0 ||
            (k = check_member(skill_info, "SkillInfo", "TokenizedArguments", json_type_array, false, NULL,
                              ret_error)) < 0 ||
            (k = check_member(skill_info, "SkillInfo", "Mentions", json_type_array, false, NULL, ret_error)) < 0 ||
            (k = check_member(skill_info, "SkillInfo", "Request", json_type_object, false, NULL, ret_error)) < 0)
                goto out;

        /* as the native route's code: counted against workdir_max before anything is written */
        k = run_code_size_check(m, (size_t) json_object_get_string_len(code), "RunnerInfo.Code", ret_error);
        if (k < 0)
                goto out;

        r.stdin_data = malloc(len + 1);
        if (!r.stdin_data) {
                k = -ENOMEM;
                goto out;
        }
        memcpy(r.stdin_data, body, len);
        r.stdin_data[len] = '\0';
        r.stdin_len = len;

        r.code_len = (size_t) json_object_get_string_len(code);
        r.code = malloc(r.code_len + 1);
        if (!r.code) {
                k = -ENOMEM;
                goto out;
        }
        memcpy(r.code, json_object_get_string(code), r.code_len + 1);
        r.has_code = true;

        if (may_use_network(m)) {
                if (skill_api_token && *skill_api_token && strv_contains(m->allow_env, ABBOT_ENV_SKILL_API_TOKEN) &&
                    (k = push_env(&r, ABBOT_ENV_SKILL_API_TOKEN, skill_api_token)) < 0)
                        goto out;
                /* A base URL in the manifest's own env is the operator's more specific choice. */
                if (s->abbot_api_base_url && *s->abbot_api_base_url &&
                    strv_contains(m->allow_env, ABBOT_ENV_API_BASE_URL) && !env_defines(m->env, ABBOT_ENV_API_BASE_URL) &&
                    (k = push_env(&r, ABBOT_ENV_API_BASE_URL, s->abbot_api_base_url)) < 0)
                        goto out;
        }

        *ret = r;
        r = (RunRequest) {};
        k = 0;
out:
        json_object_put(root);
        return k;
}

static json_object *response_new(json_object *content_type, json_object *content, bool success, json_object *errors,
                                 json_object *replies, json_object *headers, json_object *outputs) {
        json_object *o = json_object_new_object();

        if (!o || !errors || !replies || !outputs) {
                json_object_put(o);
                json_object_put(content_type);
                json_object_put(content);
                json_object_put(errors);
                json_object_put(replies);
                json_object_put(headers);
                json_object_put(outputs);
                return NULL;
        }
        /* Abbot reads this order; json-c keeps insertion order. */
        json_object_object_add(o, "contentType", content_type);
        json_object_object_add(o, "content", content);
        json_object_object_add(o, "success", json_object_new_boolean(success));
        json_object_object_add(o, "errors", errors);
        json_object_object_add(o, "replies", replies);
        json_object_object_add(o, "headers", headers);
        json_object_object_add(o, "outputs", outputs);
        return o;
}

static json_object *verror_response(const char *error_id, const char *fmt, va_list ap) _printf_(2, 0);
static json_object *verror_response(const char *error_id, const char *fmt, va_list ap) {
        _cleanup_free_ char *description = NULL;
        json_object *errors, *e;

        if (vasprintf(&description, fmt, ap) < 0) {
                description = NULL; /* undefined after a failure: not ours to free */
                return NULL;
        }
        e = json_object_new_object();
        errors = json_object_new_array();
        if (!e || !errors) {
                json_object_put(e);
                json_object_put(errors);
                return NULL;
        }
        json_object_object_add(e, "errorId", json_object_new_string(error_id));
        json_object_object_add(e, "description", json_object_new_string(description));
        json_object_object_add(e, "lineStart", json_object_new_int(0));
        json_object_object_add(e, "lineEnd", json_object_new_int(0));
        json_object_array_add(errors, e);
        return response_new(NULL, NULL, false, errors, json_object_new_array(), NULL, json_object_new_object());
}

json_object *abbot_error_response(const char *error_id, const char *fmt, ...) {
        json_object *o;
        va_list ap;

        va_start(ap, fmt);
        o = verror_response(error_id, fmt, ap);
        va_end(ap);
        return o;
}

/* "256M" for whole binary units, else bytes: how the limit was most likely written. */
static void format_size(char *buf, size_t n, uint64_t v) {
        static const char suffix[] = "GMK";

        for (unsigned i = 0; i < 3; i++) {
                unsigned shift = 30 - 10 * i;
                if (v >= (UINT64_C(1) << shift) && (v & ((UINT64_C(1) << shift) - 1)) == 0) {
                        snprintf(buf, n, "%" PRIu64 "%c", v >> shift, suffix[i]);
                        return;
                }
        }
        snprintf(buf, n, "%" PRIu64 " bytes", v);
}

/* The last non-empty line of the runner's stderr, to say why it produced no result. */
static char *stderr_last_line(const OutputStream *err) {
        const char *b = err->buf, *end, *start;
        size_t n;

        if (!b || err->len == 0)
                return NULL;
        end = b + err->len;
        while (end > b && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
        start = end;
        while (start > b && start[-1] != '\n')
                start--;
        n = (size_t) (end - start);
        if (n == 0)
                return NULL;
        if (n > ABBOT_STDERR_QUOTE_MAX) {
                start = end - ABBOT_STDERR_QUOTE_MAX;
                n = ABBOT_STDERR_QUOTE_MAX;
                /* don't start inside a UTF-8 sequence */
                while (n > 0 && ((unsigned char) *start & 0xc0) == 0x80)
                        start++, n--;
        }
        if (memchr(start, '\0', n) || !utf8_valid(start, n))
                return NULL;
        return strndup(start, n);
}

static json_object *member_or(json_object *o, const char *key, json_type type, json_object *fallback) {
        json_object *v;

        if (get_member(o, key, type, &v) > 0) {
                json_object_put(fallback);
                return json_object_get(v);
        }
        return fallback;
}

/* The shim's result, copied into Abbot's key order; NULL if stdout is not such a result. */
static json_object *response_from_output(const OutputStream *out) {
        json_object *root = NULL, *success, *errors, *replies, *o;
        const char *why;

        /* json-c would copy a string's bytes into the answer as they are: only UTF-8 is a result
         * (strictly: json-c's JSON_TOKENER_VALIDATE_UTF8 lets overlong forms and surrogates by) */
        if (!out->buf || out->len == 0 || out->len > INT32_MAX || !utf8_valid(out->buf, out->len))
                return NULL;
        /* the shim writes one JSON line, strictly (no NaN: an answer with it would be no JSON) */
        if (json_parse_strict(out->buf, out->len, ABBOT_MAX_JSON_DEPTH, &root, &why) < 0)
                return NULL;
        if (!root)
                return NULL;

        /* success, errors and replies make it a result; the rest has defaults. */
        if (!json_object_is_type(root, json_type_object) || get_member(root, "success", json_type_boolean, &success) <= 0 ||
            get_member(root, "errors", json_type_array, &errors) <= 0 ||
            get_member(root, "replies", json_type_array, &replies) <= 0) {
                json_object_put(root);
                return NULL;
        }
        o = response_new(member_or(root, "contentType", json_type_string, NULL),
                         member_or(root, "content", json_type_string, NULL), json_object_get_boolean(success),
                         json_object_get(errors), json_object_get(replies),
                         member_or(root, "headers", json_type_object, NULL),
                         member_or(root, "outputs", json_type_object, json_object_new_object()));
        json_object_put(root);
        return o;
}

json_object *abbot_response_from_result(const RunResult *r) {
        _cleanup_free_ char *line = NULL;
        char size[32];
        json_object *o;

        switch (r->outcome) {
        case OUTCOME_TIMEOUT:
                return abbot_error_response("Timeout", "The skill did not finish within its time limit of %" PRIu64
                                            " ms and was stopped", r->limits.timeout_ms);
        case OUTCOME_OOM:
                format_size(size, sizeof size, r->limits.memory_max);
                return abbot_error_response("OutOfMemory", "The skill ran out of memory (limit %s) and was stopped",
                                            size);
        case OUTCOME_KILLED:
                return abbot_error_response("Killed", "The skill was stopped before it finished");
        case OUTCOME_OUTPUT_LIMIT:
                /* killed for its files (the work dir past workdir_max, or SIGXFSZ): whatever is on
                 * stdout then is no result, and "ended without a result" would not say why */
                format_size(size, sizeof size, r->limits.workdir_max);
                return abbot_error_response("OutputLimit",
                                            "The skill wrote more than its work directory limit of %s and was stopped",
                                            size);
        case OUTCOME_SANDBOX_ERROR:
                return abbot_error_response("SandboxError", "The sandbox could not be set up: %s",
                                            r->sandbox_error ? r->sandbox_error : "unknown failure");
        case OUTCOME_SIGNALED:
                if (r->signal == SIGSYS)
                        return abbot_error_response("SandboxViolation",
                                                    "The skill was killed for a system call the sandbox forbids (%s policy)",
                                                    strempty(policy_to_string(r->sandbox.policy)));
                return abbot_error_response("Signal", "The skill was killed by signal %d (%s)", r->signal,
                                            strsignal(r->signal));
        default:
                break;
        }

        /* A result cut at output_max would not parse anyway; say why. */
        if (r->out.truncated) {
                format_size(size, sizeof size, r->limits.output_max);
                return abbot_error_response("OutputLimit", "The skill's result is larger than the output limit of %s",
                                            size);
        }
        o = response_from_output(&r->out);
        if (o)
                return o;

        line = stderr_last_line(&r->err);
        if (r->exit_code >= 0)
                return abbot_error_response("RunnerError", "The skill runner exited with status %d without a result%s%s",
                                            r->exit_code, line ? ": " : "", strempty(line));
        return abbot_error_response("RunnerError", "The skill runner ended without a result%s%s", line ? ": " : "",
                                    strempty(line));
}

json_object *abbot_status_json(const Settings *s) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "status", json_object_new_string("ok"));
        json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
        json_object_object_add(o, "skill", json_object_new_string(s->abbot_skill ? s->abbot_skill : DEFAULT_ABBOT_SKILL));
        return o;
}

int abbot_policy_from_env(Policy *ret, char **ret_error) {
        const char *v = getenv("ABBOT_SANDBOX_POLICY");
        Policy p;

        *ret = _POLICY_INVALID;
        if (!v || !*v)
                return 0;
        p = policy_from_string(v);
        if (p < 0)
                return set_error(ret_error, -EINVAL, "ABBOT_SANDBOX_POLICY: unknown policy '%s' (want none, permissive or restrictive)",
                            v);
        *ret = p;
        return 1;
}

int abbot_manifest_apply_policy(Manifest *m, char **ret_error) {
        Policy p;
        int k;

        k = abbot_policy_from_env(&p, ret_error);
        if (k <= 0)
                return k;
        m->policy = p;
        m->policy_set = true;
        return 1;
}
