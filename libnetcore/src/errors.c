/* errors.c: the error model. One table maps every status to Node's err.code and a
 * message; nc_error_t carries the rest of Node's Error fields. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
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
    /* Node's AggregateError (autoSelectFamily) takes its code from an attempt, no errno. */
    if (err == NULL || err->code >= 0 || node_error_index(err->code) >= 0 || err->nerrors > 0) {
        return 0;
    }
    return err->code;
}

void nc__error_free_nested(nc_error_t *err)
{
    for (size_t i = 0; i < err->nerrors; i++) {
        nc__error_free_nested(&err->errors[i]);
    }
    free(err->errors);
}

void nc_error_clear(nc_error_t *err)
{
    if (err == NULL) {
        return;
    }
    nc__error_free_nested(err);
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

/* ---- Node's util.inspect(string), as error messages embed it ------------------------ */

/* JS text being built: UTF-8 in buf, its length counted in UTF-16 units as JS counts it,
 * so that a message can be cut where Node cuts it ("inspected.slice(0, 128)"). */
struct js_text {
    char *buf;
    size_t size;
    size_t len;
    size_t units;
    size_t max_units;
    bool cut; /* something did not fit, in units or in bytes */
};

#define INSPECT_MAX_STRING 10000 /* util.inspect's default maxStringLength */
#define INSPECT_SPLIT_MIN  76    /* breakLength 80 - 4: longer strings split at newlines */
#define ARG_VALUE_MAX      128   /* ERR_INVALID_ARG_VALUE keeps this many units */

static void text_put(struct js_text *t, const char *s, size_t n);
static void text_put_cp(struct js_text *t, uint32_t cp);
static uint32_t next_cp(const char *s, size_t len, size_t *pos);
static char pick_quote(const char *s, size_t len);
static void put_escaped(struct js_text *t, const char *s, size_t len, char quote);
static size_t units_prefix(const char *s, size_t len, size_t max, size_t *ret_units);
static void js_inspect(struct js_text *t, const char *s, size_t len);

/* Appends ASCII text, one unit per byte; what passes the limit is cut off there, as
 * slice() would cut it, even inside an escape sequence. */
static void text_put(struct js_text *t, const char *s, size_t n)
{
    size_t room = t->max_units - t->units;
    if (t->size - t->len - 1 < room) {
        room = t->size - t->len - 1;
    }
    if (t->cut || n > room) {
        n = t->cut ? 0 : room;
        t->cut = true;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->units += n;
    t->buf[t->len] = '\0';
}

static void text_put_cp(struct js_text *t, uint32_t cp)
{
    uint8_t b[4];
    size_t units = cp >= 0x10000 ? 2 : 1;
    bool half = !t->cut && units == 2 && t->units + 1 == t->max_units;
    if (cp < 0x80) {
        char c = (char)cp;
        text_put(t, &c, 1);
        return;
    }
    if (half) {
        /* JS would keep the high surrogate alone; UTF-8 cannot hold half a character,
         * so U+FFFD takes its place, one unit as well, and the rest is cut. */
        cp = 0xFFFD;
        units = 1;
    }
    size_t n = nc__utf8_encode(cp, b);
    if (t->cut || t->units + units > t->max_units || t->len + n >= t->size) {
        t->cut = true;
        return;
    }
    memcpy(t->buf + t->len, b, n);
    t->len += n;
    t->units += units;
    t->buf[t->len] = '\0';
    t->cut = half;
}

static uint32_t next_cp(const char *s, size_t len, size_t *pos)
{
    uint32_t cp;
    *pos += nc__utf8_decode((const uint8_t *)s + *pos, len - *pos, &cp);
    return cp;
}

/* strEscape()'s quote: single, unless the text holds one; then double, unless it holds
 * one of those too; then a backtick, unless it holds one or "${"; else single again. */
static char pick_quote(const char *s, size_t len)
{
    if (memchr(s, '\'', len) == NULL) {
        return '\'';
    }
    if (memchr(s, '"', len) == NULL) {
        return '"';
    }
    if (memchr(s, '`', len) == NULL && memmem(s, len, "${", 2) == NULL) {
        return '`';
    }
    return '\'';
}

/* strEscape()'s meta table: C0 controls, DEL and C1 controls as \xHH (\b \t \n \f \r by
 * name), the backslash, and the quote when it is the single quote. */
static void put_escaped(struct js_text *t, const char *s, size_t len, char quote)
{
    static const char names[] = "btn\0fr";
    char esc[5];
    text_put(t, &quote, 1);
    for (size_t pos = 0; pos < len && !t->cut;) {
        uint32_t cp = next_cp(s, len, &pos);
        if ((cp == '\'' && quote == '\'') || cp == '\\') {
            esc[0] = '\\';
            esc[1] = (char)cp;
            text_put(t, esc, 2);
        } else if (cp >= 8 && cp <= 13 && names[cp - 8] != '\0') {
            esc[0] = '\\';
            esc[1] = names[cp - 8];
            text_put(t, esc, 2);
        } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            snprintf(esc, sizeof(esc), "\\x%02X", (unsigned)cp);
            text_put(t, esc, 4);
        } else {
            text_put_cp(t, cp);
        }
    }
    text_put(t, &quote, 1);
}

/* The byte length of the first `max` UTF-16 units of s (a character that would straddle
 * the limit is left out); *ret_units gets the units of the whole text. */
static size_t units_prefix(const char *s, size_t len, size_t max, size_t *ret_units)
{
    size_t units = 0, cut = len;
    for (size_t pos = 0; pos < len;) {
        size_t start = pos;
        units += next_cp(s, len, &pos) >= 0x10000 ? 2 : 1;
        if (units > max && cut == len) {
            cut = start;
        }
    }
    *ret_units = units;
    return cut;
}

/* formatPrimitive() for a string: a long text is quoted line by line (each line with its
 * own quote) and joined with " +\n  "; past maxStringLength it ends with a count. */
static void js_inspect(struct js_text *t, const char *s, size_t len)
{
    size_t total, shown_units;
    size_t shown = units_prefix(s, len, INSPECT_MAX_STRING, &total);
    units_prefix(s, shown, SIZE_MAX, &shown_units);
    if (shown_units <= INSPECT_SPLIT_MIN) {
        put_escaped(t, s, shown, pick_quote(s, shown));
    } else {
        for (size_t start = 0; start < shown && !t->cut;) {
            const char *nl = memchr(s + start, '\n', shown - start);
            size_t end = nl != NULL ? (size_t)(nl - s) + 1 : shown;
            if (start > 0) {
                text_put(t, " +\n  ", 5);
            }
            put_escaped(t, s + start, end - start, pick_quote(s + start, end - start));
            start = end;
        }
    }
    if (total > INSPECT_MAX_STRING) {
        char more[48];
        size_t rest = total - INSPECT_MAX_STRING;
        int n = snprintf(more, sizeof(more), "... %zu more character%s", rest, rest > 1 ? "s" : "");
        text_put(t, more, (size_t)n);
    }
}

void nc__inspect_string(char *buf, size_t size, const char *s, size_t len)
{
    struct js_text t = { .buf = buf, .size = size, .max_units = SIZE_MAX };
    if (size == 0) {
        return;
    }
    buf[0] = '\0';
    js_inspect(&t, s != NULL ? s : "", s != NULL ? len : 0);
}

int nc__error_arg_value(nc_error_t *err,
                        const char *name,
                        const char *reason,
                        const char *s,
                        size_t len)
{
    /* Node: `The ${type} '${name}' ${reason}. Received ${inspected}` where type is
     * "property" for a dotted name, and an inspection over 128 units is cut to 128 and
     * gets "...". 3 bytes per unit always suffice (an astral character is 2 units in 4). */
    char shown[3 * ARG_VALUE_MAX + 1];
    struct js_text t = { .buf = shown, .size = sizeof(shown), .max_units = ARG_VALUE_MAX };
    shown[0] = '\0';
    js_inspect(&t, s != NULL ? s : "", s != NULL ? len : 0);
    return nc__error(err, NC_ERR_INVALID_ARG_VALUE, "The %s '%s' %s. Received %s%s",
                     strchr(name, '.') != NULL ? "property" : "argument", name,
                     reason != NULL ? reason : "is invalid", shown, t.cut ? "..." : "");
}

int nc__error_out_of_range(nc_error_t *err, const char *name, const char *range, int64_t value)
{
    /* Node prints an integer above 2**32 in magnitude with '_' every three digits
     * (addNumericalSeparator), and any other one as inspect() does. */
    char digits[24], shown[32];
    uint64_t mag = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
    int n = snprintf(digits, sizeof(digits), "%" PRIu64, mag);
    size_t o = 0;
    if (value < 0) {
        shown[o++] = '-';
    }
    for (int i = 0; i < n; i++) {
        if (mag > (UINT64_C(1) << 32) && i > 0 && (n - i) % 3 == 0) {
            shown[o++] = '_';
        }
        shown[o++] = digits[i];
    }
    shown[o] = '\0';
    return nc__error(err, NC_ERR_OUT_OF_RANGE,
                     "The value of \"%s\" is out of range. It must be %s. Received %s", name, range,
                     shown);
}
