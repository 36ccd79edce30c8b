/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int max_level = LOG_INFO;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) {
        int e = error < 0 ? -error : error;
        char buf[2048];
        va_list ap;

        if (level > max_level)
                return error < 0 ? error : -e;
        /* %m must print the error we were given, not whatever errno happens to be */
        errno = e;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        /* journald reads "<N>" level prefixes on stderr streams; a terminal gets plain text */
        if (getenv("JOURNAL_STREAM"))
                fprintf(stderr, "<%d>%s\n", level, buf);
        else
                fprintf(stderr, "skillrun: %s\n", buf);
        (void) file;
        (void) line;
        return -e;
}
