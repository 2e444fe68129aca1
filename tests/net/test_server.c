/* test_server.c: net.Server on real loopback and Unix sockets: listen forms, errors
 * with Node's messages, 'close' semantics, maxConnections/'drop', options, ref/unref.
 * Expected orders come from Node 20 running the same scenario (noted per test). */
#include "nethelp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/un.h>

static void log_event(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    nh_log(data, "%s", "?");
}

static void log_listening(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    nh_log(data, "listening");
}

static void log_close(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    nh_log(data, "close");
}

static void log_error(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    const nc_error_t *e = arg;
    nh_log(data, "error:%s", nc_err_name(e->code));
}

static void log_close_cb(nc_server_t *s, int status, void *data)
{
    (void)s;
    nh_log(data, "closecb:%s", status == 0 ? "ok" : nc_err_name(status));
}

static void test_server_listen_is_deferred(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_server_on(s, NC_SERVER_LISTENING, log_listening, fx);
    nc_listen_options_t lo = { .port = 0, .host = "127.0.0.1" };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    nh_log(fx, "sync");
    assert_true(nc_server_listening(s));
    nc_address_t a;
    assert_int_equal(nc_server_address(s, &a), 0);
    assert_string_equal(a.address, "127.0.0.1");
    assert_string_equal(a.family, "IPv4");
    assert_true(a.port > 0);
    /* Node: node-net.md "server.listen()": every listener has SO_REUSEADDR. */
    assert_int_equal(nh_sockopt(nc_server_fileno(s), SOL_SOCKET, SO_REUSEADDR), 1);
    nc_server_unref(s); /* lets the loop return once 'listening' ran */
    nh_run(fx);
    assert_string_equal(fx->log, "sync listening");
    assert_int_equal(nc_server_close(s, log_close_cb, fx), 0);
    nc_server_on(s, NC_SERVER_CLOSE, log_close, fx);
    assert_false(nc_server_listening(s));
    assert_int_equal(nc_server_address(s, &a), -ENOTCONN);
    nh_run(fx);
    assert_string_equal(fx->log, "sync listening closecb:ok close");
    nc_server_release(s);
}

static void test_server_close_not_running(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    /* Node 20: s.close(cb); s.on('close'): "sync closecb:ERR_SERVER_NOT_RUNNING close" */
    assert_int_equal(nc_server_close(s, log_close_cb, fx), 0);
    nc_server_on(s, NC_SERVER_CLOSE, log_close, fx);
    nh_log(fx, "sync");
    nh_run(fx);
    assert_string_equal(fx->log, "sync closecb:ERR_SERVER_NOT_RUNNING close");
    nc_server_release(s);
}

static void test_server_close_twice(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_server_on(s, NC_SERVER_CLOSE, log_close, fx);
    /* Node 20: each close() queues its own emitCloseNT; the first 'close' runs both
     * once-callbacks: "close closecb:ERR_SERVER_NOT_RUNNING closecb:... close". */
    assert_int_equal(nc_server_close(s, log_close_cb, fx), 0);
    assert_int_equal(nc_server_close(s, log_close_cb, fx), 0);
    nh_run(fx);
    assert_string_equal(fx->log, "close closecb:ERR_SERVER_NOT_RUNNING "
                                 "closecb:ERR_SERVER_NOT_RUNNING close");
    nc_server_release(s);
}

static void test_server_already_listen(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *s;
    nc_error_t err = { .port = -1 };
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_listen_options_t lo = { .port = 0, .host = "127.0.0.1" };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    assert_int_equal(nc_server_listen(s, &lo, &err), NC_ERR_SERVER_ALREADY_LISTEN);
    assert_string_equal(nc_err_name(err.code), "ERR_SERVER_ALREADY_LISTEN");
    assert_string_equal(err.message,
                        "Listen method has been called more than once without closing.");
    lo.port = 65536;
    assert_int_equal(nc_server_close(s, NULL, NULL), 0);
    assert_int_equal(nc_server_listen(s, &lo, &err), NC_ERR_SOCKET_BAD_PORT);
    nh_run(fx);
    nc_server_release(s);
}

typedef struct {
    nh_fixture_t *fx;
    nc_error_t err;
    nc_server_t *first;
} inuse_t;

static void inuse_error(nc_server_t *s, const void *arg, void *data)
{
    inuse_t *t = data;
    const nc_error_t *e = arg;
    t->err = *e;
    t->err.errors = NULL;
    t->err.nerrors = 0;
    assert_false(nc_server_listening(s));
    nc_server_close(t->first, NULL, NULL);
}

static void check_addrinuse(nh_fixture_t *fx, const char *host, const char *shown)
{
    nc_server_t *a, *b;
    inuse_t t = { .fx = fx };
    assert_int_equal(nc_server_new(&fx->loop, NULL, &a), 0);
    assert_int_equal(nc_server_new(&fx->loop, NULL, &b), 0);
    nc_listen_options_t lo = { .port = 0, .host = host };
    assert_int_equal(nc_server_listen(a, &lo, NULL), 0);
    nc_address_t addr;
    assert_int_equal(nc_server_address(a, &addr), 0);
    t.first = a;
    nc_server_on(b, NC_SERVER_ERROR, inuse_error, &t);
    nc_server_on(b, NC_SERVER_LISTENING, log_event, fx);
    lo.port = addr.port;
    assert_int_equal(nc_server_listen(b, &lo, NULL), 0);
    nh_run(fx);
    /* Node 20: "listen EADDRINUSE: address already in use 127.0.0.1:PORT" and for no
     * host "... :::PORT"; syscall 'listen', address, port. */
    char want[128];
    snprintf(want, sizeof(want), "listen EADDRINUSE: address already in use %s:%d", shown,
             addr.port);
    assert_string_equal(t.err.message, want);
    assert_string_equal(nc_err_name(t.err.code), "EADDRINUSE");
    assert_string_equal(t.err.syscall, "listen");
    assert_int_equal(t.err.port, addr.port);
    assert_string_equal(fx->log, "");
    nc_server_release(a);
    nc_server_release(b);
}

static void test_server_eaddrinuse_ipv4(void **state)
{
    check_addrinuse(*state, "127.0.0.1", "127.0.0.1");
}

static void test_server_eaddrinuse_default_host(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_listen_options_t lo = { .port = 0 };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    nc_address_t a;
    assert_int_equal(nc_server_address(s, &a), 0);
    nc_server_close(s, NULL, NULL);
    nh_run(fx);
    nc_server_release(s);
    if (strcmp(a.address, "::") != 0) {
        print_message("no IPv6 on this host: the default host fell back to %s\n", a.address);
        skip();
    }
    /* Node 20: listen() with no host is on '::' (dual stack): { address: '::', ... }. */
    assert_string_equal(a.family, "IPv6");
    check_addrinuse(fx, NULL, "::");
}

static void test_server_ipv6_only(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_listen_options_t lo = { .port = 0, .host = "::1", .ipv6_only = true };
    nc_server_on(s, NC_SERVER_ERROR, log_error, fx);
    nc_server_unref(s);
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    nh_run(fx);
    if (!nc_server_listening(s)) {
        print_message("no IPv6 loopback here: %s\n", fx->log);
        nc_server_release(s);
        skip();
    }
    assert_int_equal(nh_sockopt(nc_server_fileno(s), IPPROTO_IPV6, IPV6_V6ONLY), 1);
    nc_server_close(s, NULL, NULL);
    nh_run(fx);
    nc_server_release(s);
}

static void test_server_unix_path(void **state)
{
    nh_fixture_t *fx = *state;
    char path[128];
    nh_path(fx, "srv.sock", path, sizeof(path));
    nc_server_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_listen_options_t lo = {
        .path = path, .path_len = strlen(path), .readable_all = true, .writable_all = true
    };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    nc_address_t a;
    assert_int_equal(nc_server_address(s, &a), 0);
    assert_string_equal(a.address, path);
    assert_null(a.family);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0666, 0666);
    /* Node: node-net.md "IPC support": a path the server created is unlinked on close. */
    nc_server_close(s, NULL, NULL);
    nh_run(fx);
    assert_int_equal(stat(path, &st), -1);
    nc_server_release(s);
}

static void test_server_unix_path_long(void **state)
{
    nh_fixture_t *fx = *state;
    char name[101], path[128];
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    nh_path(fx, name, path, sizeof(path));
    assert_true(strlen(path) > sizeof(((struct sockaddr_un *)NULL)->sun_path));
    nc_server_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    /* Node 20 (libuv cuts the name to fit sun_path): it listens, and address() is the
     * path as given. */
    nc_listen_options_t lo = { .path = path, .path_len = strlen(path) };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    nc_address_t a;
    assert_int_equal(nc_server_address(s, &a), 0);
    assert_string_equal(a.address, path);
    assert_int_equal(a.address_len, strlen(path));
    nc_server_close(s, NULL, NULL);
    nh_run(fx);
    nc_server_release(s);
}

static void test_server_unix_path_in_use(void **state)
{
    nh_fixture_t *fx = *state;
    char path[128];
    nh_path(fx, "busy.sock", path, sizeof(path));
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    close(fd);
    nc_server_t *s;
    inuse_t t = { .fx = fx };
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    assert_int_equal(nc_server_new(&fx->loop, NULL, &t.first), 0);
    nc_server_on(s, NC_SERVER_ERROR, inuse_error, &t);
    nc_listen_options_t lo = { .path = path, .path_len = strlen(path) };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    nh_run(fx);
    char want[200];
    snprintf(want, sizeof(want), "listen EADDRINUSE: address already in use %s", path);
    assert_string_equal(t.err.message, want);
    nc_server_release(s);
    nc_server_release(t.first);
}

static void test_server_unix_abstract(void **state)
{
    nh_fixture_t *fx = *state;
    char name[64];
    int n = snprintf(name, sizeof(name), "%cnb-test-%d", '\0', (int)getpid());
    nc_server_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_listen_options_t lo = { .path = name, .path_len = (size_t)n };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    nc_address_t a;
    assert_int_equal(nc_server_address(s, &a), 0);
    assert_int_equal(a.address_len, (size_t)n);
    assert_memory_equal(a.address, name, (size_t)n);
    /* A client reaches it by the same name. */
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    memcpy(un.sun_path, name, (size_t)n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n);
    assert_int_equal(connect(c, (struct sockaddr *)&un, len), 0);
    close(c);
    /* A second server on the same name fails with EADDRINUSE. */
    inuse_t t = { .fx = fx, .first = s };
    nc_server_t *b;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &b), 0);
    nc_server_on(b, NC_SERVER_ERROR, inuse_error, &t);
    assert_int_equal(nc_server_listen(b, &lo, NULL), 0);
    nh_run(fx);
    assert_string_equal(nc_err_name(t.err.code), "EADDRINUSE");
    nc_server_release(s);
    nc_server_release(b);
}

typedef struct {
    nh_fixture_t *fx;
    nc_socket_t *conn;
    int drops;
    nc_server_drop_t drop;
} conn_t;

static void on_conn_keep(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    conn_t *c = data;
    const nc_server_connection_t *ev = arg;
    c->conn = ev->socket;
    nh_log(c->fx, "connection");
    uv_stop(&c->fx->loop);
}

static void on_drop(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    conn_t *c = data;
    c->drop = *(const nc_server_drop_t *)arg;
    c->drops++;
    nh_log(c->fx, "drop");
    uv_stop(&c->fx->loop);
}

static void on_count(nc_server_t *s, int status, int count, void *data)
{
    (void)s;
    nh_log(data, "count:%d:%d", status, count);
}

static int tcp_client(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin;
    uv_ip4_addr("127.0.0.1", port, &sin);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    return fd;
}

static void test_server_max_connections_drop(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *s;
    conn_t c = { .fx = fx };
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    int port = nh_listen_local(fx, s);
    nc_server_set_max_connections(s, 1);
    assert_int_equal(nc_server_max_connections(s), 1);
    nc_server_on(s, NC_SERVER_CONNECTION, on_conn_keep, &c);
    nc_server_on(s, NC_SERVER_DROP, on_drop, &c);
    int a = tcp_client(port);
    nh_run(fx);
    int b = tcp_client(port);
    nh_run(fx);
    assert_string_equal(fx->log, "connection drop");
    /* Node 20's 'drop' data: the dropped connection's two ends. */
    assert_true(c.drop.has_address);
    assert_string_equal(c.drop.local.address, "127.0.0.1");
    assert_int_equal(c.drop.local.port, port);
    assert_string_equal(c.drop.local.family, "IPv4");
    assert_string_equal(c.drop.remote.address, "127.0.0.1");
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    getsockname(b, (struct sockaddr *)&sin, &len);
    assert_int_equal(c.drop.remote.port, ntohs(sin.sin_port));
    /* The dropped peer sees EOF. */
    char byte;
    assert_int_equal(read(b, &byte, 1), 0);
    nc_server_get_connections(s, on_count, fx);
    nh_log(fx, "sync");
    nc_socket_destroy(c.conn, 0);
    nc_server_close(s, NULL, NULL);
    nc_server_on(s, NC_SERVER_CLOSE, log_close, fx);
    nh_run(fx);
    assert_string_equal(fx->log, "connection drop sync count:0:1 close");
    close(a);
    close(b);
    nc_server_release(s);
}

static void conn_socket_close(nc_socket_t *sock, const void *arg, void *data)
{
    (void)sock;
    (void)arg;
    nh_log(data, "conn-close");
}

static void on_count_then_destroy(nc_server_t *s, int status, int count, void *data)
{
    conn_t *c = data;
    (void)s;
    (void)status;
    nh_log(c->fx, "count:%d", count);
    nc_socket_on(c->conn, NC_SOCKET_CLOSE, conn_socket_close, c->fx);
    nc_socket_destroy(c->conn, 0);
}

static void on_conn_destroy_later(nc_server_t *s, const void *arg, void *data)
{
    conn_t *c = data;
    c->conn = ((const nc_server_connection_t *)arg)->socket;
    nh_log(c->fx, "connection");
    /* Node: node-net.md "server.close()": 'close' waits for existing connections. */
    nc_server_close(s, NULL, NULL);
    nc_server_get_connections(s, on_count_then_destroy, c);
}

static void on_server_close_check(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    nh_log(data, "close");
}

static void test_server_close_waits_for_connections(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *s;
    conn_t c = { .fx = fx };
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    int port = nh_listen_local(fx, s);
    nc_server_on(s, NC_SERVER_CONNECTION, on_conn_destroy_later, &c);
    nc_server_on(s, NC_SERVER_CLOSE, on_server_close_check, fx);
    int a = tcp_client(port);
    nh_run(fx);
    /* Node 20 prints "connection count:1 close conn-close": the server's 'close' comes on
     * the tick after destroy, before the socket's (its handle's close callback). */
    assert_string_equal(fx->log, "connection count:1 close conn-close");
    close(a);
    nc_server_release(s);
}

static void test_server_listen_fd(void **state)
{
    nh_fixture_t *fx = *state;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin;
    uv_ip4_addr("127.0.0.1", 0, &sin);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    nc_server_t *s;
    conn_t c = { .fx = fx };
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_server_on(s, NC_SERVER_LISTENING, log_listening, fx);
    nc_server_on(s, NC_SERVER_CONNECTION, on_conn_keep, &c);
    assert_int_equal(nc_server_listen_fd(s, fd, 0, NULL), 0);
    nc_address_t a;
    assert_int_equal(nc_server_address(s, &a), 0);
    int cl = tcp_client(a.port);
    nh_run(fx);
    assert_string_equal(fx->log, "listening connection");
    nc_socket_destroy(c.conn, 0);
    nc_server_close(s, NULL, NULL);
    nh_run(fx);
    /* The server owned the fd and closed it: nothing listens there any more. */
    assert_int_equal(fcntl(fd, F_GETFD), -1);
    close(cl);
    nc_server_release(s);

    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    nc_error_t err = { .port = -1 };
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    assert_int_equal(nc_server_listen_fd(s, p[0], 0, &err), NC_ERR_INVALID_FD_TYPE);
    assert_string_equal(nc_err_name(err.code), "ERR_INVALID_FD_TYPE");
    /* Refused: the fd is still the caller's. */
    assert_int_equal(close(p[0]), 0);
    close(p[1]);
    nc_server_release(s);
}

static void test_server_connection_options(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_options_t so = { .no_delay = true,
                               .keep_alive = true,
                               .keep_alive_initial_delay = 3000 };
    nc_server_t *s;
    conn_t c = { .fx = fx };
    assert_int_equal(nc_server_new(&fx->loop, &so, &s), 0);
    int port = nh_listen_local(fx, s);
    nc_server_on(s, NC_SERVER_CONNECTION, on_conn_keep, &c);
    int a = tcp_client(port);
    nh_run(fx);
    int fd = nc_socket_fileno(c.conn);
    assert_true(fd >= 0);
    assert_int_equal(nh_sockopt(fd, IPPROTO_TCP, TCP_NODELAY), 1);
    assert_int_equal(nh_sockopt(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
    assert_int_equal(nh_sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 3);
    assert_int_equal(nh_sockopt(fd, IPPROTO_TCP, TCP_KEEPCNT), 10);
    assert_int_equal(nh_sockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL), 1);
    nc_socket_destroy(c.conn, 0);
    nc_server_close(s, NULL, NULL);
    nh_run(fx);
    close(a);
    nc_server_release(s);
}

static void on_pause_data(nc_socket_t *sock, const void *arg, void *data)
{
    (void)sock;
    const nc_socket_data_t *d = arg;
    nh_log(data, "data:%.*s", (int)d->len, d->base);
    uv_stop(&((nh_fixture_t *)data)->loop);
}

static void test_server_pause_on_connect(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_options_t so = { .pause_on_connect = true };
    nc_server_t *s;
    conn_t c = { .fx = fx };
    assert_int_equal(nc_server_new(&fx->loop, &so, &s), 0);
    int port = nh_listen_local(fx, s);
    nc_server_on(s, NC_SERVER_CONNECTION, on_conn_keep, &c);
    int a = tcp_client(port);
    assert_int_equal(write(a, "hi", 2), 2);
    nh_run(fx);
    /* A 'data' listener does not resume a socket paused by pauseOnConnect. */
    nc_socket_on(c.conn, NC_SOCKET_DATA, on_pause_data, fx);
    int avail = 0;
    while (avail < 2) {
        uv_run(&fx->loop, UV_RUN_NOWAIT);
        assert_int_equal(ioctl(nc_socket_fileno(c.conn), FIONREAD, &avail), 0);
    }
    assert_string_equal(fx->log, "connection");
    nc_socket_resume(c.conn);
    nh_run(fx);
    assert_string_equal(fx->log, "connection data:hi");
    nc_socket_destroy(c.conn, 0);
    nc_server_close(s, NULL, NULL);
    nh_run(fx);
    close(a);
    nc_server_release(s);
}

static void test_server_ref_unref(void **state)
{
    nh_fixture_t *fx = *state;
    nc_server_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_server_unref(s);
    nc_listen_options_t lo = { .port = 0, .host = "127.0.0.1" };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    /* Unref'd: the loop returns although the server still listens. */
    nh_run(fx);
    assert_true(nc_server_listening(s));
    nc_server_ref(s);
    assert_int_equal(uv_run(&fx->loop, UV_RUN_NOWAIT), 1);
    nc_server_close(s, NULL, NULL);
    nh_run(fx);
    nc_server_release(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_server_listen_is_deferred, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_close_not_running, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_close_twice, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_already_listen, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_eaddrinuse_ipv4, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_eaddrinuse_default_host, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_ipv6_only, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_unix_path, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_unix_path_long, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_unix_path_in_use, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_unix_abstract, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_max_connections_drop, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_close_waits_for_connections, nh_setup,
                                        nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_listen_fd, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_connection_options, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_pause_on_connect, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_server_ref_unref, nh_setup, nh_teardown),
    };
    return cmocka_run_group_tests_name("server", tests, NULL, NULL);
}
