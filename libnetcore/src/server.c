/* server.c: net.Server. Listens on TCP, Unix paths (abstract names included) and
 * inherited fds, accepts into sockets, counts them for maxConnections and 'close'. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NC_DEFAULT_BACKLOG 511 /* Node: node-net.md "server.listen()": 511 (not 512) */

typedef union {
    uv_handle_t h;
    uv_stream_t s;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
} handle_u;

struct nc_server_s {
    nc__obj_t obj;
    nc_server_options_t opts;
    handle_u *h; /* the listening handle; NULL when not listening */
    bool listening;
    bool closing;             /* close() called: 'close' is due once drained */
    int close_more;           /* 'close' emissions due after the queued one */
    char path[NC_ADDRSTRLEN]; /* a Unix server's path as given (address() shows it) */
    size_t path_len;
    bool unref;
    int max_connections;
    int connections;
    nc_abort_signal_t *signal; /* listen's `signal`, held until 'close' */
    unsigned listen_id;        /* Node's _listeningId: a listen or close drops a pending lookup */
    nc_error_t err;
    nc__tick_t t_listening;
    nc__tick_t t_error;
    nc__tick_t t_close;
    nc__tick_t t_abort;
};

typedef struct {
    nc_server_close_cb cb;
    void *data;
    int status;
} close_req_t;

typedef struct {
    nc__tick_t tick;
    nc_server_connections_cb cb;
    void *data;
    int count; /* Node reads _connections at the call, reports it on the next tick */
} conn_req_t;

static void server_finalize(nc__obj_t *obj);
static void server_emit(nc_server_t *s, nc_server_event_t ev, const void *arg);
static void tick_listening(nc__tick_t *t);
static void tick_error(nc__tick_t *t);
static void tick_close(nc__tick_t *t);
static void on_connection(uv_stream_t *h, int status);
static void handle_closed(uv_handle_t *h);
static void emit_close_if_drained(nc_server_t *s);
static void tick_abort(nc__tick_t *t);
static void signal_drop(nc_server_t *s);
static int signal_attach(nc_server_t *s, nc_abort_signal_t *sig);

int nc_server_new(uv_loop_t *loop, const nc_server_options_t *opts, nc_server_t **ret)
{
    if (loop == NULL || ret == NULL) {
        return -EINVAL;
    }
    nc_server_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return -ENOMEM;
    }
    int r = nc__obj_init(&s->obj, loop, NC_SERVER_EVENT_COUNT, server_finalize);
    if (r < 0) {
        free(s);
        return r;
    }
    if (opts != NULL) {
        s->opts = *opts;
    }
    s->max_connections = -1;
    s->err.port = -1;
    nc__tick_init(&s->t_listening, &s->obj, tick_listening);
    nc__tick_init(&s->t_error, &s->obj, tick_error);
    nc__tick_init(&s->t_close, &s->obj, tick_close);
    nc__tick_init(&s->t_abort, &s->obj, tick_abort);
    *ret = s;
    return 0;
}

void nc_server_release(nc_server_t *s)
{
    if (s != NULL) {
        nc__obj_release(&s->obj);
    }
}

static void close_req_fire(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    close_req_t *req = data;
    req->cb(s, req->status, req->data);
    free(req);
}

static void server_finalize(nc__obj_t *obj)
{
    nc_server_t *s = nc__container_of(obj, nc_server_t, obj);
    /* close() callbacks whose 'close' never came own their request. */
    for (nc__listener_t *l = obj->em.head; l != NULL; l = l->next) {
        if (l->fn == (nc__fn)close_req_fire && !(l->once && l->removed != 0)) {
            free(l->data);
        }
    }
    signal_drop(s);
    nc__emitter_clear(&obj->em, obj->lp);
    nc_error_clear(&s->err);
    free(s);
}

static void server_emit(nc_server_t *s, nc_server_event_t ev, const void *arg)
{
    nc__emit_iter_t it;
    nc__fn fn;
    void *data;
    if (!nc__emitter_may_have(&s->obj.em, (int)ev)) {
        return;
    }
    nc__obj_retain(&s->obj);
    nc__emit_begin(&s->obj.em, (int)ev, &it);
    while (nc__emit_next(&s->obj.em, &it, &fn, &data)) {
        ((nc_server_event_cb)fn)(s, arg, data);
    }
    nc__emit_end(&s->obj.em, s->obj.lp);
    nc__obj_release(&s->obj);
}

int nc_server_on(nc_server_t *s, nc_server_event_t event, nc_server_event_cb cb, void *data)
{
    return s == NULL ? -EINVAL
                     : nc__emitter_on(&s->obj.em, s->obj.lp, (int)event, (nc__fn)cb, data, false);
}

int nc_server_once(nc_server_t *s, nc_server_event_t event, nc_server_event_cb cb, void *data)
{
    return s == NULL ? -EINVAL
                     : nc__emitter_on(&s->obj.em, s->obj.lp, (int)event, (nc__fn)cb, data, true);
}

int nc_server_off(nc_server_t *s, nc_server_event_t event, nc_server_event_cb cb, void *data)
{
    return s == NULL ? -EINVAL
                     : nc__emitter_off(&s->obj.em, s->obj.lp, (int)event, (nc__fn)cb, data);
}

int nc_server_listener_count(nc_server_t *s, nc_server_event_t event)
{
    return s == NULL ? -EINVAL : nc__emitter_count(&s->obj.em, (int)event);
}

static void tick_listening(nc__tick_t *t)
{
    nc_server_t *s = nc__container_of(t, nc_server_t, t_listening);
    /* Node: emitListeningNT checks that the server is still listening. */
    if (s->listening) {
        server_emit(s, NC_SERVER_LISTENING, NULL);
    }
}

static void tick_error(nc__tick_t *t)
{
    nc_server_t *s = nc__container_of(t, nc_server_t, t_error);
    server_emit(s, NC_SERVER_ERROR, &s->err);
}

static void tick_close(nc__tick_t *t)
{
    nc_server_t *s = nc__container_of(t, nc_server_t, t_close);
    s->closing = false;
    signal_drop(s);
    server_emit(s, NC_SERVER_CLOSE, NULL);
    if (s->close_more > 0) {
        s->close_more--;
        nc__tick_push(&s->t_close);
    }
}

/* A new handle of the server's, held by the server until its close callback. */
static handle_u *handle_new(nc_server_t *s)
{
    handle_u *h = calloc(1, sizeof(*h));
    if (h != NULL) {
        h->h.data = &s->obj;
    }
    return h;
}

static void handle_close(nc_server_t *s, handle_u *h)
{
    nc__obj_retain(&s->obj);
    uv_close(&h->h, handle_closed);
}

static void handle_closed(uv_handle_t *h)
{
    nc__obj_t *obj = h->data;
    free(h);
    nc__loop_drain(obj->lp);
    nc__obj_release(obj);
}

/* The handle is bound: listen, then report the outcome on a later turn, as Node does
 * with emitListeningNT / emitErrorNT. */
static void listen_finish(nc_server_t *s, handle_u *h, int backlog, const char *addr, int port)
{
    int r = uv_listen(&h->s, backlog, on_connection);
    if (r < 0) {
        handle_close(s, h);
        nc__error_sys(&s->err, r, "listen", addr, port);
        nc__tick_push(&s->t_error);
        return;
    }
    s->h = h;
    s->listening = true;
    s->closing = false;
    if (s->unref) {
        uv_unref(&h->h);
    }
    nc__tick_push(&s->t_listening);
}

static int tcp_bind(nc_server_t *s, handle_u *h, const char *host, int port, bool v6only)
{
    struct sockaddr_storage ss;
    int family = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
    int r = family == AF_INET6 ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss)
                               : uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
    if (r == 0) {
        r = uv_tcp_init_ex(s->obj.loop, &h->tcp, (unsigned)family);
    }
    if (r < 0) {
        free(h);
        return r;
    }
    /* libuv sets SO_REUSEADDR in uv_tcp_bind, as Node's doc says every socket has. */
    r = uv_tcp_bind(&h->tcp, (struct sockaddr *)&ss, v6only ? UV_TCP_IPV6ONLY : 0);
    if (r < 0) {
        handle_close(s, h);
    }
    return r;
}

/* Binds host (an IP literal; NULL for Node's default) and listens, or reports the bind
 * error on a later turn. */
static int listen_ip(nc_server_t *s, const char *host, int port, int backlog, bool v6only)
{
    const char *ip = host != NULL ? host : "::";
    handle_u *h = handle_new(s);
    if (h == NULL) {
        return -ENOMEM;
    }
    int r = tcp_bind(s, h, ip, port, v6only);
    if (r < 0 && host == NULL) {
        /* Node: no host means '::', or '0.0.0.0' when IPv6 cannot be bound. */
        ip = "0.0.0.0";
        if ((h = handle_new(s)) == NULL) {
            return -ENOMEM;
        }
        r = tcp_bind(s, h, ip, port, false);
    }
    if (r < 0) {
        nc__error_sys(&s->err, r, "listen", ip, port);
        nc__tick_push(&s->t_error);
        return 0;
    }
    listen_finish(s, h, backlog, ip, port);
    return 0;
}

typedef struct {
    uv_getaddrinfo_t req;
    nc__tick_t literal; /* the host is an IP literal: no resolver, the answer on a tick */
    nc_server_t *s;
    unsigned id;
    int port, backlog;
    bool v6only;
    char host[256];
} listen_lookup_t;

/* Node: lookupAndListen: once the name is resolved, listen on its first address (ip, or
 * NULL with the lookup's status), unless listen() or close() was called meanwhile; a
 * failed lookup is emitted as 'error'. */
static void listen_resolved(listen_lookup_t *ll, int status, const char *ip)
{
    nc_server_t *s = ll->s;
    if (ll->id != s->listen_id || s->h != NULL) {
        return;
    }
    if (ip == NULL) {
        nc__lookup_error(&s->err, status < 0 ? status : UV_EAI_NONAME, ll->host);
        server_emit(s, NC_SERVER_ERROR, &s->err);
    } else if (listen_ip(s, ip, ll->port, ll->backlog, ll->v6only) < 0) {
        nc__error(&s->err, -ENOMEM, "%s", nc_strerror(-ENOMEM));
        server_emit(s, NC_SERVER_ERROR, &s->err);
    }
}

static void on_listen_lookup(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    listen_lookup_t *ll = nc__container_of(req, listen_lookup_t, req);
    nc_server_t *s = ll->s;
    char ip[NC_ADDRSTRLEN];
    bool found = status == 0 && res != NULL && uv_ip_name(res->ai_addr, ip, sizeof(ip)) == 0;
    listen_resolved(ll, status, found ? ip : NULL);
    uv_freeaddrinfo(res);
    free(ll);
    nc__loop_drain(s->obj.lp);
    nc__obj_release(&s->obj);
}

/* Node's dns.lookup answers an IP literal itself on the next tick: no getaddrinfo, and
 * so no thread pool in a program that only ever listens on addresses. */
static void tick_listen_literal(nc__tick_t *t)
{
    listen_lookup_t *ll = nc__container_of(t, listen_lookup_t, literal);
    listen_resolved(ll, 0, ll->host);
    free(ll);
}

static int listen_lookup(nc_server_t *s, const nc_listen_options_t *o, int backlog, nc_error_t *err)
{
    size_t len = strlen(o->host);
    if (len >= sizeof(((listen_lookup_t *)NULL)->host)) {
        return nc__error(err, NC_ERR_INVALID_ARG_VALUE, "The argument 'host' is invalid");
    }
    listen_lookup_t *ll = calloc(1, sizeof(*ll));
    if (ll == NULL) {
        return -ENOMEM;
    }
    *ll = (listen_lookup_t){
        .s = s, .id = s->listen_id, .port = o->port, .backlog = backlog, .v6only = o->ipv6_only
    };
    memcpy(ll->host, o->host, len + 1);
    if (nc_is_ip(ll->host, len) != 0) {
        nc__tick_init(&ll->literal, &s->obj, tick_listen_literal);
        nc__tick_push(&ll->literal);
        return 0;
    }
    /* Node: dns.lookup(address, cb): family 0 and hints 0. */
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
    int r = uv_getaddrinfo(s->obj.loop, &ll->req, on_listen_lookup, ll->host, NULL, &hints);
    if (r < 0) {
        /* Node: dns.lookup reports it on the next tick; here through 'error'. */
        nc__lookup_error(&s->err, r, ll->host);
        free(ll);
        nc__tick_push(&s->t_error);
        return 0;
    }
    nc__obj_retain(&s->obj); /* for the request */
    return 0;
}

static int listen_tcp(nc_server_t *s, const nc_listen_options_t *o, int backlog, nc_error_t *err)
{
    if (o->port < 0 || o->port > 65535) {
        return nc__error(err, NC_ERR_SOCKET_BAD_PORT,
                         "options.port should be >= 0 and < 65536. Received type number (%d).",
                         o->port);
    }
    /* Node: a host, even an IP literal, goes through lookupAndListen (dns.lookup), so the
     * bind happens on a later turn: right after listen(), `listening` is false and
     * address() null. Without a host Node binds at once. */
    if (o->host != NULL) {
        return listen_lookup(s, o, backlog, err);
    }
    return listen_ip(s, NULL, o->port, backlog, o->ipv6_only);
}

/* libuv 1.44's uv_pipe_bind takes a C string: an abstract name is bound by hand. */
static int pipe_bind(handle_u *h, const struct sockaddr_un *un, socklen_t len)
{
    if (un->sun_path[0] != '\0') {
        return uv_pipe_bind(&h->pipe, un->sun_path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -errno;
    }
    int r = bind(fd, (const struct sockaddr *)un, len) == 0 ? 0 : -errno;
    if (r == 0) {
        r = uv_pipe_open(&h->pipe, fd);
    }
    if (r < 0) {
        close(fd);
    }
    return r;
}

static int listen_pipe(nc_server_t *s, const nc_listen_options_t *o, int backlog, nc_error_t *err)
{
    struct sockaddr_un un;
    socklen_t len;
    if (nc__unix_addr(o->path, o->path_len, &un, &len) < 0) {
        return nc__error(err, NC_ERR_INVALID_ARG_VALUE,
                         "The argument 'path' must be a non-empty path without NUL bytes");
    }
    char shown[sizeof(un.sun_path) + 1];
    nc__unix_display(o->path, o->path_len, shown, sizeof(shown));
    handle_u *h = handle_new(s);
    if (h == NULL) {
        return -ENOMEM;
    }
    int r = uv_pipe_init(s->obj.loop, &h->pipe, 0);
    if (r < 0) {
        free(h);
        return r;
    }
    r = pipe_bind(h, &un, len);
    if (r < 0) {
        handle_close(s, h);
        nc__error_sys(&s->err, r, "listen", shown, -1);
        nc__tick_push(&s->t_error);
        return 0;
    }
    listen_finish(s, h, backlog, shown, -1);
    if (s->h == h) {
        /* Node: address() is the path as given, also when the bound name was cut. */
        s->path_len = o->path_len < sizeof(s->path) ? o->path_len : sizeof(s->path) - 1;
        memcpy(s->path, o->path, s->path_len);
    }
    if (s->h == h && (o->readable_all || o->writable_all)) {
        int mode = (o->readable_all ? UV_READABLE : 0) | (o->writable_all ? UV_WRITABLE : 0);
        r = uv_pipe_chmod(&h->pipe, mode);
        if (r < 0) {
            /* Node closes the handle and throws errnoException(err, 'uv_pipe_chmod'). */
            s->listening = false;
            s->h = NULL;
            handle_close(s, h);
            return nc__error_sys(err, r, "uv_pipe_chmod", NULL, -1);
        }
    }
    return 0;
}

int nc_server_listen(nc_server_t *s, const nc_listen_options_t *opts, nc_error_t *err)
{
    static const nc_listen_options_t no_args = { .port = 0 };
    if (s == NULL) {
        return -EINVAL;
    }
    /* Node: listen() with no arguments is port 0 on the default host. */
    if (opts == NULL) {
        opts = &no_args;
    }
    if (s->h != NULL) {
        return nc__error(err, NC_ERR_SERVER_ALREADY_LISTEN, "%s",
                         nc_strerror(NC_ERR_SERVER_ALREADY_LISTEN));
    }
    /* Node 20 validates no backlog: a negative one reaches listen(2), which takes the
     * system maximum (somaxconn) for it. 0 is the zeroed options' default. */
    int backlog = opts->backlog != 0 ? opts->backlog : NC_DEFAULT_BACKLOG;
    if (opts->signal != NULL) {
        int r = signal_attach(s, opts->signal);
        if (r < 0) {
            return r;
        }
    }
    s->listen_id++;
    /* Node: listenInCluster: a non-exclusive listen in a cluster worker asks the primary
     * for its handle; here the process's listen provider, when one is installed. */
    int r = opts->exclusive ? NC__LISTEN_OWN : nc__provider_ask(s, s->listen_id, opts, backlog);
    if (r == NC__LISTEN_OWN) {
        r = nc__server_listen_own(s, opts, backlog, err);
    }
    if (r < 0) {
        signal_drop(s); /* thrown: the call did nothing */
    }
    return r;
}

int nc__server_listen_own(nc_server_t *s,
                          const nc_listen_options_t *o,
                          int backlog,
                          nc_error_t *err)
{
    return o->path != NULL ? listen_pipe(s, o, backlog, err) : listen_tcp(s, o, backlog, err);
}

bool nc__server_listen_current(const nc_server_t *s, unsigned id)
{
    return s->listen_id == id && s->h == NULL;
}

uv_loop_t *nc__server_hold(nc_server_t *s, bool hold)
{
    /* No drain on release: the answer may come inside nc_server_listen or another
     * callback, and the queued 'listening' or 'error' must wait for a later turn. */
    uv_loop_t *loop = s->obj.loop; /* read first: the release may free the server */
    if (hold) {
        nc__obj_retain(&s->obj);
    } else {
        nc__obj_release(&s->obj);
    }
    return loop;
}

void nc__server_error_later(nc_server_t *s, const nc_error_t *err)
{
    nc_error_clear(&s->err);
    s->err = *err;
    nc__tick_push(&s->t_error);
}

int nc_server_listen_fd(nc_server_t *s, int fd, int backlog, nc_error_t *err)
{
    if (s == NULL || fd < 0) {
        return -EINVAL;
    }
    if (s->h != NULL) {
        return nc__error(err, NC_ERR_SERVER_ALREADY_LISTEN, "%s",
                         nc_strerror(NC_ERR_SERVER_ALREADY_LISTEN));
    }
    uv_handle_type type = nc__fd_stream_type(fd);
    if (type != UV_TCP && type != UV_NAMED_PIPE) {
        return nc__error(err, NC_ERR_INVALID_FD_TYPE, "Unsupported fd type: UNKNOWN");
    }
    handle_u *h = handle_new(s);
    if (h == NULL) {
        return -ENOMEM;
    }
    int r =
        type == UV_TCP ? uv_tcp_init(s->obj.loop, &h->tcp) : uv_pipe_init(s->obj.loop, &h->pipe, 0);
    if (r < 0) {
        free(h);
        return r;
    }
    r = type == UV_TCP ? uv_tcp_open(&h->tcp, fd) : uv_pipe_open(&h->pipe, fd);
    if (r < 0) {
        /* The fd stays the caller's: the handle never took it. */
        handle_close(s, h);
        return nc__error_sys(err, r, "listen", NULL, -1);
    }
    listen_finish(s, h, backlog != 0 ? backlog : NC_DEFAULT_BACKLOG, NULL, -1);
    return 0;
}

int nc_server_listen_server(nc_server_t *s, nc_server_t *other, int backlog, nc_error_t *err)
{
    if (s == NULL || other == NULL) {
        return -EINVAL;
    }
    if (s->h != NULL) {
        return nc__error(err, NC_ERR_SERVER_ALREADY_LISTEN, "%s",
                         nc_strerror(NC_ERR_SERVER_ALREADY_LISTEN));
    }
    int fd = nc_server_fileno(other);
    if (fd < 0) {
        return nc__error(err, NC_ERR_INVALID_ARG_VALUE,
                         "The argument 'handle' is not a listening server");
    }
    /* Node shares the very handle object; a C handle has one owner, so this server gets
     * its own fd for the same kernel socket. */
    int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (dup < 0) {
        return nc__error_sys(err, -errno, "dup", NULL, -1);
    }
    int r = nc_server_listen_fd(s, dup, backlog, err);
    if (r < 0) {
        close(dup);
    }
    return r;
}

static void on_abort(nc_abort_signal_t *sig, void *data)
{
    (void)sig;
    nc_server_t *s = data;
    nc__obj_retain(&s->obj);
    nc_server_close(s, NULL, NULL);
    nc__obj_release(&s->obj);
}

static void tick_abort(nc__tick_t *t)
{
    nc_server_t *s = nc__container_of(t, nc_server_t, t_abort);
    if (s->signal != NULL) {
        nc_server_close(s, NULL, NULL);
    }
}

/* Node: addServerAbortSignalOption: an aborted signal closes on the next tick (before
 * emitListeningNT, queued after it), else abort() closes at once; 'close' lets go. */
static int signal_attach(nc_server_t *s, nc_abort_signal_t *sig)
{
    signal_drop(s);
    if (nc_abort_signal_aborted(sig)) {
        nc__tick_push(&s->t_abort);
    } else {
        int r = nc_abort_signal_add(sig, on_abort, s);
        if (r < 0) {
            return r;
        }
    }
    s->signal = nc_abort_signal_ref(sig);
    return 0;
}

static void signal_drop(nc_server_t *s)
{
    if (s->signal != NULL) {
        nc_abort_signal_remove(s->signal, on_abort, s);
        s->signal = nc_abort_signal_unref(s->signal);
    }
}

static void drop_closed(uv_handle_t *h)
{
    free(h);
}

/* Node: node-net.md "Event: 'drop'": over maxConnections the connection is closed and
 * 'drop' tells its addresses (TCP only). */
static void drop_connection(nc_server_t *s)
{
    handle_u *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return;
    }
    nc_server_drop_t drop = { .has_address = false };
    bool tcp = s->h->h.type == UV_TCP;
    int r = tcp ? uv_tcp_init(s->obj.loop, &c->tcp) : uv_pipe_init(s->obj.loop, &c->pipe, 0);
    if (r < 0) {
        free(c);
        return;
    }
    if (uv_accept(&s->h->s, &c->s) == 0 && tcp) {
        struct sockaddr_storage l, p;
        int ll = sizeof(l), pl = sizeof(p);
        if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&l, &ll) == 0 &&
            uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&p, &pl) == 0 &&
            nc__address_from((struct sockaddr *)&l, (socklen_t)ll, &drop.local) == 0 &&
            nc__address_from((struct sockaddr *)&p, (socklen_t)pl, &drop.remote) == 0) {
            drop.has_address = true;
        }
    }
    uv_close(&c->h, drop_closed);
    server_emit(s, NC_SERVER_DROP, &drop);
}

static void on_connection(uv_stream_t *h, int status)
{
    nc_server_t *s = nc__container_of(h->data, nc_server_t, obj);
    nc__obj_retain(&s->obj);
    if (status < 0) {
        nc__error_sys(&s->err, status, "accept", NULL, -1);
        server_emit(s, NC_SERVER_ERROR, &s->err);
    } else if (s->max_connections > 0 && s->connections >= s->max_connections) { /* 0: no limit */
        drop_connection(s);
    } else {
        nc_socket_t *sock;
        int r = nc__socket_accepted(s, h, &s->opts, &sock);
        if (r < 0) {
            nc__error_sys(&s->err, r, "accept", NULL, -1);
            server_emit(s, NC_SERVER_ERROR, &s->err);
        } else {
            s->connections++;
            nc_server_connection_t ev = { .socket = sock };
            server_emit(s, NC_SERVER_CONNECTION, &ev);
        }
    }
    nc__loop_drain(s->obj.lp);
    nc__obj_release(&s->obj);
}

void nc__server_connection_gone(nc_server_t *s)
{
    s->connections--;
    emit_close_if_drained(s);
}

static void emit_close_if_drained(nc_server_t *s)
{
    /* Node: _emitCloseIfDrained, 'close' once no handle and no connection remain. Each
     * drained call queues its own emitCloseNT: a second close() means a second 'close'. */
    if (s->closing && s->h == NULL && s->connections == 0) {
        if (s->t_close.queued) {
            s->close_more++;
        } else {
            nc__tick_push(&s->t_close);
        }
    }
}

int nc_server_close(nc_server_t *s, nc_server_close_cb cb, void *data)
{
    if (s == NULL) {
        return -EINVAL;
    }
    s->listen_id++;
    if (cb != NULL) {
        close_req_t *req = malloc(sizeof(*req));
        if (req == NULL) {
            return -ENOMEM;
        }
        *req = (close_req_t){ cb, data, s->h != NULL ? 0 : NC_ERR_SERVER_NOT_RUNNING };
        int r = nc__emitter_on(&s->obj.em, s->obj.lp, NC_SERVER_CLOSE, (nc__fn)close_req_fire, req,
                               true);
        if (r < 0) {
            free(req);
            return r;
        }
    }
    if (s->h != NULL) {
        handle_close(s, s->h);
        s->h = NULL;
        s->listening = false;
        s->path_len = 0;
    }
    s->closing = true;
    emit_close_if_drained(s);
    return 0;
}

int nc_server_address(const nc_server_t *s, nc_address_t *ret)
{
    if (s == NULL || ret == NULL) {
        return -EINVAL;
    }
    if (s->h == NULL) {
        return -ENOTCONN;
    }
    if (s->path_len > 0) {
        nc_address_t a = { .address_len = s->path_len, .port = -1, .family = NULL };
        memcpy(a.address, s->path, s->path_len);
        a.address[s->path_len] = '\0';
        *ret = a;
        return 0;
    }
    uv_os_fd_t fd;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (uv_fileno(&s->h->h, &fd) < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        return -ENOTCONN;
    }
    return nc__address_from((struct sockaddr *)&ss, len, ret);
}

bool nc_server_listening(const nc_server_t *s)
{
    return s != NULL && s->listening;
}

static void tick_connections(nc__tick_t *t)
{
    conn_req_t *req = nc__container_of(t, conn_req_t, tick);
    nc_server_t *s = nc__container_of(t->obj, nc_server_t, obj);
    req->cb(s, 0, req->count, req->data);
    free(req);
}

int nc_server_get_connections(nc_server_t *s, nc_server_connections_cb cb, void *data)
{
    if (s == NULL || cb == NULL) {
        return -EINVAL;
    }
    conn_req_t *req = malloc(sizeof(*req));
    if (req == NULL) {
        return -ENOMEM;
    }
    nc__tick_init(&req->tick, &s->obj, tick_connections);
    req->cb = cb;
    req->data = data;
    req->count = s->connections;
    nc__tick_push(&req->tick);
    return 0;
}

void nc_server_set_max_connections(nc_server_t *s, int max)
{
    if (s != NULL) {
        s->max_connections = max < 0 ? -1 : max;
    }
}

int nc_server_max_connections(const nc_server_t *s)
{
    return s == NULL ? -EINVAL : s->max_connections;
}

void nc_server_ref(nc_server_t *s)
{
    if (s != NULL) {
        s->unref = false;
        if (s->h != NULL) {
            uv_ref(&s->h->h);
        }
    }
}

void nc_server_unref(nc_server_t *s)
{
    if (s != NULL) {
        s->unref = true;
        if (s->h != NULL) {
            uv_unref(&s->h->h);
        }
    }
}

int nc_server_fileno(const nc_server_t *s)
{
    uv_os_fd_t fd;
    if (s == NULL || s->h == NULL || uv_fileno(&s->h->h, &fd) < 0) {
        return -EBADF;
    }
    return fd;
}
