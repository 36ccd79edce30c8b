/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the skill manifest parser, with the built-in default settings and with tight ones: the
 * defaults leave cpu_max unlimited, so its ceiling check is only reached under a ceiling, and
 * small ceilings let short inputs go above the others. A manifest taken is JSON by RFC 8259
 * (json_text_grammar_problem() and json_text_problem() find nothing in it), whichever json-c
 * read it; and that grammar, which the parser falls back on where json-c's strict mode cannot
 * read UTF-8 (json-c 0.18), takes nothing a strict mode that can read it refuses. */
#include <string.h>

#include "fuzz.h"
#include "json-util.h"
#include "manifest-internal.h"

/* manifest.c's */
#define DEPTH 16

static bool json_valid(const char *text, size_t size) {
        return !json_text_grammar_problem(text, size, DEPTH + 1, NULL) && !json_text_problem(text, size);
}

static void check_grammar(const char *text, size_t size) {
        _cleanup_(json_read_done) JsonRead j = {};
        bool taken;

        /* json-c stops at a NUL byte; strict mode has to be the one that reads UTF-8 */
        if (memchr(text, '\0', size) || json_tokener_flags_for(text, size) != JSON_TOKENER_STRICT ||
            !json_valid(text, size))
                return;
        fuzz_check(json_read(text, size, DEPTH, 0, &j) == 0);
        taken = j.error == json_tokener_success;
        for (size_t i = j.end; taken && i < j.len; i++)
                taken = strchr(" \t\r\n", j.text[i]);
        fuzz_check(taken);
}

static void check_manifest(const Settings *s, const char *text, size_t size) {
        _cleanup_manifest_ Manifest *m = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = manifest_parse(s, "fuzz", "/etc/skillrun/skills/fuzz.json", text, size, &m, &error);
        if (r >= 0) {
                fuzz_check(m && m->command && m->command[0] && m->command[0][0] == '/');
                fuzz_check(m->limits.timeout_ms >= 1 && m->limits.timeout_ms <= s->limits.timeout_ms);
                fuzz_check(m->limits.memory_max >= 1 && m->limits.memory_max <= s->limits.memory_max);
                fuzz_check(m->limits.tasks_max >= 1 && m->limits.tasks_max <= s->limits.tasks_max);
                fuzz_check(m->limits.output_max <= s->limits.output_max);
                fuzz_check(m->limits.workdir_max >= 1 && m->limits.workdir_max <= s->limits.workdir_max);
                /* 0 is unlimited, only under an unlimited ceiling */
                fuzz_check(s->limits.cpu_max == 0 ||
                           (m->limits.cpu_max >= 1 && m->limits.cpu_max <= s->limits.cpu_max));
                fuzz_check(!(m->network && m->policy == POLICY_RESTRICTIVE));
                fuzz_check(m->code_file && manifest_file_name_valid(m->code_file));
                (void) manifest_token_allowed(m, "ci");
                fuzz_check(json_valid(text, size));
        } else if (r == -EINVAL)
                fuzz_check(error && error[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static Settings defaults, tight;
        static bool initialized;
        /* exact size, no NUL: the parser must respect len */
        _cleanup_free_ char *text = malloc(size ? size : 1);

        if (!initialized) {
                settings_init(&defaults);
                settings_init(&tight);
                tight.policy = POLICY_RESTRICTIVE;
                tight.limits = (Limits) {
                        .timeout_ms = 1000,
                        .memory_max = 1 << 20,
                        .tasks_max = 4,
                        .cpu_max = 150,
                        .output_max = 4096,
                        .workdir_max = 4096,
                };
                initialized = true;
        }
        fuzz_check(text);
        memcpy(text, data, size);

        check_manifest(&defaults, text, size);
        check_manifest(&tight, text, size);
        check_grammar(text, size);
        return 0;
}
