/* encoding.c: Node's encoding names, UTF-8 as V8 reads it, and string -> bytes exactly as
 * Buffer.from(string, encoding) does it. The string comes from C as UTF-8; Node sees it
 * as the JS string that Buffer.toString('utf8') would make of those bytes. */
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* Where encoded bytes go. It counts every byte but stores only what fits, so that one
 * pass both measures (buf NULL) and writes. */
struct sink {
    uint8_t *buf;
    size_t size;
    size_t len;
};

/* The input as JS holds it: a sequence of UTF-16 code units. latin1, ascii, hex and
 * base64 are defined by Node on code units, not on characters. */
struct units {
    const uint8_t *s;
    size_t len;
    size_t pos;
    uint16_t low; /* second half of an astral character still to give; 0 when none */
};

static bool name_equal(const char *name, const char *s, size_t len);
static void sink_put(struct sink *k, uint8_t b);
static bool units_next(struct units *u, uint16_t *ret);
static void encode_utf8(const uint8_t *s, size_t len, struct sink *k);
static void encode_utf16le(const uint8_t *s, size_t len, struct sink *k);
static void encode_latin1(const uint8_t *s, size_t len, struct sink *k);
static void encode_hex(const uint8_t *s, size_t len, struct sink *k);
static void encode_base64(const uint8_t *s, size_t len, struct sink *k);
static int unbase64(uint8_t c);

/* Every spelling Node's normalizeEncoding() knows (lib/internal/util.js). It lowercases
 * with String.prototype.toLowerCase, but only after switching on the length, so no
 * non-ASCII character can ever match: ASCII case folding gives the same answers. */
static const struct {
    const char *name;
    nc_encoding_t enc;
} encoding_names[] = {
    { "utf8", NC_ENCODING_UTF8 },       { "utf-8", NC_ENCODING_UTF8 },
    { "ucs2", NC_ENCODING_UTF16LE },    { "ucs-2", NC_ENCODING_UTF16LE },
    { "utf16le", NC_ENCODING_UTF16LE }, { "utf-16le", NC_ENCODING_UTF16LE },
    { "latin1", NC_ENCODING_LATIN1 },   { "binary", NC_ENCODING_LATIN1 },
    { "ascii", NC_ENCODING_ASCII },     { "hex", NC_ENCODING_HEX },
    { "base64", NC_ENCODING_BASE64 },   { "base64url", NC_ENCODING_BASE64URL },
};

static const char *const canonical_names[] = {
    [NC_ENCODING_UTF8] = "utf8",
    [NC_ENCODING_UTF16LE] = "utf16le",
    [NC_ENCODING_LATIN1] = "latin1",
    [NC_ENCODING_ASCII] = "ascii",
    [NC_ENCODING_HEX] = "hex",
    [NC_ENCODING_BASE64] = "base64",
    [NC_ENCODING_BASE64URL] = "base64url",
};

int nc_encoding_parse(const char *name, size_t len, nc_error_t *ret_err)
{
    if (name == NULL && len > 0) {
        return nc__error(ret_err, -EINVAL, "%s", nc_strerror(-EINVAL));
    }
    /* Node: socket.setEncoding() and new StringDecoder() with no encoding, and
     * socket.write(data, '') (a falsy encoding is the default one), all mean utf8. */
    if (len == 0) {
        return NC_ENCODING_UTF8;
    }
    for (size_t i = 0; i < NC_ARRAY_SIZE(encoding_names); i++) {
        if (name_equal(encoding_names[i].name, name, len)) {
            return (int)encoding_names[i].enc;
        }
    }
    return nc__error(ret_err, NC_ERR_UNKNOWN_ENCODING, "Unknown encoding: %.*s",
                     len > INT32_MAX ? INT32_MAX : (int)len, name);
}

const char *nc_encoding_name(nc_encoding_t enc)
{
    if ((unsigned)enc >= NC_ARRAY_SIZE(canonical_names)) {
        return NULL;
    }
    return canonical_names[enc];
}

int nc_encoding_encode(nc_encoding_t enc,
                       const char *s,
                       size_t len,
                       void *buf,
                       size_t size,
                       size_t *ret_len)
{
    if ((unsigned)enc >= NC_ARRAY_SIZE(canonical_names) || (s == NULL && len > 0) ||
        (buf == NULL && size > 0) || ret_len == NULL) {
        return -EINVAL;
    }
    const uint8_t *in = (const uint8_t *)s;
    struct sink k = { .buf = buf, .size = size, .len = 0 };
    switch (enc) {
    case NC_ENCODING_UTF8:
        encode_utf8(in, len, &k);
        break;
    case NC_ENCODING_UTF16LE:
        encode_utf16le(in, len, &k);
        break;
    case NC_ENCODING_LATIN1:
    case NC_ENCODING_ASCII:
        /* Node's ascii write is its latin1 write (StringBytes::Write: WriteOneByte for
         * both): bytes >= 0x80 are kept, not masked. */
        encode_latin1(in, len, &k);
        break;
    case NC_ENCODING_HEX:
        encode_hex(in, len, &k);
        break;
    case NC_ENCODING_BASE64:
    case NC_ENCODING_BASE64URL:
        /* Node decodes both with one table that takes "+/" and "-_" alike. */
        encode_base64(in, len, &k);
        break;
    }
    if (buf != NULL && k.len > size) {
        return -ENOSPC;
    }
    *ret_len = k.len;
    return 0;
}

size_t nc_encoding_encode_max(nc_encoding_t enc, size_t len)
{
    switch (enc) {
    case NC_ENCODING_UTF8:
        /* A stray byte becomes U+FFFD, 3 bytes; every valid sequence keeps its length. */
        return len > SIZE_MAX / 3 ? SIZE_MAX : 3 * len;
    case NC_ENCODING_UTF16LE:
        /* One code unit (2 bytes) per input byte at most: ASCII and stray bytes. */
        return len > SIZE_MAX / 2 ? SIZE_MAX : 2 * len;
    case NC_ENCODING_LATIN1:
    case NC_ENCODING_ASCII:
        return len;
    case NC_ENCODING_HEX:
        return len / 2;
    case NC_ENCODING_BASE64:
    case NC_ENCODING_BASE64URL:
        return len / 4 * 3 + len % 4 * 3 / 4;
    }
    return 0;
}

size_t nc__utf8_decode(const uint8_t *s, size_t len, uint32_t *ret_cp)
{
    uint8_t c = s[0];
    if (c < 0x80) {
        *ret_cp = c;
        return 1;
    }
    /* The well-formed ranges of Unicode Table 3-7: the second byte's range depends on
     * the lead byte, which excludes overlongs, surrogates and values above U+10FFFF. */
    size_t need;
    uint32_t cp;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        cp = c & 0x0Fu;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        cp = c & 0x07u;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        *ret_cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= len || s[i] < lo || s[i] > hi) {
            /* One U+FFFD for the lead and the continuation bytes that fitted; the byte
             * that broke the sequence starts the next character. */
            *ret_cp = 0xFFFD;
            return i;
        }
        cp = cp << 6 | (s[i] & 0x3Fu);
        lo = 0x80;
        hi = 0xBF;
    }
    *ret_cp = cp;
    return need + 1;
}

size_t nc__utf8_encode(uint32_t cp, uint8_t out[4])
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

static bool name_equal(const char *name, const char *s, size_t len)
{
    if (strlen(name) != len) {
        return false;
    }
    /* Not strncasecmp: its folding follows the locale, Node's does not. */
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c != name[i]) {
            return false;
        }
    }
    return true;
}

static void sink_put(struct sink *k, uint8_t b)
{
    if (k->len < k->size) {
        k->buf[k->len] = b;
    }
    k->len++;
}

static bool units_next(struct units *u, uint16_t *ret)
{
    if (u->low != 0) {
        *ret = u->low;
        u->low = 0;
        return true;
    }
    if (u->pos >= u->len) {
        return false;
    }
    uint32_t cp;
    u->pos += nc__utf8_decode(u->s + u->pos, u->len - u->pos, &cp);
    if (cp < 0x10000) {
        *ret = (uint16_t)cp;
        return true;
    }
    cp -= 0x10000;
    *ret = (uint16_t)(0xD800 | cp >> 10);
    u->low = (uint16_t)(0xDC00 | (cp & 0x3FF));
    return true;
}

static void encode_utf8(const uint8_t *s, size_t len, struct sink *k)
{
    /* The JS string never holds a lone surrogate (V8's decoder makes U+FFFD of encoded
     * surrogates), so this is the input with each ill-formed subpart made U+FFFD. */
    for (size_t pos = 0; pos < len;) {
        uint32_t cp;
        uint8_t out[4];
        pos += nc__utf8_decode(s + pos, len - pos, &cp);
        size_t n = nc__utf8_encode(cp, out);
        for (size_t i = 0; i < n; i++) {
            sink_put(k, out[i]);
        }
    }
}

static void encode_utf16le(const uint8_t *s, size_t len, struct sink *k)
{
    struct units u = { .s = s, .len = len };
    uint16_t unit;
    while (units_next(&u, &unit)) {
        sink_put(k, (uint8_t)unit);
        sink_put(k, (uint8_t)(unit >> 8));
    }
}

static void encode_latin1(const uint8_t *s, size_t len, struct sink *k)
{
    /* Node: v8::String::WriteOneByte keeps the low byte of each code unit, so "é" is
     * 0xE9 and an astral character gives the low bytes of both its surrogates. */
    struct units u = { .s = s, .len = len };
    uint16_t unit;
    while (units_next(&u, &unit)) {
        sink_put(k, (uint8_t)unit);
    }
}

static void encode_hex(const uint8_t *s, size_t len, struct sink *k)
{
    /* Node's hex_decode (src/string_bytes.cc) casts each code unit to uint8_t, so
     * "\u0141\u0142" reads as "AB"; it stops at the first bad pair and ignores an odd
     * last unit. */
    struct units u = { .s = s, .len = len };
    uint16_t a, b;
    while (units_next(&u, &a) && units_next(&u, &b)) {
        int hi = nc__hex_value((uint8_t)a), lo = nc__hex_value((uint8_t)b);
        if (hi < 0 || lo < 0) {
            return;
        }
        sink_put(k, (uint8_t)(hi << 4 | lo));
    }
}

static void encode_base64(const uint8_t *s, size_t len, struct sink *k)
{
    /* Node's decoder (src/base64-inl.h) reads the low byte of each code unit, skips what
     * is not in the alphabet (whitespace and anything else) and stops at '='; 2, 3 or 4
     * sextets give 1, 2 or 3 bytes. Node also caps the output at base64ByteLength() (3/4
     * of the units less up to two trailing '='), but n sextets give at most 3n/4 bytes
     * and a trailing '=' is never a sextet, so the cap never cuts anything. */
    struct units u = { .s = s, .len = len };
    uint16_t unit;
    uint32_t acc = 0;
    unsigned nsextets = 0;
    while (units_next(&u, &unit)) {
        int v = unbase64((uint8_t)unit);
        if (v < 0) {
            if ((uint8_t)unit == '=') {
                return;
            }
            continue;
        }
        acc = acc << 6 | (uint32_t)v;
        nsextets++;
        if (nsextets == 2) {
            sink_put(k, (uint8_t)(acc >> 4));
        } else if (nsextets == 3) {
            sink_put(k, (uint8_t)(acc >> 2));
        } else if (nsextets == 4) {
            sink_put(k, (uint8_t)acc);
            acc = 0;
            nsextets = 0;
        }
    }
}

static int unbase64(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+' || c == '-') {
        return 62;
    }
    if (c == '/' || c == '_') {
        return 63;
    }
    return -1;
}
