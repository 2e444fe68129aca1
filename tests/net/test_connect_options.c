/* test_connect_options.c: socket.connect's other options: localAddress and localPort
 * (seen by the server), noDelay, keepAlive, hints, createConnection's timeout; what
 * connect() throws, with Node 20's messages; the process-wide autoSelectFamily defaults;
 * server.listen on a host name. */
#include "connfix.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include <netinet/tcp.h>

/* ---- localAddress, localPort and the other options --------------------------------- */

static void test_connect_local_address_port(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    int local = free_port();
    nc_socket_t *s;
    nc_connect_options_t co = {
        .port = c.port, .host = "127.0.0.1", .local_address = "127.0.0.1", .local_port = local
    };
    assert_int_equal(nc_create_connection(&c.fx->loop, &co, &s, NULL), 0);
    track_client(&c, s);
    nh_run(c.fx);
    nc_socket_release(s);
    assert_string_equal(c.fx->log,
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    assert_int_equal(c.seen_remote_port, local);
    /* connect_orders.js local-refused: the message names the local end. */
    c.fx->log[0] = '\0';
    co.port = c.free_port;
    co.local_port = local = free_port();
    assert_int_equal(nc_create_connection(&c.fx->loop, &co, &s, NULL), 0);
    track_client(&c, s);
    nh_run(c.fx);
    nc_socket_release(s);
    char want[128];
    snprintf(want, sizeof(want), "connect ECONNREFUSED 127.0.0.1:%d - Local (127.0.0.1:%d)",
             c.free_port, local);
    assert_string_equal(c.err.message, want);
    ctx_done(&c);
}

static void test_connect_local_port_only(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    answers(&c, "127.0.0.2", 4, "127.0.0.1", 4);
    /* autoSelectFamily with a localPort: each attempt binds the any address and it. */
    int local = free_port();
    nc_connect_options_t co = { .local_port = local };
    run_lookup(&c, &co, c.port);
    assert_int_equal(c.seen_remote_port, local);
    assert_true(c.seen.all);
    ctx_done(&c);
}

static void check_opts(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    ctx_t *c = data;
    int fd = nc_socket_fileno(s);
    assert_true(fd >= 0);
    assert_int_equal(nh_sockopt(fd, IPPROTO_TCP, TCP_NODELAY), 1);
    assert_int_equal(nh_sockopt(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
    assert_int_equal(nh_sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7);
    assert_int_equal(nc_socket_timeout(s), 4000);
    c->fx->count++;
}

static void test_connect_socket_options(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    answers(&c, "127.0.0.1", 4, NULL, 0);
    nc_socket_t *s;
    nc_connect_options_t co = { .port = c.port,
                                .host = "h.test",
                                .family = 4,
                                .hints = AI_V4MAPPED,
                                .no_delay = true,
                                .keep_alive = true,
                                .keep_alive_initial_delay = 7000,
                                .timeout = 4000,
                                .lookup = my_lookup,
                                .lookup_data = &c };
    assert_int_equal(nc_create_connection(&c.fx->loop, &co, &s, NULL), 0);
    nc_socket_on(s, NC_SOCKET_CONNECT, check_opts, &c);
    track_client(&c, s);
    nh_run(c.fx);
    nc_socket_release(s);
    assert_int_equal(c.fx->count, 1);
    /* family 4 asks for one address; hints go to the function as given. */
    assert_false(c.seen.all);
    assert_int_equal(c.seen.family, 4);
    assert_int_equal(c.seen.hints, AI_V4MAPPED);
    ctx_done(&c);
}

/* ---- what connect() throws --------------------------------------------------------- */

static void expect_thrown(nc_socket_t *s, nc_connect_options_t *co, int code, const char *msg)
{
    nc_error_t err = { .port = -1 };
    assert_int_equal(nc_socket_connect(s, co, &err), code);
    assert_string_equal(err.message, msg);
    assert_false(nc_socket_connecting(s));
}

static void test_connect_thrown(void **state)
{
    nh_fixture_t *fx = *state;
    nc_socket_t *s;
    assert_int_equal(nc_socket_new(&fx->loop, NULL, &s), 0);
    /* Node 20 (node -e with each option): the messages below. */
    nc_connect_options_t co = { .port = 80, .local_address = "foo" };
    expect_thrown(s, &co, NC_ERR_INVALID_IP_ADDRESS, "Invalid IP address: foo");
    co = (nc_connect_options_t){ .port = -1 };
    expect_thrown(s, &co, NC_ERR_SOCKET_BAD_PORT,
                  "Port should be >= 0 and < 65536. Received type number (-1).");
    co.port = 65536;
    expect_thrown(s, &co, NC_ERR_SOCKET_BAD_PORT,
                  "Port should be >= 0 and < 65536. Received type number (65536).");
    co = (nc_connect_options_t){ .port = 80, .auto_select_family_attempt_timeout = -1 };
    expect_thrown(s, &co, NC_ERR_OUT_OF_RANGE,
                  "The value of \"options.autoSelectFamilyAttemptTimeout\" is out of range. "
                  "It must be >= 1 && <= 2147483647. Received -1");
    co = (nc_connect_options_t){ .port = 80, .host = "localhost", .family = 5 };
    expect_thrown(s, &co, NC_ERR_INVALID_ARG_VALUE,
                  "The property 'options.family' must be one of: 0, 4, 6. Received 5");
    co = (nc_connect_options_t){ .port = 80, .host = "localhost", .hints = 1024 };
    expect_thrown(s, &co, NC_ERR_INVALID_ARG_VALUE,
                  "The argument 'hints' is invalid. Received 1024");
    /* An IP literal is never looked up: family and hints are not checked (Node). */
    co = (nc_connect_options_t){ .port = 0, .host = "127.0.0.1", .family = 5, .hints = 1024 };
    assert_int_equal(nc_socket_connect(s, &co, NULL), 0);
    nc_socket_destroy(s, 0);
    nh_run(fx);
    nc_socket_release(s);
}

static void test_connect_defaults(void **state)
{
    (void)state;
    nc_error_t err = { .port = -1 };
    /* Node 20: true and 250; the setter's checks and clamp. */
    assert_true(nc_get_default_auto_select_family());
    assert_int_equal(nc_get_default_auto_select_family_attempt_timeout(), 250);
    assert_int_equal(nc_set_default_auto_select_family_attempt_timeout(0, &err),
                     NC_ERR_OUT_OF_RANGE);
    assert_string_equal(err.message, "The value of \"value\" is out of range. It must be >= 1 "
                                     "&& <= 2147483647. Received 0");
    assert_int_equal(nc_set_default_auto_select_family_attempt_timeout(2147483648, &err),
                     NC_ERR_OUT_OF_RANGE);
    assert_int_equal(nc_set_default_auto_select_family_attempt_timeout(3, &err), 0);
    assert_int_equal(nc_get_default_auto_select_family_attempt_timeout(), 10);
    assert_int_equal(nc_set_default_auto_select_family_attempt_timeout(250, &err), 0);
    nc_set_default_auto_select_family(false);
    assert_false(nc_get_default_auto_select_family());
    nc_set_default_auto_select_family(true);
}

static void test_connect_default_off(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    answers(&c, "127.0.0.1", 4, NULL, 0);
    /* The process-wide default decides when the option is not given. */
    nc_set_default_auto_select_family(false);
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.port);
    nc_set_default_auto_select_family(true);
    assert_false(c.seen.all);
    ctx_done(&c);
}

/* ---- listen on a host name --------------------------------------------------------- */

static void on_listening(nc_server_t *srv, const void *arg, void *data)
{
    (void)arg;
    nh_fixture_t *fx = data;
    nc_address_t a;
    assert_int_equal(nc_server_address(srv, &a), 0);
    nh_log(fx, "listening(%s)", a.address);
    nc_server_close(srv, NULL, NULL);
}

static void on_closed(nc_server_t *srv, int status, void *data)
{
    (void)srv;
    nh_log(data, "close(%s)", status == 0 ? "null" : nc_err_name(status));
}

static void test_connect_listen_host_name(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *srv;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &srv), 0);
    assert_int_equal(nc_server_on(srv, NC_SERVER_LISTENING, on_listening, fx), 0);
    nc_listen_options_t lo = { .port = 0, .host = "localhost" };
    assert_int_equal(nc_server_listen(srv, &lo, NULL), 0);
    assert_false(nc_server_listening(srv));
    nh_run(fx);
    /* connect_orders.js listen-name: the first address of localhost. */
    assert_string_equal(fx->log, "listening(127.0.0.1)");
    /* close() during the lookup: Node's _listeningId drops the answer. */
    fx->log[0] = '\0';
    assert_int_equal(nc_server_listen(srv, &lo, NULL), 0);
    assert_int_equal(nc_server_close(srv, on_closed, fx), 0);
    nh_run(fx);
    assert_string_equal(fx->log, "close(ERR_SERVER_NOT_RUNNING)");
    assert_false(nc_server_listening(srv));
    nc_server_release(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connect_local_address_port, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_local_port_only, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_socket_options, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_thrown, nh_setup, nh_teardown),
        cmocka_unit_test(test_connect_defaults),
        cmocka_unit_test_setup_teardown(test_connect_default_off, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_listen_host_name, nh_setup, nh_teardown),
    };
    return cmocka_run_group_tests_name("connect_options", tests, NULL, NULL);
}
