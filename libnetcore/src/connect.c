/* connect.c: socket.connect() and net.createConnection(): the options and their checks,
 * the target (IP literal, host name, Unix path or abstract name), the connect state's
 * life, one connect attempt on the socket's own handle (Node's internalConnect) with its
 * local bind, and 'connect'. The lookup is lookup.c's, autoSelectFamily autoselect.c's. */
#include "connect_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_connect(uv_connect_t *req, int status);

static int check_options(const nc_connect_options_t *o, nc_error_t *err)
{
    /* Node: lookupAndConnect checks localAddress, the port, then the attempt timeout. */
    if (o->local_address != NULL && nc__ip_family(o->local_address) == 0) {
        return nc__error(err, NC_ERR_INVALID_IP_ADDRESS, "Invalid IP address: %s",
                         o->local_address);
    }
    if (o->port < 0 || o->port > 65535) {
        return nc__error(err, NC_ERR_SOCKET_BAD_PORT,
                         "Port should be >= 0 and < 65536. Received type number (%d).", o->port);
    }
    int64_t t = o->auto_select_family_attempt_timeout;
    if (t < 0 || t > INT32_MAX) {
        return nc__error_out_of_range(err, "options.autoSelectFamilyAttemptTimeout",
                                      ">= 1 && <= 2147483647", t);
    }
    return 0;
}

static nc__conn_t *conn_new(nc_socket_t *s, const nc_connect_options_t *o)
{
    nc__conn_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return NULL;
    }
    c->s = s;
    c->refs = 1;
    c->port = o->port;
    c->family = o->family;
    c->hints = o->hints;
    c->auto_select = o->auto_select_family != 0 ? o->auto_select_family > 0
                                                : nc_get_default_auto_select_family();
    int64_t t = o->auto_select_family_attempt_timeout;
    t = t == 0 ? nc_get_default_auto_select_family_attempt_timeout() : t;
    /* Node: "a positive integer less than 10 ... the value 10 will be used instead". */
    c->attempt_timeout = (uint64_t)(t < 10 ? 10 : t);
    c->local_port = o->local_port;
    c->has_local = o->local_address != NULL || o->local_port != 0;
    if (o->local_address != NULL) {
        snprintf(c->local_ip, sizeof(c->local_ip), "%s", o->local_address);
    }
    c->lookup = o->lookup;
    c->lookup_data = o->lookup_data;
    c->req.conn = c;
    nc__obj_retain(&s->obj);
    return c;
}

void nc__conn_retain(nc__conn_t *c)
{
    c->refs++;
}

void nc__conn_release(nc__conn_t *c)
{
    if (--c->refs > 0) {
        return;
    }
    for (size_t i = 0; i < c->nerrors; i++) {
        nc_error_clear(&c->errors[i]);
    }
    free(c->errors);
    free(c->dests);
    nc__obj_release(&c->s->obj);
    free(c);
}

void nc__socket_connect_stop(nc_socket_t *s)
{
    nc__conn_t *c = s->conn;
    if (c == NULL) {
        return;
    }
    s->conn = NULL;
    nc__autoselect_abort(c);
    nc__conn_release(c);
}

/* A host name is kept in the connect state for the lookup; a literal becomes the peer. */
static int connect_target(nc_socket_t *s, const nc_connect_options_t *o, nc_error_t *err)
{
    if (o->path != NULL) {
        int r =
            nc__unix_addr(o->path, o->path_len, (struct sockaddr_un *)&s->x->peer, &s->x->peer_len);
        if (r < 0) {
            return nc__error(err, r,
                             "The argument 'path' must be a non-empty path without NUL bytes");
        }
        nc__unix_display(o->path, o->path_len, s->x->peer_text, sizeof(s->x->peer_text));
        return 0;
    }
    int r = check_options(o, err);
    if (r < 0) {
        return r;
    }
    /* Node: `options.host || 'localhost'`. */
    const char *host = o->host != NULL && o->host[0] != '\0' ? o->host : "localhost";
    nc__conn_t *c = conn_new(s, o);
    if (c == NULL) {
        return -ENOMEM;
    }
    int family = nc__ip_family(host);
    if (family != 0) {
        r = nc__dest_init(&c->target, host, family, o->port) < 0 ? -EINVAL : 0;
        memcpy(&s->x->peer, &c->target.sa, sizeof(s->x->peer));
    } else if (strlen(host) >= sizeof(c->host)) {
        r = nc__error(err, NC_ERR_INVALID_ARG_VALUE, "The argument 'host' is invalid");
    } else {
        snprintf(c->host, sizeof(c->host), "%s", host);
        r = nc__lookup_check(c, err);
    }
    if (r < 0) {
        nc__conn_release(c);
        return r;
    }
    s->conn = c;
    return 0;
}

int nc_socket_connect(nc_socket_t *s, const nc_connect_options_t *o, nc_error_t *err)
{
    if (s == NULL || o == NULL) {
        return -EINVAL;
    }
    if (s->destroyed && !s->close_emitted) {
        /* Node 20 undestroys here too, then fails with EALREADY from the old handle:
         * libnetcore refuses until 'close'. */
        return nc__error(err, NC_ERR_SOCKET_CLOSED, "%s", nc_strerror(NC_ERR_SOCKET_CLOSED));
    }
    if (nc__socket_ext(s) == NULL) { /* an accepted socket may have none yet */
        return nc__error(err, -ENOMEM, "%s", nc_strerror(-ENOMEM));
    }
    if (s->destroyed) {
        nc__socket_undestroy(s); /* Node: node-net.md "socket.connect()" after 'close' */
    }
    if (s->connecting || s->has_handle) {
        return nc__error(err, -EALREADY, "%s", nc_strerror(-EALREADY));
    }
    int r = connect_target(s, o, err);
    if (r < 0) {
        return r;
    }
    bool tcp = o->path == NULL;
    s->unref = false; /* a new handle starts ref'd (set_ref in socket_props.c) */
    /* A name's family is not known yet: libuv then makes the socket at bind or connect. */
    int family = tcp && s->conn->host[0] == '\0' ? s->x->peer.ss_family : AF_UNSPEC;
    r = nc__socket_handle_init(s, tcp, family);
    if (r < 0) {
        nc__socket_connect_stop(s);
        return nc__error(err, r, "%s", nc_strerror(r));
    }
    s->x->copts = *o;
    s->x->copts.host = NULL;
    s->x->copts.path = NULL;
    s->x->copts.local_address = NULL;
    nc__socket_sockopts_from(s, o);
    s->connecting = true;
    /* Node: lookupAndConnect connects an IP literal on process.nextTick, and starts the
     * lookup of a name at once; both start on the next tick here, so that no event is
     * emitted inside this call. */
    nc__tick_push(&s->x->t_connect);
    return 0;
}

int nc_create_connection(uv_loop_t *loop,
                         const nc_connect_options_t *opts,
                         nc_socket_t **ret,
                         nc_error_t *err)
{
    if (loop == NULL || opts == NULL || ret == NULL) {
        return -EINVAL;
    }
    nc_socket_t *s;
    int r = nc_socket_new(loop, NULL, &s);
    if (r < 0) {
        return r;
    }
    /* Node: net.createConnection() calls setTimeout(options.timeout) before connect. */
    if (opts->timeout != 0) {
        nc_socket_set_timeout(s, opts->timeout);
    }
    r = nc_socket_connect(s, opts, err);
    if (r < 0) {
        nc_socket_destroy(s, 0);
        nc_socket_release(s);
        return r;
    }
    *ret = s;
    return 0;
}

int nc__dest_init(nc__dest_t *d, const char *ip, int family, int port)
{
    memset(d, 0, sizeof(*d));
    int r = family == 6 ? uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&d->sa)
                        : uv_ip4_addr(ip, port, (struct sockaddr_in *)&d->sa);
    if (r < 0) {
        /* An address not of its family ('::1' as 4): connecting fails with EINVAL, as
         * Node's handle.connect does, never to a half-filled address. */
        memset(&d->sa, 0, sizeof(d->sa));
    }
    snprintf(d->ip, sizeof(d->ip), "%s", ip);
    d->family = family;
    return r;
}

void nc__emit_attempt(nc_socket_t *s,
                      nc_socket_event_t ev,
                      const nc__dest_t *d,
                      int port,
                      const nc_error_t *err)
{
    nc_socket_attempt_t a = { .ip = d->ip, .port = port, .family = d->family, .error = err };
    nc__socket_emit(s, ev, &a);
}

int nc__connect_bind(nc__conn_t *c, uv_tcp_t *tcp, int family, nc_error_t *err)
{
    /* Node: internalConnect binds localAddress, or the family's any address for a bare
     * localPort; checkBindError calls a port the kernel did not give EADDRINUSE. */
    const char *ip = c->local_ip[0] != '\0' ? c->local_ip : family == 6 ? "::" : "0.0.0.0";
    nc__dest_t local;
    int r = nc__dest_init(&local, ip, family, c->local_port);
    if (r == 0) {
        r = uv_tcp_bind(tcp, (struct sockaddr *)&local.sa, 0);
    }
    if (r == 0 && c->local_port > 0) {
        struct sockaddr_storage ss;
        int len = sizeof(ss);
        r = uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &len);
        nc_address_t a;
        if (r == 0 && nc__address_from((struct sockaddr *)&ss, (socklen_t)len, &a) == 0 &&
            a.port != c->local_port) {
            r = UV_EADDRINUSE;
        }
    }
    if (r < 0) {
        nc__error_sys(err, r, "bind", ip, c->local_port);
    }
    return r;
}

void nc__connect_error(nc__conn_t *c, nc_error_t *err, int status, const nc__dest_t *d)
{
    nc__error_sys(err, status, "connect", d->ip, c->port);
    /* Node: createConnectionError adds " - Local (address:port)" when both are known. */
    if (c->has_local && c->local_port != 0) {
        const char *ip = c->local_ip[0] != '\0' ? c->local_ip : d->family == 6 ? "::" : "0.0.0.0";
        size_t n = strlen(err->message);
        snprintf(err->message + n, sizeof(err->message) - n, " - Local (%s:%d)", ip, c->local_port);
    }
}

void nc__connect_error_sync(uv_tcp_t *tcp,
                            nc_error_t *err,
                            int status,
                            const nc__dest_t *d,
                            int port)
{
    nc__error_sys(err, status, "connect", d->ip, port);
    /* Node: a connect that fails at once names the socket's own address, whatever
     * getsockname gives: an unbound socket reads as "undefined:undefined". */
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    nc_address_t a;
    char local[NC_ADDRSTRLEN + 16] = "undefined:undefined";
    if (uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &len) == 0 &&
        nc__address_from((struct sockaddr *)&ss, (socklen_t)len, &a) == 0) {
        snprintf(local, sizeof(local), "%s:%d", a.address, a.port);
    }
    size_t n = strlen(err->message);
    snprintf(err->message + n, sizeof(err->message) - n, " - Local (%s)", local);
}

/* Node: internalConnect: bind if asked, 'connectionAttempt', then connect. */
void nc__connect_single(nc_socket_t *s, const nc__dest_t *d)
{
    nc__conn_t *c = s->conn;
    memcpy(&s->x->peer, &d->sa, sizeof(d->sa));
    snprintf(s->x->peer_text, sizeof(s->x->peer_text), "%s", d->ip);
    if (c->has_local && nc__connect_bind(c, &s->u.tcp, d->family, &s->x->err) < 0) {
        nc__socket_destroy(s, true);
        return;
    }
    nc__emit_attempt(s, NC_SOCKET_CONNECTION_ATTEMPT, d, c->port, NULL);
    if (s->destroyed) {
        return;
    }
    s->x->creq.data = s;
    int r = uv_tcp_connect(&s->x->creq, &s->u.tcp, (struct sockaddr *)&s->x->peer, on_connect);
    if (r < 0) {
        nc__connect_error_sync(&s->u.tcp, &s->x->err, r, d, c->port);
        nc__socket_destroy(s, true);
        return;
    }
    nc__obj_retain(&s->obj); /* for the request */
}

void nc__connect_done(nc_socket_t *s, int status)
{
    nc__socket_connect_stop(s);
    if (status < 0) {
        nc__socket_destroy(s, true);
        return;
    }
    s->connecting = false;
    s->connected = true;
    nc__socket_sockopts_apply(s);
    nc__socket_timer_refresh(s);
    /* Node: afterConnect emits 'connect' then 'ready' (even if a 'connect' listener
     * destroyed the socket), then starts reading. What was written while connecting
     * goes out from the once('connect') listener that write added (socket_write.c), a
     * resetAndDestroy() made meanwhile resets from its own (socket.c); else (no memory
     * for those listeners) both happen here, before 'ready'. */
    nc__socket_emit(s, NC_SOCKET_CONNECT, NULL);
    nc__socket_flush_pending(s);
    if (s->reset_on_connect && !s->destroyed) {
        s->reset_on_connect = false;
        nc_socket_reset_and_destroy(s);
    }
    nc__socket_emit(s, NC_SOCKET_READY, NULL);
    if (!s->destroyed) {
        nc__socket_maybe_shutdown(s);
        nc__socket_update_reading(s);
    }
}

/* Node: afterConnect emits 'connectionAttemptFailed' before destroying, for a path too
 * (address the path, port and family undefined: -1 and 0 here). */
static void connect_failed(nc_socket_t *s, int status)
{
    nc__dest_t d = { .family = 0 };
    snprintf(d.ip, sizeof(d.ip), "%s", s->x->peer_text);
    if (s->is_tcp) {
        d.family = s->x->peer.ss_family == AF_INET6 ? 6 : 4;
        nc__connect_error(s->conn, &s->x->err, status, &d);
    } else {
        nc__error_sys(&s->x->err, status, "connect", s->x->peer_text, -1);
    }
    nc__emit_attempt(s, NC_SOCKET_CONNECTION_ATTEMPT_FAILED, &d, s->is_tcp ? s->conn->port : -1,
                     &s->x->err);
}

static void on_connect(uv_connect_t *req, int status)
{
    nc_socket_t *s = req->data;
    if (!s->destroyed && status < 0) {
        connect_failed(s, status);
    }
    if (!s->destroyed) {
        nc__connect_done(s, status);
    }
    nc__loop_drain(s->obj.lp);
    nc__obj_release(&s->obj);
}

/* libuv 1.44's uv_pipe_connect takes a C string: abstract names connect by hand. A Unix
 * connect never waits (EAGAIN means a full backlog), so it completes here. */
static int connect_abstract(nc_socket_t *s)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -errno;
    }
    int r = connect(fd, (struct sockaddr *)&s->x->peer, s->x->peer_len) == 0 ? 0 : -errno;
    if (r == 0) {
        r = uv_pipe_open(&s->u.pipe, fd);
    }
    if (r < 0) {
        close(fd);
    }
    return r;
}

void nc__socket_tick_connect(nc__tick_t *t)
{
    nc_socket_t *s = nc__container_of(t->obj, nc_socket_t, obj);
    if (s->destroyed || !s->connecting) {
        return;
    }
    if (s->is_tcp) {
        nc__conn_t *c = s->conn;
        if (c->host[0] != '\0') {
            nc__lookup_start(c);
            return;
        }
        nc__connect_single(s, &c->target);
        return;
    }
    /* Node: internalConnect emits 'connectionAttempt' for a path as well. */
    nc__dest_t d = { .family = 0 };
    snprintf(d.ip, sizeof(d.ip), "%s", s->x->peer_text);
    nc__emit_attempt(s, NC_SOCKET_CONNECTION_ATTEMPT, &d, -1, NULL);
    if (s->destroyed) {
        return;
    }
    const struct sockaddr_un *un = (const struct sockaddr_un *)&s->x->peer;
    if (un->sun_path[0] == '\0') {
        int r = connect_abstract(s);
        if (r < 0) {
            connect_failed(s, r);
        }
        if (!s->destroyed) {
            nc__connect_done(s, r);
        }
        return;
    }
    s->x->creq.data = s;
    uv_pipe_connect(&s->x->creq, &s->u.pipe, un->sun_path, on_connect);
    nc__obj_retain(&s->obj); /* for the request */
}
