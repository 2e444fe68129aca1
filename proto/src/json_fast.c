/* json_fast.c: a parser for the plain JSON that requests almost always are (objects,
 * arrays, strings without escapes, small integers, true, false, null), building the same
 * jansson values json_loadb would. Anything else, errors included, it leaves to jansson,
 * whose verdict and messages stand: this file only makes the common case cheaper.
 * jansson reads its input through a per-byte callback and a token buffer; going straight
 * to the value constructors roughly halves the cost of a typical request
 * (tests/bench/bench_proto). */
#include "internal.h"
#include "json_lex.h"

#include <string.h>

typedef nb_json_lex_t cursor_t;

static json_t *parse_value(cursor_t *c);

/* A string's bytes (the line is already known to be UTF-8). */
static bool scan_string(cursor_t *c, const char **ret_s, size_t *ret_len)
{
    bool ascii;
    return nb_json_lex_string(c, ret_s, ret_len, &ascii);
}

static json_t *parse_integer(cursor_t *c)
{
    int64_t v;
    return nb_json_lex_integer(c, &v) ? json_integer((json_int_t)v) : NULL;
}

static json_t *parse_literal(cursor_t *c, const char *word, size_t n, json_t *value)
{
    return nb_json_lex_literal(c, word, n) ? value : NULL;
}

/* After '{'. Duplicate keys go to jansson, which refuses them (JSON_REJECT_DUPLICATES). */
static json_t *parse_object(cursor_t *c)
{
    json_t *obj = json_object();

    nb_json_skip_ws(c);
    if (obj != NULL && c->p < c->end && *c->p == '}') {
        c->p++;
        return obj;
    }
    while (obj != NULL) {
        const char *key;
        size_t klen;
        json_t *v = NULL;

        nb_json_skip_ws(c);
        if (c->p == c->end || *c->p++ != '"' || !scan_string(c, &key, &klen)) {
            break;
        }
        nb_json_skip_ws(c);
        if (c->p == c->end || *c->p++ != ':' || json_object_getn(obj, key, klen) != NULL ||
            (v = parse_value(c)) == NULL || json_object_setn_new_nocheck(obj, key, klen, v) < 0) {
            break;
        }
        nb_json_skip_ws(c);
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

    nb_json_skip_ws(c);
    if (arr != NULL && c->p < c->end && *c->p == ']') {
        c->p++;
        return arr;
    }
    while (arr != NULL) {
        json_t *v = parse_value(c);
        if (v == NULL || json_array_append_new(arr, v) < 0) {
            break;
        }
        nb_json_skip_ws(c);
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

    if (c->depth >= NB_JSON_DEPTH_MAX) {
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

    nb_json_skip_ws(c);
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

    nb_json_skip_ws(&c);
    if (c.p == c.end || *c.p != '{') {
        return NULL;
    }
    obj = parse_value(&c);
    nb_json_skip_ws(&c);
    if (obj != NULL && c.p != c.end) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}
