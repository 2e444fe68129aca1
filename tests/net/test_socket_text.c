/* test_socket_text.c: how read bytes reach the user: setEncoding's text 'data' (split
 * characters held back, flushed before 'end'), write/end with an encoding, and onread
 * with the caller's buffer. Orders are what Node 20 prints for the scripts in
 * tests/net/node/ named per test. */
#include "pair.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- setEncoding and write(data, encoding) ----------------------------------------- */

static void log_hex(nc_socket_t *s, const void *a, void *d)
{
    const nc_socket_data_t *ev = a;
    pair_t *p = d;
    char hex[64] = "";
    /* Text 'data' is NUL-terminated. */
    assert_int_equal(ev->base[ev->len], '\0');
    for (size_t i = 0; i < ev->len && 2 * i + 2 < sizeof(hex); i++) {
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)ev->base[i]);
    }
    nh_log(p->fx, "cli:hex:%s", hex);
    if (p->drains++ == 0) {
        assert_int_equal(nc_socket_write(s, "k", 1, NULL, NULL), 1);
    }
}

static void cli_text_end(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    (void)d;
    assert_int_equal(nc_socket_write_string(s, "68656c6c6f", 10, "hex", NULL, NULL, NULL), 1);
    assert_int_equal(nc_socket_write_string(s, "IQ==", 4, "base64", NULL, NULL, NULL), 1);
    assert_int_equal(nc_socket_end_string(s, "\xc3\xa9", 2, "latin1", NULL), 0);
}

static void srv_text_data(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    pair_t *p = d;
    if (p->srv_bytes == 1 && p->srv_data[0] == 'k') {
        nc_socket_end(s, "\xa9\xe2\x82", 3);
    }
}

static void srv_text_conn(pair_t *p, nc_socket_t *s)
{
    /* "é" split across two reads, then a "€" (E2 82 AC) left incomplete at the end. */
    nc_socket_write(s, "h\xc3", 2, NULL, NULL);
    nc_socket_on(s, NC_SOCKET_DATA, srv_text_data, p);
}

static void check_thrown(nc_socket_t *s)
{
    nc_error_t err = { .port = -1 };
    assert_null(nc_socket_readable_encoding(s));
    assert_int_equal(nc_socket_set_encoding(s, "bogus", &err), NC_ERR_UNKNOWN_ENCODING);
    assert_string_equal(err.message, "Unknown encoding: bogus");
    assert_null(nc_socket_readable_encoding(s));
    assert_int_equal(nc_socket_write_string(s, NULL, 1, NULL, NULL, NULL, &err),
                     NC_ERR_INVALID_ARG_TYPE);
    assert_string_equal(err.message, "The \"chunk\" argument must be of type string or an "
                                     "instance of Buffer, TypedArray, or DataView. Received "
                                     "undefined");
    assert_int_equal(nc_socket_write_string(s, "x", 1, "bogus", NULL, NULL, &err),
                     NC_ERR_UNKNOWN_ENCODING);
    assert_string_equal(err.message, "Unknown encoding: bogus");
    assert_int_equal(nc_socket_end_string(s, "x", 1, "nope", &err), NC_ERR_UNKNOWN_ENCODING);
    /* Thrown: nothing was written, the socket goes on. */
    assert_int_equal(nc_socket_bytes_written(s), 0);
    assert_false(nc_socket_destroyed(s));
    assert_int_equal(nc_socket_set_encoding(s, "UTF-8", &err), 0);
    assert_string_equal(nc_socket_readable_encoding(s), "utf8");
    nc_error_clear(&err);
}

static void test_socket_set_encoding(void **state)
{
    nh_fixture_t *fx = *state;
    pair_t p;
    nc_server_options_t so = { .allow_half_open = true };
    pair_init(fx, &p, &so);
    p.on_conn = srv_text_conn;
    check_thrown(p.cli);
    nc_socket_on(p.cli, NC_SOCKET_DATA, log_hex, &p);
    nc_socket_on(p.cli, NC_SOCKET_END, cli_text_end, &p);
    pair_run(&p, false);
    /* Node 20, tests/net/node/encoding.js: data 68, c3a9, efbfbd (decoder.end() before
     * 'end'), then end, close; the server got "k", "hello" (hex), "!" (base64), e9. */
    assert_string_equal(only(fx, "cli"), "connect ready data:h hex:68 data:\xc3\xa9 hex:c3a9 "
                                         "data:\xef\xbf\xbd hex:efbfbd end finish close(false)");
    assert_int_equal(p.srv_bytes, 8);
    assert_memory_equal(p.srv_data, "khello!\xe9", 8);
}

static void log_text(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    const nc_socket_data_t *ev = a;
    nh_log(d, "text:%s", ev->base);
}

static void srv_send_encoded(pair_t *p, nc_socket_t *s)
{
    (void)p;
    nc_socket_end(s, "\xff\x00\x41", 3);
}

static void test_socket_set_encoding_forms(void **state)
{
    nh_fixture_t *fx = *state;
    static const struct {
        const char *enc, *name, *text;
    } cases[] = {
        /* Node 20: Buffer.from([0xff, 0, 0x41]) read with each encoding. */
        { "hex", "hex", "ff0041" },
        { "base64", "base64", "/wBB" },
        { "latin1", "latin1", "\xc3\xbf" }, /* then U+0000, which ends the C string */
        { NULL, "utf8", "\xef\xbf\xbd" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pair_t p;
        fx->log[0] = '\0';
        pair_init(fx, &p, NULL);
        p.on_conn = srv_send_encoded;
        assert_int_equal(nc_socket_set_encoding(p.cli, cases[i].enc, NULL), 0);
        assert_string_equal(nc_socket_readable_encoding(p.cli), cases[i].name);
        nc_socket_on(p.cli, NC_SOCKET_DATA, log_text, fx);
        pair_run(&p, false);
        char want[64];
        snprintf(want, sizeof(want), "text:%s", cases[i].text);
        assert_non_null(strstr(fx->log, want));
    }
}

/* ---- onread ------------------------------------------------------------------------ */

typedef struct {
    nh_fixture_t *fx;
    char buf[4];
    int reads;
    uv_idle_t idle;
    nc_socket_t *s;
} onread_t;

static void resume_later(uv_idle_t *h)
{
    onread_t *o = h->data;
    /* Reading stopped: nothing more arrived although the rest waits in the kernel. */
    assert_int_equal(o->reads, 1);
    nh_log(o->fx, "cli:resume");
    uv_close((uv_handle_t *)h, NULL);
    nc_socket_resume(o->s);
}

static bool on_read_cb(nc_socket_t *s, size_t nread, void *buf, void *data)
{
    onread_t *o = data;
    nh_log(o->fx, "cli:read:%zu:%.*s:%d", nread, (int)nread, (char *)buf, buf == o->buf);
    if (++o->reads == 1) {
        o->s = s;
        uv_idle_init(&o->fx->loop, &o->idle);
        o->idle.data = o;
        uv_idle_start(&o->idle, resume_later);
        return false;
    }
    return true;
}

static void srv_send_ten(pair_t *p, nc_socket_t *s)
{
    (void)p;
    nc_socket_end(s, "abcdefghij", 10);
}

static void test_socket_onread(void **state)
{
    nh_fixture_t *fx = *state;
    pair_t p;
    onread_t o = { .fx = fx };
    pair_init(fx, &p, NULL);
    nc_socket_release(p.cli);
    nc_socket_options_t so = {
        .onread_buffer = o.buf, .onread_len = sizeof(o.buf), .onread = on_read_cb, .onread_data = &o
    };
    assert_int_equal(nc_socket_new(&fx->loop, &so, &p.cli), 0);
    /* A 'data' listener changes nothing: onread takes every read. */
    track(p.cli, &p.tc, true);
    p.on_conn = srv_send_ten;
    pair_run(&p, false);
    /* Node 20, tests/net/node/onread.js: "read:4:abcd:true resume read:4:efgh:true
     * read:2:ij:true end close" (no 'data'). */
    assert_string_equal(only(fx, "cli"), "connect ready read:4:abcd:1 resume read:4:efgh:1 "
                                         "read:2:ij:1 end finish close(false)");
}

static void test_socket_onread_invalid(void **state)
{
    nh_fixture_t *fx = *state;
    char buf[4];
    nc_socket_t *s = NULL;
    nc_socket_options_t so = { .onread = on_read_cb };
    assert_int_equal(nc_socket_new(&fx->loop, &so, &s), -EINVAL);
    so.onread_buffer = buf;
    assert_int_equal(nc_socket_new(&fx->loop, &so, &s), -EINVAL);
    assert_null(s);
}

#define T(name) cmocka_unit_test_setup_teardown(name, nh_setup, nh_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_socket_set_encoding),
        T(test_socket_set_encoding_forms),
        T(test_socket_onread),
        T(test_socket_onread_invalid),
    };
    return cmocka_run_group_tests_name("socket_text", tests, NULL, NULL);
}
