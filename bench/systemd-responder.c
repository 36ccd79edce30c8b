/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floor of bench/systemd-latency.py: a per-connection instance that reads one HTTP request
 * head from the socket-activated connection (fd 3, or stdin) and answers a fixed 200 JSON
 * response, doing nothing else. Run under a unit with the same hardening and limits as
 * skillrun@.service, the difference to skillrun is skillrun's own cost. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
        static const char response[] =
                "HTTP/1.1 200 OK\r\n"
                "Content-Type: application/json\r\n"
                "Content-Length: 16\r\n"
                "Connection: close\r\n"
                "\r\n"
                "{\"status\":\"ok\"}\n";
        const char *e = getenv("LISTEN_FDS");
        int fd = e && atoi(e) >= 1 ? 3 : 0;
        char buf[16384];
        size_t len = 0, want = 0;

        /* Read the head and a small body (closing with unread input would reset the
         * connection before the client reads the answer), at most 10 s. */
        while (len < sizeof(buf) - 1) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (poll(&p, 1, 10000) <= 0)
                        return 0;
                n = read(fd, buf + len, sizeof(buf) - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return 0;
                len += (size_t) n;
                buf[len] = '\0';
                if (want == 0) {
                        const char *end = strstr(buf, "\r\n\r\n"), *cl;

                        if (!end)
                                continue;
                        cl = strcasestr(buf, "\r\ncontent-length:");
                        want = (size_t) (end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
                }
                if (len >= want)
                        break;
        }
        if (send(fd, response, sizeof(response) - 1, MSG_NOSIGNAL) < 0)
                return 0;
        shutdown(fd, SHUT_WR);
        return 0;
}
