/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* For bench/worker-ab: times per-connection workers on a socketpair, without the network,
 * socket activation or a client in between, so that a small change to one worker shows.
 *
 *   ab-driver N REQUEST-FILE [UID:GID] -- WORKER...
 *
 * Sends the request in REQUEST-FILE to each WORKER (a path, run without arguments, with this
 * environment) as its stdin and stdout, reads the answer to EOF and times that, from before the
 * fork. The workers take turns, ten requests each, in rounds whose order flips every time, so
 * that drifting load hits them alike. With UID:GID, as root, each worker runs as that user the
 * way the shipped unit runs skillrun: no supplementary groups, no capability in any set, an
 * empty bounding set, no_new_privs. Prints one line per worker: "p25 p50 p75" in microseconds,
 * then the median of its peak resident set in KiB (wait4's ru_maxrss: the worker's, or its
 * skill's if that was larger), of its CPU time in microseconds (wait4's user + system time: the
 * worker's and its skill's together, which is what two workers on two CPUs compete for), and of
 * the time from the answer's end to its exit (what it still does after the answer: cleanup, the
 * log record, tearing the process down). An answer that is not "HTTP/1.1 200" stops everything
 * (exit 1). */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TURN 10

static double now_us(void) {
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec * 1e6 + (double) t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

static void become(unsigned uid, unsigned gid) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        for (int c = 0; c <= CAP_LAST_CAP; c++)
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        _exit(126);
        if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0 ||
            syscall(SYS_capset, &h, d) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                _exit(126);
}

typedef struct Cost {
        double rss_kb, cpu_us, after_us;
} Cost;

static double tv_us(struct timeval tv) {
        return (double) tv.tv_sec * 1e6 + (double) tv.tv_usec;
}

/* One request to worker path: its time in microseconds, or < 0; *ret the rest of what it cost. */
static double one(const char *path, const char *req, size_t req_len, int as_user, unsigned uid, unsigned gid,
                  Cost *ret) {
        struct rusage ru = {};
        char buf[8192], head[16] = "";
        size_t got = 0;
        ssize_t k;
        int sv[2], status;
        double t0, t1;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -1;
        if (write(sv[0], req, req_len) != (ssize_t) req_len)
                return -1;
        t0 = now_us();
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                char *argv[] = { (char *) path, NULL };
                if (as_user)
                        become(uid, gid);
                if (dup2(sv[1], STDIN_FILENO) < 0 || dup2(sv[1], STDOUT_FILENO) < 0)
                        _exit(126);
                execv(path, argv);
                _exit(127);
        }
        close(sv[1]);
        while ((k = read(sv[0], buf, sizeof buf)) > 0) {
                if (got < sizeof head - 1)
                        memcpy(head + got, buf, (size_t) k < sizeof head - 1 - got ? (size_t) k : sizeof head - 1 - got);
                got += (size_t) k;
        }
        t1 = now_us();
        close(sv[0]); /* a worker's lingering close waits for this */
        while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
                ;
        ret->rss_kb = (double) ru.ru_maxrss;
        ret->cpu_us = tv_us(ru.ru_utime) + tv_us(ru.ru_stime);
        ret->after_us = now_us() - t1;
        if (strncmp(head, "HTTP/1.1 200", 12) != 0) {
                fprintf(stderr, "ab-driver: %s answered '%s' (exit status %d)\n", path, head, status);
                return -1;
        }
        return t1 - t0;
}

int main(int argc, char **argv) {
        unsigned uid = 0, gid = 0;
        int as_user = 0, first, n, rounds, workers;
        char req[65536];
        size_t req_len;
        double *t, *rss, *cpu, *after;
        FILE *f;

        if (argc < 5)
                goto usage;
        n = atoi(argv[1]);
        f = fopen(argv[2], "re");
        if (!f || n < TURN) {
                fprintf(stderr, "ab-driver: %s: %s\n", argv[2], f ? "N below 10" : strerror(errno));
                return 2;
        }
        req_len = fread(req, 1, sizeof req, f);
        fclose(f);
        first = 3;
        if (strcmp(argv[3], "--") != 0) {
                if (sscanf(argv[3], "%u:%u", &uid, &gid) != 2)
                        goto usage;
                as_user = 1;
                first = 4;
        }
        if (first >= argc || strcmp(argv[first], "--") != 0)
                goto usage;
        first++;
        workers = argc - first;
        if (workers < 1)
                goto usage;
        rounds = n / TURN;
        t = calloc((size_t) workers * (size_t) rounds * TURN, sizeof(double));
        rss = calloc((size_t) workers * (size_t) rounds * TURN, sizeof(double));
        cpu = calloc((size_t) workers * (size_t) rounds * TURN, sizeof(double));
        after = calloc((size_t) workers * (size_t) rounds * TURN, sizeof(double));
        if (!t || !rss || !cpu || !after)
                return 2;

        for (int r = 0; r < rounds; r++)
                for (int w = 0; w < workers; w++) {
                        int which = r % 2 ? workers - 1 - w : w;
                        for (int i = 0; i < TURN; i++) {
                                size_t at = ((size_t) which * rounds + r) * TURN + i;
                                Cost c;
                                double us = one(argv[first + which], req, req_len, as_user, uid, gid, &c);
                                if (us < 0)
                                        return 1;
                                t[at] = us;
                                rss[at] = c.rss_kb;
                                cpu[at] = c.cpu_us;
                                after[at] = c.after_us;
                        }
                }
        for (int w = 0; w < workers; w++) {
                size_t m = (size_t) rounds * TURN, o = (size_t) w * m;
                double *s = t + o, *kb = rss + o, *c = cpu + o, *a = after + o;
                qsort(s, m, sizeof(double), cmp_double);
                qsort(kb, m, sizeof(double), cmp_double);
                qsort(c, m, sizeof(double), cmp_double);
                qsort(a, m, sizeof(double), cmp_double);
                printf("%.1f %.1f %.1f %.0f %.0f %.0f\n", s[m / 4], s[m / 2], s[m * 3 / 4], kb[m / 2], c[m / 2], a[m / 2]);
        }
        free(t);
        free(rss);
        free(cpu);
        free(after);
        return 0;
usage:
        fprintf(stderr, "usage: ab-driver N REQUEST-FILE [UID:GID] -- WORKER...\n");
        return 2;
}
