/* requests.c: runs validated requests. The access check is one function driven by the
 * op table's right and scope (PROTOCOL.md 9.1.3); then one handler per operation. The
 * server operations are in requests_srv.c. */
#include "requests.h"
#include "daemon.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

int nb_reply_ok(nb_client_t *c, int64_t id, json_t *result, const int *fds, size_t nfds)
{
    json_t *reply;
    int r = nb_proto_reply_ok(id, result, &reply);
    if (r == 0) {
        r = nb_client_send(c, reply, fds, nfds, NULL);
        json_decref(reply);
    }
    if (r == -EMFILE || r == -ENFILE) {
        /* No fd left for the duplicate to hand over: the client hears why and may ask
         * again once fds free up; what it asked for stays where it was. */
        nb_reply_err(c, id, r, "Cannot hand over the file descriptor: %s", strerror(-r));
    }
    return r;
}

static void reply_err_v(nb_client_t *c, int64_t id, const char *name, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void reply_err_v(nb_client_t *c, int64_t id, const char *name, const char *fmt, va_list ap)
{
    char msg[NB_PROTO_ERROR_MESSAGE_MAX];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    json_t *reply;
    if (nb_proto_reply_error(id, name, msg, &reply) == 0) {
        nb_client_send(c, reply, NULL, 0, NULL);
        json_decref(reply);
    }
}

void nb_reply_err(nb_client_t *c, int64_t id, int code, const char *fmt, ...)
{
    /* libnetcore's Node codes have their own numbers: the wire carries the name. */
    const char *name = code <= -5000 && code > -6000 ? nc_err_name(code) : nb_proto_err_name(code);
    va_list ap;
    va_start(ap, fmt);
    reply_err_v(c, id, name, fmt, ap);
    va_end(ap);
}

void nb_reply_err_named(nb_client_t *c, int64_t id, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_err_v(c, id, name, fmt, ap);
    va_end(ap);
}

/* The scope object's name, from the argument the op table names. */
static const char *scope_name(const nb_proto_op_t *op, const nb_proto_request_t *req)
{
    if (op->scope_arg == NULL || req->args == NULL) {
        return NULL;
    }
    return json_string_value(json_object_get(req->args, op->scope_arg));
}

/* Fills x->srv / x->stored and answers what the client may not know or do. Returns 0
 * when the request may run. */
static int check_access(nb_client_t *c,
                        const nb_proto_op_t *op,
                        const nb_proto_request_t *req,
                        nb_req_t *x)
{
    nb_daemon_t *d = c->d;
    const char *name = scope_name(op, req);
    /* events.unsubscribe needs no right and has no error of its own: no lookup. */
    if (op->scope == NB_PROTO_SCOPE_SERVER && name != NULL && op->right != NB_PROTO_RIGHT_NONE &&
        op->id != NB_PROTO_OP_SERVER_CREATE) {
        x->srv = nb_srv_find(d, name);
        if (x->srv == NULL || !nb_acl_allows(d, c, NB_PROTO_RIGHT_READ, name, x->srv)) {
            /* Unreadable is the same as absent: the client cannot tell it exists. */
            nb_reply_err(c, req->id, NB_PROTO_ERR_NOT_FOUND, "No server named '%s'", name);
            return -1;
        }
    }
    if (op->scope == NB_PROTO_SCOPE_FD) {
        if (name == NULL) {
            return 0; /* fd.list lists only the names the client has the right on */
        }
        x->stored = nb_fdstore_find(d, name);
        if (!nb_acl_allows(d, c, NB_PROTO_RIGHT_FD, name, NULL)) {
            if (op->id == NB_PROTO_OP_FD_STORE) {
                nb_reply_err(c, req->id, -EACCES, "No right to store an fd named '%s'", name);
            } else {
                nb_reply_err(c, req->id, NB_PROTO_ERR_NOT_FOUND, "No stored fd named '%s'", name);
            }
            return -1;
        }
        return 0;
    }
    /* Without a server named, the op acts on the daemon (global_right) or lists only
     * what the client can read (global_right none). */
    nb_proto_right_t right =
        op->scope == NB_PROTO_SCOPE_SERVER && name == NULL ? op->global_right : op->right;
    if (right != NB_PROTO_RIGHT_NONE && !nb_acl_allows(d, c, right, name, x->srv)) {
        nb_reply_err(c, req->id, -EACCES, "%s needs the '%s' right", op->name,
                     nb_proto_right_name(right));
        return -1;
    }
    return 0;
}

static void op_hello(nb_client_t *c, nb_req_t *x)
{
    if (c->hello) {
        nb_reply_err(c, x->id, NB_PROTO_ERR_PROTO_HELLO, "hello came again");
        return;
    }
    json_t *caps = json_array();
    for (int i = 0; i < NB_PROTO_OP_COUNT; i++) {
        const nb_proto_op_t *op = nb_proto_op_get(i);
        json_array_append_new(caps, json_string(op->name));
    }
    int64_t v =
        x->args->hello.version < NB_PROTO_VERSION ? x->args->hello.version : NB_PROTO_VERSION;
    c->hello = true;
    char daemon[64];
    snprintf(daemon, sizeof(daemon), "netbrokerd %s", nc_version_string());
    nb_reply_ok(c, x->id,
                json_pack("{s:I,s:o,s:s}", "version", (json_int_t)v, "capabilities", caps, "daemon",
                          daemon),
                NULL, 0);
}

static void op_fd_store(nb_client_t *c, nb_req_t *x)
{
    nb_stored_t *s;
    int r = nb_fdstore_put(c->d, &x->args->fd_store, c->uid, x->fds[0], &s);
    if (r < 0) {
        nb_reply_err(c, x->id, r,
                     r == -EEXIST   ? "An fd named '%s' is stored already"
                     : r == -EMFILE ? "The store is full ('%s' refused)"
                                    : "Cannot store '%s'",
                     x->args->fd_store.name);
        return; /* the fd is closed by the caller */
    }
    x->fds[0] = -1; /* the store owns it */
    nb_log(LOG_INFO, "fd '%s' stored by uid %u", s->name, (unsigned)c->uid);
    nb_reply_ok(c, x->id, nb_fdstore_describe(s), NULL, 0);
}

static void op_fd_retrieve(nb_client_t *c, nb_req_t *x)
{
    const char *name = x->args->fd_retrieve.name;
    if (x->stored == NULL) {
        nb_reply_err(c, x->id, NB_PROTO_ERR_NOT_FOUND, "No stored fd named '%s'", name);
        return;
    }
    int fd = x->stored->fd;
    /* Forgotten only once its duplicate is on its way: a refused reply loses nothing. */
    if (nb_reply_ok(c, x->id, nb_fdstore_describe(x->stored), &fd, 1) == 0 &&
        x->args->fd_retrieve.remove) {
        nb_fdstore_forget(x->stored);
    }
}

static void op_fd_remove(nb_client_t *c, nb_req_t *x)
{
    if (x->stored == NULL) {
        nb_reply_err(c, x->id, NB_PROTO_ERR_NOT_FOUND, "No stored fd named '%s'", x->args->fd.name);
        return;
    }
    nb_fdstore_forget(x->stored);
    nb_reply_ok(c, x->id, NULL, NULL, 0);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "name")),
                  json_string_value(json_object_get(*(json_t *const *)b, "name")));
}

/* Sorts an array of objects by their "name", as the list results are. */
json_t *nb_sorted_by_name(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **v = calloc(n + 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        v[i] = json_incref(json_array_get(arr, i));
    }
    qsort(v, n, sizeof(*v), by_name);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(out, v[i]);
    }
    free(v);
    json_decref(arr);
    return out;
}

static void op_fd_list(nb_client_t *c, nb_req_t *x)
{
    json_t *arr = json_array();
    for (nb_stored_t *s = c->d->stored; s != NULL; s = s->next) {
        if (nb_acl_allows(c->d, c, NB_PROTO_RIGHT_FD, s->name, NULL)) {
            json_array_append_new(arr, nb_fdstore_describe(s));
        }
    }
    nb_reply_ok(c, x->id, json_pack("{s:o}", "fds", nb_sorted_by_name(arr)), NULL, 0);
}

static void op_events_subscribe(nb_client_t *c, nb_req_t *x)
{
    const nb_proto_events_subscribe_args_t *a = &x->args->events_subscribe;
    int r = nb_events_subscribe(c, a->server, a->events);
    if (r < 0) {
        nb_reply_err(c, x->id, r, "cannot subscribe");
        return;
    }
    nb_reply_ok(c, x->id, NULL, NULL, 0);
}

static void op_events_unsubscribe(nb_client_t *c, nb_req_t *x)
{
    nb_events_unsubscribe(c, x->args->scope.server);
    nb_reply_ok(c, x->id, NULL, NULL, 0);
}

static void op_stats(nb_client_t *c, nb_req_t *x)
{
    json_t *arr = json_array();
    for (nb_srv_t *s = c->d->servers; s != NULL; s = s->next) {
        if ((x->srv == NULL || x->srv == s) &&
            nb_acl_allows(c->d, c, NB_PROTO_RIGHT_READ, s->name, s)) {
            json_array_append_new(
                arr,
                json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "name", s->name, "accepted",
                          (json_int_t)s->accepted, "dispatched", (json_int_t)s->dispatched,
                          "dropped", (json_int_t)s->dropped, "blocked", (json_int_t)s->blocked,
                          "queued", (json_int_t)s->nqueued, "subscribers", (json_int_t)s->nsubs));
        }
    }
    json_int_t uptime = (json_int_t)(uv_now(c->d->loop) - c->d->started_ms);
    /* Bytes only where the daemon sees them: its control plane. A dispatched connection's
     * bytes never pass through it (it hands the fd over unread). */
    nb_reply_ok(c, x->id,
                json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "uptime", uptime, "clients",
                          (json_int_t)c->d->nclients, "fds", (json_int_t)c->d->nstored, "bytesRead",
                          (json_int_t)c->d->bytes_read, "bytesWritten",
                          (json_int_t)c->d->bytes_written, "connectionBytesRead",
                          (json_int_t)c->bytes_read, "connectionBytesWritten",
                          (json_int_t)nb_client_sent(c), "servers", nb_sorted_by_name(arr)),
                NULL, 0);
}

static void op_reload(nb_client_t *c, nb_req_t *x)
{
    char msg[NB_PROTO_ERROR_MESSAGE_MAX];
    json_t *diff = NULL;
    int r = nb_daemon_reload(c->d, &diff, msg, sizeof(msg));
    if (r < 0) {
        nb_reply_err(c, x->id, r, "%s", msg);
        return;
    }
    nb_reply_ok(c, x->id, diff, NULL, 0);
}

static void op_shutdown(nb_client_t *c, nb_req_t *x)
{
    nb_reply_ok(c, x->id, NULL, NULL, 0);
    nb_daemon_stop(c->d, "daemon.shutdown");
}

static void op_takeover(nb_client_t *c, nb_req_t *x)
{
    nb_handover_op(c, x->op, x->id);
}

static void op_unknown(nb_client_t *c, nb_req_t *x)
{
    /* Not offered in capabilities (section 6: probing is safe). */
    nb_reply_err(c, x->id, NB_PROTO_ERR_UNKNOWN_OP, "Unknown operation '%s'", x->op->name);
}

static const nb_handler_fn handlers[NB_PROTO_OP_COUNT] = {
    [NB_PROTO_OP_HELLO] = op_hello,
    [NB_PROTO_OP_SERVER_CREATE] = nb_op_server_create,
    [NB_PROTO_OP_SERVER_LIST] = nb_op_server_list,
    [NB_PROTO_OP_SERVER_INFO] = nb_op_server_info,
    [NB_PROTO_OP_SERVER_SET] = nb_op_server_set,
    [NB_PROTO_OP_SERVER_CLOSE] = nb_op_server_close,
    [NB_PROTO_OP_SERVER_ACQUIRE] = nb_op_server_acquire,
    [NB_PROTO_OP_SERVER_SUBSCRIBE] = nb_op_server_subscribe,
    [NB_PROTO_OP_SERVER_UNSUBSCRIBE] = nb_op_server_unsubscribe,
    [NB_PROTO_OP_SOCKET_CONNECT] = nb_op_socket_connect,
    [NB_PROTO_OP_BLOCKLIST_ADD] = nb_op_blocklist_change,
    [NB_PROTO_OP_BLOCKLIST_REMOVE] = nb_op_blocklist_change,
    [NB_PROTO_OP_BLOCKLIST_LIST] = nb_op_blocklist_list,
    [NB_PROTO_OP_BLOCKLIST_CHECK] = nb_op_blocklist_check,
    [NB_PROTO_OP_FD_STORE] = op_fd_store,
    [NB_PROTO_OP_FD_RETRIEVE] = op_fd_retrieve,
    [NB_PROTO_OP_FD_LIST] = op_fd_list,
    [NB_PROTO_OP_FD_REMOVE] = op_fd_remove,
    [NB_PROTO_OP_EVENTS_SUBSCRIBE] = op_events_subscribe,
    [NB_PROTO_OP_EVENTS_UNSUBSCRIBE] = op_events_unsubscribe,
    [NB_PROTO_OP_STATS] = op_stats,
    [NB_PROTO_OP_DAEMON_RELOAD] = op_reload,
    [NB_PROTO_OP_DAEMON_SHUTDOWN] = op_shutdown,
    [NB_PROTO_OP_TAKEOVER_BEGIN] = op_takeover,
    [NB_PROTO_OP_TAKEOVER_NEXT] = op_takeover,
    [NB_PROTO_OP_TAKEOVER_COMMIT] = op_takeover,
    [NB_PROTO_OP_TAKEOVER_ABORT] = op_takeover,
};

void nb_request_run(nb_client_t *c,
                    const nb_proto_op_t *op,
                    const nb_proto_request_t *req,
                    const nb_proto_args_t *args,
                    int *fds,
                    size_t nfds)
{
    nb_req_t x = { .op = op, .id = req->id, .req = req, .args = args, .fds = fds, .nfds = nfds };
    nb_handler_fn fn = handlers[op->id] != NULL ? handlers[op->id] : op_unknown;
    if (fn == op_unknown || op->id == NB_PROTO_OP_HELLO || check_access(c, op, req, &x) == 0) {
        if (nb_handover_frozen(c->d, op, args)) {
            /* PROTOCOL.md 9.9 step 1: the state is being handed over as it is. */
            nb_reply_err(c, x.id, -EBUSY, "A takeover is running: %s must wait", op->name);
        } else {
            fn(c, &x);
            nb_handover_after_request(c->d, op, args);
        }
    }
    for (size_t i = 0; i < nfds; i++) {
        if (fds[i] >= 0) {
            close(fds[i]); /* every fd a request brought and nobody kept */
        }
    }
}
