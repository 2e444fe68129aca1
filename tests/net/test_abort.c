/* test_abort.c: AbortController/AbortSignal, and the `signal` option of new Socket and
 * server.listen on real sockets. Orders as Node 20 prints tests/net/node/abort.js. */
#include "pair.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- the signal itself --------------------------------------------------------------- */

typedef struct {
    char log[128];
    nc_abort_signal_t *remove_me;
    void *remove_data;
} sig_log_t;

static sig_log_t g_log;

static void note(nc_abort_signal_t *sig, void *data)
{
    size_t n = strlen(g_log.log);
    snprintf(g_log.log + n, sizeof(g_log.log) - n, "%s%s:%d", n ? " " : "", (const char *)data,
             nc_abort_signal_reason(sig));
    if (g_log.remove_me != NULL) {
        /* An earlier listener removes a later one: EventTarget skips it. */
        assert_int_equal(nc_abort_signal_remove(g_log.remove_me, note, g_log.remove_data), 0);
        g_log.remove_me = NULL;
    }
    /* Added during the dispatch: never called. */
    assert_int_equal(nc_abort_signal_add(sig, note, "late"), 0);
}

static void test_abort_signal_listeners(void **state)
{
    (void)state;
    nc_abort_controller_t *c;
    memset(&g_log, 0, sizeof(g_log));
    assert_int_equal(nc_abort_controller_new(&c), 0);
    nc_abort_signal_t *sig = nc_abort_controller_signal(c);
    assert_false(nc_abort_signal_aborted(sig));
    assert_int_equal(nc_abort_signal_reason(sig), 0);
    assert_int_equal(nc_abort_signal_add(sig, note, "a"), 0);
    assert_int_equal(nc_abort_signal_add(sig, note, "b"), 0);
    assert_int_equal(nc_abort_signal_add(sig, note, "c"), 0);
    assert_int_equal(nc_abort_signal_add(sig, note, "d"), 0);
    assert_int_equal(nc_abort_signal_remove(sig, note, "b"), 0);
    assert_int_equal(nc_abort_signal_remove(sig, note, "b"), -ENOENT);
    assert_int_equal(nc_abort_signal_add(sig, NULL, NULL), -EINVAL);
    g_log.remove_me = sig;
    g_log.remove_data = "c";
    nc_abort_signal_ref(sig); /* outlives the controller */
    nc_abort_controller_abort(c, 0);
    nc_abort_controller_abort(c, -EPIPE); /* once only */
    nc_abort_controller_free(c);
    assert_true(nc_abort_signal_aborted(sig));
    assert_int_equal(nc_abort_signal_reason(sig), NC_ABORT_ERR);
    assert_string_equal(g_log.log, "a:-5019 d:-5019");
    assert_null(nc_abort_signal_unref(sig));
    assert_null(nc_abort_signal_unref(NULL));
    assert_int_equal(nc_abort_signal_new_aborted(-ETIMEDOUT, &sig), 0);
    assert_true(nc_abort_signal_aborted(sig));
    assert_int_equal(nc_abort_signal_reason(sig), -ETIMEDOUT);
    nc_abort_signal_unref(sig);
}

/* ---- new Socket({ signal }) ---------------------------------------------------------- */

static void log_err_detail(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    const nc_error_t *e = a;
    assert_string_equal(e->message, "The operation was aborted");
    assert_int_equal(nc_error_errno(e), 0);
    nh_log(d, "cli:detail:%s", nc_err_name(e->code));
}

static void abort_on_connect(pair_t *p, nc_socket_t *s)
{
    nc_abort_controller_abort(p->fx->user, 0);
    /* Node: abort() destroys at once. */
    nh_log(p->fx, "cli:aborted:%d", nc_socket_destroyed(s));
}

static void test_abort_socket_connected(void **state)
{
    nh_fixture_t *fx = *state;
    pair_t p;
    nc_abort_controller_t *c;
    assert_int_equal(nc_abort_controller_new(&c), 0);
    fx->user = c;
    pair_init(fx, &p, NULL);
    nc_socket_release(p.cli);
    nc_socket_options_t so = { .signal = nc_abort_controller_signal(c) };
    assert_int_equal(nc_socket_new(&fx->loop, &so, &p.cli), 0);
    track(p.cli, &p.tc, false);
    nc_socket_on(p.cli, NC_SOCKET_ERROR, log_err_detail, fx);
    p.on_connect = abort_on_connect;
    pair_run(&p, false);
    /* Node 20: "cli:connect cli:aborted:true cli:error:AbortError:ABORT_ERR:The operation
     * was aborted cli:close:true"; 'ready' follows 'connect' even after a destroy. */
    assert_string_equal(only(fx, "cli"), "connect aborted:1 ready error(ABORT_ERR) "
                                         "detail:ABORT_ERR close(true)");
    nc_abort_controller_free(c);
}

static void test_abort_socket_already_aborted(void **state)
{
    nh_fixture_t *fx = *state;
    pair_t p;
    nc_abort_signal_t *sig;
    assert_int_equal(nc_abort_signal_new_aborted(0, &sig), 0);
    pair_init(fx, &p, NULL);
    nc_socket_release(p.cli);
    int port = nh_listen_local(fx, p.srv);
    nc_socket_options_t so = { .signal = sig };
    assert_int_equal(nc_socket_new(&fx->loop, &so, &p.cli), 0);
    nc_abort_signal_unref(sig); /* the socket holds its own reference */
    track(p.cli, &p.tc, false);
    nc_connect_options_t co = { .port = port, .host = "127.0.0.1" };
    assert_int_equal(nc_socket_connect(p.cli, &co, NULL), 0);
    /* Node 20: not destroyed yet (the abort runs on the next tick), then ABORT_ERR and
     * 'close' without 'connect'. */
    assert_false(nc_socket_destroyed(p.cli));
    nc_server_unref(p.srv);
    nh_run(fx);
    assert_string_equal(only(fx, "cli"), "error(ABORT_ERR) close(true)");
    nc_server_close(p.srv, NULL, NULL);
    nh_run(fx);
    nc_server_release(p.srv);
    nc_socket_release(p.cli);
}

/* ---- server.listen({ signal }) ------------------------------------------------------- */

static void srv_log(nc_server_t *s, const void *a, void *d)
{
    (void)s;
    (void)a;
    nh_log(d, "%s", "srv:close");
}

static void srv_listening(nc_server_t *s, const void *a, void *d)
{
    (void)a;
    nh_fixture_t *fx = d;
    nh_log(fx, "srv:listening");
    nc_abort_controller_abort(fx->user, 0);
    nh_log(fx, "srv:listening:%d", nc_server_listening(s));
}

static void test_abort_listen(void **state)
{
    nh_fixture_t *fx = *state;
    nc_abort_controller_t *c;
    nc_server_t *s;
    assert_int_equal(nc_abort_controller_new(&c), 0);
    fx->user = c;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_server_on(s, NC_SERVER_LISTENING, srv_listening, fx);
    nc_server_on(s, NC_SERVER_CLOSE, srv_log, fx);
    nc_listen_options_t lo = { .host = "127.0.0.1", .signal = nc_abort_controller_signal(c) };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    nh_run(fx);
    /* Node 20: abort() closes at once (listening false), then 'close'. */
    assert_string_equal(fx->log, "srv:listening srv:listening:0 srv:close");
    nc_server_release(s);
    nc_abort_controller_free(c);
}

static void test_abort_listen_already_aborted(void **state)
{
    nh_fixture_t *fx = *state;
    nc_abort_signal_t *sig;
    nc_server_t *s;
    assert_int_equal(nc_abort_signal_new_aborted(0, &sig), 0);
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_server_on(s, NC_SERVER_LISTENING, srv_listening, fx);
    nc_server_on(s, NC_SERVER_CLOSE, srv_log, fx);
    nc_listen_options_t lo = { .host = "127.0.0.1", .signal = sig };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    nc_abort_signal_unref(sig);
    nh_run(fx);
    /* Node 20: no 'listening', no error, 'close'. */
    assert_string_equal(fx->log, "srv:close");
    assert_false(nc_server_listening(s));
    nc_server_release(s);
}

/* ---- a signal that outlives what it was given to ------------------------------------- */

static void log_sock_close(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    nh_log(d, "close(%d)", ((const nc_socket_close_t *)a)->had_error);
}

static void destroy_on_connect(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    (void)d;
    nc_socket_destroy(s, 0);
}

static void destroy_conn(nc_server_t *srv, const void *a, void *d)
{
    (void)srv;
    (void)d;
    nc_socket_destroy(((const nc_server_connection_t *)a)->socket, 0);
}

static void test_abort_after_close_and_free(void **state)
{
    nh_fixture_t *fx = *state;
    nc_abort_controller_t *c;
    nc_server_t *srv;
    nc_socket_t *s;
    assert_int_equal(nc_abort_controller_new(&c), 0);
    assert_int_equal(nc_server_new(&fx->loop, NULL, &srv), 0);
    nc_listen_options_t lo = { .host = "127.0.0.1", .signal = nc_abort_controller_signal(c) };
    assert_int_equal(nc_server_listen(srv, &lo, NULL), 0);
    nc_server_on(srv, NC_SERVER_CONNECTION, destroy_conn, NULL);
    nc_address_t a;
    assert_int_equal(nc_server_address(srv, &a), 0);
    nc_socket_options_t so = { .signal = nc_abort_controller_signal(c) };
    assert_int_equal(nc_socket_new(&fx->loop, &so, &s), 0);
    nc_socket_on(s, NC_SOCKET_CONNECT, destroy_on_connect, NULL);
    nc_socket_on(s, NC_SOCKET_CLOSE, log_sock_close, fx);
    nc_connect_options_t co = { .port = a.port, .host = "127.0.0.1" };
    assert_int_equal(nc_socket_connect(s, &co, NULL), 0);
    nc_server_unref(srv);
    nh_run(fx);
    nc_server_close(srv, NULL, NULL);
    nh_run(fx);
    /* Both let go of the signal: 'close' for the server, the last release for the
     * socket. Aborting now touches neither (ASan and valgrind watch). */
    nc_server_release(srv);
    nc_socket_release(s);
    nc_abort_controller_abort(c, 0);
    nc_abort_controller_free(c);
    assert_string_equal(fx->log, "close(0)");
}

#define T(name) cmocka_unit_test_setup_teardown(name, nh_setup, nh_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_abort_signal_listeners),       T(test_abort_socket_connected),
        T(test_abort_socket_already_aborted), T(test_abort_listen),
        T(test_abort_listen_already_aborted), T(test_abort_after_close_and_free),
    };
    return cmocka_run_group_tests_name("abort", tests, NULL, NULL);
}
