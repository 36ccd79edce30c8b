/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the run request body (design §4) and the Abbot SkillMessage, the JSON any token holder
 * sends, against fixed manifests. The first byte picks the parser and the manifest, the rest is
 * the body. What a parsed request may hold is checked as the worker relies on it: file names
 * safe to create in the work dir, within max_files and workdir_max in all, only env names the
 * manifest allows, code only for a skill that accepts it and never overwritten by a file. The
 * last manifest runs under tight settings and a small workdir_max, so that the file count and
 * byte limits are reached by short inputs. A JSON error says a line and column within the body. */
#include <stdio.h>
#include <string.h>

#include "abbot.h"
#include "fuzz.h"
#include "manifest.h"
#include "run.h"

static const char *const manifests[] = {
        "{\"command\": [\"/bin/cat\"], \"allow_env\": [\"FOO\", \"B_2\"]}",
        ("{\"command\": [\"/usr/bin/python3\"], \"accepts_code\": true, \"input\": \"stdin\", \"code_file\": \"main.py\","
         " \"allow_env\": [\"ABBOT_SKILL_API_TOKEN\", \"ABBOT_API_BASE_URL\"], \"network\": true}"),
        "{\"command\": [\"/bin/true\"], \"input\": \"none\"}",
        ("{\"command\": [\"/bin/sh\"], \"accepts_code\": true, \"code_file\": \"run.sh\", \"workdir_max\": 16,"
         " \"allow_env\": [\"X\"]}"),
};
#define TIGHT_MANIFEST (ELEMENTSOF(manifests) - 1)

static void check_request(const Settings *s, const Manifest *m, const RunRequest *r) {
        uint64_t total = 0;

        fuzz_check(r->stdin_data ? strlen(r->stdin_data) <= r->stdin_len : r->stdin_len == 0);
        fuzz_check(!r->has_code || (m->accepts_code && r->code && strlen(r->code) <= r->code_len));
        fuzz_check(r->n_files <= s->max_files);
        for (size_t i = 0; i < r->n_files; i++) {
                fuzz_check(run_file_name_valid(r->files[i].name));
                fuzz_check(!r->has_code || !m->code_file || !streq(r->files[i].name, m->code_file));
                total += r->files[i].len;
        }
        fuzz_check(total <= m->limits.workdir_max);
        for (char **e = r->env; e && *e; e++) {
                const char *eq = strchr(*e, '=');
                fuzz_check(eq && eq > *e);
                char name[256];
                size_t n = (size_t) (eq - *e);
                fuzz_check(n < sizeof(name));
                memcpy(name, *e, n);
                name[n] = '\0';
                fuzz_check(strv_contains(m->allow_env, name));
        }
}

/* A JSON error's "(line L, column C)" names a character of the body (or the newline ending
 * line L): columns count characters, the body being UTF-8 by then. */
static void check_position(const char *body, size_t size, const char *error) {
        const char *p = strrchr(error, '(');
        unsigned line, column, chars = 0;
        size_t i = 0, end;

        if (!(startswith(error, "request body is not valid JSON: ") || startswith(error, "body is not valid JSON: ")) ||
            !p || !startswith(p, "(line "))
                return;
        fuzz_check(sscanf(p, "(line %u, column %u)", &line, &column) == 2 && line >= 1 && column >= 1);
        for (unsigned l = 1; l < line; l++) {
                const char *nl = memchr(body + i, '\n', size - i);
                fuzz_check(nl);
                i = (size_t) (nl - body) + 1;
        }
        for (end = i; end < size && body[end] != '\n'; end++)
                if (((unsigned char) body[end] & 0xc0) != 0x80)
                        chars++;
        fuzz_check(column <= chars || (column == chars + 1 && end < size));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static Settings settings, tight;
        static Manifest *m[ELEMENTSOF(manifests)];
        static bool initialized;
        _cleanup_free_ char *error = NULL, *body = NULL;
        RunRequest r = {};
        unsigned pick;
        int k;

        if (!initialized) {
                settings_init(&settings);
                /* so that the Abbot path adds its env too */
                free(settings.abbot_api_base_url);
                settings.abbot_api_base_url = strdup("http://127.0.0.1:9");
                settings_init(&tight);
                tight.max_files = 3;
                for (size_t i = 0; i < ELEMENTSOF(manifests); i++) {
                        _cleanup_free_ char *e = NULL;
                        fuzz_check(manifest_parse(i == TIGHT_MANIFEST ? &tight : &settings, "fuzz", "/etc/skillrun/skills/fuzz.json", manifests[i],
                                                  strlen(manifests[i]), &m[i], &e) >= 0);
                }
                initialized = true;
        }
        if (size == 0)
                return 0;
        pick = data[0];
        data++;
        size--;
        /* exact size, no NUL: the parsers must respect len */
        body = malloc(size ? size : 1);
        fuzz_check(body);
        memcpy(body, data, size);

        size_t i = (pick & 0x7f) % ELEMENTSOF(manifests);
        const Manifest *man = m[i];
        const Settings *s = i == TIGHT_MANIFEST ? &tight : &settings;
        if (pick & 0x80)
                k = abbot_build_run_request(s, man, body, size, "a-skill-api-token", &r, &error);
        else
                k = run_request_parse(s, man, body, size, &r, &error);
        if (k >= 0) {
                check_request(s, man, &r);
                run_request_done(&r);
        } else {
                fuzz_check(k == -EINVAL || k == -ENOEXEC || k == -ENOMEM);
                fuzz_check(k == -ENOMEM || (error && error[0] != '\0'));
                if (k == -EINVAL)
                        check_position(body, size, error);
        }
        return 0;
}
