/* test_socket_accepted.c: an accepted socket starts without the part it needs only to
 * time out, end, fail or wait for 'drain' (issue 3's idle-connection budget); each of
 * those makes it on the way and keeps Node's order. Orders as Node 20 printed them. */
#include "pair.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BIG (32u << 20) /* more than loopback's socket buffers can take at once */

static void srv_timeout(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    pair_t *p = d;
    nh_log(p->fx, "srv:timeout");
    assert_false(nc_socket_destroyed(s));
    nc_socket_destroy(s, 0);
}

static void srv_set_timeout(pair_t *p, nc_socket_t *s)
{
    assert_int_equal(nc_socket_timeout(s), 0);
    nc_socket_set_timeout(s, 0); /* nothing to undo: makes nothing */
    nc_socket_set_timeout(s, 20);
    assert_int_equal(nc_socket_timeout(s), 20);
    nc_socket_on(s, NC_SOCKET_TIMEOUT, srv_timeout, p);
}

static void test_accepted_set_timeout(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    p.on_conn = srv_set_timeout;
    pair_run(&p, false);
    assert_string_equal(only(p.fx, "srv"), "timeout close(false)");
    assert_string_equal(only(p.fx, "cli"), "connect ready end finish close(false)");
}

static void srv_destroy_error(pair_t *p, nc_socket_t *s)
{
    (void)p;
    nc_socket_destroy(s, -EPIPE);
}

static void test_accepted_destroy_error(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    p.on_conn = srv_destroy_error;
    pair_run(&p, false);
    /* Node 20: socket.destroy(err) in 'connection': 'error' then 'close'(true). */
    assert_string_equal(only(p.fx, "srv"), "error(EPIPE) close(true)");
    assert_string_equal(only(p.fx, "cli"), "connect ready end finish close(false)");
}

static void test_accepted_peer_ends(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    p.on_connect = cli_end_hello;
    pair_run(&p, false);
    /* The peer's FIN is the first thing that needs the deferred 'end'. */
    assert_string_equal(only(p.fx, "srv"), "data end finish close(false)");
    assert_string_equal(p.srv_data, "hello");
    assert_string_equal(only(p.fx, "cli"), "connect ready finish end close(false)");
}

static void srv_set_encoding(pair_t *p, nc_socket_t *s)
{
    (void)p;
    assert_null(nc_socket_readable_encoding(s));
    assert_int_equal(nc_socket_set_encoding(s, "hex", NULL), 0);
    assert_string_equal(nc_socket_readable_encoding(s), "hex");
}

static void test_accepted_set_encoding(void **state)
{
    pair_t p;
    pair_init(*state, &p, NULL);
    p.on_conn = srv_set_encoding;
    p.on_connect = cli_end_hello;
    pair_run(&p, false);
    /* The decoder lives in the ext part, made by setEncoding. */
    assert_string_equal(only(p.fx, "srv"), "data end finish close(false)");
    assert_string_equal(p.srv_data, "68656c6c6f");
}

/* ---- backpressure: a standalone client that only counts the bytes ------------------ */

typedef struct {
    nh_fixture_t *fx;
    nc_server_t *srv;
    size_t got;
} bp_t;

static void bp_wcb(nc_socket_t *s, int status, void *d)
{
    bp_t *bp = d;
    nh_log(bp->fx, "srv:wcb:%d:%zu", status, nc_socket_writable_length(s));
}

static void bp_drain(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    bp_t *bp = d;
    nh_log(bp->fx, "srv:drain:%zu", nc_socket_writable_length(s));
    nc_socket_end(s, NULL, 0);
}

static void bp_close(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    bp_t *bp = d;
    nh_log(bp->fx, "srv:close(%s)", ((const nc_socket_close_t *)a)->had_error ? "true" : "false");
    nc_server_close(bp->srv, NULL, NULL);
}

static void bp_connection(nc_server_t *srv, const void *a, void *d)
{
    (void)srv;
    bp_t *bp = d;
    nc_socket_t *s = ((const nc_server_connection_t *)a)->socket;
    nc_socket_on(s, NC_SOCKET_DRAIN, bp_drain, bp);
    nc_socket_on(s, NC_SOCKET_CLOSE, bp_close, bp);
    nc_socket_resume(s); /* consume, or the client's FIN would never be read */
    char *big = calloc(1, BIG);
    assert_non_null(big);
    nh_log(bp->fx, "srv:w%d", nc_socket_write(s, big, BIG, bp_wcb, bp));
    free(big);
}

static void bp_data(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    ((bp_t *)d)->got += ((const nc_socket_data_t *)a)->len;
}

static void test_accepted_backpressure(void **state)
{
    nh_fixture_t *fx = *state;
    bp_t bp = { .fx = fx };
    nc_socket_t *cli;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &bp.srv), 0);
    nc_server_on(bp.srv, NC_SERVER_CONNECTION, bp_connection, &bp);
    nc_connect_options_t co = { .port = nh_listen_local(fx, bp.srv), .host = "127.0.0.1" };
    assert_int_equal(nc_socket_new(&fx->loop, NULL, &cli), 0);
    nc_socket_on(cli, NC_SOCKET_DATA, bp_data, &bp);
    assert_int_equal(nc_socket_connect(cli, &co, NULL), 0);
    nh_run(fx);
    /* Node 20: write returns false, its callback, then 'drain' with nothing left. */
    assert_string_equal(fx->log, "srv:w0 srv:wcb:0:0 srv:drain:0 srv:close(false)");
    assert_int_equal(bp.got, BIG);
    nc_server_release(bp.srv);
    nc_socket_release(cli);
}

/* Connection churn through one server: the loop recycles sockets and their exts from
 * one connection to the next (loop.c's block cache). Each connection must still see
 * its own clean state: every one ends in order without error, and nothing is left. */
typedef struct {
    nh_fixture_t *fx;
    nc_server_t *srv;
    int port, left, closes, errors, server_data;
} churn_t;

#define CHURN_CONNECTIONS 300

static void churn_srv_data(nc_socket_t *s, const void *a, void *d)
{
    const nc_socket_data_t *data = a;
    churn_t *c = d;
    c->server_data += data->len == 1 && data->base[0] == 'x';
    nc_socket_end(s, "y", 1);
}

static void churn_srv_conn(nc_server_t *srv, const void *a, void *d)
{
    (void)srv;
    const nc_server_connection_t *conn = a;
    assert_int_equal(nc_socket_bytes_read(conn->socket), 0); /* a fresh block, not the last */
    assert_false(nc_socket_destroyed(conn->socket));
    nc_socket_on(conn->socket, NC_SOCKET_DATA, churn_srv_data, d);
}

static void churn_cli_connect(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    (void)d;
    nc_socket_end(s, "x", 1);
}

static void churn_cli_data(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    (void)a;
    (void)d;
}

static void churn_next(churn_t *c);

static void churn_cli_close(nc_socket_t *s, const void *a, void *d)
{
    const nc_socket_close_t *e = a;
    churn_t *c = d;
    c->closes++;
    c->errors += e->had_error;
    assert_int_equal(nc_socket_bytes_read(s), 1);
    nc_socket_release(s);
    if (--c->left > 0) {
        churn_next(c);
    } else {
        nc_server_close(c->srv, NULL, NULL);
    }
}

static void churn_next(churn_t *c)
{
    nc_socket_t *s;
    assert_int_equal(nc_socket_new(&c->fx->loop, NULL, &s), 0);
    nc_socket_on(s, NC_SOCKET_CONNECT, churn_cli_connect, c);
    nc_socket_on(s, NC_SOCKET_DATA, churn_cli_data, c);
    nc_socket_on(s, NC_SOCKET_CLOSE, churn_cli_close, c);
    nc_connect_options_t co = { .port = c->port, .host = "127.0.0.1" };
    assert_int_equal(nc_socket_connect(s, &co, NULL), 0);
}

static void test_accepted_churn_recycles(void **state)
{
    churn_t c = { .fx = *state, .left = CHURN_CONNECTIONS };
    assert_int_equal(nc_server_new(&c.fx->loop, NULL, &c.srv), 0);
    nc_server_on(c.srv, NC_SERVER_CONNECTION, churn_srv_conn, &c);
    c.port = nh_listen_local(c.fx, c.srv);
    int fds = nh_count_fds();
    churn_next(&c);
    nh_run(c.fx);
    assert_int_equal(c.closes, CHURN_CONNECTIONS);
    assert_int_equal(c.errors, 0);
    assert_int_equal(c.server_data, CHURN_CONNECTIONS);
    assert_int_equal(nh_count_fds(), fds - 1); /* the listener closed too */
    nc_server_release(c.srv);
    nh_run(c.fx);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, nh_setup, nh_teardown)
    const struct CMUnitTest tests[] = {
        T(test_accepted_set_timeout),  T(test_accepted_destroy_error),
        T(test_accepted_peer_ends),    T(test_accepted_set_encoding),
        T(test_accepted_backpressure), T(test_accepted_churn_recycles),
    };
    return cmocka_run_group_tests_name("socket_accepted", tests, NULL, NULL);
}
