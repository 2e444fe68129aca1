/* fuzz_check.h: the fuzz targets' oracle. CHECK holds in every build type (assert() is
 * gone under NDEBUG, which RelWithDebInfo sets), and a failed one aborts so that libFuzzer
 * records the input as a crash. */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
