/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The request reading that bench/floor and bench/sandbox-floor share: the least a worker can
 * do, read the head and a Content-Length body, parse nothing else. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define HEAD_MAX 16384

static int read_request(int fd) {
        char buf[HEAD_MAX + 1];
        size_t len = 0;
        char *end = NULL;

        while (!end) {
                ssize_t n;

                if (len >= HEAD_MAX)
                        return -E2BIG;
                n = read(fd, buf + len, HEAD_MAX - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -ECONNRESET;
                len += (size_t) n;
                buf[len] = 0;
                end = strstr(buf, "\r\n\r\n");
        }

        /* Drain a body so that closing does not reset the connection under the response. */
        size_t have = len - (size_t) (end + 4 - buf), want = 0;
        for (char *p = buf; p < end; p = strchr(p, '\n') + 1) {
                if (strncasecmp(p, "Content-Length:", 15) == 0) {
                        want = strtoul(p + 15, NULL, 10);
                        break;
                }
                if (!strchr(p, '\n'))
                        break;
        }
        while (have < want) {
                ssize_t n = read(fd, buf, want - have < HEAD_MAX ? want - have : HEAD_MAX);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -ECONNRESET;
                have += (size_t) n;
        }
        return 0;
}
