/* takeover.c: netbrokerd --takeover (PROTOCOL.md 9.9): the running daemon answers with
 * handover.c's state, one item and one duplicate fd a reply; the new one imports them as a
 * restart would and accepts on the old control listener itself (the path never refuses). */
#include "daemon.h"
#include "handover.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#define TK_DEADLINE_MS 10000

/* ---- the running daemon ------------------------------------------------------------- */

static bool mutates(const nb_proto_op_t *op, const nb_proto_args_t *args)
{
    switch (op->id) {
    case NB_PROTO_OP_SERVER_CREATE:
    case NB_PROTO_OP_SERVER_SET:
    case NB_PROTO_OP_SERVER_CLOSE:
    case NB_PROTO_OP_BLOCKLIST_ADD:
    case NB_PROTO_OP_BLOCKLIST_REMOVE:
    case NB_PROTO_OP_FD_STORE:
    case NB_PROTO_OP_FD_REMOVE:
    case NB_PROTO_OP_DAEMON_RELOAD:
        return true;
    case NB_PROTO_OP_FD_RETRIEVE:
        return args->fd_retrieve.remove;
    default:
        return false;
    }
}

bool nb_handover_frozen(const nb_daemon_t *d, const nb_proto_op_t *op, const nb_proto_args_t *args)
{
    return d->handover != NULL && d->handover->phase != TK_NONE && mutates(op, args);
}

void nb_handover_after_request(nb_daemon_t *d, const nb_proto_op_t *op, const nb_proto_args_t *args)
{
    if (mutates(op, args)) {
        nb_handover_changed(d); /* server.set and blocklists: the rest say it themselves */
    }
}

void nb_takeover_clear(nb_daemon_t *d)
{
    nb_handover_t *h = d->handover;
    for (size_t i = 0; h != NULL && i < h->nitems; i++) {
        json_decref(h->items[i].result);
        if (h->items[i].fd >= 0) {
            close(h->items[i].fd);
        }
    }
    if (h != NULL) {
        free(h->items);
        h->items = NULL;
        h->nitems = h->next = 0;
        h->phase = TK_NONE;
        h->client = 0;
    }
}

/* Appends an item with a duplicate of fd; the result is consumed. */
static int add_item(nb_handover_t *h, json_t *result, int fd)
{
    nb_tk_item_t *items = realloc(h->items, (h->nitems + 1) * sizeof(*items));
    int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (items == NULL || dup < 0 || result == NULL) {
        int r = dup < 0 ? -errno : -ENOMEM;
        if (items != NULL) {
            h->items = items;
        }
        if (dup >= 0) {
            close(dup);
        }
        json_decref(result);
        return r;
    }
    json_object_set_new(result, "done", json_false());
    h->items = items;
    h->items[h->nitems++] = (nb_tk_item_t){ result, dup };
    return 0;
}

static int build_items(nb_daemon_t *d, nb_handover_t *h)
{
    int r = add_item(h, json_pack("{s:s,s:b}", "kind", "control", "passed", d->control_passed),
                     nb_control_fileno(d));
    for (nb_srv_t *s = d->servers; r == 0 && s != NULL; s = s->next) {
        if (s->listening && nb_srv_fileno(s) >= 0) {
            r = add_item(
                h, json_pack("{s:s,s:o}", "kind", "server", "server", nb_handover_server_state(s)),
                nb_srv_fileno(s));
        }
    }
    for (nb_stored_t *s = d->stored; r == 0 && s != NULL; s = s->next) {
        r = add_item(h, json_pack("{s:s,s:o}", "kind", "fd", "fd", nb_fdstore_describe(s)), s->fd);
    }
    return r;
}

static void tk_begin(nb_client_t *c, nb_handover_t *h, int64_t id)
{
    nb_daemon_t *d = c->d;
    if (c->uid != 0 && c->uid != d->self_uid) {
        nb_reply_err(c, id, -EACCES, "A takeover needs root or the daemon's own uid");
        return;
    }
    if (h->phase != TK_NONE || d->stopping) {
        nb_reply_err(c, id, -EBUSY, "A takeover is running already");
        return;
    }
    int r = build_items(d, h);
    if (r < 0) {
        nb_takeover_clear(d);
        nb_reply_err(c, id, r, "Cannot hand the state over: %s", strerror(-r));
        return;
    }
    h->phase = TK_ITEMS;
    h->client = c->id;
    nb_log(LOG_NOTICE, "takeover begun by client %llu (pid %d): %zu items, state frozen",
           (unsigned long long)c->id, (int)c->pid, h->nitems);
    json_t *res =
        json_pack("{s:i,s:I}", "version", NB_PROTO_VERSION, "items", (json_int_t)h->nitems);
    nb_handover_blocklist_export(d, res);
    nb_handover_store_export(d, res);
    nb_reply_ok(c, id, res, NULL, 0);
}

/* Commit: nothing more is accepted or dispatched here; what is queued becomes items. */
static int tk_commit(nb_daemon_t *d, nb_handover_t *h)
{
    int r = 0;
    d->dispatch_held = true;
    d->keep_paths = true;
    nb_control_stop(d);
    for (nb_srv_t *s = d->servers; s != NULL; s = s->next) {
        nb_srv_stop_accepting(s);
        for (nb_conn_t *conn = s->queue; r == 0 && conn != NULL; conn = conn->next) {
            json_t *o = nb_conn_fields(conn);
            json_object_set_new(o, "server", json_string(s->name));
            r = add_item(h, json_pack("{s:s,s:o}", "kind", "connection", "connection", o),
                         conn->fd);
        }
    }
    h->phase = TK_COMMITTED;
    return r;
}

static int item_fd(nb_handover_t *h, const char *kind, const char *name)
{
    for (size_t i = 0; i < h->nitems; i++) {
        json_t *res = h->items[i].result;
        const json_t *srv = json_object_get(res, "server");
        if (strcmp(json_string_value(json_object_get(res, "kind")), kind) == 0 &&
            (name == NULL || strcmp(json_string_value(json_object_get(srv, "name")), name) == 0)) {
            return fcntl(h->items[i].fd, F_DUPFD_CLOEXEC, 3);
        }
    }
    return -1;
}

/* PROTOCOL.md 9.9 step 4: the running daemon goes on as if nothing happened. */
static void tk_abort(nb_daemon_t *d, nb_handover_t *h, const char *why)
{
    if (h->phase == TK_COMMITTED) {
        int fd = item_fd(h, "control", NULL);
        d->keep_paths = false;
        if (fd >= 0 && nb_control_start_fd(d, d->control_path, fd) < 0) {
            close(fd);
        }
        for (nb_srv_t *s = d->servers; s != NULL; s = s->next) {
            if (s->mode == NB_PROTO_MODE_DISPATCH && s->listening &&
                (fd = item_fd(h, "server", s->name)) >= 0 && nb_srv_resume_accepting(s, fd) < 0) {
                close(fd);
            }
        }
        d->dispatch_held = false;
        for (nb_srv_t *s = d->servers; s != NULL; s = s->next) {
            nb_dispatch_run(s);
        }
    }
    nb_log(LOG_WARNING, "takeover aborted (%s): running on", why);
    nb_takeover_clear(d);
    nb_handover_changed(d); /* the fd store's state is ours again to keep */
}

/* The final done went out: the new daemon has it all. */
static void tk_finish(nb_daemon_t *d, nb_handover_t *h)
{
    h->taken_over = true;
    for (nb_srv_t *s = d->servers; s != NULL; s = s->next) {
        nb_dispatch_forget_queue(s);
    }
    nb_takeover_clear(d);
    nb_daemon_stop(d, "taken over by a new daemon");
}

static void tk_next(nb_client_t *c, nb_handover_t *h, int64_t id)
{
    if (h->next < h->nitems) {
        nb_tk_item_t *it = &h->items[h->next++];
        nb_reply_ok(c, id, json_incref(it->result), &it->fd, 1);
        return;
    }
    nb_reply_ok(c, id, json_pack("{s:b}", "done", true), NULL, 0);
    if (h->phase == TK_COMMITTED) {
        tk_finish(c->d, h);
    }
}

void nb_handover_op(nb_client_t *c, const nb_proto_op_t *op, int64_t id)
{
    nb_handover_t *h = nb_handover_get(c->d);
    if (h == NULL) {
        nb_reply_err(c, id, -ENOMEM, "out of memory");
        return;
    }
    if (op->id == NB_PROTO_OP_TAKEOVER_BEGIN) {
        tk_begin(c, h, id);
        return;
    }
    if (h->phase == TK_NONE || h->client != c->id) {
        nb_reply_err(c, id, NB_PROTO_ERR_NOT_FOUND, "No takeover on this connection");
    } else if (op->id == NB_PROTO_OP_TAKEOVER_NEXT) {
        tk_next(c, h, id);
    } else if (op->id == NB_PROTO_OP_TAKEOVER_ABORT) {
        tk_abort(c->d, h, "takeover.abort");
        nb_reply_ok(c, id, NULL, NULL, 0);
    } else if (h->phase == TK_COMMITTED || h->next < h->nitems) {
        nb_reply_err(c, id, NB_PROTO_ERR_NOT_FOUND, "Items not all taken yet");
    } else if (tk_commit(c->d, h) < 0) {
        tk_abort(c->d, h, "cannot hand the queued connections over");
        nb_reply_err(c, id, -EMFILE, "Cannot hand the queued connections over");
    } else {
        nb_log(LOG_NOTICE,
               "takeover committed: no more accepting here, %zu connections to hand "
               "over",
               h->nitems - h->next);
        nb_reply_ok(c, id, NULL, NULL, 0);
    }
}

void nb_handover_client_gone(nb_client_t *c)
{
    nb_handover_t *h = c->d->handover;
    if (h != NULL && h->phase != TK_NONE && h->client == c->id) {
        tk_abort(c->d, h, "the new daemon went away");
    }
}

/* ---- the new daemon ----------------------------------------------------------------- */

typedef struct {
    int fd;
    nb_proto_reader_t *reader;
    nb_proto_writer_t *writer;
    int64_t id;
} tk_peer_t;

static int peer_connect(tk_peer_t *p, const char *path)
{
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
    p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->fd < 0 || connect(p->fd, (struct sockaddr *)&un, sizeof(un)) < 0) {
        int r = -errno;
        nb_log(LOG_ERR, "takeover: no daemon answers on '%s': %s", path, strerror(-r));
        return r;
    }
    int r = nb_proto_reader_new(NULL, &p->reader);
    return r < 0 ? r : nb_proto_writer_new(NULL, &p->writer);
}

static void peer_close(tk_peer_t *p)
{
    if (p->fd >= 0) {
        close(p->fd);
    }
    nb_proto_reader_free(p->reader);
    nb_proto_writer_free(p->writer);
}

/* The next message; NULL at the end of the stream, on a protocol error, or after the
 * deadline. A message's fds go to fds (at most one is expected: more are closed). */
static json_t *peer_read(tk_peer_t *p, int *fd)
{
    uint64_t until = uv_hrtime() / 1000000 + TK_DEADLINE_MS;
    for (;;) {
        nb_proto_msg_t msg;
        nb_proto_error_t err;
        int r = nb_proto_reader_next(p->reader, &msg, &err);
        if (r < 0) {
            nb_log(LOG_ERR, "takeover: %s", err.message);
            return NULL;
        }
        if (r == 1) {
            for (size_t i = 0; i < msg.nfds; i++) {
                if (i == 0 && *fd < 0) {
                    *fd = msg.fds[i];
                } else {
                    close(msg.fds[i]);
                }
            }
            return msg.json;
        }
        uint64_t now = uv_hrtime() / 1000000;
        struct pollfd pf = { .fd = p->fd, .events = POLLIN };
        if (now >= until || poll(&pf, 1, (int)(until - now)) != 1 ||
            (r = nb_proto_reader_read(p->reader, p->fd)) == 0 || (r < 0 && r != -EAGAIN)) {
            nb_log(LOG_ERR, "takeover: the running daemon did not answer");
            return NULL;
        }
    }
}

/* One request; its result (a new reference) and fd (-1: none; ret_fd NULL: none is
 * expected, and one that comes is closed), or NULL. */
static json_t *peer_call(tk_peer_t *p, const char *op, const char *args, int *ret_fd)
{
    int unexpected = -1;
    if (ret_fd == NULL) {
        json_t *res = peer_call(p, op, args, &unexpected);
        if (unexpected >= 0) {
            close(unexpected);
        }
        return res;
    }
    char line[128];
    int n = snprintf(line, sizeof(line), "{\"id\":%lld,\"op\":\"%s\"%s%s}\n", (long long)++p->id,
                     op, args != NULL ? ",\"args\":" : "", args != NULL ? args : "");
    *ret_fd = -1;
    if (nb_proto_writer_push_line(p->writer, line, (size_t)n, NULL, 0) < 0 ||
        nb_proto_writer_flush(p->writer, p->fd) < 0 || nb_proto_writer_queued(p->writer) > 0) {
        return NULL; /* a blocking socket takes a short line whole */
    }
    json_t *m;
    while ((m = peer_read(p, ret_fd)) != NULL && json_object_get(m, "id") == NULL) {
        json_decref(m); /* an event: none is asked for */
    }
    json_t *res = json_is_true(json_object_get(m, "ok")) ? json_object_get(m, "result") : NULL;
    if (m != NULL && res == NULL) {
        json_t *e = json_object_get(m, "error");
        nb_log(LOG_ERR, "takeover: %s refused: %s (%s)", op,
               json_string_value(json_object_get(e, "message")),
               json_string_value(json_object_get(e, "code")));
    }
    json_incref(res);
    json_decref(m);
    if (res == NULL && *ret_fd >= 0) {
        close(*ret_fd);
        *ret_fd = -1;
    }
    return res;
}

/* One item taken up; 0, 1 at done, or a negative code. */
static int take_item(nb_daemon_t *d, const json_t *item, int fd, int *control_fd)
{
    char msg[NB_PROTO_ERROR_MESSAGE_MAX] = "";
    const char *kind = json_string_value(json_object_get(item, "kind"));
    int r = -EPROTO;
    if (json_is_true(json_object_get(item, "done"))) {
        r = 1;
    } else if (fd < 0 || kind == NULL) {
        snprintf(msg, sizeof(msg), "an item without its fd");
    } else if (strcmp(kind, "control") == 0 && *control_fd < 0) {
        *control_fd = fd; /* a socket unit's stays the unit's: never unlinked */
        d->control_passed = json_is_true(json_object_get(item, "passed"));
        return 0;
    } else if (strcmp(kind, "server") == 0) {
        r = nb_handover_import_server(d, json_object_get(item, "server"), fd, msg, sizeof(msg));
    } else if (strcmp(kind, "fd") == 0) {
        r = nb_handover_import_fd(d, json_object_get(item, "fd"), fd);
        snprintf(msg, sizeof(msg), "a stored fd cannot be parked again");
    } else if (strcmp(kind, "connection") == 0) {
        const json_t *conn = json_object_get(item, "connection");
        nb_srv_t *srv = nb_srv_find(d, json_string_value(json_object_get(conn, "server")));
        r = srv != NULL && srv->mode == NB_PROTO_MODE_DISPATCH ? nb_dispatch_adopt(srv, fd, conn)
                                                               : -ENOENT;
        snprintf(msg, sizeof(msg), "a queued connection for no dispatch server");
    } else {
        snprintf(msg, sizeof(msg), "an item of kind '%s'", kind);
    }
    if (r < 0) {
        nb_log(LOG_ERR, "takeover: %s", msg);
        if (fd >= 0) {
            close(fd);
        }
    }
    return r;
}

/* takeover.next until done. */
static int take_items(nb_daemon_t *d, tk_peer_t *p, int *control_fd, size_t *ret_n)
{
    size_t n = 0;
    for (;;) {
        int fd;
        json_t *item = peer_call(p, "takeover.next", NULL, &fd);
        int r = item != NULL ? take_item(d, item, fd, control_fd) : -EPROTO;
        json_decref(item);
        if (r != 0) {
            *ret_n = n;
            return r < 0 ? r : 0;
        }
        n++;
    }
}

int nb_handover_takeover(nb_daemon_t *d, const char *path)
{
    tk_peer_t p = { .fd = -1 };
    int control_fd = -1, r;
    size_t n = 0, nconn = 0;
    json_t *res = NULL;
    /* Until the end, the paths are the running daemon's: a failure must not unlink them. */
    d->keep_paths = true;
    if ((r = peer_connect(&p, path)) < 0 ||
        (res = peer_call(&p, "hello", "{\"version\":1}", NULL)) == NULL ||
        (json_decref(res), res = peer_call(&p, "takeover.begin", NULL, NULL)) == NULL) {
        peer_close(&p);
        return r < 0 ? r : -EPROTO;
    }
    json_int_t want = json_integer_value(json_object_get(res, "items"));
    nb_handover_blocklist_import(d, res);
    nb_handover_store_import(d, res);
    json_decref(res);
    if ((r = take_items(d, &p, &control_fd, &n)) < 0 || control_fd < 0 || (json_int_t)n != want ||
        (res = peer_call(&p, "takeover.commit", NULL, NULL)) == NULL ||
        (json_decref(res), r = take_items(d, &p, &control_fd, &nconn)) < 0) {
        json_decref(peer_call(&p, "takeover.abort", NULL, NULL));
        peer_close(&p);
        if (control_fd >= 0) {
            close(control_fd);
        }
        nb_log(LOG_ERR, "takeover failed: the running daemon goes on");
        return r < 0 ? r : -EPROTO;
    }
    peer_close(&p);
    d->keep_paths = false;
    if ((r = nb_control_start_fd(d, path, control_fd)) < 0) {
        close(control_fd);
        return r;
    }
    nb_log(LOG_NOTICE,
           "took over from the running daemon: %zu servers, %zu fds, %zu queued "
           "connections, control '%s'",
           d->nservers, d->nstored, nconn, path);
    return 0;
}
