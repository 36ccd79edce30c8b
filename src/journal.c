/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <syslog.h>
#include <dlfcn.h>
#include <unistd.h>

#include "journal.h"

static bool journal_available(void) {
        return access("/run/systemd/journal/socket", W_OK) == 0;
}

typedef int (*sd_journal_send_t)(const char *format, ...);

/* libsystemd is loaded only here, after the response went out: linked at start-up its
 * dependencies (gcrypt, lzma, zstd, lz4) would cost every request about a millisecond. */
static sd_journal_send_t load_sd_journal_send(void) {
        void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        return h ? (sd_journal_send_t) dlsym(h, "sd_journal_send") : NULL;
}

void journal_log_request(const RequestLog *l) {
        char message[512];
        int prio = l->status >= 500 ? LOG_ERR : l->status >= 400 ? LOG_NOTICE : LOG_INFO;

        snprintf(message, sizeof(message), "%s %s → %d%s%s%s%s%s%s", strempty(l->method), strempty(l->path),
                 l->status, l->skill ? " skill=" : "", strempty(l->skill), l->outcome ? " outcome=" : "",
                 strempty(l->outcome), l->error ? ": " : "", strempty(l->error));

        sd_journal_send_t sd_journal_send = journal_available() ? load_sd_journal_send() : NULL;
        if (sd_journal_send) {
                int r = sd_journal_send("MESSAGE=%s", message, "PRIORITY=%d", prio, "SYSLOG_IDENTIFIER=skillrun",
                                        "SKILLRUN_RUN_ID=%s", strempty(l->run_id), "SKILLRUN_SKILL=%s",
                                        strempty(l->skill), "SKILLRUN_TOKEN_NAME=%s", strempty(l->token_name),
                                        "SKILLRUN_PEER=%s", strempty(l->peer), "SKILLRUN_METHOD=%s",
                                        strempty(l->method), "SKILLRUN_PATH=%s", strempty(l->path),
                                        "SKILLRUN_STATUS=%d", l->status, "SKILLRUN_OUTCOME=%s", strempty(l->outcome),
                                        "SKILLRUN_EXIT_CODE=%d", l->exit_code, "SKILLRUN_DURATION_USEC=%" PRIu64,
                                        l->duration_usec, "SKILLRUN_MAX_RSS_KB=%" PRIu64, l->max_rss_kb, NULL);
                if (r >= 0)
                        return;
        }
        fprintf(stderr,
                "skillrun: status=%d method=%s path=%s skill=%s outcome=%s exit_code=%d run_id=%s token=%s peer=%s "
                "duration_usec=%" PRIu64 " max_rss_kb=%" PRIu64 "%s%s\n",
                l->status, strempty(l->method), strempty(l->path), l->skill ? l->skill : "-",
                l->outcome ? l->outcome : "-", l->exit_code, l->run_id ? l->run_id : "-",
                l->token_name ? l->token_name : "-", l->peer ? l->peer : "-", l->duration_usec, l->max_rss_kb,
                l->error ? " error=" : "", strempty(l->error));
}
