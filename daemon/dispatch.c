/* dispatch.c: the connections of dispatch servers. Each accepted connection passes the
 * blocklists and maxConnections, waits in the server's bounded queue, and goes round-robin
 * to a subscriber that can take it; it is handed over once its event's first byte left
 * (fds ride on that sendmsg), and a subscriber that goes first gives it back. */
#include "daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static void on_timer(uv_timer_t *t);

/* Out of fds for the duplicate that a handoff sends: the queue waits this long before the
 * next try, so that an exhausted daemon neither spins nor stalls for good once fds free
 * up (the handoffs themselves free the daemon's copies). */
#define FD_RETRY_MS 100

static json_t *conn_fields(nc_socket_t *sock)
{
    json_t *o = json_object();
    nc_address_t a;
    if (nc_socket_remote_address(sock, &a) == 0 && a.family != NULL) {
        json_object_set_new(o, "remoteAddress", json_string(a.address));
        json_object_set_new(o, "remotePort", json_integer(a.port));
        json_object_set_new(o, "remoteFamily", json_string(a.family));
    }
    if (nc_socket_address(sock, &a) == 0 && a.family != NULL) {
        json_object_set_new(o, "localAddress", json_string(a.address));
        json_object_set_new(o, "localPort", json_integer(a.port));
        json_object_set_new(o, "localFamily", json_string(a.family));
    }
    return o;
}

static void conn_free(nb_conn_t *conn)
{
    nc_socket_destroy(conn->sock, 0);
    nc_socket_release(conn->sock);
    json_decref(conn->fields);
    free(conn);
}

/* Closes a connection nobody got, with a 'drop' event (PROTOCOL.md 10 "drop"). */
static void drop_socket(nb_srv_t *srv, nc_socket_t *sock, json_t *fields, const char *reason)
{
    json_t *ev = json_deep_copy(fields);
    json_object_set_new(ev, "reason", json_string(reason));
    nb_log(LOG_INFO, "server '%s': connection dropped (%s)", srv->name, reason);
    nb_events_emit(srv->d, NB_PROTO_EVENT_DROP, srv, ev);
    nc_socket_destroy(sock, 0);
}

void nb_conn_drop(nb_conn_t *conn, const char *reason)
{
    nb_srv_t *srv = conn->srv;
    srv->dropped++;
    srv->held--;
    drop_socket(srv, conn->sock, conn->fields, reason);
    conn_free(conn);
}

static bool blocked(nb_srv_t *srv, nc_socket_t *sock)
{
    nc_sockaddr_t sa;
    socklen_t len = sizeof(sa.u);
    int fd = nc_socket_fileno(sock);
    if (fd < 0 || getpeername(fd, &sa.u.sa, &len) < 0 ||
        (sa.u.sa.sa_family != AF_INET && sa.u.sa.sa_family != AF_INET6)) {
        return false;
    }
    return nc_blocklist_check_sa(srv->d->global_bl, &sa) == 1 ||
           nc_blocklist_check_sa(srv->blocklist, &sa) == 1;
}

static void queue_push(nb_srv_t *srv, nb_conn_t *conn, bool head)
{
    if (head) {
        conn->next = srv->queue;
        srv->queue = conn;
        if (srv->queue_tail == NULL) {
            srv->queue_tail = conn;
        }
    } else {
        conn->next = NULL;
        if (srv->queue_tail != NULL) {
            srv->queue_tail->next = conn;
        } else {
            srv->queue = conn;
        }
        srv->queue_tail = conn;
    }
    srv->nqueued++;
}

static nb_conn_t *queue_pop(nb_srv_t *srv)
{
    nb_conn_t *conn = srv->queue;
    srv->queue = conn->next;
    if (srv->queue == NULL) {
        srv->queue_tail = NULL;
    }
    conn->next = NULL;
    srv->nqueued--;
    return conn;
}

void nb_dispatch_connection(nb_srv_t *srv, nc_socket_t *sock)
{
    srv->accepted++;
    json_t *fields = conn_fields(sock);
    if (blocked(srv, sock)) {
        srv->blocked++;
        drop_socket(srv, sock, fields, "blocklist");
        json_decref(fields);
        return;
    }
    if (srv->d->stopping ||
        (srv->max_connections >= 0 && srv->held >= (uint64_t)srv->max_connections)) {
        srv->dropped++;
        drop_socket(srv, sock, fields, srv->d->stopping ? "close" : "maxConnections");
        json_decref(fields);
        return;
    }
    nb_conn_t *conn = calloc(1, sizeof(*conn));
    if (conn == NULL) {
        srv->dropped++;
        drop_socket(srv, sock, fields, "queueFull");
        json_decref(fields);
        return;
    }
    *conn = (nb_conn_t){ .srv = srv, .sock = nc_socket_retain(sock), .fields = fields };
    conn->queued_at = uv_now(srv->d->loop);
    queue_push(srv, conn, false);
    srv->held++;
    nb_dispatch_run(srv);
    if (srv->nqueued > (size_t)srv->queue_limit) {
        /* The newest waits at the tail: it is the one the full queue refuses. */
        nb_conn_t **pp = &srv->queue;
        nb_conn_t *prev = NULL;
        while ((*pp)->next != NULL) {
            prev = *pp;
            pp = &(*pp)->next;
        }
        nb_conn_t *last = *pp;
        *pp = NULL;
        srv->queue_tail = prev;
        srv->nqueued--;
        nb_conn_drop(last, "queueFull");
    }
}

/* The next subscriber, round-robin, that is alive and below its maxPending. */
static nb_sub_t *pick(nb_srv_t *srv)
{
    for (size_t tries = 0; tries < srv->nsubs; tries++) {
        size_t i = (srv->rr + tries) % srv->nsubs;
        nb_sub_t *s = srv->subs;
        for (size_t k = 0; k < i; k++) {
            s = s->next;
        }
        if (!s->client->dead && (int64_t)s->npending < s->max_pending) {
            srv->rr = i + 1;
            return s;
        }
    }
    return NULL;
}

static void arm_timer(nb_srv_t *srv)
{
    if (srv->timer == NULL) {
        return;
    }
    bool timeout = srv->queue != NULL && srv->queue_timeout > 0;
    bool retry = srv->queue != NULL && srv->fd_retry;
    if (!timeout && !retry) {
        uv_timer_stop(srv->timer);
        return;
    }
    uint64_t now = uv_now(srv->d->loop);
    uint64_t wait = retry ? FD_RETRY_MS : UINT64_MAX;
    if (timeout) {
        uint64_t due = srv->queue->queued_at + (uint64_t)srv->queue_timeout;
        uint64_t left = due > now ? due - now : 0;
        wait = left < wait ? left : wait;
    }
    uv_timer_start(srv->timer, on_timer, wait, 0);
}

static void on_timer(uv_timer_t *t)
{
    nb_srv_t *srv = t->data;
    uint64_t now = uv_now(srv->d->loop);
    while (srv->queue != NULL && srv->queue_timeout > 0 &&
           srv->queue->queued_at + (uint64_t)srv->queue_timeout <= now) {
        nb_conn_drop(queue_pop(srv), "queueTimeout");
    }
    srv->fd_retry = false;
    nb_dispatch_run(srv); /* arms the timer again */
}

/* Returns 0, or -EMFILE/-ENFILE when the daemon had no fd for the handoff (the
 * connection is back at the head of the queue). */
static int send_one(nb_srv_t *srv, nb_sub_t *sub)
{
    nb_conn_t *conn = queue_pop(srv);
    /* Built straight into a line, sent with the socket's own fd (no jansson event, no
     * duplicate when the client's queue is empty): the same bytes as the event builder. */
    nb_proto_line_t line;
    const char *text;
    size_t len;
    nb_proto_line_event(&line, "connection");
    nb_proto_line_members(&line, conn->fields);
    nb_proto_line_str(&line, "server", srv->name);
    if (nb_proto_line_end(&line, 1, &text, &len) < 0) {
        nb_proto_line_free(&line);
        nb_conn_drop(conn, "error"); /* out of memory: a requeue would spin */
        return 0;
    }
    int fd = nc_socket_fileno(conn->sock);
    nb_client_t *c = sub->client;
    uint64_t start = 0;
    int r = nb_client_send_line(c, text, len, &fd, 1, &start);
    nb_proto_line_free(&line);
    if (r < 0) {
        /* The subscriber is gone (its subscription with it): the next one takes it; or
         * the daemon is out of fds: the connection waits for the retry. */
        queue_push(srv, conn, true);
        return r == -EMFILE || r == -ENFILE ? r : 0;
    }
    conn->start = start;
    nb_conn_t **pp = &sub->pending;
    while (*pp != NULL) {
        pp = &(*pp)->next;
    }
    *pp = conn;
    sub->npending++;
    nb_log(LOG_DEBUG, "server '%s': connection handed to client %llu", srv->name,
           (unsigned long long)c->id);
    if (srv->d->nevsubs > 0) {
        nb_events_emit(srv->d, NB_PROTO_EVENT_CONNECTION, srv, json_deep_copy(conn->fields));
    }
    nb_dispatch_sent(c);
    return 0;
}

void nb_dispatch_run(nb_srv_t *srv)
{
    if (srv->running || srv->d->dispatch_held) {
        /* a subscriber cut off inside a send: the outer loop goes on; or a takeover
         * holds the queue for the next daemon */
        return;
    }
    srv->running = true;
    nb_sub_t *sub;
    while (!srv->fd_retry && srv->queue != NULL && (sub = pick(srv)) != NULL) {
        if (send_one(srv, sub) < 0) {
            srv->fd_retry = true;
            nb_log(LOG_DEBUG, "server '%s': no fd left to hand a connection over, retrying",
                   srv->name);
        }
    }
    arm_timer(srv);
    srv->running = false;
}

static nb_sub_t *find_sub(nb_srv_t *srv, const nb_client_t *c)
{
    for (nb_sub_t *s = srv->subs; s != NULL; s = s->next) {
        if (s->client == c) {
            return s;
        }
    }
    return NULL;
}

int nb_dispatch_subscribe(nb_srv_t *srv, nb_client_t *c, int64_t max_pending)
{
    nb_sub_t *s = find_sub(srv, c);
    if (s == NULL) {
        if (srv->lo.exclusive && srv->nsubs > 0) {
            return -EADDRINUSE;
        }
        if ((s = calloc(1, sizeof(*s))) == NULL) {
            return -ENOMEM;
        }
        s->client = c;
        c->nsubs++;
        nb_sub_t **pp = &srv->subs;
        while (*pp != NULL) {
            pp = &(*pp)->next;
        }
        *pp = s;
        srv->nsubs++;
    }
    s->max_pending = max_pending;
    return 0;
}

void nb_dispatch_unsubscribe(nb_srv_t *srv, nb_client_t *c)
{
    nb_sub_t **pp = &srv->subs;
    while (*pp != NULL && (*pp)->client != c) {
        pp = &(*pp)->next;
    }
    nb_sub_t *s = *pp;
    if (s == NULL) {
        return;
    }
    *pp = s->next;
    srv->nsubs--;
    c->nsubs--;
    /* PROTOCOL.md 9.1.4: what was not sent goes back to the head, in its order. */
    nb_conn_t *rev = NULL;
    while (s->pending != NULL) {
        nb_conn_t *n = s->pending->next;
        s->pending->next = rev;
        rev = s->pending;
        s->pending = n;
    }
    while (rev != NULL) {
        nb_conn_t *n = rev->next;
        queue_push(srv, rev, true);
        rev = n;
    }
    free(s);
}

void nb_dispatch_sent(nb_client_t *c)
{
    uint64_t sent = nb_client_sent(c);
    for (nb_srv_t *srv = c->d->servers; c->nsubs > 0 && srv != NULL; srv = srv->next) {
        nb_sub_t *s = find_sub(srv, c);
        bool freed = false;
        while (s != NULL && s->pending != NULL && s->pending->start < sent) {
            nb_conn_t *conn = s->pending;
            s->pending = conn->next;
            s->npending--;
            srv->held--;
            srv->dispatched++;
            conn_free(conn); /* the client has its own now; ours goes */
            freed = true;
        }
        if (freed && srv->queue != NULL) {
            nb_dispatch_run(srv);
        }
    }
}

void nb_dispatch_client_gone(nb_client_t *c)
{
    for (nb_srv_t *srv = c->d->servers; c->nsubs > 0 && srv != NULL; srv = srv->next) {
        if (find_sub(srv, c) != NULL) {
            nb_dispatch_unsubscribe(srv, c);
            nb_dispatch_run(srv);
        }
    }
}

void nb_dispatch_drop_all(nb_srv_t *srv, const char *reason)
{
    while (srv->queue != NULL) {
        nb_conn_drop(queue_pop(srv), reason);
    }
    for (nb_sub_t *s = srv->subs; s != NULL; s = s->next) {
        /* In the client's writer already: its duplicate still goes; ours closes. */
        while (s->pending != NULL) {
            nb_conn_t *conn = s->pending;
            s->pending = conn->next;
            s->npending--;
            srv->held--;
            conn_free(conn);
        }
    }
    arm_timer(srv);
}

void nb_dispatch_forget_queue(nb_srv_t *srv)
{
    while (srv->queue != NULL) {
        nb_conn_t *conn = queue_pop(srv);
        srv->held--;
        conn_free(conn); /* the next daemon holds a duplicate: no drop */
    }
    arm_timer(srv);
}

int nb_dispatch_adopt(nb_srv_t *srv, int fd, const json_t *fields)
{
    nc_socket_options_t so = { .has_fd = true, .fd = fd };
    nc_socket_t *sock;
    nb_conn_t *conn = calloc(1, sizeof(*conn));
    if (conn == NULL) {
        return -ENOMEM;
    }
    int r = nc_socket_new(srv->d->loop, &so, &sock);
    if (r < 0) {
        free(conn);
        return r;
    }
    *conn = (nb_conn_t){ .srv = srv, .sock = sock };
    conn->fields = fields != NULL ? json_object() : conn_fields(sock);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)fields, key, v)
    {
        if (strcmp(key, "server") != 0) {
            json_object_set(conn->fields, key, v);
        }
    }
    conn->queued_at = uv_now(srv->d->loop);
    queue_push(srv, conn, false);
    srv->held++;
    return 0;
}
