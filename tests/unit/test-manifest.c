/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "manifest.h"
#include "tap.h"

#define P "/etc/skillrun/skills/wc.json"

static char tmpdir[] = "/tmp/test-manifest-XXXXXX";
static Settings settings;

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        if (!f) {
                perror(path);
                exit(EXIT_FAILURE);
        }
        fputs(text, f);
        fclose(f);
}

static int parse(const char *json, Manifest **ret, char **ret_error) {
        return manifest_parse(&settings, "wc", P, json, strlen(json), ret, ret_error);
}

/* One manifest that must be refused with exactly this message. */
static void refused(const char *json, const char *want) {
        Manifest *m = NULL;
        char *error = NULL;
        int r;

        r = parse(json, &m, &error);
        is_int(r, -EINVAL, "refused: %s", json);
        is_str(error, want, "message for %s", json);
        ok(m == NULL, "no manifest returned for %s", json);
        free(error);
        manifest_free(m);
}

static void test_names(void) {
        char long_name[SKILL_NAME_MAX + 2];

        ok(skill_name_valid("wc"), "wc");
        ok(skill_name_valid("0"), "single digit");
        ok(skill_name_valid("abbot-python"), "dash");
        ok(skill_name_valid("a_b-9"), "underscore");
        ok(!skill_name_valid(""), "empty");
        ok(!skill_name_valid(NULL), "NULL");
        ok(!skill_name_valid("Wc"), "upper case");
        ok(!skill_name_valid("-x"), "leading dash");
        ok(!skill_name_valid("_x"), "leading underscore");
        ok(!skill_name_valid("a.b"), "dot");
        ok(!skill_name_valid("a/b"), "slash");
        ok(!skill_name_valid(".."), "dotdot");
        memset(long_name, 'a', SKILL_NAME_MAX);
        long_name[SKILL_NAME_MAX] = 0;
        ok(skill_name_valid(long_name), "64 characters");
        long_name[SKILL_NAME_MAX] = 'a';
        long_name[SKILL_NAME_MAX + 1] = 0;
        ok(!skill_name_valid(long_name), "65 characters");
}

static void test_keys(void) {
        static const char *const want[] = {
                "description", "command",   "input",       "output",     "policy",      "timeout_ms", "memory_max",
                "tasks_max",   "cpu_max",   "output_max",  "workdir_max", "read_paths", "write_paths", "network",
                "env",         "allow_env", "accepts_code", "code_file", "tokens",
        };
        size_t n = 0;

        while (manifest_keys[n])
                n++;
        is_int(n, ELEMENTSOF(want), "manifest_keys has %zu keys", ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want) && i < n; i++)
                is_str(manifest_keys[i], want[i], "manifest_keys[%zu]", i);

        /* Every listed key is one the parser knows: a null value is a type error, not "unknown key". */
        for (size_t i = 0; i < n; i++) {
                char json[128], *error = NULL;
                Manifest *m = NULL;

                snprintf(json, sizeof(json), "{\"%s\": null}", manifest_keys[i]);
                is_int(parse(json, &m, &error), -EINVAL, "%s: null refused", manifest_keys[i]);
                ok(error && strstr(error, ": expected ") && strstr(error, manifest_keys[i]),
                   "parser knows '%s' (%s)", manifest_keys[i], strempty(error));
                free(error);
        }
}

static void test_defaults(void) {
        Manifest *m = NULL;
        char *error = NULL;

        is_int(parse("{\"command\": [\"/usr/bin/wc\"]}", &m, &error), 0, "minimal manifest");
        ok(error == NULL, "no message");
        if (!m)
                return;
        is_str(m->name, "wc", "name");
        is_str(m->path, P, "path");
        is_str(m->dir, "/etc/skillrun/skills", "dir");
        is_str(m->description, "", "description defaults to empty");
        is_int(strv_length(m->command), 1, "command length");
        is_str(m->command[0], "/usr/bin/wc", "command[0]");
        is_int(m->input, INPUT_STDIN, "input defaults to stdin");
        is_int(m->output, OUTPUT_TEXT, "output defaults to text");
        is_int(m->policy, POLICY_PERMISSIVE, "policy defaults to the settings'");
        ok(!m->policy_set, "policy_set false");
        is_int(m->limits.timeout_ms, settings.limits.timeout_ms, "timeout = ceiling");
        is_int(m->limits.memory_max, settings.limits.memory_max, "memory = ceiling");
        is_int(m->limits.tasks_max, settings.limits.tasks_max, "tasks = ceiling");
        is_int(m->limits.cpu_max, settings.limits.cpu_max, "cpu = ceiling");
        is_int(m->limits.output_max, settings.limits.output_max, "output = ceiling");
        is_int(m->limits.workdir_max, settings.limits.workdir_max, "workdir = ceiling");
        ok(m->read_paths == NULL && m->write_paths == NULL, "no paths");
        ok(!m->network, "network off");
        ok(m->env == NULL && m->allow_env == NULL, "no env");
        ok(!m->accepts_code, "no code");
        is_str(m->code_file, "code", "code_file default");
        ok(m->tokens == NULL, "tokens NULL: every token");
        m = manifest_free(m);

        /* The settings' default policy is what an unset manifest policy resolves to. */
        settings.policy = POLICY_RESTRICTIVE;
        is_int(parse("{\"command\": [\"/usr/bin/wc\"]}", &m, NULL), 0, "minimal again");
        if (m)
                is_int(m->policy, POLICY_RESTRICTIVE, "policy follows the settings");
        m = manifest_free(m);
        settings.policy = POLICY_PERMISSIVE;

        /* A manifest without a path still parses. */
        is_int(manifest_parse(&settings, "wc", NULL, "{\"command\":[\"/x\"]}", 18, &m, NULL), 0, "no path");
        if (m)
                ok(m->path == NULL && m->dir == NULL, "no path, no dir");
        manifest_free(m);
        m = NULL;
        /* the directory of a manifest in / (skills_dir = /), or of a bare file name */
        is_int(manifest_parse(&settings, "wc", "/wc.json", "{\"command\":[\"/x\"]}", 18, &m, NULL), 0, "path in /");
        is_str(m ? m->dir : NULL, "/", "... its dir is /");
        m = manifest_free(m);
        is_int(manifest_parse(&settings, "wc", "wc.json", "{\"command\":[\"/x\"]}", 18, &m, NULL), 0, "bare file name");
        is_str(m ? m->dir : NULL, ".", "... its dir is .");
        m = manifest_free(m);
        /* refused without a place for the message: the status alone */
        is_int(manifest_parse(&settings, "wc", P, "{\"command\":\"x\"}", 15, &m, NULL), -EINVAL, "refused, no message wanted");
        ok(m == NULL, "... nothing returned");
        is_int(manifest_parse(&settings, "wc", P, NULL, 1, &m, NULL), -EINVAL, "no text but a length: -EINVAL");
        {
                /* the size bound holds for a caller that hands the text over itself, too */
                size_t n = (1 << 20) + 1;
                char *big = malloc(n);
                free(error);
                error = NULL;
                if (big) {
                        memset(big, ' ', n);
                        is_int(manifest_parse(&settings, "wc", P, big, n, &m, &error), -EFBIG, "text over 1 MiB");
                        is_str(error, P ": larger than 1048576 bytes", "... message");
                        free(error);
                        error = NULL;
                        free(big);
                }
        }
}

static void test_contradictions(void) {
        Manifest *m = NULL;
        char *error = NULL;

        is_int(parse("{\"command\": [\"/bin/true\"], \"policy\": \"restrictive\", \"network\": true}", &m, &error),
               -EINVAL, "restrictive with network refused");
        is_str(error, P ": network: not available under policy 'restrictive'", "restrictive+network message");
        free(error);
        error = NULL;
        is_int(parse("{\"command\": [\"/bin/true\"], \"workdir_max\": 0}", &m, &error), -EINVAL,
               "workdir_max 0 refused");
        contains_str(error, P ": workdir_max:", "workdir_max 0 message names the key");
        free(error);
        manifest_free(m);
}

static void test_full(void) {
        static const char json[] =
                "{\"description\": \"Word count of the input text\",\n"
                " \"command\": [\"/usr/bin/wc\", \"-w\"],\n"
                " \"input\": \"none\", \"output\": \"json\",\n"
                " \"policy\": \"permissive\",\n"
                " \"timeout_ms\": 5000, \"memory_max\": \"64M\", \"tasks_max\": 8, \"cpu_max\": \"50%\",\n"
                " \"output_max\": \"64K\", \"workdir_max\": 1048576,\n"
                " \"read_paths\": [\"/usr/share/dict\"], \"write_paths\": [\"/var/tmp/x/\"], \"network\": true,\n"
                " \"env\": {\"LC_ALL\": \"C\", \"_X1\": \"a=b\"}, \"allow_env\": [\"DEBUG\", \"lang\"],\n"
                " \"accepts_code\": true, \"code_file\": \"main.py\",\n"
                " \"tokens\": [\"ci\", \"chat.bot-1_x\"]}\n\n";
        Manifest *m = NULL;
        char *error = NULL;

        settings.limits.cpu_max = 200;
        is_int(parse(json, &m, &error), 0, "full manifest");
        is_str(error, NULL, "no message");
        settings.limits.cpu_max = 0;
        if (!m)
                return;
        is_str(m->description, "Word count of the input text", "description");
        is_int(strv_length(m->command), 2, "command has two words");
        is_str(m->command[1], "-w", "command[1]");
        is_int(m->input, INPUT_NONE, "input none");
        is_int(m->output, OUTPUT_JSON, "output json");
        is_int(m->policy, POLICY_PERMISSIVE, "policy");
        ok(m->policy_set, "policy_set");
        is_int(m->limits.timeout_ms, 5000, "timeout");
        is_int(m->limits.memory_max, 64 << 20, "memory 64M");
        is_int(m->limits.tasks_max, 8, "tasks");
        is_int(m->limits.cpu_max, 50, "cpu 50%%");
        is_int(m->limits.output_max, 64 << 10, "output 64K");
        is_int(m->limits.workdir_max, 1 << 20, "workdir as integer");
        is_int(strv_length(m->read_paths), 1, "read_paths");
        is_str(m->read_paths[0], "/usr/share/dict", "read path");
        is_str(m->write_paths[0], "/var/tmp/x/", "write path");
        ok(m->network, "network");
        is_int(strv_length(m->env), 2, "env entries");
        is_str(m->env[0], "LC_ALL=C", "env in file order");
        is_str(m->env[1], "_X1=a=b", "env value with '='");
        is_str(manifest_skill_path(m), SKILL_DEFAULT_PATH, "no PATH in env: the skill's PATH is the default");
        is_int(strv_length(m->allow_env), 2, "allow_env");
        is_str(m->allow_env[1], "lang", "lower-case env name allowed");
        ok(m->accepts_code, "accepts_code");
        is_str(m->code_file, "main.py", "code_file");
        is_int(strv_length(m->tokens), 2, "tokens");
        ok(manifest_token_allowed(m, "ci"), "ci allowed");
        ok(manifest_token_allowed(m, "chat.bot-1_x"), "chat.bot-1_x allowed");
        ok(!manifest_token_allowed(m, "other"), "other refused");
        ok(!manifest_token_allowed(m, NULL), "no token refused");
        manifest_free(m);
}

static void test_skill_path(void) {
        Manifest *m = NULL;
        char *error = NULL;

        is_int(parse("{\"command\": [\"/bin/true\"], \"env\": {\"A\": \"PATH=/x\", \"PATH\": \"/opt/x/bin:/usr/bin\"}}",
                     &m, &error), 0, "env setting PATH to absolute directories");
        is_str(error, NULL, "no message");
        if (m)
                is_str(manifest_skill_path(m), "/opt/x/bin:/usr/bin", "the skill's PATH is env's, not a value that looks like it");
        manifest_free(m);
}

static void test_types(void) {
        static const struct {
                const char *json, *error;
        } cases[] = {
                { "{\"description\": 5}", P ": description: expected a string" },
                { "{\"command\": \"/usr/bin/wc\"}", P ": command: expected an array of strings" },
                { "{\"command\": [\"/usr/bin/wc\", 5]}", P ": command[1]: expected a string" },
                { "{\"read_paths\": [\"/usr\", \"/opt\", {}]}", P ": read_paths[2]: expected a string" },
                { "{\"input\": true}", P ": input: expected a string" },
                { "{\"output\": [\"text\"]}", P ": output: expected a string" },
                { "{\"policy\": 1}", P ": policy: expected a string" },
                { "{\"timeout_ms\": \"5000\"}", P ": timeout_ms: expected an integer" },
                { "{\"timeout_ms\": 5.5}", P ": timeout_ms: expected an integer" },
                { "{\"memory_max\": true}", P ": memory_max: expected an integer or a size string" },
                { "{\"memory_max\": 1.5}", P ": memory_max: expected an integer or a size string" },
                { "{\"tasks_max\": \"8\"}", P ": tasks_max: expected an integer" },
                { "{\"cpu_max\": 0.5}", P ": cpu_max: expected an integer or a percentage string" },
                { "{\"output_max\": {}}", P ": output_max: expected an integer or a size string" },
                { "{\"workdir_max\": []}", P ": workdir_max: expected an integer or a size string" },
                { "{\"read_paths\": \"/usr\"}", P ": read_paths: expected an array of strings" },
                { "{\"write_paths\": [null]}", P ": write_paths[0]: expected a string" },
                { "{\"network\": \"yes\"}", P ": network: expected a boolean" },
                { "{\"network\": 1}", P ": network: expected a boolean" },
                { "{\"env\": [\"A=b\"]}", P ": env: expected an object of strings" },
                { "{\"env\": {\"A\": 1}}", P ": env: 'A': expected a string" },
                { "{\"allow_env\": \"A\"}", P ": allow_env: expected an array of strings" },
                { "{\"accepts_code\": null}", P ": accepts_code: expected a boolean" },
                { "{\"code_file\": 7}", P ": code_file: expected a string" },
                { "{\"tokens\": \"ci\"}", P ": tokens: expected an array of strings" },
                { "{\"tokens\": [1]}", P ": tokens[0]: expected a string" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                refused(cases[i].json, cases[i].error);
}

static void test_values(void) {
        static const struct {
                const char *json, *error;
        } cases[] = {
                { "{\"command\": [\"/x\"], \"bogus\": 1}", P ": unknown key 'bogus'" },
                { "{\"Command\": [\"/x\"]}", P ": unknown key 'Command'" },
                { "{\"description\": \"x\"}", P ": command: missing" },
                { "{}", P ": command: missing" },
                { "{\"command\": []}", P ": command: must not be empty" },
                { "{\"command\": [\"wc\", \"-w\"]}", P ": command: 'wc' is not an absolute path" },
                { "{\"command\": [\"./wc\"]}", P ": command: './wc' is not an absolute path" },
                { "{\"command\": [\"\"]}", P ": command: '' is not an absolute path" },
                { "{\"command\": [\"/bin/x\\u0000y\"]}", P ":1: unexpected NUL character (\\u0000)" },
                { "{\"command\": [\"/x\"],\n \"env\": {\"PATH\\u0000x\": \"/evil\"}}",
                  P ":2: unexpected NUL character (\\u0000)" },
                { "{\"command\": [\"/x\"], \"description\": \"a \\\\u0000 b\", \"bogus\": 1}",
                  P ": unknown key 'bogus'" },
                /* json-c would make half a surrogate pair U+FFFD */
                { "{\"command\": [\"/x\"],\n \"env\": {\"A\": \"\\ud800\"}}",
                  P ":2: half a UTF-16 surrogate pair in a \\u escape" },
                { "{\"command\": [\"/x\", \"\\udc00\\ud800\"]}", P ":1: half a UTF-16 surrogate pair in a \\u escape" },
                { "{\"command\": [\"/x\"], \"description\": \"\\ud83d\\ude00 \\\\ud800\", \"bogus\": 1}",
                  P ": unknown key 'bogus'" },
                /* json-c keeps the last of a key given twice: not what the operator reviewed */
                { "{\"command\": [\"/x\"],\n \"timeout_ms\": 5,\n \"timeout_ms\": \"x\"}", P ":3: key 'timeout_ms' given twice" },
                { "{\"command\": [\"/x\"], \"\\u0063ommand\": [\"/y\"]}", P ":1: key 'command' given twice" },
                { "{\"command\": [\"/x\"], \"env\": {\"A\": \"1\", \"A\": \"2\"}}",
                  P ":1: env: variable 'A' given twice" },
                { "{\"command\": [\"/x\"],\n \"env\": {\"B\": \"1\",\n  \"A\": \"1\",\n  \"\\u0041\": \"2\"}}",
                  P ":4: env: variable 'A' given twice" },
                { "{\"command\": [\"/x\"], \"bogus\": 1, \"bogus\": 2}", P ": unknown key 'bogus'" },
                { "{\"input\": \"file\"}", P ": input: invalid value 'file' (expected 'stdin' or 'none')" },
                { "{\"output\": \"xml\"}", P ": output: invalid value 'xml' (expected 'text' or 'json')" },
                { "{\"policy\": \"strict\"}",
                  P ": policy: unknown policy 'strict' (expected 'none', 'permissive' or 'restrictive')" },
                { "{\"timeout_ms\": 0}", P ": timeout_ms: must be at least 1" },
                { "{\"timeout_ms\": -5}", P ": timeout_ms: must not be negative" },
                { "{\"memory_max\": 18446744073709551615}", P ": memory_max: out of range (18446744073709551615 or more)" },
                { "{\"tasks_max\": 0}", P ": tasks_max: must be at least 1" },
                { "{\"memory_max\": 0}", P ": memory_max: must be at least 1" },
                { "{\"memory_max\": \"lots\"}", P ": memory_max: invalid size 'lots'" },
                { "{\"memory_max\": -1}", P ": memory_max: must not be negative" },
                { "{\"output_max\": \"1T\"}", P ": output_max: invalid size '1T'" },
                { "{\"cpu_max\": \"half\"}", P ": cpu_max: invalid CPU percentage 'half'" },
                { "{\"cpu_max\": 100001}", P ": cpu_max: invalid CPU percentage '100001'" },
                { "{\"cpu_max\": -50}", P ": cpu_max: must not be negative" },
                { "{\"read_paths\": [\"usr\"]}", P ": read_paths: 'usr' is not an absolute path" },
                { "{\"read_paths\": [\"/usr/../etc\"]}", P ": read_paths: '/usr/../etc' contains a '..' component" },
                { "{\"write_paths\": [\"/tmp/..\"]}", P ": write_paths: '/tmp/..' contains a '..' component" },
                { "{\"write_paths\": [\"/tmp\", \"\"]}", P ": write_paths: '' is not an absolute path" },
                { "{\"env\": {\"1A\": \"x\"}}", P ": env: invalid variable name '1A'" },
                { "{\"env\": {\"A-B\": \"x\"}}", P ": env: invalid variable name 'A-B'" },
                { "{\"env\": {\"\": \"x\"}}", P ": env: invalid variable name ''" },
                { "{\"env\": {\"SKILLRUN_CONFIG\": \"/x\"}}", P ": env: variable 'SKILLRUN_CONFIG' is reserved" },
                { "{\"env\": {\"LISTEN_FDS\": \"1\"}}", P ": env: variable 'LISTEN_FDS' is reserved" },
                { "{\"env\": {\"CREDENTIALS_DIRECTORY\": \"/x\"}}",
                  P ": env: variable 'CREDENTIALS_DIRECTORY' is reserved" },
                { "{\"env\": {\"LD_PRELOAD\": \"/x.so\"}}", P ": env: variable 'LD_PRELOAD' is reserved" },
                { "{\"env\": {\"LD_LIBRARY_PATH\": \"/x\"}}", P ": env: variable 'LD_LIBRARY_PATH' is reserved" },
                { "{\"env\": {\"LD_AUDIT\": \"/x\"}}", P ": env: variable 'LD_AUDIT' is reserved" },
                { "{\"allow_env\": [\"OK\", \"LD_PRELOAD\"]}", P ": allow_env: variable 'LD_PRELOAD' is reserved" },
                { "{\"allow_env\": [\"SKILLRUN_TOKENS_FILE\"]}",
                  P ": allow_env: variable 'SKILLRUN_TOKENS_FILE' is reserved" },
                { "{\"allow_env\": [\"A B\"]}", P ": allow_env: invalid variable name 'A B'" },
                { "{\"allow_env\": [\"PATH\"]}", P ": allow_env: a request may not set PATH: it chooses the "
                  "programs the skill runs by name (set it in \"env\")" },
                { "{\"env\": {\"PATH\": \"\"}}", P ": env: PATH: '' is not an absolute directory: a command "
                  "looked up there could be a request's file" },
                { "{\"env\": {\"PATH\": \"/usr/bin:bin\"}}", P ": env: PATH: 'bin' is not an absolute directory: "
                  "a command looked up there could be a request's file" },
                { "{\"env\": {\"PATH\": \"/usr/bin::/bin\"}}", P ": env: PATH: '' is not an absolute directory: "
                  "a command looked up there could be a request's file" },
                { "{\"env\": {\"PATH\": \"/usr/bin:\"}}", P ": env: PATH: '' is not an absolute directory: a "
                  "command looked up there could be a request's file" },
                { "{\"code_file\": \"a/b\"}", P ": code_file: invalid file name 'a/b'" },
                { "{\"code_file\": \".\"}", P ": code_file: invalid file name '.'" },
                { "{\"code_file\": \"..\"}", P ": code_file: invalid file name '..'" },
                { "{\"code_file\": \"\"}", P ": code_file: invalid file name ''" },
                { "{\"tokens\": [\"ci\", \"a b\"]}", P ": tokens: invalid token name 'a b'" },
                { "{\"tokens\": [\"\"]}", P ": tokens: invalid token name ''" },
                { "{\"tokens\": [\"a:b\"]}", P ": tokens: invalid token name 'a:b'" },
                { "{\"tokens\": [\"" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "\"]}",
                  P ": tokens: invalid token name '"
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'" },
        };
        char json[512], name[300];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                refused(cases[i].json, cases[i].error);

        /* code_file: 255 characters is the most a file name can have. */
        memset(name, 'c', 255);
        name[255] = 0;
        snprintf(json, sizeof(json), "{\"command\": [\"/x\"], \"code_file\": \"%s\"}", name);
        {
                Manifest *m = NULL;
                is_int(parse(json, &m, NULL), 0, "255-character code_file");
                manifest_free(m);
        }
        name[255] = 'c';
        name[256] = 0;
        snprintf(json, sizeof(json), "{\"code_file\": \"%s\"}", name);
        {
                char want[512];
                snprintf(want, sizeof(want), P ": code_file: invalid file name '%s'", name);
                refused(json, want);
        }

        /* Only a whole ".." component is refused: a name that merely starts or ends with two
         * dots is a name like any other. */
        {
                Manifest *m = NULL;
                is_int(parse("{\"command\": [\"/x\"], \"read_paths\": [\"/srv/..data\", \"/srv/x..\"], "
                             "\"write_paths\": [\"/var/..cache/..x\"]}", &m, NULL),
                       0, "paths with names starting or ending in '..' are accepted");
                if (m) {
                        is_str(m->read_paths[0], "/srv/..data", "... read path kept");
                        is_str(m->write_paths[0], "/var/..cache/..x", "... write path kept");
                }
                manifest_free(m);
        }
}

static void test_ceilings(void) {
        static const struct {
                const char *json, *error;
        } cases[] = {
                { "{\"memory_max\": \"512M\"}", P ": memory_max: 512M is above the ceiling 256M" },
                { "{\"memory_max\": 268435457}", P ": memory_max: 268435457 is above the ceiling 256M" },
                { "{\"timeout_ms\": 30001}", P ": timeout_ms: 30001 is above the ceiling 30000" },
                { "{\"tasks_max\": 65}", P ": tasks_max: 65 is above the ceiling 64" },
                { "{\"output_max\": \"2M\"}", P ": output_max: 2M is above the ceiling 1M" },
                { "{\"workdir_max\": \"1G\"}", P ": workdir_max: 1G is above the ceiling 64M" },
                { "{\"cpu_max\": 300}", P ": cpu_max: 300% is above the ceiling 200%" },
                { "{\"cpu_max\": \"201%\"}", P ": cpu_max: 201% is above the ceiling 200%" },
                { "{\"cpu_max\": \"max\"}", P ": cpu_max: unlimited is above the ceiling 200%" },
                { "{\"cpu_max\": 0}", P ": cpu_max: unlimited is above the ceiling 200%" },
                { "{\"timeout_ms\": 18446744073709551615}",
                  P ": timeout_ms: out of range (18446744073709551615 or more)" },
        };
        Manifest *m = NULL;
        static const char at_ceiling[] =
                "{\"command\": [\"/x\"], \"memory_max\": \"256M\", \"timeout_ms\": 30000, \"tasks_max\": 64,"
                " \"output_max\": 1048576, \"workdir_max\": \"64M\", \"cpu_max\": \"200%\"}";

        settings.limits.cpu_max = 200;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                refused(cases[i].json, cases[i].error);

        is_int(parse(at_ceiling, &m, NULL), 0, "every limit exactly at its ceiling");
        if (m) {
                is_int(m->limits.memory_max, 256 << 20, "memory at ceiling");
                is_int(m->limits.cpu_max, 200, "cpu at ceiling");
        }
        m = manifest_free(m);

        /* Without a CPU ceiling anything goes, unlimited included. */
        settings.limits.cpu_max = 0;
        is_int(parse("{\"command\": [\"/x\"], \"cpu_max\": 400}", &m, NULL), 0, "cpu 400 without ceiling");
        if (m)
                is_int(m->limits.cpu_max, 400, "cpu 400");
        m = manifest_free(m);
        is_int(parse("{\"command\": [\"/x\"], \"cpu_max\": 100000}", &m, NULL), 0,
               "cpu 100000 (SETTINGS_CPU_MAX_LIMIT) as a number");
        m = manifest_free(m);
        is_int(parse("{\"command\": [\"/x\"], \"cpu_max\": \"max\"}", &m, NULL), 0, "cpu max without ceiling");
        if (m)
                is_int(m->limits.cpu_max, 0, "cpu unlimited");
        m = manifest_free(m);

        /* Ceilings come from the settings, not from built-in numbers. */
        settings.limits.memory_max = 1 << 20;
        refused("{\"memory_max\": \"2M\"}", P ": memory_max: 2M is above the ceiling 1M");
        settings.limits.memory_max = DEFAULT_MEMORY_MAX;
}

static void test_json(void) {
        static const struct {
                const char *json, *error;
        } cases[] = {
                { "", P ": invalid JSON: unexpected end of input" },
                { "{\"command\": [\"/x\"]", P ": invalid JSON: unexpected end of input" },
                { "[\"/usr/bin/wc\"]", P ": expected a JSON object" },
                { "\"x\"", P ": expected a JSON object" },
                { "null", P ": expected a JSON object" },
                /* valid UTF-8, but no JSON: not json-c's "invalid utf-8 string" */
                { "\xEF\xBB\xBF{\"command\": [\"/x\"]}",
                  P ":1: invalid JSON: a byte order mark (U+FEFF) at the start: save the file without it" },
                /* ... the whole file (an editor's save of an empty one) */
                { "\xEF\xBB\xBF", P ":1: invalid JSON: a byte order mark (U+FEFF) at the start: save the file without it" },
                /* RFC 8259 whichever json-c reads it: 0.18's strict mode refuses a raw control
                 * character in a string, and NaN, itself; 0.16's took them, and a skill that
                 * worked on Debian 12 would fail every request on Debian 13 */
                { "{\"command\": [\"/x\"], \"description\": \"a\tb\"}",
                  P ":1: invalid JSON: a control character not escaped in a string" },
                { "{\"command\": [\"/x\"], \"env\": {\"A\": \"\x01\"}}",
                  P ":1: invalid JSON: a control character not escaped in a string" },
                { "{\"command\": [\"/x\"], \"timeout_ms\": NaN}",
                  P ":1: invalid JSON: a number JSON does not allow (NaN, Infinity, a leading zero, no digit after '.')" },
                { "{\"command\": [\"/x\"], \"tasks_max\": -Infinity}",
                  P ":1: invalid JSON: a number JSON does not allow (NaN, Infinity, a leading zero, no digit after '.')" },
        };
        Manifest *m = NULL;
        char *error = NULL;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                refused(cases[i].json, cases[i].error);

        /* ... and the line named is the one the control character is on */
        is_int(parse("{\"command\": [\"/x\",\n\"a\nb\"]}", &m, &error), -EINVAL, "a raw newline in a string");
        is_str(error, P ":2: invalid JSON: a control character not escaped in a string", "... on line 2");
        m = manifest_free(m);
        free(error);
        error = NULL;

        /* Trailing data is refused; json-c words the message. */
        is_int(parse("{\"command\": [\"/x\"]} {}", &m, &error), -EINVAL, "second object after the first");
        contains_str(error, P ":1: invalid JSON: ", "second object message");
        free(error);
        error = NULL;
        is_int(parse("{\"command\": [\"/x\"]}\n\nx", &m, &error), -EINVAL, "junk after the object");
        contains_str(error, P ":3: invalid JSON: ", "junk message names line 3");
        free(error);
        error = NULL;
        is_int(parse("5", &m, &error), -EINVAL, "a bare number");
        is_str(error, P ": expected a JSON object", "bare number message");
        free(error);
        error = NULL;

        /* An integer beyond 64 bits: json-c before 0.18 clamps it, and the field says so; 0.18's strict
         * mode refuses it itself */
        {
                static const char *const big[][2] = {
                        { "{\"timeout_ms\": 99999999999999999999999}", "timeout_ms" },
                        { "{\"cpu_max\": 18446744073709551616}", "cpu_max" },
                };
                for (size_t i = 0; i < ELEMENTSOF(big); i++) {
                        _cleanup_free_ char *clamped = NULL;
                        ok(asprintf(&clamped, P ": %s: out of range (18446744073709551615 or more)", big[i][1]) > 0,
                           "asprintf");
                        is_int(parse(big[i][0], &m, &error), -EINVAL, "refused: %s", big[i][0]);
                        ok(m == NULL, "no manifest returned for %s", big[i][0]);
                        ok(streq_ptr(error, clamped) || streq_ptr(error, P ":1: invalid JSON: an integer beyond 64 bits"),
                           "message for %s: %s", big[i][0], strempty(error));
                        free(error);
                        error = NULL;
                }
                /* bare, ending the file: json-c 0.18 and 0.19's strict mode take it for a text cut
                 * short, and the file is whole */
                is_int(parse("99999999999999999999999", &m, &error), -EINVAL, "refused: a bare integer beyond 64 bits");
                ok(streq_ptr(error, P ": expected a JSON object") ||
                           streq_ptr(error, P ":1: invalid JSON: an integer beyond 64 bits"),
                   "message for a bare integer beyond 64 bits: %s", strempty(error));
                free(error);
                error = NULL;
        }

        /* Syntax errors carry a line number and json-c's description; the exact words are json-c's. */
        is_int(parse("{\n\"command\": [\"/x\",]\n}", &m, &error), -EINVAL, "trailing comma");
        ok(error && strncmp(error, P ":2: invalid JSON: ", strlen(P ":2: invalid JSON: ")) == 0,
           "trailing comma message has line 2 (%s)", strempty(error));
        free(error);
        error = NULL;

        /* json-c 0.18's strict mode takes every byte above 0x7f for a control character (its issue #875) */
        is_int(parse("{\"command\": [\"/x\"], \"description\": \"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\"}", &m, &error), 0,
               "UTF-8 in a string");
        is_str(m ? m->description : NULL, "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", "... kept as written");
        manifest_free(m);
        m = NULL;
        free(error);
        error = NULL;
        is_int(parse("{\"description\": \"\xc3\xa9\",\n\"command\": [\"/x\",]\n}", &m, &error), -EINVAL,
               "UTF-8, then a syntax error");
        ok(error && strncmp(error, P ":2: invalid JSON: ", strlen(P ":2: invalid JSON: ")) == 0,
           "... on line 2 (%s)", strempty(error));
        free(error);
        error = NULL;

        /* json-c makes U+1D800-U+1DFFF, U+2D800-U+2DFFF, ... escaped U+FFFD (its surrogate test ignores
         * the plane); the text it reads instead has them as UTF-8, on the same lines */
        is_int(parse("{\"command\": [\"/x\"], \"description\": \"\\ud837\\udf00 \\\\ud837\\\\udf00\"}", &m, &error), 0,
               "U+1DF00 escaped");
        is_str(m ? m->description : NULL, "\xf0\x9d\xbc\x80 \\ud837\\udf00", "... kept, and an escaped backslash stays");
        manifest_free(m);
        m = NULL;
        free(error);
        error = NULL;
        is_int(parse("{\"description\": \"\\ud837\\udf00\",\n\"command\": [\"/x\",]\n}", &m, &error), -EINVAL,
               "U+1DF00 escaped, then a syntax error");
        ok(error && strncmp(error, P ":2: invalid JSON: ", strlen(P ":2: invalid JSON: ")) == 0,
           "... on line 2 (%s)", strempty(error));
        free(error);
        error = NULL;
        is_int(parse("{\"command\": [\"/x\"], \"description\": \"\\ud837\\udf00\",\n\"description\": \"\\ud837\\udf01\"}",
                     &m, &error), -EINVAL, "a key given twice after U+1DF00 escaped");
        is_str(error, P ":2: key 'description' given twice", "... on line 2");
        free(error);
        error = NULL;

        is_int(parse("{\"command\": [\"/x\"], \"description\": \"\xff\"}", &m, &error), -EINVAL, "invalid UTF-8");
        contains_str(error, P ":1: invalid JSON: ", "invalid UTF-8 message");
        free(error);
        error = NULL;

        is_int(parse("{'command': ['/x']}", &m, &error), -EINVAL, "single quotes refused (strict)");
        is_str(error, P ":1: invalid JSON: a string in single quotes", "single quotes message");
        free(error);
        error = NULL;
        /* json-c's strict mode takes a key in single quotes: the grammar names it, on its line */
        is_int(parse("{\"description\": \"x\",\n 'command': [\"/x\"]}", &m, &error), -EINVAL,
               "a key in single quotes refused");
        is_str(error, P ":2: invalid JSON: a string in single quotes", "... named, on line 2");
        free(error);
        error = NULL;

        is_int(manifest_parse(&settings, "wc", P, "{}\0{}", 5, &m, &error), -EINVAL, "NUL byte after the object");
        is_str(error, P ":1: invalid JSON: trailing data", "NUL byte message");
        free(error);
        error = NULL;
        /* before the end of the value json-c takes a NUL byte for the end of the text */
        is_int(manifest_parse(&settings, "wc", P, "{\"command\": [\"/x\"],\n \"description\": \"a\0b\"}", 42, &m,
                              &error),
               -EINVAL, "NUL byte in a string");
        is_str(error, P ":2: unexpected NUL byte", "... message names it and its line");
        free(error);
        error = NULL;
        is_int(manifest_parse(&settings, "wc", P, "\0{\"command\": [\"/x\"]}", 20, &m, &error), -EINVAL,
               "NUL byte before the object");
        is_str(error, P ":1: unexpected NUL byte", "... message");
        free(error);
        error = NULL;
        is_int(manifest_parse(&settings, "wc", P, "{\"command\": [\"/x\"]", 18, &m, &error), -EINVAL, "cut short");
        is_str(error, P ": invalid JSON: unexpected end of input", "... message: no NUL byte in it");
        free(error);
        error = NULL;
        /* NUL bytes alone after it: no "{" to give them away (strchr() finds the terminator) */
        is_int(manifest_parse(&settings, "wc", P, "{\"command\": [\"/x\"]}\0\0", 20, &m, &error), -EINVAL,
               "NUL bytes alone after the object");
        is_str(error, P ":1: invalid JSON: trailing data", "... message");
        free(error);
        error = NULL;

        /* Bad names are checked before the text is even looked at. */
        is_int(manifest_parse(&settings, "Wc", "/d/Wc.json", "{}", 2, &m, &error), -EINVAL, "bad name");
        is_str(error, "/d/Wc.json: invalid skill name 'Wc'", "bad name message");
        free(error);
        error = NULL;
        is_int(manifest_parse(&settings, "../x", "/d/x.json", "{}", 2, &m, &error), -EINVAL, "traversal name");
        is_str(error, "/d/x.json: invalid skill name '../x'", "traversal name message");
        free(error);
        error = NULL;
        ok(m == NULL, "nothing returned on errors");

        /* Duplicate keys: json-c would keep the last one, the operator may have meant the first */
        const char *twice = "{\"command\": [\"/a\"], \"command\": [\"/b\"]}";
        is_int(manifest_parse(&settings, "x", "/d/x.json", twice, strlen(twice), &m, &error), -EINVAL,
               "duplicate key refused");
        is_str(error, "/d/x.json:1: key 'command' given twice", "duplicate key message");
        free(error);
        error = NULL;
        ok(m == NULL, "nothing returned for a duplicate key");
}

static void mkdir_p(const char *path) {
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
                perror(path);
                exit(EXIT_FAILURE);
        }
}

static void test_load(void) {
        char a[256], b[256], none[256], path[512], want[600];
        char **names = NULL;
        Manifest *m = NULL;
        char *error = NULL;
        Settings s;

        snprintf(a, sizeof(a), "%s/a", tmpdir);
        snprintf(b, sizeof(b), "%s/b/", tmpdir); /* trailing slash must not double up */
        snprintf(none, sizeof(none), "%s/does-not-exist", tmpdir);
        mkdir_p(a);
        mkdir_p(b);

        snprintf(path, sizeof(path), "%s/wc.json", a);
        write_file(path, "{\"description\": \"admin\", \"command\": [\"/usr/bin/wc\"]}");
        snprintf(path, sizeof(path), "%swc.json", b);
        write_file(path, "{\"description\": \"packaged\", \"command\": [\"/usr/bin/wc\"]}");
        snprintf(path, sizeof(path), "%sonly-b.json", b);
        write_file(path, "{\"description\": \"b\", \"command\": [\"/bin/true\"], \"tokens\": []}");
        snprintf(path, sizeof(path), "%sbroken.json", b);
        write_file(path, "{\"command\": [\"/bin/true\"]}");
        snprintf(path, sizeof(path), "%s/broken.json", a);
        write_file(path, "{\"command\": \"true\"}");
        snprintf(path, sizeof(path), "%s/Bad.json", a);
        write_file(path, "{\"command\": [\"/bin/true\"]}");
        snprintf(path, sizeof(path), "%s/notes.txt", a);
        write_file(path, "not a manifest");
        snprintf(path, sizeof(path), "%s/dir.json", a);
        mkdir_p(path);
        snprintf(path, sizeof(path), "%s/link.json", a);
        {
                char target[512];
                snprintf(target, sizeof(target), "%swc.json", b);
                if (symlink(target, path) < 0)
                        perror("symlink");
        }
        snprintf(path, sizeof(path), "%s/big.json", a);
        {
                FILE *f = fopen(path, "we");
                fputs("{\"description\": \"", f);
                for (int i = 0; i < (1 << 20); i++)
                        fputc('x', f);
                fputs("\", \"command\": [\"/x\"]}", f);
                fclose(f);
        }

        settings_init(&s);
        strv_free(s.skills_dirs);
        s.skills_dirs = NULL;
        strv_extend(&s.skills_dirs, none);
        strv_extend(&s.skills_dirs, a);
        strv_extend(&s.skills_dirs, b);

        is_int(manifest_load(&s, "wc", &m, &error), 0, "load wc");
        ok(error == NULL, "no message");
        if (m) {
                is_str(m->description, "admin", "earlier directory wins");
                snprintf(want, sizeof(want), "%s/wc.json", a);
                is_str(m->path, want, "path of the winner");
                is_str(m->dir, a, "dir of the winner");
        }
        m = manifest_free(m);

        is_int(manifest_load(&s, "only-b", &m, &error), 0, "load only-b");
        if (m) {
                is_str(m->description, "b", "found in the later directory");
                snprintf(want, sizeof(want), "%sonly-b.json", b);
                is_str(m->path, want, "no doubled slash");
                ok(m->tokens && !m->tokens[0], "empty tokens list is kept non-NULL");
                ok(!manifest_token_allowed(m, "ci"), "empty tokens list allows nobody");
        }
        m = manifest_free(m);

        is_int(manifest_load(&s, "link", &m, &error), 0, "symlinked manifest");
        if (m)
                is_str(m->description, "packaged", "symlink followed");
        m = manifest_free(m);

        is_int(manifest_load(&s, "broken", &m, &error), -EINVAL, "broken manifest in the first dir is an error");
        snprintf(want, sizeof(want), "%s/broken.json: command: expected an array of strings", a);
        is_str(error, want, "... and not skipped for the good one later");
        free(error);
        error = NULL;

        is_int(manifest_load(&s, "missing", &m, &error), -ENOENT, "missing skill");
        ok(error == NULL, "no message for a missing skill");
        ok(m == NULL, "no manifest for a missing skill");

        is_int(manifest_load(&s, "Bad", &m, &error), -EINVAL, "invalid name is refused before any lookup");
        is_str(error, "invalid skill name 'Bad'", "invalid name message");
        free(error);
        error = NULL;
        is_int(manifest_load(&s, "../a/wc", &m, &error), -EINVAL, "traversal refused");
        is_str(error, "invalid skill name '../a/wc'", "traversal message");
        free(error);
        error = NULL;

        is_int(manifest_load(&s, "dir", &m, &error), -EINVAL, "directory named like a manifest");
        snprintf(want, sizeof(want), "%s/dir.json: not a regular file", a);
        is_str(error, want, "not a regular file message");
        free(error);
        error = NULL;

        is_int(manifest_load(&s, "big", &m, &error), -EFBIG, "manifest over 1 MiB");
        snprintf(want, sizeof(want), "%s/big.json: larger than 1048576 bytes", a);
        is_str(error, want, "too large message");
        free(error);
        error = NULL;

        /* A manifest that cannot be opened for another reason than its absence is an error, not a
         * skill to look for in the next directory: a symlink loop, a file where a directory was. */
        snprintf(path, sizeof(path), "%s/loop.json", a);
        if (symlink("loop.json", path) < 0)
                perror("symlink");
        is_int(manifest_load(&s, "loop", &m, &error), -ELOOP, "symlink loop");
        snprintf(want, sizeof(want), "%s/loop.json: %s", a, strerror(ELOOP));
        is_str(error, want, "... says so, with the path");
        ok(m == NULL, "... and returns no manifest");
        free(error);
        error = NULL;
        unlink(path);
        {
                Settings f;
                settings_init(&f);
                strv_free(f.skills_dirs);
                f.skills_dirs = NULL;
                snprintf(path, sizeof(path), "%s/notes.txt", a);
                strv_extend(&f.skills_dirs, path);
                strv_extend(&f.skills_dirs, b);
                is_int(manifest_load(&f, "wc", &m, &error), -ENOTDIR, "a file as skills dir: not skipped for the next");
                snprintf(want, sizeof(want), "skills_dir entry '%s/notes.txt': not a directory", a);
                is_str(error, want, "... and the message names the entry, not the skill");
                free(error);
                error = NULL;
                settings_done(&f);
        }

        /* "dir" is a directory (listed: manifest_load() calls it broken, as the worker does), "Bad"
         * not a valid name, notes.txt not JSON; wc and broken are in both. */
        static const char *const want_names[] = { "big", "broken", "dir", "link", "only-b", "wc" };
        is_int(manifest_list_names(&s, &names, NULL), ELEMENTSOF(want_names), "six distinct valid names");
        is_int(strv_length(names), ELEMENTSOF(want_names), "strv has six");
        for (size_t i = 0; names && i < ELEMENTSOF(want_names) && names[i]; i++)
                is_str(names[i], want_names[i], "names[%zu], sorted and deduplicated", i);
        strv_free(names);
        names = NULL;

        /* A directory that cannot be listed is an error, not an empty list. */
        strv_free(s.skills_dirs);
        s.skills_dirs = NULL;
        snprintf(path, sizeof(path), "%s/notes.txt", a);
        strv_extend(&s.skills_dirs, none);
        strv_extend(&s.skills_dirs, path);
        {
                const char *failed = NULL;
                is_int(manifest_list_names(&s, &names, &failed), -ENOTDIR, "file as skills dir");
                is_str(failed, path, "... and the directory that failed is named, not the missing one before it");
        }
        ok(names == NULL, "nothing returned on error");

        /* No directory at all: an empty, non-NULL list. */
        strv_free(s.skills_dirs);
        s.skills_dirs = NULL;
        strv_extend(&s.skills_dirs, none);
        is_int(manifest_list_names(&s, &names, NULL), 0, "no skills");
        ok(names && !names[0], "empty list");
        strv_free(names);
        settings_done(&s);

        /* Clean up the tree. */
        static const char *const files[] = { "a/wc.json", "b/wc.json", "b/only-b.json", "b/broken.json",
                                             "a/broken.json", "a/Bad.json", "a/notes.txt", "a/link.json",
                                             "a/big.json" };
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
                unlink(path);
        }
        snprintf(path, sizeof(path), "%s/dir.json", a);
        rmdir(path);
        rmdir(a);
        rmdir(b);
}

static void test_token_allowed(void) {
        Manifest m = {};
        char *tokens[] = { (char *) "ci", NULL };

        ok(manifest_token_allowed(&m, "anyone"), "no tokens list: anyone");
        ok(manifest_token_allowed(&m, NULL), "no tokens list: even without a name");
        m.tokens = tokens;
        ok(manifest_token_allowed(&m, "ci"), "listed token");
        ok(!manifest_token_allowed(&m, "cI"), "names are case-sensitive");
        ok(!manifest_token_allowed(&m, "c"), "prefix is not a match");
        ok(!manifest_token_allowed(NULL, "ci"), "no manifest: no");
}

int main(void) {
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return EXIT_FAILURE;
        }
        settings_init(&settings);

        test_names();
        test_keys();
        test_defaults();
        test_full();
        test_contradictions();
        test_types();
        test_skill_path();
        test_values();
        test_ceilings();
        test_json();
        test_load();
        test_token_allowed();

        settings_done(&settings);
        rmdir(tmpdir);
        return done_testing();
}
