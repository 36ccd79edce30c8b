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

/* "a,b,c" (sep ',') of N bytes contains word? */
static bool list_contains_n(const char *list, size_t n, char sep, const char *word) {
        size_t wn = strlen(word);

        for (const char *p = list, *end = list + n; p < end;) {
                const char *next = memchr(p, sep, (size_t) (end - p));
                size_t len = next ? (size_t) (next - p) : (size_t) (end - p);

                if (len == wn && memcmp(p, word, wn) == 0)
                        return true;
                if (!next)
                        break;
                p = next + 1;
        }
        return false;
}

/* "a,b,c" (sep ',') contains word? */
bool cgroup_list_contains(const char *list, char sep, const char *word) {
        return list && list_contains_n(list, strlen(list), sep, word);
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

/* The line at *cursor, [*ret_start, *ret_end) without its newline, and *cursor moved past it:
 * false at the end of the text (a NULL text is empty). The text is read, never copied. */
static bool next_line(const char **cursor, const char **ret_start, const char **ret_end) {
        const char *line = *cursor, *eol;

        if (!line || !*line)
                return false;
        eol = strchrnul(line, '\n');
        *ret_start = line;
        *ret_end = eol;
        *cursor = *eol ? eol + 1 : NULL;
        return true;
}

/* Our path in one hierarchy from /proc/self/cgroup ("ID:controllers:path" lines). */
int cgroup_parse_proc_cgroup(const char *text, const char *controller, char **ret) {
        const char *line, *eol;

        for (const char *rest = text; next_line(&rest, &line, &eol);) {
                const char *c1 = memchr(line, ':', (size_t) (eol - line));
                const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t) (eol - c1 - 1)) : NULL;
                if (!c2)
                        continue;

                bool match = controller ? list_contains_n(c1 + 1, (size_t) (c2 - c1 - 1), ',', controller)
                                        : c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
                if (!match)
                        continue;
                _cleanup_free_ char *path = strndup(c2 + 1, (size_t) (eol - c2 - 1));
                if (!path)
                        return -ENOMEM;
                /* "/.." prefixes: our cgroup lies outside our cgroup namespace, unreachable. */
                if (path[0] != '/' || path_has_dotdot(path))
                        return -ENOENT;
                *ret = steal_pointer(&path);
                return 0;
        }
        return -ENOENT;
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

/* A mountinfo line's fields: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE
 * SOURCE SUPEROPTIONS, single spaces between them (mountinfo escapes those within a field). Up to
 * MAX fields as [start, end) pairs in place; the count, or 0 for a line with too many. */
#define MOUNTINFO_FIELDS_MAX 64
static size_t mountinfo_fields(const char *line, const char *eol, const char *start[], const char *end[]) {
        size_t n = 0;

        for (const char *p = line; p <= eol; n++) {
                const char *sp = memchr(p, ' ', (size_t) (eol - p));
                if (n == MOUNTINFO_FIELDS_MAX)
                        return 0;
                start[n] = p;
                end[n] = sp ? sp : eol;
                p = end[n] + 1;
        }
        return n;
}

static bool field_is(const char *start, const char *end, const char *word) {
        size_t n = strlen(word);
        return (size_t) (end - start) == n && memcmp(start, word, n) == 0;
}

int cgroup_find_dir(const char *self_cgroup, const char *mountinfo, const char *controller, char **ret_dir,
                    char **ret_path) {
        _cleanup_free_ char *path = NULL;
        const char *line, *eol;
        int r;

        r = cgroup_parse_proc_cgroup(self_cgroup, controller, &path);
        if (r < 0)
                return r;

        /* Most lines are other file systems: told apart by FSTYPE before anything is copied. */
        for (const char *rest = mountinfo; next_line(&rest, &line, &eol);) {
                const char *fs[MOUNTINFO_FIELDS_MAX], *fe[MOUNTINFO_FIELDS_MAX];
                size_t n = mountinfo_fields(line, eol, fs, fe), sep = 6;

                while (sep < n && !field_is(fs[sep], fe[sep], "-"))
                        sep++;
                if (sep + 3 >= n)
                        continue;
                size_t type = sep + 1, superopts = sep + 3;
                if (controller ? !field_is(fs[type], fe[type], "cgroup") ||
                                         !list_contains_n(fs[superopts], (size_t) (fe[superopts] - fs[superopts]),
                                                          ',', controller)
                               : !field_is(fs[type], fe[type], "cgroup2"))
                        continue;

                _cleanup_free_ char *root = strndup(fs[3], (size_t) (fe[3] - fs[3]));
                _cleanup_free_ char *mount_point = strndup(fs[4], (size_t) (fe[4] - fs[4]));
                if (!root || !mount_point)
                        return -ENOMEM;
                unoctal(root);
                unoctal(mount_point);
                if (root[0] != '/' || mount_point[0] != '/')
                        continue; /* not what the kernel writes: nothing to find there */
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
        return -ENOENT;
}

/* "key N" line of a flat keyed file (memory.events, memory.oom_control). N is digits and nothing
 * else, as the kernel writes it: strtoull(3) alone would also take a sign ("-1" as 2^64-1), skip
 * blanks into the next line, and stop before junk. */
int cgroup_keyed_u64(const char *text, const char *key, uint64_t *ret) {
        size_t n = strlen(key);

        for (const char *line = text; line && *line;) {
                if (strncmp(line, key, n) == 0 && line[n] == ' ') {
                        const char *value = line + n + 1;
                        char *end;

                        if (*value < '0' || *value > '9')
                                return -EINVAL;
                        errno = 0;
                        unsigned long long v = strtoull(value, &end, 10);
                        if (errno != 0 || (*end != '\n' && *end != '\0'))
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
