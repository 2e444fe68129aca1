/* connfix.c: the connect tests' fixture (see connfix.h). */
#include "connfix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- fixture: servers, the full-backlog listener, a free port ---------------------- */

static void srv_conn(nc_server_t *srv, const void *arg, void *data)
{
    (void)srv;
    ctx_t *c = data;
    const nc_server_connection_t *ev = arg;
    nc_address_t r;
    if (nc_socket_remote_address(ev->socket, &r) == 0) {
        c->seen_remote_port = r.port;
    }
    nc_socket_destroy(ev->socket, 0);
}

/* Listens on 127.0.0.1:port; returns the port, or -1 when it is taken (the server is
 * then released). */
static int listen_on(ctx_t *c, nc_server_t **ret, int port)
{
    assert_int_equal(nc_server_new(&c->fx->loop, NULL, ret), 0);
    assert_int_equal(nc_server_on(*ret, NC_SERVER_CONNECTION, srv_conn, c), 0);
    nc_listen_options_t lo = { .port = port, .host = "127.0.0.1" };
    assert_int_equal(nc_server_listen(*ret, &lo, NULL), 0);
    /* The client's life decides how long a test's loop runs. */
    nc_server_unref(*ret);
    nc_address_t a;
    if (nc_server_address(*ret, &a) < 0) {
        nh_run(c->fx); /* its 'error' (EADDRINUSE), dropped */
        nc_server_release(*ret);
        *ret = NULL;
        return -1;
    }
    return a.port;
}

bool have_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

/* A ::1 listener that drops SYNs: listen(fd, 0) holds one connection in Linux's accept
 * queue; one connection never accepted fills it, so a later SYN gets no answer (as Node's
 * own tests make an attempt time out). Returns the port. */
static int blackhole(ctx_t *c)
{
    struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    socklen_t len = sizeof(sa);
    int one = 1;
    c->bh_fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c->bh_fd >= 0);
    assert_int_equal(setsockopt(c->bh_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), 0);
    assert_int_equal(bind(c->bh_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(c->bh_fd, 0), 0);
    assert_int_equal(getsockname(c->bh_fd, (struct sockaddr *)&sa, &len), 0);
    c->filler_fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(c->filler_fd, (struct sockaddr *)&sa, len), 0);
    return ntohs(sa.sin6_port);
}

/* A port nothing listens on, on 127.0.0.1 and (most likely) ::1. */
int free_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

void ctx_init(nh_fixture_t *fx, ctx_t *c, bool bh)
{
    memset(c, 0, sizeof(*c));
    c->fx = fx;
    c->bh_fd = c->filler_fd = -1;
    c->err.port = -1;
    c->port = listen_on(c, &c->srv, 0);
    c->free_port = free_port();
    /* ::1:port is free, 127.0.0.1:port may not be (another test's ephemeral port). */
    for (int i = 0; bh && i < 100 && c->srv_bh == NULL; i++) {
        c->bh_port = blackhole(c);
        if (listen_on(c, &c->srv_bh, c->bh_port) < 0) {
            close(c->filler_fd);
            close(c->bh_fd);
            c->bh_fd = c->filler_fd = -1;
        }
    }
    assert_true(!bh || c->srv_bh != NULL);
    assert_int_equal(uv_timer_init(&fx->loop, &c->later), 0);
    c->later.data = c;
}

void ctx_done(ctx_t *c)
{
    nc_server_close(c->srv, NULL, NULL);
    nc_server_release(c->srv);
    if (c->srv_bh != NULL) {
        nc_server_close(c->srv_bh, NULL, NULL);
        nc_server_release(c->srv_bh);
    }
    if (c->bh_fd >= 0) {
        close(c->filler_fd);
        close(c->bh_fd);
    }
    uv_close((uv_handle_t *)&c->later, NULL);
    nh_run(c->fx);
    nc_error_clear(&c->err);
}

/* ---- the client's events, logged as connect_orders.js prints them ----------------- */

static void ev_lookup(nc_socket_t *s, const void *arg, void *data)
{
    (void)s;
    ctx_t *c = data;
    const nc_socket_lookup_t *e = arg;
    if (e->error != NULL) {
        nh_log(c->fx, "lookup(%s,%s)", nc_err_name(e->error->code), e->host);
    } else {
        nh_log(c->fx, "lookup(null,%s,%d,%s)", e->address, e->family, e->host);
    }
}

static void stop_later(uv_timer_t *t)
{
    ctx_t *c = t->data;
    nc_socket_destroy(c->cli, 0);
}

static void ev_attempt(nc_socket_t *s, const void *arg, void *data)
{
    (void)s;
    ctx_t *c = data;
    const nc_socket_attempt_t *a = arg;
    nh_log(c->fx, "connectionAttempt(%s,PORT,%d)", a->ip, a->family);
    if (c->destroy_on_attempt) {
        /* Node's script destroys on setImmediate: a later turn, the attempt started. */
        uv_timer_start(&c->later, stop_later, 0, 0);
    }
}

static void ev_failed(nc_socket_t *s, const void *arg, void *data)
{
    (void)s;
    ctx_t *c = data;
    const nc_socket_attempt_t *a = arg;
    nh_log(c->fx, "connectionAttemptFailed(%s,PORT,%d,%s)", a->ip, a->family,
           nc_err_name(a->error->code));
}

static void ev_timeout(nc_socket_t *s, const void *arg, void *data)
{
    (void)s;
    ctx_t *c = data;
    const nc_socket_attempt_t *a = arg;
    nh_log(c->fx, "connectionAttemptTimeout(%s,PORT,%d)", a->ip, a->family);
}

static void ev_connect(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    ctx_t *c = data;
    nh_log(c->fx, "connect");
    if (c->destroy_on_connect) {
        nc_socket_destroy(s, 0);
    }
}

static void ev_ready(nc_socket_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    nh_log(((ctx_t *)data)->fx, "ready");
}

static void ev_error(nc_socket_t *s, const void *arg, void *data)
{
    (void)s;
    ctx_t *c = data;
    const nc_error_t *e = arg;
    nh_log(c->fx, "error(%s)", nc_err_name(e->code));
    c->err = *e;
    c->err.errors = NULL;
    c->err.nerrors = 0;
    /* The aggregate's members are the socket's until it is freed: copy them. */
    if (e->nerrors > 0) {
        c->err.errors = calloc(e->nerrors, sizeof(*e->errors));
        assert_non_null(c->err.errors);
        memcpy(c->err.errors, e->errors, e->nerrors * sizeof(*e->errors));
        c->err.nerrors = e->nerrors;
    }
}

static void ev_close(nc_socket_t *s, const void *arg, void *data)
{
    ctx_t *c = data;
    const nc_socket_close_t *e = arg;
    nh_log(c->fx, "close(%s)", e->had_error ? "true" : "false");
    size_t n = nc_socket_attempted_address_count(s);
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(c->attempted);
        snprintf(c->attempted + used, sizeof(c->attempted) - used, "%s%s", i > 0 ? " " : "",
                 nc_socket_attempted_address(s, i));
    }
}

void track_client(ctx_t *c, nc_socket_t *s)
{
    c->cli = s;
    nc_socket_on(s, NC_SOCKET_LOOKUP, ev_lookup, c);
    nc_socket_on(s, NC_SOCKET_CONNECTION_ATTEMPT, ev_attempt, c);
    nc_socket_on(s, NC_SOCKET_CONNECTION_ATTEMPT_FAILED, ev_failed, c);
    nc_socket_on(s, NC_SOCKET_CONNECTION_ATTEMPT_TIMEOUT, ev_timeout, c);
    nc_socket_on(s, NC_SOCKET_CONNECT, ev_connect, c);
    nc_socket_on(s, NC_SOCKET_READY, ev_ready, c);
    nc_socket_on(s, NC_SOCKET_ERROR, ev_error, c);
    nc_socket_on(s, NC_SOCKET_CLOSE, ev_close, c);
}

/* ---- custom lookup functions ------------------------------------------------------- */

static void answer_later(uv_timer_t *t)
{
    ctx_t *c = t->data;
    nc_lookup_req_t *req = c->pending;
    c->pending = NULL;
    assert_int_equal(nc_lookup_done(req, NULL, c->answers, c->nanswers), 0);
}

void my_lookup(nc_lookup_req_t *req, const char *host, const nc_lookup_options_t *o, void *data)
{
    ctx_t *c = data;
    assert_string_equal(host, "h.test");
    c->seen = *o;
    c->lookups++;
    if (c->destroy_in_lookup) {
        c->pending = req;
        nc_socket_destroy(c->cli, 0);
        uv_timer_start(&c->later, answer_later, 0, 0);
        return;
    }
    nc_lookup_done(req, c->answer_error ? &c->lookup_err : NULL, c->answers, c->nanswers);
}

void answers(ctx_t *c, const char *a0, int f0, const char *a1, int f1)
{
    c->answers[0] = (nc_lookup_address_t){ a0, f0 };
    c->answers[1] = (nc_lookup_address_t){ a1, f1 };
    c->nanswers = a1 != NULL ? 2 : 1;
}

/* Connects c's client to h.test:port through my_lookup and runs the loop dry. */
void run_lookup(ctx_t *c, nc_connect_options_t *co, int port)
{
    nc_socket_t *s;
    assert_int_equal(nc_socket_new(&c->fx->loop, NULL, &s), 0);
    track_client(c, s);
    co->host = "h.test";
    co->port = port;
    co->lookup = my_lookup;
    co->lookup_data = c;
    assert_int_equal(nc_socket_connect(s, co, NULL), 0);
    nh_run(c->fx);
    nc_socket_release(s);
}
