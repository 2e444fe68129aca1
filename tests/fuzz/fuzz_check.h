/* fuzz_check.h: the fuzz targets' oracle. CHECK holds in every build type (assert() is
 * gone under NDEBUG, which RelWithDebInfo sets), and a failed one aborts so that libFuzzer
 * records the input as a crash. */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Entries of /proc/self/fd (the directory's own fd included): what a run must give back. */
static inline int fuzz_count_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    int n = 0;
    CHECK(dir != NULL);
    while (readdir(dir) != NULL) {
        n++;
    }
    closedir(dir);
    return n;
}

#endif
