/* dispatch.c: the connections of dispatch servers. The daemon accepts on the listening
 * fd itself (several per wakeup, each a bare fd, never read); each connection passes the
 * blocklists and maxConnections, waits in the server's bounded queue, and goes round-robin
 * to a subscriber that can take it; it is handed over once its event's first byte left
 * (fds ride on that sendmsg), and a subscriber that goes first gives it back. */
#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* Connections accepted per readiness before the loop serves the others. */
#define ACCEPTS_PER_TURN 64
/* After an accept that failed for want of fds or memory: the connections wait in the
 * kernel's backlog meanwhile, and the loop does not spin on a readable listener. */
#define ACCEPT_BACKOFF_MS 100
static void on_timer(uv_timer_t *t);
static void on_readable(uv_poll_t *p, int status, int events);

/* Out of fds for the duplicate that a handoff sends: the queue waits this long before the
 * next try, so that an exhausted daemon neither spins nor stalls for good once fds free
 * up (the handoffs themselves free the daemon's copies). */
#define FD_RETRY_MS 100

/* One side of a connection as the event's members: address, port, family. */
typedef struct {
    bool ok;
    char address[INET6_ADDRSTRLEN];
    int port;
    const char *family;
} side_t;

/* Dotted decimal, as inet_ntop writes it, without its sprintf per address (most of a
 * dispatch's instructions otherwise). */
static void ipv4_text(const struct in_addr *a, char *buf)
{
    const uint8_t *b = (const uint8_t *)&a->s_addr;
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        if (b[i] >= 100) {
            buf[n++] = (char)('0' + b[i] / 100);
        }
        if (b[i] >= 10) {
            buf[n++] = (char)('0' + b[i] / 10 % 10);
        }
        buf[n++] = (char)('0' + b[i] % 10);
        buf[n++] = i < 3 ? '.' : '\0';
    }
}

static side_t side_of(const nc_sockaddr_t *sa)
{
    side_t s = { .ok = false };
    if (sa->u.sa.sa_family == AF_INET) {
        ipv4_text(&sa->u.in4.sin_addr, s.address);
        s.ok = true;
        s.port = ntohs(sa->u.in4.sin_port);
        s.family = "IPv4";
    } else if (sa->u.sa.sa_family == AF_INET6) {
        s.ok = inet_ntop(AF_INET6, &sa->u.in6.sin6_addr, s.address, sizeof(s.address)) != NULL;
        s.port = ntohs(sa->u.in6.sin6_port);
        s.family = "IPv6";
    }
    return s;
}

/* The connection's local address: the listener's when that is one address, else the
 * kernel's (a wildcard listener's connections each have their own). */
static side_t local_of(const nb_conn_t *conn)
{
    if (conn->srv->local_fixed) {
        return side_of(&conn->srv->local);
    }
    nc_sockaddr_t sa = { .u.sa.sa_family = AF_UNSPEC };
    socklen_t len = sizeof(sa.u);
    int family = conn->peer.u.sa.sa_family;
    if ((family != AF_INET && family != AF_INET6) || getsockname(conn->fd, &sa.u.sa, &len) < 0) {
        sa.u.sa.sa_family = AF_UNSPEC;
    }
    return side_of(&sa);
}

json_t *nb_conn_fields(const nb_conn_t *conn)
{
    json_t *o = json_object();
    side_t r = side_of(&conn->peer), l = local_of(conn);
    if (r.ok) {
        json_object_set_new(o, "remoteAddress", json_string(r.address));
        json_object_set_new(o, "remotePort", json_integer(r.port));
        json_object_set_new(o, "remoteFamily", json_string(r.family));
    }
    if (l.ok) {
        json_object_set_new(o, "localAddress", json_string(l.address));
        json_object_set_new(o, "localPort", json_integer(l.port));
        json_object_set_new(o, "localFamily", json_string(l.family));
    }
    return o;
}

static void line_side(nb_proto_line_t *l, const char *const keys[3], const side_t *s)
{
    nb_proto_line_str(l, keys[0], s->address);
    nb_proto_line_int(l, keys[1], s->port);
    nb_proto_line_str(l, keys[2], s->family);
}

/* The subscriber's `connection` event, built into l with proto's line builder (no JSON
 * tree); the caller ends and frees it. */
static void event_line(const nb_conn_t *conn, nb_proto_line_t *l)
{
    static const char *const remote[3] = { "remoteAddress", "remotePort", "remoteFamily" };
    static const char *const local[3] = { "localAddress", "localPort", "localFamily" };
    side_t r = side_of(&conn->peer), lo = local_of(conn);
    nb_proto_line_event(l, "connection");
    nb_proto_line_str(l, "server", conn->srv->name);
    if (r.ok) {
        line_side(l, remote, &r);
    }
    if (lo.ok) {
        line_side(l, local, &lo);
    }
}

static void conn_free(nb_conn_t *conn)
{
    close(conn->fd);
    free(conn);
}

/* Closes a connection nobody got, with a 'drop' event (PROTOCOL.md 10 "drop"). */
static void drop_fd(nb_srv_t *srv, const nb_conn_t *conn, const char *reason)
{
    nb_log(LOG_INFO, "server '%s': connection dropped (%s)", srv->name, reason);
    if (srv->d->nevsubs > 0) {
        json_t *ev = nb_conn_fields(conn);
        json_object_set_new(ev, "reason", json_string(reason));
        nb_events_emit(srv->d, NB_PROTO_EVENT_DROP, srv, ev);
    }
    close(conn->fd);
}

void nb_conn_drop(nb_conn_t *conn, const char *reason)
{
    nb_srv_t *srv = conn->srv;
    srv->dropped++;
    srv->held--;
    drop_fd(srv, conn, reason);
    free(conn);
}

static bool blocked(nb_srv_t *srv, const nb_conn_t *conn)
{
    int family = conn->peer.u.sa.sa_family;
    if (family != AF_INET && family != AF_INET6) {
        return false;
    }
    return nc_blocklist_check_sa(srv->d->global_bl, &conn->peer) == 1 ||
           nc_blocklist_check_sa(srv->blocklist, &conn->peer) == 1;
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

/* One accepted connection: the blocklists and maxConnections first, then the queue. */
static void admit(nb_srv_t *srv, const nb_conn_t *tmp)
{
    srv->accepted++;
    if (blocked(srv, tmp)) {
        srv->blocked++;
        drop_fd(srv, tmp, "blocklist");
        return;
    }
    bool full = srv->max_connections >= 0 && srv->held >= (uint64_t)srv->max_connections;
    nb_conn_t *conn = srv->d->stopping || full ? NULL : malloc(sizeof(*conn));
    if (conn == NULL) {
        srv->dropped++;
        drop_fd(srv, tmp, srv->d->stopping ? "close" : full ? "maxConnections" : "queueFull");
        return;
    }
    *conn = *tmp;
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

static void on_backoff(uv_timer_t *t)
{
    nb_srv_t *srv = t->data;
    uv_poll_start(srv->poll, UV_READABLE, on_readable);
}

/* An accept that failed for want of resources (EMFILE...): the server goes on after a
 * pause; subscribers hear of it. */
static void accept_failed(nb_srv_t *srv, int code)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "accept %s", nc_strerror(code));
    nb_log(LOG_WARNING, "server '%s': %s, ignoring", srv->name, msg);
    nb_events_emit(srv->d, NB_PROTO_EVENT_ERROR, srv,
                   json_pack("{s:s,s:s}", "code", nc_err_name(code), "message", msg));
    uv_poll_stop(srv->poll);
    uv_timer_start(srv->backoff, on_backoff, ACCEPT_BACKOFF_MS, 0);
}

/* Several connections per wakeup, each accepted with its peer's address (no
 * getpeername) and never read: what Node's pauseOnConnect promises. */
static void on_readable(uv_poll_t *p, int status, int events)
{
    (void)events;
    nb_srv_t *srv = p->data;
    if (status < 0) {
        accept_failed(srv, status);
        return;
    }
    for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
        nb_conn_t tmp = { .srv = srv };
        socklen_t len = sizeof(tmp.peer.u);
        tmp.fd = accept4(srv->fd, &tmp.peer.u.sa, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (tmp.fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            }
            if (errno != ECONNABORTED && errno != EINTR && errno != EPROTO && errno != EPERM) {
                accept_failed(srv, -errno);
                return;
            }
            continue; /* that connection went before we took it; the next one */
        }
        if (len > sizeof(tmp.peer.u) || tmp.peer.u.sa.sa_family == AF_UNIX) {
            tmp.peer.u.sa.sa_family = AF_UNSPEC;
        }
        admit(srv, &tmp);
    }
}

int nb_dispatch_start(nb_srv_t *srv)
{
    srv->poll = malloc(sizeof(*srv->poll));
    srv->backoff = malloc(sizeof(*srv->backoff));
    srv->timer = malloc(sizeof(*srv->timer));
    int r = srv->poll == NULL || srv->backoff == NULL || srv->timer == NULL
                ? -ENOMEM
                : uv_poll_init(srv->d->loop, srv->poll, srv->fd);
    if (r < 0) {
        free(srv->poll);
        free(srv->backoff);
        free(srv->timer);
        srv->poll = NULL;
        srv->backoff = srv->timer = NULL;
        return r;
    }
    uv_timer_init(srv->d->loop, srv->backoff);
    uv_timer_init(srv->d->loop, srv->timer);
    srv->poll->data = srv->backoff->data = srv->timer->data = srv;
    return uv_poll_start(srv->poll, UV_READABLE, on_readable);
}

static void handle_closed(uv_handle_t *h)
{
    free(h);
}

void nb_dispatch_stop(nb_srv_t *srv)
{
    uv_handle_t *hs[3] = { (uv_handle_t *)srv->poll, (uv_handle_t *)srv->backoff,
                           (uv_handle_t *)srv->timer };
    for (size_t i = 0; i < 3; i++) {
        if (hs[i] != NULL) {
            uv_close(hs[i], handle_closed);
        }
    }
    srv->poll = NULL;
    srv->backoff = srv->timer = NULL;
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
    /* Built straight into a line and sent with the connection's own fd: no jansson, and
     * no duplicate when the client's queue is empty. */
    nb_proto_line_t line;
    const char *text;
    size_t len;
    event_line(conn, &line);
    if (nb_proto_line_end(&line, 1, &text, &len) < 0) {
        nb_proto_line_free(&line);
        nb_conn_drop(conn, "error"); /* out of memory: a requeue would spin */
        return 0;
    }
    nb_client_t *c = sub->client;
    uint64_t start = 0;
    int r = nb_client_send_line(c, text, len, &conn->fd, 1, &start);
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
        nb_events_emit(srv->d, NB_PROTO_EVENT_CONNECTION, srv, nb_conn_fields(conn));
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

/* The peer as the previous daemon described it (remoteAddress, remotePort, remoteFamily),
 * else as the socket says: the same, unless the peer went meanwhile. */
static void adopted_peer(nb_conn_t *conn, const json_t *fields)
{
    const char *address = json_string_value(json_object_get(fields, "remoteAddress"));
    nc_socketaddress_options_t o = {
        .address = address,
        .address_len = address != NULL ? strlen(address) : 0,
        .family = json_string_value(json_object_get(fields, "remoteFamily")),
        .port = json_integer_value(json_object_get(fields, "remotePort")),
    };
    if (address != NULL && o.family != NULL && nc_socketaddress_init(&o, &conn->peer, NULL) == 0) {
        return;
    }
    socklen_t len = sizeof(conn->peer.u);
    if (getpeername(conn->fd, &conn->peer.u.sa, &len) < 0 || len > sizeof(conn->peer.u) ||
        (conn->peer.u.sa.sa_family != AF_INET && conn->peer.u.sa.sa_family != AF_INET6)) {
        conn->peer.u.sa.sa_family = AF_UNSPEC;
    }
}

int nb_dispatch_adopt(nb_srv_t *srv, int fd, const json_t *fields)
{
    nb_conn_t *conn = calloc(1, sizeof(*conn));
    if (conn == NULL) {
        return -ENOMEM;
    }
    *conn = (nb_conn_t){ .srv = srv, .fd = fd };
    adopted_peer(conn, fields);
    conn->queued_at = uv_now(srv->d->loop);
    queue_push(srv, conn, false);
    srv->held++;
    return 0;
}

void nb_dispatch_pause(nb_srv_t *srv)
{
    if (srv->poll != NULL) {
        uv_poll_stop(srv->poll);
        uv_timer_stop(srv->backoff);
    }
}

void nb_dispatch_resume(nb_srv_t *srv)
{
    if (srv->poll != NULL) {
        uv_poll_start(srv->poll, UV_READABLE, on_readable);
    }
}
