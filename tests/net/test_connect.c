/* test_connect.c: socket.connect in full: its options and their checks, custom lookup
 * functions, the 'lookup' and 'connectionAttempt*' events, autoSelectFamily (fallback,
 * attempt timeout, aggregate error, destroy in an attempt or a lookup), localAddress and
 * localPort, net.createConnection, the process-wide defaults, and listen on a host name.
 * Orders are what Node 20 printed for the same scenario: tests/net/connect_orders.js,
 * whose scenario name is given per test (ports shown as PORT). No name is ever sent to a
 * DNS server: hosts are "localhost" (/etc/hosts) or names a custom lookup answers. */
#include "nethelp.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/tcp.h>

typedef struct {
    nh_fixture_t *fx;
    nc_server_t *srv;    /* 127.0.0.1:port, destroys what it accepts */
    nc_server_t *srv_bh; /* 127.0.0.1:bh_port */
    int port, bh_port, free_port;
    int bh_fd, filler_fd; /* ::1:bh_port, its accept queue full */
    nc_socket_t *cli;
    bool destroy_on_connect, destroy_on_attempt, destroy_in_lookup;
    nc_error_t err;
    const nc_error_t *agg_src;
    char attempted[256];
    int seen_remote_port;
    /* the custom lookup */
    nc_lookup_address_t answers[4];
    size_t nanswers;
    nc_error_t lookup_err;
    bool answer_error;
    nc_lookup_options_t seen;
    int lookups;
    nc_lookup_req_t *pending;
    uv_timer_t later;
} ctx_t;

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

static bool have_ipv6(void)
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
static int free_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static void ctx_init(nh_fixture_t *fx, ctx_t *c, bool bh)
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

static void ctx_done(ctx_t *c)
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

static void track_client(ctx_t *c, nc_socket_t *s)
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

static void my_lookup(nc_lookup_req_t *req,
                      const char *host,
                      const nc_lookup_options_t *o,
                      void *data)
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

static void answers(ctx_t *c, const char *a0, int f0, const char *a1, int f1)
{
    c->answers[0] = (nc_lookup_address_t){ a0, f0 };
    c->answers[1] = (nc_lookup_address_t){ a1, f1 };
    c->nanswers = a1 != NULL ? 2 : 1;
}

/* Connects c's client to h.test:port through my_lookup and runs the loop dry. */
static void run_lookup(ctx_t *c, nc_connect_options_t *co, int port)
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

#define NEED_IPV6()                                                                                \
    do {                                                                                           \
        if (!have_ipv6()) {                                                                        \
            print_message("no IPv6 loopback (::1) on this host\n");                                \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* ---- autoSelectFamily ------------------------------------------------------------- */

static void test_connect_fallback(void **state)
{
    NEED_IPV6();
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    answers(&c, "::1", 6, "127.0.0.1", 4);
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js fallback */
    assert_string_equal(c.fx->log,
                        "lookup(null,::1,6,h.test) lookup(null,127.0.0.1,4,h.test) "
                        "connectionAttempt(::1,PORT,6) "
                        "connectionAttemptFailed(::1,PORT,6,ECONNREFUSED) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    char want[128];
    snprintf(want, sizeof(want), "::1:%d 127.0.0.1:%d", c.port, c.port);
    assert_string_equal(c.attempted, want);
    /* Node: the lookup got { family, hints: ADDRCONFIG, all: true }. */
    assert_true(c.seen.all);
    assert_int_equal(c.seen.hints, AI_ADDRCONFIG);
    assert_int_equal(c.seen.family, 0);
    ctx_done(&c);
}

static void test_connect_all_fail(void **state)
{
    NEED_IPV6();
    ctx_t c;
    ctx_init(*state, &c, false);
    answers(&c, "::1", 6, "127.0.0.1", 4);
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.free_port);
    /* connect_orders.js allfail */
    assert_string_equal(c.fx->log, "lookup(null,::1,6,h.test) lookup(null,127.0.0.1,4,h.test) "
                                   "connectionAttempt(::1,PORT,6) "
                                   "connectionAttemptFailed(::1,PORT,6,ECONNREFUSED) "
                                   "connectionAttempt(127.0.0.1,PORT,4) "
                                   "connectionAttemptFailed(127.0.0.1,PORT,4,ECONNREFUSED) "
                                   "error(ECONNREFUSED) close(true)");
    /* Node: AggregateError, code errors[0].code, message "", one error per attempt. */
    assert_string_equal(c.err.message, "");
    assert_int_equal(c.err.nerrors, 2);
    char want[128];
    snprintf(want, sizeof(want), "connect ECONNREFUSED ::1:%d", c.free_port);
    assert_string_equal(c.err.errors[0].message, want);
    assert_string_equal(c.err.errors[0].syscall, "connect");
    assert_string_equal(c.err.errors[0].address, "::1");
    assert_int_equal(c.err.errors[0].port, c.free_port);
    snprintf(want, sizeof(want), "connect ECONNREFUSED 127.0.0.1:%d", c.free_port);
    assert_string_equal(c.err.errors[1].message, want);
    ctx_done(&c);
}

static void test_connect_attempt_timeout(void **state)
{
    NEED_IPV6();
    ctx_t c;
    ctx_init(*state, &c, true);
    c.destroy_on_connect = true;
    answers(&c, "::1", 6, "127.0.0.1", 4);
    nc_connect_options_t co = { .auto_select_family_attempt_timeout = 10 };
    run_lookup(&c, &co, c.bh_port);
    /* connect_orders.js timeout */
    assert_string_equal(c.fx->log,
                        "lookup(null,::1,6,h.test) lookup(null,127.0.0.1,4,h.test) "
                        "connectionAttempt(::1,PORT,6) connectionAttemptTimeout(::1,PORT,6) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    ctx_done(&c);
}

static void test_connect_timeout_then_refused(void **state)
{
    NEED_IPV6();
    ctx_t c;
    ctx_init(*state, &c, true);
    answers(&c, "::1", 6, "127.0.0.2", 4);
    /* Below 10 ms means 10, as in Node. */
    nc_connect_options_t co = { .auto_select_family_attempt_timeout = 1 };
    run_lookup(&c, &co, c.bh_port);
    /* connect_orders.js timeout-refused: the aggregate's code is the first attempt's. */
    assert_string_equal(c.fx->log, "lookup(null,::1,6,h.test) lookup(null,127.0.0.2,4,h.test) "
                                   "connectionAttempt(::1,PORT,6) "
                                   "connectionAttemptTimeout(::1,PORT,6) "
                                   "connectionAttempt(127.0.0.2,PORT,4) "
                                   "connectionAttemptFailed(127.0.0.2,PORT,4,ECONNREFUSED) "
                                   "error(ETIMEDOUT) close(true)");
    assert_int_equal(c.err.nerrors, 2);
    char want[128];
    snprintf(want, sizeof(want), "connect ETIMEDOUT ::1:%d", c.bh_port);
    assert_string_equal(c.err.errors[0].message, want);
    assert_string_equal(nc_err_name(c.err.errors[1].code), "ECONNREFUSED");
    ctx_done(&c);
}

static void test_connect_destroy_in_attempt(void **state)
{
    NEED_IPV6();
    ctx_t c;
    ctx_init(*state, &c, true);
    c.destroy_on_attempt = true;
    answers(&c, "::1", 6, "127.0.0.1", 4);
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.bh_port);
    /* connect_orders.js destroy-attempt: the cancelled attempt is reported, then 'close'. */
    assert_string_equal(c.fx->log, "lookup(null,::1,6,h.test) lookup(null,127.0.0.1,4,h.test) "
                                   "connectionAttempt(::1,PORT,6) "
                                   "connectionAttemptFailed(::1,PORT,6,ECANCELED) close(false)");
    char want[64];
    snprintf(want, sizeof(want), "::1:%d", c.bh_port);
    assert_string_equal(c.attempted, want);
    ctx_done(&c);
}

static void test_connect_destroy_in_lookup(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_in_lookup = true;
    answers(&c, "127.0.0.1", 4, NULL, 0);
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js destroy-lookup: the late answer is dropped, nothing follows. */
    assert_string_equal(c.fx->log, "close(false)");
    assert_null(c.pending);
    ctx_done(&c);
}

static void test_connect_same_family_pair(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    answers(&c, "127.0.0.2", 4, "127.0.0.1", 4);
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js two-v4: two addresses of one family take the multiple path. */
    assert_string_equal(c.fx->log,
                        "lookup(null,127.0.0.2,4,h.test) lookup(null,127.0.0.1,4,h.test) "
                        "connectionAttempt(127.0.0.2,PORT,4) "
                        "connectionAttemptFailed(127.0.0.2,PORT,4,ECONNREFUSED) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    char want[128];
    snprintf(want, sizeof(want), "127.0.0.2:%d 127.0.0.1:%d", c.port, c.port);
    assert_string_equal(c.attempted, want);
    ctx_done(&c);
}

static void test_connect_one_address(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    answers(&c, "127.0.0.1", 4, "127.0.0.1", 4);
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js one-address: a duplicate is tried once: the single path, and no
     * autoSelectFamilyAttemptedAddresses. */
    assert_string_equal(c.fx->log,
                        "lookup(null,127.0.0.1,4,h.test) lookup(null,127.0.0.1,4,h.test) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    assert_string_equal(c.attempted, "");
    ctx_done(&c);
}

static void test_connect_skip_invalid(void **state)
{
    NEED_IPV6();
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    c.answers[0] = (nc_lookup_address_t){ "bad", 4 };
    c.answers[1] = (nc_lookup_address_t){ "::1", 6 };
    c.answers[2] = (nc_lookup_address_t){ "127.0.0.1", 5 };
    c.answers[3] = (nc_lookup_address_t){ "127.0.0.1", 4 };
    c.nanswers = 4;
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js skip-invalid: every answer has its 'lookup'; bad ones are skipped
     * and the first valid one sets the family order. */
    assert_string_equal(c.fx->log,
                        "lookup(null,bad,4,h.test) lookup(null,::1,6,h.test) "
                        "lookup(null,127.0.0.1,5,h.test) "
                        "lookup(null,127.0.0.1,4,h.test) connectionAttempt(::1,PORT,6) "
                        "connectionAttemptFailed(::1,PORT,6,ECONNREFUSED) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    ctx_done(&c);
}

/* ---- one address: custom lookup, its answers, localhost ---------------------------- */

static void test_connect_single_lookup(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    answers(&c, "127.0.0.1", 4, NULL, 0);
    nc_connect_options_t co = { .auto_select_family = -1 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js single: { hints: ADDRCONFIG }, one address asked for. */
    assert_string_equal(c.fx->log,
                        "lookup(null,127.0.0.1,4,h.test) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    assert_false(c.seen.all);
    assert_int_equal(c.seen.hints, AI_ADDRCONFIG);
    ctx_done(&c);
}

static void test_connect_lookup_error(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.answer_error = true;
    c.lookup_err = (nc_error_t){ .code = NC_ENOTFOUND, .port = -1 };
    snprintf(c.lookup_err.message, sizeof(c.lookup_err.message), "nope");
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js lookup-error: the function's error, as it gave it. */
    assert_string_equal(c.fx->log, "lookup(ENOTFOUND,h.test) error(ENOTFOUND) close(true)");
    assert_string_equal(c.err.message, "nope");
    ctx_done(&c);
}

static void test_connect_lookup_bad_answers(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    answers(&c, "not-an-ip", 4, NULL, 0);
    nc_connect_options_t co = { .auto_select_family = -1 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js bad-ip */
    assert_string_equal(
        c.fx->log, "lookup(null,not-an-ip,4,h.test) error(ERR_INVALID_IP_ADDRESS) close(true)");
    assert_string_equal(c.err.message, "Invalid IP address: not-an-ip");
    nc_error_clear(&c.err);
    c.fx->log[0] = '\0';
    answers(&c, "127.0.0.1", 5, NULL, 0);
    run_lookup(&c, &co, c.port);
    /* connect_orders.js bad-family */
    assert_string_equal(c.fx->log, "lookup(null,127.0.0.1,5,h.test) "
                                   "error(ERR_INVALID_ADDRESS_FAMILY) close(true)");
    char want[96];
    snprintf(want, sizeof(want), "Invalid address family: 5 h.test:%d", c.port);
    assert_string_equal(c.err.message, want);
    ctx_done(&c);
}

static void test_connect_localhost(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    nc_socket_t *s;
    /* /etc/hosts gives localhost one address here: the single path, with autoSelectFamily
     * (Node 20's default) on. NULL host means "localhost", as in Node. */
    nc_connect_options_t co = { .port = c.port };
    assert_int_equal(nc_create_connection(&c.fx->loop, &co, &s, NULL), 0);
    track_client(&c, s);
    nh_run(c.fx);
    nc_socket_release(s);
    /* connect_orders.js localhost */
    assert_string_equal(c.fx->log,
                        "lookup(null,127.0.0.1,4,localhost) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    ctx_done(&c);
}

static void test_connect_refused_single(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    nc_socket_t *s;
    nc_connect_options_t co = { .port = c.free_port, .host = "127.0.0.1" };
    assert_int_equal(nc_create_connection(&c.fx->loop, &co, &s, NULL), 0);
    track_client(&c, s);
    nh_run(c.fx);
    nc_socket_release(s);
    /* connect_orders.js refused-single: an IP literal has no 'lookup'. */
    assert_string_equal(c.fx->log, "connectionAttempt(127.0.0.1,PORT,4) "
                                   "connectionAttemptFailed(127.0.0.1,PORT,4,ECONNREFUSED) "
                                   "error(ECONNREFUSED) close(true)");
    ctx_done(&c);
}

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
        cmocka_unit_test_setup_teardown(test_connect_fallback, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_all_fail, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_attempt_timeout, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_timeout_then_refused, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_destroy_in_attempt, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_destroy_in_lookup, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_same_family_pair, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_one_address, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_skip_invalid, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_single_lookup, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_lookup_error, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_lookup_bad_answers, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_localhost, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused_single, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_local_address_port, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_local_port_only, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_socket_options, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_thrown, nh_setup, nh_teardown),
        cmocka_unit_test(test_connect_defaults),
        cmocka_unit_test_setup_teardown(test_connect_default_off, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_listen_host_name, nh_setup, nh_teardown),
    };
    return cmocka_run_group_tests_name("connect", tests, NULL, NULL);
}
