/* test_socket_more.c: net.Socket's unusual orders that a user can see: connect again
 * after 'close', writes after the peer's FIN, end() twice, destroy(err) inside 'data',
 * destroy with writes in flight, bytesWritten and readyState through the states, and
 * 'timeout' while paused. Expected orders: Node 20 running tests/net/node/orders.js,
 * reconnect.js and destroy_mid_write.js (named per test). */
#include "pair.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- connect again after 'close' ----------------------------------------------------- */

typedef struct {
    nh_fixture_t *fx;
    nc_server_t *srv;
    int port;
    int round;
} again_t;

static void again_conn(nc_server_t *srv, const void *a, void *d)
{
    (void)srv;
    (void)d;
    nc_socket_t *c = ((const nc_server_connection_t *)a)->socket;
    nc_socket_end(c, "x", 1);
    nc_socket_resume(c); /* reads the client's end */
}

static void again_connect(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    again_t *g = d;
    nh_log(g->fx, "connect:%d:%s:%llu:%llu", g->round, nc_socket_ready_state(s),
           (unsigned long long)nc_socket_bytes_read(s),
           (unsigned long long)nc_socket_bytes_written(s));
}

static void again_data(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    const nc_socket_data_t *ev = a;
    nh_log(((again_t *)d)->fx, "data:%.*s", (int)ev->len, ev->base);
}

static void again_end(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    (void)a;
    nh_log(((again_t *)d)->fx, "end");
}

static void again_close(nc_socket_t *s, const void *a, void *d)
{
    const nc_socket_close_t *c = a;
    again_t *g = d;
    nh_log(g->fx, "close:%d:%s:%d:%d:%llu", c->had_error, nc_socket_ready_state(s),
           nc_socket_destroyed(s), nc_socket_pending(s),
           (unsigned long long)nc_socket_bytes_read(s));
    if (++g->round == 1) {
        nc_connect_options_t co = { .port = g->port, .host = "127.0.0.1" };
        assert_int_equal(nc_socket_connect(s, &co, NULL), 0);
        nh_log(g->fx, "again:%d:%d:%s", nc_socket_destroyed(s), nc_socket_connecting(s),
               nc_socket_ready_state(s));
        nc_socket_write(s, "ab", 2, NULL, NULL);
    } else {
        nc_server_close(g->srv, NULL, NULL);
    }
}

static void test_socket_connect_after_close(void **state)
{
    nh_fixture_t *fx = *state;
    again_t g = { .fx = fx };
    nc_socket_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &g.srv), 0);
    nc_server_on(g.srv, NC_SERVER_CONNECTION, again_conn, &g);
    g.port = nh_listen_local(fx, g.srv);
    assert_int_equal(nc_socket_new(&fx->loop, NULL, &s), 0);
    nc_socket_on(s, NC_SOCKET_CONNECT, again_connect, &g);
    nc_socket_on(s, NC_SOCKET_DATA, again_data, &g);
    nc_socket_on(s, NC_SOCKET_END, again_end, &g);
    nc_socket_on(s, NC_SOCKET_CLOSE, again_close, &g);
    nc_connect_options_t co = { .port = g.port, .host = "127.0.0.1" };
    assert_int_equal(nc_socket_connect(s, &co, NULL), 0);
    nh_log(fx, "first:%s:%d", nc_socket_ready_state(s), nc_socket_pending(s));
    nh_run(fx);
    /* Node 20, tests/net/node/reconnect.js: the counters start again from zero; what was
     * written while connecting counts at once. */
    assert_string_equal(fx->log, "first:opening:1 connect:0:open:0:0 data:x end "
                                 "close:0:closed:1:1:1 again:0:1:opening connect:1:open:0:2 "
                                 "data:x end close:0:closed:1:1:1");
    /* Destroyed but not closed yet: Node 20 would fail later with EALREADY from the old
     * handle; libnetcore refuses at once. */
    assert_int_equal(nc_socket_connect(s, &co, NULL), 0);
    nc_socket_destroy(s, 0);
    nc_error_t err = { .port = -1 };
    assert_int_equal(nc_socket_connect(s, &co, &err), NC_ERR_SOCKET_CLOSED);
    nh_run(fx);
    nc_socket_release(s);
    nc_server_release(g.srv);
}

/* ---- writes after the peer's FIN ------------------------------------------------------ */

static void srv_write_late(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    pair_t *p = d;
    if (nc_socket_listener_count(s, NC_SOCKET_TIMEOUT) == 1) {
        nh_log(p->fx, "srv:state:%s", nc_socket_ready_state(s));
    }
    nh_log(p->fx, "srv:w:%d", nc_socket_write(s, "late", 4, log_wcb, &p->ts));
    if (nc_socket_listener_count(s, NC_SOCKET_TIMEOUT) == 1) {
        nc_socket_end(s, NULL, 0);
    }
}

static void timeout_marker(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    (void)a;
    (void)d;
}

static void srv_late_half_open(pair_t *p, nc_socket_t *s)
{
    /* The marker says "half-open server": it ends by hand. */
    nc_socket_on(s, NC_SOCKET_TIMEOUT, timeout_marker, NULL);
    nc_socket_on(s, NC_SOCKET_END, srv_write_late, p);
}

static void srv_late(pair_t *p, nc_socket_t *s)
{
    nc_socket_on(s, NC_SOCKET_END, srv_write_late, p);
}

static void cli_end_now(pair_t *p, nc_socket_t *s)
{
    (void)p;
    nc_socket_end(s, NULL, 0);
}

static void test_socket_write_after_peer_fin_half_open(void **state)
{
    pair_t p;
    nc_server_options_t so = { .allow_half_open = true };
    pair_init(*state, &p, &so);
    p.on_conn = srv_late_half_open;
    p.on_connect = cli_end_now;
    pair_run(&p, false);
    /* Node 20, orders.js write_after_fin_half_open. */
    assert_string_equal(only(p.fx, "srv"), "end state:writeOnly w:1 wcb:ok finish close(false)");
    assert_string_equal(only(p.fx, "cli"), "connect ready finish data:late end close(false)");
}

static void test_socket_write_after_peer_fin(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    p.on_conn = srv_late;
    p.on_connect = cli_end_now;
    pair_run(&p, false);
    /* Node 20, orders.js write_after_fin: the write in 'end' comes before the automatic
     * end() that allowHalfOpen false makes. */
    assert_string_equal(only(p.fx, "srv"), "end w:1 wcb:ok finish close(false)");
    assert_string_equal(only(p.fx, "cli"), "connect ready finish data:late end close(false)");
}

/* ---- end() twice, destroy(err) in 'data' ---------------------------------------------- */

static void cli_end_twice(pair_t *p, nc_socket_t *s)
{
    assert_int_equal(nc_socket_end(s, "a", 1), 0);
    nh_log(p->fx, "cli:ending:%d:%s", nc_socket_writable(s), nc_socket_ready_state(s));
    /* Node: end(data) after end() is a write after end: destroyed with the error. */
    assert_int_equal(nc_socket_end(s, "b", 1), NC_ERR_STREAM_WRITE_AFTER_END);
    assert_int_equal(nc_socket_end(s, NULL, 0), 0);
}

static void test_socket_end_twice(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    p.on_connect = cli_end_twice;
    pair_run(&p, false);
    /* Node 20, orders.js end_twice: "cli:connect cli:ending:true:false:readOnly cli:ready
     * cli:error(ERR_STREAM_WRITE_AFTER_END) cli:close:true srv:end srv:got:a srv:finish". */
    assert_string_equal(only(p.fx, "cli"), "connect ending:0:readOnly ready "
                                           "error(ERR_STREAM_WRITE_AFTER_END) close(true)");
    assert_string_equal(only(p.fx, "srv"), "data end finish close(false)");
    assert_string_equal(p.srv_data, "a");
}

static void destroy_in_data(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    pair_t *p = d;
    nc_socket_destroy(s, -ECONNABORTED);
    nh_log(p->fx, "cli:destroyed:%d:%s", nc_socket_destroyed(s), nc_socket_ready_state(s));
}

static void srv_write_xy(pair_t *p, nc_socket_t *s)
{
    (void)p;
    nc_socket_write(s, "xy", 2, NULL, NULL);
}

static void test_socket_destroy_in_data(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    nc_socket_on(p.cli, NC_SOCKET_DATA, destroy_in_data, &p);
    p.on_conn = srv_write_xy;
    pair_run(&p, false);
    /* Node 20, orders.js destroy_in_data: no 'end' after the destroy. */
    assert_string_equal(only(p.fx, "cli"),
                        "connect ready data:xy destroyed:1:closed error(ECONNABORTED) close(true)");
    assert_string_equal(only(p.fx, "srv"), "end finish close(false)");
}

/* ---- bytesWritten, bufferSize and readyState through the states ----------------------- */

/* Added after the write made while connecting, as orders.js adds it: it sees that
 * write sent (Node's once('connect') of the write runs first). */
static void pend_connect(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    pair_t *p = d;
    nh_log(p->fx, "cli:connect:%llu:%zu:%d:%s", (unsigned long long)nc_socket_bytes_written(s),
           nc_socket_writable_length(s), nc_socket_pending(s), nc_socket_ready_state(s));
    nc_socket_end(s, NULL, 0);
    nh_log(p->fx, "cli:ended:%s", nc_socket_ready_state(s));
}

static void pend_finish(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    nh_log(d, "cli:fin:%s:%llu", nc_socket_ready_state(s),
           (unsigned long long)nc_socket_bytes_written(s));
}

static void pend_end(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    nh_log(d, "cli:endstate:%s", nc_socket_ready_state(s));
}

static void test_socket_bytes_written_pending(void **state)
{
    nh_fixture_t *fx = *state;
    pair_t p;
    pair_init(fx, &p, NULL);
    nc_socket_on(p.cli, NC_SOCKET_FINISH, pend_finish, fx);
    nc_socket_on(p.cli, NC_SOCKET_END, pend_end, fx);
    assert_int_equal(nc_socket_buffer_size(p.cli), -ENOTCONN); /* Node: undefined */
    nc_connect_options_t co = { .port = nh_listen_local(fx, p.srv), .host = "127.0.0.1" };
    assert_int_equal(nc_socket_connect(p.cli, &co, NULL), 0);
    nh_log(fx, "cli:pre:%llu:%zu:%lld:%d:%s", (unsigned long long)nc_socket_bytes_written(p.cli),
           nc_socket_writable_length(p.cli), (long long)nc_socket_buffer_size(p.cli),
           nc_socket_pending(p.cli), nc_socket_ready_state(p.cli));
    nc_socket_write(p.cli, "12345", 5, NULL, NULL);
    nc_socket_on(p.cli, NC_SOCKET_CONNECT, pend_connect, &p);
    nh_log(fx, "cli:connecting:%llu:%zu:%lld", (unsigned long long)nc_socket_bytes_written(p.cli),
           nc_socket_writable_length(p.cli), (long long)nc_socket_buffer_size(p.cli));
    nh_run(fx);
    /* Node 20, orders.js bytes_pending. */
    assert_string_equal(only(fx, "cli"), "pre:0:0:0:1:opening connecting:5:5:5 connect "
                                         "connect:5:0:0:open ended:readOnly ready finish "
                                         "fin:readOnly:5 end endstate:closed close(false)");
    nc_server_release(p.srv);
    nc_socket_release(p.cli);
}

/* ---- 'timeout' while paused ----------------------------------------------------------- */

static void paused_timeout(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    nh_log(d, "cli:timeout:%d", nc_socket_is_paused(s));
    nc_socket_destroy(s, 0);
}

static void cli_pause_timeout(pair_t *p, nc_socket_t *s)
{
    nc_socket_on(s, NC_SOCKET_TIMEOUT, paused_timeout, p->fx);
    nc_socket_set_timeout(s, 10);
}

static void test_socket_timeout_while_paused(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    nc_socket_pause(p.cli);
    p.on_connect = cli_pause_timeout;
    pair_run(&p, false);
    /* Node 20, orders.js timeout_paused. */
    assert_string_equal(only(p.fx, "cli"), "connect ready timeout:1 close(false)");
    assert_string_equal(only(p.fx, "srv"), "end finish close(false)");
}

/* ---- destroy with writes not done ----------------------------------------------------- */

#define BIG (32u << 20)

/* Added after the early write, as destroy_mid_write.js adds it: the early write has
 * gone out when it runs. */
static void mid_connect(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    pair_t *p = d;
    char *big = calloc(1, BIG);
    assert_non_null(big);
    nh_log(p->fx, "cli:w:%d", nc_socket_write(s, big, BIG, log_wcb, &p->tc));
    free(big);
    nh_log(p->fx, "cli:len:%d", nc_socket_writable_length(s) > 0);
    nc_socket_destroy(s, 0);
}

static void mid_conn(pair_t *p, nc_socket_t *s)
{
    (void)p;
    nc_socket_pause(s);
}

static void resume_peer(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    (void)a;
    pair_t *p = d;
    nc_socket_resume(p->conn); /* lets the server's side see the end */
}

static void test_socket_destroy_mid_write(void **state)
{
    nh_fixture_t *fx = *state;
    pair_t p;
    nc_socket_t *s2;
    pair_init(fx, &p, NULL);
    p.on_conn = mid_conn;
    nc_socket_on(p.cli, NC_SOCKET_CLOSE, resume_peer, &p);
    int port = nh_listen_local(fx, p.srv);
    nc_connect_options_t co = { .port = port, .host = "127.0.0.1" };
    assert_int_equal(nc_socket_connect(p.cli, &co, NULL), 0);
    nc_socket_write(p.cli, "early", 5, log_wcb, &p.tc);
    nc_socket_on(p.cli, NC_SOCKET_CONNECT, mid_connect, &p);
    /* A write made while connecting, then destroy before the connection. */
    trk_t t2 = { &p, "s2" };
    assert_int_equal(nc_socket_new(&fx->loop, NULL, &s2), 0);
    track(s2, &t2, false);
    assert_int_equal(nc_socket_connect(s2, &co, NULL), 0);
    nc_socket_write(s2, "x", 1, log_wcb, &t2);
    nc_socket_destroy(s2, 0);
    nh_run(fx);
    /* Node 20, destroy_mid_write.js: "early:ok w:false len:true bigcb:ok close:false
     * s2cb:ERR_SOCKET_CLOSED_BEFORE_CONNECTION s2close". Each callback runs once; the big
     * write gets -ECANCELED where Node passes null (see nc_socket_write_cb). The early
     * write goes out in the 'connect' listener it added, before mid_connect, and the
     * kernel takes it at once: its callback comes there and then, as in Node. */
    assert_string_equal(only(fx, "cli"),
                        "connect wcb:ok w:0 len:1 ready wcb:ECANCELED close(false)");
    assert_string_equal(only(fx, "s2"), "wcb:ERR_SOCKET_CLOSED_BEFORE_CONNECTION close(false)");
    nc_socket_release(s2);
    nc_server_release(p.srv);
    nc_socket_release(p.cli);
}

/* ---- an 'error' without listeners ----------------------------------------------------- */

static void log_close_only(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    nh_log(d, "close(%d)", ((const nc_socket_close_t *)a)->had_error);
}

static void test_socket_error_without_listener(void **state)
{
    nh_fixture_t *fx = *state;
    int sv[2];
    nc_socket_t *s;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    nc_socket_options_t so = { .has_fd = true, .fd = sv[0], .readable = true, .writable = true };
    assert_int_equal(nc_socket_new(&fx->loop, &so, &s), 0);
    nc_socket_on(s, NC_SOCKET_CLOSE, log_close_only, fx);
    /* Node would throw the unhandled 'error'; a C library cannot, so it is dropped and
     * 'close' (hadError true) still comes. */
    nc_socket_destroy(s, -EPIPE);
    nh_run(fx);
    assert_string_equal(fx->log, "close(1)");
    nc_socket_release(s);
    close(sv[1]);
}

/* ---- unref and reconnect --------------------------------------------------------------- */

typedef struct {
    nh_fixture_t *fx;
    nc_server_t *srv;
    int rounds;
} unref_t;

static void unref_conn(nc_server_t *srv, const void *a, void *d)
{
    (void)srv;
    (void)d;
    nc_socket_destroy(((const nc_server_connection_t *)a)->socket, 0);
}

static void unref_connect(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    (void)d;
    nc_socket_destroy(s, 0);
}

static void unref_close(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    unref_t *u = d;
    nh_log(u->fx, "close(%d)", ((const nc_socket_close_t *)a)->had_error);
    if (++u->rounds == 2) {
        nc_server_close(u->srv, NULL, NULL);
    } else {
        uv_stop(&u->fx->loop); /* the server stays for round 2 */
    }
}

static void find_ref(uv_handle_t *h, void *arg)
{
    int *fd_ref = arg;
    uv_os_fd_t fd;
    if (h->type == UV_TCP && uv_fileno(h, &fd) == 0 && fd == fd_ref[0]) {
        fd_ref[1] = uv_has_ref(h);
    }
}

static int handle_has_ref(nh_fixture_t *fx, nc_socket_t *s)
{
    int fd_ref[2] = { nc_socket_fileno(s), -1 };
    uv_walk(&fx->loop, find_ref, fd_ref);
    return fd_ref[1];
}

static void test_socket_reconnect_unref_per_handle(void **state)
{
    nh_fixture_t *fx = *state;
    unref_t u = { .fx = fx };
    nc_socket_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &u.srv), 0);
    nc_server_on(u.srv, NC_SERVER_CONNECTION, unref_conn, NULL);
    nc_connect_options_t co = { .port = nh_listen_local(fx, u.srv), .host = "127.0.0.1" };
    assert_int_equal(nc_socket_new(&fx->loop, NULL, &s), 0);
    nc_socket_on(s, NC_SOCKET_CONNECT, unref_connect, NULL);
    nc_socket_on(s, NC_SOCKET_CLOSE, unref_close, &u);
    nc_socket_unref(s);
    assert_int_equal(nc_socket_connect(s, &co, NULL), 0);
    /* Node 20: an unref() made before connect waits for 'connect' (hasRef() is true
     * while connecting), and goes with that handle: a connect after 'close' starts with
     * a ref'd one (test_socket_opts checks the 'connect' side). */
    assert_int_equal(handle_has_ref(fx, s), 1);
    nh_run(fx);
    assert_string_equal(fx->log, "close(0)");
    assert_int_equal(nc_socket_connect(s, &co, NULL), 0);
    assert_int_equal(handle_has_ref(fx, s), 1);
    nc_socket_unref(s);
    assert_int_equal(handle_has_ref(fx, s), 0);
    nc_socket_ref(s);
    assert_int_equal(handle_has_ref(fx, s), 1);
    nh_run(fx);
    assert_string_equal(fx->log, "close(0) close(0)");
    nc_socket_release(s);
    nc_server_release(u.srv);
}

#define T(name) cmocka_unit_test_setup_teardown(name, nh_setup, nh_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_socket_connect_after_close),    T(test_socket_write_after_peer_fin_half_open),
        T(test_socket_write_after_peer_fin),   T(test_socket_end_twice),
        T(test_socket_destroy_in_data),        T(test_socket_bytes_written_pending),
        T(test_socket_timeout_while_paused),   T(test_socket_destroy_mid_write),
        T(test_socket_error_without_listener), T(test_socket_reconnect_unref_per_handle),
    };
    return cmocka_run_group_tests_name("socket_more", tests, NULL, NULL);
}
