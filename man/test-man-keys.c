/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Prints the keys the code knows, for man/test-man.sh to compare with the man pages:
 * "setting <key>" for every skillrun.conf key, "manifest <key>" for every manifest key, and
 * "default <path>" for each built-in default path (each directory of skills_dir alone). */
#include <stdio.h>
#include <string.h>

#include "manifest.h"
#include "settings.h"

int main(void) {
        for (const char *const *k = settings_keys; *k; k++)
                printf("setting %s\n", *k);
        for (const char *const *k = manifest_keys; *k; k++)
                printf("manifest %s\n", *k);
        printf("default %s\ndefault %s\n", DEFAULT_CONFIG_PATH, DEFAULT_TOKENS_FILE);
        const char *dirs = DEFAULT_SKILLS_DIR;
        for (size_t n; *dirs; dirs += n + (dirs[n] == ':')) {
                n = strcspn(dirs, ":");
                printf("default %.*s\n", (int) n, dirs);
        }
        return fflush(stdout) == 0 ? 0 : 1;
}
