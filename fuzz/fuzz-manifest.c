/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the skill manifest parser, with the built-in default settings and with tight ones: the
 * defaults leave cpu_max unlimited, so its ceiling check is only reached under a ceiling, and
 * small ceilings let short inputs go above the others. */
#include <string.h>

#include "fuzz.h"
#include "manifest-internal.h"

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
        return 0;
}
