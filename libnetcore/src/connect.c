/* connect.c: socket.connect(): the target (IP literal, host name, Unix path or abstract
 * name), the name lookup off the loop thread with its 'lookup' event, and 'connect'. */
#include "socket_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netdb.h>

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
    if (o->port < 0 || o->port > 65535) {
        /* Node 20: lookupAndConnect's validatePort allows 0 (the kernel then refuses). */
        return nc__error(err, NC_ERR_SOCKET_BAD_PORT,
                         "Port should be >= 0 and < 65536. Received type number (%d).", o->port);
    }
    if (o->family != 0 && o->family != 4 && o->family != 6) {
        return nc__error(err, NC_ERR_INVALID_ARG_VALUE,
                         "The property 'options.family' must be one of: 0, 4, 6. Received %d",
                         o->family);
    }
    const char *host = o->host != NULL ? o->host : "127.0.0.1";
    int family = nc__ip_family(host);
    if (family == 0) {
        /* A name: resolved later, off the loop thread (Node: lookupAndConnect). */
        size_t n = strlen(host);
        if (n == 0 || n >= sizeof(s->x->host)) {
            return nc__error(err, NC_ERR_INVALID_ARG_VALUE, "The argument 'host' is invalid");
        }
        memcpy(s->x->host, host, n + 1);
        s->x->peer.ss_family = AF_UNSPEC;
        return 0;
    }
    int r = family == 6 ? uv_ip6_addr(host, o->port, (struct sockaddr_in6 *)&s->x->peer)
                        : uv_ip4_addr(host, o->port, (struct sockaddr_in *)&s->x->peer);
    if (r < 0) {
        return nc__error(err, NC_ERR_INVALID_ARG_VALUE, "bad address %s", host);
    }
    snprintf(s->x->peer_text, sizeof(s->x->peer_text), "%s", host);
    return 0;
}

int nc_socket_connect(nc_socket_t *s, const nc_connect_options_t *o, nc_error_t *err)
{
    if (s == NULL || o == NULL) {
        return -EINVAL;
    }
    if (s->destroyed) {
        return nc__error(err, NC_ERR_SOCKET_CLOSED, "%s", nc_strerror(NC_ERR_SOCKET_CLOSED));
    }
    if (s->connecting || s->has_handle) {
        return nc__error(err, -EALREADY, "%s", nc_strerror(-EALREADY));
    }
    if (nc__socket_ext(s) == NULL) {
        return nc__error(err, -ENOMEM, "%s", nc_strerror(-ENOMEM));
    }
    int r = connect_target(s, o, err);
    if (r < 0) {
        return r;
    }
    bool tcp = o->path == NULL;
    /* With a name to resolve the family is not known yet: libuv then makes the socket
     * at connect time. */
    r = nc__socket_handle_init(s, tcp, tcp ? s->x->peer.ss_family : AF_UNSPEC);
    if (r < 0) {
        return nc__error(err, r, "%s", nc_strerror(r));
    }
    s->x->copts = *o;
    s->x->copts.host = NULL;
    s->x->copts.path = NULL;
    s->connecting = true;
    /* Node: lookupAndConnect connects an IP literal on process.nextTick, and starts
     * dns.lookup for a name; both happen here on the next tick. */
    nc__tick_push(&s->x->t_connect);
    return 0;
}

static void connect_done(nc_socket_t *s, int status)
{
    if (status < 0) {
        nc__error_sys(&s->x->err, status, "connect", s->x->peer_text,
                      s->is_tcp ? s->x->copts.port : -1);
        nc__socket_destroy(s, true);
        return;
    }
    s->connecting = false;
    s->connected = true;
    if (s->is_tcp && s->x->copts.no_delay) {
        uv_tcp_nodelay(&s->u.tcp, 1);
    }
    uv_os_fd_t fd;
    if (s->is_tcp && s->x->copts.keep_alive && uv_fileno(&s->u.h, &fd) == 0) {
        nc__tcp_keepalive(fd, true, s->x->copts.keep_alive_initial_delay);
    }
    if (s->reset_on_connect) {
        nc_socket_reset_and_destroy(s);
        return;
    }
    nc__socket_timer_refresh(s);
    /* Node: afterConnect emits 'connect' then 'ready' (even if a 'connect' listener
     * destroyed the socket), then starts reading. */
    nc__socket_emit(s, NC_SOCKET_CONNECT, NULL);
    nc__socket_emit(s, NC_SOCKET_READY, NULL);
    if (!s->destroyed) {
        nc__socket_flush_pending(s);
        nc__socket_maybe_shutdown(s);
        nc__socket_update_reading(s);
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    nc_socket_t *s = req->data;
    if (!s->destroyed) {
        connect_done(s, status);
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

static void on_lookup(uv_getaddrinfo_t *req, int status, struct addrinfo *res);
static void lookup_failed(nc_socket_t *s, int status);

void nc__socket_tick_connect(nc__tick_t *t)
{
    nc_socket_t *s = nc__container_of(t->obj, nc_socket_t, obj);
    if (s->destroyed || !s->connecting) {
        return;
    }
    const struct sockaddr_un *un = (const struct sockaddr_un *)&s->x->peer;
    int r = 0;
    s->x->creq.data = s;
    if (s->is_tcp && s->x->host[0] != '\0') {
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
        hints.ai_family = s->x->copts.family == 4   ? AF_INET
                          : s->x->copts.family == 6 ? AF_INET6
                                                    : AF_UNSPEC;
        s->x->greq.data = s;
        r = uv_getaddrinfo(s->obj.loop, &s->x->greq, on_lookup, s->x->host, NULL, &hints);
        if (r < 0) {
            lookup_failed(s, r);
            return;
        }
    } else if (s->is_tcp) {
        r = uv_tcp_connect(&s->x->creq, &s->u.tcp, (struct sockaddr *)&s->x->peer, on_connect);
    } else if (un->sun_path[0] == '\0') {
        connect_done(s, connect_abstract(s));
        return;
    } else {
        uv_pipe_connect(&s->x->creq, &s->u.pipe, un->sun_path, on_connect);
    }
    if (r < 0) {
        connect_done(s, r);
        return;
    }
    nc__obj_retain(&s->obj); /* for the request */
}

/* Node: 'lookup' (err, address, family, host), then connect to the address, or destroy
 * with "getaddrinfo ENOTFOUND host" (EAI_NONAME and EAI_NODATA become ENOTFOUND). */
static void lookup_failed(nc_socket_t *s, int status)
{
    int code = status == UV_EAI_NONAME || status == UV_EAI_NODATA ? NC_ENOTFOUND : status;
    nc__error(&s->x->err, code, "getaddrinfo %s %s", nc_err_name(code), s->x->host);
    s->x->err.syscall = "getaddrinfo";
    snprintf(s->x->err.address, sizeof(s->x->err.address), "%.*s",
             (int)sizeof(s->x->err.address) - 1, s->x->host);
    nc_socket_lookup_t ev = { .error = &s->x->err, .host = s->x->host };
    nc__socket_emit(s, NC_SOCKET_LOOKUP, &ev);
    nc__socket_destroy(s, true);
}

static void on_lookup(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    nc_socket_t *s = req->data;
    if (s->destroyed) {
        /* destroy() during the lookup: nothing to report. */
    } else if (status < 0 || res == NULL) {
        lookup_failed(s, status < 0 ? status : UV_EAI_NONAME);
    } else {
        memcpy(&s->x->peer, res->ai_addr, res->ai_addrlen);
        /* Resolved without a service: the port is ours to set. */
        uint16_t port = htons((uint16_t)s->x->copts.port);
        if (res->ai_family == AF_INET6) {
            ((struct sockaddr_in6 *)&s->x->peer)->sin6_port = port;
        } else {
            ((struct sockaddr_in *)&s->x->peer)->sin_port = port;
        }
        uv_ip_name(res->ai_addr, s->x->peer_text, sizeof(s->x->peer_text));
        nc_socket_lookup_t ev = { .address = s->x->peer_text,
                                  .family = res->ai_family == AF_INET6 ? 6 : 4,
                                  .host = s->x->host };
        nc__socket_emit(s, NC_SOCKET_LOOKUP, &ev);
        s->x->host[0] = '\0';
        if (!s->destroyed && s->connecting) {
            nc__socket_tick_connect(&s->x->t_connect);
        }
    }
    uv_freeaddrinfo(res);
    nc__loop_drain(s->obj.lp);
    nc__obj_release(&s->obj);
}
