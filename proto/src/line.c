/* line.c: the line builder. Writes a message's members straight into a buffer as compact
 * JSON, byte for byte what jansson's JSON_COMPACT dump of the same object would be, so
 * that the messages sent most often (a 'connection' event with its fd) cost no jansson
 * object to build, serialise and free (README "Control protocol codec and fd passing"). */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void put(nb_proto_line_t *l, const char *s, size_t n);
static void put_string(nb_proto_line_t *l, const char *s, size_t n);

/* Makes room for n more bytes; a failure is sticky in l->err. */
static bool grow(nb_proto_line_t *l, size_t n)
{
    if (n > SIZE_MAX / 2 - l->len) {
        l->err = -ENOMEM;
        return false;
    }
    size_t cap = l->cap * 2 > l->len + n ? l->cap * 2 : l->len + n;
    char *nbuf = l->buf == l->small ? malloc(cap) : realloc(l->buf, cap);
    if (nbuf == NULL) {
        l->err = -ENOMEM;
        return false;
    }
    if (l->buf == l->small) {
        memcpy(nbuf, l->small, l->len);
    }
    l->buf = nbuf;
    l->cap = cap;
    return true;
}

static inline bool room(nb_proto_line_t *l, size_t n)
{
    if (l->err != 0) {
        return false;
    }
    return n <= l->cap - l->len || grow(l, n);
}

static inline void put(nb_proto_line_t *l, const char *s, size_t n)
{
    if (room(l, n)) {
        memcpy(l->buf + l->len, s, n);
        l->len += n;
    }
}

/* Decimal digits of v, written backwards ending at end; returns where they start. The
 * line's hot path formats a few small integers, where snprintf costs more than the rest. */
static char *format_int(char *end, int64_t v)
{
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = end;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0) {
        *--p = '-';
    }
    return p;
}

static void put_int(nb_proto_line_t *l, int64_t v)
{
    char num[24];
    char *p = format_int(num + sizeof(num), v);
    put(l, p, (size_t)(num + sizeof(num) - p));
}

void nb_proto_line_begin(nb_proto_line_t *l)
{
    l->buf = l->small;
    l->cap = sizeof(l->small);
    l->len = 0;
    l->err = 0;
    l->depth = 1;
    l->comma = false;
    l->small[l->len++] = '{';
}

void nb_proto_line_free(nb_proto_line_t *l)
{
    if (l != NULL && l->buf != l->small) {
        free(l->buf);
    }
    if (l != NULL) {
        l->buf = l->small;
        l->cap = sizeof(l->small);
        l->len = 0;
    }
}

static void put_escape(nb_proto_line_t *l, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
    const char *named = c == '"'    ? "\\\""
                        : c == '\\' ? "\\\\"
                        : c == '\b' ? "\\b"
                        : c == '\f' ? "\\f"
                        : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t"
                                    : NULL;
    if (named != NULL) {
        put(l, named, 2);
    } else {
        put(l, esc, sizeof(esc));
    }
}

/* The escapes jansson's dump writes: '"', '\\', the named control characters, \u00XX for
 * the other ones below 0x20; everything else (UTF-8, '/', DEL) as it is. */
static void put_string(nb_proto_line_t *l, const char *s, size_t n)
{
    size_t run = 0, plain = 0;
    bool ascii;

    /* Most strings (names, addresses) are printable ASCII: one copy between the quotes. */
    while (plain < n && (unsigned char)s[plain] >= 0x20 && (unsigned char)s[plain] < 0x80 &&
           s[plain] != '"' && s[plain] != '\\') {
        plain++;
    }
    if (plain == n) {
        if (room(l, n + 2)) {
            l->buf[l->len] = '"';
            memcpy(l->buf + l->len + 1, s, n);
            l->buf[l->len + n + 1] = '"';
            l->len += n + 2;
        }
        return;
    }
    ascii = true;
    for (size_t i = plain; i < n && ascii; i++) {
        ascii = (unsigned char)s[i] < 0x80;
    }
    if (!ascii && nb_proto__utf8_prefix(s + plain, n - plain) != n - plain) {
        if (l->err == 0) {
            l->err = -EINVAL; /* json_string() refuses it too */
        }
        return;
    }
    put(l, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        put(l, s + run, i - run);
        run = i + 1;
        put_escape(l, c);
    }
    put(l, s + run, n - run);
    put(l, "\"", 1);
}

/* ',' when needed, then "key":. The writer owns the top level's "fds". */
static bool put_key(nb_proto_line_t *l, const char *key)
{
    if (l->err != 0) {
        return false;
    }
    if (key == NULL || l->depth < 1 ||
        (l->depth == 1 && key[0] == 'f' && strcmp(key, "fds") == 0)) {
        l->err = -EINVAL;
        return false;
    }
    if (l->comma) {
        put(l, ",", 1);
    }
    put_string(l, key, strlen(key));
    put(l, ":", 1);
    l->comma = true;
    return l->err == 0;
}

void nb_proto_line_str(nb_proto_line_t *l, const char *key, const char *value)
{
    if (value == NULL) {
        if (l->err == 0) {
            l->err = -EINVAL;
        }
        return;
    }
    if (put_key(l, key)) {
        put_string(l, value, strlen(value));
    }
}

void nb_proto_line_int(nb_proto_line_t *l, const char *key, int64_t value)
{
    if (put_key(l, key)) {
        put_int(l, value);
    }
}

void nb_proto_line_bool(nb_proto_line_t *l, const char *key, bool value)
{
    if (put_key(l, key)) {
        put(l, value ? "true" : "false", value ? 4 : 5);
    }
}

void nb_proto_line_null(nb_proto_line_t *l, const char *key)
{
    if (put_key(l, key)) {
        put(l, "null", 4);
    }
}

/* A value as jansson dumps it: scalars by hand, the rest by json_dumpb. */
static void put_json(nb_proto_line_t *l, const json_t *v)
{
    if (json_is_string(v)) {
        put_string(l, json_string_value(v), json_string_length(v));
        return;
    }
    if (json_is_integer(v)) {
        put_int(l, (int64_t)json_integer_value(v));
        return;
    }
    size_t n = v != NULL ? json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) : 0;
    if (n == 0) {
        if (l->err == 0) {
            l->err = -EINVAL;
        }
        return;
    }
    if (room(l, n)) {
        l->len += json_dumpb(v, l->buf + l->len, n, JSON_COMPACT | JSON_ENCODE_ANY);
    }
}

void nb_proto_line_json(nb_proto_line_t *l, const char *key, const json_t *value)
{
    if (put_key(l, key)) {
        put_json(l, value);
    }
}

void nb_proto_line_members(nb_proto_line_t *l, const json_t *obj)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj)) {
        if (l->err == 0) {
            l->err = -EINVAL;
        }
        return;
    }
    json_object_foreach((json_t *)obj, key, v)
    {
        nb_proto_line_json(l, key, v);
    }
}

void nb_proto_line_open(nb_proto_line_t *l, const char *key)
{
    if (put_key(l, key)) {
        put(l, "{", 1);
        l->depth++;
        l->comma = false;
    }
}

void nb_proto_line_close(nb_proto_line_t *l)
{
    if (l->err == 0 && l->depth <= 1) {
        l->err = -EINVAL;
        return;
    }
    put(l, "}", 1);
    l->depth--;
    l->comma = true;
}

int nb_proto_line_end(nb_proto_line_t *l, size_t nfds, const char **ret_line, size_t *ret_len)
{
    while (l->err == 0 && l->depth > 1) {
        nb_proto_line_close(l);
    }
    if (l->err == 0 && nfds > NB_PROTO_FDS_MAX) {
        l->err = -EINVAL;
    }
    if (nfds > 0) {
        if (l->comma) {
            put(l, ",", 1);
        }
        put(l, "\"fds\":", 6);
        put_int(l, (int64_t)nfds);
        put(l, "}\n", 2);
    } else {
        put(l, "}\n", 2);
    }
    if (l->err != 0) {
        return l->err;
    }
    l->depth = 0; /* ended: any later member is an error */
    *ret_line = l->buf;
    *ret_len = l->len;
    return 0;
}

void nb_proto_line_event(nb_proto_line_t *l, const char *name)
{
    nb_proto_line_begin(l);
    if (!nb_proto_name_valid(name)) {
        l->err = -EINVAL;
        return;
    }
    nb_proto_line_str(l, "event", name);
}

void nb_proto_line_reply_ok(nb_proto_line_t *l, int64_t id)
{
    nb_proto_line_begin(l);
    if (id < 0 || id > NB_PROTO_ID_MAX) {
        l->err = -EINVAL;
        return;
    }
    nb_proto_line_int(l, "id", id);
    nb_proto_line_bool(l, "ok", true);
    nb_proto_line_open(l, "result");
}
