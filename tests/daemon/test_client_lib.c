/* test_client_lib.c: libnetbroker against a real netbrokerd: hello, blocking calls and
 * their errors, the non-blocking API driven by poll, and each helper (acquire, subscribe
 * and dispatched connections, outbound connect, fd store), with fd counts. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>

#include <cmocka.h>

#include "dhelp.h"
#include "netbroker.h"

#define T 5000 /* ms: every call's deadline */

typedef struct {
    dh_daemon_t d;
    nb_client_t *c;
    int fds_before;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    nb_client_error_t err;
    assert_non_null(f);
    f->fds_before = dh_self_fd_count();
    dh_daemon_init(&f->d, NULL);
    dh_daemon_start(&f->d);
    assert_int_equal(nb_client_open(f->d.control, T, &f->c, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    nb_client_close(f->c);
    dh_daemon_stop(&f->d);
    dh_daemon_cleanup(&f->d);
    assert_int_equal(dh_self_fd_count(), f->fds_before);
    free(f);
    return 0;
}

/* A TCP listener on 127.0.0.1 with a free port; returns its fd, the port in *port. */
static int local_listener(int *port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    *port = ntohs(sin.sin_port);
    return fd;
}

static int server_port(nb_client_t *c, const char *name)
{
    nb_client_msg_t reply;
    char args[128];
    snprintf(args, sizeof(args), "{\"name\":\"%s\"}", name);
    assert_int_equal(nb_client_call(c, "server.info", args, NULL, 0, T, &reply, NULL), 0);
    json_t *msg = json_loads(reply.json, 0, NULL);
    int port = (int)json_integer_value(json_object_get(json_object_get(msg, "result"), "port"));
    json_decref(msg);
    nb_client_msg_clear(&reply);
    return port;
}

static void test_client_hello(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(nb_client_protocol_version(f->c), 1);
    assert_true(nb_client_has_capability(f->c, "server.acquire"));
    assert_false(nb_client_has_capability(f->c, "server.teleport"));
    assert_string_equal(nb_client_daemon(f->c), "netbrokerd 0.1.0");
    assert_true(nb_client_fileno(f->c) >= 0);
}

static void test_client_call_errors(void **state)
{
    fixture_t *f = *state;
    nb_client_error_t err;
    int r = nb_client_call(f->c, "server.info", "{\"name\":\"nope\"}", NULL, 0, T, NULL, &err);
    assert_int_equal(r, NB_CLIENT_ERR_NOT_FOUND);
    assert_string_equal(err.name, "ERR_NOT_FOUND");
    assert_string_equal(err.message, "No server named 'nope'");
    /* Refused locally, with the daemon's own words, before it is sent. */
    r = nb_client_call(f->c, "server.create", "{\"name\":\"x\",\"port\":70000}", NULL, 0, T, NULL,
                       &err);
    assert_int_equal(r, NB_CLIENT_ERR_SOCKET_BAD_PORT);
    assert_string_equal(err.name, "ERR_SOCKET_BAD_PORT");
    r = nb_client_call(f->c, "server.list", "[1]", NULL, 0, T, NULL, &err);
    assert_int_equal(r, NB_CLIENT_ERR_INVALID_ARG_TYPE);
    r = nb_client_call(f->c, "server.list", "{", NULL, 0, T, NULL, &err);
    assert_int_equal(r, NB_CLIENT_ERR_INVALID_ARG_TYPE);
    /* An operation this library does not know goes to the daemon, which refuses it. */
    r = nb_client_call(f->c, "server.teleport", NULL, NULL, 0, T, NULL, &err);
    assert_int_equal(r, NB_CLIENT_ERR_UNKNOWN_OP);
    /* The connection is still fine. */
    assert_int_equal(nb_client_call(f->c, "server.list", NULL, NULL, 0, T, NULL, &err), 0);
}

/* The non-blocking API driven by poll(), as an event loop would: two pipelined requests,
 * replies matched by id. */
static void test_client_nonblocking(void **state)
{
    fixture_t *f = *state;
    int64_t id1, id2;
    nb_client_msg_t m;
    bool got1 = false, got2 = false;

    assert_int_equal(nb_client_send(f->c, "server.list", NULL, NULL, 0, &id1, NULL), 0);
    assert_int_equal(nb_client_send(f->c, "fd.list", NULL, NULL, 0, &id2, NULL), 0);
    assert_int_not_equal(id1, id2);
    for (;;) {
        /* send() may already have queued both replies: drain before every wait. */
        while (nb_client_next(f->c, &m) == 1) {
            assert_int_equal(m.kind, NB_CLIENT_MSG_REPLY);
            assert_true(m.ok);
            got1 |= m.id == id1;
            got2 |= m.id == id2;
            assert_non_null(strstr(m.json, m.id == id1 ? "\"servers\"" : "\"fds\""));
            nb_client_msg_clear(&m);
        }
        if (got1 && got2) {
            break;
        }
        struct pollfd p = { .fd = nb_client_fileno(f->c), .events = POLLIN };
        if (nb_client_wants_write(f->c)) {
            p.events |= POLLOUT;
        }
        assert_int_equal(poll(&p, 1, T), 1);
        assert_int_equal(nb_client_process(f->c), 0);
    }
    assert_int_equal(nb_client_next(f->c, &m), 0);
}

static void test_client_acquire(void **state)
{
    fixture_t *f = *state;
    nb_client_error_t err;
    int fd = -1;
    assert_int_equal(nb_client_call(f->c, "server.create",
                                    "{\"name\":\"api\",\"host\":\"127.0.0.1\",\"port\":0}", NULL, 0,
                                    T, NULL, &err),
                     0);
    assert_int_equal(nb_client_acquire(f->c, "api", T, &fd, &err), 0);
    int port = server_port(f->c, "api");
    int peer = dh_tcp_connect(NULL, port);
    int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    assert_true(conn >= 0);
    assert_int_equal(write(peer, "x", 1), 1);
    char b;
    assert_int_equal(read(conn, &b, 1), 1);
    close(conn);
    close(peer);
    close(fd);
    assert_int_equal(nb_client_acquire(f->c, "nope", T, &fd, &err), NB_CLIENT_ERR_NOT_FOUND);
}

static void test_client_dispatch(void **state)
{
    fixture_t *f = *state;
    nb_client_error_t err;
    nb_client_connection_t conn;
    assert_int_equal(nb_client_call(f->c, "server.create",
                                    "{\"name\":\"web\",\"host\":\"127.0.0.1\",\"port\":0,"
                                    "\"mode\":\"dispatch\"}",
                                    NULL, 0, T, NULL, &err),
                     0);
    assert_int_equal(nb_client_subscribe(f->c, "web", 4, T, &err), 0);
    int port = server_port(f->c, "web");
    int peer = dh_tcp_connect(NULL, port);
    assert_int_equal(nb_client_next_connection(f->c, T, &conn, &err), 0);
    assert_string_equal(conn.server, "web");
    assert_string_equal(conn.remote_address, "127.0.0.1");
    assert_int_equal(conn.remote_port, dh_local_port(peer));
    assert_string_equal(conn.remote_family, "IPv4");
    assert_int_equal(conn.local_port, port);
    /* The fd is the connection itself: bytes cross it both ways, none read by the broker. */
    assert_int_equal(write(peer, "ping", 4), 4);
    char buf[8] = { 0 };
    assert_int_equal(read(conn.fd, buf, sizeof(buf)), 4);
    assert_string_equal(buf, "ping");
    close(conn.fd);
    close(peer);
    assert_int_equal(nb_client_next_connection(f->c, 50, &conn, &err), -ETIMEDOUT);
}

static void test_client_connect_tcp(void **state)
{
    fixture_t *f = *state;
    nb_client_error_t err;
    int port, fd = -1;
    int lfd = local_listener(&port);
    assert_int_equal(nb_client_connect_tcp(f->c, "127.0.0.1", port, T, &fd, &err), 0);
    int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    assert_true(conn >= 0);
    assert_int_equal(write(fd, "hi", 2), 2);
    char buf[4] = { 0 };
    assert_int_equal(read(conn, buf, sizeof(buf)), 2);
    assert_string_equal(buf, "hi");
    close(conn);
    close(fd);
    close(lfd);
    /* Nobody listens there any more. */
    assert_int_equal(nb_client_connect_tcp(f->c, "127.0.0.1", port, T, &fd, &err), -ECONNREFUSED);
    assert_string_equal(err.name, "ECONNREFUSED");
}

static void test_client_fd_store(void **state)
{
    fixture_t *f = *state;
    nb_client_error_t err;
    int p[2], back = -1;
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    assert_int_equal(nb_client_fd_store(f->c, "my-pipe", p[1], 0, false, T, &err), 0);
    assert_int_equal(nb_client_fd_store(f->c, "my-pipe", p[1], 0, false, T, &err), -EEXIST);
    close(p[1]);
    /* Across a reconnect, the parked fd is still there. */
    nb_client_close(f->c);
    assert_int_equal(nb_client_open(f->d.control, T, &f->c, &err), 0);
    assert_int_equal(nb_client_fd_retrieve(f->c, "my-pipe", true, T, &back, &err), 0);
    assert_int_equal(write(back, "z", 1), 1);
    close(back);
    char c;
    assert_int_equal(read(p[0], &c, 1), 1);
    assert_int_equal(c, 'z');
    close(p[0]);
    assert_int_equal(nb_client_fd_retrieve(f->c, "my-pipe", false, T, &back, &err),
                     NB_CLIENT_ERR_NOT_FOUND);
}

static void test_client_daemon_gone(void **state)
{
    fixture_t *f = *state;
    nb_client_error_t err;
    assert_int_equal(nb_client_call(f->c, "daemon.shutdown", NULL, NULL, 0, T, NULL, &err), 0);
    dh_daemon_wait_exit(&f->d);
    int r = nb_client_call(f->c, "server.list", NULL, NULL, 0, T, NULL, &err);
    assert_true(r == -ECONNRESET || r == -EPIPE);
    dh_daemon_start(&f->d); /* teardown stops it again */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_client_hello, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_call_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_nonblocking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_acquire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_dispatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_connect_tcp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_fd_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_daemon_gone, setup, teardown),
    };
    return cmocka_run_group_tests_name("client_lib", tests, NULL, NULL);
}
