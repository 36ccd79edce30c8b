/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* The subcommands of design §8. Each returns the process exit code. run's stdin_closed: skillrun
 * was started without a standard input (/dev/null holds its place), which "-" then cannot read. */
int cli_run(int argc, char **argv, bool stdin_closed);
int cli_check(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_token(int argc, char **argv);
void cli_help(void);
