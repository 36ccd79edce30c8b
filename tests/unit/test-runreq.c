/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "manifest.h"
#include "run.h"
#include "tap.h"

static Settings s;

/* Our own code's reallocs (json-c's are its own, not wrapped): a vector grown once per arg walks
 * and copies itself each time, and a body of max_body holds a quarter million of them. */
static size_t reallocs;
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n) {
        reallocs++;
        return __real_realloc(p, n);
}

static Manifest *manifest(const char *text) {
        Manifest *m = NULL;
        _cleanup_free_ char *err = NULL;
        int r = manifest_parse(&s, "t", "/test/t.json", text, strlen(text), &m, &err);
        if (r < 0)
                printf("# manifest_parse: %s\n", err ? err : "?");
        return m;
}

/* Parse body; on error return the message (static buffer), on success "OK". */
static const char *try(const Manifest *m, const char *body, RunRequest *ret) {
        static char buf[512];
        _cleanup_free_ char *err = NULL;
        RunRequest r = {};
        int k = run_request_parse(&s, m, body, strlen(body), &r, &err);
        if (k < 0) {
                snprintf(buf, sizeof(buf), "%d %s", k, err ? err : "(no message)");
                return buf;
        }
        if (ret)
                *ret = r;
        else
                run_request_done(&r);
        return "OK";
}

/* before, n bytes of 'a', after: a body with one long string, or NULL */
static char *body_with(const char *before, size_t n, const char *after) {
        char *b;

        if (asprintf(&b, "%s%*s%s", before, (int) n, "", after) < 0)
                return NULL;
        memset(b + strlen(before), 'a', n);
        return b;
}

int main(void) {
        _cleanup_manifest_ Manifest *plain = NULL, *code = NULL, *noinput = NULL;
        RunRequest r = {};

        settings_init(&s);
        plain = manifest("{\"command\": [\"/bin/cat\"], \"allow_env\": [\"FOO\"], \"timeout_ms\": 5000}");
        code = manifest("{\"command\": [\"/usr/bin/python3\"], \"accepts_code\": true, \"code_file\": \"main.py\"}");
        noinput = manifest("{\"command\": [\"/bin/true\"], \"input\": \"none\"}");
        if (!plain || !code || !noinput)
                return printf("Bail out! manifests did not parse\n"), 1;

        is_str(try(plain, "", &r), "OK", "empty body is an empty request");
        ok(!r.stdin_data && !r.args && !r.has_code, "empty request has nothing");
        run_request_done(&r);

        is_str(try(plain, "{\"input\": {\"a\": [1, \"x/y\"]}}", &r), "OK", "input");
        is_str(r.stdin_data, "{\"a\":[1,\"x/y\"]}", "input is compact JSON on stdin, slashes unescaped");
        is_int(r.stdin_len, strlen("{\"a\":[1,\"x/y\"]}"), "stdin_len");
        run_request_done(&r);

        is_str(try(plain, "{\"stdin\": \"raw\\ntext\"}", &r), "OK", "stdin");
        is_str(r.stdin_data, "raw\ntext", "stdin verbatim");
        run_request_done(&r);

        is_str(try(plain, "{\"stdin\": \"a\\u0000b\"}", &r), "OK", "stdin may carry NUL bytes");
        is_int(r.stdin_len, 3, "NUL kept in stdin");
        run_request_done(&r);

        is_str(try(plain, "{\"input\": 1, \"stdin\": \"x\"}", NULL), "-22 input and stdin are mutually exclusive",
               "input and stdin together refused");
        is_str(try(noinput, "{\"input\": 1}", NULL), "-22 input: skill 't' takes no input", "input to a no-input skill");
        is_str(try(plain, "{\"stdin\": 5}", NULL), "-22 stdin: expected a string", "stdin type");

        is_str(try(plain, "{\"args\": [\"-n\", \"x y\"]}", &r), "OK", "args");
        is_int(strv_length(r.args), 2, "two args");
        is_str(r.args[1], "x y", "args are not split");
        run_request_done(&r);
        is_str(try(plain, "{\"args\": \"-n\"}", NULL), "-22 args: expected an array of strings", "args type");
        is_str(try(plain, "{\"args\": [1]}", NULL), "-22 args[0]: expected a string", "args item type");
        is_str(try(plain, "{\"args\": [\"a\\u0000b\"]}", NULL), "-22 args[0]: unexpected NUL character (\\u0000)",
               "NUL in args refused");

        is_str(try(plain, "{\"env\": {\"FOO\": \"bar\"}}", &r), "OK", "allowed env");
        is_str(r.env[0], "FOO=bar", "env entry");
        run_request_done(&r);
        is_str(try(plain, "{\"env\": {\"BAR\": \"x\"}}", NULL), "-22 env: 'BAR' is not allowed by skill 't'",
               "env not in allow_env refused");
        is_str(try(plain, "{\"env\": {\"1X\": \"x\"}}", NULL), "-22 env: invalid variable name '1X'", "bad env name");
        /* a name that holds '=' would set another variable than the one allow_env names */
        is_str(try(plain, "{\"env\": {\"FOO=BAR\": \"x\"}}", NULL), "-22 env: invalid variable name 'FOO=BAR'",
               "'=' in an env name refused");
        is_str(try(plain, "{\"env\": {\"A-B\": \"x\"}}", NULL), "-22 env: invalid variable name 'A-B'",
               "'-' in an env name refused");
        is_str(try(plain, "{\"env\": {\"\": \"x\"}}", NULL), "-22 env: invalid variable name ''", "empty env name refused");
        is_str(try(plain, "{\"env\": {\"FOO\": 1}}", NULL), "-22 env: 'FOO': expected a string",
               "env value type");
        is_str(try(plain, "{\"env\": {\"FOO\": \"a\\u0000\"}}", NULL), "-22 env: 'FOO': unexpected NUL character (\\u0000)",
               "env value with a NUL byte: said so, not taken for a wrong type");

        /* execve(2) takes no string (NUL included) longer than 32 pages: one more is the caller's
         * 400, not a run that ends in sandbox_error, which the journal records as the operator's */
        {
                size_t max = (size_t) sysconf(_SC_PAGESIZE) * 32 - 1;
                char want[128];
                _cleanup_free_ char *arg_max = body_with("{\"args\": [\"x\", \"", max, "\"]}");
                _cleanup_free_ char *arg_over = body_with("{\"args\": [\"x\", \"", max + 1, "\"]}");
                _cleanup_free_ char *env_max = body_with("{\"env\": {\"FOO\": \"", max - strlen("FOO="), "\"}}");
                _cleanup_free_ char *env_over = body_with("{\"env\": {\"FOO\": \"", max - strlen("FOO=") + 1, "\"}}");

                if (!arg_max || !arg_over || !env_max || !env_over)
                        return printf("Bail out! out of memory\n"), 1;
                is_str(try(plain, arg_max, NULL), "OK", "an arg of %zu bytes, the most execve(2) takes", max);
                snprintf(want, sizeof want, "-22 args[1]: longer than %zu bytes, the most execve(2) takes", max);
                is_str(try(plain, arg_over, NULL), want, "an arg of %zu bytes refused", max + 1);
                is_str(try(plain, env_max, NULL), "OK", "FOO=value of %zu bytes, the most execve(2) takes", max);
                snprintf(want, sizeof want, "-22 env: 'FOO': longer than %zu bytes with its name and '=', the most "
                         "execve(2) takes", max);
                is_str(try(plain, env_over, NULL), want, "FOO=value of %zu bytes refused", max + 1);
        }

        is_str(try(plain, "{\"files\": {\"data.csv\": \"YSxiCg==\"}}", &r), "OK", "files");
        is_int(r.n_files, 1, "one file");
        is_str(r.files[0].name, "data.csv", "file name");
        ok(r.files[0].len == 4 && memcmp(r.files[0].data, "a,b\n", 4) == 0, "file decoded");
        run_request_done(&r);
        is_str(try(plain, "{\"files\": {\"../x\": \"\"}}", NULL), "-22 files: invalid file name '../x': it holds a '/'",
               "'..' path refused");
        is_str(try(plain, "{\"files\": {\"..\": \"\"}}", NULL),
               "-22 files: invalid file name '..': '.' and '..' name no file", "'..' refused");
        is_str(try(plain, "{\"files\": {\".\": \"\"}}", NULL),
               "-22 files: invalid file name '.': '.' and '..' name no file", "'.' refused");
        is_str(try(plain, "{\"files\": {\"a/b\": \"\"}}", NULL), "-22 files: invalid file name 'a/b': it holds a '/'",
               "'/' refused");
        /* each rule said as it is, not "(no '/', '.' or '..')" for a name that has none of them */
        is_str(try(plain, "{\"files\": {\"\": \"\"}}", NULL), "-22 files: invalid file name '': it is empty",
               "empty name refused");
        is_str(try(plain, "{\"files\": {\"a\\tb\": \"\"}}", NULL),
               "-22 files: invalid file name 'a\tb': it holds a control character", "control character refused");
        {
                char body[400], want[300];
                /* 256 bytes: one too many; the message quotes 128 of them, not the whole name */
                snprintf(body, sizeof(body), "{\"files\": {\"%0256d\": \"\"}}", 0);
                snprintf(want, sizeof(want), "-22 files: invalid file name '%0128d'... (256 bytes): it is longer than "
                         "255 bytes", 0);
                is_str(try(plain, body, NULL), want, "a name of 256 bytes refused, quoted in part");
                snprintf(body, sizeof(body), "{\"files\": {\"%0255d\": \"\"}}", 0);
                is_str(try(plain, body, NULL), "OK", "... one of 255 taken");
                /* a name of 128 bytes, the most quoted, is quoted whole: no "..." nor its length */
                snprintf(body, sizeof(body), "{\"files\": {\"%0127d\\t\": \"\"}}", 0);
                snprintf(want, sizeof(want), "-22 files: invalid file name '%0127d\t': it holds a control character", 0);
                is_str(try(plain, body, NULL), want, "a refused name of 128 bytes quoted whole");
                snprintf(body, sizeof(body), "{\"files\": {\"%0128d\\t\": \"\"}}", 0);
                snprintf(want, sizeof(want), "-22 files: invalid file name '%0128d'... (129 bytes): it holds a control "
                         "character", 0);
                is_str(try(plain, body, NULL), want, "... one of 129 bytes quoted in part");
        }
        is_str(try(plain, "{\"files\": {\"x\": \"!!\"}}", NULL), "-22 files: 'x': invalid base64", "bad base64");
        {
                char body[8192] = "{\"files\": {";
                for (int i = 0; i < 65; i++)
                        snprintf(body + strlen(body), sizeof(body) - strlen(body), "%s\"f%d\": \"\"", i ? "," : "", i);
                strcat(body, "}}");
                is_str(try(plain, body, NULL), "-22 files: more than 64 files", "file count bounded");
        }
        {
                Manifest small = *plain;
                small.limits.workdir_max = 3;
                is_str(try(&small, "{\"files\": {\"a\": \"YWJjZA==\"}}", NULL),
                       "-22 files: more than 3 bytes in all (each file in whole 4096-byte blocks, the code included)",
                       "file bytes bounded by workdir_max");
                /* counted as the supervisor counts the work dir, or the run is killed for output_limit
                 * with nothing written by the skill */
                small.limits.workdir_max = 8191;
                is_str(try(&small, "{\"files\": {\"a\": \"YQ==\", \"b\": \"Yg==\"}}", NULL),
                       "-22 files: more than 8191 bytes in all (each file in whole 4096-byte blocks, the code included)",
                       "two files of a byte take two blocks");
                small.limits.workdir_max = 8192;
                is_str(try(&small, "{\"files\": {\"a\": \"YQ==\", \"b\": \"Yg==\"}}", NULL), "OK",
                       "... which fit 8192");
        }
        {
                Manifest small = *code;
                small.limits.workdir_max = 4096;
                is_str(try(&small, "{\"code\": \"x\", \"files\": {\"a\": \"YQ==\"}}", NULL),
                       "-22 files: more than 4096 bytes in all (each file in whole 4096-byte blocks, the code included)",
                       "the code file counts with the files");
                is_str(try(&small, "{\"code\": \"x\"}", NULL), "OK", "code alone in a block");
                small.limits.workdir_max = 4095;
                is_str(try(&small, "{\"code\": \"x\"}", NULL),
                       "-22 code: more than 4095 bytes (in whole 4096-byte blocks)", "code alone over workdir_max");
                /* an empty file takes an inode, counted a block: never nothing */
                is_str(try(&small, "{\"code\": \"\"}", NULL),
                       "-22 code: more than 4095 bytes (in whole 4096-byte blocks)", "empty code: a block all the same");
                small.limits.workdir_max = 4096;
                is_str(try(&small, "{\"code\": \"\", \"files\": {\"a\": \"\"}}", NULL),
                       "-22 files: more than 4096 bytes in all (each file in whole 4096-byte blocks, the code included)",
                       "empty code and an empty file: a block each");
                /* a file of exactly a block fills one, not two */
                _cleanup_free_ char *block = body_with("{\"code\": \"", 4096, "\"}");
                _cleanup_free_ char *more = body_with("{\"code\": \"", 4097, "\"}");
                assert_se(block && more);
                is_str(try(&small, block, NULL), "OK", "code of 4096 bytes fits workdir_max 4096");
                is_str(try(&small, more, NULL), "-22 code: more than 4096 bytes (in whole 4096-byte blocks)",
                       "... one of 4097 bytes takes two blocks");
        }

        is_str(try(plain, "{\"code\": \"print(1)\"}", NULL), "-22 code: skill 't' does not accept code",
               "code refused without accepts_code");
        is_str(try(code, "{\"code\": \"print(1)\", \"args\": [\"a\"]}", &r), "OK", "code accepted");
        ok(r.has_code && r.code_len == 8, "code kept");
        run_request_done(&r);
        is_str(try(code, "{\"files\": {\"main.py\": \"\"}, \"code\": \"x\"}", NULL),
               "-22 files: 'main.py' would overwrite the code file", "file may not overwrite the code file");

        is_str(try(plain, "{\"timeout_ms\": 100}", &r), "OK", "timeout_ms");
        is_int(r.timeout_ms, 100, "timeout_ms kept");
        {
                Limits l;
                run_effective_limits(plain, &r, &l);
                is_int(l.timeout_ms, 100, "timeout lowered");
                r.timeout_ms = 999999;
                run_effective_limits(plain, &r, &l);
                is_int(l.timeout_ms, 5000, "timeout never raised above the manifest's");
        }
        run_request_done(&r);
        is_str(try(plain, "{\"timeout_ms\": 0}", NULL), "-22 timeout_ms: expected a positive integer", "timeout 0");
        is_str(try(plain, "{\"timeout_ms\": \"5\"}", NULL), "-22 timeout_ms: expected a positive integer", "timeout string");
        is_str(try(plain, "{\"timeout_ms\": 1.5}", NULL), "-22 timeout_ms: expected a positive integer", "timeout double");

        is_str(try(plain, "{\"nope\": 1}", NULL), "-22 unknown field 'nope'", "unknown field refused");
        is_str(try(plain, "[1]", NULL), "-22 request body must be a JSON object", "array body refused");
        is_str(try(plain, "{\"a\":", NULL), "-22 request body is not valid JSON: unexpected end of data",
               "truncated JSON refused, in words");
        contains_str(try(plain, "{} x", NULL), "-22 request body is not valid JSON", "trailing garbage refused");
        /* where: a request written out over lines (skillrun run --request FILE) or one long line;
         * columns count characters, not bytes */
        static const struct {
                const char *body, *error, *what;
        } placed[] = {
                { "{\"a\":\n\n 1,,}", "an object key that is no string (line 3, column 4)", "its line and column" },
                { "{\"args\": [1 2]}", "neither ',' nor the end of the object or array (line 1, column 13)",
                  "a one-line body" },
                { "{\"\xc3\xa9\": x}", "a number JSON does not allow (NaN, Infinity, a leading zero, no digit after "
                  "'.') (line 1, column 7)", "a character of two bytes is one column" },
                { "{\"stdin\": \"\xc3\xa9\ta\"}", "a control character not escaped in a string (line 1, column 13)",
                  "what json-c refuses itself, placed by our reading of the text" },
                { "{} x", "trailing data (line 1, column 4)", "trailing data" },
                /* json-c reads a copy where it would misread a \u pair (U+1DF00 here) */
                { "{\"stdin\": \"\\ud837\\udf00\",\n x}", "an object key that is no string (line 2, column 2)",
                  "after a \\u pair json-c reads from a copy" },
        };
        for (size_t i = 0; i < ELEMENTSOF(placed); i++) {
                char want[200];
                snprintf(want, sizeof(want), "-22 request body is not valid JSON: %s", placed[i].error);
                is_str(try(plain, placed[i].body, NULL), want, "a JSON error says where: %s", placed[i].what);
        }
        is_str(try(plain, "\xEF\xBB\xBF{}", NULL), "-22 request body is not valid JSON: a byte order mark (U+FEFF) (line 1, column 1)",
               "a leading byte order mark refused as one, not as a number");
        /* complete values at the end of the body: json-c waits for more after a number or literal */
        is_str(try(plain, "42", NULL), "-22 request body must be a JSON object", "a bare number is complete JSON");
        is_str(try(plain, "true", NULL), "-22 request body must be a JSON object", "a bare literal is complete JSON");
        is_str(try(plain, "{}\r\n", NULL), "OK", "white space after the object");
        /* numbers json-c takes even strictly, and would pass on as they came */
        static const struct {
                const char *body;
                unsigned column; /* of the number */
        } bad_numbers[] = { { "{\"input\": NaN}", 11 },       { "{\"input\": [Infinity]}", 12 },
                            { "{\"input\": {\"a\": -Infinity}}", 17 }, { "{\"input\": 1.}", 11 },
                            { "{\"input\": 2.e3}", 11 },      { "{\"input\": [00]}", 12 },
                            { "{\"input\": {\"a\": -007}}", 17 },   { "{\"input\": 00.5}", 11 } };
        for (size_t i = 0; i < ELEMENTSOF(bad_numbers); i++) {
                char want[200];
                snprintf(want, sizeof(want), "-22 request body is not valid JSON: a number JSON does not allow (NaN, "
                         "Infinity, a leading zero, no digit after '.') (line 1, column %u)", bad_numbers[i].column);
                is_str(try(plain, bad_numbers[i].body, NULL), want, "%s", bad_numbers[i].body);
        }
        /* what json-c takes and would change on the way */
        is_str(try(plain, "{\"stdin\": \"a\tb\"}", NULL),
               "-22 request body is not valid JSON: a control character not escaped in a string (line 1, column 13)",
               "a raw tab in a string");
        is_str(try(plain, "{\"input\": 123456789012345678901234567890}", NULL),
               "-22 request body is not valid JSON: an integer beyond 64 bits (line 1, column 11)",
               "an integer json-c would clamp");
        is_str(try(plain, "{\"input\": -9223372036854775809}", NULL),
               "-22 request body is not valid JSON: an integer beyond 64 bits (line 1, column 11)", "... below INT64_MIN");
        /* json-c 0.18 and 0.19's strict mode take such an integer that ends the text for one cut
         * short: the text is whole all the same */
        is_str(try(plain, "99999999999999999999999", NULL),
               "-22 request body is not valid JSON: an integer beyond 64 bits (line 1, column 1)",
               "... a bare one ending the text");
        is_str(try(plain, "-9223372036854775809", NULL),
               "-22 request body is not valid JSON: an integer beyond 64 bits (line 1, column 1)",
               "... a bare one below INT64_MIN");
        is_str(try(plain, "[\"\xc3\xa9\", 'x'", NULL),
               "-22 request body is not valid JSON: a string in single quotes (line 1, column 7)",
               "a text cut short after what strict mode refuses, with UTF-8 in it");
        is_str(try(plain, "{\"input\": [18446744073709551615, -9223372036854775808, 1e400]}", NULL), "OK",
               "the 64-bit bounds themselves, and a decimal json-c keeps as written");
        is_str(try(plain, "{\"input\": {\"a\\u0000b\": 1, \"a\": 2}}", NULL),
               "-22 request body is not valid JSON: a key with \\u0000 in it (line 1, column 12)",
               "a key json-c would cut short");
        is_str(try(plain, "{\"input\": [\"\\u0000\", {\"k\": \"\\u0000\"}]}", NULL), "OK", "a value keeps its \\u0000");
        /* half a surrogate pair: json-c makes it U+FFFD, where the same code point raw is no UTF-8 */
        static const struct {
                const char *body;
                unsigned column; /* of the escape's backslash */
        } lone[] = {
                { "{\"stdin\": \"\\ud800\"}", 12 },          { "{\"stdin\": \"\\udc00\"}", 12 },
                { "{\"stdin\": \"\\uDBFFx\"}", 12 },         { "{\"stdin\": \"\\ud800\\u0041\"}", 12 },
                { "{\"stdin\": \"\\ud800\\ud800\"}", 12 }, { "{\"stdin\": \"a\\ud83d\"}", 13 },
                { "{\"args\": [\"\\udfff\"]}", 12 },         { "{\"input\": {\"\\ud800\": 1, \"\\ud801\": 2}}", 13 },
        };
        for (size_t i = 0; i < ELEMENTSOF(lone); i++) {
                char want[128];
                snprintf(want, sizeof(want), "-22 request body is not valid JSON: half a UTF-16 surrogate pair in a "
                         "\\u escape (line 1, column %u)", lone[i].column);
                is_str(try(plain, lone[i].body, NULL), want, "%s", lone[i].body);
        }
        is_str(try(plain, "{\"stdin\": \"\\ud83d\\ude00 \\uD7FF \\uE000 \\\\ud800\"}", &r), "OK",
               "a whole pair, the code points around the surrogates, and an escaped backslash before \"ud800\"");
        is_str(r.stdin_data, "\xf0\x9f\x98\x80 \xed\x9f\xbf \xee\x80\x80 \\ud800", "... decoded as sent");
        run_request_done(&r);
        /* json-c keeps the last of a key given twice: what a proxy checked need not be what runs */
        static const char *const repeated[] = {
                "{\"args\": [], \"args\": [\"--evil\"]}",
                "{\"input\": {\"a\": 1, \"b\": {\"c\": 2, \"c\": 3}}}",
                "{\"input\": [{}, {\"k\": 1, \"k\": 1}]}",
                "{\"args\": [], \"\\u0061rgs\": []}", /* the same key, escaped */
        };
        for (size_t i = 0; i < ELEMENTSOF(repeated); i++)
                is_str(try(plain, repeated[i], NULL),
                       "-22 request body is not valid JSON: a key given twice in one object", "%s", repeated[i]);
        is_str(try(plain, "{\"input\": [{\"k\": 1}, {\"k\": 2}, {\"k\\\"\": \"k\", \"k:\": \"{\\\"k\\\": 1}\"}]}", NULL), "OK",
               "the same key in two objects, and keys and colons inside strings, are no repetition");
        is_str(try(plain, "{\"input\": [0.5, -0, 1E+2, 1e-3, 0, 10, true, false, null, \"NaN 01 \\\" Infinity\"]}",
                   NULL),
               "OK", "RFC 8259 numbers and literals pass, and strings are no numbers");

        /* JSON is UTF-8: a stray byte would reach the skill's stdin, argv or environment as is */
        {
                static const struct {
                        const char *body, *what;
                } bad[] = {
                        { "{\"input\": \"\xff\"}", "an input string" },
                        { "{\"input\": {\"\xff\": 1}}", "a key inside input" },
                        { "{\"\xff\": 1}", "a top-level key" },
                        { "{\"args\": [\"\xff\"]}", "args" },
                        { "{\"stdin\": \"caf\xc3\"}", "stdin, a sequence cut short" },
                        { "{\"stdin\": \"\xed\xa0\x80\"}", "stdin, a surrogate" },
                        { "{\"stdin\": \"\xc0\xaf\"}", "stdin, an overlong form" },
                        { "{\"args\": [\"\xf4\x90\x80\x80\"]}", "args, above U+10FFFF" },
                        { "{\"stdin\": \"\xf5\x80\x80\x80\"}", "stdin, lead byte F5" },
                };
                for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                        is_str(try(plain, bad[i].body, NULL), "-22 request body is not valid UTF-8",
                               "invalid UTF-8 in %s refused", bad[i].what);
        }
        is_str(try(plain, "{\"stdin\": \"caf\xc3\xa9 \xe2\x9c\x93\"}", &r), "OK", "valid UTF-8 accepted");
        is_str(r.stdin_data, "caf\xc3\xa9 \xe2\x9c\x93", "... and kept as sent");
        run_request_done(&r);
        is_str(try(plain, "{\"input\": {\"\xc3\xa9\": \"\xf0\x9f\x98\x80\\\"\xc2\x80\"}, \"args\": [\"\xe2\x9c\x93\"]}", &r), "OK",
               "UTF-8 in a key, after an escaped quote, and in args");
        is_str(r.args ? r.args[0] : NULL, "\xe2\x9c\x93", "... kept as sent");
        run_request_done(&r);
        /* U+1DF00: json-c makes "\\ud837\\udf00" U+FFFD; raw, it must stay as it is */
        is_str(try(plain, "{\"stdin\": \"\xf0\x9d\xbc\x80\"}", &r), "OK", "U+1DF00 accepted");
        is_str(r.stdin_data, "\xf0\x9d\xbc\x80", "... and kept as sent");
        run_request_done(&r);
        /* ... and escaped, as Python's json.dumps() writes it: json-c's surrogate test ignores the
         * plane, and makes U+1D800-U+1DFFF, U+2D800-U+2DFFF, ... U+FFFD */
        is_str(try(plain, "{\"stdin\": \"\\ud837\\udf00\", \"args\": [\"\\uD836\\uDC00x\", \"\\ud83d\\ude00\"]}", &r),
               "OK", "U+1DF00 and U+1D800 escaped");
        is_str(r.stdin_data, "\xf0\x9d\xbc\x80", "... U+1DF00 reaches stdin as sent");
        is_str(r.args ? r.args[0] : NULL, "\xf0\x9d\xa0\x80x", "... U+1D800 reaches args as sent");
        is_str(r.args ? r.args[1] : NULL, "\xf0\x9f\x98\x80", "... and a pair json-c reads right stays right");
        run_request_done(&r);
        is_str(try(plain, "{\"input\": {\"\\ud837\\udf00\": \"\\ud869\\ude00\", \"\\ud837\\udf01\": 1}}", &r), "OK",
               "keys holding U+1DF00 and U+1DF01 escaped are two keys");
        is_str(r.stdin_data, "{\"\xf0\x9d\xbc\x80\":\"\xf0\xaa\x98\x80\",\"\xf0\x9d\xbc\x81\":1}",
               "... and reach stdin as sent");
        run_request_done(&r);
        is_str(try(plain, "{\"stdin\": \"\\\\ud837\\\\udf00 \\\\\\ud837\\udf00\"}", &r), "OK",
               "an escaped backslash before \"ud837\"");
        is_str(r.stdin_data, "\\ud837\\udf00 \\\xf0\x9d\xbc\x80", "... is no escape");
        run_request_done(&r);
        is_str(try(plain, "{\"stdin\": \"\\ud836\\udc00\\udc00\"}", NULL),
               "-22 request body is not valid JSON: half a UTF-16 surrogate pair in a \\u escape (line 1, column 24)",
               "U+1D800 escaped, then half a pair (json-c made the two U+10000)");
        /* what json-c's strict mode refuses, with UTF-8 in the text (json-c 0.18 is not strict then) */
        {
                /* a trailing comma is seen at the '}' after it */
                static const char *const not_strict[][2] = {
                        { "{\"stdin\": \"\xc3\xa9\",}", "a trailing comma (line 1, column 15)" },
                        { "{\"stdin\": '\xc3\xa9'}", "a string in single quotes (line 1, column 11)" },
                        { "{\"stdin\": \"\xc3\xa9\" /* \xc3\xa9 */}", "a comment (line 1, column 15)" },
                };
                for (size_t i = 0; i < ELEMENTSOF(not_strict); i++) {
                        char want[128];
                        snprintf(want, sizeof(want), "-22 request body is not valid JSON: %s", not_strict[i][1]);
                        is_str(try(plain, not_strict[i][0], NULL), want, "UTF-8 and %s", not_strict[i][1]);
                }
        }

        {
                /* a body of max_body can hold a quarter million args: parsed in linear time */
                static char body[DEFAULT_MAX_BODY + 1];
                size_t n = ((size_t) DEFAULT_MAX_BODY - strlen("{\"args\":[]}")) / 4, len = 0;

                len += (size_t) sprintf(body, "{\"args\":[");
                for (size_t i = 0; i < n; i++)
                        len += (size_t) sprintf(body + len, "%s\"a\"", i == 0 ? "" : ",");
                len += (size_t) sprintf(body + len, "]}");
                reallocs = 0;
                is_str(try(plain, body, &r), "OK", "%zu args in a %zu-byte body", n, len);
                ok(reallocs < n / 1000, "... the vector not grown once per arg (%zu reallocs)", reallocs);
                is_int(strv_length(r.args), n, "... all of them");
                run_request_done(&r);
        }
        is_str(try(plain, "{\"args\": [\"a\", \"b\", 1]}", NULL), "-22 args[2]: expected a string",
               "a bad arg after good ones: refused, nothing leaked");

        ok(run_file_name_valid("a.txt"), "plain name valid");
        ok(!run_file_name_valid(""), "empty name invalid");
        ok(!run_file_name_valid("."), "'.' invalid");
        ok(!run_file_name_valid("a\nb"), "control character invalid");

        /* skillrun.skill(5), RUN REQUESTS: the documented bounds at their edges, and the types */
        {
                char name[300];
                memset(name, 'n', 256);
                name[255] = 0;
                ok(run_file_name_valid(name), "a file name of 255 bytes is valid");
                name[255] = 'n';
                name[256] = 0;
                ok(!run_file_name_valid(name), "a file name of 256 bytes is not");
        }
        ok(!run_file_name_valid("a\x7f" "b"), "DEL (a control character) invalid");
        ok(!run_file_name_valid("a\x1f" "b"), "0x1f (the last control character) invalid");
        ok(run_file_name_valid("a b"), "a space (the first character past them) valid");
        {
                char body[8192] = "{\"files\": {";
                for (uint64_t i = 0; i < s.max_files; i++)
                        snprintf(body + strlen(body), sizeof(body) - strlen(body), "%s\"f%" PRIu64 "\": \"\"",
                                 i ? "," : "", i);
                strcat(body, "}}");
                is_str(try(plain, body, &r), "OK", "exactly max_files files");
                is_int(r.n_files, s.max_files, "... all of them");
                run_request_done(&r);
        }
        {
                Manifest small = *plain;
                small.limits.workdir_max = 4096;
                is_str(try(&small, "{\"files\": {\"a\": \"YWJjZA==\"}}", &r), "OK",
                       "files of exactly workdir_max bytes, in blocks");
                is_int(r.files[0].len, 4, "... decoded");
                run_request_done(&r);
        }
        is_str(try(plain, "{\"files\": {\"x\": \"YQ==YQ==\"}}", NULL), "-22 files: 'x': invalid base64",
               "padding before the last quantum refused");
        is_str(try(plain, "{\"files\": {\"x\": \"YQ=A\"}}", NULL), "-22 files: 'x': invalid base64",
               "a character after '=' refused");
        is_str(try(plain, "{\"files\": \"x\"}", NULL), "-22 files: expected an object of base64 strings", "files type");
        is_str(try(plain, "{\"env\": [\"FOO\"]}", NULL), "-22 env: expected an object of strings", "env type");
        is_str(try(code, "{\"code\": 5}", NULL), "-22 code: expected a string", "code type");
        is_str(try(code, "{\"files\": {\"main.py\": \"YQ==\"}}", &r), "OK",
               "a file named like code_file is fine when no code is sent");
        is_int(r.n_files, 1, "... and kept");
        run_request_done(&r);
        {
                _cleanup_manifest_ Manifest *under =
                        manifest("{\"command\": [\"/bin/cat\"], \"allow_env\": [\"_MY_VAR2\"]}");
                is_str(under ? try(under, "{\"env\": {\"_MY_VAR2\": \"x\"}}", &r) : "no manifest", "OK",
                       "an env name with '_' and a digit");
                is_str(r.env ? r.env[0] : NULL, "_MY_VAR2=x", "... set");
                run_request_done(&r);
        }
        {
                /* README: nested more than 32 deep is refused, counting the body's own object and a
                 * value inside the innermost container (json-c's count): 32 containers, or 31
                 * holding a number, are taken; one level more is refused */
                static const struct {
                        const char *inner;
                        int depth; /* levels: the containers, and the number if any */
                } cases[] = { { "", 32 }, { "", 33 }, { "1", 32 }, { "1", 33 } };
                char body[256];
                for (size_t c = 0; c < ELEMENTSOF(cases); c++) {
                        int arrays = cases[c].depth - 1 - (*cases[c].inner ? 1 : 0), n = 0;
                        n += sprintf(body + n, "{\"input\":");
                        for (int i = 0; i < arrays; i++)
                                n += sprintf(body + n, "[");
                        n += sprintf(body + n, "%s", cases[c].inner);
                        for (int i = 0; i < arrays; i++)
                                n += sprintf(body + n, "]");
                        sprintf(body + n, "}");
                        if (cases[c].depth == 32)
                                is_str(try(plain, body, NULL), "OK", "a body nested 32 deep%s",
                                       *cases[c].inner ? ", a number innermost" : "");
                        else
                                contains_str(try(plain, body, NULL), "-22 request body is not valid JSON",
                                             "a body nested 33 deep%s", *cases[c].inner ? ", a number innermost" : "");
                }
        }
        /* a decimal keeps its text, however many digits, 'e' or 'E' */
        is_str(try(plain, "{\"input\": [123456789012345678901234.5, 123456789012345678901e2, 123456789012345678901E2]}",
                   NULL), "OK", "long decimals are not integers beyond 64 bits");
        static const char *const bad_exp[] = { "{\"input\": 1e}", "{\"input\": 1E+}", "{\"input\": [1e-]}" };
        for (size_t i = 0; i < ELEMENTSOF(bad_exp); i++)
                contains_str(try(plain, bad_exp[i], NULL), "-22 request body is not valid JSON", "%s", bad_exp[i]);
        contains_str(try(plain, "{}{}", NULL), "-22 request body is not valid JSON", "two objects");
        contains_str(try(plain, "{} 1", NULL), "-22 request body is not valid JSON", "an object and a number");
        is_str(try(plain, "{} \t\r\n ", NULL), "OK", "every kind of white space after the object");
        is_str(try(plain, "{\"input\": {\"a\\u0000b\" :1}}", NULL),
               "-22 request body is not valid JSON: a key with \\u0000 in it (line 1, column 12)",
               "... a space before its ':'");
        is_str(try(plain, "{\"input\": {\"a\\u0000b\"\t:1}}", NULL),
               "-22 request body is not valid JSON: a key with \\u0000 in it (line 1, column 12)",
               "... a tab before its ':'");

        settings_done(&s);
        return done_testing();
}
