/* test_server_more.c: the rest of net.Server's listen forms and 'close' semantics:
 * close() twice (with and without a handle), listen(server), listen() with no options,
 * backlog values Node passes through. Orders: Node 20 running
 * tests/net/node/server_close.js (named per test). */
#include "nethelp.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void log_close(nc_server_t *s, const void *a, void *d)
{
    (void)s;
    (void)a;
    nh_log(d, "close");
}

static void log_cb1(nc_server_t *s, int status, void *d)
{
    (void)s;
    nh_log(d, "cb1:%s", status == 0 ? "ok" : nc_err_name(status));
}

static void log_cb2(nc_server_t *s, int status, void *d)
{
    (void)s;
    nh_log(d, "cb2:%s", status == 0 ? "ok" : nc_err_name(status));
}

static void test_server_close_twice_not_running(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_server_on(s, NC_SERVER_CLOSE, log_close, fx);
    assert_int_equal(nc_server_close(s, log_cb1, fx), 0);
    assert_int_equal(nc_server_close(s, log_cb2, fx), 0);
    nh_run(fx);
    /* Node 20, server_close.js "a": each close() queues its own 'close'; both callbacks
     * are once-listeners of the first. */
    assert_string_equal(fx->log, "close cb1:ERR_SERVER_NOT_RUNNING cb2:ERR_SERVER_NOT_RUNNING "
                                 "close");
    nc_server_release(s);
}

typedef struct {
    nh_fixture_t *fx;
    nc_socket_t *cli;
} conn_t;

static void cli_close(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    (void)a;
    nh_log(d, "c:close");
}

static void on_conn_close_twice(nc_server_t *s, const void *a, void *d)
{
    nh_fixture_t *fx = d;
    nc_socket_t *c = ((const nc_server_connection_t *)a)->socket;
    nh_log(fx, "connection");
    nc_server_close(s, log_cb1, fx);
    nc_server_close(s, log_cb2, fx);
    nh_log(fx, "listening:%d", nc_server_listening(s));
    nc_socket_end(c, NULL, 0);
    nc_socket_resume(c);
}

static void test_server_close_twice_with_connection(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *s;
    nc_socket_t *c;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_server_on(s, NC_SERVER_CONNECTION, on_conn_close_twice, fx);
    nc_server_on(s, NC_SERVER_CLOSE, log_close, fx);
    nc_connect_options_t co = { .port = nh_listen_local(fx, s), .host = "127.0.0.1" };
    assert_int_equal(nc_socket_new(&fx->loop, NULL, &c), 0);
    nc_socket_on(c, NC_SOCKET_CLOSE, cli_close, fx);
    assert_int_equal(nc_socket_connect(c, &co, NULL), 0);
    nc_socket_resume(c);
    nh_run(fx);
    /* Node 20, server_close.js "s": "s:connection s:listening:false c:close s:close
     * s:cb1:ok s:cb2:ERR_SERVER_NOT_RUNNING": one 'close', once the connection ended. */
    assert_string_equal(fx->log, "connection listening:0 c:close close cb1:ok "
                                 "cb2:ERR_SERVER_NOT_RUNNING");
    nc_socket_release(c);
    nc_server_release(s);
}

/* ---- listen forms ------------------------------------------------------------------- */

static void log_listening(nc_server_t *s, const void *a, void *d)
{
    (void)a;
    nc_address_t addr;
    assert_int_equal(nc_server_address(s, &addr), 0);
    nh_log(d, "listening:%s", addr.port > 0 ? "port" : "none");
}

static void test_server_listen_no_options(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_server_on(s, NC_SERVER_LISTENING, log_listening, fx);
    /* Node: server.listen() is port 0 on '::' (or '0.0.0.0'). */
    assert_int_equal(nc_server_listen(s, NULL, NULL), 0);
    nc_server_unref(s);
    nh_run(fx);
    assert_string_equal(fx->log, "listening:port");
    nc_server_close(s, NULL, NULL);
    nh_run(fx);
    nc_server_release(s);
}

static void test_server_listen_backlog_passed_through(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_server_on(s, NC_SERVER_LISTENING, log_listening, fx);
    /* Node 20 listens with backlog -1 (listen(2) then uses somaxconn). */
    nc_listen_options_t lo = { .host = "127.0.0.1", .backlog = -1 };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    nc_server_unref(s);
    nh_run(fx);
    assert_string_equal(fx->log, "listening:port");
    nc_server_close(s, NULL, NULL);
    nh_run(fx);
    nc_server_release(s);
}

static void count_conn(nc_server_t *s, const void *a, void *d)
{
    (void)a;
    nh_fixture_t *fx = d;
    nh_log(fx, "conn");
    nc_socket_destroy(((const nc_server_connection_t *)a)->socket, 0);
    nc_server_close(s, NULL, NULL);
}

static void test_server_listen_on_server(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *a, *b;
    nc_error_t err = { .port = -1 };
    assert_int_equal(nc_server_new(&fx->loop, NULL, &a), 0);
    assert_int_equal(nc_server_new(&fx->loop, NULL, &b), 0);
    assert_int_equal(nc_server_listen_server(b, a, 0, &err), NC_ERR_INVALID_ARG_VALUE);
    int port = nh_listen_local(fx, a);
    nc_server_on(b, NC_SERVER_LISTENING, log_listening, fx);
    assert_int_equal(nc_server_listen_server(b, a, 0, &err), 0);
    assert_int_equal(nc_server_listen_server(b, a, 0, &err), NC_ERR_SERVER_ALREADY_LISTEN);
    nc_address_t aa, ba;
    assert_int_equal(nc_server_address(b, &ba), 0);
    assert_int_equal(nc_server_address(a, &aa), 0);
    /* Node 20: the same address; here a second fd for the same kernel socket. */
    assert_int_equal(ba.port, port);
    assert_string_equal(ba.address, aa.address);
    assert_true(nc_server_fileno(a) != nc_server_fileno(b));
    /* Closing a leaves b listening (Node: closing one server of a shared handle leaves
     * the other listening too). */
    nc_server_close(a, NULL, NULL);
    nc_server_on(b, NC_SERVER_CONNECTION, count_conn, fx);
    nc_server_on(b, NC_SERVER_CLOSE, log_close, fx);
    nc_socket_t *c;
    assert_int_equal(nc_socket_new(&fx->loop, NULL, &c), 0);
    nc_connect_options_t co = { .port = port, .host = "127.0.0.1" };
    assert_int_equal(nc_socket_connect(c, &co, NULL), 0);
    nc_socket_resume(c);
    nh_run(fx);
    assert_false(nc_server_listening(a));
    assert_string_equal(fx->log, "listening:port conn close");
    nc_error_clear(&err);
    nc_socket_release(c);
    nc_server_release(a);
    nc_server_release(b);
}

#define T(name) cmocka_unit_test_setup_teardown(name, nh_setup, nh_teardown)

static int count_threads(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    if (d != NULL) {
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            n += e->d_name[0] != '.';
        }
        closedir(d);
    }
    return n;
}

/* In a fresh process (the thread pool is process-wide): listens on host, returns 0 when
 * it listened asynchronously and the process still has one thread. */
static int listen_literal_child(const char *host)
{
    uv_loop_t loop;
    nc_server_t *s;
    nc_listen_options_t lo = { .host = host };
    if (uv_loop_init(&loop) != 0 || nc_server_new(&loop, NULL, &s) != 0 ||
        nc_server_listen(s, &lo, NULL) != 0 || nc_server_listening(s)) {
        return 1;
    }
    uv_run(&loop, UV_RUN_NOWAIT);
    nc_address_t a;
    if (!nc_server_listening(s) || nc_server_address(s, &a) != 0 || a.port == 0) {
        return 2;
    }
    int threads = count_threads();
    nc_server_close(s, NULL, NULL);
    nc_server_release(s);
    uv_run(&loop, UV_RUN_DEFAULT);
    return threads == 1 && uv_loop_close(&loop) == 0 ? 0 : 3;
}

/* Node: dns.lookup answers an IP literal itself on the next tick, so listen(port, ip)
 * is asynchronous yet asks no resolver: no getaddrinfo, no thread pool. */
static void test_server_listen_literal_no_resolver(void **state)
{
    (void)state;
    const char *hosts[] = { "127.0.0.1", "::1" };
    for (size_t i = 0; i < 2; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            _exit(listen_literal_child(hosts[i]));
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_server_close_twice_not_running), T(test_server_close_twice_with_connection),
        T(test_server_listen_no_options),       T(test_server_listen_backlog_passed_through),
        T(test_server_listen_on_server),        T(test_server_listen_literal_no_resolver),
    };
    return cmocka_run_group_tests_name("server_more", tests, NULL, NULL);
}
