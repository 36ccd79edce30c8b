/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Minimal TAP producer for the C unit tests. */
#pragma once

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_skip_all(const char *reason) {
        printf("1..0 # SKIP %s\n", reason);
        exit(77);
}

__attribute__((format(printf, 2, 3))) static inline int ok(int cond, const char *fmt, ...) {
        va_list ap;
        tap_n++;
        printf("%sok %d - ", cond ? "" : "not ", tap_n);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        if (!cond)
                tap_failed++;
        fflush(stdout);
        return cond;
}

#define is_int(got, want, ...)                                                                         \
        do {                                                                                           \
                long long _g = (long long) (got), _w = (long long) (want);                             \
                if (!ok(_g == _w, __VA_ARGS__))                                                        \
                        printf("#   got %lld, want %lld (%s:%d)\n", _g, _w, __FILE__, __LINE__);       \
        } while (0)

#define is_str(got, want, ...)                                                                         \
        do {                                                                                           \
                const char *_g = (got), *_w = (want);                                                  \
                int _eq = (_g && _w) ? strcmp(_g, _w) == 0 : _g == _w;                                 \
                if (!ok(_eq, __VA_ARGS__))                                                             \
                        printf("#   got '%s', want '%s' (%s:%d)\n", _g ? _g : "(null)",               \
                               _w ? _w : "(null)", __FILE__, __LINE__);                                \
        } while (0)

#define contains_str(got, needle, ...)                                                                 \
        do {                                                                                           \
                const char *_g = (got), *_n = (needle);                                                \
                if (!ok(_g && strstr(_g, _n), __VA_ARGS__))                                            \
                        printf("#   '%s' does not contain '%s' (%s:%d)\n", _g ? _g : "(null)", _n,    \
                               __FILE__, __LINE__);                                                    \
        } while (0)

/* For what a test needs to go on at all: stops the plan with "Bail out!". */
#define assert_se(x)                                                                                   \
        do {                                                                                           \
                if (!(x)) {                                                                            \
                        printf("Bail out! %s:%d: %s\n", __FILE__, __LINE__, #x);                        \
                        exit(1);                                                                       \
                }                                                                                      \
        } while (0)

/* How many of fds 0-1023 are open: for "no fd kept" checks. */
static inline int tap_open_fds(void) {
        int n = 0;
        for (int i = 0; i < 1024; i++)
                n += fcntl(i, F_GETFD) >= 0;
        return n;
}

static inline int done_testing(void) {
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
