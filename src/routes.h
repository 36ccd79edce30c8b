/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "server.h"

/* Route the parsed request (design §3), answer it, and return the HTTP status sent. */
int routes_dispatch(Server *srv);
