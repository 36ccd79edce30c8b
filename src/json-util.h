/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* Is every number in v, as json-c will write it back, an RFC 8259 number? Even in strict mode
 * json-c reads NaN, Infinity, -Infinity, "1." and "1.e5", and writes a parsed number back as it
 * came: one of them passed on makes the answer that carries it invalid JSON. */
bool json_numbers_valid(json_object *v);

/* One JSON value and nothing but white space around it, strictly: json-c's strict mode and
 * json_numbers_valid(). 0 and *ret (NULL for JSON null), -EINVAL with *ret_why a static
 * reason, or -ENOMEM. */
int json_parse_strict(const char *buf, size_t len, int depth, json_object **ret, const char **ret_why);
