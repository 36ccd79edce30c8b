/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util.h"

#define TOKEN_MIN_LEN 32
#define TOKEN_NAME_MAX 64
/* The name ABBOT_SKILL_RUNNER_TOKEN's token gets (auth_load()). */
#define AUTH_ABBOT_TOKEN_NAME "abbot"

typedef struct AuthToken {
        char *name;
        char *secret;
        size_t secret_len;
} AuthToken;

typedef struct AuthTokens {
        AuthToken *tokens;
        size_t n;
        bool from_env;     /* the last token is ABBOT_SKILL_RUNNER_TOKEN's, not the file's */
        bool file_missing; /* the file does not exist: the variable's token alone */
} AuthTokens;

/* Read "name:token" lines ('#' comments and blank lines ignored). Lines that are malformed or
 * whose token is shorter than TOKEN_MIN_LEN are refused; each refusal is appended to
 * *ret_warnings ("<path>:<line>: ..."), never with the token itself. If the environment has
 * ABBOT_SKILL_RUNNER_TOKEN (migration from the Abbot runner) it is added under the name "abbot". */
int auth_load(const char *path, AuthTokens *ret, char ***ret_warnings);
/* Why auth_load() failed, for a message: strerror(), but for a file that is not a regular file. */
const char *auth_load_strerror(int r);
/* Constant-time: compares against every token, whatever matches. Returns the name or NULL. */
const char *auth_check(const AuthTokens *t, const char *presented);
/* "Bearer <token>" with the scheme case-insensitive; NULL if the header is not a bearer token. */
const char *auth_bearer_token(const char *authorization);
/* Wipe every secret and free. */
void auth_done(AuthTokens *t);
/* Make "name:<44 chars base64url>" for `skillrun token NAME`. */
int auth_generate(const char *name, char **ret);
bool auth_token_name_valid(const char *name);
