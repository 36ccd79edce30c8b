/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "cli.h"
#include "log.h"
#include "server.h"

int main(int argc, char **argv) {
        const char *cmd = argc > 1 ? argv[1] : "serve";

        if (getenv("SKILLRUN_DEBUG"))
                log_set_max_level(LOG_DEBUG);
        if (streq(cmd, "serve")) {
                if (argc > 2) {
                        log_error("Usage: skillrun serve (no arguments: the connection comes on fd 3 or on stdin)");
                        return 2;
                }
                return server_main();
        }
        if (streq(cmd, "run"))
                return cli_run(argc - 1, argv + 1);
        if (streq(cmd, "check"))
                return cli_check(argc - 1, argv + 1);
        if (streq(cmd, "list"))
                return cli_list(argc - 1, argv + 1);
        if (streq(cmd, "token"))
                return cli_token(argc - 1, argv + 1);
        if ((streq(cmd, "--version") || streq(cmd, "version") || streq(cmd, "--help") || streq(cmd, "-h") ||
             streq(cmd, "help")) && argc > 2) {
                log_error("Usage: skillrun %s (no arguments)", cmd);
                return 2;
        }
        if (streq(cmd, "--version") || streq(cmd, "version")) {
                printf("skillrun %s\n", PACKAGE_VERSION);
                return 0;
        }
        if (streq(cmd, "--help") || streq(cmd, "-h") || streq(cmd, "help")) {
                cli_help();
                return 0;
        }
        log_error("Unknown command '%s'; see skillrun --help", cmd);
        return 2;
}
