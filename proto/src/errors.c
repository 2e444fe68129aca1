/* errors.c: proto's error table (NB_PROTO_ERR_MAP), errno names both ways, and the small
 * helpers every other file uses to fill errors and drop fds. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct {
    int code;
    const char *name;
    const char *message;
} proto_errors[] = {
#define NB_PROTO_XX(name, value, msg) { value, #name, msg },
    NB_PROTO_ERR_MAP(NB_PROTO_XX)
#undef NB_PROTO_XX
};

/* Linux's errno values stop well below this (EHWPOISON is 133). */
#define ERRNO_SCAN_MAX 200

static int table_index(int code)
{
    for (size_t i = 0; i < NB_PROTO_ARRAY_SIZE(proto_errors); i++) {
        if (proto_errors[i].code == code) {
            return (int)i;
        }
    }
    return -1;
}

const char *nb_proto_err_name(int code)
{
    int i = table_index(code);
    if (i >= 0) {
        return proto_errors[i].name;
    }
    if (code < 0 && code > -ERRNO_SCAN_MAX) {
        /* glibc's own table: the same names Node (through libuv) gives system errors. */
        const char *name = strerrorname_np(-code);
        if (name != NULL) {
            return name;
        }
    }
    return "UNKNOWN";
}

const char *nb_proto_strerror(int code)
{
    int i = table_index(code);
    if (i >= 0) {
        return proto_errors[i].message;
    }
    if (code < 0 && code > -ERRNO_SCAN_MAX) {
        const char *msg = strerrordesc_np(-code);
        if (msg != NULL) {
            return msg;
        }
    }
    return proto_errors[table_index(NB_PROTO_UNKNOWN)].message;
}

int nb_proto_err_from_name(const char *name)
{
    if (name == NULL) {
        return NB_PROTO_UNKNOWN;
    }
    for (size_t i = 0; i < NB_PROTO_ARRAY_SIZE(proto_errors); i++) {
        if (strcmp(proto_errors[i].name, name) == 0) {
            return proto_errors[i].code;
        }
    }
    if (name[0] == 'E') {
        for (int e = 1; e < ERRNO_SCAN_MAX; e++) {
            const char *en = strerrorname_np(e);
            if (en != NULL && strcmp(en, name) == 0) {
                return -e;
            }
        }
    }
    return NB_PROTO_UNKNOWN;
}

void nb_proto__close_fds(const int *fds, size_t n)
{
    int saved = errno;
    for (size_t i = 0; i < n; i++) {
        if (fds[i] >= 0) {
            /* Linux frees the descriptor even when close reports EINTR: never retry. */
            (void)close(fds[i]);
        }
    }
    errno = saved;
}

void nb_proto__error_set(nb_proto_error_t *err,
                         int code,
                         bool fatal,
                         int64_t id,
                         const char *fmt,
                         ...)
{
    va_list ap;

    err->code = code;
    err->fatal = fatal;
    err->id = id;
    va_start(ap, fmt);
    (void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    nb_proto__utf8_trim(err->message);
}

void nb_proto__utf8_trim(char *s)
{
    size_t len = strlen(s);
    s[nb_proto__utf8_prefix(s, len)] = '\0';
}

int64_t nb_proto__msg_id(const json_t *msg)
{
    const json_t *id = json_object_get(msg, "id");
    if (!json_is_integer(id)) {
        return -1;
    }
    json_int_t v = json_integer_value(id);
    if (v < 0 || v > NB_PROTO_ID_MAX) {
        return -1;
    }
    return (int64_t)v;
}
