/* trace_events.c: the tracer's listeners on every traced server and socket, and the
 * helpers that start the usual stories (listen, connect, the client/server pair). */
#include "trace_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An address as lines show it: "127.0.0.1:{p:N} IPv4", or the path. */
static void fmt_address(tr_t *t, const nc_address_t *a, char *buf, size_t size)
{
    if (a->family == NULL) {
        tr__text(a->address, a->address_len, buf, size);
    } else {
        snprintf(buf, size, "%s:%s %s", a->address, tr_port(t, a->port), a->family);
    }
}

/* Node's error fields: code, errno (system errors only), syscall, address, port and the
 * message, its port number shown as a placeholder. */
static void fmt_error(tr_t *t, const nc_error_t *e, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s", nc_err_name(e->code));
    if (nc_error_errno(e) != 0) {
        n += snprintf(buf + n, size - (size_t)n, " errno=%d", nc_error_errno(e));
    }
    if (e->syscall != NULL) {
        n += snprintf(buf + n, size - (size_t)n, " syscall=%s", e->syscall);
    }
    if (e->address[0] != '\0') {
        n += snprintf(buf + n, size - (size_t)n, " address=%s", e->address);
    }
    char num[16] = "";
    if (e->port >= 0) {
        snprintf(num, sizeof(num), "%d", e->port);
        n += snprintf(buf + n, size - (size_t)n, " port=%s", tr_port(t, e->port));
    }
    n += snprintf(buf + n, size - (size_t)n, " message=");
    const char *m = e->message;
    size_t nl = strlen(num);
    while (*m != '\0' && (size_t)n + 24 < size) {
        if (nl > 0 && strncmp(m, num, nl) == 0 && (m == e->message || m[-1] < '0' || m[-1] > '9') &&
            (m[nl] < '0' || m[nl] > '9')) {
            n += snprintf(buf + n, size - (size_t)n, "%s", tr_port(t, e->port));
            m += nl;
        } else {
            buf[n++] = *m++;
            buf[n] = '\0';
        }
    }
}

/* ---- sockets ------------------------------------------------------------------------ */

static void on_connect(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    tr_t *t = d;
    tr_obj_t *o = tr__find(t, s);
    nc_address_t local;
    if (o != NULL && nc_socket_address(s, &local) == 0 && local.family != NULL) {
        tr__name_port(t, local.port, o->name);
    }
    tr__put(t, o, "connect");
}

#define SIMPLE(fn, text)                                                                           \
    static void fn(nc_socket_t *s, const void *a, void *d)                                         \
    {                                                                                              \
        (void)a;                                                                                   \
        tr__put(d, tr__find(d, s), text);                                                          \
    }
SIMPLE(on_ready, "ready")
SIMPLE(on_end, "end")
SIMPLE(on_finish, "finish")
SIMPLE(on_drain, "drain")
SIMPLE(on_timeout, "timeout")

static void on_data(nc_socket_t *s, const void *a, void *d)
{
    tr__data(d, tr__find(d, s), ((const nc_socket_data_t *)a)->len);
}

static void on_error(nc_socket_t *s, const void *a, void *d)
{
    char buf[TR_LINE_MAX - 16];
    fmt_error(d, a, buf, sizeof(buf));
    tr__put(d, tr__find(d, s), "error %s", buf);
}

static void on_close(nc_socket_t *s, const void *a, void *d)
{
    const nc_socket_close_t *c = a;
    tr__put(d, tr__find(d, s), "close hadError=%s", c->had_error ? "true" : "false");
}

static void on_lookup(nc_socket_t *s, const void *a, void *d)
{
    const nc_socket_lookup_t *l = a;
    tr__put(d, tr__find(d, s), "lookup %s %s %d %s",
            l->error != NULL ? nc_err_name(l->error->code) : "null",
            l->address != NULL ? l->address : "undefined", l->family, l->host);
}

/* 'connectionAttempt', 'connectionAttemptFailed' (with its error), 'connectionAttemptTimeout'. */
static void put_attempt(tr_t *t, nc_socket_t *s, const char *ev, const nc_socket_attempt_t *a)
{
    char err[TR_LINE_MAX - 128] = "";
    if (a->error != NULL) {
        err[0] = ' ';
        fmt_error(t, a->error, err + 1, sizeof(err) - 1);
    }
    /* A path's attempt has no port or family: Node's undefined, -1 and 0 here. */
    char family[16] = "undefined";
    if (a->family != 0) {
        snprintf(family, sizeof(family), "%d", a->family);
    }
    tr__put(t, tr__find(t, s), "%s %s %s %s%s", ev, a->ip,
            a->port >= 0 ? tr_port(t, a->port) : "undefined", family, err);
}

static void on_attempt(nc_socket_t *s, const void *a, void *d)
{
    put_attempt(d, s, "connectionAttempt", a);
}

static void on_attempt_failed(nc_socket_t *s, const void *a, void *d)
{
    put_attempt(d, s, "connectionAttemptFailed", a);
}

static void on_attempt_timeout(nc_socket_t *s, const void *a, void *d)
{
    put_attempt(d, s, "connectionAttemptTimeout", a);
}

static void track_socket(tr_t *t, nc_socket_t *s)
{
    nc_socket_on(s, NC_SOCKET_CONNECT, on_connect, t);
    nc_socket_on(s, NC_SOCKET_READY, on_ready, t);
    nc_socket_on(s, NC_SOCKET_DATA, on_data, t);
    nc_socket_on(s, NC_SOCKET_END, on_end, t);
    nc_socket_on(s, NC_SOCKET_FINISH, on_finish, t);
    nc_socket_on(s, NC_SOCKET_DRAIN, on_drain, t);
    nc_socket_on(s, NC_SOCKET_ERROR, on_error, t);
    nc_socket_on(s, NC_SOCKET_CLOSE, on_close, t);
    nc_socket_on(s, NC_SOCKET_TIMEOUT, on_timeout, t);
    nc_socket_on(s, NC_SOCKET_LOOKUP, on_lookup, t);
    nc_socket_on(s, NC_SOCKET_CONNECTION_ATTEMPT, on_attempt, t);
    nc_socket_on(s, NC_SOCKET_CONNECTION_ATTEMPT_FAILED, on_attempt_failed, t);
    nc_socket_on(s, NC_SOCKET_CONNECTION_ATTEMPT_TIMEOUT, on_attempt_timeout, t);
}

nc_socket_t *tr_socket(tr_t *t, const char *name, const nc_socket_options_t *opts)
{
    nc_socket_t *s;
    int r = nc_socket_new(&t->loop, opts, &s);
    if (r < 0) {
        tr_fail(t, "nc_socket_new(%s): %s", name, nc_err_name(r));
    }
    tr__add(t, name, s, false);
    track_socket(t, s);
    return s;
}

/* ---- servers ----------------------------------------------------------------------- */

static void on_listening(nc_server_t *srv, const void *a, void *d)
{
    (void)a;
    tr_t *t = d;
    tr_obj_t *o = tr__find(t, srv);
    nc_address_t addr;
    char text[TR_PATH_LEN + 32] = "null";
    if (nc_server_address(srv, &addr) == 0) {
        if (addr.family != NULL) {
            tr__name_port(t, addr.port, o->name);
        }
        fmt_address(t, &addr, text, sizeof(text));
    }
    tr__put(t, o, "listening %s", text);
}

static void on_connection(nc_server_t *srv, const void *a, void *d)
{
    tr_t *t = d;
    nc_socket_t *s = ((const nc_server_connection_t *)a)->socket;
    char name[32];
    snprintf(name, sizeof(name), "conn%d", ++t->conns);
    /* Traced sockets are the tracer's until the end: it holds a reference. */
    tr__add(t, name, nc_socket_retain(s), false);
    track_socket(t, s);
    tr__put(t, tr__find(t, srv), "connection %s", name);
}

static void on_server_close(nc_server_t *srv, const void *a, void *d)
{
    (void)a;
    tr__put(d, tr__find(d, srv), "close");
}

static void on_server_error(nc_server_t *srv, const void *a, void *d)
{
    char buf[TR_LINE_MAX - 16];
    fmt_error(d, a, buf, sizeof(buf));
    tr__put(d, tr__find(d, srv), "error %s", buf);
}

static void on_drop(nc_server_t *srv, const void *a, void *d)
{
    const nc_server_drop_t *drop = a;
    tr_t *t = d;
    if (!drop->has_address) {
        tr__put(t, tr__find(t, srv), "drop");
        return;
    }
    char l[TR_PATH_LEN + 32], r[TR_PATH_LEN + 32];
    fmt_address(t, &drop->local, l, sizeof(l));
    fmt_address(t, &drop->remote, r, sizeof(r));
    tr__put(t, tr__find(t, srv), "drop local=%s remote=%s", l, r);
}

nc_server_t *tr_server(tr_t *t, const char *name, const nc_server_options_t *opts)
{
    nc_server_t *s;
    int r = nc_server_new(&t->loop, opts, &s);
    if (r < 0) {
        tr_fail(t, "nc_server_new(%s): %s", name, nc_err_name(r));
    }
    tr__add(t, name, s, true);
    nc_server_on(s, NC_SERVER_LISTENING, on_listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, on_connection, t);
    nc_server_on(s, NC_SERVER_CLOSE, on_server_close, t);
    nc_server_on(s, NC_SERVER_ERROR, on_server_error, t);
    nc_server_on(s, NC_SERVER_DROP, on_drop, t);
    return s;
}

/* ---- the usual stories ------------------------------------------------------------- */

void tr_listen(tr_t *t, nc_server_t *s, const char *host, int port)
{
    nc_error_t err = { .port = -1 };
    nc_listen_options_t lo = { .host = host, .port = port };
    tr_threw(t, s, "listen", nc_server_listen(s, &lo, &err), &err);
}

void tr_listen_path(tr_t *t, nc_server_t *s, const char *name)
{
    nc_error_t err = { .port = -1 };
    nc_listen_options_t lo = { 0 };
    lo.path = tr_path(t, name, &lo.path_len);
    tr_threw(t, s, "listen", nc_server_listen(s, &lo, &err), &err);
}

void tr_connect(tr_t *t, nc_socket_t *c, nc_server_t *s)
{
    nc_address_t a;
    nc_connect_options_t co = { 0 };
    if (nc_server_address(s, &a) < 0) {
        tr_fail(t, "tr_connect: %s is not listening", tr_name(t, s));
    }
    if (a.family == NULL) {
        co.path = a.address;
        co.path_len = a.address_len;
    } else {
        co.port = a.port;
        co.host = strcmp(a.family, "IPv6") == 0 ? "::1" : "127.0.0.1";
    }
    nc_error_t err = { .port = -1 };
    tr_threw(t, c, "connect", nc_socket_connect(c, &co, &err), &err);
}

static void pair_connect(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    tr_t *t = d;
    t->pair->on_connect(t, s);
}

static void pair_listening(nc_server_t *srv, const void *a, void *d)
{
    (void)a;
    tr_t *t = d;
    nc_socket_t *c = tr_socket(t, "client", &t->pair->client);
    if (t->pair->on_connect != NULL) {
        nc_socket_on(c, NC_SOCKET_CONNECT, pair_connect, t);
    }
    tr_connect(t, c, srv);
}

static void pair_connection(nc_server_t *srv, const void *a, void *d)
{
    tr_t *t = d;
    nc_server_close(srv, NULL, NULL);
    if (t->pair->on_connection != NULL) {
        t->pair->on_connection(t, ((const nc_server_connection_t *)a)->socket);
    }
}

void tr_pair(tr_t *t, const tr_pair_t *p)
{
    t->pair = p;
    nc_server_t *srv = tr_server(t, "server", &p->server);
    nc_server_once(srv, NC_SERVER_LISTENING, pair_listening, t);
    nc_server_once(srv, NC_SERVER_CONNECTION, pair_connection, t);
    if (p->path != NULL) {
        tr_listen_path(t, srv, p->path);
    } else {
        tr_listen(t, srv, p->host != NULL ? p->host : "127.0.0.1", 0);
    }
}
