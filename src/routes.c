/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "abbot.h"
#include "auth.h"
#include "log.h"
#include "manifest.h"
#include "response.h"
#include "routes.h"
#include "run.h"
#include "sandbox.h"

typedef enum Route {
        ROUTE_HEALTHZ,
        ROUTE_INFO,
        ROUTE_SKILLS,
        ROUTE_SKILL,
        ROUTE_RUN,
        ROUTE_ABBOT_STATUS,
        ROUTE_ABBOT_EXECUTE,
        ROUTE_NONE,
} Route;

/* Match the path; for /v1/skills/{name}[/run] copy the name into name (≤ SKILL_NAME_MAX). */
static Route match_route(const char *path, char *name, size_t name_size, const char **ret_allow) {
        const char *rest;

        if (streq(path, "/healthz")) {
                *ret_allow = "GET";
                return ROUTE_HEALTHZ;
        }
        if (streq(path, "/v1/info")) {
                *ret_allow = "GET";
                return ROUTE_INFO;
        }
        if (streq(path, "/v1/skills") || streq(path, "/v1/skills/")) {
                *ret_allow = "GET";
                return ROUTE_SKILLS;
        }
        if (streq(path, "/api/v1/status")) {
                *ret_allow = "GET";
                return ROUTE_ABBOT_STATUS;
        }
        if (streq(path, "/api/v1/execute")) {
                *ret_allow = "POST";
                return ROUTE_ABBOT_EXECUTE;
        }
        rest = startswith(path, "/v1/skills/");
        if (rest) {
                size_t n = strcspn(rest, "/");
                const char *tail = rest + n;
                if (n == 0 || n >= name_size)
                        return ROUTE_NONE;
                memcpy(name, rest, n);
                name[n] = 0;
                if (!skill_name_valid(name))
                        return ROUTE_NONE;
                if (*tail == 0) {
                        *ret_allow = "GET";
                        return ROUTE_SKILL;
                }
                if (streq(tail, "/run")) {
                        *ret_allow = "POST";
                        return ROUTE_RUN;
                }
        }
        return ROUTE_NONE;
}

/* Out of memory before anything was sent ("building" or "writing" the response): a run's result
 * can be megabytes, and with it freed a short error still fits. */
static int answer_out_of_memory(Server *srv, const char *doing) {
        server_log_error(srv, "out of memory %s the response", doing);
        (void) http_write_error(srv->fd, 500, NULL, "out of memory");
        return 500;
}

/* A JSON body, or NULL when it could not be made (out of memory). */
static int answer_text(Server *srv, int status, const char *body, size_t len, const char *content_type) {
        int r;

        if (!body)
                return answer_out_of_memory(srv, "building");
        r = http_write_response(srv->fd, status, content_type ?: "application/json", NULL, body, len);
        if (r == -ENOMEM)
                return answer_out_of_memory(srv, "writing");
        if (r == -ETIMEDOUT)
                server_log_error(srv, "the client did not take the answer within read_timeout_ms (%" PRIu64 " ms)",
                                 srv->settings.read_timeout_ms);
        else if (r == -ECANCELED)
                server_log_error(srv, "told to stop while the client was taking the answer: cut short after "
                                 "kill_grace_ms (%" PRIu64 " ms)", srv->settings.kill_grace_ms);
        else if (r < 0)
                log_debug_errno(r, "Writing the response failed: %m");
        return status;
}

static int answer_json(Server *srv, int status, json_object *j, const char *content_type) {
        const char *s = j ? json_to_string(j) : NULL;
        int r;

        if (j && !s) {
                json_object_put(j);
                return answer_out_of_memory(srv, "writing");
        }
        r = answer_text(srv, status, s, s ? strlen(s) : 0, content_type);
        json_object_put(j);
        return r;
}

static int answer_error(Server *srv, int status, const char *extra, const char *fmt, ...) _printf_(4, 5);
static int answer_error(Server *srv, int status, const char *extra, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        server_log_error(srv, "%s", msg ? msg : http_status_reason(status));
        (void) http_write_error(srv->fd, status, extra, "%s", msg ? msg : http_status_reason(status));
        return status;
}

/* Wipe the credentials the request carried: they must not outlive the check. */
static void wipe_credentials(HttpRequest *req) {
        if (req->authorization)
                explicit_bzero((char *) req->authorization, strlen(req->authorization));
        if (req->x_functions_key)
                explicit_bzero((char *) req->x_functions_key, strlen(req->x_functions_key));
}

/* Returns 0 with the token name copied into name, or the status already answered. */
static int authenticate(Server *srv, bool allow_functions_key, char *name, size_t name_size) {
        _cleanup_strv_free_ char **warnings = NULL;
        AuthTokens tokens = {};
        const char *presented = NULL, *who;
        int r;

        presented = auth_bearer_token(srv->req.authorization);
        if (!presented && allow_functions_key && srv->req.x_functions_key && *srv->req.x_functions_key)
                presented = srv->req.x_functions_key;
        if (!presented) {
                wipe_credentials(&srv->req);
                return answer_error(srv, 401, "WWW-Authenticate: Bearer realm=\"skillrun\"\r\n",
                                    "a bearer token is required");
        }
        r = auth_load(srv->settings.tokens_file, &tokens, &warnings);
        for (char **w = warnings; w && *w; w++)
                log_warning("%s", *w);
        if (r < 0) {
                wipe_credentials(&srv->req);
                log_error("Failed to read tokens file '%s': %s", srv->settings.tokens_file, auth_load_strerror(r));
                return answer_error(srv, 500, NULL, "no tokens are configured; see the journal");
        }
        who = auth_check(&tokens, presented);
        if (who)
                snprintf(name, name_size, "%s", who);
        auth_done(&tokens);
        wipe_credentials(&srv->req);
        if (!who)
                return answer_error(srv, 401, "WWW-Authenticate: Bearer realm=\"skillrun\", error=\"invalid_token\"\r\n",
                                    "unknown token");
        srv->log.token_name = name;
        return 0;
}

static json_object *skill_to_json(const Manifest *m, bool detail) {
        json_object *j = json_object_new_object();

        if (!j)
                return NULL;
        json_object_object_add(j, "name", json_object_new_string(m->name));
        json_object_object_add(j, "description", json_object_new_string(strempty(m->description)));
        json_object_object_add(j, "policy", json_object_new_string(policy_to_string(m->policy)));
        json_object_object_add(j, "input", json_object_new_string(m->input == INPUT_NONE ? "none" : "stdin"));
        json_object_object_add(j, "output", json_object_new_string(m->output == OUTPUT_JSON ? "json" : "text"));
        json_object_object_add(j, "accepts_code", json_object_new_boolean(m->accepts_code));
        json_object_object_add(j, "network", json_object_new_boolean(m->network));
        json_object_object_add(j, "limits", limits_to_json(&m->limits));
        if (detail) {
                json_object *a = json_object_new_array();
                for (char **e = m->allow_env; e && *e; e++)
                        json_object_array_add(a, json_object_new_string(*e));
                json_object_object_add(j, "allow_env", a);
        }
        return j;
}

static int route_info(Server *srv) {
        const Settings *s = &srv->settings;
        SandboxFeatures f = {};
        json_object *j = json_object_new_object(), *http = json_object_new_object();

        (void) sandbox_probe(&f);
        if (!j || !http) {
                json_object_put(j);
                json_object_put(http);
                return answer_json(srv, 500, NULL, NULL);
        }
        json_object_object_add(j, "version", json_object_new_string(PACKAGE_VERSION));
        json_object_object_add(j, "policy", json_object_new_string(policy_to_string(s->policy)));
        json_object_object_add(j, "sandbox_mode", json_object_new_string(sandbox_mode_to_string(s->sandbox)));
        json_object_object_add(j, "features", sandbox_features_to_json(&f));
        json_object_object_add(j, "limits", limits_to_json(&s->limits));
        json_object_object_add(http, "max_body", json_object_new_uint64(s->max_body));
        json_object_object_add(http, "max_header", json_object_new_uint64(s->max_header));
        json_object_object_add(http, "max_header_fields", json_object_new_uint64(s->max_header_fields));
        json_object_object_add(http, "read_timeout_ms", json_object_new_uint64(s->read_timeout_ms));
        json_object_object_add(j, "http", http);
        return answer_json(srv, 200, j, NULL);
}

static int route_skills(Server *srv, const char *token_name) {
        _cleanup_strv_free_ char **names = NULL;
        const char *dir = NULL;
        json_object *j, *list;
        int r;

        r = manifest_list_names(&srv->settings, &names, &dir);
        if (r < 0) {
                /* which of skills_dir's entries, as check and list name it: the answer does not */
                log_error("Failed to list skills in '%s': %s", strempty(dir), strerror(-r));
                return answer_error(srv, 500, NULL, "cannot list skills: %s", strerror(-r));
        }
        j = json_object_new_object();
        list = json_object_new_array();
        if (!j || !list) {
                json_object_put(j);
                json_object_put(list);
                return answer_json(srv, 500, NULL, NULL);
        }
        json_object_object_add(j, "skills", list);
        for (char **n = names; n && *n; n++) {
                _cleanup_manifest_ Manifest *m = NULL;
                _cleanup_free_ char *err = NULL;
                r = manifest_load(&srv->settings, *n, &m, &err);
                if (r == -ENOENT)
                        /* a dangling symlink, or gone since the directory was read: no skill
                         * (404 by name), and not broken either, as list and check say */
                        continue;
                if (r < 0) {
                        /* broken ones are the operator's to fix (skillrun check); callers don't see them */
                        log_warning("Skill '%s' is broken: %s", *n, err ? err : strerror(-r));
                        continue;
                }
                if (manifest_token_allowed(m, token_name))
                        json_object_array_add(list, skill_to_json(m, false));
        }
        return answer_json(srv, 200, j, NULL);
}

/* Load the named skill for this token; returns 0 or the status already answered. */
/* abbot: the skill is the one abbot_skill names, the operator's choice: none such is a 500. */
static int load_skill(Server *srv, const char *name, const char *token_name, bool abbot, Manifest **ret) {
        _cleanup_free_ char *err = NULL;
        int r;

        if (name != srv->skill_name)
                snprintf(srv->skill_name, sizeof(srv->skill_name), "%s", name);
        srv->log.skill = srv->skill_name;
        r = manifest_load(&srv->settings, name, ret, &err);
        if (r == -ENOENT && abbot) {
                log_error("abbot_skill names '%s', which no skills directory holds", name);
                return answer_error(srv, 500, NULL, "the Abbot runner is misconfigured; see the journal");
        }
        if (r == -ENOENT)
                return answer_error(srv, 404, NULL, "no skill named '%s'", name);
        if (r < 0) {
                log_error("Skill '%s' is broken: %s", name, err ? err : strerror(-r));
                return answer_error(srv, 500, NULL, "skill '%s' is misconfigured; see the journal", name);
        }
        if (!manifest_token_allowed(*ret, token_name)) {
                *ret = manifest_free(*ret);
                return answer_error(srv, 403, NULL, "token '%s' may not run skill '%s'", token_name, name);
        }
        return 0;
}

/* The rest of the body, now that the request is accepted. Returns 0, the status already
 * answered (400, 408, 500), or -errno when the client is gone. */
static int read_body(Server *srv) {
        const char *msg = NULL;
        int r = server_read_body(srv, &msg);

        if (r > 0)
                return answer_error(srv, r, NULL, "%s", msg ? msg : http_status_reason(r));
        if (r == -ENOMEM)
                return answer_error(srv, 500, NULL, "out of memory");
        if (r < 0 && r != -ECONNRESET)
                log_debug_errno(r, "Reading the request body failed: %m");
        return r;
}

static bool is_json_media_type(const char *ct) {
        size_t n = strcspn(ct, "; \t");
        return n == strlen("application/json") && strncasecmp(ct, "application/json", n) == 0;
}

/* Runs the request and answers with the result. */
static int do_run(Server *srv, const Manifest *m, RunRequest *req, bool abbot) {
        _cleanup_free_ char *err = NULL;
        RunResult res;
        int r, status;

        run_result_init(&res);
        r = run_skill(&srv->settings, m, req, srv->fd, &res, &err);
        if (res.run_id[0]) {
                memcpy(srv->run_id, res.run_id, sizeof(srv->run_id));
                srv->log.run_id = srv->run_id;
        }
        if (r == -EOPNOTSUPP && abbot) {
                server_log_error(srv, "%s", strempty(err));
                status = answer_json(srv, 503, abbot_error_response("SandboxUnavailable", "%s", strempty(err)),
                                     ABBOT_MEDIA_TYPE);
        } else if (r == -EOPNOTSUPP)
                status = answer_error(srv, 503, NULL, "%s", err ? err : "the sandbox cannot be built on this kernel");
        else if (r == -E2BIG) /* the request's args and env together: more than execve(2) takes */
                status = answer_error(srv, 400, NULL, "%s", err ? err : strerror(-r));
        else if (r == -ENOSPC || r == -EDQUOT) {
                /* the work dir's file system is full (the request's files, code or the dir
                 * itself): what the host lacks, as a kernel without the sandbox, not a failed
                 * worker; the operator reads which step in the record */
                status = answer_error(srv, 503, NULL, "no room on the host for this run: %s", strerror(-r));
                server_log_error(srv, "no room on the host for this run: %s", err ? err : strerror(-r));
        } else if (r < 0) {
                if (err) /* says why itself: an errno after it repeats that, or misleads ("not found (No such process)") */
                        log_error("Running skill '%s' failed: %s", m->name, err);
                else
                        log_error_errno(r, "Running skill '%s' failed: %m", m->name);
                status = answer_error(srv, 500, NULL, "running skill '%s' failed; see the journal", m->name);
        } else {
                srv->log.outcome = outcome_to_string(res.outcome);
                srv->log.exit_code = res.exit_code;
                srv->log.max_rss_kb = res.max_rss_kb;
                if (res.sandbox_error)
                        server_log_error(srv, "sandbox: %s", res.sandbox_error);
                if (abbot)
                        status = answer_json(srv, 200, abbot_response_from_result(&res), ABBOT_MEDIA_TYPE);
                else {
                        /* written straight as text: every request answers with it */
                        _cleanup_free_ char *text = NULL;
                        size_t len = 0;
                        (void) run_result_format(&res, &text, &len);
                        status = answer_text(srv, 200, text, len, NULL);
                }
        }
        run_result_done(&res);
        return status;
}

static int route_run(Server *srv, const char *name, const char *token_name) {
        _cleanup_manifest_ Manifest *m = NULL;
        _cleanup_free_ char *err = NULL;
        RunRequest req = {};
        int r, status;

        r = load_skill(srv, name, token_name, false, &m);
        if (r > 0)
                return r;
        if ((srv->req.content_type || srv->req.content_length > 0) &&
            !(srv->req.content_type && is_json_media_type(srv->req.content_type)))
                return answer_error(srv, 415, NULL, "the run request must be application/json");
        r = read_body(srv);
        if (r != 0)
                return MAX(r, 0);
        r = run_request_parse(&srv->settings, m, srv->req.body, srv->req.body_len, &req, &err);
        if (r == -ENOMEM)
                return answer_error(srv, 500, NULL, "out of memory");
        if (r < 0)
                return answer_error(srv, 400, NULL, "%s", err ? err : "invalid run request");
        status = do_run(srv, m, &req, false);
        run_request_done(&req);
        return status;
}

/* why is "skill 'NAME' cannot run Abbot code: ..." (abbot_manifest_check()), or NULL where
 * saying why took memory there was none of */
static void log_abbot_unfit(const Manifest *m, const char *why) {
        if (why)
                log_error("%s", why);
        else
                log_error("skill '%s' cannot run Abbot code", m->name);
}

static int route_abbot_execute(Server *srv, const char *token_name) {
        _cleanup_manifest_ Manifest *m = NULL;
        _cleanup_free_ char *err = NULL;
        RunRequest req = {};
        int r, status;

        r = load_skill(srv, srv->settings.abbot_skill, token_name, true, &m);
        if (r > 0)
                return r;
        r = abbot_manifest_apply_policy(m, &err);
        if (r < 0) {
                log_error("%s", strempty(err));
                return answer_error(srv, 500, NULL, "the Abbot runner is misconfigured; see the journal");
        }
        if (srv->req.content_type && !is_json_media_type(srv->req.content_type))
                return answer_error(srv, 415, NULL, "the SkillMessage must be application/json");
        /* a manifest that cannot run Abbot code is known before the body, which is then not read
         * (nor waited for); abbot_build_run_request() checks it again, with the same -ENOEXEC */
        r = abbot_manifest_check(m, &err);
        if (r >= 0) {
                r = read_body(srv);
                if (r != 0)
                        return MAX(r, 0);
                r = abbot_build_run_request(&srv->settings, m, srv->req.body ? srv->req.body : "",
                                            srv->req.body_len, srv->req.x_abbot_skillapitoken, &req, &err);
        }
        if (r == -ENOMEM)
                return answer_error(srv, 500, NULL, "out of memory");
        if (r == -ENOEXEC) {
                log_abbot_unfit(m, err);
                return answer_error(srv, 500, NULL, "the Abbot skill is misconfigured; see the journal");
        }
        if (r < 0)
                return answer_error(srv, 400, NULL, "%s", err ? err : "invalid SkillMessage");
        status = do_run(srv, m, &req, true);
        run_request_done(&req);
        return status;
}

/* The methods HTTP defines (RFC 9110 §9, and PATCH, RFC 5789). Any other, lower-case ones
 * included (methods are case-sensitive), is no method of any resource here: 501, not 405 (RFC
 * 9110 §9.1), and so not worth the Allow of a route. */
static bool method_known(const char *m) {
        static const char *const known[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
                                             "PATCH" };

        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (streq(m, known[i]))
                        return true;
        return false;
}

int routes_dispatch(Server *srv) {
        char *name = srv->skill_name, *token_name = srv->token_name;
        const char *allow = NULL, *method = srv->req.method;
        Route route = match_route(srv->req.path, name, sizeof(srv->skill_name), &allow);
        bool get;
        int r;

        if (!method_known(method))
                return answer_error(srv, 501, NULL, "method %s is not implemented", method);
        if (route == ROUTE_NONE)
                return answer_error(srv, 404, NULL, "no route for '%s'", srv->req.path);
        /* HEAD is GET without the body (the response writer drops it): RFC 9110 §9.3.2 */
        get = streq(allow, "GET");
        if (!streq(method, allow) && !(get && streq(method, "HEAD"))) {
                const char *allowed = get ? "GET, HEAD" : allow;
                char extra[64];
                snprintf(extra, sizeof(extra), "Allow: %s\r\n", allowed);
                return answer_error(srv, 405, extra, "method %s is not allowed here (allowed: %s)", method, allowed);
        }

        switch (route) {
        case ROUTE_HEALTHZ: {
                json_object *j = json_object_new_object();
                if (j) {
                        json_object_object_add(j, "status", json_object_new_string("ok"));
                        json_object_object_add(j, "version", json_object_new_string(PACKAGE_VERSION));
                }
                return answer_json(srv, 200, j, NULL);
        }
        case ROUTE_ABBOT_STATUS:
                return answer_json(srv, 200, abbot_status_json(&srv->settings), NULL);
        default:
                break;
        }

        r = authenticate(srv, route == ROUTE_ABBOT_EXECUTE, token_name, sizeof(srv->token_name));
        if (r > 0)
                return r;

        switch (route) {
        case ROUTE_INFO:
                return route_info(srv);
        case ROUTE_SKILLS:
                return route_skills(srv, token_name);
        case ROUTE_SKILL: {
                _cleanup_manifest_ Manifest *m = NULL;
                r = load_skill(srv, name, token_name, false, &m);
                if (r > 0)
                        return r;
                return answer_json(srv, 200, skill_to_json(m, true), NULL);
        }
        case ROUTE_RUN:
                return route_run(srv, name, token_name);
        case ROUTE_ABBOT_EXECUTE:
                return route_abbot_execute(srv, token_name);
        default:
                return answer_error(srv, 500, NULL, "unhandled route");
        }
}
