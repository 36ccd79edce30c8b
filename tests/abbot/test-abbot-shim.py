#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The abbot-python shim on its own, outside any sandbox: SkillMessage on stdin,
code file as argv[1], Abbot's result JSON on stdout."""

import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import abbottest as t  # noqa: E402

ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def run_shim(msg, env=None, code_file=True, raw_stdin=None, timeout=60):
    with tempfile.TemporaryDirectory() as d:
        argv = [sys.executable, "-I", t.SHIM]
        if code_file:
            path = os.path.join(d, "skill.py")
            with open(path, "w", encoding="utf-8") as f:
                f.write(msg["RunnerInfo"]["Code"])
            argv.append(path)
        stdin = raw_stdin if raw_stdin is not None else json.dumps(msg).encode()
        p = subprocess.run(argv, input=stdin, capture_output=True, cwd=d, env=dict(ENV, **(env or {})), timeout=timeout)
    return p


def success_and_error_ids(p):
    """The result's success and its errorIds, (None, []) when stdout is no JSON."""
    try:
        got = json.loads(p.stdout.decode())
    except ValueError:
        got = {}
    return got.get("success"), [e["errorId"] for e in got.get("errors", [])]


def check(name, p, want):
    t.is_(p.returncode, 0, name + ": exit status")
    try:
        got = t.parse_ordered(p.stdout.decode())
    except ValueError as e:
        t.ok(False, name + ": stdout is one JSON object ({})".format(e))
        t.diag(p.stdout.decode(errors="replace"))
        t.diag(p.stderr.decode(errors="replace"))
        return None
    t.is_(got, t.pairs(want), name + ": exact body, keys in Abbot's order")
    return got


def main():
    if not os.path.exists(t.SHIM):
        t.skip_all("shim not found at " + t.SHIM)

    for name, msg, want in t.cases():
        check(name, run_shim(msg), want)

    # prints went to stderr, not into the result
    p = run_shim(t.message('print("noise")\nbot.reply("clean")\n'))
    t.is_(p.stderr.decode(), "noise\n", "the skill's prints end up on stderr")

    # without a code file the shim runs RunnerInfo.Code
    check("code taken from RunnerInfo.Code without argv[1]",
          run_shim(t.message('bot.reply("from the message")'), code_file=False), t.result(["from the message"]))

    check("a stdin that is not JSON is reported, not crashed on",
          run_shim(t.message(""), raw_stdin=b"{nope"),
          t.result(success=False, errors=[t.error(
              "InvalidSkillMessage",
              "Cannot parse the SkillMessage: Expecting property name enclosed in double quotes: "
              "line 1 column 2 (char 1)")]))

    # NaN is no JSON: said as such, not sent (skillrun would see no result at all)
    p = run_shim(t.message('bot.reply("r")\nbot.outputs["x"] = float("nan")\n'))
    t.is_(p.returncode, 0, "a NaN in bot.outputs: exit status")
    got = json.loads(p.stdout.decode())
    t.is_((got["success"], [e["errorId"] for e in got["errors"]]), (False, ["InvalidResult"]),
          "a NaN in bot.outputs is an InvalidResult error")
    t.ok(got["errors"][0]["description"].startswith("The skill's result cannot be sent: ValueError: "),
         "... which says why")
    t.ok("NaN" not in p.stdout.decode(), "... and no NaN is sent")

    # the skill's exception classes are the skill's code too: a __str__ that fails must not
    # cost the result (the shim used to die, and skillrun said RunnerError)
    check("an exception whose __str__ raises is still the skill's error, at its line",
          run_shim(t.message('class Broken(Exception):\n'
                             '    def __str__(self):\n'
                             '        raise RuntimeError("no text")\n'
                             'bot.reply("before")\n'
                             'raise Broken()\n')),
          t.result(["before"], success=False, errors=[t.error("Broken", "Broken", 5)]))
    p = run_shim(t.message('class Opaque:\n'
                           '    __slots__ = ()\n'
                           '    def __str__(self):\n'
                           '        raise RuntimeError("no text")\n'
                           'bot.outputs["x"] = Opaque()\n'))
    t.is_(p.returncode, 0, "an output whose __str__ raises: exit status")
    t.is_(success_and_error_ids(p), (False, ["InvalidResult"]),
          "an output whose __str__ raises is an InvalidResult error")

    # ... nor one raised by a __str__ that _result() calls (a response header's value)
    p = run_shim(t.message('class Broken(Exception):\n'
                           '    def __str__(self):\n'
                           '        raise RuntimeError("no text")\n'
                           'class Header:\n'
                           '    def __str__(self):\n'
                           '        raise Broken()\n'
                           'bot.reply("before")\n'
                           'bot.response.headers = {"X-Thing": Header()}\n',
                           **{"SkillInfo.IsRequest": True}))
    t.is_(p.returncode, 0, "a header whose __str__ raises a Broken exception: exit status")
    t.is_(success_and_error_ids(p), (False, ["InvalidResult"]), "... an InvalidResult error")

    # a thread the skill leaves running must not keep the shim (skillrun waits for it, and
    # would report a Timeout instead of the result already written)
    try:
        p = run_shim(t.message('import threading\n'
                               'threading.Thread(target=threading.Event().wait).start()\n'
                               'print("still buffered")\n'
                               'bot.reply("done")\n'), timeout=30)
    except subprocess.TimeoutExpired:
        p = None
    t.ok(p is not None, "a thread left running does not keep the shim from exiting")
    if p is not None:
        check("... and the result is the skill's", p, t.result(["done"]))
        t.is_(p.stderr.decode(), "still buffered\n", "... and its prints are not lost")

    check("exit status other than 0 is an error",
          run_shim(t.message('import sys\nsys.exit(3)\n')),
          t.result(success=False, errors=[t.error("SystemExit", "The skill exited with status 3", 2)]))

    # --- callbacks to Abbot's API (a fake one on 127.0.0.1) ---
    api = t.FakeAbbotApi({
        ("POST", "/api/skills/42/reply"): (200, {"success": True}),
        ("GET", "/api/skills/42/brain?key=fave%20song"): (200, {"value": "Dynamite"}),
        ("GET", "/api/skills/42/secret?key=spotify"): (200, {"secret": "s3cr3t"}),
        ("POST", "/api/skills/42/signal"): (200, {"success": True}),
    })
    env = {"ABBOT_API_BASE_URL": api.base_url, "ABBOT_SKILL_API_TOKEN": "tok-123"}
    try:
        code = ('import os\n'
                'bot.reply("posted to Abbot")\n'
                'bot.outputs["brain"] = bot.brain.get("fave song")\n'
                'bot.outputs["secret"] = bot.secrets.read("spotify")\n'
                'bot.signal("song-played", "Dynamite")\n'
                'bot.outputs["token_in_env"] = "ABBOT_SKILL_API_TOKEN" in os.environ\n')
        check("active replies are POSTed; brain, secrets and signals call Abbot's API",
              run_shim(t.message(code), env=env),
              t.result([], outputs={"brain": "Dynamite", "secret": "s3cr3t", "token_in_env": False}))
        reqs = api.requests
        t.is_([(r["method"], r["path"]) for r in reqs],
              [("POST", "/api/skills/42/reply"), ("GET", "/api/skills/42/brain?key=fave%20song"),
               ("GET", "/api/skills/42/secret?key=spotify"), ("POST", "/api/skills/42/signal")],
              "the shim called the expected API routes in order")
        if reqs:
            r = reqs[0]
            t.is_((r["headers"].get("authorization"), r["headers"].get("x-abbot-skillapitoken"),
                   r["headers"].get("x-abbot-platformuserid"), r["headers"].get("x-abbot-timestamp")),
                  ("Bearer tok-123", "tok-123", "7", "1681236000"), "API calls carry the skill API token")
            t.is_(r["body"], {"SkillId": 42, "Message": "posted to Abbot",
                              "ConversationReference": t.load_fixture()["RunnerInfo"]["ConversationReference"],
                              "DirectMessage": False}, "the reply body names the skill and the conversation")
        if len(reqs) == 4:
            t.is_((reqs[3]["body"]["Name"], reqs[3]["body"]["Arguments"], reqs[3]["body"]["SenderId"],
                   reqs[3]["body"]["Source"]["SkillName"]),
                  ("song-played", "Dynamite", 11, "fave"), "the signal body names the signal and its source")

        api.requests.clear()
        check("PassiveReplies: replies come back inline even with API access",
              run_shim(t.message('bot.reply("inline")', PassiveReplies=True), env=env), t.result(["inline"]))
        check("no ConversationReference: replies come back inline",
              run_shim(t.message('bot.reply("inline")', **{"RunnerInfo.ConversationReference": None}), env=env),
              t.result(["inline"]))
        t.is_(api.requests, [], "inline replies made no API call")

        check("an API failure is the skill's error, at its line",
              run_shim(t.message('x = 1\nbot.brain.get("missing")\n'), env=env),
              t.result(success=False, errors=[t.error(
                  "AbbotApiError", "bot.brain failed: 404 Not Found from Abbot's API", 2)]))
    finally:
        api.close()

    check("reply_later without API access is a clear error",
          run_shim(t.message('bot.reply_later("later", 60)\n')),
          t.result(success=False, errors=[t.error(
              "AbbotApiUnavailableError",
              "bot.reply_later is not available: the runner has no Abbot API access configured", 1)]))

    t.done_testing()


if __name__ == "__main__":
    main()
