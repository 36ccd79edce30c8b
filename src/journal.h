/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util.h"

/* The one structured record per request (design §7). Never the token, never the input. */
typedef struct RequestLog {
        const char *run_id;
        const char *skill;
        const char *token_name;
        const char *peer;
        const char *method;
        const char *path;
        int status;               /* HTTP status; 0 for the CLI */
        const char *outcome;
        int exit_code;            /* -1: none */
        uint64_t duration_usec;
        uint64_t max_rss_kb;
        const char *error;        /* why a 4xx/5xx was answered */
} RequestLog;

#define REQUEST_LOG_INIT { .exit_code = -1 }

/* To the journal when its socket is there, else one line on stderr. */
void journal_log_request(const RequestLog *l);
