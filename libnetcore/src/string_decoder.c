/* string_decoder.c: Node's StringDecoder (lib/string_decoder.js over
 * src/string_decoder.cc), the decoder behind socket.setEncoding(): bytes in, text out,
 * with a character split across writes held back. The text is UTF-8 for C callers. */
#include "internal.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

/* The text of one write or end, going into the caller's buffer. Node builds a UTF-16
 * string; this emits UTF-8 as it goes, pairing surrogates through dec->high_surrogate. */
struct text {
    nc_string_decoder_t *dec;
    char *buf;
    size_t size;
    size_t len;
};

static bool encoding_valid(const nc_string_decoder_t *dec);
static size_t mul_add(size_t a, size_t mul, size_t add);
static void text_bytes(struct text *t, const uint8_t *b, size_t n);
static void text_code_point(struct text *t, uint32_t cp);
static void text_unit(struct text *t, uint16_t unit);
static void make_string(struct text *t, const uint8_t *data, size_t n);
static void make_base64(struct text *t, const uint8_t *data, size_t n);
static void complete_held(struct text *t, const uint8_t **data, size_t *len);
static size_t hold_tail(nc_string_decoder_t *dec, const uint8_t *data, size_t len);
static size_t utf8_tail(nc_string_decoder_t *dec, const uint8_t *data, size_t len);

int nc_string_decoder_init(nc_string_decoder_t *dec, nc_encoding_t enc)
{
    if (dec == NULL || nc_encoding_name(enc) == NULL) {
        return -EINVAL;
    }
    memset(dec, 0, sizeof(*dec));
    dec->encoding = enc;
    return 0;
}

size_t nc_string_decoder_max_size(const nc_string_decoder_t *dec, size_t len)
{
    if (!encoding_valid(dec)) {
        return 0;
    }
    switch (dec->encoding) {
    case NC_ENCODING_UTF8:
        /* Up to 3 held bytes join the input; a stray byte becomes U+FFFD, 3 bytes. */
        return mul_add(len > SIZE_MAX - 3 ? SIZE_MAX : len + 3, 3, 1);
    case NC_ENCODING_UTF16LE:
        /* Up to 3 held bytes, plus a carried high surrogate: at most 3 bytes of UTF-8 per
         * code unit (a pair gives 4 for 2 units, a lone surrogate U+FFFD). */
        return mul_add((len > SIZE_MAX - 3 ? SIZE_MAX : len + 3) / 2 + 1, 3, 1);
    case NC_ENCODING_LATIN1:
    case NC_ENCODING_HEX:
        return mul_add(len, 2, 1);
    case NC_ENCODING_ASCII:
        return mul_add(len, 1, 1);
    case NC_ENCODING_BASE64:
    case NC_ENCODING_BASE64URL:
        /* Up to 2 held bytes: every started 3-byte group gives 4 characters. */
        return mul_add((len > SIZE_MAX - 4 ? SIZE_MAX : len + 4) / 3, 4, 1);
    }
    return 0;
}

int nc_string_decoder_write(nc_string_decoder_t *dec,
                            const void *data,
                            size_t len,
                            char *buf,
                            size_t size,
                            size_t *ret_len)
{
    if (!encoding_valid(dec) || (data == NULL && len > 0) || buf == NULL || ret_len == NULL) {
        return -EINVAL;
    }
    /* Checked against the bound first, so that a short buffer changes no state. */
    if (size < nc_string_decoder_max_size(dec, len)) {
        return -ENOSPC;
    }
    struct text t = { .dec = dec, .buf = buf, .size = size, .len = 0 };
    const uint8_t *p = data;
    nc_encoding_t enc = dec->encoding;
    if (enc == NC_ENCODING_LATIN1 || enc == NC_ENCODING_ASCII || enc == NC_ENCODING_HEX) {
        /* One byte is one whole character: nothing is ever held. */
        make_string(&t, p, len);
    } else {
        if (dec->nmissing > 0) {
            complete_held(&t, &p, &len);
        }
        if (len > 0) {
            size_t body = len - hold_tail(dec, p, len);
            make_string(&t, p, body);
        }
    }
    t.buf[t.len] = '\0';
    *ret_len = t.len;
    return 0;
}

int nc_string_decoder_end(nc_string_decoder_t *dec, char *buf, size_t size, size_t *ret_len)
{
    if (!encoding_valid(dec) || buf == NULL || ret_len == NULL) {
        return -EINVAL;
    }
    if (size < nc_string_decoder_max_size(dec, 0)) {
        return -ENOSPC;
    }
    struct text t = { .dec = dec, .buf = buf, .size = size, .len = 0 };
    size_t n = dec->nbuffered;
    if (dec->encoding == NC_ENCODING_UTF16LE && n % 2 == 1) {
        /* Node: FlushData "Ignore a single trailing byte, like the JS decoder does." */
        n--;
    }
    make_string(&t, dec->buffered, n);
    if (dec->high_surrogate != 0) {
        /* Nothing more can pair it: Buffer.from(string, 'utf8') makes it U+FFFD. */
        dec->high_surrogate = 0;
        text_code_point(&t, 0xFFFD);
    }
    dec->nbuffered = 0;
    dec->nmissing = 0;
    t.buf[t.len] = '\0';
    *ret_len = t.len;
    return 0;
}

static bool encoding_valid(const nc_string_decoder_t *dec)
{
    return dec != NULL && nc_encoding_name(dec->encoding) != NULL && dec->nbuffered <= 4 &&
           dec->nmissing <= 4 - dec->nbuffered;
}

/* a * mul + add, or SIZE_MAX when that does not fit. */
static size_t mul_add(size_t a, size_t mul, size_t add)
{
    if (a > (SIZE_MAX - add) / mul) {
        return SIZE_MAX;
    }
    return a * mul + add;
}

static void text_bytes(struct text *t, const uint8_t *b, size_t n)
{
    /* nc_string_decoder_max_size() was checked on entry, NUL included. */
    assert(t->len + n < t->size);
    memcpy(t->buf + t->len, b, n);
    t->len += n;
}

static void text_code_point(struct text *t, uint32_t cp)
{
    uint8_t out[4];
    if (t->dec->high_surrogate != 0) {
        t->dec->high_surrogate = 0;
        text_code_point(t, 0xFFFD);
    }
    text_bytes(t, out, nc__utf8_encode(cp, out));
}

static void text_unit(struct text *t, uint16_t unit)
{
    uint16_t high = t->dec->high_surrogate;
    if (unit >= 0xD800 && unit <= 0xDBFF) {
        if (high != 0) {
            t->dec->high_surrogate = 0;
            text_code_point(t, 0xFFFD);
        }
        t->dec->high_surrogate = unit;
    } else if (unit >= 0xDC00 && unit <= 0xDFFF && high != 0) {
        t->dec->high_surrogate = 0;
        text_code_point(t, 0x10000 + ((uint32_t)(high - 0xD800) << 10) + (unit - 0xDC00u));
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
        text_code_point(t, 0xFFFD);
    } else {
        text_code_point(t, unit);
    }
}

/* Node's MakeString(): n bytes (never a partial character but at flush) as text. */
static void make_string(struct text *t, const uint8_t *data, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        switch (t->dec->encoding) {
        case NC_ENCODING_UTF8:
            i += nc__utf8_decode(data + i, n - i, &cp);
            text_code_point(t, cp);
            break;
        case NC_ENCODING_UTF16LE:
            /* An odd last byte is dropped, as StringBytes::Encode does for UCS2. */
            if (i + 1 < n) {
                text_unit(t, (uint16_t)(data[i] | data[i + 1] << 8));
            }
            i += 2;
            break;
        case NC_ENCODING_LATIN1:
            text_code_point(t, data[i++]);
            break;
        case NC_ENCODING_ASCII:
            /* Node 20's ascii decoding clears the top bit (force_ascii in
             * src/string_bytes.cc): 0xE9 reads as 'i', not as U+FFFD or 'é'. */
            text_code_point(t, data[i++] & 0x7Fu);
            break;
        case NC_ENCODING_HEX:
            text_code_point(t, (uint8_t)hex[data[i] >> 4]);
            text_code_point(t, (uint8_t)hex[data[i++] & 0xF]);
            break;
        case NC_ENCODING_BASE64:
        case NC_ENCODING_BASE64URL:
            make_base64(t, data, n);
            return;
        }
    }
}

static void make_base64(struct text *t, const uint8_t *data, size_t n)
{
    static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    bool is_url = t->dec->encoding == NC_ENCODING_BASE64URL;
    const char *alphabet = is_url ? url : std;
    for (size_t i = 0; i < n; i += 3) {
        size_t m = n - i < 3 ? n - i : 3;
        uint32_t v = (uint32_t)data[i] << 16;
        v |= m > 1 ? (uint32_t)data[i + 1] << 8 : 0;
        v |= m > 2 ? data[i + 2] : 0;
        uint8_t out[4];
        size_t nout = m + 1;
        for (size_t j = 0; j < 4; j++) {
            out[j] = (uint8_t)alphabet[v >> (18 - 6 * j) & 0x3F];
        }
        /* Node pads base64 with '=' and leaves base64url unpadded. */
        for (; !is_url && nout < 4; nout++) {
            out[nout] = '=';
        }
        text_bytes(t, out, nout);
    }
}

/* The first half of Node's DecodeData(): bytes of this write complete the character held
 * from the last one (or prove it will never complete); its text comes out first. */
static void complete_held(struct text *t, const uint8_t **data, size_t *len)
{
    nc_string_decoder_t *dec = t->dec;
    if (dec->encoding == NC_ENCODING_UTF8) {
        /* Node: a byte that is not a continuation byte ends the held character early and
         * starts a new one; the held bytes alone then decode (to U+FFFD). */
        for (size_t i = 0; i < *len && i < dec->nmissing; i++) {
            if (((*data)[i] & 0xC0) != 0x80) {
                memcpy(dec->buffered + dec->nbuffered, *data, i);
                dec->nbuffered = (uint8_t)(dec->nbuffered + i);
                dec->nmissing = 0;
                *data += i;
                *len -= i;
                break;
            }
        }
    }
    size_t found = *len < dec->nmissing ? *len : dec->nmissing;
    memcpy(dec->buffered + dec->nbuffered, *data, found);
    dec->nbuffered = (uint8_t)(dec->nbuffered + found);
    dec->nmissing = (uint8_t)(dec->nmissing - found);
    *data += found;
    *len -= found;
    if (dec->nmissing == 0) {
        make_string(t, dec->buffered, dec->nbuffered);
        dec->nbuffered = 0;
    }
}

/* The second half of DecodeData(): how many bytes at the end of data start a character
 * that the next write must finish. They are copied into dec and left out of the text. */
static size_t hold_tail(nc_string_decoder_t *dec, const uint8_t *data, size_t len)
{
    size_t held = 0;
    switch (dec->encoding) {
    case NC_ENCODING_UTF8:
        held = utf8_tail(dec, data, len);
        break;
    case NC_ENCODING_UTF16LE:
        if (len % 2 == 1) {
            held = 1;
            dec->nmissing = 1;
        } else if ((data[len - 1] & 0xFC) == 0xD8) {
            /* A high surrogate: Node waits for the low half. */
            held = 2;
            dec->nmissing = 2;
        }
        break;
    case NC_ENCODING_BASE64:
    case NC_ENCODING_BASE64URL:
        /* Node encodes whole 3-byte groups only, so that no '=' lands mid-stream. */
        held = len % 3;
        dec->nmissing = (uint8_t)(held > 0 ? 3 - held : 0);
        break;
    default: /* latin1, ascii, hex: one byte is one character */
        break;
    }
    memcpy(dec->buffered, data + len - held, held);
    dec->nbuffered = (uint8_t)held;
    return held;
}

/* Node's backwards scan over the last bytes: it goes by the lead byte's bit pattern only
 * (so "\xF5" is held like a 4-byte lead and "\xE0\x80" like a valid prefix); what it does
 * not hold is left to the UTF-8 decoder, which makes U+FFFD of it. */
static size_t utf8_tail(nc_string_decoder_t *dec, const uint8_t *data, size_t len)
{
    if ((data[len - 1] & 0x80) == 0) {
        return 0;
    }
    size_t held = 0;
    for (size_t i = len; i-- > 0;) {
        held++;
        uint8_t c = data[i];
        if ((c & 0xC0) == 0x80) {
            /* 4 continuation bytes cannot be one character: nothing is held. */
            if (held >= 4) {
                return 0;
            }
            continue;
        }
        size_t want;
        if ((c & 0xE0) == 0xC0) {
            want = 2;
        } else if ((c & 0xF0) == 0xE0) {
            want = 3;
        } else if ((c & 0xF8) == 0xF0) {
            want = 4;
        } else {
            return 0;
        }
        if (held >= want) {
            return 0;
        }
        dec->nmissing = (uint8_t)(want - held);
        return held;
    }
    /* Continuation bytes only, and no lead byte before them. */
    return 0;
}
