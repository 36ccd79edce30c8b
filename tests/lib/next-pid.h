/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A chosen number for the next process: for a test that makes a number be reused at a given
 * moment, run in a PID namespace of its own (where it may write ns_last_pid, and nothing else
 * forks meanwhile) with a /proc of that namespace. */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

/* The next process of this namespace is numbered 'next'. 0, or -1 with errno set. */
static inline int set_next_pid(pid_t next) {
        char buf[32];
        int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
        int n = snprintf(buf, sizeof buf, "%d", (int) next - 1), r;

        if (fd < 0)
                return -1;
        r = write(fd, buf, (size_t) n) == n ? 0 : -1;
        close(fd);
        return r;
}

/* fork(), the child numbered 'want' (free) */
static inline pid_t fork_at(pid_t want) {
        return set_next_pid(want) < 0 ? -1 : fork();
}
