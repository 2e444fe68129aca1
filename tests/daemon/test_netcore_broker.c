/* test_netcore_broker.c: libnetcore's listen provider answered by a real netbrokerd
 * (glue/netbroker_netcore.h): a non-exclusive listen on a configured server's address
 * serves the broker's listener; an exclusive one binds and meets EADDRINUSE; a listen
 * no server matches binds itself; an unreachable broker is the server's 'error'; a broker
 * that is slow to answer does not stop the loop. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "dhelp.h"
#include "netbroker_netcore.h"
#include "netcore.h"

typedef struct {
    dh_daemon_t d;
    uv_loop_t loop;
    uv_poll_t peer_poll; /* the fixture's: its close completes in a later run */
    int fds_before;
    int port;            /* the broker's "web" server, 127.0.0.1 */
    char unix_path[100]; /* the broker's "local" server (fits sun_path) */
    char log[512];
} fixture_t;

/* The port of the broker's "web" server, once it listens: a server with a host binds on
 * a later turn of the daemon's loop (Node's lookupAndListen), possibly after READY=1, so
 * this asks again (round trips, no sleep) until it is listening, within the deadline. */
static int broker_port(dh_daemon_t *d)
{
    dh_client_t c;
    struct timespec t0, now;
    int port = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dh_connect(&c, d);
    do {
        json_t *r = dh_call(&c, "server.info", "{\"name\":\"web\"}", NULL, NULL);
        json_t *res = dh_ok(r);
        if (json_is_true(json_object_get(res, "listening"))) {
            port = (int)json_integer_value(json_object_get(res, "port"));
        }
        json_decref(r);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (port == 0 && (now.tv_sec - t0.tv_sec) * 1000 < DH_DEADLINE_MS);
    dh_close(&c);
    assert_true(port > 0);
    return port;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->fds_before = dh_self_fd_count();
    dh_daemon_init(&f->d, "{}");
    snprintf(f->unix_path, sizeof(f->unix_path), "%s/local.sock", f->d.dir);
    char config[512];
    snprintf(config, sizeof(config),
             "{\"servers\":{\"web\":{\"host\":\"127.0.0.1\",\"port\":0},"
             "\"local\":{\"path\":\"%s\"}}}",
             f->unix_path);
    dh_daemon_write_config(&f->d, config);
    dh_daemon_start(&f->d);
    f->port = broker_port(&f->d);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(nb_netcore_provider_install(f->d.control, DH_DEADLINE_MS), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    nb_netcore_provider_uninstall();
    /* The daemon first: a failed test's loop check must not leave it running. */
    dh_daemon_stop(&f->d);
    dh_daemon_cleanup(&f->d);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    assert_int_equal(dh_self_fd_count(), f->fds_before);
    free(f);
    return 0;
}

static void on_listening(nc_server_t *s, const void *arg, void *data)
{
    fixture_t *f = data;
    (void)s;
    (void)arg;
    strcat(f->log, "listening ");
    uv_stop(&f->loop);
}

static void on_error(nc_server_t *s, const void *arg, void *data)
{
    fixture_t *f = data;
    const nc_error_t *e = arg;
    (void)s;
    snprintf(f->log + strlen(f->log), sizeof(f->log) - strlen(f->log), "error(%s) ", e->message);
    uv_stop(&f->loop);
}

static void on_connection(nc_server_t *s, const void *arg, void *data)
{
    const nc_server_connection_t *conn = arg;
    (void)s;
    (void)data;
    nc_socket_end(conn->socket, "hello\n", 6);
    nc_socket_resume(conn->socket);
}

/* Listens and runs the loop until 'listening' or 'error'. */
static nc_server_t *listen_now(fixture_t *f, const nc_listen_options_t *lo)
{
    nc_server_t *s;
    assert_int_equal(nc_server_new(&f->loop, NULL, &s), 0);
    nc_server_on(s, NC_SERVER_LISTENING, on_listening, f);
    nc_server_on(s, NC_SERVER_ERROR, on_error, f);
    nc_server_on(s, NC_SERVER_CONNECTION, on_connection, f);
    assert_int_equal(nc_server_listen(s, lo, NULL), 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    return s;
}

static void server_done(fixture_t *f, nc_server_t *s)
{
    nc_server_close(s, NULL, NULL);
    nc_server_release(s);
    uv_run(&f->loop, UV_RUN_DEFAULT);
}

static void on_peer_readable(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    uv_poll_stop(h);
    uv_stop(h->loop);
}

/* The loop runs (the server accepts and answers) until the peer can read; then the peer
 * reads the line and hangs up, and server_done's run lets the connection end. */
static void serve_one(fixture_t *f, int peer)
{
    uv_poll_t *p = &f->peer_poll;
    assert_int_equal(uv_poll_init(&f->loop, p, peer), 0);
    assert_int_equal(uv_poll_start(p, UV_READABLE, on_peer_readable), 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)p, NULL);
    char buf[16] = { 0 };
    assert_int_equal(read(peer, buf, sizeof(buf) - 1), 6);
    assert_string_equal(buf, "hello\n");
    close(peer);
}

static void test_broker_hands_tcp_listener(void **state)
{
    fixture_t *f = *state;
    nc_listen_options_t lo = { .host = "127.0.0.1", .port = f->port };
    nc_server_t *s = listen_now(f, &lo);
    assert_string_equal(f->log, "listening ");
    nc_address_t a;
    assert_int_equal(nc_server_address(s, &a), 0);
    assert_int_equal(a.port, f->port);
    serve_one(f, dh_tcp_connect(NULL, f->port));
    server_done(f, s);
}

static void test_broker_hands_unix_listener(void **state)
{
    fixture_t *f = *state;
    nc_listen_options_t lo = { .path = f->unix_path, .path_len = strlen(f->unix_path) };
    nc_server_t *s = listen_now(f, &lo);
    assert_string_equal(f->log, "listening ");
    int peer = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->unix_path);
    assert_int_equal(connect(peer, (struct sockaddr *)&sun, sizeof(sun)), 0);
    serve_one(f, peer);
    server_done(f, s);
}

/* exclusive: libnetcore binds itself, and the broker holds the port. */
static void test_broker_exclusive_binds_itself(void **state)
{
    fixture_t *f = *state;
    nc_listen_options_t lo = { .host = "127.0.0.1", .port = f->port, .exclusive = true };
    nc_server_t *s = listen_now(f, &lo);
    char want[128];
    snprintf(want, sizeof(want), "error(listen EADDRINUSE: address already in use 127.0.0.1:%d) ",
             f->port);
    assert_string_equal(f->log, want);
    server_done(f, s);
}

/* No broker server on that address: the provider declines, the server binds itself. */
static void test_broker_declines_other_address(void **state)
{
    fixture_t *f = *state;
    nc_listen_options_t lo = { .host = "127.0.0.1", .port = 0 };
    nc_server_t *s = listen_now(f, &lo);
    assert_string_equal(f->log, "listening ");
    nc_address_t a;
    assert_int_equal(nc_server_address(s, &a), 0);
    assert_int_not_equal(a.port, f->port);
    serve_one(f, dh_tcp_connect(NULL, a.port));
    server_done(f, s);
}

static void test_broker_unreachable(void **state)
{
    fixture_t *f = *state;
    char gone[160];
    snprintf(gone, sizeof(gone), "%s/no-such.sock", f->d.dir);
    assert_int_equal(nb_netcore_provider_install(gone, DH_DEADLINE_MS), 0);
    nc_listen_options_t lo = { .host = "127.0.0.1", .port = f->port };
    nc_server_t *s = listen_now(f, &lo);
    char want[128];
    snprintf(want, sizeof(want), "error(bind ENOENT 127.0.0.1:%d) ", f->port);
    assert_string_equal(f->log, want);
    assert_false(nc_server_listening(s));
    server_done(f, s);
}

/* The test's own "daemon" on the listen's loop: it takes the provider's connection and
 * hangs up at once. Only a loop that runs while the listen waits can do that. */
static void on_stub_daemon(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    int *listener = h->data;
    int conn = accept4(*listener, NULL, NULL, SOCK_CLOEXEC);
    if (conn >= 0) {
        close(conn);
    }
    uv_poll_stop(h);
    uv_close((uv_handle_t *)h, NULL);
}

/* The provider's conversation runs beside the loop, not in it: the loop accepts and hangs
 * up on the provider's connection while the listen waits, so the listen fails with the
 * hang-up (ECONNRESET or EPIPE) well before its deadline (a provider that blocked the loop would
 * wait the whole deadline out and fail with ETIMEDOUT). */
static void test_broker_conversation_beside_loop(void **state)
{
    fixture_t *f = *state;
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/stub.sock", f->d.dir);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    assert_true(listener >= 0);
    assert_int_equal(bind(listener, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(listen(listener, 4), 0);
    assert_int_equal(nb_netcore_provider_install(sun.sun_path, DH_DEADLINE_MS), 0);
    uv_poll_t stub;
    assert_int_equal(uv_poll_init(&f->loop, &stub, listener), 0);
    stub.data = &listener;
    assert_int_equal(uv_poll_start(&stub, UV_READABLE, on_stub_daemon), 0);
    nc_listen_options_t lo = { .host = "127.0.0.1", .port = f->port };
    nc_server_t *s = listen_now(f, &lo);
    /* The hang-up meets the provider's hello as it is written or as it waits. */
    char reset[128], pipe[128];
    snprintf(reset, sizeof(reset), "error(bind ECONNRESET 127.0.0.1:%d) ", f->port);
    snprintf(pipe, sizeof(pipe), "error(bind EPIPE 127.0.0.1:%d) ", f->port);
    if (strcmp(f->log, pipe) != 0) {
        assert_string_equal(f->log, reset);
    }
    assert_false(nc_server_listening(s));
    server_done(f, s);
    close(listener);
    unlink(sun.sun_path);
}

int main(void)
{
    /* libuv opens a process-wide pipe with its first loop (signal handling's lock),
     * never closed: open it before any test counts fds. */
    uv_loop_t warm;
    uv_loop_init(&warm);
    uv_loop_close(&warm);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_broker_hands_tcp_listener, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broker_hands_unix_listener, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broker_exclusive_binds_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broker_declines_other_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broker_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broker_conversation_beside_loop, setup, teardown),
    };
    return cmocka_run_group_tests_name("netcore_broker", tests, NULL, NULL);
}
