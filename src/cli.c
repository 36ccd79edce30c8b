/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "abbot.h"
#include "auth.h"
#include "cgroup.h"
#include "cli.h"
#include "execdeps.h"
#include "journal.h"
#include "landlock-policy.h"
#include "landlock-secrets.h"
#include "log.h"
#include "manifest.h"
#include "response.h"
#include "run.h"
#include "sandbox.h"

void cli_help(void) {
        printf("Usage: skillrun [COMMAND] [OPTIONS]\n"
               "\n"
               "Run one skill per HTTP request in a kernel sandbox (socket-activated worker).\n"
               "\n"
               "Commands:\n"
               "  serve                    Handle the connection on fd 3 (socket activation) or stdin (default)\n"
               "  run NAME [OPTIONS]       Run a skill locally through the same sandbox; print the result JSON\n"
               "      --input FILE|-       Give FILE (or standard input) to the skill's stdin\n"
               "      --request FILE|-     Use FILE as the whole run request body (JSON, see skillrun.skill(5))\n"
               "      --arg ARG            Append ARG to the skill's command (repeatable)\n"
               "  check                    Validate configuration and every manifest; print kernel features\n"
               "  list                     List the skills\n"
               "  token NAME               Print a new NAME:TOKEN line for the tokens file\n"
               "\n"
               "Options:\n"
               "  -h --help                Show this help\n"
               "     --version             Show the version\n"
               "\n"
               "Configuration: %s (or $SKILLRUN_CONFIG), SKILLRUN_<KEY> environment variables.\n"
               "See skillrun(8), skillrun.conf(5), skillrun.skill(5).\n",
               DEFAULT_CONFIG_PATH);
}

static int load_settings(Settings *s) {
        _cleanup_free_ char *err = NULL;
        int r;

        r = settings_load(s, &err);
        if (r < 0) {
                log_error("%s", err ? err : strerror(-r));
                settings_done(s);
                return r;
        }
        return 0;
}

static int read_input(const char *path, size_t max, char **ret, size_t *ret_len) {
        if (streq(path, "-"))
                return read_full_fd(STDIN_FILENO, max, ret, ret_len);
        return read_full_file(path, max, ret, ret_len);
}

#define RUN_USAGE "Usage: skillrun run NAME [--input FILE|-] [--request FILE|-] [--arg ARG]..."

int cli_run(int argc, char **argv, bool stdin_closed) {
        static const struct option options[] = {
                { "input", required_argument, NULL, 'i' },
                { "request", required_argument, NULL, 'r' },
                { "arg", required_argument, NULL, 'a' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_manifest_ Manifest *m = NULL;
        _cleanup_free_ char *err = NULL, *body = NULL;
        _cleanup_free_ char **args = calloc(argc, sizeof(char *)); /* the --arg values, in argv */
        size_t n_args = 0;
        const char *input = NULL, *request = NULL, *name;
        Settings s;
        RunRequest req = {};
        RunResult res;
        RequestLog log = REQUEST_LOG_INIT;
        size_t len = 0;
        int c, r, ret = 1;

        if (!args)
                return log_error_errno(-ENOMEM, "Out of memory"), 1;
        /* getopt's own messages start with argv[0]: "skillrun run: ...", not "run: ..." */
        argv[0] = (char *) "skillrun run";
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'i':
                case 'r':
                        /* one body per run: a second one would silently replace the first */
                        if (c == 'i' ? input : request) {
                                log_error("--%s given twice", c == 'i' ? "input" : "request");
                                return 2;
                        }
                        *(c == 'i' ? &input : &request) = optarg;
                        break;
                case 'a':
                        args[n_args++] = optarg;
                        break;
                case 'h':
                        /* as "skillrun check --help" (main.c): help lost on a full disk is no success */
                        cli_help();
                        errno = 0;
                        if (fflush(stdout) == EOF || ferror(stdout)) {
                                log_error_errno(errno > 0 ? -errno : -EIO, "Failed to write to standard output: %m");
                                return 1;
                        }
                        return 0;
                default:
                        /* getopt said what was wrong; say what is right, as for a missing NAME */
                        log_error("%s", RUN_USAGE);
                        return 2;
                }
        if (optind + 1 != argc) {
                log_error("%s", RUN_USAGE);
                return 2;
        }
        if (input && request) {
                log_error("--input and --request are mutually exclusive");
                return 2;
        }
        name = argv[optind];
        /* "<&-": the input asked for is missing, not empty (as cat says of it), and no skill runs
         * on the /dev/null in its place */
        if (stdin_closed && streq_ptr(request ? request : input, "-")) {
                log_error("--%s -: standard input is closed", request ? "request" : "input");
                return 1;
        }

        if (load_settings(&s) < 0)
                return 1;
        r = manifest_load(&s, name, &m, &err);
        if (r == -ENOENT) {
                _cleanup_free_ char *dirs = NULL;
                size_t n = 0;
                for (char **d = s.skills_dirs; d && *d; d++)
                        n += strlen(*d) + 1;
                dirs = calloc(1, n + 1);
                for (char **d = s.skills_dirs; dirs && d && *d; d++)
                        strcat(strcat(dirs, d == s.skills_dirs ? "" : ":"), *d);
                log_error("No skill named '%s' in '%s'", name, dirs ? dirs : "?");
                goto out;
        }
        if (r < 0) {
                log_error("%s", err ? err : strerror(-r));
                goto out;
        }
        if (request || input) {
                r = read_input(request ? request : input, (size_t) s.max_body, &body, &len);
                if (r == -EFBIG) {
                        /* the setting that bounds it, not the file system's "File too large" */
                        _cleanup_free_ char *max = settings_format_size(s.max_body);
                        const char *what = request ? request : input;
                        if (streq(what, "-"))
                                log_error("Standard input is larger than max_body (%s)", max ? max : "?");
                        else
                                log_error("'%s' is larger than max_body (%s)", what, max ? max : "?");
                        goto out;
                }
                if (r < 0) {
                        log_error_errno(r, "Failed to read '%s': %m", request ? request : input);
                        goto out;
                }
        }
        if (request) {
                r = run_request_parse(&s, m, body, len, &req, &err);
                if (r < 0) {
                        log_error("%s: %s", request, err ? err : strerror(-r));
                        goto out;
                }
        } else if (input) {
                if (m->input == INPUT_NONE) {
                        log_error("Skill '%s' takes no input", name);
                        goto out;
                }
                req.stdin_data = steal_pointer(&body);
                req.stdin_len = len;
        }
        /* after the request's own */
        if (strv_extend_n(&req.args, args, n_args) < 0)
                goto out;

        /* A skill that closes its stdin before reading all the input costs a write EPIPE, which
         * supervise_run() handles, not this process: killed, it would leave the run's work dir
         * and cgroup behind. As for the server; the child resets dispositions before execve. */
        (void) signal(SIGPIPE, SIG_IGN);

        /* the same path as a served request, confinement of the caller included */
        r = sandbox_confine_worker();
        if (r < 0)
                log_warning_errno(r, "Failed to confine this process, continuing without: %m");

        run_result_init(&res);
        uint64_t t0 = now_usec();
        log.skill = name;
        log.method = "CLI";
        log.path = "run";
        r = run_skill(&s, m, &req, -1, &res, &err);
        if (r < 0) {
                log_error("Running skill '%s' failed: %s", name, err ? err : strerror(-r));
                log.error = err ? err : strerror(-r);
        } else {
                _cleanup_free_ char *text = NULL;
                r = run_result_format(&res, &text, NULL);
                if (r < 0)
                        log_error_errno(r, "Failed to write the result: %m");
                /* no SIGPIPE to end us on a closed stdout: say so, and still clean up */
                else if (printf("%s\n", text) < 0 || fflush(stdout) == EOF)
                        log_error_errno(-errno, "Failed to write the result: %m");
                else
                        ret = 0;
                log.run_id = res.run_id;
                log.outcome = outcome_to_string(res.outcome);
                log.exit_code = res.exit_code;
                log.max_rss_kb = res.max_rss_kb;
        }
        /* one record per run, as a served request has, a run that could not start included;
         * after the cleanup, as the server does, and a stderr that may block must not hold a stop
         * request back */
        log.duration_usec = now_usec() - t0;
        run_cleanup();
        if (getenv("SKILLRUN_LOG_CLI"))
                run_log_record(&log);
        run_result_done(&res);
        run_unblock_stop_signals();
out:
        run_request_done(&req);
        settings_done(&s);
        return ret;
}

/* One line of check's report: what it quotes (file names, keys and values from a manifest) can
 * neither break it in two nor reach the terminal as control characters. */
static void report(const char *fmt, ...) _printf_(1, 2);
static void report(const char *fmt, ...) {
        _cleanup_free_ char *text = NULL, *line = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (r < 0)
                text = NULL; /* undefined after a failure: not ours to free */
        if (!text || !(line = malloc(strlen(text) * 4 + 1))) {
                puts("?");
                return;
        }
        escape_line(text, false, line);
        puts(line);
}

/* How the probe came to the kernel line's cgroup mode: the directories it uses, and why each
 * better layout is not usable ("cgroup: not used: cgroup v1 memory '...': not writable"). */
static void print_cgroup_layout(void) {
        _cleanup_free_ char *text = NULL;
        bool not_used = false;
        char *line, *save = NULL;

        if (cgroup_describe(&text) < 0)
                return;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (streq(line, "not used:")) {
                        not_used = true;
                        continue;
                }
                report("cgroup: %s%s", not_used ? "not used: " : "", line);
        }
}

/* Can the command be executed at all: a file, with an execute bit, and for a script its #!
 * interpreters as execve(2) follows them, each of them there, a file with an execute bit, and the
 * last one ELF. When not, check's error in *ret (allocated). (Who may run it is the sandbox's
 * business; root's access(X_OK) would say yes to nearly anything.) */
static int check_command(const char *file, const char *cmd, char **ret) {
        _cleanup_free_ char *bad = NULL, *via = NULL, *what = NULL;
        struct stat st;
        int r;

        if (stat(cmd, &st) < 0)
                r = -errno;
        else if (S_ISDIR(st.st_mode))
                r = -EISDIR;
        else if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                r = -ENOEXEC;
        else
                r = 0;
        if (r < 0) {
                if (asprintf(ret, "%s: command: '%s': %s", file, cmd,
                             r == -ENOEXEC ? "not executable" : strerror(-r)) < 0)
                        *ret = NULL; /* undefined after a failure */
                return r;
        }
        r = execdeps_chain_fault(cmd, &bad, &via);
        if (r >= 0 || r == -ENOMEM)
                return r;
        if (r == -ELOOP) {
                if (asprintf(ret, "%s: command: '%s': its #! line leads through more than five nested scripts "
                             "('%s' is the sixth), more than the kernel executes: every run would end in "
                             "sandbox_error \"execve: Too many levels of symbolic links\"", file, cmd, via) < 0)
                        *ret = NULL; /* undefined after a failure */
                return r;
        }
        /* the file at fault: the command, the interpreter its #! line names, or one further on */
        if (!via)
                what = strdup("it");
        else if (streq(via, cmd) && asprintf(&what, "the interpreter its #! line names, '%s',", bad) < 0)
                what = NULL;
        else if (!streq(via, cmd) && asprintf(&what, "'%s', the interpreter the #! line of '%s' names,", bad, via) < 0)
                what = NULL;
        if (!what)
                *ret = NULL;
        else if (asprintf(ret, "%s: command: '%s': %s %s", file, cmd, what,
                              r == -ENOENT ? "does not exist" :
                              r == -EACCES ? "is not an executable file: every run would end in sandbox_error "
                                             "\"execve: Permission denied\"" :
                              r == -ELIBBAD ? "is an ELF file this machine does not execute (another "
                                              "architecture's, or no program): every run would end in sandbox_error "
                                              "\"execve: Exec format error\"" :
                                             "is neither an ELF binary nor a script with a #! line: every run "
                                             "would end in sandbox_error \"execve: Exec format error\"") < 0)
                *ret = NULL; /* undefined after a failure; the caller says strerror(-r) */
        return r;
}

/* What check says of a command that landlock_policy_unexecutable() found m's policy would not
 * let the skill execute ('denied': the command itself, or what running it needs; 'how' what it
 * returned: 2 a program its "#!/usr/bin/env" line runs, 3 what that program needs, which env, not
 * the kernel, fails to execute). */
static int unexecutable_error(const char *path, const Manifest *m, const char *denied, int how, char **ret) {
        _cleanup_free_ char *what = NULL;
        const char *p = policy_to_string(m->policy);
        bool by_env = how >= 2;

        if (streq(denied, m->command[0]))
                what = strdup("it");
        else if (how == 2) {
                if (asprintf(&what, "'%s', the program its #!/usr/bin/env line runs", denied) < 0)
                        what = NULL;
        } else if (how == 3) {
                if (asprintf(&what, "'%s', which the program its #!/usr/bin/env line runs needs (its #! interpreter "
                             "or the loader)", denied) < 0)
                        what = NULL;
        } else if (asprintf(&what, "'%s', which running it needs (its #! interpreter or the loader)", denied) < 0)
                what = NULL;
        if (!what)
                return -ENOMEM;
        if (asprintf(ret, "%s: command: '%s': policy %s does not let the skill execute %s (%s "
                     "its own directory '%s/%s/', read_paths and write_paths are granted, through root's "
                     "symlinks only; never a skills directory, the work root or skillrun's files): every run "
                     "would %s", path, m->command[0], p, what,
                     m->policy == POLICY_PERMISSIVE ? "/usr, /bin, /sbin and /lib* are executable, and" :
                                                      "the command and what it needs are executable, and",
                     strempty(m->dir), strempty(m->name),
                     by_env ? "fail with exit code 126 (env: Permission denied), unless env finds another of "
                              "that name further along PATH that the policy lets it execute, and runs that one" :
                              "end in sandbox_error \"execve: Permission denied\"") < 0)
                return -ENOMEM;
        return 0;
}

/* The worker under skillrun@.service is a DynamicUser=, and a skill runs as that user or as
 * run_user: never the owner of what an admin installed, nor in its group. What only they may
 * read passes a check run as root, then fails every request: warned about, as a worker started
 * otherwise may be the owner. */
static bool others_may(const char *path, mode_t want) {
        struct stat st;

        return stat(path, &st) < 0 || (st.st_mode & want) == want;
}

/* Is 'path' a script, which its interpreter opens to read? */
static bool is_script(const char *path) {
        _cleanup_free_ char *interp = NULL;

        return execdeps_script_interpreter(path, &interp) >= 0;
}

/* The first directory on the way to 'path' that other users may not search (a 0700 /root, say),
 * allocated in *ret: by the path as written, and as it resolves (both are walked). 1 when there
 * is one, 0 when not, or where that cannot be told (a path missing, not absolute). */
static int dir_closed_to_others(const char *path, char **ret) {
        _cleanup_free_ char *canon = realpath(path, NULL);
        const char *ways[] = { path, canon };

        *ret = NULL;
        for (size_t w = 0; w < ELEMENTSOF(ways); w++) {
                const char *p = ways[w];
                if (!p || p[0] != '/')
                        continue;
                for (const char *slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                        _cleanup_free_ char *dir = strndup(p, slash - p);
                        struct stat st;

                        if (!dir)
                                return -ENOMEM;
                        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                                break;
                        if (!(st.st_mode & S_IXOTH)) {
                                *ret = steal_pointer(&dir);
                                return 1;
                        }
                }
        }
        return 0;
}

/* What running the command needs beyond itself (its #! interpreters, the loader, the program a
 * "#!/usr/bin/env" line runs) that other users may not execute, every script on the way that
 * they may not read (its interpreter opens it as the skill's user), and of all those and the
 * command, one in a directory they may not search: as of the command, a warning for each, not
 * an error. */
static void check_others_may_run(const char *path, const Manifest *m) {
        _cleanup_strv_free_ char **deps = NULL;
        unsigned via_env = 0, env_needs = 0;

        if (execdeps_collect(m->command[0], manifest_skill_path(m), &deps, &via_env, &env_needs) < 0)
                return;
        for (size_t i = 0; deps && deps[i]; i++) {
                const char *how = (via_env | env_needs) & (1u << i) ? "exit code 126 from env" : "sandbox_error";
                _cleanup_free_ char *what = NULL, *closed = NULL;

                if (i > 0 && asprintf(&what, "'%s', which running it needs,", deps[i]) < 0)
                        return;
                if (dir_closed_to_others(deps[i], &closed) > 0)
                        report("warning: %s: command '%s': %s lies in '%s', which other users may not search: the "
                               "skill runs as the unit's DynamicUser= or as run_user, which cannot execute it (%s)",
                               path, m->command[0], what ? what : "it", closed, how);
                else if (i > 0 && !others_may(deps[i], S_IXOTH))
                        report("warning: %s: command '%s': %s is not executable by other users: the skill runs as "
                               "the unit's DynamicUser= or as run_user, which cannot execute it (%s)", path,
                               m->command[0], what, how);
                else if (!others_may(deps[i], S_IROTH) && is_script(deps[i]))
                        report("warning: %s: command '%s': %s is a script not readable by other users: its "
                               "interpreter runs as the unit's DynamicUser= or as run_user, which cannot read it "
                               "(the run fails)", path, m->command[0], what ? what : "it");
        }
}

/* Settings that pass their own syntax but make runs fail: warnings, as the environment the
 * worker really gets (a unit's Environment=, DynamicUser=) may not be this shell's. */
static void check_run_settings(const Settings *s) {
        _cleanup_free_ char *why = NULL;
        struct stat st;
        uid_t uid;
        gid_t gid;

        if (sandbox_resolve_run_user(s, &uid, &gid, &why) < 0)
                report("warning: %s: a worker running as root refuses every run (under skillrun@.service, "
                       "DynamicUser= makes run_user moot)", why ? why : "run_user");
        int r = stat(s->work_dir, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
        /* a run makes its directory there: not on a read-only mount (root included), nor where
         * this user may not write */
        if (r == 0 && faccessat(AT_FDCWD, s->work_dir, W_OK | X_OK, AT_EACCESS) < 0)
                r = -errno;
        if (r == 0)
                return;
        /* a permission is this user's: a worker running as another may have it */
        _cleanup_free_ char *who = NULL;
        if (r == -EACCES && asprintf(&who, " to uid %u, which runs check: a worker running as it fails every run",
                                     (unsigned) geteuid()) < 0)
                who = NULL;
        if (getenv("SKILLRUN_WORK_DIR"))
                report("warning: work_dir '%s': %s%s (SKILLRUN_WORK_DIR names it)", s->work_dir, strerror(-r),
                       who ? who : ": every run fails");
        else
                report("warning: work_dir '%s': %s%s unless SKILLRUN_WORK_DIR names another (skillrun@.service "
                       "sets it)", s->work_dir, strerror(-r), who ? who : ": every run fails");
}

/* Variables that make a shell, an interpreter or glibc load code from where they say (LD_PRELOAD
 * and its kind are refused outright, PATH too: see manifest.c). */
static const char *const code_loading_env[] = {
        "BASH_ENV", "ENV", "GCONV_PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PERL5LIB", "PERLLIB",
        "PERL5OPT", "RUBYLIB", "RUBYOPT", "NODE_OPTIONS", "NODE_PATH", "LUA_PATH", "LUA_CPATH",
        "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "CLASSPATH", NULL,
};

static bool same_secret(const AuthToken *x, const AuthToken *y) {
        return x->secret_len == y->secret_len && memcmp(x->secret, y->secret, x->secret_len) == 0;
}

/* Ordered by secret, and by place in the file among equal ones. */
static int compare_secrets(const void *a, const void *b) {
        const AuthToken *x = *(const AuthToken *const *) a, *y = *(const AuthToken *const *) b;
        int c = memcmp(x->secret, y->secret, MIN(x->secret_len, y->secret_len));

        if (c != 0)
                return c;
        if (x->secret_len != y->secret_len)
                return x->secret_len < y->secret_len ? -1 : 1;
        return x < y ? -1 : x > y;
}

/* One token under two names: a client presenting it is always the first (auth_check()), so a
 * manifest whose "tokens" lists only the other refuses it. Said by check only: the worker
 * loads the file on every request and has no use for the sort. Never prints a token. */
static void check_shared_tokens(const AuthTokens *t, const char *path) {
        _cleanup_free_ const AuthToken **sorted = NULL;

        if (t->n < 2 || !(sorted = calloc(t->n, sizeof(*sorted))))
                return;
        for (size_t i = 0; i < t->n; i++)
                sorted[i] = &t->tokens[i];
        qsort(sorted, t->n, sizeof(*sorted), compare_secrets);
        for (size_t i = 1, first = 0; i < t->n; i++) {
                if (!same_secret(sorted[first], sorted[i]))
                        first = i;
                else if (!streq(sorted[i]->name, sorted[first]->name))
                        report("warning: tokens file '%s': '%s' has the same token as '%s', so a client "
                               "presenting it is '%s'", path, sorted[i]->name, sorted[first]->name,
                               sorted[first]->name);
        }
}

/* "ci:TOKEN  # the CI server": only whole lines are comments, so the comment is part of a token
 * no client presents (skillrun token makes none with a blank in it). Never prints a token. */
static void check_token_blanks(const AuthTokens *t, const char *path) {
        for (size_t i = 0; i < t->n; i++)
                if (strpbrk(t->tokens[i].secret, " \t"))
                        report("warning: tokens file '%s': the token of '%s' holds a blank, which a client must "
                               "send too (a comment after it? only whole lines are comments)", path,
                               t->tokens[i].name);
}

static bool has_token_named(const AuthTokens *t, const char *name) {
        for (size_t i = 0; i < t->n; i++)
                if (streq(t->tokens[i].name, name))
                        return true;
        return false;
}

/* Any local user could take a client's token from it, or add one of their own: the file the
 * shipped tmpfiles.d entry makes is 0600, but one written with ">" under umask 022 is not. */
static void check_tokens_mode(const char *path) {
        struct stat st;
        mode_t m;

        if (stat(path, &st) < 0 || !(m = st.st_mode & (S_IROTH | S_IWOTH)))
                return;
        report("warning: tokens file '%s': %s by every user of this host (chmod 600 it)", path,
               m == (S_IROTH | S_IWOTH) ? "readable and writable" : m == S_IROTH ? "readable" : "writable");
}

/* The worker reads SKILLRUN_<KEY> for the settings' keys, and SKILLRUN_DEBUG (log.c) and
 * SKILLRUN_LOG_CLI (run) besides; any other (SKILLRUN_TIMEOUTMS, SKILLRUN_timeout_ms) would be
 * ignored without a word. */
static void check_environment(void) {
        _cleanup_free_ char *abbot_error = NULL;
        Policy p;

        for (char **e = environ; e && *e; e++) {
                size_t n = strcspn(*e, "=");

                if (!startswith(*e, "SKILLRUN_") || settings_env_var_known(*e, n) ||
                    startswith(*e, "SKILLRUN_DEBUG=") || startswith(*e, "SKILLRUN_LOG_CLI="))
                        continue;
                report("warning: environment variable %.*s names no setting and is ignored "
                       "(see skillrun.conf(5))", (int) n, *e);
        }
        if (abbot_policy_from_env(&p, &abbot_error) < 0)
                report("warning: %s: POST /api/v1/execute will answer 500", strempty(abbot_error));
}

int cli_check(int argc, char **argv) {
        _cleanup_strv_free_ char **warnings = NULL, **seen = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_(auth_done) AuthTokens tokens = {}; /* kept for the manifests' "tokens" lists */
        _cleanup_(secrets_done) Secrets sec = {};
        SandboxFeatures f = {};
        Settings s;
        bool unlisted = false; /* a skills directory that could not be read */
        bool tokens_read = false;
        int r, errors = 0;

        if (argc != 1) {
                log_error("Usage: skillrun check");
                return 2;
        }
        r = settings_load(&s, &err);
        if (r < 0) {
                report("error: %s", err ? err : strerror(-r));
                settings_done(&s);
                return 1;
        }
        report("config: %s", s.config_path ? s.config_path : DEFAULT_CONFIG_PATH);
        /* fine (skillrun.conf(5)), but a typo in SKILLRUN_CONFIG looks the same: say it was not read */
        if (s.config_path && access(s.config_path, F_OK) < 0 && errno == ENOENT)
                report("note: %s: no such file, built-in defaults and SKILLRUN_<KEY> variables only", s.config_path);
        for (char **w = s.file_warnings; w && *w; w++)
                report("warning: %s", *w);
        if (s.config_path && !others_may(s.config_path, S_IROTH))
                report("warning: %s: not readable by other users: a worker under skillrun@.service "
                       "(DynamicUser=) cannot read it and answers every request with 500", s.config_path);

        r = auth_load(s.tokens_file, &tokens, &warnings);
        if (r < 0)
                /* routes.c: no token presented is 401 before the file is read; one presented is 500 */
                report("warning: tokens file '%s': %s: every request but GET /healthz will be refused "
                       "(500 if it presents a token, 401 if not)",
                       s.tokens_file, auth_load_strerror(r));
        else {
                /* the variable's token is no line of the file: counted into it, a missing file
                 * would show one usable token */
                report("tokens: %zu usable in '%s'%s%s%s%s", tokens.n - tokens.from_env, s.tokens_file,
                       tokens.file_missing ? " (" : "", tokens.file_missing ? strerror(ENOENT) : "",
                       tokens.file_missing ? ")" : "",
                       tokens.from_env ? ", and ABBOT_SKILL_RUNNER_TOKEN's (named '" AUTH_ABBOT_TOKEN_NAME "')" : "");
                if (tokens.n == 0 && tokens.file_missing) /* loaded only for the variable, which was refused */
                        report("warning: tokens file '%s' does not exist and ABBOT_SKILL_RUNNER_TOKEN is refused: "
                               "every request but GET /healthz will be refused with 401 (add a token: skillrun "
                               "token NAME >> '%s')",
                               s.tokens_file, s.tokens_file);
                else if (tokens.n == 0)
                        report("warning: tokens file '%s' has no usable token: every request but GET /healthz "
                               "will be refused with 401 (add one: skillrun token NAME >> '%s')",
                               s.tokens_file, s.tokens_file);
                check_shared_tokens(&tokens, s.tokens_file);
                check_token_blanks(&tokens, s.tokens_file);
                check_tokens_mode(s.tokens_file);
                tokens_read = true;
        }
        for (char **w = warnings; w && *w; w++)
                report("warning: %s", *w);
        check_run_settings(&s);
        check_environment();

        /* once: what the skills below need of it, then the kernel line */
        (void) sandbox_probe(&f);
        /* once too: read per manifest, the skills directories' entries made check quadratic in
         * them (a minute for 10 000 manifests); nothing the manifests say changes it */
        secrets_init(&sec, &s);
        for (char **d = s.skills_dirs; d && *d; d++) {
                DIR *dir = opendir(*d);
                struct dirent *de;

                if (!dir) {
                        if (errno != ENOENT) {
                                report("error: %s: %s", *d, strerror(errno));
                                errors++;
                                unlisted = true;
                        } else  /* not an error: the packaged list names directories one may leave out */
                                report("note: %s: no such directory, no skills from it", *d);
                        continue;
                }
                if (!others_may(*d, S_IROTH | S_IXOTH))
                        report("warning: %s: not readable and searchable by other users: a worker under "
                               "skillrun@.service (DynamicUser=) cannot list or load its skills (500)", *d);
                /* errno tells a failed read (EIO, an NFS server gone) from the end: the manifests
                 * not read are not checked, as list and the worker refuse to list them */
                while ((errno = 0, de = readdir(dir))) {
                        _cleanup_free_ char *path = NULL, *name = NULL, *merr = NULL;
                        _cleanup_manifest_ Manifest *m = NULL;
                        size_t n = strlen(de->d_name);

                        /* ".json" alone names no skill: the loader skips it too */
                        if (!manifest_file_name(de->d_name) || n == strlen(".json"))
                                continue;
                        name = strndup(de->d_name, n - strlen(".json"));
                        path = manifest_file_path(*d, de->d_name, ""); /* as manifest_load() names it */
                        if (!name || !path) {
                                closedir(dir);
                                settings_done(&s);
                                return 1;
                        }
                        if (!skill_name_valid(name)) {
                                report("error: %s: invalid skill name '%s' (want [a-z0-9][a-z0-9_-]{0,63})", path, name);
                                errors++;
                                continue;
                        }
                        if (strv_contains(seen, name)) {
                                report("note: %s: shadowed by an earlier directory", path);
                                continue;
                        }
                        r = manifest_load_file(&s, name, path, &m, &merr);
                        if (r == -ENOENT) {
                                /* a dangling symlink, or gone since the directory was read: the
                                 * worker looks on in the next directory, and so does check */
                                report("note: %s: no such file, skipped", path);
                                continue;
                        }
                        (void) strv_extend(&seen, name);
                        /* what a run would refuse: better said before the first request. The
                         * paths are landlock's, which no run of a none skill looks at; the Abbot
                         * route's may run under ABBOT_SANDBOX_POLICY's policy, which the unit's
                         * environment, not this shell's, may set. */
                        if (r >= 0 && (m->policy != POLICY_NONE || streq_ptr(name, s.abbot_skill))) {
                                _cleanup_free_ char *why = NULL;
                                r = landlock_policy_check(&sec, m, &why);
                                if (r < 0 && why && asprintf(&merr, "%s: %s", path, why) < 0)
                                        merr = NULL;
                        }
                        if (r >= 0) {
                                /* every run would end in sandbox_error "execve: ..." */
                                r = check_command(path, m->command[0], &merr);
                        }
                        if (r >= 0 && f.landlock_abi > 0) {
                                /* ... or "execve: Permission denied", where landlock's rules leave it out */
                                _cleanup_free_ char *denied = NULL;
                                r = landlock_policy_unexecutable(&sec, m, &denied);
                                if (r > 0) {
                                        if (unexecutable_error(path, m, denied, r, &merr) < 0)
                                                merr = NULL;
                                        r = -EACCES;
                                }
                        }
                        if (r < 0) {
                                report("error: %s", merr ? merr : strerror(-r));
                                errors++;
                                continue;
                        }
                        report("ok: %s (%s, policy %s)", name, path, policy_to_string(m->policy));
                        /* a name no token has (a typo, or a client not added yet): whoever it was
                         * meant for presents a token of another name, and gets 403 */
                        for (char **t = m->tokens; tokens_read && t && *t; t++) {
                                if (has_token_named(&tokens, *t))
                                        continue;
                                /* the README's way to keep Abbot's token: in the unit's
                                 * environment, which check, run from a shell, does not see */
                                if (streq(*t, AUTH_ABBOT_TOKEN_NAME) && !getenv("ABBOT_SKILL_RUNNER_TOKEN"))
                                        report("note: %s: tokens: '%s' names no token in '%s': only a worker given "
                                               "ABBOT_SKILL_RUNNER_TOKEN (the token named '%s') accepts it", path,
                                               *t, s.tokens_file, *t);
                                else
                                        report("warning: %s: tokens: '%s' names no token in '%s' (a client whose "
                                               "token is named otherwise gets 403; add one: skillrun token %s%s >> "
                                               "'%s')", path, *t, s.tokens_file, (*t)[0] == '-' ? "-- " : "", *t,
                                               s.tokens_file);
                        }
                        /* a name that makes the program load code from where its value says: with
                         * "files", the caller sends that code, as if accepts_code were true */
                        for (char **e = m->allow_env; !m->accepts_code && e && *e; e++)
                                if (strv_contains((char *const *) code_loading_env, *e))
                                        report("warning: %s: allow_env: '%s' makes the skill's program load code "
                                               "from where a request says, its own files included: the caller "
                                               "runs code of its own, though accepts_code is false", path, *e);
                        if (!others_may(path, S_IROTH))
                                report("warning: %s: not readable by other users: a worker under "
                                       "skillrun@.service (DynamicUser=) answers 500 for this skill", path);
                        if (!others_may(m->command[0], S_IXOTH))
                                report("warning: %s: command '%s': not executable by other users: the skill runs "
                                       "as the unit's DynamicUser= or as run_user, which cannot execute it "
                                       "(sandbox_error)", path, m->command[0]);
                        check_others_may_run(path, m);
                        bool refused;
                        const char *lacks = sandbox_policy_lacks(&f, s.sandbox, m->policy, &refused);
                        if (lacks && refused)
                                report("warning: %s: policy %s needs %s, which this kernel lacks: every run "
                                       "is refused with 503%s", path, policy_to_string(m->policy), lacks,
                                       s.sandbox == SANDBOX_STRICT ? " (sandbox strict)"
                                                                   : " (restrictive, best-effort or not)");
                        else if (lacks)
                                report("warning: %s: policy %s runs without %s, which this kernel lacks "
                                       "(sandbox best-effort): its results list it in sandbox.missing",
                                       path, policy_to_string(m->policy), lacks);
                        /* the route Abbot calls runs this skill whatever it is: said now, not
                         * in the first 500 of POST /api/v1/execute */
                        _cleanup_free_ char *abbot_why = NULL;
                        if (streq_ptr(name, s.abbot_skill) && abbot_manifest_check(m, &abbot_why) < 0)
                                report("warning: %s: %s: POST /api/v1/execute (abbot_skill) will answer 500", path,
                                       strempty(abbot_why));
                        if (m->policy == POLICY_NONE)
                                /* as the worker's own uid (no root to switch from) it reads what the
                                 * worker reads: under DynamicUser= the tokens credential too */
                                report("warning: %s: policy none: the skill can read whatever the worker "
                                       "can, the tokens included when skillrun does not run as root, and is "
                                       "not kept apart from other runs (skillrun.skill(5))",
                                       path);
                }
                if (errno > 0) {
                        report("error: %s: %s", *d, strerror(errno));
                        errors++;
                        unlisted = true;
                }
                closedir(dir);
        }
        /* Any token may call the Abbot route, which runs this skill: none such is a 500 there.
         * Only a note for the default name, which hosts without Abbot callers never install;
         * nothing where a skills directory could not be read (it may hold it: said above). */
        if (s.abbot_skill && !unlisted && !strv_contains(seen, s.abbot_skill))
                report("%s: abbot_skill '%s' names no skill in the skills directories: POST /api/v1/execute "
                       "(the Abbot route) will answer 500", streq(s.abbot_skill, DEFAULT_ABBOT_SKILL) ? "note" :
                       "warning", s.abbot_skill);

        json_object *fj = sandbox_features_to_json(&f), *lj = limits_to_json(&s.limits);
        report("kernel: %s", fj ? json_to_string(fj) : "?");
        print_cgroup_layout();
        if (sandbox_features_caveat(&f))
                report("warning: kernel: %s", sandbox_features_caveat(&f));
        /* "cgroup" above is what this process can use (a root shell: the v1 hierarchies of a
         * hybrid host; a shared session scope: none); the workers run under the unit */
        CgroupMode unit_mode = cgroup_unit_mode();
        if (unit_mode != f.cgroup)
                report("warning: kernel: cgroup \"%s\" is what this process can use; a worker under "
                       "skillrun@.service gets \"%s\" on this host (%s), as its GET /v1/info shows",
                       cgroup_mode_to_string(f.cgroup), cgroup_mode_to_string(unit_mode),
                       unit_mode == CGROUP_MODE_DELEGATED
                               ? "cgroup v2 with memory and pids: its own cgroup, delegated"
                               : "no cgroup v2 with memory and pids to delegate to it: rlimits");
        report("limits: %s", lj ? json_to_string(lj) : "?");
        report("policy: %s, sandbox: %s", policy_to_string(s.policy), sandbox_mode_to_string(s.sandbox));
        json_object_put(fj);
        json_object_put(lj);
        settings_done(&s);
        if (errors) {
                report("%d error(s)", errors);
                return 1;
        }
        return 0;
}

/* One line per skill: newlines, tabs and other control characters (C1 and the Unicode line and
 * paragraph separators too, as check's escape_line() sees them) become spaces. */
static void print_one_line(const char *s) {
        for (const char *c = strempty(s); *c; c++) {
                size_t n = line_control_len(c);
                putchar(n > 0 ? ' ' : *c);
                if (n > 0)
                        c += n - 1;
        }
}

int cli_list(int argc, char **argv) {
        _cleanup_strv_free_ char **names = NULL;
        const char *dir = NULL;
        Settings s;
        int r, ret = 0;

        if (argc != 1) {
                log_error("Usage: skillrun list");
                return 2;
        }
        if (load_settings(&s) < 0)
                return 1;
        r = manifest_list_names(&s, &names, &dir);
        if (r < 0) {
                log_error_errno(r, "Failed to list skills in '%s': %m", strempty(dir));
                settings_done(&s);
                return 1;
        }
        for (char **n = names; n && *n; n++) {
                _cleanup_manifest_ Manifest *m = NULL;
                _cleanup_free_ char *err = NULL;
                r = manifest_load(&s, *n, &m, &err);
                if (r == -ENOENT)
                        /* a dangling symlink, or gone since the directory was read: no skill the
                         * worker serves (404), and nothing check calls an error */
                        continue;
                /* a description's newlines and tabs, and those of a key or value that an error
                 * quotes, become spaces */
                printf("%s\t", *n);
                if (r < 0) {
                        printf("(broken: ");
                        print_one_line(err ? err : strerror(-r));
                        putchar(')');
                        ret = 1;
                } else
                        print_one_line(m->description);
                putchar('\n');
        }
        settings_done(&s);
        return ret;
}

int cli_token(int argc, char **argv) {
        _cleanup_free_ char *line = NULL;
        const char *name;
        int r;

        /* "skillrun token --help" is a question, not a token for a client named "--help"; a name
         * that starts with '-', valid as any other, follows "--" */
        if (argc == 3 && streq(argv[1], "--"))
                name = argv[2];
        else if (argc == 2 && argv[1][0] != '-')
                name = argv[1];
        else {
                log_error("Usage: skillrun token [--] NAME");
                return 2;
        }
        r = auth_generate(name, &line);
        if (r == -EINVAL) {
                log_error("Invalid token name '%s' (letters, digits, '_', '.', '-'; at most %d)", name, TOKEN_NAME_MAX);
                return 2;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to generate a token: %m");
                return 1;
        }
        printf("%s\n", line);
        explicit_bzero(line, strlen(line));
        return 0;
}
