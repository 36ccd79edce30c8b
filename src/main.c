/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "log-syslog.h"
#include "log.h"
#include "server.h"

/* serve, --version and --help take no arguments: one is a typo (in an ExecStart=, say). */
static bool extra_arguments(int argc, const char *cmd, const char *why) {
        if (argc <= 2)
                return false;
        log_error("Usage: skillrun %s (no arguments%s)", cmd, why);
        return true;
}

/* Started with 0, 1 or 2 closed (a shell's <&- 2>&-, a supervisor that closes them), the first
 * files we open would get those numbers: the run's cgroup.procs, the landlock ruleset or a pipe,
 * which the skill's child then overwrites with its stdio before it uses them (not placed in its
 * cgroup, landlock failing with EBADFD), or which our logging writes into. /dev/null holds them.
 * Which of them were closed: bit 1 << fd. */
static unsigned fill_std_fds(void) {
        /* one poll() tells all three: a closed fd comes back POLLNVAL */
        struct pollfd p[3] = { { .fd = 0 }, { .fd = 1 }, { .fd = 2 } };
        unsigned closed = 0;

        if (poll(p, 3, 0) < 0)
                return 0;
        for (int fd = 0; fd <= 2; fd++) {
                if (!(p[fd].revents & POLLNVAL))
                        continue;
                closed |= 1u << fd;
                int null = open("/dev/null", O_RDWR | O_NOCTTY); /* the lowest free one: fd */
                if (null >= 0 && null != fd)
                        (void) close(null);
        }
        return closed;
}

/* What a command printed must have reached its standard output: "skillrun token ci >> tokens"
 * on a full disk would otherwise exit 0 with the token lost, and "skillrun check > report" say
 * all is well. (run says so itself, for the result it prints.) */
static int stdout_done(int r) {
        errno = 0;
        if (fflush(stdout) != EOF && !ferror(stdout))
                return r;
        log_error_errno(errno > 0 ? -errno : -EIO, "Failed to write to standard output: %m");
        return r == 0 ? 1 : r;
}

int main(int argc, char **argv) {
        const char *cmd = argc > 1 ? argv[1] : "serve";
        unsigned closed = fill_std_fds();

        /* a worker whose stderr was closed logs to syslog, as under inetd (server.c): nothing
         * reads /dev/null. A command's user closed it on purpose. */
        if ((closed & (1u << STDERR_FILENO)) && streq(cmd, "serve"))
                log_set_syslog_socket(LOG_SYSLOG_SOCKET);
        if (getenv("SKILLRUN_DEBUG"))
                log_set_max_level(LOG_DEBUG);
        /* "skillrun check --help" is a question, as "skillrun --help" is (run has its own) */
        if (argc == 3 && (streq(argv[2], "--help") || streq(argv[2], "-h")) &&
            (streq(cmd, "serve") || streq(cmd, "check") || streq(cmd, "list") || streq(cmd, "token"))) {
                cli_help();
                return stdout_done(0);
        }
        if (streq(cmd, "serve"))
                return extra_arguments(argc, cmd, ": the connection comes on fd 3 or on stdin") ? 2 : server_main();
        if (streq(cmd, "run"))
                return cli_run(argc - 1, argv + 1, closed & (1u << STDIN_FILENO));
        if (streq(cmd, "check"))
                return stdout_done(cli_check(argc - 1, argv + 1));
        if (streq(cmd, "list"))
                return stdout_done(cli_list(argc - 1, argv + 1));
        if (streq(cmd, "token"))
                return stdout_done(cli_token(argc - 1, argv + 1));
        if (streq(cmd, "--version") || streq(cmd, "version")) {
                if (extra_arguments(argc, cmd, ""))
                        return 2;
                printf("skillrun %s\n", PACKAGE_VERSION);
                return stdout_done(0);
        }
        if (streq(cmd, "--help") || streq(cmd, "-h") || streq(cmd, "help")) {
                if (extra_arguments(argc, cmd, ""))
                        return 2;
                cli_help();
                return stdout_done(0);
        }
        log_error("Unknown command '%s'; see skillrun --help", cmd);
        return 2;
}
