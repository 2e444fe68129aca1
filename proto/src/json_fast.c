/* json_fast.c: a parser for the plain JSON that requests almost always are (objects,
 * arrays, strings without escapes, small integers, true, false, null), building the same
 * jansson values json_loadb would. Anything else, errors included, it leaves to jansson,
 * whose verdict and messages stand: this file only makes the common case cheaper.
 * jansson reads its input through a per-byte callback and a token buffer; going straight
 * to the value constructors roughly halves the cost of a typical request
 * (tests/bench/bench_proto). */
#include "internal.h"

#include <string.h>

/* Deeper than any request: past it, jansson (which allows 2048) takes over. */
#define DEPTH_MAX 32
/* Digits of an integer that cannot overflow json_int_t; longer ones go to jansson, which
 * reports the overflow. */
#define DIGITS_MAX 18

typedef struct {
    const char *p;
    const char *end;
    int depth;
} cursor_t;

static json_t *parse_value(cursor_t *c);

static void skip_ws(cursor_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

/* True when a scalar ends here, as jansson's lexer needs ("truex" and "1.5" are not ours). */
static bool at_delimiter(const cursor_t *c)
{
    if (c->p == c->end) {
        return true;
    }
    char ch = *c->p;
    return ch == ',' || ch == '}' || ch == ']' || ch == ' ' || ch == '\t' || ch == '\n' ||
           ch == '\r';
}

/* A string's bytes, after its opening quote: no escape, no control character (jansson
 * refuses those; the line is already known to be UTF-8). */
static bool scan_string(cursor_t *c, const char **ret_s, size_t *ret_len)
{
    const char *s = c->p;

    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '\\' || ch < 0x20) {
            return false;
        }
        c->p++;
    }
    if (c->p == c->end) {
        return false;
    }
    *ret_s = s;
    *ret_len = (size_t)(c->p - s);
    c->p++;
    return true;
}

/* -?(0|[1-9][0-9]*), no fraction or exponent, at most DIGITS_MAX digits. */
static json_t *parse_integer(cursor_t *c)
{
    bool neg = *c->p == '-';
    json_int_t v = 0;
    int digits = 0;

    c->p += neg ? 1 : 0;
    if (c->p < c->end && *c->p == '0') {
        c->p++;
        digits = 1;
    } else {
        /* A digit beyond DIGITS_MAX is left in place, where at_delimiter refuses it. */
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && digits < DIGITS_MAX) {
            v = v * 10 + (*c->p - '0');
            c->p++;
            digits++;
        }
    }
    if (digits == 0 || !at_delimiter(c)) {
        return NULL;
    }
    return json_integer(neg ? -v : v);
}

static json_t *parse_literal(cursor_t *c, const char *word, size_t n, json_t *value)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) {
        return NULL;
    }
    c->p += n;
    return at_delimiter(c) ? value : NULL;
}

/* After '{'. Duplicate keys go to jansson, which refuses them (JSON_REJECT_DUPLICATES). */
static json_t *parse_object(cursor_t *c)
{
    json_t *obj = json_object();

    skip_ws(c);
    if (obj != NULL && c->p < c->end && *c->p == '}') {
        c->p++;
        return obj;
    }
    while (obj != NULL) {
        const char *key;
        size_t klen;
        json_t *v = NULL;

        skip_ws(c);
        if (c->p == c->end || *c->p++ != '"' || !scan_string(c, &key, &klen)) {
            break;
        }
        skip_ws(c);
        if (c->p == c->end || *c->p++ != ':' || json_object_getn(obj, key, klen) != NULL ||
            (v = parse_value(c)) == NULL || json_object_setn_new_nocheck(obj, key, klen, v) < 0) {
            break;
        }
        skip_ws(c);
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return obj;
        }
        if (c->p == c->end || *c->p++ != ',') {
            break;
        }
    }
    json_decref(obj);
    return NULL;
}

/* After '['. */
static json_t *parse_array(cursor_t *c)
{
    json_t *arr = json_array();

    skip_ws(c);
    if (arr != NULL && c->p < c->end && *c->p == ']') {
        c->p++;
        return arr;
    }
    while (arr != NULL) {
        json_t *v = parse_value(c);
        if (v == NULL || json_array_append_new(arr, v) < 0) {
            break;
        }
        skip_ws(c);
        if (c->p < c->end && *c->p == ']') {
            c->p++;
            return arr;
        }
        if (c->p == c->end || *c->p++ != ',') {
            break;
        }
    }
    json_decref(arr);
    return NULL;
}

static json_t *parse_nested(cursor_t *c, json_t *(*parse)(cursor_t *))
{
    json_t *v;

    if (c->depth >= DEPTH_MAX) {
        return NULL;
    }
    c->depth++;
    c->p++;
    v = parse(c);
    c->depth--;
    return v;
}

static json_t *parse_value(cursor_t *c)
{
    const char *s;
    size_t n;

    skip_ws(c);
    if (c->p == c->end) {
        return NULL;
    }
    switch (*c->p) {
    case '{':
        return parse_nested(c, parse_object);
    case '[':
        return parse_nested(c, parse_array);
    case '"':
        c->p++;
        return scan_string(c, &s, &n) ? json_stringn_nocheck(s, n) : NULL;
    case 't':
        return parse_literal(c, "true", 4, json_true());
    case 'f':
        return parse_literal(c, "false", 5, json_false());
    case 'n':
        return parse_literal(c, "null", 4, json_null());
    default:
        return *c->p == '-' || (*c->p >= '0' && *c->p <= '9') ? parse_integer(c) : NULL;
    }
}

json_t *nb_proto__json_parse_fast(const char *buf, size_t len)
{
    cursor_t c = { .p = buf, .end = buf + len };
    json_t *obj;

    skip_ws(&c);
    if (c.p == c.end || *c.p != '{') {
        return NULL;
    }
    obj = parse_value(&c);
    skip_ws(&c);
    if (obj != NULL && c.p != c.end) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}
