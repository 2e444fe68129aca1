/* internal.h: what libnetcore's files share and nobody else sees. */
#ifndef NC_INTERNAL_H
#define NC_INTERNAL_H

#include "netcore.h"

#include <stdarg.h>

#define NC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Fills *err (when not NULL) with a Node-style error: code, no syscall/address, a
 * printf-formatted message. Returns code, so that `return nc__error(err, r, ...)` reads
 * as one step. */
int nc__error(nc_error_t *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Node's validateString(family) + SocketAddress family switch: "ipv4"/"ipv6" compared
 * case-insensitively; NULL means "ipv4". Returns AF_INET/AF_INET6, or
 * ERR_INVALID_ARG_VALUE with Node's message for `what` (e.g. "options.family"). */
int nc__family_parse(const char *family, const char *what, nc_error_t *err);

/* Appends a JS-style inspection of a string value ('text', quotes escaped) to buf; Node
 * puts one in every ERR_INVALID_ARG_VALUE message ("Received 'foo'"). */
void nc__inspect_string(char *buf, size_t size, const char *s, size_t len);

#endif
