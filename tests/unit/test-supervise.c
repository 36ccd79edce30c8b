/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supervise.c's kill_subtree(): a pid read from /proc/<pid>/task/<pid>/children is signalled only
 * while the process behind it is still a child of the process it was read from. Tested with a
 * real reuse of the number, made deterministic: the test runs in a PID namespace of its own,
 * where writing ns_last_pid gives the next process a chosen number, and pidfd_open_compat() is
 * wrapped (-Wl,--wrap) so that the reuse happens exactly between the read of the children and
 * the pidfd_open(). The worker (W, here a child subreaper that calls supervise_kill_descendants())
 * runs as nobody, the run's top process (A) and the middle one (P) as root: W's SIGKILLs to
 * them fail with EPERM, so they stay and reap their children, and report each one's wait status.
 * Nothing is timed: which process got which signal is known exactly. Also: a child that P's
 * second thread forked, listed only in that thread's children file, is found; and with
 * pidfd_signal() refused as a filter would, the fallback to kill(2) by number reaches a live
 * process and no reused number. Needs root. */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "next-pid.h"
#include "supervise.h"
#include "tap.h"
#include "util.h"

/* ---- in W: the seam, and what it saw ---- */

typedef struct Sig {
        int pid, sig, err; /* the pidfd's process (its Pid: in fdinfo), the signal, errno or 0 */
} Sig;

static pid_t reuse_at; /* pidfd_open_compat() of this number: ask the test to reuse it first */
static pid_t reuse_at_signal; /* pidfd_signal() to this number's pidfd: the same */
static bool refuse_signal;    /* pidfd_signal(): EPERM, as a seccomp filter refusing only pidfd_send_signal */
static int req_fd = -1, ack_fd = -1;
static Sig sigs[64];
static int n_sigs;

static void ask_reuse(pid_t *at, pid_t pid) {
        char c;
        if (*at <= 0 || pid != *at)
                return;
        *at = 0;
        if (write(req_fd, &pid, sizeof pid) != sizeof pid || read(ack_fd, &c, 1) != 1)
                _exit(90);
}

int __real_pidfd_open_compat(pid_t pid);
int __wrap_pidfd_open_compat(pid_t pid);
int __wrap_pidfd_open_compat(pid_t pid) {
        ask_reuse(&reuse_at, pid);
        return __real_pidfd_open_compat(pid);
}

static int fdinfo_pid(int fd) {
        char path[64], buf[1024];
        const char *p;
        ssize_t k;
        int f;

        snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
        f = open(path, O_RDONLY | O_CLOEXEC);
        if (f < 0)
                return -2;
        k = read(f, buf, sizeof buf - 1);
        close(f);
        buf[k > 0 ? k : 0] = 0;
        p = strstr(buf, "\nPid:");
        return p ? atoi(p + 5) : -2;
}

int __real_pidfd_signal(int pidfd, int sig);
int __wrap_pidfd_signal(int pidfd, int sig);
int __wrap_pidfd_signal(int pidfd, int sig) {
        int pid = fdinfo_pid(pidfd), r, e;

        ask_reuse(&reuse_at_signal, pid);
        if (refuse_signal) {
                r = -1;
                e = EPERM;
        } else {
                r = __real_pidfd_signal(pidfd, sig);
                e = errno;
        }
        if (n_sigs < (int) ELEMENTSOF(sigs))
                sigs[n_sigs++] = (Sig) { pid, sig, r < 0 ? e : 0 };
        errno = e;
        return r;
}

/* ---- the processes ---- */

typedef struct Rep {
        int reaper, pid, status;
} Rep;

static int rep[2];   /* reaper processes -> the test: who reaped whom, with what status */
static int ready[2]; /* a process of the tree -> whoever waits for it: set up */
static Rep reps[64];
static int n_reps;

static void become_nobody(void) {
        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                _exit(91);
        /* else /proc/self/fdinfo is root's: the worker reads its pidfds' there */
        (void) prctl(PR_SET_DUMPABLE, 1);
}

static _noreturn_ void nobody_probe(void) {
        become_nobody();
        _exit(0);
}

static _noreturn_ void nobody_pause(void) {
        become_nobody();
        if (write(ready[1], "x", 1) != 1)
                _exit(92);
        for (;;)
                pause();
}

/* root, so that the worker cannot kill it: reaps its children and says how they ended */
static _noreturn_ void reap_and_report(void) {
        for (;;) {
                int st;
                pid_t p = waitpid(-1, &st, 0);
                if (p > 0) {
                        Rep r = { getpid(), p, st };
                        if (write(rep[1], &r, sizeof r) != sizeof r)
                                _exit(93);
                } else if (errno != EINTR)
                        _exit(0);
        }
}

static void wait_ready(int n) {
        char c;
        for (int i = 0; i < n; i++)
                assert_se(read(ready[0], &c, 1) == 1);
}

/* The status 'reaper' (0: any) reported for 'pid', waiting up to timeout_ms; -1 if none. */
static int reported(pid_t reaper, pid_t pid, int timeout_ms) {
        for (;;) {
                for (int i = 0; i < n_reps; i++)
                        if ((reaper == 0 || reps[i].reaper == reaper) && reps[i].pid == pid)
                                return reps[i].status;
                struct pollfd p = { .fd = rep[0], .events = POLLIN };
                if (poll(&p, 1, timeout_ms) <= 0 || n_reps == (int) ELEMENTSOF(reps))
                        return -1;
                assert_se(read(rep[0], &reps[n_reps++], sizeof(Rep)) == sizeof(Rep));
        }
}

/* A scenario's start: no report of the last one's, numbers from 'base' on (fork_at() rewinds them) */
static void fresh(int base) {
        struct pollfd p = { .fd = rep[0], .events = POLLIN };
        Rep r;
        while (poll(&p, 1, 0) == 1 && read(rep[0], &r, sizeof r) == sizeof r)
                ;
        n_reps = 0;
        assert_se(set_next_pid(base) == 0);
}

static pid_t proc_parent(pid_t pid) {
        char path[64], buf[512], *rp;
        int ppid = -1;
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        if (!(f = fopen(path, "re")))
                return -1;
        if (fgets(buf, sizeof buf, f) && (rp = strrchr(buf, ')')) && sscanf(rp + 1, " %*c %d", &ppid) != 1)
                ppid = -1;
        fclose(f);
        return ppid;
}

static bool killed_by(int status, int sig) {
        return status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

/* What W sends back when supervise_kill_descendants() returns. */
typedef struct Done {
        pid_t p, leaf; /* A's children, or A's child P and P's child */
        size_t left;
        int n_sigs;
        Sig sigs[64];
} Done;

static int count_sigs(const Done *d, int pid, int sig, int err) {
        int n = 0;
        for (int i = 0; i < d->n_sigs; i++)
                n += d->sigs[i].pid == pid && d->sigs[i].sig == sig && d->sigs[i].err == err;
        return n;
}

static int req[2], ack[2], done[2], tree[2];

/* The shape of the run's tree below A (root): two children, both nobody; or a chain, P (root)
 * and its child H (nobody); or P with H forked by P's second thread, not its main one. */
typedef enum Shape { TWO_KIDS, CHAIN, CHAIN_THREAD } Shape;

/* When the test is asked to reuse the number of A's first child (TWO_KIDS) or of P's child:
 * never, at its pidfd_open, or at its pidfd_signal, which then (for every process) a filter
 * refuses. */
typedef enum Reuse { NO_REUSE, REUSE_AT_OPEN, REUSE_AT_REFUSED_SIGNAL } Reuse;

/* P's second thread: forks H, which ignores SIGTERM (only SIGKILL ends it), says so to P's main
 * thread, and stays, so that H stays its child and not the main thread's. */
static int forked[2];

static void *fork_from_thread(void *arg) {
        pid_t *kids = arg;

        kids[1] = fork();
        if (kids[1] == 0) {
                (void) signal(SIGTERM, SIG_IGN);
                nobody_pause();
        }
        if (write(forked[1], "x", 1) != 1)
                _exit(98);
        for (;;)
                pause();
}

/* W: a child subreaper, whose child A (root) has the tree 'shape'. Sends its Done. */
static _noreturn_ void worker(Shape shape, Reuse reuse) {
        Done d = {};

        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        pid_t a = fork();
        if (a == 0) {
                pid_t kids[2] = {};
                if (shape != TWO_KIDS) {
                        kids[0] = fork();
                        if (kids[0] == 0) {
                                pthread_t t;
                                char c;
                                kids[0] = getpid();
                                if (shape == CHAIN_THREAD) {
                                        /* P's main thread reaps H: a wait covers the whole thread group's children */
                                        if (pipe2(forked, O_CLOEXEC) < 0 ||
                                            pthread_create(&t, NULL, fork_from_thread, kids) != 0 ||
                                            read(forked[0], &c, 1) != 1)
                                                _exit(99);
                                } else if ((kids[1] = fork()) == 0)
                                        nobody_pause();
                                if (write(tree[1], kids, sizeof kids) != sizeof kids)
                                        _exit(94);
                                reap_and_report();
                        }
                } else {
                        for (int i = 0; i < 2; i++)
                                if ((kids[i] = fork()) == 0)
                                        nobody_pause();
                        if (write(tree[1], kids, sizeof kids) != sizeof kids)
                                _exit(94);
                }
                reap_and_report();
        }
        assert_se(a > 0);
        pid_t kids[2];
        assert_se(read(tree[0], kids, sizeof kids) == sizeof kids);
        d.p = kids[0];
        d.leaf = kids[1];
        wait_ready(shape == TWO_KIDS ? 2 : 1);
        pid_t target = shape == TWO_KIDS ? d.p : d.leaf;
        reuse_at = reuse == REUSE_AT_OPEN ? target : 0;
        reuse_at_signal = reuse == REUSE_AT_REFUSED_SIGNAL ? target : 0;
        refuse_signal = reuse == REUSE_AT_REFUSED_SIGNAL;
        req_fd = req[1];
        ack_fd = ack[0];
        become_nobody();
        d.left = supervise_kill_descendants();
        d.n_sigs = n_sigs;
        memcpy(d.sigs, sigs, sizeof sigs);
        if (write(done[1], &d, sizeof d) != sizeof d)
                _exit(95);
        _exit(0);
}

static pid_t start_worker(Shape shape, Reuse reuse) {
        fflush(stdout);
        pid_t w = fork();
        assert_se(w >= 0);
        if (w == 0)
                worker(shape, reuse);
        return w;
}

static bool get_done(Done *d) {
        struct pollfd p = { .fd = done[0], .events = POLLIN };
        /* 200 rounds of SIGKILL take a second or two when something is left */
        return poll(&p, 1, 20000) == 1 && read(done[0], d, sizeof *d) == sizeof *d;
}

static pid_t get_request(void) {
        struct pollfd p = { .fd = req[0], .events = POLLIN };
        pid_t pid = 0;
        if (poll(&p, 1, 20000) != 1 || read(req[0], &pid, sizeof pid) != sizeof pid)
                return -1;
        return pid;
}

static void sigs_diag(const Done *d) {
        for (int i = 0; i < MIN(d->n_sigs, 6); i++)
                printf("#   pidfd_signal: pid %d, signal %d, errno %d\n", d->sigs[i].pid, d->sigs[i].sig,
                       d->sigs[i].err);
}

/* A's children G and G2 are read; before G's pidfd is opened, G dies, A reaps it and V, a child
 * of the test's (not A's), gets G's number. V must live on; G2 dies of the walk's SIGKILL. With
 * REUSE_AT_REFUSED_SIGNAL, a filter refuses pidfd_send_signal(2) (EPERM) and the reuse comes
 * after G's pidfd was opened, checked and signalled: the fallback to kill(2) by number must not
 * reach V, and must still reach G2. */
static void reuse_by_another_parent(Reuse when, int base, const char *what) {
        int refused = when == REUSE_AT_REFUSED_SIGNAL ? EPERM : 0;
        Done d = {};
        int wst = -1, vst = -1;
        char c = 'k';

        fresh(base);
        pid_t w = start_worker(TWO_KIDS, when);
        pid_t g = get_request();
        assert_se(g > 0);
        assert_se(kill(g, SIGKILL) == 0);
        is_int(killed_by(reported(0, g, 10000), SIGKILL), 1, "%s: G is reaped by A (set-up)", what);
        pid_t v = fork_at(g);
        if (v == 0)
                nobody_pause();
        assert_se(v == g);
        wait_ready(1);
        assert_se(write(ack[1], &c, 1) == 1);

        assert_se(get_done(&d));
        assert_se(waitpid(w, &wst, 0) == w);
        is_int(wst, 0, "%s: the worker ends", what);
        is_int(d.left, 0, "%s: supervise_kill_descendants() leaves nothing of its own", what);
        is_int(waitpid(v, &vst, WNOHANG), 0, "%s: V, now at G's number, is alive after the walk", what);
        is_int(count_sigs(&d, g, SIGKILL, refused), refused ? 1 : 0, "%s: %s", what,
               refused ? "G's pidfd got one SIGKILL, refused" : "no SIGKILL went to G's number");
        is_int(reported(0, d.leaf, 0) >= 0 && killed_by(reported(0, d.leaf, 0), SIGKILL), 1,
               "%s: G2 (a real grandchild) died of SIGKILL, reaped by A", what);
        ok(count_sigs(&d, d.leaf, SIGKILL, refused) >= 1, "%s: %s", what,
           refused ? "by kill(2), its pidfd's SIGKILL refused" : "through its pidfd");
        if (vst < 0 || waitpid(v, &vst, WNOHANG) == 0) {
                (void) kill(v, SIGTERM);
                (void) waitpid(v, &vst, 0);
        }
        is_int(killed_by(vst, SIGTERM), 1, "%s: V ends by the test's SIGTERM, not SIGKILL (status %#x)", what, vst);
        sigs_diag(&d);
}

/* A - P - H, with P read as H's parent: before H's pidfd is opened, H and P die (P reaps H, A
 * P), P2 gets P's number and H2, P2's child, H's. H2's parent has the number read, but it is not
 * the process it was read from (whose pidfd no longer answers): H2 must live on. */
static void reuse_of_the_parent(void) {
        Done d = {};
        int wst = -1, st;
        char c = 'k';

        fresh(200);
        pid_t w = start_worker(CHAIN, REUSE_AT_OPEN);
        pid_t h = get_request();
        assert_se(h > 0);
        pid_t p = proc_parent(h);
        assert_se(p > 0);
        assert_se(kill(h, SIGKILL) == 0);
        is_int(killed_by(reported(p, h, 10000), SIGKILL), 1, "parent reused: H is reaped by P (set-up)");
        /* P, with no child left, exits */
        st = reported(0, p, 10000);
        is_int(st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0, "parent reused: P exits, A reaps it (set-up)");
        pid_t p2 = fork_at(p);
        if (p2 == 0) {
                pid_t h2 = fork_at(h);
                if (h2 == 0)
                        nobody_pause();
                if (h2 != h)
                        _exit(96);
                reap_and_report();
        }
        assert_se(p2 == p);
        wait_ready(1);
        n_reps = 0; /* P's, of H: P2 has P's number */
        assert_se(write(ack[1], &c, 1) == 1);

        assert_se(get_done(&d));
        assert_se(waitpid(w, &wst, 0) == w);
        is_int(wst, 0, "parent reused: the worker ends");
        is_int(d.left, 0, "parent reused: supervise_kill_descendants() leaves nothing of its own");
        is_int(reported(p2, h, 0), -1, "parent reused: H2, now at H's number, is alive after the walk");
        is_int(count_sigs(&d, h, SIGKILL, 0), 0, "parent reused: no SIGKILL went to H's number");
        (void) kill(h, SIGTERM);
        st = reported(p2, h, 10000);
        is_int(killed_by(st, SIGTERM), 1, "parent reused: H2 ends by the test's SIGTERM, not SIGKILL (status %#x)", st);
        assert_se(waitpid(p2, &st, 0) == p2);
        sigs_diag(&d);
}

/* A - P - H, P root: the worker may not signal P (EPERM, to its SIGKILL and to the probe whether
 * it still lives), but H it may, and P is alive: H dies of SIGKILL. With CHAIN_THREAD, H was
 * forked by P's second thread, and is listed in that thread's children file, not in the main
 * thread's: it must be found all the same. */
static void parent_not_signallable(Shape shape, int base, const char *what) {
        Done d = {};
        int wst = -1, st;

        fresh(base);
        pid_t w = start_worker(shape, NO_REUSE);
        assert_se(get_done(&d));
        st = reported(d.p, d.leaf, 2000);
        is_int(killed_by(st, SIGKILL), 1, "%s: H died of SIGKILL, reaped by P (status %#x)", what, st);
        ok(count_sigs(&d, d.leaf, SIGKILL, 0) >= 1, "%s: through its pidfd", what);
        ok(count_sigs(&d, d.p, SIGKILL, EPERM) >= 1, "%s: P's SIGKILL was refused (EPERM)", what);
        if (st < 0) { /* left: end it all, from the bottom */
                (void) kill(d.leaf, SIGKILL);
                (void) reported(d.p, d.leaf, 10000);
        }
        assert_se(waitpid(w, &wst, 0) == w);
        is_int(d.left, 0, "%s: supervise_kill_descendants() leaves nothing of its own", what);
        sigs_diag(&d);
}

/* pid 1 of a PID namespace of its own, with its own /proc */
static _noreturn_ void skip_all_now(const char *what) {
        printf("1..0 # SKIP %s: %s\n", what, strerror(errno));
        fflush(stdout);
        _exit(77);
}

static _noreturn_ void in_namespace(void) {
        int st;

        alarm(120); /* a hang ends the namespace, and every process in it */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                skip_all_now("no mount namespace with a /proc of its own");
        if (set_next_pid(2) < 0)
                skip_all_now("cannot choose the next pid (ns_last_pid)");
        pid_t probe = fork();
        if (probe == 0)
                nobody_probe();
        if (probe < 0 || waitpid(probe, &st, 0) != probe || st != 0) {
                errno = EPERM;
                skip_all_now("cannot become uid 65534 here");
        }
        assert_se(pipe2(rep, O_CLOEXEC) == 0 && pipe2(ready, O_CLOEXEC) == 0 && pipe2(req, O_CLOEXEC) == 0 &&
                  pipe2(ack, O_CLOEXEC) == 0 && pipe2(done, O_CLOEXEC) == 0 && pipe2(tree, O_CLOEXEC) == 0);
        reuse_by_another_parent(REUSE_AT_OPEN, 100, "other parent");
        reuse_by_another_parent(REUSE_AT_REFUSED_SIGNAL, 500, "other parent, pidfd_send_signal refused");
        reuse_of_the_parent();
        parent_not_signallable(CHAIN, 300, "parent not signallable");
        parent_not_signallable(CHAIN_THREAD, 400, "parent not signallable, child of its thread");
        int r = done_testing();
        fflush(stdout);
        _exit(r);
}

int main(void) {
        int st;

        if (geteuid() != 0)
                tap_skip_all("a worker that may not signal the run's top process: needs root");
        fflush(stdout);
        pid_t c = fork();
        assert_se(c >= 0);
        if (c == 0) {
                if (unshare(CLONE_NEWPID) < 0) {
                        printf("1..0 # SKIP no PID namespace: %s\n", strerror(errno));
                        fflush(stdout);
                        _exit(77);
                }
                pid_t n = fork();
                if (n == 0)
                        in_namespace();
                if (n < 0 || waitpid(n, &st, 0) != n)
                        _exit(97);
                if (WIFSIGNALED(st)) {
                        printf("Bail out! the test's pid 1 died of signal %d\n", WTERMSIG(st));
                        fflush(stdout);
                        _exit(1);
                }
                _exit(WEXITSTATUS(st));
        }
        assert_se(waitpid(c, &st, 0) == c);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
