/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the skill manifest parser with the built-in default settings. */
#include <string.h>

#include "fuzz.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static Settings settings;
        static bool initialized;
        _cleanup_manifest_ Manifest *m = NULL;
        _cleanup_free_ char *error = NULL;
        /* exact size, no NUL: the parser must respect len */
        _cleanup_free_ char *text = malloc(size ? size : 1);
        int r;

        if (!initialized) {
                settings_init(&settings);
                initialized = true;
        }
        fuzz_check(text);
        memcpy(text, data, size);

        r = manifest_parse(&settings, "fuzz", "/etc/skillrun/skills/fuzz.json", text, size, &m, &error);
        if (r >= 0) {
                fuzz_check(m && m->command && m->command[0] && m->command[0][0] == '/');
                fuzz_check(m->limits.timeout_ms <= settings.limits.timeout_ms);
                fuzz_check(m->limits.memory_max <= settings.limits.memory_max);
                fuzz_check(m->limits.tasks_max <= settings.limits.tasks_max);
                fuzz_check(m->limits.output_max <= settings.limits.output_max);
                (void) manifest_token_allowed(m, "ci");
        } else if (r == -EINVAL)
                fuzz_check(error && error[0] != '\0');

        return 0;
}
