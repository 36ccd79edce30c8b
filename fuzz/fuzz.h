/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* The libFuzzer entry point every target defines; fuzz/replay.c calls it when built without
 * libFuzzer. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Invariant violations must crash so libFuzzer (and the replay test) notice. */
#define fuzz_check(x)           \
        do {                    \
                if (!(x))       \
                        abort(); \
        } while (0)
