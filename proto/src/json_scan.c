/* json_scan.c: checks that a line is plain JSON, exactly the subset json_fast.c parses
 * (objects without duplicate keys, arrays, strings without escapes, integers of up to 18
 * digits, true, false, null, at most 32 deep), without building anything, and notes the
 * top-level members a receiver looks at first. A line it refuses goes to the parsers,
 * whose verdict stands; one it accepts is valid UTF-8 and one they would accept and build. */
#include "internal.h"

#include <string.h>

/* As json_fast.c. */
#define DEPTH_MAX  32
#define DIGITS_MAX 18
/* Keys an object may have here: more, and jansson's hash table checks the duplicates. */
#define KEYS_MAX 32

typedef struct {
    const char *p;
    const char *end;
    int depth;
    bool spaced; /* whitespace seen outside strings */
} scan_t;

typedef struct {
    const char *s;
    size_t n;
} span_t;

static bool scan_value(scan_t *c, const char *key, size_t klen, nb_proto__scan_top_t *top);

static inline void skip_ws(scan_t *c)
{
    const char *p = c->p;
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
    c->spaced |= c->p != p;
}

static bool at_delimiter(const scan_t *c)
{
    if (c->p == c->end) {
        return true;
    }
    char ch = *c->p;
    return ch == ',' || ch == '}' || ch == ']' || ch == ' ' || ch == '\t' || ch == '\n' ||
           ch == '\r';
}

/* After the opening quote. Strings are the only place a plain line has bytes above 0x7F,
 * so checking their UTF-8 here checks the line's. */
static bool scan_string(scan_t *c, span_t *ret)
{
    const char *s = c->p;
    bool ascii = true;

    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '\\' || ch < 0x20) {
            return false;
        }
        ascii = ascii && ch < 0x80;
        c->p++;
    }
    if (c->p == c->end ||
        (!ascii && nb_proto__utf8_prefix(s, (size_t)(c->p - s)) != (size_t)(c->p - s))) {
        return false;
    }
    ret->s = s;
    ret->n = (size_t)(c->p - s);
    c->p++;
    return true;
}

static bool scan_integer(scan_t *c, int64_t *ret)
{
    bool neg = *c->p == '-';
    int64_t v = 0;
    int digits = 0;

    c->p += neg ? 1 : 0;
    if (c->p < c->end && *c->p == '0') {
        c->p++;
        digits = 1;
    } else {
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && digits < DIGITS_MAX) {
            v = v * 10 + (*c->p - '0');
            c->p++;
            digits++;
        }
    }
    *ret = neg ? -v : v;
    return digits > 0 && at_delimiter(c);
}

static bool scan_literal(scan_t *c, const char *word, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) {
        return false;
    }
    c->p += n;
    return at_delimiter(c);
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

    skip_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return true;
    }
    for (;;) {
        span_t k;
        skip_ws(c);
        if (c->p == c->end || *c->p++ != '"' || !scan_string(c, &k) || nkeys == KEYS_MAX ||
            key_seen(keys, nkeys, k)) {
            return false;
        }
        keys[nkeys++] = k;
        skip_ws(c);
        if (c->p == c->end || *c->p++ != ':' ||
            !scan_value(c, k.s, k.n, c->depth == 1 ? top : NULL)) {
            return false;
        }
        skip_ws(c);
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
    skip_ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        return true;
    }
    for (;;) {
        if (!scan_value(c, NULL, 0, NULL)) {
            return false;
        }
        skip_ws(c);
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
    if (c->depth >= DEPTH_MAX) {
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

    skip_ws(c);
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
        if (!scan_literal(c, t ? "true" : "false", t ? 4 : 5)) {
            return false;
        }
        if (top != NULL && is_key(key, klen, "ok")) {
            top->head.ok = t ? 1 : 0;
        }
        return true;
    }
    case 'n':
        if (!scan_literal(c, "null", 4)) {
            return false;
        }
        if (top != NULL && is_key(key, klen, "id")) {
            top->head.id_null = true;
        }
        return true;
    default:
        if (!(*c->p == '-' || (*c->p >= '0' && *c->p <= '9')) || !scan_integer(c, &v)) {
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

    skip_ws(&c);
    if (c.p == c.end || *c.p != '{') {
        return false;
    }
    if (!scan_nested(&c, &top, true)) {
        return false;
    }
    skip_ws(&c);
    if (c.p != c.end) {
        return false;
    }
    top.compact = !c.spaced;
    *ret = top;
    return true;
}
