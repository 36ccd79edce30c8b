/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main() for a fuzz target built without libFuzzer: runs every file of the corpus directories
 * (or single files) named on the command line through LLVMFuzzerTestOneInput and prints TAP, one
 * line per file. Without arguments it replays $top_srcdir/fuzz/corpus/<target>, which is how
 * `make check` runs it. A crash or a failed invariant aborts, which fails the test. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "util.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the target's corpus directory"
#endif

/* Larger than any seed; libFuzzer's own -max_len default is far below. */
#define REPLAY_MAX_FILE (UINT64_C(16) << 20)

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Append the files of path (a directory, sorted, dot files skipped) or path itself to *files. */
static int collect(const char *path, char ***files) {
        _cleanup_strv_free_ char **names = NULL;
        DIR *d = opendir(path);
        struct dirent *de;
        int r;

        if (!d) {
                if (errno == ENOTDIR)
                        return strv_extend(files, path);
                return negative_errno();
        }
        errno = 0;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                r = strv_extend(&names, de->d_name);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
        }
        r = errno > 0 ? -errno : 0;
        closedir(d);
        if (r < 0)
                return r;

        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_str);
        for (char **n = names; n && *n; n++) {
                char *p;

                if (asprintf(&p, "%s/%s", path, *n) < 0)
                        return -ENOMEM;
                r = strv_push(files, p);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int replay_one(const char *path) {
        _cleanup_free_ char *data = NULL;
        _cleanup_free_ uint8_t *exact = NULL;
        size_t len = 0;
        int r;

        r = read_full_file(path, REPLAY_MAX_FILE, &data, &len);
        if (r < 0)
                return r;
        /* exact-size copy: an over-read is caught by ASan, as under libFuzzer */
        exact = malloc(len ? len : 1);
        if (!exact)
                return -ENOMEM;
        memcpy(exact, data, len);
        (void) LLVMFuzzerTestOneInput(exact, len);
        return 0;
}

int main(int argc, char **argv) {
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_free_ char *dflt = NULL;
        char *const *paths = argv + 1;
        char *dflt_paths[2] = {};
        size_t n = 0;
        int r, failed = 0;

        if (argc < 2) {
                const char *top = getenv("top_srcdir");

                if (asprintf(&dflt, "%s/fuzz/corpus/%s", top ? top : ".", FUZZ_TARGET) < 0)
                        return EXIT_FAILURE;
                dflt_paths[0] = dflt;
                paths = dflt_paths;
        }
        for (; *paths; paths++) {
                r = collect(*paths, &files);
                if (r < 0) {
                        printf("Bail out! cannot read '%s': %s\n", *paths, strerror(-r));
                        return EXIT_FAILURE;
                }
        }
        if (strv_length(files) == 0) {
                printf("Bail out! no corpus files\n");
                return EXIT_FAILURE;
        }

        for (char **f = files; *f; f++) {
                /* name the input first: if it crashes, the log shows which one */
                printf("# %s: %s\n", FUZZ_TARGET, *f);
                fflush(stdout);
                r = replay_one(*f);
                n++;
                if (r < 0) {
                        failed++;
                        printf("not ok %zu - %s: %s\n", n, *f, strerror(-r));
                } else
                        printf("ok %zu - %s\n", n, *f);
        }
        printf("1..%zu\n", n);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
