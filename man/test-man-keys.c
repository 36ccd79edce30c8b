/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Prints the keys the code knows, for man/test-man.sh to compare with the man pages:
 * "setting <key>" for every skillrun.conf key, "manifest <key>" for every manifest key. */
#include <stdio.h>

#include "manifest.h"
#include "settings.h"

int main(void) {
        for (const char *const *k = settings_keys; *k; k++)
                printf("setting %s\n", *k);
        for (const char *const *k = manifest_keys; *k; k++)
                printf("manifest %s\n", *k);
        return fflush(stdout) == 0 ? 0 : 1;
}
