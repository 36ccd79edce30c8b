/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The latency floor for bench/core-latency: the least a per-connection worker can do.
 * Takes the connection from socket activation (fd 3) or stdin, reads the request head
 * (and a Content-Length body), fork/execs /bin/true, waits for it and writes a fixed
 * 200 JSON response. No parsing beyond that, no auth, no sandbox, no logging. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "floor-request.h"

static int run_true(void) {
        static char *const argv[] = { (char *) "/bin/true", NULL };
        static char *const envp[] = { (char *) "PATH=/usr/bin:/bin", NULL };
        int status;
        pid_t pid;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execve(argv[0], argv, envp);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int main(void) {
        static const char body_fmt[] = "{\"outcome\":\"ok\",\"exit_code\":%d}";
        const char *e = getenv("LISTEN_FDS");
        int fd = e && atoi(e) >= 1 ? 3 : STDIN_FILENO;
        char body[64], resp[256];
        int n, m, rc;

        if (read_request(fd) < 0)
                return 1;
        rc = run_true();
        n = snprintf(body, sizeof body, body_fmt, rc);
        m = snprintf(resp, sizeof resp,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     "Connection: close\r\n\r\n%s",
                     n, body);
        for (int off = 0; off < m;) {
                ssize_t w = write(fd, resp + off, (size_t) (m - off));
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return 1;
                off += (int) w;
        }
        return 0;
}
