/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the cgroup texts every run request parses: /proc/self/cgroup and /proc/self/mountinfo
 * (or the lines the worker writes from statmount(2) in their stead), scanned in place, and a
 * flat keyed file (memory.events, memory.oom_control). The input is the cgroup text, a NUL, then
 * the mountinfo; what comes after a second NUL is the keyed file. A directory found is checked as
 * the worker relies on it: absolute, without "..", below the mount point the mountinfo gives, for
 * the path cgroup_parse_proc_cgroup() reads from the same text; a value read from the keyed file is
 * one of digits only to its line's end, in 64 bits. */
#include <string.h>

#include "cgroup-internal.h"
#include "fuzz.h"

static const char *const controllers[] = { NULL, "memory", "pids", "cpu" };

static void check_dir(const char *dir, const char *path) {
        fuzz_check(dir && dir[0] == '/');
        fuzz_check(path && path[0] == '/');
        fuzz_check(!strstr(path, "/../") && (strlen(path) < 3 || strcmp(path + strlen(path) - 3, "/..") != 0));
}

/* cgroup_keyed_u64() against the rule: the first line that starts with the key and a space gives
 * its value, taken exactly when it is decimal digits to the line's end and fits in 64 bits (no
 * sign, no blank, no base prefix). */
static void check_keyed(const char *text, const char *key) {
        size_t n = strlen(key);
        const char *line = text;
        uint64_t v = 0, got = UINT64_MAX;
        int r = cgroup_keyed_u64(text, key, &got);

        while (*line && !(strncmp(line, key, n) == 0 && line[n] == ' ')) {
                line = strchr(line, '\n');
                line = line ? line + 1 : "";
        }
        if (*line == '\0') {
                fuzz_check(r == -ENOENT && got == UINT64_MAX);
                return;
        }
        const char *p = line + n + 1;
        bool taken = *p >= '0' && *p <= '9';
        for (; taken && *p && *p != '\n'; p++) {
                taken = *p >= '0' && *p <= '9' && v <= (UINT64_MAX - (uint64_t) (*p - '0')) / 10;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        fuzz_check(taken ? r == 0 && got == v : r == -EINVAL && got == UINT64_MAX);
}

/* The lists against strtok(3): each word of the text (the first 16: the scan is linear) is in it,
 * and the word asked for is in it exactly when one of the words is that word. */
static void check_list(const char *text, const char *sep, const char *word) {
        _cleanup_free_ char *copy = strdup(text);
        bool found = false;
        char *save = NULL;
        unsigned n = 0;

        fuzz_check(copy);
        for (char *w = strtok_r(copy, sep, &save); w; w = strtok_r(NULL, sep, &save)) {
                if (n++ < 16)
                        fuzz_check(sep[1] ? cgroup_words_contain(text, w) : cgroup_list_contains(text, sep[0], w));
                found = found || streq(w, word);
        }
        fuzz_check(found == (sep[1] ? cgroup_words_contain(text, word) : cgroup_list_contains(text, sep[0], word)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = malloc(size + 2);
        const char *self, *mountinfo, *keyed;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = text[size + 1] = '\0';
        self = text;
        mountinfo = self + strlen(self) + 1; /* at most text + size + 1, a NUL */
        keyed = mountinfo + strlen(mountinfo) + 1;
        if (keyed > text + size + 1)
                keyed = text + size + 1;

        for (size_t i = 0; i < ELEMENTSOF(controllers); i++) {
                _cleanup_free_ char *dir = NULL, *path = NULL, *own = NULL;
                int r = cgroup_find_dir(self, mountinfo, controllers[i], &dir, &path);
                fuzz_check(r == 0 || r == -ENOENT || r == -ENOMEM);
                if (r == 0)
                        check_dir(dir, path);
                int k = cgroup_parse_proc_cgroup(self, controllers[i], &own);
                fuzz_check(k == 0 || k == -ENOENT || k == -ENOMEM);
                fuzz_check(k != 0 || (own && own[0] == '/'));
                /* the directory is found for the path /proc/self/cgroup gives, no other */
                fuzz_check(r != 0 || k == -ENOMEM || (k == 0 && streq(path, own)));
        }
        check_keyed(keyed, "oom_kill");
        check_keyed(keyed, "oom");
        check_list(keyed, ",", "memory");
        check_list(keyed, " \t\n", "pids");
        return 0;
}
