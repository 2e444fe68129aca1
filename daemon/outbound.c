/* outbound.c: socket.connect (PROTOCOL.md 9.4.4): the daemon connects through libnetcore,
 * checks the peer against the global blocklist, and hands the connected fd over. */
#include "requests.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

typedef struct outbound_s outbound_t;
struct outbound_s {
    outbound_t *next, *prev;
    nb_daemon_t *d;
    uint64_t client;
    int64_t id;
    nc_socket_t *sock;
    uv_timer_t timer;
    bool done;
};

static void timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void unlink_outbound(outbound_t *o)
{
    if (o->prev != NULL) {
        o->prev->next = o->next;
    } else {
        o->d->outbound = o->next;
    }
    if (o->next != NULL) {
        o->next->prev = o->prev;
    }
}

/* Once only: a reply whose send fails cuts its client off, and that finishes the client's
 * connects (nb_outbound_client_gone), the one being answered included, before the
 * answering path comes to finish it. */
static void finish(outbound_t *o)
{
    if (o->done) {
        return;
    }
    unlink_outbound(o);
    o->done = true;
    uv_timer_stop(&o->timer);
    nc_socket_destroy(o->sock, 0);
    o->sock = nc_socket_release(o->sock);
    uv_close((uv_handle_t *)&o->timer, timer_closed);
}

static bool is_blocked(nb_daemon_t *d, const nc_address_t *a)
{
    if (a->family == NULL) {
        return false;
    }
    return nc_blocklist_check(d->global_bl, a->address, a->address_len,
                              strcmp(a->family, "IPv6") == 0 ? "ipv6" : "ipv4", NULL) == 1;
}

static void on_connect(nc_socket_t *sock, const void *arg, void *data)
{
    (void)arg;
    outbound_t *o = data;
    nb_client_t *c = nb_client_find(o->d, o->client);
    nc_address_t remote, local;
    json_t *res = json_object();
    if (nc_socket_remote_address(sock, &remote) == 0 && remote.family != NULL) {
        json_object_set_new(res, "remoteAddress", json_string(remote.address));
        json_object_set_new(res, "remotePort", json_integer(remote.port));
        json_object_set_new(res, "remoteFamily", json_string(remote.family));
    } else {
        remote.family = NULL;
    }
    if (nc_socket_address(sock, &local) == 0 && local.family != NULL) {
        json_object_set_new(res, "localAddress", json_string(local.address));
        json_object_set_new(res, "localPort", json_integer(local.port));
    }
    if (c != NULL && is_blocked(o->d, &remote)) {
        nb_reply_err_named(c, o->id, "ERR_IP_BLOCKED", "IP(%s) is blocked by net.BlockList",
                           remote.address);
        json_decref(res);
    } else if (c != NULL) {
        int fd = nc_socket_fileno(sock);
        nb_reply_ok(c, o->id, res, &fd, 1);
    } else {
        json_decref(res); /* the client went: the socket closes (9.1.4) */
    }
    finish(o);
}

static void on_error(nc_socket_t *sock, const void *arg, void *data)
{
    (void)sock;
    outbound_t *o = data;
    const nc_error_t *err = arg;
    if (o->done) {
        return;
    }
    nb_client_t *c = nb_client_find(o->d, o->client);
    if (c != NULL) {
        nb_reply_err_named(c, o->id, nc_err_name(err->code), "%s", err->message);
    }
    finish(o);
}

static void on_timeout(uv_timer_t *t)
{
    outbound_t *o = t->data;
    nb_client_t *c = nb_client_find(o->d, o->client);
    if (c != NULL) {
        nb_reply_err_named(c, o->id, "ERR_SOCKET_CONNECTION_TIMEOUT", "Socket connection timeout");
    }
    finish(o);
}

static int start(outbound_t *o,
                 const nb_proto_socket_connect_args_t *a,
                 char *path,
                 nc_error_t *err)
{
    nc_connect_options_t co = { .port = (int)a->port, .family = (int)a->family };
    if (a->path != NULL) {
        snprintf(path, NB_PROTO_PATH_MAX + 2, "%s", a->path);
        co.path = path;
        co.path_len = strlen(path);
        if (path[0] == '@') {
            path[0] = '\0';
        }
    } else {
        co.host = a->host != NULL ? a->host : "localhost";
        co.no_delay = a->no_delay;
        co.keep_alive = a->keep_alive;
        co.keep_alive_initial_delay = (unsigned)a->keep_alive_initial_delay;
        /* Node: net.connect binds localAddress/localPort before connecting; a localPort of 0
         * binds nothing unless localAddress is given (both falsy in Node's test). */
        co.local_address = a->local_address;
        co.local_port = a->local_port != NB_PROTO_UNSET ? (int)a->local_port : 0;
        co.auto_select_family = a->auto_select_family ? 1 : -1;
        co.auto_select_family_attempt_timeout = a->auto_select_family_attempt_timeout;
    }
    int r = nc_socket_new(o->d->loop, NULL, &o->sock);
    if (r < 0) {
        return r;
    }
    nc_socket_once(o->sock, NC_SOCKET_CONNECT, on_connect, o);
    nc_socket_on(o->sock, NC_SOCKET_ERROR, on_error, o);
    return nc_socket_connect(o->sock, &co, err);
}

void nb_op_socket_connect(nb_client_t *c, nb_req_t *x)
{
    const nb_proto_socket_connect_args_t *a = &x->args->socket_connect;
    if (a->host != NULL && nc_is_ip(a->host, strlen(a->host)) != 0 &&
        nc_blocklist_check(c->d->global_bl, a->host, strlen(a->host),
                           nc_is_ipv6(a->host, strlen(a->host)) ? "ipv6" : "ipv4", NULL) == 1) {
        nb_reply_err_named(c, x->id, "ERR_IP_BLOCKED", "IP(%s) is blocked by net.BlockList",
                           a->host);
        return;
    }
    outbound_t *o = calloc(1, sizeof(*o));
    if (o == NULL) {
        nb_reply_err(c, x->id, -ENOMEM, "out of memory");
        return;
    }
    *o = (outbound_t){ .d = c->d, .client = c->id, .id = x->id };
    uv_timer_init(c->d->loop, &o->timer);
    o->timer.data = o;
    char path[NB_PROTO_PATH_MAX + 2];
    nc_error_t err = { 0 };
    int r = start(o, a, path, &err);
    if (r < 0) {
        nb_reply_err_named(c, x->id, nc_err_name(r), "%s",
                           err.message[0] != '\0' ? err.message : nc_strerror(r));
        o->done = true;
        nc_socket_destroy(o->sock, 0);
        o->sock = nc_socket_release(o->sock);
        uv_close((uv_handle_t *)&o->timer, timer_closed);
        return;
    }
    uv_timer_start(&o->timer, on_timeout, (uint64_t)a->timeout, 0);
    o->next = c->d->outbound;
    if (o->next != NULL) {
        o->next->prev = o;
    }
    c->d->outbound = o;
}

void nb_outbound_client_gone(nb_client_t *c)
{
    outbound_t *next;
    for (outbound_t *o = c->d->outbound; o != NULL; o = next) {
        next = o->next;
        if (o->client == c->id) {
            finish(o); /* PROTOCOL.md 9.1.4: cancelled, its socket closed */
        }
    }
}

void nb_outbound_cancel_all(nb_daemon_t *d)
{
    while (d->outbound != NULL) {
        outbound_t *o = d->outbound;
        nb_client_t *c = nb_client_find(d, o->client);
        if (c != NULL) {
            nb_reply_err_named(c, o->id, "ABORT_ERR", "The daemon is stopping");
        }
        finish(o);
    }
}
