#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""abbot-python: run one Abbot Python skill under skillrun.

skillrun starts this shim inside the sandbox for POST /api/v1/execute. stdin
carries Abbot's SkillMessage (PascalCase JSON) exactly as Abbot sent it; argv[1]
is the file holding RunnerInfo.Code. The skill's code runs with a `bot` object
offering the Abbot Python API, and one JSON object is written to stdout with the
keys in the order Abbot expects: contentType, content, success, errors,
replies, headers, outputs.

Python 3 standard library only, so that nothing but python3 needs installing.
"""

import builtins
import json
import os
import re
import sys
import urllib.parse
from collections.abc import Sequence

# The file name the skill's code is compiled under: tracebacks are walked for
# frames of this name so errors point at the user's line, never the shim's.
SKILL_FILENAME = "<skill>"

# Seconds one callback to Abbot's API may take; the run's own wall timeout
# still caps the whole skill.
API_TIMEOUT = 10

API_UNAVAILABLE = "the runner has no Abbot API access configured"


# ---------------------------------------------------------------------------
# Errors a skill can see


class AbbotApiUnavailableError(Exception):
    """Raised when a skill uses bot.brain, bot.secrets, bot.signal, ... but the
    runner was not given network access and a skill API token."""


class AbbotApiError(Exception):
    """A callback to Abbot's API failed."""


# ---------------------------------------------------------------------------
# Plain data objects built from the SkillMessage


def _snake(name):
    """'PlatformId' → 'platform_id', 'IsJSON' → 'is_json'."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


class Record:
    """Attribute access to a PascalCase JSON object, in snake_case
    (record.message_id for {"MessageId": ...}). Nested objects are Records too."""

    def __init__(self, data):
        self._data = data if isinstance(data, dict) else {}
        for key, value in self._data.items():
            setattr(self, _snake(key), Record.wrap(value))

    @staticmethod
    def wrap(value):
        if isinstance(value, dict):
            return Record(value)
        if isinstance(value, list):
            return [Record.wrap(v) for v in value]
        return value

    @property
    def raw(self):
        return self._data

    def get(self, key, default=None):
        return self._data.get(key, default)

    def __repr__(self):
        return "Record(%r)" % (self._data,)


def _platform_is_slack(platform_type):
    return isinstance(platform_type, str) and platform_type.lower() == "slack"


class Coordinate:
    def __init__(self, latitude, longitude):
        self.latitude = latitude
        self.longitude = longitude

    @classmethod
    def from_json(cls, j):
        if not isinstance(j, dict):
            return None
        return cls(j.get("Latitude"), j.get("Longitude"))

    def __str__(self):
        return "lat: {}, lon: {}".format(self.latitude, self.longitude)


class TimeZone:
    def __init__(self, id, min_offset=None, max_offset=None):
        self.id = id
        self.min_offset = min_offset
        self.max_offset = max_offset

    @classmethod
    def from_json(cls, j):
        if isinstance(j, str):
            return cls(j)
        if isinstance(j, dict):
            return cls(j.get("Id"), j.get("MinOffset"), j.get("MaxOffset"))
        return None

    def __str__(self):
        return str(self.id)


class Location:
    def __init__(self, coordinate=None, formatted_address=None, timezone=None):
        self.coordinate = coordinate
        self.formatted_address = formatted_address
        self.timezone = timezone

    @classmethod
    def from_json(cls, j):
        if not isinstance(j, dict):
            return None
        tz = TimeZone.from_json(j.get("TimeZone"))
        if tz is None and j.get("TimeZoneId") is not None:
            tz = TimeZone(j.get("TimeZoneId"))
        return cls(Coordinate.from_json(j.get("Coordinate")), j.get("FormattedAddress"), tz)

    def __str__(self):
        return "coordinate: {}, address: {}".format(self.coordinate, self.formatted_address)


class Mention:
    """A chat user: bot.from_user, bot.mentions[i]."""

    def __init__(self, id, user_name, name, email=None, location=None, working_hours=None):
        self.id = id
        self.user_name = user_name
        self.name = name
        self.email = email
        self.location = location
        self.working_hours = working_hours

    @property
    def timezone(self):
        return self.location.timezone if self.location is not None else None

    @classmethod
    def from_json(cls, j):
        if not isinstance(j, dict):
            return None
        location = Location.from_json(j.get("Location"))
        if location is None or location.timezone is None:
            tz = TimeZone.from_json(j.get("TimeZone"))
            if tz is None and j.get("TimeZoneId") is not None:
                tz = TimeZone(j.get("TimeZoneId"))
            if location is None:
                location = Location(None, None, tz)
            else:
                location.timezone = tz
        wh = j.get("WorkingHours")
        return cls(j.get("Id"), j.get("UserName"), j.get("Name"), j.get("Email"), location,
                   Record(wh) if isinstance(wh, dict) else None)

    @staticmethod
    def load_mentions(j):
        if not isinstance(j, list):
            return []
        return [m for m in (Mention.from_json(x) for x in j) if m is not None]

    def __eq__(self, other):
        return isinstance(other, Mention) and (self.id, self.user_name, self.name, self.email) == \
            (other.id, other.user_name, other.name, other.email)

    def __hash__(self):
        return hash(self.id)

    def __str__(self):
        return "<@{}>".format(self.id)

    __repr__ = __str__


class Room:
    """The room (channel) the skill was called in: bot.room."""

    def __init__(self, id, name, platform_type=None):
        self.id = id
        self.name = name
        self._platform_type = platform_type

    @classmethod
    def from_skill_info(cls, info, platform_type):
        room = info.get("Room")
        if isinstance(room, dict):
            return cls(room.get("Id"), room.get("Name"), platform_type)
        # Older messages carry the name in "Room" and the id in "RoomId".
        return cls(info.get("RoomId"), room, platform_type)

    def __eq__(self, other):
        return isinstance(other, Room) and (self.id, self.name) == (other.id, other.name)

    def __hash__(self):
        return hash(self.id)

    def __str__(self):
        if _platform_is_slack(self._platform_type):
            return "<#{}|{}>".format(self.id, self.name)
        return "#{}".format(self.name)

    __repr__ = __str__


class Argument:
    """One token of bot.arguments. value is normalised (quotes removed);
    original_text is as typed."""

    def __init__(self, value, original_text):
        self.value = value
        self.original_text = original_text

    def __str__(self):
        return str(self.value)

    __repr__ = __str__

    @staticmethod
    def from_json(j, platform_type=None):
        value, original = j.get("Value"), j.get("OriginalText")
        mentioned = Mention.from_json(j.get("Mentioned"))
        if mentioned is not None:
            return MentionArgument(value, original, mentioned)
        room = j.get("Room")
        if isinstance(room, dict):
            return RoomArgument(value, original, Room(room.get("Id"), room.get("Name"), platform_type))
        return Argument(value, original)


class MentionArgument(Argument):
    def __init__(self, value, original_text, mentioned):
        super().__init__(value, original_text)
        self.mentioned = mentioned

    def __str__(self):
        return "mentioned: {}".format(self.mentioned)


class RoomArgument(Argument):
    def __init__(self, value, original_text, room):
        super().__init__(value, original_text)
        self.room = room

    def __str__(self):
        return str(self.room)


class Arguments(Sequence):
    """bot.tokenized_arguments: a list of Argument; .value is the text they
    came from (slices keep a .value of their own)."""

    def __init__(self, args, value):
        self._args = list(args)
        self.value = value

    def __len__(self):
        return len(self._args)

    def __getitem__(self, index):
        if isinstance(index, slice):
            subset = self._args[index]
            return Arguments(subset, " ".join(str(a.original_text) for a in subset))
        return self._args[index]

    def __repr__(self):
        return repr(self._args)


class Button:
    def __init__(self, title, args=None, style=None):
        self.title = title
        self.args = args
        self.style = style


class TriggerEvent:
    """bot.request: the HTTP request that triggered the skill."""

    def __init__(self, j):
        j = j if isinstance(j, dict) else {}
        self.url = j.get("Url")
        self.raw_body = j.get("RawBody")
        self.http_method = j.get("HttpMethod")
        self.content_type = j.get("ContentType")
        self.headers = j.get("Headers") or {}
        self.form = j.get("Form") or {}
        self.query = j.get("Query") or {}
        self.is_json = bool(j.get("IsJson"))
        self.is_form = bool(j.get("IsForm"))

    def json(self):
        return json.loads(self.raw_body) if self.raw_body else None


class TriggerResponse:
    """bot.response: what an HTTP-triggered skill answers. Setting content
    serialises it as JSON; raw_content is sent as is."""

    def __init__(self):
        self.headers = {}
        self.content_type = None
        self._content = None
        self._raw_content = None

    @property
    def content(self):
        return self._content

    @content.setter
    def content(self, value):
        self._content = value
        self._raw_content = None if value is None else json.dumps(value, default=_json_default)

    @property
    def raw_content(self):
        return self._raw_content

    @raw_content.setter
    def raw_content(self, value):
        self._content = None
        self._raw_content = None if value is None else str(value)


# ---------------------------------------------------------------------------
# Callbacks to Abbot's API


class ApiClient:
    """Talks to {ABBOT_API_BASE_URL}/skills/{SkillId}/... with the per-call skill
    API token. Available only when skillrun handed the shim both, which it does
    only when the manifest allows network access."""

    def __init__(self, base_url, token, skill_id, user_id, timestamp):
        self._token = token
        self._base = "{}/skills/{}".format(base_url.rstrip("/"), skill_id) if base_url else None
        self._user_id = user_id
        self._timestamp = timestamp
        self.available = bool(base_url and token and skill_id is not None)

    def require(self, what):
        if not self.available:
            raise AbbotApiUnavailableError("{} is not available: {}".format(what, API_UNAVAILABLE))

    def send(self, what, method, path, data=None):
        self.require(what)
        # Imported here: urllib.request pulls in http.client and ssl, a cost every run
        # would pay although most skills never call the API.
        import urllib.error
        import urllib.request
        body = None if data is None else json.dumps(data, default=_json_default).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": "Bearer " + self._token,
            "X-Abbot-SkillApiToken": self._token,
            "X-Abbot-PlatformUserId": str(self._user_id),
            "X-Abbot-Timestamp": str(self._timestamp),
        }
        req = urllib.request.Request(self._base + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=API_TIMEOUT) as resp:
                text = resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            raise AbbotApiError("{} failed: {} {} from Abbot's API".format(what, e.code, e.reason)) from None
        except OSError as e:
            raise AbbotApiError("{} failed: cannot reach Abbot's API: {}".format(what, e)) from None
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return text


class Brain:
    """bot.brain: the skill's key/value store in Abbot."""

    def __init__(self, api):
        self._api = api

    def _path(self, key):
        return "/brain?key=" + urllib.parse.quote(str(key), safe="")

    def get(self, key):
        out = self._api.send("bot.brain", "GET", self._path(key))
        return out.get("value") if isinstance(out, dict) else None

    def read(self, key):
        value = self.get(key)
        return json.loads(value) if isinstance(value, str) and value else value

    def write(self, key, value):
        return self._api.send("bot.brain", "POST", self._path(key), {"value": json.dumps(value)})

    def delete(self, key):
        return self._api.send("bot.brain", "DELETE", self._path(key))

    def list(self):
        return self._api.send("bot.brain", "GET", self._path(""))


class Secrets:
    """bot.secrets: the skill's secrets in Abbot."""

    def __init__(self, api):
        self._api = api

    def read(self, key):
        out = self._api.send("bot.secrets", "GET", "/secret?key=" + urllib.parse.quote(str(key), safe=""))
        return out.get("secret") if isinstance(out, dict) else None

    get = read


# ---------------------------------------------------------------------------
# The bot


class Bot:
    """The object a skill sees as `bot`."""

    def __init__(self, message, api_base_url, api_token):
        info = message.get("SkillInfo") or {}
        runner = message.get("RunnerInfo") or {}
        self._message = message
        self._runner = runner
        self._info = info

        self.platform_type = info.get("PlatformType")
        self.platform_id = info.get("PlatformId")
        bot_user = info.get("Bot") or {}
        self.id = bot_user.get("Id")
        self.name = bot_user.get("Name") or bot_user.get("UserName")
        self.skill_id = runner.get("SkillId")
        self.user_id = runner.get("UserId")
        self.member_id = runner.get("MemberId")
        self.scope = runner.get("Scope")
        self.timestamp = runner.get("Timestamp")
        self.audit_identifier = runner.get("AuditIdentifier")
        self.code = runner.get("Code")
        self.raw = info

        self.skill_name = info.get("SkillName")
        self.skill_url = info.get("SkillUrl")
        self.arguments = info.get("Arguments") or ""
        # Abbot's runner: bot.args is the same string as bot.arguments.
        self.args = self.arguments
        self.command_text = info.get("CommandText")
        tokens = info.get("TokenizedArguments")
        tokens = tokens if isinstance(tokens, list) else []
        self.tokenized_arguments = Arguments(
            (Argument.from_json(t, self.platform_type) for t in tokens if isinstance(t, dict)),
            self.arguments)
        self.from_user = Mention.from_json(info.get("From"))
        self.user_name = info.get("UserName") or (self.from_user.user_name if self.from_user else None)
        self.mentions = Mention.load_mentions(info.get("Mentions"))
        self.room = Room.from_skill_info(info, self.platform_type)
        self.message_id = info.get("MessageId")
        self.message = Record(info["Message"]) if isinstance(info.get("Message"), dict) else info.get("Message")
        pattern = info.get("Pattern")
        self.pattern = Record(pattern) if isinstance(pattern, dict) else pattern
        self.is_pattern_match = pattern is not None

        self.is_request = bool(info.get("IsRequest"))
        self.is_chat = bool(info["IsChat"]) if "IsChat" in info else not self.is_request
        self.is_playbook = bool(info.get("IsPlaybook"))
        self.is_interaction = bool(info.get("IsInteraction"))
        signal = message.get("SignalInfo")
        self.is_signal = bool(info["IsSignal"]) if "IsSignal" in info else signal is not None
        self.signal_event = Record(signal) if isinstance(signal, dict) else None
        conversation = message.get("ConversationInfo")
        self.conversation = Record(conversation) if isinstance(conversation, dict) else None

        self.request = TriggerEvent(info.get("Request")) if self.is_request else None
        self.response = TriggerResponse()
        self.outputs = {}
        self.responses = []

        self._api = ApiClient(api_base_url, api_token, self.skill_id, self.user_id, self.timestamp)
        self.brain = Brain(self._api)
        self.secrets = Secrets(self._api)
        self._conversation_reference = runner.get("ConversationReference")
        # Replies go back inline unless Abbot asked for active replies, gave us a
        # conversation to post them to, and we can reach its API.
        self._post_replies = (not message.get("PassiveReplies")
                              and self._conversation_reference is not None
                              and self._api.available)

    @property
    def api_available(self):
        return self._api.available

    def _post_reply(self, text, **extra):
        body = {
            "SkillId": self.skill_id,
            "Message": text,
            "ConversationReference": self._conversation_reference,
        }
        body.update(extra)
        self._api.send("bot.reply", "POST", "/reply", body)

    def reply(self, response, direct_message=False, **kwargs):
        """Send text back to the chat."""
        text = str(response)
        if self._post_replies:
            self._post_reply(text, DirectMessage=bool(direct_message))
        else:
            self.responses.append(text)

    def reply_with_image(self, image, response=None, title=None, title_url=None, color=None, **kwargs):
        text = "" if response is None else str(response)
        if self._post_replies:
            self._post_reply(text, Attachments=[{"Buttons": [], "ImageUrl": image, "Title": title,
                                                 "TitleUrl": title_url, "Color": color}])
        else:
            self.responses.append(text)

    def reply_with_buttons(self, response, buttons, buttons_label=None, image_url=None, title=None, color=None,
                           **kwargs):
        text = str(response)
        if self._post_replies:
            self._post_reply(text, Attachments=[{
                "Buttons": [{"Title": b.title, "Arguments": b.args, "Style": b.style} for b in buttons],
                "ButtonsLabel": buttons_label, "ImageUrl": image_url, "Title": title, "Color": color}])
        else:
            self.responses.append(text)

    def reply_later(self, response, delay_in_seconds, **kwargs):
        """Only Abbot can deliver a reply later, so this needs its API."""
        self._api.require("bot.reply_later")
        self._post_reply(str(response), Schedule=delay_in_seconds)

    def signal(self, name, args):
        """Raise an Abbot signal for the skills subscribed to it."""
        info, runner = self._info, self._runner
        root = self.signal_event is None
        data = {
            "Name": name,
            "Arguments": args,
            "ConversationReference": self._conversation_reference,
            "Room": info.get("Room"),
            "RoomId": info.get("RoomId"),
            "SenderId": runner.get("MemberId"),
            "Source": {
                "AuditIdentifier": runner.get("AuditIdentifier"),
                "SkillName": info.get("SkillName"),
                "SkillUrl": info.get("SkillUrl"),
                "Arguments": info.get("Arguments"),
                "Mentions": info.get("Mentions"),
                "IsChat": root and self.is_chat,
                "IsInteraction": root and self.is_interaction,
                "IsPatternMatch": root and self.is_pattern_match,
                "IsRequest": root and self.is_request,
                "Pattern": info.get("Pattern") if root else None,
                "Request": info.get("Request") if root else None,
                "SignalEvent": None if root else self._message.get("SignalInfo"),
            },
        }
        return self._api.send("bot.signal", "POST", "/signal", data)

    def __str__(self):
        if _platform_is_slack(self.platform_type):
            return "<@{}>".format(self.id)
        return "@{}".format(self.name)


# ---------------------------------------------------------------------------
# Running the skill


def _json_default(o):
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if hasattr(o, "__dict__"):
        return {k: v for k, v in vars(o).items() if not k.startswith("_")}
    return str(o)


def _user_line(exc):
    """The line of the skill's own code the exception points at (0 if none)."""
    if isinstance(exc, SyntaxError) and exc.filename == SKILL_FILENAME:
        return exc.lineno or 0
    line = 0
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == SKILL_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _error(error_id, description, line=0):
    return {"errorId": error_id, "description": description, "lineStart": line, "lineEnd": line}


def _text(value, fallback):
    """str(value), or fallback when the skill's own __str__ fails: its error must
    still be reported as its error, not take the result down with it."""
    try:
        return str(value) or fallback
    except BaseException:
        return fallback


def _error_from_exception(exc):
    line = _user_line(exc)
    name = type(exc).__name__
    return _error(name, _text(exc, name), line)


def _result(bot=None, errors=()):
    """The response body, keys in Abbot's order."""
    errors = list(errors)
    content_type = content = headers = None
    replies, outputs = [], {}
    if bot is not None:
        replies = [str(r) for r in bot.responses]
        outputs = bot.outputs if isinstance(bot.outputs, dict) else {"value": bot.outputs}
        if bot.is_request:
            resp = bot.response
            content_type = None if resp.content_type is None else str(resp.content_type)
            content = resp.raw_content
            headers = {}
            for name, value in (resp.headers or {}).items():
                values = value if isinstance(value, (list, tuple)) else [value]
                headers[str(name)] = [str(v) for v in values]
    return {
        "contentType": content_type,
        "content": content,
        "success": not errors,
        "errors": errors,
        "replies": replies,
        "headers": headers,
        "outputs": outputs,
    }


def _read_message(data):
    message = json.loads(data.decode("utf-8"))
    if not isinstance(message, dict):
        raise ValueError("the SkillMessage is not a JSON object")
    return message


def _language_error(runner):
    lang = runner.get("Language")
    if isinstance(lang, str) and lang.lower() not in ("python", "py"):
        return _error("UnsupportedLanguage",
                      "This runner runs Python skills; RunnerInfo.Language is '{}'".format(lang))
    return None


def run(message, source, api_base_url, api_token):
    """Run one skill; returns the result dict. Never raises for the skill's faults."""
    lang_error = _language_error(message.get("RunnerInfo") or {})
    if lang_error is not None:
        return _result(None, [lang_error])
    try:
        bot = Bot(message, api_base_url, api_token)
    except Exception as e:  # a SkillMessage of the wrong shape
        return _result(None, [_error("InvalidSkillMessage", "{}: {}".format(type(e).__name__, e))])

    skill_globals = {
        "__name__": "__main__",
        "__builtins__": builtins,
        "bot": bot,
        "args": bot.args,
        "Button": Button,
        "Argument": Argument,
        "MentionArgument": MentionArgument,
        "RoomArgument": RoomArgument,
    }
    errors = []
    try:
        if isinstance(source, bytes):
            # The code file holds RunnerInfo.Code, a JSON string: always UTF-8. Compiled as bytes,
            # a "# -*- coding: latin-1 -*-" line (common in code from Python 2 days) would turn
            # every non-ASCII character into mojibake; Abbot's runner compiles the str.
            source = source.decode("utf-8-sig")
        code = compile(source, SKILL_FILENAME, "exec", dont_inherit=True)
        exec(code, skill_globals)
    except SystemExit as e:
        # sys.exit() and sys.exit(0) end a skill normally.
        if e.code is not None and e.code != 0:
            description = ("The skill exited with status {}".format(e.code) if isinstance(e.code, int)
                           else _text(e.code, "SystemExit"))
            errors.append(_error("SystemExit", description, _user_line(e)))
    except BaseException as e:  # every failure of the skill's code becomes an Abbot error
        errors.append(_error_from_exception(e))
    try:
        return _result(bot, errors)
    except BaseException as e:  # the skill left bot.response or bot.outputs in a state we cannot send
        # e can be the skill's own exception (a header value's __str__ that raised it)
        return _result(None, errors + [_error("InvalidResult", "The skill's result cannot be sent: {}: {}"
                                              .format(type(e).__name__, _text(e, "")))])


# What skillrun's parser (json-c) takes in a result: integers that fit int64 or uint64, and
# nesting below ABBOT_MAX_JSON_DEPTH (64, src/abbot.c): 63 levels, the result object included.
RESULT_INT_MIN = -2 ** 63
RESULT_INT_MAX = 2 ** 64 - 1
RESULT_DEPTH_MAX = 63


def _result_int(text):
    """parse_int: a Python int has no bounds, skillrun's do."""
    n = int(text)
    if not RESULT_INT_MIN <= n <= RESULT_INT_MAX:
        raise ValueError("the integer {} is out of range (-2**63 to 2**64-1)".format(
            text if len(text) <= 40 else text[:20] + "..." + text[-17:]))
    return n


def _result_depth(value):
    depth, todo = 0, [(value, 1)]
    while todo:
        v, d = todo.pop()
        if isinstance(v, (dict, list)):
            depth = max(depth, d)
            todo.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return depth


def _unique_keys(pairs):
    """object_pairs_hook: refuse what skillrun refuses in a result, so the skill hears why."""
    seen = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError("the key {!r} appears twice in one object".format(key))
        if "\0" in key:
            raise ValueError("the key {!r} holds a NUL character".format(key))
        seen.add(key)
    return dict(pairs)


def _encode_result(result):
    """The result as one line of UTF-8 JSON that skillrun accepts. A str can hold half a
    surrogate pair (bytes decoded with surrogateescape, as os.listdir() does for a name that is
    no UTF-8) and skillrun refuses such an escape: each becomes U+FFFD, a pair stays the character
    it makes. Keys that collide once written ({1: "a", "1": "b"} in bot.outputs) or hold a NUL,
    integers past 64 bits and nesting past RESULT_DEPTH_MAX are refused too, so raise here and
    let the caller say so."""
    text = json.dumps(result, default=_json_default, ensure_ascii=False, allow_nan=False)
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    value = json.loads(text, object_pairs_hook=_unique_keys, parse_int=_result_int)
    if _result_depth(value) > RESULT_DEPTH_MAX:
        raise ValueError("bot.outputs nests deeper than {} levels".format(RESULT_DEPTH_MAX - 1))
    return text.encode("utf-8")


def _write_all(fd, data):
    while data:
        n = os.write(fd, data)
        data = data[n:]


def main(argv):
    # The result goes to the real stdout; fd 1 becomes stderr for the skill's own
    # prints (and any child process), so nothing it writes can corrupt the result.
    result_fd = os.dup(1)  # non-inheritable by default
    os.dup2(2, 1)

    api_token = os.environ.pop("ABBOT_SKILL_API_TOKEN", None) or None
    api_base_url = os.environ.pop("ABBOT_API_BASE_URL", None) or None

    try:
        message = _read_message(sys.stdin.buffer.read())
    except (ValueError, UnicodeDecodeError) as e:
        result = _result(None, [_error("InvalidSkillMessage", "Cannot parse the SkillMessage: {}".format(e))])
    else:
        runner = message.get("RunnerInfo") if isinstance(message.get("RunnerInfo"), dict) else {}
        source = runner.get("Code")
        if len(argv) > 1:
            try:
                with open(argv[1], "rb") as f:
                    source = f.read()
            except OSError as e:
                source = None
                result = _result(None, [_error("RunnerError", "Cannot read the skill's code: {}".format(e))])
        elif not isinstance(source, str):
            result = _result(None, [_error("InvalidSkillMessage", "RunnerInfo.Code is missing")])
        if isinstance(source, (str, bytes)):
            result = run(message, source, api_base_url, api_token)

    try:
        sys.stdout.flush()
    except Exception:
        pass
    # allow_nan: NaN and Infinity are no JSON, and skillrun would take such a result for none
    # at all; so would it one that _encode_result() refuses.
    try:
        data = _encode_result(result)
    except BaseException as e:  # e.g. a reference cycle in bot.outputs, a NaN, or an object whose __str__ fails
        data = _encode_result(_result(None, result["errors"] + [
            _error("InvalidResult", "The skill's result cannot be sent: {}: {}".format(
                type(e).__name__, _text(e, "")))]))
    _write_all(result_fd, data + b"\n")
    os.close(result_fd)
    return 0


if __name__ == "__main__":
    status = main(sys.argv)
    # The result is out. A normal exit would join the threads the skill left running (and
    # skillrun waits for the process), so one that never ends turned a finished skill into a
    # Timeout and its result was thrown away: end now, as Abbot's runner answers when the
    # skill's code returns. Only the skill's prints are still buffered.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(status)
