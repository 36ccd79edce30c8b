/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The subcommands of design §8. Each returns the process exit code. */
int cli_run(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_token(int argc, char **argv);
void cli_help(void);
