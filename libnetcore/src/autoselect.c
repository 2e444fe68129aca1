/* autoselect.c: autoSelectFamily, RFC 8305 section 5 as Node 20 does it
 * (internalConnectMultiple): one attempt at a time on a handle of its own, each but the
 * last given the attempt timeout, the 'connectionAttempt*' events, the attempted
 * addresses, one aggregate error when all fail; and the process-wide defaults. */
#include "connect_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nc__attempt_s {
    uv_tcp_t tcp;
    uv_connect_t req;
    nc__conn_t *c;
    size_t index;
    bool timed_out; /* Node drops the request's completion after the timeout */
};

/* Node 20: autoSelectFamily true, attempt timeout 250 ms. */
static atomic_bool default_auto_select = true;
static _Atomic int64_t default_attempt_timeout = 250;

static void next_attempt(nc__conn_t *c, bool canceled);

bool nc_get_default_auto_select_family(void)
{
    return atomic_load(&default_auto_select);
}

void nc_set_default_auto_select_family(bool value)
{
    atomic_store(&default_auto_select, value);
}

int64_t nc_get_default_auto_select_family_attempt_timeout(void)
{
    return atomic_load(&default_attempt_timeout);
}

int nc_set_default_auto_select_family_attempt_timeout(int64_t value, nc_error_t *err)
{
    /* Node: validateInt32(value, 'value', 1), then values below 10 become 10. */
    if (value < 1 || value > INT32_MAX) {
        return nc__error_out_of_range(err, "value", ">= 1 && <= 2147483647", value);
    }
    atomic_store(&default_attempt_timeout, value < 10 ? 10 : value);
    return 0;
}

size_t nc_socket_attempted_address_count(const nc_socket_t *s)
{
    return s != NULL && s->x != NULL ? s->x->nattempted : 0;
}

const char *nc_socket_attempted_address(const nc_socket_t *s, size_t i)
{
    return s != NULL && s->x != NULL && i < s->x->nattempted ? s->x->attempted[i] : NULL;
}

static bool linked(const nc__conn_t *c)
{
    return c->s->conn == c && c->s->connecting && !c->s->destroyed;
}

static void timer_closed(uv_handle_t *h)
{
    nc__conn_release(h->data);
}

static void attempt_closed(uv_handle_t *h)
{
    nc__attempt_t *a = h->data;
    nc__conn_t *c = a->c;
    free(a);
    nc__conn_release(c);
}

static void attempt_close(nc__attempt_t *a)
{
    if (!uv_is_closing((uv_handle_t *)&a->tcp)) {
        uv_close((uv_handle_t *)&a->tcp, attempt_closed);
    }
}

/* Keeps a copy of err; the copy's address stays valid until the next push. */
static const nc_error_t *push_error(nc__conn_t *c, const nc_error_t *err)
{
    nc_error_t *e = realloc(c->errors, (c->nerrors + 1) * sizeof(*e));
    if (e == NULL) {
        return err;
    }
    c->errors = e;
    c->errors[c->nerrors] = *err;
    return &c->errors[c->nerrors++];
}

void nc__autoselect_start(nc__conn_t *c, nc__dest_t *dests, size_t n)
{
    nc_socket_t *s = c->s;
    c->dests = dests;
    c->ndests = n;
    /* Node: a new array per connect (a socket may connect again after 'close'). */
    for (size_t i = 0; i < s->x->nattempted; i++) {
        free(s->x->attempted[i]);
    }
    free(s->x->attempted);
    s->x->nattempted = 0;
    s->x->attempted = calloc(n, sizeof(*s->x->attempted));
    if (s->x->attempted == NULL || uv_timer_init(s->obj.loop, &c->timer) < 0) {
        nc__error(&s->x->err, -ENOMEM, "%s", nc_strerror(-ENOMEM));
        nc__connect_done(s, -ENOMEM);
        return;
    }
    c->timer.data = c;
    c->timer_inited = true;
    nc__conn_retain(c); /* for the timer */
    if (s->unref) {
        uv_unref((uv_handle_t *)&c->timer);
    }
    next_attempt(c, false);
}

void nc__autoselect_abort(nc__conn_t *c)
{
    if (c->timer_inited && !uv_is_closing((uv_handle_t *)&c->timer)) {
        uv_close((uv_handle_t *)&c->timer, timer_closed);
    }
    if (c->attempt != NULL) {
        /* Its request completes with ECANCELED, reported as Node reports it. */
        attempt_close(c->attempt);
    }
}

/* Node: all attempts failed: one AggregateError holding each attempt's error, whose code
 * is errors[0].code (NodeAggregateError) and whose message is empty. */
static void fail_all(nc__conn_t *c)
{
    nc_socket_t *s = c->s;
    nc_error_clear(&s->x->err);
    if (c->nerrors == 0) {
        nc__error(&s->x->err, NC_ERR_SOCKET_CONNECTION_TIMEOUT, "%s",
                  nc_strerror(NC_ERR_SOCKET_CONNECTION_TIMEOUT));
        nc__connect_done(s, NC_ERR_SOCKET_CONNECTION_TIMEOUT);
        return;
    }
    s->x->err = (nc_error_t){ .code = c->errors[0].code, .port = -1 };
    s->x->err.errors = c->errors;
    s->x->err.nerrors = c->nerrors;
    c->errors = NULL;
    c->nerrors = 0;
    nc__connect_done(s, s->x->err.code);
}

static void on_timeout(uv_timer_t *t);
static void on_attempt(uv_connect_t *req, int status);

/* Starts the attempt for dests[i]: 0, or an error (in *err) meaning "try the next". */
static int attempt_start(nc__conn_t *c, size_t i, nc_error_t *err)
{
    nc_socket_t *s = c->s;
    const nc__dest_t *d = &c->dests[i];
    nc__attempt_t *a = calloc(1, sizeof(*a));
    int r = a == NULL ? -ENOMEM : uv_tcp_init_ex(s->obj.loop, &a->tcp, (unsigned)d->sa.ss_family);
    if (r < 0) {
        free(a);
        return nc__error(err, r, "%s", nc_strerror(r));
    }
    a->c = c;
    a->index = i;
    a->tcp.data = a;
    a->req.data = a;
    nc__conn_retain(c);
    if (s->unref) {
        uv_unref((uv_handle_t *)&a->tcp);
    }
    /* Node: only localPort applies here (a localAddress turns autoSelectFamily off). */
    if (c->local_port != 0 && (r = nc__connect_bind(c, &a->tcp, d->family, err)) < 0) {
        attempt_close(a);
        return r;
    }
    nc__emit_attempt(s, NC_SOCKET_CONNECTION_ATTEMPT, d, c->port, NULL);
    if (!linked(c)) {
        attempt_close(a);
        return 0;
    }
    char text[NC_ADDRSTRLEN + 8];
    snprintf(text, sizeof(text), "%s:%d", d->ip, c->port);
    if ((s->x->attempted[s->x->nattempted] = strdup(text)) != NULL) {
        s->x->nattempted++;
    }
    r = uv_tcp_connect(&a->req, &a->tcp, (const struct sockaddr *)&d->sa, on_attempt);
    if (r < 0) {
        nc__connect_error_sync(&a->tcp, err, r, d, c->port);
        attempt_close(a);
        return r;
    }
    c->attempt = a;
    if (i + 1 < c->ndests) {
        uv_timer_start(&c->timer, on_timeout, c->attempt_timeout, 0);
    }
    return 0;
}

static void next_attempt(nc__conn_t *c, bool canceled)
{
    uv_timer_stop(&c->timer);
    while (linked(c)) {
        if (canceled || c->current == c->ndests) {
            fail_all(c);
            return;
        }
        size_t i = c->current++;
        nc_error_t e = { .port = -1 };
        if (attempt_start(c, i, &e) == 0) {
            return;
        }
        const nc_error_t *kept = push_error(c, &e);
        if (e.syscall != NULL && strcmp(e.syscall, "connect") == 0) {
            nc__emit_attempt(c->s, NC_SOCKET_CONNECTION_ATTEMPT_FAILED, &c->dests[i], c->port,
                             kept);
        }
    }
}

/* Node: the attempt got its own handle; the socket takes its fd over. */
static int adopt(nc_socket_t *s, nc__attempt_t *a)
{
    uv_os_fd_t fd;
    int r = uv_fileno((uv_handle_t *)&a->tcp, &fd);
    int nfd = r < 0 ? r : fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (nfd < 0) {
        return r < 0 ? r : -errno;
    }
    r = uv_tcp_open(&s->u.tcp, nfd);
    if (r < 0) {
        close(nfd);
        return r;
    }
    const nc__dest_t *d = &a->c->dests[a->index];
    memcpy(&s->x->peer, &d->sa, sizeof(d->sa));
    snprintf(s->x->peer_text, sizeof(s->x->peer_text), "%s", d->ip);
    return 0;
}

static void on_attempt(uv_connect_t *req, int status)
{
    nc__attempt_t *a = req->data;
    nc__conn_t *c = a->c;
    nc_socket_t *s = c->s;
    nc__obj_retain(&s->obj);
    if (!a->timed_out && c->attempt == a) {
        c->attempt = NULL;
        uv_timer_stop(&c->timer);
        if (status == 0 && linked(c)) {
            status = adopt(s, a);
            if (status < 0) {
                nc__error_sys(&s->x->err, status, "connect", c->dests[a->index].ip, c->port);
            }
            attempt_close(a);
            nc__connect_done(s, status);
        } else if (status < 0) {
            /* Node: afterConnectMultiple reports every failure, ECANCELED after a destroy
             * included, and goes on only while still connecting. */
            nc_error_t e = { .port = -1 };
            nc__connect_error(c, &e, status, &c->dests[a->index]);
            const nc_error_t *kept = push_error(c, &e);
            nc__emit_attempt(s, NC_SOCKET_CONNECTION_ATTEMPT_FAILED, &c->dests[a->index], c->port,
                             kept);
            attempt_close(a);
            next_attempt(c, status == UV_ECANCELED);
        }
    }
    attempt_close(a);
    nc__loop_drain(s->obj.lp);
    nc__obj_release(&s->obj);
}

static void on_timeout(uv_timer_t *t)
{
    nc__conn_t *c = t->data;
    nc__attempt_t *a = c->attempt;
    nc_socket_t *s = c->s;
    nc__obj_retain(&s->obj);
    if (a != NULL) {
        c->attempt = NULL;
        a->timed_out = true;
        const nc__dest_t *d = &c->dests[a->index];
        nc__emit_attempt(s, NC_SOCKET_CONNECTION_ATTEMPT_TIMEOUT, d, c->port, NULL);
        nc_error_t e = { .port = -1 };
        nc__connect_error(c, &e, UV_ETIMEDOUT, d);
        push_error(c, &e);
        attempt_close(a);
        next_attempt(c, false);
    }
    nc__loop_drain(s->obj.lp);
    nc__obj_release(&s->obj);
}
