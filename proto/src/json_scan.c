/* json_scan.c: checks that a line is plain JSON, exactly the subset json_fast.c parses
 * (objects without duplicate keys, arrays, strings without escapes, integers of up to 18
 * digits, true, false, null, at most 32 deep), without building anything, and notes the
 * top-level members a receiver looks at first. A line it refuses goes to the parsers,
 * whose verdict stands; one it accepts is valid UTF-8 and one they would accept and build. */
#include "internal.h"
#include "json_lex.h"

#include <string.h>

/* Keys an object may have here: more, and jansson's hash table checks the duplicates. */
#define KEYS_MAX 32

typedef nb_json_lex_t scan_t;

typedef struct {
    const char *s;
    size_t n;
} span_t;

static bool scan_value(scan_t *c, const char *key, size_t klen, nb_proto__scan_top_t *top);

/* After the opening quote. Strings are the only place a plain line has bytes above 0x7F,
 * so checking their UTF-8 here checks the line's. */
static bool scan_string(scan_t *c, span_t *ret)
{
    bool ascii;
    return nb_json_lex_string(c, &ret->s, &ret->n, &ascii) &&
           (ascii || nb_proto__utf8_prefix(ret->s, ret->n) == ret->n);
}

static bool key_seen(const span_t *keys, size_t n, span_t k)
{
    for (size_t i = 0; i < n; i++) {
        if (keys[i].n == k.n && memcmp(keys[i].s, k.s, k.n) == 0) {
            return true;
        }
    }
    return false;
}

/* After '{'. Only the message's own object (depth 1) reports its members to top. */
static bool scan_object(scan_t *c, nb_proto__scan_top_t *top)
{
    span_t keys[KEYS_MAX];
    size_t nkeys = 0;

    nb_json_skip_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return true;
    }
    for (;;) {
        span_t k;
        nb_json_skip_ws(c);
        if (c->p == c->end || *c->p++ != '"' || !scan_string(c, &k) || nkeys == KEYS_MAX ||
            key_seen(keys, nkeys, k)) {
            return false;
        }
        keys[nkeys++] = k;
        nb_json_skip_ws(c);
        if (c->p == c->end || *c->p++ != ':' ||
            !scan_value(c, k.s, k.n, c->depth == 1 ? top : NULL)) {
            return false;
        }
        nb_json_skip_ws(c);
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return true;
        }
        if (c->p == c->end || *c->p++ != ',') {
            return false;
        }
    }
}

static bool scan_array(scan_t *c)
{
    nb_json_skip_ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        return true;
    }
    for (;;) {
        if (!scan_value(c, NULL, 0, NULL)) {
            return false;
        }
        nb_json_skip_ws(c);
        if (c->p < c->end && *c->p == ']') {
            c->p++;
            return true;
        }
        if (c->p == c->end || *c->p++ != ',') {
            return false;
        }
    }
}

static bool scan_nested(scan_t *c, nb_proto__scan_top_t *top, bool object)
{
    if (c->depth >= NB_JSON_DEPTH_MAX) {
        return false;
    }
    c->depth++;
    c->p++;
    bool ok = object ? scan_object(c, top) : scan_array(c);
    c->depth--;
    return ok;
}

static bool is_key(const char *key, size_t klen, const char *name)
{
    return key != NULL && strlen(name) == klen && memcmp(key, name, klen) == 0;
}

/* A value; when top is not NULL it is a member of the message's object named key. */
static bool scan_value(scan_t *c, const char *key, size_t klen, nb_proto__scan_top_t *top)
{
    span_t s;
    int64_t v;

    nb_json_skip_ws(c);
    if (c->p == c->end) {
        return false;
    }
    if (top != NULL && is_key(key, klen, "fds")) {
        top->fds_seen = true;
    }
    switch (*c->p) {
    case '{':
        return scan_nested(c, NULL, true);
    case '[':
        return scan_nested(c, NULL, false);
    case '"':
        c->p++;
        if (!scan_string(c, &s)) {
            return false;
        }
        if (top != NULL && is_key(key, klen, "event")) {
            top->head.event = s.s;
            top->head.event_len = s.n;
        }
        return true;
    case 't':
    case 'f': {
        bool t = *c->p == 't';
        if (!nb_json_lex_literal(c, t ? "true" : "false", t ? 4 : 5)) {
            return false;
        }
        if (top != NULL && is_key(key, klen, "ok")) {
            top->head.ok = t ? 1 : 0;
        }
        return true;
    }
    case 'n':
        if (!nb_json_lex_literal(c, "null", 4)) {
            return false;
        }
        if (top != NULL && is_key(key, klen, "id")) {
            top->head.id_null = true;
        }
        return true;
    default:
        if (!(*c->p == '-' || (*c->p >= '0' && *c->p <= '9')) || !nb_json_lex_integer(c, &v)) {
            return false;
        }
        if (top != NULL && is_key(key, klen, "id")) {
            top->head.has_id = true;
            top->head.id = v;
        } else if (top != NULL && is_key(key, klen, "fds")) {
            top->fds = v;
        }
        return true;
    }
}

bool nb_proto__json_scan(const char *buf, size_t len, nb_proto__scan_top_t *ret)
{
    scan_t c = { .p = buf, .end = buf + len };
    nb_proto__scan_top_t top = { .head = { .ok = -1 }, .fds = -1 };

    nb_json_skip_ws(&c);
    if (c.p == c.end || *c.p != '{') {
        return false;
    }
    if (!scan_nested(&c, &top, true)) {
        return false;
    }
    nb_json_skip_ws(&c);
    if (c.p != c.end) {
        return false;
    }
    top.compact = !c.spaced;
    *ret = top;
    return true;
}
