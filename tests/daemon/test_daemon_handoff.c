/* test_daemon_handoff.c: the four ways netbrokerd hands sockets out, against the real
 * daemon: acquire (served here with nc_server_listen_fd), dispatch round-robin, a
 * subscriber killed mid-dispatch, the blocklist, the fd store across a reconnect, and the
 * daemon's fd count across hundreds of handoffs. */
#include "dhelp.h"
#include "dwork.h"
#include "netcore.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static int create_tcp(dh_client_t *c, const char *name, const char *extra)
{
    size_t size = strlen(extra) + 128;
    char *args = malloc(size);
    assert_non_null(args);
    snprintf(args, size, "{\"name\":\"%s\",\"host\":\"127.0.0.1\",\"port\":0%s}", name, extra);
    json_t *r = dh_call(c, "server.create", args, NULL, NULL);
    free(args);
    int port = (int)json_integer_value(json_object_get(dh_ok(r), "port"));
    assert_true(port > 0);
    json_decref(r);
    return port;
}

/* A dispatch server with a big description (900 blocklist rules): a few replies to
 * server.info fill a client's socket and its queue in the daemon. */
static int create_big_dispatch(dh_client_t *c, const char *name)
{
    size_t size = 60000, n = 0;
    char *args = malloc(size);
    assert_non_null(args);
    n += (size_t)snprintf(args, size, ",\"mode\":\"dispatch\",\"blocklist\":[");
    for (int i = 0; i < 900; i++) {
        n += (size_t)snprintf(args + n, size - n,
                              "%s{\"kind\":\"address\",\"address\":\"10.0.%d.%d\"}",
                              i > 0 ? "," : "", i / 250, i % 250 + 1);
    }
    snprintf(args + n, size - n, "]");
    int port = create_tcp(c, name, args);
    free(args);
    return port;
}

/* Reads exactly n bytes with a deadline. */
static void read_exact(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        assert_int_equal(poll(&p, 1, DH_DEADLINE_MS), 1);
        ssize_t r = read(fd, buf + got, n - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
}

/* ---- acquire: the fd served with libnetcore's listen(handle) ------------------------- */

typedef struct {
    bool served;
    bool got;
    nc_server_t *server;
    nc_socket_t *client;
    uv_timer_t deadline;
} acq_t;

static void acq_on_connection(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    acq_t *a = data;
    nc_socket_t *sock = ((const nc_server_connection_t *)arg)->socket;
    nc_socket_write(sock, "hi", 2, NULL, NULL);
    nc_socket_destroy_soon(sock);
    a->served = true;
}

static void acq_on_data(nc_socket_t *s, const void *arg, void *data)
{
    acq_t *a = data;
    const nc_socket_data_t *d = arg;
    assert_int_equal(d->len, 2);
    assert_memory_equal(d->base, "hi", 2);
    a->got = true;
    nc_socket_destroy(s, 0);
    nc_server_close(a->server, NULL, NULL);
    uv_timer_stop(&a->deadline);
    uv_close((uv_handle_t *)&a->deadline, NULL);
}

static void acq_deadline(uv_timer_t *t)
{
    (void)t;
    fail_msg("no connection served through the acquired fd");
}

static void test_acquire_then_listen_fd_serves(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    int port = create_tcp(&c, "api", "");
    int fds[1];
    size_t nfds = 0;
    json_t *r = dh_call(&c, "server.acquire", "{\"name\":\"api\"}", fds, &nfds);
    assert_int_equal(json_integer_value(json_object_get(dh_ok(r), "port")), port);
    assert_int_equal(nfds, 1);
    json_decref(r);

    uv_loop_t loop;
    uv_loop_init(&loop);
    acq_t a = { 0 };
    assert_int_equal(nc_server_new(&loop, NULL, &a.server), 0);
    nc_server_on(a.server, NC_SERVER_CONNECTION, acq_on_connection, &a);
    assert_int_equal(nc_server_listen_fd(a.server, fds[0], 0, NULL), 0);
    assert_int_equal(nc_socket_new(&loop, NULL, &a.client), 0);
    nc_socket_on(a.client, NC_SOCKET_DATA, acq_on_data, &a);
    nc_connect_options_t co = { .port = port, .host = "127.0.0.1" };
    assert_int_equal(nc_socket_connect(a.client, &co, NULL), 0);
    uv_timer_init(&loop, &a.deadline);
    uv_timer_start(&a.deadline, acq_deadline, DH_DEADLINE_MS, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(a.served && a.got);
    nc_socket_release(a.client);
    nc_server_release(a.server);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);

    /* The daemon's listener is its own: another acquire still gets it. */
    close(dh_call_fd(&c, "server.acquire", "{\"name\":\"api\"}"));
    dh_close(&c);
}

/* ---- dispatch ----------------------------------------------------------------------- */

/* Takes the next dispatched connection of c, checks it is the one whose client end is
 * `peer` by sending a byte through it. */
static void expect_dispatch(dh_client_t *c, int peer)
{
    int fd = -1;
    json_t *e = dh_event(c, "connection", &fd);
    assert_int_equal(json_integer_value(json_object_get(e, "remotePort")), dh_local_port(peer));
    assert_string_equal(json_string_value(json_object_get(e, "remoteAddress")), "127.0.0.1");
    json_decref(e);
    assert_int_equal(send(fd, "x", 1, MSG_NOSIGNAL), 1);
    char b;
    read_exact(peer, &b, 1);
    assert_int_equal(b, 'x');
    close(fd);
}

static void test_dispatch_round_robin(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t admin, a, b;
    dh_connect(&admin, d);
    dh_connect(&a, d);
    dh_connect(&b, d);
    int port = create_tcp(&admin, "web", ",\"mode\":\"dispatch\"");
    dh_subscribe(&a, "web");
    dh_subscribe(&b, "web");
    for (int i = 0; i < 6; i++) {
        int peer = dh_tcp_connect(NULL, port);
        expect_dispatch(i % 2 == 0 ? &a : &b, peer);
        close(peer);
    }
    json_t *s = dw_server_stats(&admin, "web");
    assert_int_equal(dw_stat(s, "accepted"), 6);
    assert_int_equal(dw_stat(s, "dispatched"), 6);
    assert_int_equal(dw_stat(s, "subscribers"), 2);
    json_decref(s);
    dh_close(&a);
    dh_close(&b);
    dh_close(&admin);
}

/* A connection waits in the queue while nobody subscribes, then goes to the first. */
static void test_dispatch_queue_then_subscriber(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t admin, a;
    dh_connect(&admin, d);
    dh_connect(&a, d);
    int port = create_tcp(&admin, "web", ",\"mode\":\"dispatch\"");
    int peer = dh_tcp_connect(NULL, port);
    dh_wait_queued(&admin, "web", 1);
    dh_subscribe(&a, "web");
    expect_dispatch(&a, peer);
    close(peer);
    dh_close(&a);
    dh_close(&admin);
}

static void test_dispatch_subscriber_killed(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t admin, b;
    dh_connect(&admin, d);
    dh_connect(&b, d);
    int port = create_tcp(&admin, "web", ",\"mode\":\"dispatch\"");
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dh_client_t a;
        dh_connect(&a, d);
        dh_subscribe(&a, "web");
        char ok = 'k';
        (void)!write(pipefd[1], &ok, 1);
        pause(); /* never reads: killed while connections are on their way */
        _exit(0);
    }
    char ok;
    read_exact(pipefd[0], &ok, 1);
    close(pipefd[0]);
    close(pipefd[1]);
    dh_subscribe(&b, "web");
    /* The first connection goes to the child, which never takes it. */
    int first = dh_tcp_connect(NULL, port);
    dh_client_t admin2;
    dh_connect(&admin2, d);
    for (;;) {
        json_t *s = dw_server_stats(&admin2, "web");
        json_int_t dispatched = dw_stat(s, "dispatched");
        json_decref(s);
        if (dispatched == 1) {
            break;
        }
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    close(first);
    /* Every later connection reaches the survivor, whatever the daemon noticed first. */
    for (int i = 0; i < 4; i++) {
        int peer = dh_tcp_connect(NULL, port);
        expect_dispatch(&b, peer);
        close(peer);
    }
    dh_close(&admin2);
    dh_close(&b);
    dh_close(&admin);
}

/* A subscriber whose output does not leave (it does not read) holds maxPending
 * connections at most; the next ones go to the other subscriber, and it gets its own
 * once it reads again. */
static void test_dispatch_stuck_subscriber_skipped(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t admin, a, b;
    dh_connect(&admin, d);
    dh_connect(&a, d);
    dh_connect(&b, d);
    int port = create_big_dispatch(&admin, "web");
    dh_call_ok(&a, "server.subscribe", "{\"name\":\"web\",\"maxPending\":1}");
    dh_subscribe(&b, "web");
    int64_t first = a.next_id;
    for (int i = 0; i < 14; i++) {
        dh_send(&a, "server.info", "{\"name\":\"web\"}", NULL, 0);
    }
    json_decref(dh_call(&admin, "stats", NULL, NULL, NULL)); /* A's requests were run */
    int peers[4];
    for (int i = 0; i < 4; i++) {
        peers[i] = dh_tcp_connect(NULL, port);
    }
    int got = 0;
    for (int i = 0; i < 3; i++) { /* at most one of four waits in A's output */
        int fd = -1;
        json_t *e = dh_event(&b, "connection", &fd);
        json_decref(e);
        close(fd);
        got++;
    }
    /* A reads again: its replies, then what was pending for it, if anything. */
    for (int64_t id = first; id < a.next_id; id++) {
        json_decref(dh_reply(&a, id, NULL, NULL));
    }
    json_decref(dh_call(&admin, "stats", NULL, NULL, NULL));
    json_t *s = dw_server_stats(&admin, "web");
    json_int_t dispatched = dw_stat(s, "dispatched");
    json_decref(s);
    assert_true(dispatched >= got);
    if (dispatched == 4 && got == 3) {
        int fd = -1;
        json_t *e = dh_event(&a, "connection", &fd);
        json_decref(e);
        close(fd);
    }
    for (int i = 0; i < 4; i++) {
        close(peers[i]);
    }
    dh_close(&a);
    dh_close(&b);
    dh_close(&admin);
}

/* SIGTERM while connections wait in a subscriber's output: the daemon stops accepting,
 * the subscriber still gets them once it reads, then the daemon exits 0. */
static void test_sigterm_finishes_handoffs(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t admin, a;
    dh_connect(&admin, d);
    dh_connect(&a, d);
    int port = create_big_dispatch(&admin, "web");
    dh_subscribe(&a, "web");
    int64_t first = a.next_id;
    for (int i = 0; i < 14; i++) { /* replies that fill A's socket: what follows waits */
        dh_send(&a, "server.info", "{\"name\":\"web\"}", NULL, 0);
    }
    int peers[2];
    for (int i = 0; i < 2; i++) {
        peers[i] = dh_tcp_connect(NULL, port);
    }
    for (;;) { /* both handed to A's output */
        json_t *st = dw_server_stats(&admin, "web");
        json_int_t queued = dw_stat(st, "queued");
        json_int_t accepted = dw_stat(st, "accepted");
        json_int_t dispatched = dw_stat(st, "dispatched");
        json_decref(st);
        if (accepted == 2 && queued == 0) {
            assert_int_equal(dispatched, 0); /* in A's output, not sent: in flight */
            break;
        }
    }
    assert_int_equal(kill(d->pid, SIGTERM), 0);
    for (int64_t id = first; id < a.next_id; id++) {
        json_decref(dh_reply(&a, id, NULL, NULL));
    }
    for (int i = 0; i < 2; i++) {
        int fd = -1;
        json_t *e = dh_event(&a, "connection", &fd);
        assert_int_equal(json_integer_value(json_object_get(e, "remotePort")),
                         dh_local_port(peers[i]));
        json_decref(e);
        close(fd);
        close(peers[i]);
    }
    assert_true(dh_wait_closed(&a));
    dh_close(&a);
    dh_close(&admin);
    dh_daemon_wait_exit(d);
}

static void test_dispatch_blocklist(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t admin, a;
    dh_connect(&admin, d);
    dh_connect(&a, d);
    int port = create_tcp(&admin, "web",
                          ",\"mode\":\"dispatch\",\"blocklist\":[{\"kind\":\"address\","
                          "\"address\":\"127.0.0.2\"}]");
    dh_call_ok(&admin, "events.subscribe", "{\"server\":\"web\",\"events\":[\"drop\"]}");
    dh_subscribe(&a, "web");
    int bad = dh_tcp_connect("127.0.0.2", port);
    json_t *e = dh_event(&admin, "drop", NULL);
    assert_string_equal(json_string_value(json_object_get(e, "reason")), "blocklist");
    assert_string_equal(json_string_value(json_object_get(e, "remoteAddress")), "127.0.0.2");
    json_decref(e);
    dh_expect_eof(bad); /* closed before anyone saw it */
    close(bad);
    int good = dh_tcp_connect("127.0.0.1", port);
    expect_dispatch(&a, good);
    close(good);
    json_t *s = dw_server_stats(&admin, "web");
    assert_int_equal(dw_stat(s, "blocked"), 1);
    assert_int_equal(dw_stat(s, "dispatched"), 1);
    json_decref(s);
    dh_close(&a);
    dh_close(&admin);
}

static void test_fd_store_across_reconnect(void **state)
{
    dh_daemon_t *d = *state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    dh_client_t c;
    dh_connect(&c, d);
    json_t *r =
        dh_reply(&c, dh_send(&c, "fd.store", "{\"name\":\"my pipe\"}", &p[0], 1), NULL, NULL);
    assert_string_equal(json_string_value(json_object_get(dh_ok(r), "type")), "fifo");
    json_decref(r);
    close(p[0]);
    dh_close(&c);

    dh_connect(&c, d);
    r = dh_call(&c, "fd.list", NULL, NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "fds")), 1);
    json_decref(r);
    int fd = dh_call_fd(&c, "fd.retrieve", "{\"name\":\"my pipe\",\"remove\":true}");
    assert_int_equal(write(p[1], "z", 1), 1);
    char b;
    read_exact(fd, &b, 1);
    assert_int_equal(b, 'z');
    close(fd);
    close(p[1]);
    r = dh_call(&c, "fd.retrieve", "{\"name\":\"my pipe\"}", NULL, NULL);
    dh_assert_error(r, "ERR_NOT_FOUND");
    json_decref(r);
    dh_close(&c);
}

/* Parked fds are mirrored into systemd's fd store, and a new daemon that inherits them
 * (LISTEN_FDS, LISTEN_FDNAMES) has them parked again: a restart loses nothing. */
static void test_fd_store_survives_restart(void **state)
{
    dh_daemon_t *d = *state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    dh_client_t c;
    dh_connect(&c, d);
    json_t *r =
        dh_reply(&c, dh_send(&c, "fd.store", "{\"name\":\"keep me\"}", &p[0], 1), NULL, NULL);
    dh_ok(r);
    json_decref(r);
    close(p[0]);
    int mirrored = dh_notify_take(d, "FDSTORE=1\nFDNAME=nb-fd.keep me");
    assert_true(mirrored >= 0);
    dh_close(&c);
    dh_daemon_stop(d); /* no FDSTOREREMOVE: the mirror is what survives */
    dh_daemon_cleanup(d);

    dh_daemon_init(d, NULL);
    d->listen_fd = mirrored;
    snprintf(d->listen_name, sizeof(d->listen_name), "nb-fd.keep me");
    dh_daemon_start(d);
    close(mirrored);
    dh_connect(&c, d);
    int fd = dh_call_fd(&c, "fd.retrieve", "{\"name\":\"keep me\"}");
    assert_int_equal(write(p[1], "r", 1), 1);
    char b;
    read_exact(fd, &b, 1);
    assert_int_equal(b, 'r');
    close(fd);
    close(p[1]);
    dh_call_ok(&c, "fd.remove", "{\"name\":\"keep me\"}");
    assert_int_equal(dh_notify_take(d, "FDSTOREREMOVE=1\nFDNAME=nb-fd.keep me"), -1);
    dh_close(&c);
}

/* Hundreds of handoffs of every kind: the daemon ends with the fds it started with. */
static void test_fd_count_across_handoffs(void **state)
{
    dh_daemon_t *d = *state;
    int inheritable = dh_daemon_inheritable_count(d); /* what exec gave it */
    dh_client_t c, sub;
    dh_connect(&c, d);
    dh_connect(&sub, d);
    create_tcp(&c, "api", "");
    int port = create_tcp(&c, "web", ",\"mode\":\"dispatch\"");
    dh_subscribe(&sub, "web");
    int before = dh_daemon_fd_count(d);
    int self_before = dh_self_fd_count();
    for (int i = 0; i < 300; i++) {
        int fd = dh_call_fd(&c, "server.acquire", "{\"name\":\"api\"}");
        json_t *r = dh_reply(&c, dh_send(&c, "fd.store", "{\"name\":\"l\"}", &fd, 1), NULL, NULL);
        dh_ok(r);
        json_decref(r);
        close(fd);
        /* The fixture plays systemd: it takes the mirror and its drop as they come. */
        close(dh_notify_take(d, "FDSTORE=1"));
        close(dh_call_fd(&c, "fd.retrieve", "{\"name\":\"l\",\"remove\":true}"));
        assert_int_equal(dh_notify_take(d, "FDSTOREREMOVE=1"), -1);
        int peer = dh_tcp_connect(NULL, port);
        expect_dispatch(&sub, peer);
        close(peer);
    }
    /* Every fd the daemon made while serving is CLOEXEC: held listeners, parked fds,
     * clients, connections in flight. */
    int p[2];
    assert_int_equal(pipe(p), 0);
    json_t *r = dh_reply(&c, dh_send(&c, "fd.store", "{\"name\":\"held\"}", &p[0], 1), NULL, NULL);
    dh_ok(r);
    json_decref(r);
    close(dh_notify_take(d, "FDSTORE=1"));
    int quiet = create_tcp(&c, "quiet", ",\"mode\":\"dispatch\"");
    int held = dh_tcp_connect(NULL, quiet); /* queued: "quiet" has no subscriber */
    dh_wait_queued(&c, "quiet", 1);
    assert_int_equal(dh_daemon_inheritable_count(d), inheritable);
    json_decref(dh_call(&c, "server.close", "{\"name\":\"quiet\"}", NULL, NULL));
    close(held);
    dh_call_ok(&c, "fd.remove", "{\"name\":\"held\"}");
    assert_int_equal(dh_notify_take(d, "FDSTOREREMOVE=1"), -1);
    close(p[0]);
    close(p[1]);
    dh_expect_fd_count(d, &c, before);
    assert_int_equal(dh_self_fd_count(), self_before);
    dh_close(&sub);
    dh_close(&c);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_acquire_then_listen_fd_serves, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_round_robin, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_queue_then_subscriber, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_subscriber_killed, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_stuck_subscriber_skipped, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_finishes_handoffs, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_blocklist, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fd_store_across_reconnect, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fd_store_survives_restart, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fd_count_across_handoffs, dh_fixture_setup,
                                        dh_fixture_teardown),
    };
    return cmocka_run_group_tests_name("daemon_handoff", tests, NULL, NULL);
}
