/* pair.c: the tracked client/server pair of the socket tests (see pair.h). */
#include "pair.h"

#include <stdio.h>
#include <string.h>

static void ev_connect(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    trk_t *t = d;
    nh_log(t->p->fx, "%s:connect", t->name);
    if (t->p->on_connect != NULL) {
        t->p->on_connect(t->p, s);
    }
}

#define SIMPLE_EVENT(fn, text)                                                                     \
    static void fn(nc_socket_t *s, const void *a, void *d)                                         \
    {                                                                                              \
        (void)s;                                                                                   \
        (void)a;                                                                                   \
        trk_t *t = d;                                                                              \
        nh_log(t->p->fx, "%s:" text, t->name);                                                     \
    }
SIMPLE_EVENT(ev_ready, "ready")
SIMPLE_EVENT(ev_end, "end")
SIMPLE_EVENT(ev_finish, "finish")

static void ev_drain(nc_socket_t *s, const void *a, void *d)
{
    (void)a;
    trk_t *t = d;
    t->p->drains++;
    nh_log(t->p->fx, "%s:drain:%zu", t->name, nc_socket_writable_length(s));
}

static void ev_error(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    const nc_error_t *e = a;
    trk_t *t = d;
    nh_log(t->p->fx, "%s:error(%s)", t->name, nc_err_name(e->code));
}

static void ev_close(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    const nc_socket_close_t *c = a;
    trk_t *t = d;
    nh_log(t->p->fx, "%s:close(%s)", t->name, c->had_error ? "true" : "false");
    if (t == &t->p->tc && t->p->srv != NULL) {
        nc_server_close(t->p->srv, NULL, NULL);
    }
}

static void ev_data(nc_socket_t *s, const void *a, void *d)
{
    (void)s;
    const nc_socket_data_t *ev = a;
    trk_t *t = d;
    pair_t *p = t->p;
    /* Copy-free delivery: every read of the loop lands in the same shared buffer. */
    if (p->last_base != NULL && p->last_base != ev->base) {
        p->same_base = false;
    }
    p->last_base = ev->base;
    if (t == &p->ts) {
        if (p->srv_bytes == 0) {
            nh_log(p->fx, "srv:data");
        }
        size_t room = sizeof(p->srv_data) - 1 - strnlen(p->srv_data, sizeof(p->srv_data));
        strncat(p->srv_data, ev->base, ev->len < room ? ev->len : room);
        p->srv_bytes += ev->len;
    } else {
        nh_log(p->fx, "cli:data:%.*s", (int)ev->len, ev->base);
    }
}

void track(nc_socket_t *s, trk_t *t, bool data)
{
    assert_int_equal(nc_socket_on(s, NC_SOCKET_CONNECT, ev_connect, t), 0);
    nc_socket_on(s, NC_SOCKET_READY, ev_ready, t);
    nc_socket_on(s, NC_SOCKET_END, ev_end, t);
    nc_socket_on(s, NC_SOCKET_FINISH, ev_finish, t);
    nc_socket_on(s, NC_SOCKET_DRAIN, ev_drain, t);
    nc_socket_on(s, NC_SOCKET_ERROR, ev_error, t);
    nc_socket_on(s, NC_SOCKET_CLOSE, ev_close, t);
    if (data) {
        nc_socket_on(s, NC_SOCKET_DATA, ev_data, t);
    }
}

const char *only(const nh_fixture_t *fx, const char *name)
{
    static char out[2048];
    char buf[2048];
    size_t n = strlen(name);
    out[0] = '\0';
    snprintf(buf, sizeof(buf), "%s", fx->log);
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w != NULL;
         w = strtok_r(NULL, " ", &save)) {
        if (strncmp(w, name, n) == 0 && w[n] == ':') {
            if (out[0] != '\0') {
                strcat(out, " ");
            }
            strncat(out, w + n + 1, sizeof(out) - strlen(out) - 1);
        }
    }
    return out;
}

static void on_connection(nc_server_t *srv, const void *a, void *d)
{
    (void)srv;
    pair_t *p = d;
    p->conn = ((const nc_server_connection_t *)a)->socket;
    track(p->conn, &p->ts, true);
    if (p->on_conn != NULL) {
        p->on_conn(p, p->conn);
    }
}

void pair_init(nh_fixture_t *fx, pair_t *p, const nc_server_options_t *so)
{
    memset(p, 0, sizeof(*p));
    p->fx = fx;
    p->tc = (trk_t){ p, "cli" };
    p->ts = (trk_t){ p, "srv" };
    p->same_base = true;
    assert_int_equal(nc_server_new(&fx->loop, so, &p->srv), 0);
    nc_server_on(p->srv, NC_SERVER_CONNECTION, on_connection, p);
    assert_int_equal(nc_socket_new(&fx->loop, NULL, &p->cli), 0);
    track(p->cli, &p->tc, true);
}

void pair_run(pair_t *p, bool unix_path)
{
    nc_connect_options_t co = { 0 };
    if (unix_path) {
        nc_listen_options_t lo = { .path = p->path, .path_len = p->path_len };
        assert_int_equal(nc_server_listen(p->srv, &lo, NULL), 0);
        co.path = p->path;
        co.path_len = p->path_len;
    } else {
        co.port = nh_listen_local(p->fx, p->srv);
        co.host = "127.0.0.1";
    }
    assert_int_equal(nc_socket_connect(p->cli, &co, NULL), 0);
    nh_run(p->fx);
    nc_server_release(p->srv);
    nc_socket_release(p->cli);
}

void cli_end_hello(pair_t *p, nc_socket_t *s)
{
    (void)p;
    assert_int_equal(nc_socket_end(s, "hello", 5), 0);
}

void log_wcb(nc_socket_t *s, int status, void *d)
{
    (void)s;
    trk_t *t = d;
    nh_log(t->p->fx, "%s:wcb:%s", t->name, status == 0 ? "ok" : nc_err_name(status));
}
