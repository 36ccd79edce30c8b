# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared pieces of the Abbot tests: TAP output, the SkillMessage fixture, the
skill cases both the shim test and the HTTP test run, and a fake Abbot API."""

import http.server
import json
import os
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
# realpath: under distcheck $(abs_top_srcdir) is ".../_build/sub/../..", and manifests refuse ".."
TOP_SRCDIR = os.path.realpath(os.environ.get("top_srcdir") or os.path.join(HERE, "..", ".."))
SHIM = os.path.join(TOP_SRCDIR, "contrib", "abbot", "abbot-python.py")
FIXTURE = os.path.join(TOP_SRCDIR, "tests", "abbot", "skill-message.json")
MEDIA_TYPE = "application/vnd.abbot.v1+json"

# ---------------------------------------------------------------------------
# TAP

_n = 0
_failed = 0


def ok(cond, name):
    global _n, _failed
    _n += 1
    print("{}ok {} - {}".format("" if cond else "not ", _n, name), flush=True)
    if not cond:
        _failed += 1
    return cond


def diag(msg):
    for line in str(msg).splitlines():
        print("#   " + line)


def is_(got, want, name):
    if not ok(got == want, name):
        diag("got:  {!r}".format(got))
        diag("want: {!r}".format(want))


def skip_all(reason):
    print("1..0 # SKIP " + reason, flush=True)
    sys.exit(77)


def done_testing():
    print("1..{}".format(_n), flush=True)
    sys.exit(1 if _failed else 0)


# ---------------------------------------------------------------------------
# Messages and results


def load_fixture():
    with open(FIXTURE, encoding="utf-8") as f:
        return json.load(f)


def message(code, **changes):
    """The fixture with RunnerInfo.Code = code. changes: "SkillInfo.IsRequest"=True style
    paths (dots), or a value of None to delete the member."""
    m = load_fixture()
    m["RunnerInfo"]["Code"] = code
    for path, value in changes.items():
        *parents, last = path.split(".")
        o = m
        for p in parents:
            o = o[p]
        if value is None:
            o.pop(last, None)
        else:
            o[last] = value
    return m


def pairs(o):
    """JSON value with every object as a list of (key, value) pairs: comparing two of
    these compares key order too."""
    if isinstance(o, dict):
        return [(k, pairs(v)) for k, v in o.items()]
    if isinstance(o, list):
        return [pairs(v) for v in o]
    return o


def parse_ordered(text):
    return json.loads(text, object_pairs_hook=lambda kv: [(k, v) for k, v in kv])


def result(replies=(), success=True, errors=(), content_type=None, content=None, headers=None, outputs=None):
    """An Abbot response body, keys in Abbot's order."""
    return {
        "contentType": content_type,
        "content": content,
        "success": success,
        "errors": list(errors),
        "replies": list(replies),
        "headers": headers,
        "outputs": {} if outputs is None else outputs,
    }


def error(error_id, description, line=0):
    return {"errorId": error_id, "description": description, "lineStart": line, "lineEnd": line}


def nested(value, levels):
    for _ in range(levels):
        value = [value]
    return value


def syntax_error_of(code):
    """What this Python says about code, compiled the way the shim compiles it."""
    try:
        compile(code, "<skill>", "exec", dont_inherit=True)
    except SyntaxError as e:
        return error("SyntaxError", str(e), e.lineno)
    raise AssertionError("code compiles")


# ---------------------------------------------------------------------------
# Skill cases run by both tests: (name, message, expected body)

SYNTAX_CODE = 'bot.reply("before")\ndef broken(:\n    pass\n'


def cases():
    return [
        ("reply using arguments and the caller's name",
         message('name = bot.from_user.name\n'
                 'bot.reply(f"Hi {name}! You asked me to: {bot.arguments}")\n'),
         result(['Hi Phil Haack! You asked me to: @paul add "Dynamite" loud'])),

        ("several replies from the bot object",
         message('for arg in bot.tokenized_arguments:\n'
                 '    bot.reply(f"{arg.value} ({arg.original_text})")\n'
                 'u = bot.from_user\n'
                 'bot.reply(f"{bot.skill_name} in {bot.room} ({bot.room.name}) for {u.user_name} <{u.email}> "\n'
                 '          f"in {u.location.formatted_address}, tz {u.timezone}")\n'
                 'bot.reply(", ".join(f"{m.name} ({m.user_name}) {m}" for m in bot.mentions))\n'
                 'bot.reply(f"chat={bot.is_chat} request={bot.is_request} playbook={bot.is_playbook} "\n'
                 '          f"signal={bot.is_signal} interaction={bot.is_interaction}")\n'
                 'bot.reply(f"{bot.args == bot.arguments} {args == bot.args} {bot.tokenized_arguments[1:3].value}")\n'
                 'bot.outputs["count"] = len(bot.tokenized_arguments)\n'),
         result(["<@U0PAUL> (@paul)", "add (add)", 'Dynamite ("Dynamite")', "loud (loud)",
                 "fave in <#C0GENERAL|general> (general) for haacked <phil@example.com> in Seattle, WA, USA, "
                 "tz America/Los_Angeles",
                 "Paul Jones (paul) <@U0PAUL>",
                 "chat=True request=False playbook=False signal=False interaction=False",
                 'True True add "Dynamite"'],
                outputs={"count": 4})),

        ("the rest of the SkillMessage reaches the skill",
         message('bot.reply(f"{bot} {bot.skill_id} {bot.user_id} {bot.platform_id} {bot.platform_type}")\n'
                 'bot.reply(f"{bot.message.text} | {bot.conversation.title} | {bot.pattern.pattern_type}")\n'
                 'bot.reply(f"{bot.signal_event.name}({bot.signal_event.arguments}) {bot.command_text}")\n'
                 'bot.reply(str(bot.request))\n'),
         result(["<@U0ABBOT> 42 7 T0SERIOUS Slack",
                 '@abbot fave @paul add "Dynamite" loud | Dynamite | StartsWith',
                 'song-added(Dynamite) fave @paul add "Dynamite" loud',
                 "None"])),

        ("an HTTP-triggered skill sets content, contentType and headers",
         message('data = bot.request.json()\n'
                 'bot.response.content_type = "application/json"\n'
                 'bot.response.headers["X-Skill"] = bot.skill_name\n'
                 'bot.response.headers["Cache-Control"] = ["no-store", "private"]\n'
                 'bot.response.content = {"song": data["song"], "plays": data["plays"] + 1,\n'
                 '                        "method": bot.request.http_method, "token": bot.request.query["token"][0],\n'
                 '                        "json": bot.request.is_json, "id": bot.request.headers["X-Request-Id"][0]}\n',
                 **{"SkillInfo.IsRequest": True, "SkillInfo.IsChat": False}),
         result(content_type="application/json",
                content='{"song": "Dynamite", "plays": 4, "method": "POST", "token": "x", "json": true, "id": "r-77"}',
                headers={"X-Skill": ["fave"], "Cache-Control": ["no-store", "private"]})),

        ("an HTTP-triggered skill sends raw content",
         message('bot.response.raw_content = "<p>" + bot.request.url + "</p>"\n'
                 'bot.response.content_type = "text/html"\n',
                 **{"SkillInfo.IsRequest": True, "SkillInfo.IsChat": False}),
         result(content_type="text/html", content="<p>https://ab.bot/api/skills/42?token=x</p>", headers={})),

        ("NameError points at the user's line",
         message('x = 1\n'
                 'y = 2\n'
                 'bot.reply(str(x + y + undefined_thing))\n'),
         result(success=False, errors=[error("NameError", "name 'undefined_thing' is not defined", 3)])),

        ("SyntaxError points at the user's line",
         message(SYNTAX_CODE),
         result(success=False, errors=[syntax_error_of(SYNTAX_CODE)])),

        ("an exception in a nested function points at the raising line",
         message('def parse(song):\n'
                 '    if song == "Dynamite":\n'
                 '        raise ValueError(f"{song} is already a favourite")\n'
                 '\n'
                 'def add(args):\n'
                 '    bot.reply("adding")\n'
                 '    parse(args[2].value)\n'
                 '\n'
                 'add(bot.tokenized_arguments)\n'),
         result(["adding"], success=False, errors=[error("ValueError", "Dynamite is already a favourite", 3)])),

        ("bot.brain without Abbot API access is a clear error",
         message('bot.reply("remembering")\n'
                 'bot.brain.write("fave", bot.arguments)\n'),
         result(["remembering"], success=False,
                errors=[error("AbbotApiUnavailableError",
                              "bot.brain is not available: the runner has no Abbot API access configured", 2)])),

        ("what the skill prints does not corrupt the result",
         message('import os, sys\n'
                 'print("noise")\n'
                 'sys.stdout.write("{not json")\n'
                 'os.write(1, b"raw bytes on fd 1\\n")\n'
                 'bot.reply("clean")\n'),
         result(["clean"])),

        ("sys.exit(0) ends the skill normally",
         message('import sys\nbot.reply("bye")\nsys.exit(0)\nbot.reply("never")\n'),
         result(["bye"])),

        # skillrun refuses half a surrogate pair in the result: it used to cost the whole
        # result ("RunnerError ... without a result")
        ("half a surrogate pair in a reply or an error becomes U+FFFD",
         message('import os\n'
                 'bot.reply(os.fsdecode(b"caf\\xe9") + " \\ud83d\\ude00")\n'
                 'raise ValueError("no file " + os.fsdecode(b"\\xff"))\n'),
         result(["caf\ufffd \U0001f600"], success=False, errors=[error("ValueError", "no file \ufffd", 3)])),

        ("keys that collide in bot.outputs are an InvalidResult error",
         message('bot.reply("r")\nbot.outputs[1] = "a"\nbot.outputs["1"] = "b"\n'),
         result(success=False, errors=[error(
             "InvalidResult",
             "The skill's result cannot be sent: ValueError: the key '1' appears twice in one object")])),

        # ... and so does it integers past 64 bits and nesting of 64 levels (json-c)
        ("the largest integers and the deepest bot.outputs skillrun reads",
         message('x = 1\nfor i in range(61):\n    x = [x]\n'
                 'bot.outputs = {"max": 2**64 - 1, "min": -2**63, "deep": x}\n'),
         result(outputs={"max": 2 ** 64 - 1, "min": -2 ** 63, "deep": nested(1, 61)})),

        ("an integer past 64 bits in bot.outputs is an InvalidResult error",
         message('bot.outputs["n"] = 2**64\n'),
         result(success=False, errors=[error(
             "InvalidResult", "The skill's result cannot be sent: ValueError: "
             "the integer 18446744073709551616 is out of range (-2**63 to 2**64-1)")])),

        ("bot.outputs nested too deep is an InvalidResult error",
         message('x = 1\nfor i in range(62):\n    x = [x]\nbot.outputs["deep"] = x\n'),
         result(success=False, errors=[error(
             "InvalidResult",
             "The skill's result cannot be sent: ValueError: bot.outputs nests deeper than 62 levels")])),

        ("a coding line does not change what the code says (it is UTF-8, from JSON)",
         message('# -*- coding: latin-1 -*-\nbot.reply("caf\u00e9 \u2713")\n'),
         result(["caf\u00e9 \u2713"])),

        ("a skill in another language is refused",
         message('console.log("hi")', **{"RunnerInfo.Language": "JavaScript"}),
         result(success=False, errors=[error("UnsupportedLanguage",
                                              "This runner runs Python skills; RunnerInfo.Language is 'JavaScript'")])),
    ]


# ---------------------------------------------------------------------------
# A fake Abbot API on 127.0.0.1 (for the shim test's callback paths)


class FakeAbbotApi:
    def __init__(self, responses=None):
        """responses: {(method, path): (status, json_body)}"""
        self.requests = []
        self.responses = responses or {}
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                api.requests.append({
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": json.loads(body) if body else None,
                })
                status, reply = api.responses.get((self.command, self.path), (404, {"error": "not found"}))
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = _handle

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = "http://127.0.0.1:{}/api".format(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

