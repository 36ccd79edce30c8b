/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure half of cgroup.c: text of /proc/<pid>/cgroup, /proc/self/mountinfo and cgroup
 * attribute files in, answers out. No file access, no global state, so the unit tests and the
 * probe both run it on any text. */
#include <inttypes.h>
#include <stdio.h>

#include "cgroup-internal.h"
#include "util.h"

#define RUN_ID_MAX 64

static const char *const cgroup_mode_table[_CGROUP_MODE_MAX] = {
        [CGROUP_MODE_NONE] = "rlimit",
        [CGROUP_MODE_V1] = "v1",
        [CGROUP_MODE_DELEGATED] = "delegated",
};

const char *cgroup_mode_to_string(CgroupMode m) {
        if (m < 0 || m >= _CGROUP_MODE_MAX)
                return NULL;
        return cgroup_mode_table[m];
}

/* "a,b,c" (sep ',') contains word? */
bool cgroup_list_contains(const char *list, char sep, const char *word) {
        size_t n = strlen(word);

        for (const char *p = list; p && *p;) {
                const char *end = strchr(p, sep);
                size_t len = end ? (size_t) (end - p) : strlen(p);

                if (len == n && strncmp(p, word, n) == 0)
                        return true;
                p = end ? end + 1 : NULL;
        }
        return false;
}

/* Whitespace-separated list (cgroup.controllers, cgroup.subtree_control) contains word? */
bool cgroup_words_contain(const char *words, const char *word) {
        size_t n = strlen(word);

        for (const char *p = words; *p;) {
                p += strspn(p, " \t\n");
                size_t len = strcspn(p, " \t\n");
                if (len == n && strncmp(p, word, n) == 0)
                        return true;
                p += len;
        }
        return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. In place. */
static void unoctal(char *s) {
        char *w = s;

        for (const char *r = s; *r;) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
                    r[3] <= '7') {
                        *w++ = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
                        r += 4;
                } else
                        *w++ = *r++;
        }
        *w = '\0';
}

static bool path_has_dotdot(const char *p) {
        for (const char *c = p; (c = strstr(c, "..")); c += 2)
                if ((c == p || c[-1] == '/') && (c[2] == '/' || c[2] == '\0'))
                        return true;
        return false;
}

/* Replaces *ret_line by a copy of the line at *cursor (without its newline, ours to cut up) and
 * moves *cursor past it: 1, or 0 at the end of the text (a NULL text is empty), or -ENOMEM. */
static int next_line(const char **cursor, char **ret_line) {
        const char *line = *cursor, *eol;
        char *copy;

        if (!line || !*line)
                return 0;
        eol = strchr(line, '\n');
        copy = strndup(line, eol ? (size_t) (eol - line) : strlen(line));
        if (!copy)
                return -ENOMEM;
        *cursor = eol ? eol + 1 : NULL;
        free(*ret_line);
        *ret_line = copy;
        return 1;
}

/* Our path in one hierarchy from /proc/self/cgroup ("ID:controllers:path" lines). */
int cgroup_parse_proc_cgroup(const char *text, const char *controller, char **ret) {
        _cleanup_free_ char *copy = NULL;
        int r;

        for (const char *rest = text; (r = next_line(&rest, &copy)) > 0;) {
                char *c1 = strchr(copy, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c1 = *c2 = '\0';
                const char *id = copy, *controllers = c1 + 1, *path = c2 + 1;

                bool match = controller ? cgroup_list_contains(controllers, ',', controller)
                                        : streq(id, "0") && controllers[0] == '\0';
                if (!match)
                        continue;
                /* "/.." prefixes: our cgroup lies outside our cgroup namespace, unreachable. */
                if (path[0] != '/' || path_has_dotdot(path))
                        return -ENOENT;
                char *p = strdup(path);
                if (!p)
                        return -ENOMEM;
                *ret = p;
                return 0;
        }
        return r < 0 ? r : -ENOENT;
}

char *cgroup_path_join(const char *a, const char *b) {
        size_t n = strlen(a);
        char *s;

        b += strspn(b, "/");
        if (*b == '\0')
                return strdup(a);
        while (n > 0 && a[n - 1] == '/')
                n--;
        if (asprintf(&s, "%.*s/%s", (int) n, a, b) < 0)
                return NULL;
        return s;
}

int cgroup_find_dir(const char *self_cgroup, const char *mountinfo, const char *controller, char **ret_dir,
                    char **ret_path) {
        _cleanup_free_ char *path = NULL, *copy = NULL;
        int r;

        r = cgroup_parse_proc_cgroup(self_cgroup, controller, &path);
        if (r < 0)
                return r;

        for (const char *rest = mountinfo; (r = next_line(&rest, &copy)) > 0;) {
                /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS */
                char *field[64];
                size_t n = 0;
                for (char *save = NULL, *t = strtok_r(copy, " ", &save); t && n < ELEMENTSOF(field);
                     t = strtok_r(NULL, " ", &save))
                        field[n++] = t;
                size_t sep = 6;
                while (sep < n && !streq(field[sep], "-"))
                        sep++;
                if (sep + 3 >= n)
                        continue;
                const char *fstype = field[sep + 1], *superopts = field[sep + 3];

                if (controller ? !streq(fstype, "cgroup") || !cgroup_list_contains(superopts, ',', controller)
                               : !streq(fstype, "cgroup2"))
                        continue;

                char *root = field[3], *mount_point = field[4];
                unoctal(root);
                unoctal(mount_point);
                const char *below = path_below(path, root);
                if (!below)
                        continue; /* a bind mount of some other part of the hierarchy */

                char *dir = cgroup_path_join(mount_point, below);
                if (!dir)
                        return -ENOMEM;
                *ret_dir = dir;
                if (ret_path)
                        *ret_path = steal_pointer(&path);
                return 0;
        }
        return r < 0 ? r : -ENOENT;
}

/* "key N" line of a flat keyed file (memory.events, memory.oom_control). */
int cgroup_keyed_u64(const char *text, const char *key, uint64_t *ret) {
        size_t n = strlen(key);

        for (const char *line = text; line && *line;) {
                if (strncmp(line, key, n) == 0 && line[n] == ' ') {
                        char *end;
                        errno = 0;
                        unsigned long long v = strtoull(line + n + 1, &end, 10);
                        if (errno != 0 || end == line + n + 1)
                                return -EINVAL;
                        *ret = v;
                        return 0;
                }
                line = strchr(line, '\n');
                if (line)
                        line++;
        }
        return -ENOENT;
}

bool cgroup_run_id_valid(const char *id) {
        size_t n = id ? strlen(id) : 0;

        if (n == 0 || n > RUN_ID_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = id[i];
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '-' || ch == '_'))
                        return false;
        }
        return true;
}

void cgroup_format_limit(char *buf, size_t size, uint64_t v) {
        if (v == 0)
                snprintf(buf, size, "max");
        else
                snprintf(buf, size, "%" PRIu64, v);
}
