/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Abbot protocol translation (src/abbot.c): SkillMessage → run request, run result → Abbot body. */
#include <signal.h>
#include <stdio.h>

#include "abbot.h"
#include "tap.h"

static char *to_string(json_object *o) {
        char *s = o ? strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))
                    : NULL;
        json_object_put(o);
        return s;
}

static RunResult result_with_output(Outcome outcome, int exit_code, const char *out, const char *err) {
        RunResult r = {};

        r.outcome = outcome;
        r.exit_code = exit_code;
        r.out.buf = (char *) out;
        r.out.len = out ? strlen(out) : 0;
        r.out.total = r.out.len;
        r.err.buf = (char *) err;
        r.err.len = err ? strlen(err) : 0;
        r.err.total = r.err.len;
        r.limits.timeout_ms = 2000;
        r.limits.memory_max = UINT64_C(64) << 20;
        r.limits.output_max = UINT64_C(1) << 20;
        r.sandbox.policy = POLICY_PERMISSIVE;
        return r;
}

static void check_response(const RunResult *r, const char *want, const char *what) {
        _cleanup_free_ char *got = to_string(abbot_response_from_result(r));
        is_str(got, want, "%s", what);
}

#define ERROR_BODY(id, desc)                                                                         \
        "{\"contentType\":null,\"content\":null,\"success\":false,\"errors\":[{\"errorId\":\"" id       \
        "\",\"description\":\"" desc "\",\"lineStart\":0,\"lineEnd\":0}],\"replies\":[],\"headers\":null," \
        "\"outputs\":{}}"

static void test_response(void) {
        RunResult r;

        r = result_with_output(OUTCOME_OK, 0,
                               "{\"outputs\":{\"b\":1,\"a\":[2]},\"replies\":[\"one\",\"two\"],\"errors\":[],"
                               "\"success\":true,\"headers\":{\"X-A\":[\"1\"]},\"content\":\"{\\\"k\\\": 1}\","
                               "\"contentType\":\"application/json\"}\n",
                               "user print\n");
        check_response(&r,
                       "{\"contentType\":\"application/json\",\"content\":\"{\\\"k\\\": 1}\",\"success\":true,"
                       "\"errors\":[],\"replies\":[\"one\",\"two\"],\"headers\":{\"X-A\":[\"1\"]},"
                       "\"outputs\":{\"b\":1,\"a\":[2]}}",
                       "shim result is re-emitted in Abbot's key order, values untouched");

        /* the shim's json.dumps escapes every non-ASCII character: json-c made U+1D800-U+1DFFF,
         * U+2D800-U+2DFFF, ... escaped U+FFFD (its surrogate test ignores the plane) */
        r = result_with_output(OUTCOME_OK, 0,
                               "{\"success\":true,\"errors\":[],\"replies\":[\"\\ud837\\udf00\"],"
                               "\"outputs\":{\"\\ud869\\ude00\\ud836\\udc00\":\"\\\\\\ud837\\udf00\"}}\n",
                               NULL);
        check_response(&r,
                       "{\"contentType\":null,\"content\":null,\"success\":true,\"errors\":[],"
                       "\"replies\":[\"\xf0\x9d\xbc\x80\"],\"headers\":null,"
                       "\"outputs\":{\"\xf0\xaa\x98\x80\xf0\x9d\xa0\x80\":\"\\\\\xf0\x9d\xbc\x80\"}}",
                       "U+1DF00 and U+1D800 escaped in a reply and a key reach the response as sent");

        r = result_with_output(OUTCOME_OK, 0,
                               "{\"success\":false,\"errors\":[{\"errorId\":\"NameError\",\"description\":\"name 'x' "
                               "is not defined\",\"lineStart\":3,\"lineEnd\":3}],\"replies\":[]}",
                               NULL);
        check_response(&r,
                       "{\"contentType\":null,\"content\":null,\"success\":false,\"errors\":[{\"errorId\":\"NameError\","
                       "\"description\":\"name 'x' is not defined\",\"lineStart\":3,\"lineEnd\":3}],\"replies\":[],"
                       "\"headers\":null,\"outputs\":{}}",
                       "missing optional keys get Abbot's defaults");

        r = result_with_output(OUTCOME_OK, 0,
                               "{\"contentType\":5,\"content\":[],\"success\":true,\"errors\":[],\"replies\":[],"
                               "\"headers\":\"h\",\"outputs\":[1],\"extra\":true}",
                               NULL);
        check_response(&r,
                       "{\"contentType\":null,\"content\":null,\"success\":true,\"errors\":[],\"replies\":[],"
                       "\"headers\":null,\"outputs\":{}}",
                       "members of the wrong type are dropped, unknown members ignored");

        r = result_with_output(OUTCOME_TIMEOUT, -1, "{\"success\":true,\"errors\":[],\"replies\":[]}", NULL);
        check_response(&r, ERROR_BODY("Timeout", "The skill did not finish within its time limit of 2000 ms and was stopped"),
                       "timeout is success:false even with a result on stdout");

        r = result_with_output(OUTCOME_OOM, -1, NULL, NULL);
        check_response(&r, ERROR_BODY("OutOfMemory", "The skill ran out of memory (limit 64M) and was stopped"), "OOM");

        r = result_with_output(OUTCOME_OOM, -1, NULL, NULL);
        r.limits.memory_max = 1000000;
        check_response(&r, ERROR_BODY("OutOfMemory", "The skill ran out of memory (limit 1000000 bytes) and was stopped"),
                       "OOM with a limit that is not a whole unit");

        r = result_with_output(OUTCOME_KILLED, -1, NULL, NULL);
        check_response(&r, ERROR_BODY("Killed", "The skill was stopped before it finished"), "killed");

        r = result_with_output(OUTCOME_OUTPUT_LIMIT, -1, NULL, NULL);
        r.limits.workdir_max = UINT64_C(64) << 20;
        check_response(&r,
                       ERROR_BODY("OutputLimit", "The skill wrote more than its work directory limit of 64M and was stopped"),
                       "work dir past workdir_max");

        r = result_with_output(OUTCOME_SIGNALED, -1, NULL, NULL);
        r.signal = SIGSEGV;
        check_response(&r, ERROR_BODY("Signal", "The skill was killed by signal 11 (Segmentation fault)"), "signal");

        r = result_with_output(OUTCOME_SIGNALED, -1, NULL, NULL);
        r.signal = SIGSYS;
        r.sandbox.policy = POLICY_RESTRICTIVE;
        check_response(&r,
                       ERROR_BODY("SandboxViolation",
                                  "The skill was killed for a system call the sandbox forbids (restrictive policy)"),
                       "SIGSYS is a sandbox violation");

        r = result_with_output(OUTCOME_SANDBOX_ERROR, -1, NULL, NULL);
        r.sandbox_error = (char *) "landlock_restrict_self: Operation not permitted";
        check_response(&r,
                       ERROR_BODY("SandboxError",
                                  "The sandbox could not be set up: landlock_restrict_self: Operation not permitted"),
                       "sandbox error");

        r = result_with_output(OUTCOME_OK, 0, "{\"success\":true,\"errors\":[],\"replies\":[\"aaaa", NULL);
        r.out.truncated = true;
        r.out.total = 5000000;
        check_response(&r, ERROR_BODY("OutputLimit", "The skill's result is larger than the output limit of 1M"),
                       "truncated result");

        r = result_with_output(OUTCOME_FAILED, 1, "",
                               "Traceback (most recent call last):\n  File \"x\", line 1\n"
                               "ModuleNotFoundError: No module named 'x'\n\n");
        check_response(&r,
                       ERROR_BODY("RunnerError", "The skill runner exited with status 1 without a result: "
                                                 "ModuleNotFoundError: No module named 'x'"),
                       "runner death quotes the last stderr line");

        /* stdout that is no result: the answer must stay UTF-8 and JSON (Python's json.dumps
         * writes NaN for float("nan")), and the shim writes one strict JSON value */
        static const struct {
                const char *out, *what;
        } no_result[] = {
                { "not json", "output that is not JSON is no result" },
                { "{\"success\":true,\"errors\":[],\"replies\":[\"a\xff\"]}",
                  "a result that is not UTF-8 is no result" },
                { "{\"success\":true,\"errors\":[],\"replies\":[\"a\xed\xa0\x80\"]}",
                  "a result with a surrogate is no result" },
                { "{\"success\":true,\"errors\":[],\"replies\":[],\"outputs\":{\"x\":NaN}}",
                  "a result with NaN is no result" },
                { "{\"success\":true,\"errors\":[],\"replies\":[]} and more",
                  "a result with something after it is no result" },
                { "{\"success\":true,\"errors\":[],\"replies\":[1,],}", "a result with trailing commas is no result" },
        };
        for (size_t i = 0; i < ELEMENTSOF(no_result); i++) {
                r = result_with_output(OUTCOME_OK, 0, no_result[i].out, NULL);
                check_response(&r, ERROR_BODY("RunnerError", "The skill runner exited with status 0 without a result"),
                               no_result[i].what);
        }

        /* a last line over 300 bytes: its last 300, not starting inside a character ("é" is
         * two bytes: cut 299 bytes into a run of them, the quote starts at the next whole one) */
        {
                char err[1024], want[1024];
                size_t n = 0;

                n += (size_t) snprintf(err + n, sizeof err - n, "earlier line\nstart ");
                for (int i = 0; i < 200; i++)
                        n += (size_t) snprintf(err + n, sizeof err - n, "\xc3\xa9");
                snprintf(err + n, sizeof err - n, "END\n");
                /* the last 300 bytes: "END" and 297 of the "é"s' bytes, of which the first is
                 * the second half of one: 148 whole ones are quoted */
                n = (size_t) snprintf(want, sizeof want, "The skill runner exited with status 1 without a result: ");
                for (int i = 0; i < 148; i++)
                        n += (size_t) snprintf(want + n, sizeof want - n, "\xc3\xa9");
                snprintf(want + n, sizeof want - n, "END");
                r = result_with_output(OUTCOME_FAILED, 1, "", err);
                _cleanup_free_ char *body = NULL;
                is_int(asprintf(&body, ERROR_BODY("RunnerError", "%s"), want) > 0, 1, "asprintf");
                check_response(&r, body, "a long last stderr line: its end quoted, from a whole character on");
        }

        /* 300 bytes are quoted whole, 301 lose their first */
        {
                char err[512], want[1024];

                memset(err, 'a', 301), strcpy(err + 301, "\n");
                err[0] = 'X';
                r = result_with_output(OUTCOME_FAILED, 1, "", err);
                snprintf(want, sizeof want, ERROR_BODY("RunnerError", "The skill runner exited with status 1 without a "
                                                                      "result: %.300s"), err + 1);
                check_response(&r, want, "a last stderr line of 301 bytes: its last 300");
                r = result_with_output(OUTCOME_FAILED, 1, "", err + 1);
                check_response(&r, want, "one of 300: whole");
        }

        r = result_with_output(OUTCOME_OK, 0, "{\"success\":\"yes\",\"errors\":[],\"replies\":[]}", "a\xff\n");
        check_response(&r, ERROR_BODY("RunnerError", "The skill runner exited with status 0 without a result"),
                       "success must be a boolean; non-UTF-8 stderr is not quoted");

        {
                _cleanup_free_ char *got = to_string(abbot_error_response("SandboxUnavailable", "need %s", "landlock"));
                is_str(got, ERROR_BODY("SandboxUnavailable", "need landlock"), "abbot_error_response()");
        }
}

static const char *env_get(char **env, const char *name) {
        size_t n = strlen(name);
        for (char **e = env; e && *e; e++)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

/* "prefix*": the rest of the message is json-c's wording, which varies between versions */
static bool endswith_star(const char *s) {
        size_t n = strlen(s);
        return n > 0 && s[n - 1] == '*';
}

#define MESSAGE "{\"PassiveReplies\":false,\"SkillInfo\":{\"Arguments\":\"a b\"},\"RunnerInfo\":{\"Code\":\"bot.reply('hi')\\n\"}}"

static int build(const Settings *s, const Manifest *m, const char *body, const char *token, RunRequest *req,
                 char **error) {
        return abbot_build_run_request(s, m, body, strlen(body), token, req, error);
}

static void test_request(void) {
        char *allow[] = { (char *) ABBOT_ENV_SKILL_API_TOKEN, (char *) ABBOT_ENV_API_BASE_URL, NULL };
        char *menv[] = { (char *) "ABBOT_API_BASE_URL=https://abbot.internal/api", NULL };
        Manifest m = {
                .name = (char *) "abbot-python",
                .input = INPUT_STDIN,
                .output = OUTPUT_JSON,
                .policy = POLICY_PERMISSIVE,
                .allow_env = allow,
                .accepts_code = true,
                .limits = { .workdir_max = 4096 },
        };
        Settings s = { .abbot_api_base_url = (char *) "https://ab.bot/api" };
        RunRequest req = {};
        char *error = NULL;
        int k;

        k = build(&s, &m, MESSAGE, "tok-1", &req, &error);
        is_int(k, 0, "SkillMessage accepted");
        is_int(req.stdin_len, strlen(MESSAGE), "stdin is the whole body");
        ok(req.stdin_data && memcmp(req.stdin_data, MESSAGE, req.stdin_len) == 0, "stdin bytes are the body verbatim");
        ok(req.has_code, "has_code");
        is_str(req.code, "bot.reply('hi')\n", "code is RunnerInfo.Code");
        is_int(req.code_len, strlen("bot.reply('hi')\n"), "code_len");
        ok(req.env == NULL, "no network: neither the token nor the API URL reaches the skill");
        ok(req.args == NULL && req.n_files == 0 && req.timeout_ms == 0, "no args, files or timeout");
        run_request_done(&req);

        m.network = true;
        k = build(&s, &m, MESSAGE, "tok-1", &req, &error);
        is_int(k, 0, "accepted with network");
        is_int(strv_length(req.env), 2, "two variables");
        is_str(env_get(req.env, ABBOT_ENV_SKILL_API_TOKEN), "tok-1", "token passed when network and allow_env allow");
        is_str(env_get(req.env, ABBOT_ENV_API_BASE_URL), "https://ab.bot/api", "API URL from settings");
        run_request_done(&req);

        k = build(&s, &m, MESSAGE, NULL, &req, &error);
        is_int(strv_length(req.env), 1, "no token header: only the API URL");
        run_request_done(&req);

        k = build(&s, &m, MESSAGE, "", &req, &error);
        ok(k == 0 && strv_length(req.env) == 1 && !env_get(req.env, ABBOT_ENV_SKILL_API_TOKEN),
           "an empty token header: no empty token either");
        run_request_done(&req);

        m.env = menv;
        k = build(&s, &m, MESSAGE, "tok-1", &req, &error);
        ok(k == 0 && env_get(req.env, ABBOT_ENV_API_BASE_URL) == NULL && env_get(req.env, ABBOT_ENV_SKILL_API_TOKEN),
           "the manifest's own ABBOT_API_BASE_URL wins over the setting");
        run_request_done(&req);
        char *menv_other[] = { (char *) "ABBOT_API_BASE_URL_OLD=https://old.example/api", NULL };
        m.env = menv_other;
        k = build(&s, &m, MESSAGE, "tok-1", &req, &error);
        is_str(k == 0 ? env_get(req.env, ABBOT_ENV_API_BASE_URL) : NULL, "https://ab.bot/api",
               "a variable whose name only begins with ABBOT_API_BASE_URL does not hide the setting");
        run_request_done(&req);
        m.env = NULL;

        m.allow_env = NULL;
        k = build(&s, &m, MESSAGE, "tok-1", &req, &error);
        ok(k == 0 && req.env == NULL, "nothing passed when allow_env does not list it");
        run_request_done(&req);
        m.allow_env = allow;

        m.network = false;
        m.policy = POLICY_NONE;
        k = build(&s, &m, MESSAGE, "tok-1", &req, &error);
        is_str(env_get(req.env, ABBOT_ENV_SKILL_API_TOKEN), "tok-1", "policy none has the host's network: token passed");
        run_request_done(&req);
        m.policy = POLICY_PERMISSIVE;

        /* ABBOT_SANDBOX_POLICY=restrictive over a manifest with "network": true: the sandbox
         * gives no network, so the shim must reply inline rather than try Abbot's API */
        m.network = true;
        m.policy = POLICY_RESTRICTIVE;
        k = build(&s, &m, MESSAGE, "tok-1", &req, &error);
        ok(k == 0 && req.env == NULL, "restrictive has no network whatever the manifest says: nothing passed");
        run_request_done(&req);
        m.network = false;
        m.policy = POLICY_PERMISSIVE;

        static const struct {
                const char *body;
                const char *error;
        } bad[] = {
                { "", "empty body: expected an Abbot SkillMessage" },
                { "[1]", "body must be a JSON object (an Abbot SkillMessage)" },
                { "{\"SkillInfo\":{}", "body is not valid JSON: unexpected end of data" },
                { "{\"SkillInfo\":{},\"RunnerInfo\":{\"Code\":\"\"}} x", "body is not valid JSON: *" },
                { "{\"SkillInfo\":{\"Arguments\":1.},\"RunnerInfo\":{\"Code\":\"\"}}",
                  "body is not valid JSON: a number JSON does not allow (NaN, Infinity, a leading zero, no digit "
                  "after '.') (line 1, column 27)" },
                { "{\"SkillInfo\":{},\n \"RunnerInfo\":{\"Code\":\"é\" \"x\"}}",
                  "body is not valid JSON: neither ',' nor the end of the object or array (line 2, column 27)" },
                { "{\"RunnerInfo\":{\"Code\":\"\"}}", "SkillInfo: missing" },
                { "{\"SkillInfo\":[],\"RunnerInfo\":{\"Code\":\"\"}}", "SkillInfo: expected an object" },
                { "{\"SkillInfo\":{}}", "RunnerInfo: missing" },
                { "{\"SkillInfo\":{},\"RunnerInfo\":{}}", "RunnerInfo.Code: missing" },
                { "{\"SkillInfo\":{},\"RunnerInfo\":{\"Code\":null}}", "RunnerInfo.Code: missing" },
                { "{\"SkillInfo\":{},\"RunnerInfo\":{\"Code\":5}}", "RunnerInfo.Code: expected a string" },
                { "{\"SkillInfo\":{},\"RunnerInfo\":{\"Code\":\"\"},\"PassiveReplies\":\"yes\"}",
                  "PassiveReplies: expected a boolean" },
                { "{\"SkillInfo\":{\"Arguments\":[]},\"RunnerInfo\":{\"Code\":\"\"}}",
                  "SkillInfo.Arguments: expected a string" },
                { "{\"SkillInfo\":{\"Mentions\":{}},\"RunnerInfo\":{\"Code\":\"\"}}",
                  "SkillInfo.Mentions: expected an array" },
                { "{\"SkillInfo\":{},\"RunnerInfo\":{\"Code\":\"\xc3\x28\"}}", "body is not valid UTF-8" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                error = NULL;
                k = build(&s, &m, bad[i].body, "tok", &req, &error);
                is_int(k, -EINVAL, "bad body %zu refused with -EINVAL", i);
                if (endswith_star(bad[i].error))
                        ok(error && strncmp(error, bad[i].error, strlen(bad[i].error) - 1) == 0,
                           "bad body %zu: message '%s'", i, strempty(error));
                else
                        is_str(error, bad[i].error, "bad body %zu: message", i);
                ok(req.stdin_data == NULL && req.code == NULL && req.env == NULL, "bad body %zu: *ret untouched", i);
                free(error);
        }

        m.accepts_code = false;
        error = NULL;
        k = build(&s, &m, MESSAGE, NULL, &req, &error);
        is_int(k, -ENOEXEC, "a manifest without accepts_code is a server fault");
        is_str(error, "skill 'abbot-python' cannot run Abbot code: its manifest lacks \"accepts_code\": true",
               "... with a message for the log");
        free(error);
        m.accepts_code = true;

        m.input = INPUT_NONE;
        error = NULL;
        k = build(&s, &m, MESSAGE, NULL, &req, &error);
        is_int(k, -ENOEXEC, "a manifest with \"input\": \"none\" is a server fault");
        is_str(error, "skill 'abbot-python' cannot run Abbot code: it takes no input on stdin",
               "... with a message for the log");
        ok(req.stdin_data == NULL && req.code == NULL, "... and no request");
        free(error);
        m.input = INPUT_STDIN;

        /* The code file counts against workdir_max as the native route's does: refused here, not
         * a run killed at once for OutputLimit, the skill having written nothing */
        m.limits.workdir_max = 4095;
        error = NULL;
        k = build(&s, &m, MESSAGE, NULL, &req, &error);
        is_int(k, -EINVAL, "RunnerInfo.Code over workdir_max (in blocks) refused");
        is_str(error, "RunnerInfo.Code: more than 4095 bytes (in whole 4096-byte blocks)", "... said so");
        ok(req.stdin_data == NULL && req.code == NULL, "... and no request");
        free(error);
        m.limits.workdir_max = 4096;

        /* The fixture every other Abbot test uses parses too. */
        {
                _cleanup_free_ char *path = NULL, *text = NULL;
                size_t len = 0; /* gcc -flto: -Wmaybe-uninitialized */
                const char *top = getenv("top_srcdir");

                if (asprintf(&path, "%s/tests/abbot/skill-message.json", top ? top : ".") < 0)
                        abort();
                k = read_full_file(path, 1 << 20, &text, &len);
                is_int(k, 0, "read the fixture %s", path);
                if (k >= 0) {
                        k = abbot_build_run_request(&s, &m, text, len, NULL, &req, &error);
                        is_int(k, 0, "the full SkillMessage fixture is accepted");
                        is_str(req.code, "bot.reply('placeholder')", "fixture code");
                        run_request_done(&req);
                }
        }
}

static void test_policy(void) {
        Manifest m = { .policy = POLICY_PERMISSIVE };
        char *error = NULL;
        Policy p;

        unsetenv("ABBOT_SANDBOX_POLICY");
        is_int(abbot_policy_from_env(&p, &error), 0, "unset: no override");
        is_int(p, _POLICY_INVALID, "unset: _POLICY_INVALID");

        setenv("ABBOT_SANDBOX_POLICY", "", 1);
        is_int(abbot_policy_from_env(&p, &error), 0, "empty: no override");

        setenv("ABBOT_SANDBOX_POLICY", "restrictive", 1);
        is_int(abbot_policy_from_env(&p, &error), 1, "restrictive: override");
        is_int(p, POLICY_RESTRICTIVE, "restrictive");
        is_int(abbot_manifest_apply_policy(&m, &error), 1, "applied to the manifest");
        ok(m.policy == POLICY_RESTRICTIVE && m.policy_set, "manifest policy is restrictive");

        setenv("ABBOT_SANDBOX_POLICY", "none", 1);
        abbot_policy_from_env(&p, &error);
        is_int(p, POLICY_NONE, "none");

        setenv("ABBOT_SANDBOX_POLICY", "sandboxed", 1);
        is_int(abbot_policy_from_env(&p, &error), -EINVAL, "unknown value is an error");
        is_str(error, "ABBOT_SANDBOX_POLICY: unknown policy 'sandboxed' (want none, permissive or restrictive)",
               "... naming the variable");
        free(error);
        error = NULL;
        is_int(abbot_manifest_apply_policy(&m, &error), -EINVAL, "apply fails too");
        is_int(m.policy, POLICY_RESTRICTIVE, "manifest untouched on error");
        free(error);
        unsetenv("ABBOT_SANDBOX_POLICY");
}

static void test_status(void) {
        Settings s = { .abbot_skill = (char *) "abbot-python" };
        _cleanup_free_ char *got = to_string(abbot_status_json(&s));

        is_str(got, "{\"status\":\"ok\",\"version\":\"" PACKAGE_VERSION "\",\"skill\":\"abbot-python\"}", "status body");
}

int main(void) {
        test_response();
        test_request();
        test_policy();
        test_status();
        return done_testing();
}
