/* errors.c: the error model. One table maps every status to Node's err.code and a
 * message; nc_error_t carries the rest of Node's Error fields. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

static const struct {
    int code;
    const char *name;
    const char *message;
} node_errors[] = {
#define NC_XX(name, value, msg) { value, #name, msg },
    NC_ERR_MAP(NC_XX)
#undef NC_XX
};

const char *nc_version_string(void)
{
    return "0.1.0";
}

static int node_error_index(int code)
{
    for (size_t i = 0; i < NC_ARRAY_SIZE(node_errors); i++) {
        if (node_errors[i].code == code) {
            return (int)i;
        }
    }
    return -1;
}

const char *nc_err_name(int code)
{
    int i = node_error_index(code);
    if (i >= 0) {
        return node_errors[i].name;
    }
    if (code >= 0) {
        return "UNKNOWN";
    }
    /* libuv names every errno it knows (and its own UV_EOF, UV_EAI_*) the way Node does:
     * Node's err.code for system errors comes from this very function. uv_err_name
     * mallocs (and leaks) a text for an unknown code, so ask the _r variant first. */
    char buf[64];
    uv_err_name_r(code, buf, sizeof(buf));
    if (strncmp(buf, "Unknown system error", 20) == 0) {
        return "UNKNOWN";
    }
    return uv_err_name(code);
}

const char *nc_strerror(int code)
{
    int i = node_error_index(code);
    if (i >= 0) {
        return node_errors[i].message;
    }
    if (code >= 0) {
        return "unknown error";
    }
    /* As in nc_err_name: uv_strerror leaks its text for an unknown code. */
    char buf[64];
    uv_strerror_r(code, buf, sizeof(buf));
    if (strncmp(buf, "Unknown system error", 20) == 0) {
        return "unknown error";
    }
    return uv_strerror(code);
}

int nc_error_errno(const nc_error_t *err)
{
    if (err == NULL || err->code >= 0 || node_error_index(err->code) >= 0) {
        return 0;
    }
    return err->code;
}

void nc_error_clear(nc_error_t *err)
{
    if (err == NULL) {
        return;
    }
    for (size_t i = 0; i < err->nerrors; i++) {
        nc_error_clear(&err->errors[i]);
    }
    free(err->errors);
    memset(err, 0, sizeof(*err));
    err->port = -1;
}

int nc__error(nc_error_t *err, int code, const char *fmt, ...)
{
    if (err == NULL) {
        return code;
    }
    nc_error_clear(err);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

void nc__inspect_string(char *buf, size_t size, const char *s, size_t len)
{
    /* util.inspect of a string: single quotes, a quote or control byte escaped. The
     * 6 bytes kept free fit the longest escape, the closing quote and the NUL. */
    size_t o = 0;
    if (size < 8) {
        if (size > 0) {
            buf[0] = '\0';
        }
        return;
    }
    buf[o++] = '\'';
    for (size_t i = 0; i < len && o + 6 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\'' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(buf + o, size - o, "\\x%02X", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o++] = '\'';
    buf[o] = '\0';
}
