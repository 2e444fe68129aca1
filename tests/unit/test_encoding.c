/* test_encoding.c: encoding names, nc_encoding_encode (Buffer.from) and nc_string_decoder_*
 * (StringDecoder), against Node 20's answers in tests/data/encoding-cases.json, which
 * tests/data/encoding-oracle.js makes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "netcore.h"
#include "test_hex_util.h"

static const char *const encoding_names[] = { "utf8", "utf16le", "latin1",   "ascii",
                                              "hex",  "base64",  "base64url" };

/* The oracle data lives in the source tree. CMake compiles this file by its absolute
 * path, so __FILE__ finds the tree from any build directory. */
static int group_setup(void **state)
{
    const char *file = __FILE__;
    const char *slash = strrchr(file, '/');
    int dir = slash == NULL ? 1 : (int)(slash - file);
    char path[4096];
    snprintf(path, sizeof(path), "%.*s/../data/encoding-cases.json", dir,
             slash == NULL ? "." : file);
    json_error_t err;
    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &err);
    if (root == NULL) {
        print_error("%s:%d: %s\n", path, err.line, err.text);
        return -1;
    }
    *state = root;
    return 0;
}

static int group_teardown(void **state)
{
    json_decref(*state);
    return 0;
}

static nc_encoding_t encoding_of(const char *name)
{
    int r = nc_encoding_parse(name, strlen(name), NULL);
    assert_true(r >= 0);
    return (nc_encoding_t)r;
}

/* Appends n bytes as hex to a growing string. */
static void append_hex(char **s, size_t *len, const void *data, size_t n)
{
    const uint8_t *b = data;
    *s = realloc(*s, *len + 2 * n + 1);
    assert_non_null(*s);
    for (size_t i = 0; i < n; i++) {
        snprintf(*s + *len + 2 * i, 3, "%02x", b[i]);
    }
    *len += 2 * n;
    (*s)[*len] = '\0';
}

/* One write (or end, when data is NULL) into a buffer of exactly max_size bytes, so that
 * ASan sees any overrun; the text is appended as hex. */
static void decode_step(nc_string_decoder_t *dec,
                        const uint8_t *data,
                        size_t len,
                        char **hex,
                        size_t *hex_len)
{
    size_t size = nc_string_decoder_max_size(dec, len);
    char *buf = malloc(size);
    assert_non_null(buf);
    size_t n = SIZE_MAX;
    int r = data == NULL ? nc_string_decoder_end(dec, buf, size, &n)
                         : nc_string_decoder_write(dec, data, len, buf, size, &n);
    assert_int_equal(r, 0);
    assert_true(n < size);
    assert_int_equal(buf[n], '\0');
    append_hex(hex, hex_len, buf, n);
    free(buf);
}

/* The joined text of data written in pieces cut at cuts[0..ncuts) (ascending), then end. */
static char *decode_cut(nc_string_decoder_t *dec,
                        const uint8_t *data,
                        size_t len,
                        const size_t *cuts,
                        size_t ncuts)
{
    char *hex = NULL;
    size_t hex_len = 0;
    size_t from = 0;
    append_hex(&hex, &hex_len, "", 0);
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        decode_step(dec, data + from, to - from, &hex, &hex_len);
        from = to;
    }
    decode_step(dec, NULL, 0, &hex, &hex_len);
    return hex;
}

static void test_encoding_names_node(void **state)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(*state, "names"), i, c)
    {
        json_t *name = json_object_get(c, "name");
        const char *expected = json_string_value(json_object_get(c, "encoding"));
        nc_error_t err = { .port = -1 };
        int r = nc_encoding_parse(json_string_value(name), json_string_length(name), &err);
        if (expected != NULL) {
            assert_true(r >= 0);
            assert_string_equal(nc_encoding_name((nc_encoding_t)r), expected);
            continue;
        }
        assert_int_equal(r, NC_ERR_UNKNOWN_ENCODING);
        assert_int_equal(err.code, NC_ERR_UNKNOWN_ENCODING);
        assert_string_equal(nc_err_name(r), json_string_value(json_object_get(c, "code")));
        /* A C message ends at a NUL that Node's message carries on past. */
        assert_string_equal(err.message, json_string_value(json_object_get(c, "message")));
    }
}

static void test_encoding_names_defaults(void **state)
{
    (void)state;
    assert_int_equal(nc_encoding_parse(NULL, 0, NULL), NC_ENCODING_UTF8);
    assert_int_equal(nc_encoding_parse("", 0, NULL), NC_ENCODING_UTF8);
    assert_int_equal(nc_encoding_parse("hexx", 3, NULL), NC_ENCODING_HEX);
    assert_int_equal(nc_encoding_parse(NULL, 4, NULL), -EINVAL);
    assert_int_equal(nc_encoding_parse("utf32", 5, NULL), NC_ERR_UNKNOWN_ENCODING);
    for (int e = NC_ENCODING_UTF8; e <= NC_ENCODING_BASE64URL; e++) {
        const char *name = nc_encoding_name((nc_encoding_t)e);
        assert_string_equal(name, encoding_names[e]);
        assert_int_equal(nc_encoding_parse(name, strlen(name), NULL), e);
    }
    assert_null(nc_encoding_name((nc_encoding_t)7));
    assert_null(nc_encoding_name((nc_encoding_t)-1));
}

static void check_encode(nc_encoding_t enc, const uint8_t *in, size_t len, const char *expected)
{
    size_t n = SIZE_MAX;
    assert_int_equal(nc_encoding_encode(enc, (const char *)in, len, NULL, 0, &n), 0);
    assert_int_equal(n, strlen(expected) / 2);
    assert_true(n <= nc_encoding_encode_max(enc, len));
    /* Exactly n bytes, so that ASan sees a write past them. */
    uint8_t *buf = malloc(n + 1);
    assert_non_null(buf);
    size_t m = SIZE_MAX;
    assert_int_equal(nc_encoding_encode(enc, (const char *)in, len, buf, n, &m), 0);
    assert_int_equal(m, n);
    char *hex = NULL;
    size_t hex_len = 0;
    append_hex(&hex, &hex_len, buf, n);
    assert_string_equal(hex, expected);
    if (n > 0) {
        m = SIZE_MAX;
        assert_int_equal(nc_encoding_encode(enc, (const char *)in, len, buf, n - 1, &m), -ENOSPC);
        assert_int_equal(m, SIZE_MAX);
    }
    free(hex);
    free(buf);
}

static void test_encoding_encode_node(void **state)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(*state, "encode"), i, c)
    {
        size_t len;
        uint8_t *in = from_hex(json_string_value(json_object_get(c, "in")), &len);
        for (size_t e = 0; e < 7; e++) {
            json_t *out = json_object_get(json_object_get(c, "out"), encoding_names[e]);
            check_encode((nc_encoding_t)e, in, len, json_string_value(out));
        }
        free(in);
    }
}

static void test_encoding_encode_quirks(void **state)
{
    (void)state;
    /* The cases people trip on, spelled out; each expectation is what Node 20 gave for
     * Buffer.from(Buffer.from(bytes).toString(), enc). */
    check_encode(NC_ENCODING_HEX, (const uint8_t *)"4x41", 4, "");
    check_encode(NC_ENCODING_HEX, (const uint8_t *)"414", 3, "41");
    check_encode(NC_ENCODING_HEX, (const uint8_t *)"\xc5\x81\xc5\x82", 4, "ab");
    check_encode(NC_ENCODING_BASE64, (const uint8_t *)"QU JD\n", 6, "414243");
    check_encode(NC_ENCODING_BASE64, (const uint8_t *)"QU!JD", 5, "414243");
    check_encode(NC_ENCODING_BASE64, (const uint8_t *)"QQ==QUJD", 8, "41");
    check_encode(NC_ENCODING_BASE64, (const uint8_t *)"-_-_", 4, "fbffbf");
    check_encode(NC_ENCODING_BASE64URL, (const uint8_t *)"+/+/", 4, "fbffbf");
    check_encode(NC_ENCODING_BASE64, (const uint8_t *)"Q", 1, "");
    check_encode(NC_ENCODING_BASE64, (const uint8_t *)"QU\xc4\xbdJD", 6, "41");
    check_encode(NC_ENCODING_LATIN1, (const uint8_t *)"\xf0\x9f\x98\x80\xc3\xa9", 6, "3d00e9");
    check_encode(NC_ENCODING_ASCII, (const uint8_t *)"\xf0\x9f\x98\x80\xc3\xa9", 6, "3d00e9");
    check_encode(NC_ENCODING_UTF16LE, (const uint8_t *)"\xf0\x9f\x98\x80", 4, "3dd800de");
    check_encode(NC_ENCODING_UTF8, (const uint8_t *)"a\0\xe2\x82", 4, "6100efbfbd");
    check_encode(NC_ENCODING_UTF8, (const uint8_t *)"\xed\xa0\x80", 3, "efbfbdefbfbdefbfbd");
}

static void test_encoding_encode_args(void **state)
{
    (void)state;
    uint8_t buf[8];
    size_t n = 99;
    assert_int_equal(nc_encoding_encode((nc_encoding_t)7, "a", 1, buf, 8, &n), -EINVAL);
    assert_int_equal(nc_encoding_encode(NC_ENCODING_UTF8, NULL, 1, buf, 8, &n), -EINVAL);
    assert_int_equal(nc_encoding_encode(NC_ENCODING_UTF8, "a", 1, NULL, 8, &n), -EINVAL);
    assert_int_equal(nc_encoding_encode(NC_ENCODING_UTF8, "a", 1, buf, 8, NULL), -EINVAL);
    assert_int_equal(n, 99);
    assert_int_equal(nc_encoding_encode(NC_ENCODING_HEX, NULL, 0, NULL, 0, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(nc_encoding_encode(NC_ENCODING_UTF8, "ab", 2, buf, 0, &n), -ENOSPC);
    assert_int_equal(nc_encoding_encode_max((nc_encoding_t)7, 10), 0);
    assert_int_equal(nc_encoding_encode_max(NC_ENCODING_UTF8, 10), 30);
    assert_int_equal(nc_encoding_encode_max(NC_ENCODING_UTF16LE, 10), 20);
    assert_int_equal(nc_encoding_encode_max(NC_ENCODING_ASCII, 10), 10);
    assert_int_equal(nc_encoding_encode_max(NC_ENCODING_HEX, 11), 5);
    assert_int_equal(nc_encoding_encode_max(NC_ENCODING_BASE64, 11), 8);
    assert_int_equal(nc_encoding_encode_max(NC_ENCODING_UTF8, SIZE_MAX / 2), SIZE_MAX);
    assert_int_equal(nc_encoding_encode_max(NC_ENCODING_UTF16LE, SIZE_MAX), SIZE_MAX);
}

/* Each case as Node chunked it: every write's text and end()'s. */
static void test_encoding_decode_node(void **state)
{
    size_t i, j;
    json_t *c, *chunk;
    json_array_foreach(json_object_get(*state, "decode"), i, c)
    {
        nc_string_decoder_t dec;
        const char *enc = json_string_value(json_object_get(c, "encoding"));
        assert_int_equal(nc_string_decoder_init(&dec, encoding_of(enc)), 0);
        json_array_foreach(json_object_get(c, "chunks"), j, chunk)
        {
            size_t len, hex_len = 0;
            char *hex = NULL;
            uint8_t *data = from_hex(json_string_value(chunk), &len);
            append_hex(&hex, &hex_len, "", 0);
            decode_step(&dec, data, len, &hex, &hex_len);
            json_t *expected = json_array_get(json_object_get(c, "out"), j);
            assert_string_equal(hex, json_string_value(expected));
            free(hex);
            free(data);
        }
        char *hex = NULL;
        size_t hex_len = 0;
        append_hex(&hex, &hex_len, "", 0);
        decode_step(&dec, NULL, 0, &hex, &hex_len);
        assert_string_equal(hex, json_string_value(json_object_get(c, "end")));
        free(hex);
    }
}

/* Every way of cutting a stream in two, and in three when it is short, gives the text of
 * the uncut stream: nothing is lost, doubled or decoded differently at a cut. */
static void test_encoding_decode_every_split(void **state)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(*state, "decode"), i, c)
    {
        json_t *chunks = json_object_get(c, "chunks");
        if (json_array_size(chunks) != 1) {
            continue; /* the uncut cases only */
        }
        size_t len;
        uint8_t *data = from_hex(json_string_value(json_array_get(chunks, 0)), &len);
        char *whole = NULL;
        size_t whole_len = 0;
        append_hex(&whole, &whole_len, "", 0);
        const char *parts[2] = { json_string_value(json_array_get(json_object_get(c, "out"), 0)),
                                 json_string_value(json_object_get(c, "end")) };
        for (size_t k = 0; k < 2; k++) {
            whole = realloc(whole, whole_len + strlen(parts[k]) + 1);
            assert_non_null(whole);
            strcpy(whole + whole_len, parts[k]);
            whole_len += strlen(parts[k]);
        }
        nc_string_decoder_t dec;
        const char *enc = json_string_value(json_object_get(c, "encoding"));
        /* One decoder for all cuts: end() must leave it fresh, as Node's flush does. */
        assert_int_equal(nc_string_decoder_init(&dec, encoding_of(enc)), 0);
        for (size_t a = 0; a <= len; a++) {
            for (size_t b = a; b <= len; b++) {
                if (b != a && len > 16) {
                    continue;
                }
                size_t cuts[2] = { a, b };
                char *hex = decode_cut(&dec, data, len, cuts, b == a ? 1 : 2);
                assert_string_equal(hex, whole);
                free(hex);
            }
        }
        free(whole);
        free(data);
    }
}

static void test_encoding_decode_one_byte_writes(void **state)
{
    (void)state;
    /* "€😀" byte by byte in utf8: nothing until each character is complete. */
    const uint8_t text[] = "\xe2\x82\xac\xf0\x9f\x98\x80";
    const char *expected[] = { "", "", "e282ac", "", "", "", "f09f9880" };
    nc_string_decoder_t dec;
    assert_int_equal(nc_string_decoder_init(&dec, NC_ENCODING_UTF8), 0);
    for (size_t i = 0; i < 7; i++) {
        char *hex = NULL;
        size_t hex_len = 0;
        append_hex(&hex, &hex_len, "", 0);
        decode_step(&dec, text + i, 1, &hex, &hex_len);
        assert_string_equal(hex, expected[i]);
        free(hex);
    }
}

static void test_encoding_decode_nul_and_flush(void **state)
{
    (void)state;
    nc_string_decoder_t dec;
    char buf[64];
    size_t n;
    /* U+0000 decodes to a NUL byte inside the text; the length tells. */
    assert_int_equal(nc_string_decoder_init(&dec, NC_ENCODING_UTF8), 0);
    assert_int_equal(nc_string_decoder_write(&dec, "a\0b", 3, buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "a\0b", 4);
    /* An incomplete sequence at end(): one U+FFFD, as Node's flush gives. */
    assert_int_equal(nc_string_decoder_write(&dec, "\xf0\x9f\x98", 3, buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(nc_string_decoder_end(&dec, buf, sizeof(buf), &n), 0);
    assert_string_equal(buf, "\xef\xbf\xbd");
    assert_int_equal(nc_string_decoder_end(&dec, buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 0);
    /* base64's last group is padded at end(); base64url's is not. */
    assert_int_equal(nc_string_decoder_init(&dec, NC_ENCODING_BASE64), 0);
    assert_int_equal(nc_string_decoder_write(&dec, "abcd", 4, buf, sizeof(buf), &n), 0);
    assert_string_equal(buf, "YWJj");
    assert_int_equal(nc_string_decoder_end(&dec, buf, sizeof(buf), &n), 0);
    assert_string_equal(buf, "ZA==");
    assert_int_equal(nc_string_decoder_init(&dec, NC_ENCODING_BASE64URL), 0);
    assert_int_equal(nc_string_decoder_write(&dec, "\xfb\xff", 2, buf, sizeof(buf), &n), 0);
    assert_int_equal(nc_string_decoder_end(&dec, buf, sizeof(buf), &n), 0);
    assert_string_equal(buf, "-_8");
}

static void test_encoding_decode_surrogate_carry(void **state)
{
    (void)state;
    nc_string_decoder_t dec;
    char buf[64];
    size_t n;
    /* Node's string for "3d d8 00" is "\ud83d" (the odd byte held); the low half comes
     * with "dc". libnetcore keeps the high half back and gives the pair whole. */
    assert_int_equal(nc_string_decoder_init(&dec, NC_ENCODING_UTF16LE), 0);
    assert_int_equal(nc_string_decoder_write(&dec, "\x3d\xd8\x00", 3, buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(nc_string_decoder_write(&dec, "\xde", 1, buf, sizeof(buf), &n), 0);
    assert_string_equal(buf, "\xf0\x9f\x98\x80");
    /* Left unpaired at end(): U+FFFD; the odd byte is dropped. */
    assert_int_equal(nc_string_decoder_write(&dec, "\x3d\xd8\x41", 3, buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(nc_string_decoder_end(&dec, buf, sizeof(buf), &n), 0);
    assert_string_equal(buf, "\xef\xbf\xbd");
}

static void test_encoding_decode_enospc(void **state)
{
    (void)state;
    nc_string_decoder_t dec;
    char buf[64];
    size_t n = 99;
    assert_int_equal(nc_string_decoder_init(&dec, NC_ENCODING_UTF8), 0);
    assert_int_equal(nc_string_decoder_write(&dec, "\xe2\x82", 2, buf, sizeof(buf), &n), 0);
    size_t need = nc_string_decoder_max_size(&dec, 1);
    assert_int_equal(need, 13);
    n = 99;
    assert_int_equal(nc_string_decoder_write(&dec, "\xac", 1, buf, need - 1, &n), -ENOSPC);
    assert_int_equal(n, 99);
    /* Nothing was consumed: the held bytes still complete the character. */
    assert_int_equal(nc_string_decoder_write(&dec, "\xac", 1, buf, need, &n), 0);
    assert_string_equal(buf, "\xe2\x82\xac");
    assert_int_equal(nc_string_decoder_end(&dec, buf, 9, &n), -ENOSPC);
    assert_int_equal(nc_string_decoder_end(&dec, buf, 10, &n), 0);
}

static void test_encoding_decode_args(void **state)
{
    (void)state;
    nc_string_decoder_t dec;
    char buf[64];
    size_t n;
    assert_int_equal(nc_string_decoder_init(NULL, NC_ENCODING_UTF8), -EINVAL);
    assert_int_equal(nc_string_decoder_init(&dec, (nc_encoding_t)7), -EINVAL);
    assert_int_equal(nc_string_decoder_init(&dec, NC_ENCODING_HEX), 0);
    assert_int_equal(nc_string_decoder_write(NULL, "a", 1, buf, 64, &n), -EINVAL);
    assert_int_equal(nc_string_decoder_write(&dec, NULL, 1, buf, 64, &n), -EINVAL);
    assert_int_equal(nc_string_decoder_write(&dec, "a", 1, NULL, 64, &n), -EINVAL);
    assert_int_equal(nc_string_decoder_write(&dec, "a", 1, buf, 64, NULL), -EINVAL);
    assert_int_equal(nc_string_decoder_end(NULL, buf, 64, &n), -EINVAL);
    assert_int_equal(nc_string_decoder_end(&dec, NULL, 64, &n), -EINVAL);
    assert_int_equal(nc_string_decoder_write(&dec, NULL, 0, buf, 64, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(nc_string_decoder_max_size(NULL, 1), 0);
    dec.encoding = (nc_encoding_t)7;
    assert_int_equal(nc_string_decoder_max_size(&dec, 1), 0);
    assert_int_equal(nc_string_decoder_end(&dec, buf, 64, &n), -EINVAL);
}

static void test_encoding_decode_max_size(void **state)
{
    (void)state;
    static const size_t expected[7][3] = {
        /* len:   0   1   100 */
        { 10, 13, 310 }, /* utf8: 3*len + 10 */
        { 7, 10, 157 },  /* utf16le: 3*((len + 3) / 2) + 4 */
        { 1, 3, 201 },   /* latin1: 2*len + 1 */
        { 1, 2, 101 },   /* ascii: len + 1 */
        { 1, 3, 201 },   /* hex: 2*len + 1 */
        { 5, 5, 137 },   /* base64: 4*((len + 4) / 3) + 1 */
        { 5, 5, 137 },   /* base64url */
    };
    static const size_t lens[3] = { 0, 1, 100 };
    for (int e = 0; e < 7; e++) {
        nc_string_decoder_t dec;
        assert_int_equal(nc_string_decoder_init(&dec, (nc_encoding_t)e), 0);
        for (size_t k = 0; k < 3; k++) {
            assert_int_equal(nc_string_decoder_max_size(&dec, lens[k]), expected[e][k]);
        }
        assert_int_equal(nc_string_decoder_max_size(&dec, SIZE_MAX), SIZE_MAX);
        assert_int_equal(nc_string_decoder_max_size(&dec, SIZE_MAX - 1), SIZE_MAX);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoding_names_node),
        cmocka_unit_test(test_encoding_names_defaults),
        cmocka_unit_test(test_encoding_encode_node),
        cmocka_unit_test(test_encoding_encode_quirks),
        cmocka_unit_test(test_encoding_encode_args),
        cmocka_unit_test(test_encoding_decode_node),
        cmocka_unit_test(test_encoding_decode_every_split),
        cmocka_unit_test(test_encoding_decode_one_byte_writes),
        cmocka_unit_test(test_encoding_decode_nul_and_flush),
        cmocka_unit_test(test_encoding_decode_surrogate_carry),
        cmocka_unit_test(test_encoding_decode_enospc),
        cmocka_unit_test(test_encoding_decode_args),
        cmocka_unit_test(test_encoding_decode_max_size),
    };
    return cmocka_run_group_tests_name("encoding", tests, group_setup, group_teardown);
}
