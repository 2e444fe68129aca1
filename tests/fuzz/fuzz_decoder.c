/* fuzz_decoder.c: libnetcore's StringDecoder (nc_string_decoder_*) and encoder
 * (nc_encoding_encode) on arbitrary bytes, in every encoding. The decoder's promise is
 * checked directly: the texts of any split of the input, joined, equal the text of the
 * whole input in one write; each text is UTF-8 and fits max_size; and the encoder's size
 * query gives exactly the bytes it then writes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "netcore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NENC (NC_ENCODING_BASE64URL + 1)

/* A growing text: the joined outputs of one decoder. */
typedef struct {
    char *p;
    size_t len;
} text_t;

static bool utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned c = s[i];
        size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : 3;
        uint32_t cp = n == 0 ? c : n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07;

        if ((c >= 0x80 && c < 0xC2) || c > 0xF4 || len - i <= n) {
            return false;
        }
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            return false;
        }
        i += n + 1;
    }
    return true;
}

/* One write (end when end is true) appended to t. */
static void step(nc_string_decoder_t *dec, const uint8_t *p, size_t len, bool end, text_t *t)
{
    size_t need = nc_string_decoder_max_size(dec, end ? 0 : len);
    char *buf = malloc(need);
    size_t n = SIZE_MAX;
    int rc;

    CHECK(need > 0 && buf != NULL);
    rc = end ? nc_string_decoder_end(dec, buf, need, &n)
             : nc_string_decoder_write(dec, p, len, buf, need, &n);
    CHECK(rc == 0 && n < need && buf[n] == '\0');
    CHECK(utf8_valid((const unsigned char *)buf, n));
    t->p = realloc(t->p, t->len + n + 1);
    CHECK(t->p != NULL);
    memcpy(t->p + t->len, buf, n);
    t->len += n;
    free(buf);
}

/* The input's text decoded in the chunks cuts[] says (cycled), then ended. */
static text_t decode(nc_encoding_t enc,
                     const uint8_t *p,
                     size_t len,
                     const uint8_t *cuts,
                     size_t ncuts)
{
    nc_string_decoder_t dec;
    text_t t = { NULL, 0 };
    size_t pos = 0;

    CHECK(nc_string_decoder_init(&dec, enc) == 0);
    for (size_t i = 0; pos < len || i == 0; i++) {
        size_t n = ncuts > 0 ? cuts[i % ncuts] : len;
        /* Empty writes in the first round only, so that the loop ends. */
        if (n == 0 && i >= ncuts) {
            n = 1;
        }
        if (n > len - pos) {
            n = len - pos;
        }
        step(&dec, p + pos, n, false, &t);
        pos += n;
    }
    step(&dec, NULL, 0, true, &t);
    return t;
}

static void check_encode(nc_encoding_t enc, const char *s, size_t len)
{
    size_t want = SIZE_MAX;
    size_t got = SIZE_MAX;
    char *buf;

    CHECK(nc_encoding_encode(enc, s, len, NULL, 0, &want) == 0);
    CHECK(want <= nc_encoding_encode_max(enc, len));
    buf = malloc(want + 1);
    CHECK(buf != NULL);
    CHECK(nc_encoding_encode(enc, s, len, buf, want, &got) == 0 && got == want);
    if (want > 0) {
        CHECK(nc_encoding_encode(enc, s, len, buf, want - 1, &got) == -ENOSPC);
    }
    free(buf);
}

/* Bytes that each decode to text, re-encoded in the same encoding, are those bytes: true
 * of latin1 (every byte a character), hex and base64 (every byte representable). */
static void check_inverse(nc_encoding_t enc, const uint8_t *p, size_t len, const text_t *t)
{
    size_t n = SIZE_MAX;
    uint8_t *back;

    if (enc != NC_ENCODING_LATIN1 && enc != NC_ENCODING_HEX && enc != NC_ENCODING_BASE64 &&
        enc != NC_ENCODING_BASE64URL) {
        return;
    }
    back = malloc(len + 1);
    CHECK(back != NULL);
    CHECK(nc_encoding_encode(enc, t->p, t->len, back, len, &n) == 0);
    CHECK(n == len && memcmp(back, p, len) == 0);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first byte says how many bytes after it are chunk lengths (0..7); the rest is
     * the payload. */
    size_t ncuts = size > 0 ? data[0] & 7 : 0;
    const uint8_t *cuts = data + (size > 0 ? 1 : 0);
    const uint8_t *p;
    size_t len;

    if (size < 1 + ncuts) {
        return 0;
    }
    p = cuts + ncuts;
    len = size - 1 - ncuts;
    for (int e = 0; e < NENC; e++) {
        text_t whole = decode((nc_encoding_t)e, p, len, NULL, 0);
        text_t split = decode((nc_encoding_t)e, p, len, cuts, ncuts);

        CHECK(whole.len == split.len && memcmp(whole.p, split.p, whole.len) == 0);
        check_inverse((nc_encoding_t)e, p, len, &whole);
        check_encode((nc_encoding_t)e, (const char *)p, len);
        free(whole.p);
        free(split.p);
    }
    return 0;
}
