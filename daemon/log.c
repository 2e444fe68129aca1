/* log.c: one line per event on stderr with sd-daemon.h's <N> priority prefix, so that
 * journald keeps the levels; --log-level filters. */
#include "daemon.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

static int log_level = LOG_INFO;

void nb_log_set_level(int level)
{
    log_level = level;
}

int nb_log_level_parse(const char *s)
{
    static const char *const names[] = { "emerg",   "alert",  "crit", "err",
                                         "warning", "notice", "info", "debug" };
    for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
        if (strcmp(s, names[i]) == 0) {
            return i;
        }
    }
    return -EINVAL;
}

void nb_log(int level, const char *fmt, ...)
{
    if (level > log_level) {
        return;
    }
    /* One write per line, so that lines from a crash or a child never interleave. */
    char line[1024];
    int n = snprintf(line, sizeof(line), "<%d>", level);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2) {
        len = sizeof(line) - 2;
    }
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
    fflush(stderr);
}
