/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

#include "run.h"

/* Abbot's runner protocol (design §6): POST /api/v1/execute carries a SkillMessage, the answer is
 * an Abbot response body. Pure translation both ways; running is run_skill()'s job. */

/* Abbot refuses any other Content-Type on an execute response. */
#define ABBOT_MEDIA_TYPE "application/vnd.abbot.v1+json"

/* The variables the abbot skill may receive (its manifest must list them in allow_env). */
#define ABBOT_ENV_SKILL_API_TOKEN "ABBOT_SKILL_API_TOKEN"
#define ABBOT_ENV_API_BASE_URL "ABBOT_API_BASE_URL"

/* Whether this manifest can run Abbot code at all (accepts_code, stdin input): -ENOEXEC with a
 * message (→ 500) if not. Checked before the body is read; abbot_build_run_request() checks it
 * again. */
int abbot_manifest_check(const Manifest *m, char **ret_error);

/* Turn an Abbot SkillMessage (the POST body) into a run request for the abbot skill manifest m:
 * stdin = the whole SkillMessage JSON (the shim reads it), code = RunnerInfo.Code (written to the
 * code file; the shim gets its path as argv[1]). The skill API token (X-Abbot-SkillApiToken, may be
 * NULL) is passed as ABBOT_SKILL_API_TOKEN and settings' abbot_api_base_url as ABBOT_API_BASE_URL,
 * both only when the skill may use the network (manifest "network": true under policy permissive,
 * or policy none; never under restrictive) and the manifest's allow_env lists them: without
 * network the token would be a secret with no use.
 * Returns -EINVAL with a message for the client (→ 400) when the body is not a SkillMessage;
 * -ENOEXEC with a message (→ 500) when the manifest cannot run Abbot code (no accepts_code,
 * no stdin input). */
int abbot_build_run_request(const Settings *s, const Manifest *m, const char *body, size_t len,
                            const char *skill_api_token, RunRequest *ret, char **ret_error);

/* The Abbot response body for a finished run. The shim prints its result JSON on stdout; it is
 * copied in Abbot's key order (contentType, content, success, errors, replies, headers, outputs).
 * A timeout, OOM, kill, signal, sandbox error or output that is not such a result becomes
 * success:false with one readable errors[] entry. Never NULL except on OOM. */
json_object *abbot_response_from_result(const RunResult *r);

/* An Abbot response body with success:false and one error (lineStart/lineEnd 0), for answers
 * that never ran the skill (e.g. the sandbox refused under strict mode). */
json_object *abbot_error_response(const char *error_id, const char *fmt, ...) _printf_(2, 3);

/* GET /api/v1/status: {"status":"ok","version":…,"skill":<abbot_skill>}. */
json_object *abbot_status_json(const Settings *s);

/* ABBOT_SANDBOX_POLICY, the variable Abbot's own runner reads ("none", "permissive",
 * "restrictive"). Returns 0 with *ret = _POLICY_INVALID when unset or empty, 1 with *ret set when
 * given, -EINVAL with "ABBOT_SANDBOX_POLICY: ..." in *ret_error for any other value. */
int abbot_policy_from_env(Policy *ret, char **ret_error);

/* Apply that override to the abbot skill's manifest (the unit's environment is the operator's
 * word, so it wins over the manifest). Same returns as abbot_policy_from_env(). */
int abbot_manifest_apply_policy(Manifest *m, char **ret_error);
