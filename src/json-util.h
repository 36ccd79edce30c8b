/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* One JSON value and nothing but white space around it, strictly by RFC 8259, and nothing json-c
 * would change on the way: json-c's strict mode, then the accepted text as written (json-c takes
 * NaN, Infinity, "1.", "00" and raw control characters in strings, writes a parsed decimal back
 * as it came, clamps integers beyond 64 bits and cuts a key at a \u0000). 0 and *ret (NULL for
 * JSON null), -EINVAL with *ret_why a static reason, or -ENOMEM. */
int json_parse_strict(const char *buf, size_t len, int depth, json_object **ret, const char **ret_why);
