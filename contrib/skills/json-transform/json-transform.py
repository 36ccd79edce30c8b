#!/usr/bin/python3 -I
# SPDX-License-Identifier: LGPL-2.1-or-later
"""json-transform: select, filter, sort and project JSON data (a small jq).

Reads one JSON object on stdin (the run request's "input"):

  {"data": <any JSON>,
   "query": "users[*].address.city",        optional path, default: the whole data
   "where": [{"path": "age", "op": ">=", "value": 18}],   optional, on a list result
   "sort_by": "name", "reverse": false,      optional, on a list result
   "limit": 10,                              optional, on a list result
   "fields": ["name", "address.city"],       optional projection of each object
   "count": false}                           optional: answer the number of results
                                             (a list's length, 1 for any other value, 0 for null)

"where" operators: == and != (JSON equality: true is not 1), <, <=, >, >= (numbers
with numbers, strings with strings), contains (a substring, or an element of a
list), startswith, in (value is a list), exists (value true, the default: the key is
there, even holding null; false: it is missing), matches (value is a Python regular
expression, searched). "reverse" and "count" are true or false.

Paths: keys separated by dots, [N] indexes (negative from the end), [*] every
element (of a list) or value (of an object), ["key.with.dots"] for odd keys.
Writes the result as JSON on stdout; on a bad request writes a message on
stderr and exits 2.
"""
import json
import re
import sys

_TOKEN = re.compile(r'\.?([A-Za-z_$][\w$-]*)|\[(-?\d+)\]|\[\*\]|\.\*|\["((?:[^"\\]|\\.)*)"\]')
_WILD = object()
_MISSING = object()  # what a "where" path gives for a missing key: "exists" tells it from null


class Fail(Exception):
    pass


def parse_path(path):
    if not isinstance(path, str):
        raise Fail("a path must be a string, not %s" % type(path).__name__)
    if path in ("", "."):
        return []
    steps, pos = [], 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if not m or m.end() == pos:
            raise Fail("bad path %r at offset %d" % (path, pos))
        key, index, quoted = m.group(1), m.group(2), m.group(3)
        try:
            if key is not None:
                steps.append(key)
            elif index is not None:
                steps.append(int(index))
            elif quoted is not None:
                steps.append(json.loads('"%s"' % quoted))
            else:
                steps.append(_WILD)
        except ValueError as e:  # an index of thousands of digits, a bad escape in a quoted key
            raise Fail("bad path %r at offset %d: %s" % (path, pos, e))
        pos = m.end()
    return steps


def walk(value, steps, missing=None):
    """Follow steps; a wildcard fans out into a list. Missing keys give 'missing' (None: null)."""
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    if step is _WILD:
        if isinstance(value, list):
            items = value
        elif isinstance(value, dict):
            items = list(value.values())
        else:
            return []
        return [walk(v, rest, missing) for v in items]
    if isinstance(step, int):
        if not isinstance(value, list) or not -len(value) <= step < len(value):
            return missing
        return walk(value[step], rest, missing)
    if not isinstance(value, dict) or step not in value:
        return missing
    return walk(value[step], rest, missing)


def get(value, path):
    return walk(value, parse_path(path))


def same(a, b):
    """JSON equality: true is not 1 and false is not 0 (as Python's == would have it), 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(b, (list, dict)):
        return False
    return a == b


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "contains", "startswith", "in", "exists", "matches")


def compare(op, a, b):
    if op == "==":
        return same(a, b)
    if op == "!=":
        return not same(a, b)
    if op in ("<", "<=", ">", ">="):
        # numbers with numbers, strings with strings; anything else (null, booleans) is not ordered
        if not (_number(a) and _number(b) or isinstance(a, str) and isinstance(b, str)):
            return False
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if op == "contains":
        if isinstance(a, str):
            return isinstance(b, str) and b in a
        return isinstance(a, list) and any(same(x, b) for x in a)
    if op == "startswith":
        return isinstance(a, str) and isinstance(b, str) and a.startswith(b)
    if op == "in":
        return isinstance(b, list) and any(same(a, x) for x in b)
    if op == "exists":
        # a key that holds null exists; only a missing one (_MISSING, see transform) does not
        return (a is not _MISSING) == (b if b is not None else True)
    if op == "matches":
        if not isinstance(b, str):
            return False
        try:
            rx = re.compile(b)
        except re.error as e:
            raise Fail("bad regular expression %r for \"matches\": %s" % (b, e))
        return isinstance(a, str) and rx.search(a) is not None
    raise Fail("unknown operator %r" % op)


def sort_key(v):
    # None first, then numbers, strings, everything else by its JSON text: never a TypeError.
    if v is None:
        return (0, 0, "")
    if isinstance(v, bool):
        return (1, int(v), "")
    if isinstance(v, (int, float)):
        return (1, v, "")
    if isinstance(v, str):
        return (2, 0, v)
    return (3, 0, json.dumps(v, sort_keys=True))


def flag(req, name):
    """A boolean field, false when absent: "reverse": "no" is a mistake, not true."""
    value = req.get(name, False)
    if not isinstance(value, bool):
        raise Fail("%s must be true or false, not %s" % (name, json.dumps(value)))
    return value


def transform(req):
    if not isinstance(req, dict):
        raise Fail("input must be an object with \"data\" and optional \"query\"")
    unknown = set(req) - {"data", "query", "where", "sort_by", "reverse", "limit", "fields", "count"}
    if unknown:
        raise Fail("unknown field(s): %s" % ", ".join(sorted(unknown)))
    result = get(req.get("data"), req.get("query", "."))

    list_ops = [k for k in ("where", "sort_by", "limit", "fields") if k in req]
    if list_ops and not isinstance(result, list):
        if "fields" in req and list_ops == ["fields"] and isinstance(result, dict):
            result = [result]
            single = True
        else:
            raise Fail("%s need(s) the query to select a list" % ", ".join(list_ops))
    else:
        single = False

    where = req.get("where", [])
    if not isinstance(where, list):
        raise Fail("\"where\" must be a list of {\"path\", \"op\", \"value\"}")
    conds = []
    for cond in where:  # all checked before any is applied, so that an empty list does not hide a mistake
        if not isinstance(cond, dict) or "op" not in cond:
            raise Fail("each \"where\" entry is {\"path\", \"op\", \"value\"}")
        unknown = set(cond) - {"path", "op", "value"}
        if unknown:
            raise Fail("unknown field(s) in a \"where\" entry: %s (it is {\"path\", \"op\", \"value\"})"
                       % ", ".join(sorted(unknown)))
        op, value = cond["op"], cond.get("value")
        if not isinstance(op, str) or op not in OPERATORS:
            raise Fail("unknown operator %r: one of %s" % (op, ", ".join(OPERATORS)))
        if op == "matches" and isinstance(value, str):
            compare(op, "", value)  # a bad regular expression fails here
        if op == "exists" and value is not None and not isinstance(value, bool):
            raise Fail("\"exists\" takes a value of true or false, not %s" % json.dumps(value))
        conds.append((parse_path(cond.get("path", ".")), op, value))
    for steps, op, value in conds:
        result = [item for item in result
                  if compare(op, walk(item, steps, _MISSING if op == "exists" else None), value)]

    if "sort_by" in req:
        steps = parse_path(req["sort_by"])
        result = sorted(result, key=lambda item: sort_key(walk(item, steps)), reverse=flag(req, "reverse"))

    if "limit" in req:
        limit = req["limit"]
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise Fail("limit must be a non-negative integer")
        result = result[:limit]

    if "fields" in req:
        fields = req["fields"]
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise Fail("fields must be a list of paths")
        steps = [(f, parse_path(f)) for f in fields]
        result = [{f: walk(item, s) for f, s in steps} for item in result]
        if single:
            result = result[0]

    if flag(req, "count"):
        # the number of results: a list's elements; one object or string is one result (its keys
        # are counted with the query ".*", never its characters); null (nothing found) none
        return len(result) if isinstance(result, list) else (0 if result is None else 1)
    return result


def _not_json(name):
    raise ValueError("%s is not JSON" % name)


def read_request():
    try:
        return json.load(sys.stdin, parse_constant=_not_json)
    except ValueError as e:
        raise Fail("input is not JSON: %s" % e)
    except RecursionError:
        raise Fail("input is nested too deeply")


def encode(out):
    # a number too large for a float (1e400) came in as inf: never write it as Infinity;
    # a lone surrogate ("\ud800", which Python's parser takes) cannot be written as UTF-8
    # compact, as skillrun writes "input": a result as large as the input still fits output_max
    try:
        text = json.dumps(out, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError as e:
        raise Fail("the result is not JSON: a string holds a lone surrogate (%s)" % ascii(e.object[e.start:e.end]))
    except ValueError as e:
        raise Fail("the result is not JSON: %s" % e)
    except RecursionError:
        raise Fail("the result is nested too deeply")


def main():
    # every bad request: one line on stderr and exit 2, never a traceback
    try:
        req = read_request()
        try:
            out = transform(req)
        except RecursionError:
            raise Fail("data nested too deeply")
        data = encode(out)
    except Fail as e:
        sys.stderr.write("json-transform: %s\n" % e)
        return 2
    sys.stdout.buffer.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
