/* test_socket_opts.c: setNoDelay and setKeepAlive called when the socket has no handle
 * (before connect(), after destroy(), after 'close'): remembered, and put on the handle of
 * every later connect, as Node 20 does (lib/net.js kSetNoDelay, kSetKeepAlive). Each case
 * was run on Node v20 under strace, which shows the setsockopt calls. And ref()/unref()
 * with no handle, which wait for the next 'connect' (Node's _handle.hasRef()). */
#include "nethelp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#define LIVES 2

typedef struct opts_s opts_t;
typedef void (*hook_fn)(opts_t *o, nc_socket_t *s, int life);

/* What getsockopt read on the socket's fd in its 'connect'; -1 for a Unix socket. */
typedef struct {
    int nd, ka, idle, cnt, intvl;
} seen_t;

struct opts_s {
    nh_fixture_t *fx;
    nc_server_t *srv, *usrv;
    char path[128];
    nc_connect_options_t co[LIVES]; /* the options of each connect */
    int lives;
    int n; /* 'connect' events so far */
    seen_t seen[LIVES];
    int ref_connecting[LIVES], ref_connect[LIVES]; /* uv_has_ref of the socket's handle */

    hook_fn on_connecting; /* right after connect() returned */
    hook_fn on_connect;    /* in 'connect', after the options were read */
    hook_fn on_destroyed;  /* in 'connect', right after destroy() */
    hook_fn on_close;      /* in 'close', before the next connect() */
};

static void conn_destroy(nc_server_t *srv, const void *a, void *d)
{
    (void)srv;
    (void)d;
    nc_socket_destroy(((const nc_server_connection_t *)a)->socket, 0);
}

static void opts_init(nh_fixture_t *fx, opts_t *o, int lives)
{
    memset(o, 0, sizeof(*o));
    o->fx = fx;
    o->lives = lives;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &o->srv), 0);
    nc_server_on(o->srv, NC_SERVER_CONNECTION, conn_destroy, NULL);
    int port = nh_listen_local(fx, o->srv);
    for (int i = 0; i < LIVES; i++) {
        o->co[i] = (nc_connect_options_t){ .port = port, .host = "127.0.0.1" };
    }
}

/* Makes life i a connect to a Unix server in the fixture's directory. */
static void opts_unix(opts_t *o, int i)
{
    nh_path(o->fx, "s.sock", o->path, sizeof(o->path));
    assert_int_equal(nc_server_new(&o->fx->loop, NULL, &o->usrv), 0);
    nc_server_on(o->usrv, NC_SERVER_CONNECTION, conn_destroy, NULL);
    nc_listen_options_t lo = { .path = o->path, .path_len = strlen(o->path) };
    assert_int_equal(nh_listen_wait(o->fx, o->usrv, &lo), 0);
    o->co[i] = (nc_connect_options_t){ .path = o->path, .path_len = strlen(o->path) };
}

static void find_ref(uv_handle_t *h, void *arg)
{
    int *fd_ref = arg;
    uv_os_fd_t fd;
    if (h->type == UV_TCP && uv_fileno(h, &fd) == 0 && fd == fd_ref[0]) {
        fd_ref[1] = uv_has_ref(h);
    }
}

/* uv_has_ref of the handle holding s's fd; -1 without one. */
static int has_ref(opts_t *o, nc_socket_t *s)
{
    int fd_ref[2] = { nc_socket_fileno(s), -1 };
    uv_walk(&o->fx->loop, find_ref, fd_ref);
    return fd_ref[1];
}

static void call(hook_fn fn, opts_t *o, nc_socket_t *s, int life)
{
    if (fn != NULL) {
        fn(o, s, life);
    }
}

static void on_connect(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    opts_t *o = d;
    int life = o->n++;
    seen_t *v = &o->seen[life];
    *v = (seen_t){ -1, -1, -1, -1, -1 };
    if (o->co[life].path == NULL) {
        int fd = nc_socket_fileno(s);
        assert_true(fd >= 0);
        v->nd = nh_sockopt(fd, IPPROTO_TCP, TCP_NODELAY);
        v->ka = nh_sockopt(fd, SOL_SOCKET, SO_KEEPALIVE);
        v->idle = nh_sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE);
        v->cnt = nh_sockopt(fd, IPPROTO_TCP, TCP_KEEPCNT);
        v->intvl = nh_sockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL);
        o->ref_connect[life] = has_ref(o, s);
    }
    call(o->on_connect, o, s, life);
    nc_socket_destroy(s, 0);
    call(o->on_destroyed, o, s, life);
}

static void on_close(nc_socket_t *s, const void *a, void *d)
{
    opts_t *o = d;
    assert_false(((const nc_socket_close_t *)a)->had_error);
    if (o->n < o->lives) {
        call(o->on_close, o, s, o->n);
        assert_int_equal(nc_socket_connect(s, &o->co[o->n], NULL), 0);
        o->ref_connecting[o->n] = has_ref(o, s);
        call(o->on_connecting, o, s, o->n);
        return;
    }
    nc_server_close(o->srv, NULL, NULL);
    if (o->usrv != NULL) {
        nc_server_close(o->usrv, NULL, NULL);
    }
}

/* Connects s with co[0] (nc_create_connection when s is NULL), again with co[1] after
 * 'close' while lives ask for it, and runs the loop dry. */
static void opts_run(opts_t *o, nc_socket_t *s)
{
    if (s == NULL) {
        assert_int_equal(nc_create_connection(&o->fx->loop, &o->co[0], &s, NULL), 0);
    } else {
        assert_int_equal(nc_socket_connect(s, &o->co[0], NULL), 0);
    }
    o->ref_connecting[0] = has_ref(o, s);
    call(o->on_connecting, o, s, 0);
    nc_socket_on(s, NC_SOCKET_CONNECT, on_connect, o);
    nc_socket_on(s, NC_SOCKET_CLOSE, on_close, o);
    nh_run(o->fx);
    assert_int_equal(o->n, o->lives);
    nc_socket_release(s);
    nc_server_release(o->srv);
    nc_server_release(o->usrv);
}

static nc_socket_t *new_socket(opts_t *o)
{
    nc_socket_t *s;
    assert_int_equal(nc_socket_new(&o->fx->loop, NULL, &s), 0);
    return s;
}

static void set_both(nc_socket_t *s, bool on, unsigned delay_ms)
{
    assert_int_equal(nc_socket_set_no_delay(s, on), 0);
    assert_int_equal(nc_socket_set_keep_alive(s, on, delay_ms), 0);
}

static void assert_seen(const seen_t *v, int nd, int ka, int idle_s)
{
    assert_int_equal(v->nd, nd);
    assert_int_equal(v->ka, ka);
    if (ka) {
        /* Node: node-net.md "socket.setKeepAlive()": KEEPIDLE, KEEPCNT=10, KEEPINTVL=1. */
        assert_int_equal(v->idle, idle_s);
        assert_int_equal(v->cnt, 10);
        assert_int_equal(v->intvl, 1);
    }
}

/* ---- before connect -------------------------------------------------------------- */

static void test_opts_before_connect(void **state)
{
    /* Node: new Socket(); setNoDelay(true); setKeepAlive(true, 5000); connect(port):
     * afterConnect sets TCP_NODELAY, SO_KEEPALIVE and TCP_KEEPIDLE 5. */
    opts_t o;
    opts_init(*state, &o, 1);
    nc_socket_t *s = new_socket(&o);
    set_both(s, true, 5000);
    assert_true(nc_socket_fileno(s) < 0); /* no handle yet: only remembered */
    opts_run(&o, s);
    assert_seen(&o.seen[0], 1, 1, 5);
}

static void test_opts_last_call_before_connect_wins(void **state)
{
    /* Node: setNoDelay(true) then setNoDelay(false) (and the same for keepAlive) leave
     * both off; connect({ noDelay: true, keepAlive: true }) does not turn them on again,
     * as socket.connect() reads neither option (Node 20). */
    opts_t o;
    opts_init(*state, &o, 1);
    nc_socket_t *s = new_socket(&o);
    set_both(s, true, 5000);
    set_both(s, false, 0);
    o.co[0].no_delay = true;
    o.co[0].keep_alive = true;
    o.co[0].keep_alive_initial_delay = 9000;
    opts_run(&o, s);
    assert_seen(&o.seen[0], 0, 0, 0);
}

static void test_opts_setter_delay_wins_over_options(void **state)
{
    /* Node: setKeepAlive(true, 5000); connect({ keepAlive: true, keepAliveInitialDelay:
     * 9000 }) keeps 5 s. With no setter call the options apply, as net.createConnection's
     * do (noDelay here). */
    opts_t o;
    opts_init(*state, &o, 1);
    nc_socket_t *s = new_socket(&o);
    assert_int_equal(nc_socket_set_keep_alive(s, true, 5000), 0);
    o.co[0].no_delay = true;
    o.co[0].keep_alive = true;
    o.co[0].keep_alive_initial_delay = 9000;
    opts_run(&o, s);
    assert_seen(&o.seen[0], 1, 1, 5);
}

/* ---- after destroy, after 'close', across a reconnect ----------------------------- */

static void set_on_3s(opts_t *o, nc_socket_t *s, int life)
{
    (void)o;
    if (life == 0) {
        set_both(s, true, 3000);
    }
}

static void test_opts_after_destroy(void **state)
{
    /* Node: destroy() drops the handle at once; what is set then is applied by the
     * connect after 'close'. */
    opts_t o;
    opts_init(*state, &o, 2);
    o.on_destroyed = set_on_3s;
    opts_run(&o, new_socket(&o));
    assert_seen(&o.seen[0], 0, 0, 0);
    assert_seen(&o.seen[1], 1, 1, 3);
}

static void set_on_close(opts_t *o, nc_socket_t *s, int life)
{
    (void)o;
    if (life == 1) {
        set_both(s, true, 3000);
    }
}

static void test_opts_after_close(void **state)
{
    opts_t o;
    opts_init(*state, &o, 2);
    o.on_close = set_on_close;
    opts_run(&o, new_socket(&o));
    assert_seen(&o.seen[0], 0, 0, 0);
    assert_seen(&o.seen[1], 1, 1, 3);
}

static void set_on_4s(opts_t *o, nc_socket_t *s, int life)
{
    (void)o;
    if (life == 0) {
        int fd = nc_socket_fileno(s);
        set_both(s, true, 4000);
        assert_int_equal(nh_sockopt(fd, IPPROTO_TCP, TCP_NODELAY), 1);
        assert_int_equal(nh_sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 4);
    }
}

static void test_opts_kept_across_reconnect(void **state)
{
    /* Node: values set while connected stay on the socket: the connect after 'close'
     * puts them on its new handle (_undestroy leaves kSetNoDelay alone). */
    opts_t o;
    opts_init(*state, &o, 2);
    o.on_connect = set_on_4s;
    opts_run(&o, new_socket(&o));
    assert_seen(&o.seen[0], 0, 0, 0); /* read before set_on_4s */
    assert_seen(&o.seen[1], 1, 1, 4);
}

static void test_opts_create_connection_kept(void **state)
{
    /* Node: net.createConnection({ noDelay, keepAlive, keepAliveInitialDelay: 7000 }),
     * then connect(port) after 'close': the constructor's values again. */
    opts_t o;
    opts_init(*state, &o, 2);
    o.co[0].no_delay = true;
    o.co[0].keep_alive = true;
    o.co[0].keep_alive_initial_delay = 7000;
    opts_run(&o, NULL);
    assert_seen(&o.seen[0], 1, 1, 7);
    assert_seen(&o.seen[1], 1, 1, 7);
}

static void set_off_on_close(opts_t *o, nc_socket_t *s, int life)
{
    (void)o;
    (void)life;
    set_both(s, false, 0);
}

static void test_opts_off_after_close(void **state)
{
    /* Node: createConnection({ noDelay: true, keepAlive: true }); after 'close'
     * setNoDelay(false), setKeepAlive(false), connect(): both off, whatever the second
     * connect's options say. */
    opts_t o;
    opts_init(*state, &o, 2);
    o.co[0].no_delay = o.co[1].no_delay = true;
    o.co[0].keep_alive = o.co[1].keep_alive = true;
    o.co[0].keep_alive_initial_delay = o.co[1].keep_alive_initial_delay = 7000;
    o.on_close = set_off_on_close;
    opts_run(&o, NULL);
    assert_seen(&o.seen[0], 1, 1, 7);
    assert_seen(&o.seen[1], 0, 0, 0);
}

/* ---- Unix sockets ------------------------------------------------------------------ */

static void test_opts_kept_through_unix_connect(void **state)
{
    /* Node: set before a connect to a path, the values do nothing there (a Pipe handle
     * has no setNoDelay) and are applied by a TCP connect after 'close'. */
    opts_t o;
    opts_init(*state, &o, 2);
    opts_unix(&o, 0);
    nc_socket_t *s = new_socket(&o);
    set_both(s, true, 6000);
    opts_run(&o, s);
    assert_seen(&o.seen[1], 1, 1, 6);
}

static void set_on_pipe(opts_t *o, nc_socket_t *s, int life)
{
    if (life == 0) {
        /* Checked after the run: a failed assertion here would leave the servers open. */
        o->fx->count = nc_socket_set_no_delay(s, true) == 0;
        o->fx->count += nc_socket_set_keep_alive(s, true, 6000) == 0;
    }
}

static void test_opts_unix_handle_forgets(void **state)
{
    /* Node: on a connected Pipe, setNoDelay/setKeepAlive return at once without
     * remembering: the TCP connect after 'close' sets nothing. */
    opts_t o;
    opts_init(*state, &o, 2);
    opts_unix(&o, 0);
    o.on_connect = set_on_pipe;
    opts_run(&o, new_socket(&o));
    assert_int_equal(o.fx->count, 2); /* both returned 0: a no-op, as Node */
    assert_seen(&o.seen[1], 0, 0, 0);
}

/* ---- while connecting, before the socket exists ------------------------------------ */

static void lookup_local(nc_lookup_req_t *req,
                         const char *host,
                         const nc_lookup_options_t *lo,
                         void *data)
{
    (void)host;
    (void)data;
    /* Twice, so that autoSelectFamily runs its attempts on handles of their own. */
    nc_lookup_address_t a[2] = { { "127.0.0.1", 4 }, { "127.0.0.1", 4 } };
    assert_int_equal(nc_lookup_done(req, NULL, a, lo->all ? 2 : 1), 0);
}

static void set_while_looking_up(opts_t *o, nc_socket_t *s, int life)
{
    (void)o;
    assert_true(nc_socket_connecting(s));
    assert_true(nc_socket_fileno(s) < 0); /* a name: no socket before the lookup */
    if (life == 0) {
        assert_int_equal(nc_socket_set_no_delay(s, true), 0);
    } else {
        assert_int_equal(nc_socket_set_keep_alive(s, true, 2000), 0);
    }
}

static void test_opts_set_while_looking_up(void **state)
{
    /* Node: set while connecting, the values go to the handle and are remembered too:
     * the noDelay of the first connect is on again in the second, which autoSelectFamily
     * makes on an attempt handle and hands over. */
    opts_t o;
    opts_init(*state, &o, 2);
    for (int i = 0; i < 2; i++) {
        o.co[i].host = "h.test";
        o.co[i].lookup = lookup_local;
        o.co[i].auto_select_family = i == 0 ? -1 : 1;
    }
    o.on_connecting = set_while_looking_up;
    opts_run(&o, new_socket(&o));
    assert_seen(&o.seen[0], 1, 0, 0);
    assert_seen(&o.seen[1], 1, 1, 2);
}

/* ---- an accepted socket, connected again after 'close' ----------------------------- */

typedef struct {
    nh_fixture_t *fx;
    nc_server_t *srv;
    nc_socket_t *acc; /* the first accepted socket, retained */
    int port;
    int n;
    int nd;
} acc_t;

static void acc_connect(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    acc_t *t = d;
    t->nd = nh_sockopt(nc_socket_fileno(s), IPPROTO_TCP, TCP_NODELAY);
    nc_socket_destroy(s, 0);
}

static void acc_close(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    acc_t *t = d;
    if (t->n++ == 0) {
        nc_connect_options_t co = { .port = t->port, .host = "127.0.0.1" };
        nc_socket_on(s, NC_SOCKET_CONNECT, acc_connect, t);
        assert_int_equal(nc_socket_connect(s, &co, NULL), 0);
    } else {
        nc_server_close(t->srv, NULL, NULL);
    }
}

static void acc_conn(nc_server_t *srv, const void *a, void *d)
{
    (void)srv;
    acc_t *t = d;
    nc_socket_t *s = ((const nc_server_connection_t *)a)->socket;
    if (t->acc == NULL) {
        t->acc = nc_socket_retain(s);
        nc_socket_on(s, NC_SOCKET_CLOSE, acc_close, t);
    }
    nc_socket_destroy(s, 0);
}

static void test_opts_accepted_reconnect(void **state)
{
    /* Node: onconnection sets the accepted socket's kSetNoDelay from the server's
     * noDelay; connected again after 'close', the socket sets TCP_NODELAY again. */
    nh_fixture_t *fx = *state;
    acc_t t = { .fx = fx, .nd = -1 };
    nc_server_options_t so = { .no_delay = true };
    assert_int_equal(nc_server_new(&fx->loop, &so, &t.srv), 0);
    nc_server_on(t.srv, NC_SERVER_CONNECTION, acc_conn, &t);
    t.port = nh_listen_local(fx, t.srv);
    nc_socket_t *c;
    nc_connect_options_t co = { .port = t.port, .host = "127.0.0.1" };
    assert_int_equal(nc_create_connection(&fx->loop, &co, &c, NULL), 0);
    nc_socket_resume(c); /* reads, so that the server's end closes it */
    nh_run(fx);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.nd, 1);
    nc_socket_release(t.acc);
    nc_socket_release(c);
    nc_server_release(t.srv);
}

/* ---- ref()/unref() with no handle ------------------------------------------------- */

static void test_opts_unref_before_connect(void **state)
{
    /* Node: new Socket(); unref(); connect(): hasRef() true while connecting, false
     * from 'connect' on (once('connect', this.unref)); connected again after 'close', the
     * new handle is ref'd. */
    opts_t o;
    opts_init(*state, &o, 2);
    nc_socket_t *s = new_socket(&o);
    nc_socket_unref(s);
    opts_run(&o, s);
    assert_int_equal(o.ref_connecting[0], 1);
    assert_int_equal(o.ref_connect[0], 0);
    assert_int_equal(o.ref_connecting[1], 1);
    assert_int_equal(o.ref_connect[1], 1);
}

static void unref_now(opts_t *o, nc_socket_t *s, int life)
{
    if (life == 0) {
        nc_socket_unref(s);
        o->fx->count = has_ref(o, s);
    }
}

static void test_opts_unref_connected_not_kept(void **state)
{
    /* Node: unref() on a connected socket unrefs its handle only: connected again after
     * 'close', the new handle is ref'd. */
    opts_t o;
    opts_init(*state, &o, 2);
    o.fx->count = -1;
    o.on_connect = unref_now;
    opts_run(&o, new_socket(&o));
    assert_int_equal(o.fx->count, 0);
    assert_int_equal(o.ref_connect[1], 1);
}

static void unref_if_first(opts_t *o, nc_socket_t *s, int life)
{
    (void)o;
    if (life == 0) {
        nc_socket_unref(s);
    }
}

static void test_opts_unref_after_destroy(void **state)
{
    /* Node: destroy(); unref(): waits for the 'connect' of the connect after 'close'. */
    opts_t o;
    opts_init(*state, &o, 2);
    o.on_destroyed = unref_if_first;
    opts_run(&o, new_socket(&o));
    assert_int_equal(o.ref_connect[0], 1);
    assert_int_equal(o.ref_connecting[1], 1);
    assert_int_equal(o.ref_connect[1], 0);
}

static void unref_always(opts_t *o, nc_socket_t *s, int life)
{
    (void)o;
    (void)life;
    nc_socket_unref(s);
}

static void ref_while_connecting(opts_t *o, nc_socket_t *s, int life)
{
    (void)o;
    (void)life;
    nc_socket_ref(s);
}

static void test_opts_ref_order(void **state)
{
    /* Node: unref(); ref() before connect leave the socket ref'd; unref() before connect
     * then ref() while connecting: the waiting unref() still runs at 'connect'. */
    opts_t o;
    opts_init(*state, &o, 2);
    nc_socket_t *s = new_socket(&o);
    nc_socket_unref(s);
    nc_socket_ref(s);
    o.on_close = unref_always; /* before the second connect: for its 'connect' */
    o.on_connecting = ref_while_connecting;
    opts_run(&o, s);
    assert_int_equal(o.ref_connect[0], 1);
    assert_int_equal(o.ref_connect[1], 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, nh_setup, nh_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_opts_before_connect),
        T(test_opts_last_call_before_connect_wins),
        T(test_opts_setter_delay_wins_over_options),
        T(test_opts_after_destroy),
        T(test_opts_after_close),
        T(test_opts_kept_across_reconnect),
        T(test_opts_create_connection_kept),
        T(test_opts_off_after_close),
        T(test_opts_kept_through_unix_connect),
        T(test_opts_unix_handle_forgets),
        T(test_opts_set_while_looking_up),
        T(test_opts_accepted_reconnect),
        T(test_opts_unref_before_connect),
        T(test_opts_unref_connected_not_kept),
        T(test_opts_unref_after_destroy),
        T(test_opts_ref_order),
    };
    return cmocka_run_group_tests_name("socket_opts", tests, NULL, NULL);
}
