/* test_socket.c: net.Socket's event orders and errors on real loopback and Unix sockets.
 * Orders are what Node 20 printed for the same scenario (the script's case name is given
 * per test); they are compared per socket, as only those orders are deterministic. */
#include "pair.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/un.h>

/* ---- orders ------------------------------------------------------------------------ */

static void test_socket_order_basic(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    p.on_connect = cli_end_hello;
    pair_run(&p, false);
    /* Node 20 (s1.js basic): cli connect ready finish end close(false);
     * srv data end finish close(false). */
    assert_string_equal(only(p.fx, "cli"), "connect ready finish end close(false)");
    assert_string_equal(only(p.fx, "srv"), "data end finish close(false)");
    assert_string_equal(p.srv_data, "hello");
}

static void srv_end_on_end(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    (void)d;
    nc_socket_end(s, "bye", 3);
}

static void srv_half_open(pair_t *p, nc_socket_t *s)
{
    (void)p;
    nc_socket_on(s, NC_SOCKET_END, srv_end_on_end, NULL);
}

static void test_socket_order_half_open(void **state)
{
    pair_t p;
    nc_server_options_t so = { .allow_half_open = true };
    pair_init(*state, &p, &so);
    p.on_connect = cli_end_hello;
    p.on_conn = srv_half_open;
    pair_run(&p, false);
    /* Node 20 (s1.js half): the server writes after the client's end. */
    assert_string_equal(only(p.fx, "cli"), "connect ready finish data:bye end close(false)");
    assert_string_equal(only(p.fx, "srv"), "data end finish close(false)");
}

static void srv_destroy(pair_t *p, nc_socket_t *s)
{
    (void)p;
    nc_socket_destroy(s, 0);
}

static void test_socket_order_server_destroys(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    p.on_conn = srv_destroy;
    pair_run(&p, false);
    /* Node 20 (s1.js srvdestroy): the client ends its side itself (allowHalfOpen false). */
    assert_string_equal(only(p.fx, "cli"), "connect ready end finish close(false)");
    assert_string_equal(only(p.fx, "srv"), "close(false)");
}

static void srv_end_bye(pair_t *p, nc_socket_t *s)
{
    (void)p;
    nc_socket_end(s, "bye", 3);
}

static void test_socket_order_server_ends(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    p.on_conn = srv_end_bye;
    pair_run(&p, false);
    /* Node 20 (s7.js srvend). */
    assert_string_equal(only(p.fx, "cli"), "connect ready data:bye end finish close(false)");
    assert_string_equal(only(p.fx, "srv"), "finish end close(false)");
    assert_true(p.same_base);
}

static void cli_late_reply(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    trk_t *t = d;
    /* allowHalfOpen: our side is still writable after the peer's end. */
    nh_log(t->p->fx, "cli:w%s", nc_socket_writable(s) ? "true" : "false");
    nc_socket_end(s, "late", 4);
}

static void test_socket_order_client_half_open(void **state)
{
    nh_fixture_t *fx = *state;
    pair_t p;
    pair_init(fx, &p, NULL);
    nc_socket_release(p.cli);
    nc_socket_options_t o = { .allow_half_open = true };
    assert_int_equal(nc_socket_new(&fx->loop, &o, &p.cli), 0);
    track(p.cli, &p.tc, true);
    nc_socket_on(p.cli, NC_SOCKET_END, cli_late_reply, &p.tc);
    p.on_conn = srv_end_bye;
    pair_run(&p, false);
    /* Node 20 (s8.js). */
    assert_string_equal(only(fx, "cli"), "connect ready data:bye end wtrue finish close(false)");
    assert_string_equal(only(fx, "srv"), "finish data end close(false)");
    assert_string_equal(p.srv_data, "late");
}

static void test_socket_order_unix_path(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    nh_path(p.fx, "s.sock", p.path, sizeof(p.path));
    p.path_len = strlen(p.path);
    p.on_connect = cli_end_hello;
    pair_run(&p, true);
    assert_string_equal(only(p.fx, "cli"), "connect ready finish end close(false)");
    assert_string_equal(only(p.fx, "srv"), "data end finish close(false)");
    assert_string_equal(p.srv_data, "hello");
}

static void test_socket_order_unix_abstract(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    int n = snprintf(p.path, sizeof(p.path), "%cnb-sock-%d", '\0', (int)getpid());
    p.path_len = (size_t)n;
    p.on_connect = cli_end_hello;
    pair_run(&p, true);
    assert_string_equal(only(p.fx, "cli"), "connect ready finish end close(false)");
    assert_string_equal(only(p.fx, "srv"), "data end finish close(false)");
}

static void ev_lookup(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    const nc_socket_lookup_t *ev = a;
    trk_t *t = d;
    nh_log(t->p->fx, "%s:lookup:%s:%s:%d:%s", t->name,
           ev->error != NULL ? nc_err_name(ev->error->code) : "null",
           ev->address != NULL ? ev->address : "-", ev->family, ev->host);
}

static void test_socket_connect_host_name(void **state)
{
    nh_fixture_t *fx = *state;
    pair_t p;
    pair_init(fx, &p, NULL);
    p.on_connect = cli_end_hello;
    nc_socket_on(p.cli, NC_SOCKET_LOOKUP, ev_lookup, &p.tc);
    /* /etc/hosts names localhost; family 4 keeps the answer on 127.0.0.1. */
    nc_connect_options_t co = { .port = nh_listen_local(fx, p.srv),
                                .host = "localhost",
                                .family = 4 };
    assert_int_equal(nc_socket_connect(p.cli, &co, NULL), 0);
    nh_run(fx);
    /* Node 20: lookup [null, "127.0.0.1", 4, "localhost"] before connect. */
    assert_string_equal(only(fx, "cli"),
                        "lookup:null:127.0.0.1:4:localhost connect ready finish end close(false)");
    nc_server_release(p.srv);
    nc_socket_release(p.cli);
}

static void test_socket_destroy_during_lookup(void **state)
{
    nh_fixture_t *fx = *state;
    pair_t p;
    pair_init(fx, &p, NULL);
    nc_server_release(p.srv);
    p.srv = NULL;
    nc_socket_on(p.cli, NC_SOCKET_LOOKUP, ev_lookup, &p.tc);
    nc_connect_options_t co = { .port = 9, .host = "localhost", .family = 4 };
    assert_int_equal(nc_socket_connect(p.cli, &co, NULL), 0);
    nc_socket_destroy(p.cli, 0);
    nh_run(fx);
    /* Nothing after 'close': the late lookup answer is dropped. */
    assert_string_equal(only(fx, "cli"), "close(false)");
    nc_socket_release(p.cli);
}

/* ---- errors ------------------------------------------------------------------------ */

typedef struct {
    nh_fixture_t *fx;
    nc_error_t err;
    trk_t t;
    pair_t p;
} err_t;

static void keep_error(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    err_t *e = d;
    e->err = *(const nc_error_t *)a;
}

static void test_socket_connect_refused(void **state)
{
    nh_fixture_t *fx = *state;
    err_t e = { .fx = fx };
    nc_server_t *srv;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &srv), 0);
    int port = nh_listen_local(fx, srv);
    nc_server_close(srv, NULL, NULL);
    nh_run(fx);
    nc_server_release(srv);
    pair_init(fx, &e.p, NULL);
    nc_server_release(e.p.srv);
    e.p.srv = NULL;
    nc_socket_on(e.p.cli, NC_SOCKET_ERROR, keep_error, &e);
    nc_connect_options_t co = { .port = port, .host = "127.0.0.1" };
    assert_int_equal(nc_socket_connect(e.p.cli, &co, NULL), 0);
    nh_run(fx);
    /* Node 20 (s7.js refused): error then close(true), message with address:port. */
    assert_string_equal(only(fx, "cli"), "error(ECONNREFUSED) close(true)");
    char want[96];
    snprintf(want, sizeof(want), "connect ECONNREFUSED 127.0.0.1:%d", port);
    assert_string_equal(e.err.message, want);
    assert_string_equal(e.err.syscall, "connect");
    assert_string_equal(e.err.address, "127.0.0.1");
    assert_int_equal(e.err.port, port);
    nc_socket_release(e.p.cli);
}

static void test_socket_connect_enoent(void **state)
{
    nh_fixture_t *fx = *state;
    err_t e = { .fx = fx };
    pair_init(fx, &e.p, NULL);
    nc_server_release(e.p.srv);
    e.p.srv = NULL;
    nc_socket_on(e.p.cli, NC_SOCKET_ERROR, keep_error, &e);
    char path[128], want[200];
    nh_path(fx, "missing.sock", path, sizeof(path));
    nc_connect_options_t co = { .path = path, .path_len = strlen(path) };
    assert_int_equal(nc_socket_connect(e.p.cli, &co, NULL), 0);
    nh_run(fx);
    assert_string_equal(only(fx, "cli"), "error(ENOENT) close(true)");
    snprintf(want, sizeof(want), "connect ENOENT %s", path);
    assert_string_equal(e.err.message, want);
    nc_socket_release(e.p.cli);
}

static void test_socket_connect_arguments(void **state)
{
    nh_fixture_t *fx = *state;
    nc_socket_t *s;
    nc_error_t err = { .port = -1 };
    assert_int_equal(nc_socket_new(&fx->loop, NULL, &s), 0);
    nc_connect_options_t co = { .port = -1, .host = "127.0.0.1" };
    assert_int_equal(nc_socket_connect(s, &co, &err), NC_ERR_SOCKET_BAD_PORT);
    /* Node 20 (validatePort in lookupAndConnect): 0 is allowed, the kernel refuses it. */
    assert_string_equal(err.message, "Port should be >= 0 and < 65536. Received type number (-1).");
    co.port = 70000;
    assert_int_equal(nc_socket_connect(s, &co, &err), NC_ERR_SOCKET_BAD_PORT);
    co.port = 9;
    assert_int_equal(nc_socket_connect(s, &co, &err), 0);
    assert_int_equal(nc_socket_connect(s, &co, &err), -EALREADY);
    nc_socket_destroy(s, 0);
    assert_int_equal(nc_socket_connect(s, &co, &err), NC_ERR_SOCKET_CLOSED);
    nh_run(fx);
    nc_socket_release(s);
}

static void cli_write_after_end(pair_t *p, nc_socket_t *s)
{
    nc_socket_end(s, NULL, 0);
    int r = nc_socket_write(s, "x", 1, log_wcb, &p->tc);
    nh_log(p->fx, "cli:ret:%s", nc_err_name(r));
}

static void test_socket_write_after_end(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    p.on_connect = cli_write_after_end;
    pair_run(&p, false);
    /* Node 20 (s7.js wae): write returns false; the callback, 'error', close(true). */
    assert_string_equal(only(p.fx, "cli"), "connect ret:ERR_STREAM_WRITE_AFTER_END ready "
                                           "wcb:ERR_STREAM_WRITE_AFTER_END "
                                           "error(ERR_STREAM_WRITE_AFTER_END) close(true)");
    assert_string_equal(only(p.fx, "srv"), "end finish close(false)");
}

static void test_socket_write_unconnected(void **state)
{
    nh_fixture_t *fx = *state;
    pair_t p;
    pair_init(fx, &p, NULL);
    nc_server_release(p.srv);
    p.srv = NULL;
    assert_int_equal(nc_socket_write(p.cli, "x", 1, log_wcb, &p.tc), NC_ERR_SOCKET_CLOSED);
    nh_log(fx, "cli:sync");
    nh_run(fx);
    /* Node 20 (s5.js): "wcb ERR_SOCKET_CLOSED, err ERR_SOCKET_CLOSED, close undefined". */
    assert_string_equal(only(fx, "cli"),
                        "sync wcb:ERR_SOCKET_CLOSED error(ERR_SOCKET_CLOSED) close(false)");
    nc_socket_release(p.cli);
}

static void cli_destroy_error(pair_t *p, nc_socket_t *s)
{
    nc_socket_destroy(s, -EPIPE);
    nh_log(p->fx, "cli:sync");
    assert_true(nc_socket_destroyed(s));
    assert_string_equal(nc_socket_ready_state(s), "closed");
}

static void test_socket_destroy_with_error(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    p.on_connect = cli_destroy_error;
    pair_run(&p, false);
    /* Node 20 (s7.js destroyerr): 'ready' still follows 'connect'. */
    assert_string_equal(only(p.fx, "cli"), "connect sync ready error(EPIPE) close(true)");
    assert_string_equal(only(p.fx, "srv"), "end finish close(false)");
}

static void cli_destroy_soon(pair_t *p, nc_socket_t *s)
{
    nc_socket_write(s, "abc", 3, NULL, NULL);
    nc_socket_destroy_soon(s);
    nh_log(p->fx, "cli:sync");
}

static void test_socket_destroy_soon(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    p.on_connect = cli_destroy_soon;
    pair_run(&p, false);
    /* Node 20 (s7.js soon). */
    assert_string_equal(only(p.fx, "cli"), "connect sync ready finish close(false)");
    assert_string_equal(only(p.fx, "srv"), "data end finish close(false)");
    assert_string_equal(p.srv_data, "abc");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, nh_setup, nh_teardown)
    const struct CMUnitTest tests[] = {
        T(test_socket_order_basic),
        T(test_socket_order_half_open),
        T(test_socket_order_server_destroys),
        T(test_socket_order_server_ends),
        T(test_socket_order_client_half_open),
        T(test_socket_order_unix_path),
        T(test_socket_order_unix_abstract),
        T(test_socket_connect_host_name),
        T(test_socket_destroy_during_lookup),
        T(test_socket_connect_refused),
        T(test_socket_connect_enoent),
        T(test_socket_connect_arguments),
        T(test_socket_write_after_end),
        T(test_socket_write_unconnected),
        T(test_socket_destroy_with_error),
        T(test_socket_destroy_soon),
    };
    return cmocka_run_group_tests_name("socket", tests, NULL, NULL);
}
