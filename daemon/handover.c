/* handover.c: the daemon's state as one JSON document plus its fds, exported and imported
 * for both restarts that drop nothing (never re-binding a listener): systemd's fd store,
 * kept here (nb-srv.*, nb-fd.*, the memfd nb-state.0 or .1), and --takeover (takeover.c). */
#include "handover.h"
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* The state document is a peer of ours, but a damaged memfd must not make us allocate
 * without bound. */
#define STATE_MAX       (16u << 20)
#define QUIESCE_TICK_MS 10
#define QUIESCE_MAX_MS  5000

/* The members of a server's description that are its policy (server.set's). */
static const char *const policy_keys[] = { "maxConnections", "queueLimit", "queueTimeout",
                                           "blocklist", "access" };
static const char *const counter_keys[] = { "accepted", "dispatched", "dropped", "blocked" };
/* The names the state document is stored under. A new one goes under the name not in use
 * and the old one is removed only after it, so that a SIGKILL between the two messages
 * leaves two whole states (the newer by "generation" wins), never none. The first is what
 * the previous version used (replaced by removing, then storing: a SIGKILL between lost
 * it); it is read, as generation 0, and never written. */
static const char *const state_names[] = { "nb-state", "nb-state.0", "nb-state.1" };
#define STATE_NAMES     (sizeof(state_names) / sizeof(state_names[0]))
#define STATE_ALL_STALE ((1u << STATE_NAMES) - 1)

nb_handover_t *nb_handover_get(nb_daemon_t *d)
{
    if (d->handover == NULL && (d->handover = calloc(1, sizeof(*d->handover))) != NULL) {
        d->handover->state_name = -1;
        /* systemd (254 and later) says in $FDSTORE that the service has a store
         * (FileDescriptorStoreMax=); without one, FDSTORE=1 is refused, and a stop
         * that kept paths and listeners for a next daemon would keep them for nobody. */
        const char *nfd = getenv("FDSTORE");
        d->handover->fdstore =
            getenv("NOTIFY_SOCKET") != NULL && nfd != NULL && strtol(nfd, NULL, 10) > 0;
    }
    return d->handover;
}

/* ---- export ------------------------------------------------------------------------- */

json_t *nb_handover_server_state(const nb_srv_t *srv)
{
    json_t *o = nb_srv_describe(srv);
    /* What changes with every connection is not state: counters are, kept (9.8.1). */
    json_object_del(o, "connections");
    json_object_del(o, "queued");
    json_object_del(o, "subscribers");
    json_object_set_new(o, "spec", srv->spec != NULL ? json_deep_copy(srv->spec) : json_object());
    json_object_set_new(o, "fromConfig", json_boolean(srv->from_config));
    json_object_set_new(o, "passed", json_boolean(srv->adopted)); /* a socket unit's */
    const uint64_t counters[] = { srv->accepted, srv->dispatched, srv->dropped, srv->blocked };
    for (size_t i = 0; i < 4; i++) {
        json_object_set_new(o, counter_keys[i], json_integer((json_int_t)counters[i]));
    }
    return o;
}

json_t *nb_handover_state(nb_daemon_t *d)
{
    json_t *servers = json_array(), *fds = json_array();
    for (nb_srv_t *s = d->servers; s != NULL; s = s->next) {
        if (s->listening && nb_srv_fileno(s) >= 0) {
            json_array_append_new(servers, nb_handover_server_state(s));
        }
    }
    for (nb_stored_t *s = d->stored; s != NULL; s = s->next) {
        json_array_append_new(fds, nb_fdstore_describe(s));
    }
    json_t *state = json_pack("{s:i,s:o,s:o,s:o}", "version", NB_PROTO_VERSION, "servers", servers,
                              "fds", fds, "blocklist", json_array());
    nb_handover_blocklist_export(d, state);
    return state;
}

void nb_handover_blocklist_export(const nb_daemon_t *d, json_t *o)
{
    json_t *conf = json_object_get(d->config, "blocklist");
    if (d->global_rules != NULL) {
        json_object_set(o, "blocklist", d->global_rules);
    }
    json_object_set_new(o, "configBlocklist", conf != NULL ? json_deep_copy(conf) : json_array());
}

void nb_handover_blocklist_import(nb_daemon_t *d, const json_t *o)
{
    nb_handover_t *h = nb_handover_get(d);
    if (h != NULL && json_is_array(json_object_get(o, "blocklist"))) {
        json_decref(h->rules);
        json_decref(h->config_rules);
        h->rules = json_deep_copy(json_object_get(o, "blocklist"));
        h->config_rules = json_deep_copy(json_object_get(o, "configBlocklist"));
    }
}

void nb_handover_config_applied(nb_daemon_t *d)
{
    nb_handover_t *h = d->handover;
    if (h == NULL || h->rules == NULL) {
        return;
    }
    /* The configuration applies on top, as a reload would; but where its global rules are
     * those the previous daemon started from, the runtime changes made since stay. */
    json_t *conf = json_object_get(d->config, "blocklist"), *empty = json_array();
    nc_blocklist_t *bl;
    json_t *listed;
    char msg[NB_PROTO_ERROR_MESSAGE_MAX];
    if (json_equal(conf != NULL ? conf : empty, h->config_rules) &&
        nb_blocklist_build(h->rules, &bl, &listed, msg, sizeof(msg)) == 0) {
        nc_blocklist_unref(d->global_bl);
        json_decref(d->global_rules);
        d->global_bl = bl;
        d->global_rules = listed;
    }
    json_decref(empty);
    json_decref(h->rules);
    json_decref(h->config_rules);
    h->rules = h->config_rules = NULL;
    nb_handover_changed(d);
}

/* ---- import ------------------------------------------------------------------------- */

/* A listening stream socket of the family the server's options ask for. */
static int fd_fits(int fd, const json_t *spec)
{
    int type = 0, accepting = 0, domain = 0;
    socklen_t len = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0) {
        return -errno;
    }
    bool unix_path = json_object_get(spec, "path") != NULL;
    if (type != SOCK_STREAM || !accepting ||
        (unix_path ? domain != AF_UNIX : domain != AF_INET && domain != AF_INET6)) {
        return -ENOTSOCK;
    }
    return 0;
}

static void imported(nb_srv_t *srv, int status, const nc_error_t *err)
{
    if (status < 0) {
        nb_log(LOG_ERR, "server '%s' not taken up again: %s", srv->name, err->message);
    } else {
        nb_log(LOG_INFO, "server '%s' listening again on the same socket", srv->name);
        nb_events_emit(srv->d, NB_PROTO_EVENT_LISTENING, srv, NULL);
    }
}

/* server.create's arguments for a server's state: its options as first given, its
 * policy as it is now. The host is left out: the socket is bound already. */
static json_t *create_request(const char *name, const json_t *st)
{
    json_t *spec = json_object_get(st, "spec");
    json_t *a = json_is_object(spec) ? json_deep_copy(spec) : json_object();
    json_object_set_new(a, "name", json_string(name));
    json_object_del(a, "host");
    bool dispatch = json_is_string(json_object_get(st, "mode")) &&
                    strcmp(json_string_value(json_object_get(st, "mode")), "dispatch") == 0;
    for (size_t i = 0; i < sizeof(policy_keys) / sizeof(policy_keys[0]); i++) {
        json_t *v = json_object_get(st, policy_keys[i]);
        /* access is every server's; the rest only dispatch servers' (9.3.1) */
        if (v != NULL && (dispatch || strcmp(policy_keys[i], "access") == 0)) {
            json_object_set(a, policy_keys[i], v);
        }
    }
    return json_pack("{s:i,s:s,s:o}", "id", 0, "op", "server.create", "args", a);
}

int nb_handover_import_server(nb_daemon_t *d, const json_t *st, int fd, char *msg, size_t size)
{
    const char *name = json_string_value(json_object_get(st, "name"));
    const json_t *spec = json_object_get(st, "spec");
    if (name == NULL || !json_is_object(spec)) {
        snprintf(msg, size, "a server's state without name or options");
        return -EINVAL;
    }
    int r = fd_fits(fd, spec);
    if (r < 0) {
        snprintf(msg, size, "server '%s': the fd is not a listening socket of its kind", name);
        return r;
    }
    json_t *req = create_request(name, st);
    nb_proto_request_t rq;
    nb_proto_args_t args;
    nb_proto_error_t err;
    const nb_proto_op_t *op;
    nb_srv_t *srv;
    if ((r = nb_proto_request_parse(req, &rq, &err)) < 0 ||
        (r = nb_proto_request_validate(&rq, &op, &args, &err)) < 0) {
        snprintf(msg, size, "server '%s': %s", name, err.message);
    } else if ((r = nb_srv_adopt(d, &args.server_create, spec, fd, &srv, msg, size)) == 0) {
        srv->from_config = json_is_true(json_object_get(st, "fromConfig"));
        srv->adopted = json_is_true(json_object_get(st, "passed"));
        uint64_t *counters[] = { &srv->accepted, &srv->dispatched, &srv->dropped, &srv->blocked };
        for (size_t i = 0; i < 4; i++) {
            json_int_t v = json_integer_value(json_object_get(st, counter_keys[i]));
            *counters[i] = v > 0 ? (uint64_t)v : 0;
        }
        imported(srv, 0, NULL); /* listening already, in both modes */
    }
    json_decref(req);
    return r;
}

int nb_handover_import_fd(nb_daemon_t *d, const json_t *st, int fd)
{
    const char *name = json_string_value(json_object_get(st, "name"));
    json_t *exp = json_object_get(st, "expiresAt");
    if (name == NULL || !nb_proto_fd_name_valid(name)) {
        return -EINVAL;
    }
    json_int_t uid = json_integer_value(json_object_get(st, "uid"));
    return nb_fdstore_restore(d, name, fd, uid >= 0 ? (uid_t)uid : d->self_uid,
                              json_integer_value(json_object_get(st, "storedAt")),
                              json_is_integer(exp) ? json_integer_value(exp) : -1);
}

/* ---- systemd's fd store ------------------------------------------------------------- */

void nb_handover_adopt_fd(nb_daemon_t *d, const char *name, int fd)
{
    nb_handover_t *h = nb_handover_get(d);
    if (h == NULL || h->ninherited >= NB_HANDOVER_INHERITED_MAX) {
        nb_log(LOG_WARNING, "inherited fd %d ('%s') not adopted, closed", fd, name);
        close(fd);
        return;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    nb_inherited_t *e = &h->inherited[h->ninherited++];
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->fd = fd;
}

/* The inherited fd called name, taken (-1: none). */
static int take_inherited(nb_handover_t *h, const char *prefix, const char *name)
{
    char want[NB_PROTO_FD_NAME_MAX + 8];
    snprintf(want, sizeof(want), "%s%s", prefix, name);
    for (size_t i = 0; i < h->ninherited; i++) {
        if (h->inherited[i].fd >= 0 && strcmp(h->inherited[i].name, want) == 0) {
            int fd = h->inherited[i].fd;
            h->inherited[i].fd = -1;
            return fd;
        }
    }
    return -1;
}

static json_t *read_state(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > STATE_MAX) {
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size);
    ssize_t n = buf != NULL ? pread(fd, buf, (size_t)st.st_size, 0) : -1;
    json_error_t jerr;
    json_t *state = n == st.st_size ? json_loadb(buf, (size_t)n, 0, &jerr) : NULL;
    free(buf);
    if (!json_is_object(state) || json_integer_value(json_object_get(state, "version")) < 1) {
        json_decref(state);
        return NULL;
    }
    return state;
}

/* An entry nobody takes: closed, and dropped from the store so that it stops coming. */
static void reject(const char *name, int fd, const char *why)
{
    nb_log(LOG_WARNING, "fd store entry '%s': %s, closed", name, why);
    close(fd);
    nb_notify_fdstore_remove(name);
}

static void restore_servers(nb_daemon_t *d, nb_handover_t *h, const json_t *servers)
{
    size_t i;
    json_t *st;
    json_array_foreach(servers, i, st)
    {
        char msg[NB_PROTO_ERROR_MESSAGE_MAX];
        const char *name = json_string_value(json_object_get(st, "name"));
        int fd = name != NULL ? take_inherited(h, "nb-srv.", name) : -1;
        if (fd < 0) {
            nb_log(LOG_WARNING,
                   "server '%s' in the saved state has no listener in the fd "
                   "store, ignoring",
                   name != NULL ? name : "");
            continue;
        }
        if (nb_handover_import_server(d, st, fd, msg, sizeof(msg)) < 0) {
            char store_name[NB_PROTO_SERVER_NAME_MAX + 8];
            snprintf(store_name, sizeof(store_name), "nb-srv.%s", name);
            reject(store_name, fd, msg);
            continue;
        }
        nb_srv_find(d, name)->fdstored = true; /* systemd holds it still */
    }
}

static void restore_fds(nb_daemon_t *d, nb_handover_t *h, const json_t *fds)
{
    size_t i;
    json_t *st;
    json_array_foreach(fds, i, st)
    {
        const char *name = json_string_value(json_object_get(st, "name"));
        int fd = name != NULL ? take_inherited(h, "nb-fd.", name) : -1;
        if (fd >= 0 && nb_handover_import_fd(d, st, fd) < 0) {
            char store_name[NB_PROTO_FD_NAME_MAX + 8];
            snprintf(store_name, sizeof(store_name), "nb-fd.%s", name);
            reject(store_name, fd, "cannot be parked again");
        }
    }
}

/* What the state did not name: parked fds are kept (their state may not have been
 * written yet when the daemon died), anything else closed. */
static void restore_rest(nb_daemon_t *d, nb_handover_t *h)
{
    for (size_t i = 0; i < h->ninherited; i++) {
        nb_inherited_t *e = &h->inherited[i];
        if (e->fd < 0) {
            continue;
        }
        nb_srv_t *srv = strncmp(e->name, "nb-conn.", 8) == 0 ? nb_srv_find(d, e->name + 8) : NULL;
        if (strncmp(e->name, "nb-fd.", 6) == 0 && nb_proto_fd_name_valid(e->name + 6) &&
            nb_fdstore_adopt(d, e->name + 6, e->fd) == 0) {
            nb_log(LOG_INFO, "fd '%s' taken back from systemd's fd store", e->name + 6);
        } else if (srv != NULL && srv->mode == NB_PROTO_MODE_DISPATCH &&
                   nb_dispatch_adopt(srv, e->fd, NULL) == 0) {
            /* ours now: they all go from the store at once (one name for all) */
            nb_notify_fdstore_remove(e->name);
        } else {
            reject(e->name, e->fd, "no state for it");
        }
        e->fd = -1;
    }
    h->ninherited = 0;
}

static uint64_t generation_of(const json_t *state)
{
    json_int_t g = json_integer_value(json_object_get(state, "generation"));
    return g > 0 ? (uint64_t)g : 0;
}

/* Every state the store holds, under any of its names and maybe several fds a name: the
 * newest is taken, and the names that held any other are stale (removed before the next
 * state is stored, while the newest stays). */
static json_t *take_states(nb_handover_t *h)
{
    json_t *best = NULL;
    int fd;
    for (size_t i = 0; i < STATE_NAMES; i++) {
        while ((fd = take_inherited(h, "", state_names[i])) >= 0) {
            json_t *state = read_state(fd);
            close(fd);
            h->state_stale |= 1u << i;
            /* equal generations: the later one in the store came later (the old names) */
            if (state != NULL && (best == NULL || generation_of(state) >= generation_of(best))) {
                json_decref(best);
                best = state;
                h->state_name = (int)i;
            } else {
                json_decref(state);
            }
        }
    }
    if (best != NULL) {
        h->generation = generation_of(best);
        h->state_stale &= ~(1u << h->state_name);
    }
    return best;
}

void nb_handover_restore(nb_daemon_t *d)
{
    nb_handover_t *h = nb_handover_get(d);
    if (h == NULL || h->ninherited == 0) {
        return;
    }
    json_t *state = take_states(h);
    if (state != NULL) {
        nb_handover_blocklist_import(d, state);
        restore_servers(d, h, json_object_get(state, "servers"));
        restore_fds(d, h, json_object_get(state, "fds"));
        nb_log(LOG_NOTICE,
               "state taken back from systemd's fd store: %zu servers, %zu fds ('%s', "
               "generation %llu)",
               d->nservers, d->nstored, state_names[h->state_name],
               (unsigned long long)h->generation);
    } else {
        nb_log(LOG_WARNING, "no readable 'nb-state' in systemd's fd store, ignoring");
    }
    restore_rest(d, h);
    json_decref(state);
    nb_handover_changed(d);
}

static void store_listeners(nb_daemon_t *d)
{
    for (nb_srv_t *s = d->servers; s != NULL; s = s->next) {
        int fd = nb_srv_fileno(s);
        if (!s->fdstored && s->listening && fd >= 0) {
            char name[NB_PROTO_SERVER_NAME_MAX + 8];
            snprintf(name, sizeof(name), "nb-srv.%s", s->name);
            nb_notify_fdstore(name, fd);
            s->fdstored = true;
        }
    }
}

/* The state document, with its generation, in a sealed memfd; -errno on failure. */
static int state_memfd(nb_daemon_t *d, uint64_t generation)
{
    json_t *state = nb_handover_state(d);
    json_object_set_new(state, "generation", json_integer((json_int_t)generation));
    char *text = json_dumps(state, JSON_COMPACT);
    json_decref(state);
    int fd = memfd_create("nb-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    size_t len = text != NULL ? strlen(text) : 0;
    int r = 0;
    if (fd < 0 || text == NULL || write(fd, text, len) != (ssize_t)len ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
        r = text == NULL ? -ENOMEM : -errno;
    }
    free(text);
    if (r < 0 && fd >= 0) {
        close(fd);
    }
    return r < 0 ? r : fd;
}

/* The new state under the name not in use, then the old one removed: at every message
 * the store holds a whole state (see state_names). */
static void store_state(nb_daemon_t *d)
{
    nb_handover_t *h = d->handover;
    int fd = state_memfd(d, h->generation + 1);
    if (fd < 0) {
        nb_log(LOG_WARNING, "state not saved into systemd's fd store: %s, ignoring", strerror(-fd));
        return;
    }
    size_t target = h->state_name == 1 ? 2 : 1;
    for (size_t i = 0; i < STATE_NAMES; i++) {
        if ((int)i != h->state_name && (h->state_stale & (1u << i)) != 0) {
            nb_notify_fdstore_remove(state_names[i]); /* the newest stays meanwhile */
        }
    }
    h->state_stale = 0;
    if (nb_notify_fdstore(state_names[target], fd) < 0) {
        h->state_stale = 1u << target; /* the old one stays the one in use */
    } else {
        if (h->state_name >= 0) {
            nb_notify_fdstore_remove(state_names[h->state_name]);
        }
        h->state_name = (int)target;
        h->generation++;
    }
    close(fd);
}

void nb_handover_store_export(const nb_daemon_t *d, json_t *o)
{
    const nb_handover_t *h = d->handover;
    if (h != NULL && h->state_name >= 0) {
        json_object_set_new(o, "stateStore",
                            json_pack("{s:s,s:I}", "name", state_names[h->state_name], "generation",
                                      (json_int_t)h->generation));
    }
}

void nb_handover_store_import(nb_daemon_t *d, const json_t *o)
{
    nb_handover_t *h = nb_handover_get(d);
    const json_t *st = json_object_get(o, "stateStore");
    const char *name = json_string_value(json_object_get(st, "name"));
    if (h == NULL) {
        return;
    }
    /* A previous version says nothing, and keeps its state as nb-state (if it has a
     * store). Whatever else the running daemon's store may hold goes before ours comes. */
    h->state_name = 0;
    h->generation = 0;
    for (size_t i = 0; name != NULL && i < STATE_NAMES; i++) {
        if (strcmp(name, state_names[i]) == 0) {
            h->state_name = (int)i;
            h->generation = generation_of(st);
        }
    }
    h->state_stale = STATE_ALL_STALE & ~(1u << h->state_name);
}

static void on_sync(uv_timer_t *t)
{
    nb_daemon_t *d = t->data;
    /* From takeover.begin the state in the store is the new daemon's to replace; an abort
     * says it changed (takeover.c), and this runs again. */
    if (!d->stopping && d->handover->phase == TK_NONE) {
        store_listeners(d);
        store_state(d);
    }
}

static void timer_closed(uv_handle_t *h)
{
    free(h);
}

void nb_handover_changed(nb_daemon_t *d)
{
    nb_handover_t *h = nb_handover_get(d);
    if (h == NULL || !h->fdstore || d->stopping) {
        return;
    }
    /* Once per turn whatever changed: a server.create's listener comes later anyway. */
    if (h->sync == NULL && (h->sync = malloc(sizeof(*h->sync))) != NULL) {
        uv_timer_init(d->loop, h->sync);
        h->sync->data = d;
    }
    if (h->sync != NULL && !uv_is_active((uv_handle_t *)h->sync)) {
        uv_timer_start(h->sync, on_sync, 0, 0);
    }
}

void nb_handover_srv_closed(nb_srv_t *srv)
{
    if (srv->d->stopping) {
        return; /* what is in the store is what the next daemon takes up */
    }
    if (srv->fdstored) {
        char name[NB_PROTO_SERVER_NAME_MAX + 8];
        snprintf(name, sizeof(name), "nb-srv.%s", srv->name);
        nb_notify_fdstore_remove(name);
        srv->fdstored = false;
    }
    nb_handover_changed(srv->d);
}

/* ---- stopping without dropping ---------------------------------------------------------- */

static bool queues_out(const nb_daemon_t *d)
{
    for (const nb_srv_t *s = d->servers; s != NULL; s = s->next) {
        if (s->nsubs > 0 && s->held > 0) {
            return false; /* a subscriber still has connections to take */
        }
    }
    return true;
}

/* What no subscriber took goes to the fd store too, as nb-conn.SERVER (systemd keeps
 * several fds under one name), for the next daemon's queue. */
static void store_queued(nb_daemon_t *d)
{
    for (nb_srv_t *s = d->servers; s != NULL; s = s->next) {
        char name[NB_PROTO_SERVER_NAME_MAX + 16];
        snprintf(name, sizeof(name), "nb-conn.%s", s->name);
        for (nb_conn_t *c = s->queue; c != NULL; c = c->next) {
            nb_notify_fdstore(name, c->fd);
        }
        if (s->queue != NULL) {
            nb_log(LOG_INFO, "server '%s': %zu queued connections left in the fd store", s->name,
                   s->nqueued);
        }
        nb_dispatch_forget_queue(s);
    }
}

static void on_quiesce(uv_timer_t *t)
{
    nb_daemon_t *d = t->data;
    nb_handover_t *h = d->handover;
    if (queues_out(d) || uv_now(d->loop) >= h->quiesce_until) {
        store_queued(d);
        h->quiesced = true;
        uv_close((uv_handle_t *)t, timer_closed);
        h->quiesce = NULL;
        nb_daemon_stop(d, "connections handed out");
    }
}

bool nb_handover_quiesce(nb_daemon_t *d, const char *why)
{
    nb_handover_t *h = nb_handover_get(d);
    if (h == NULL || !h->fdstore || h->quiesced || h->taken_over) {
        return false;
    }
    if (h->quiesce != NULL) {
        return true;
    }
    if ((h->quiesce = malloc(sizeof(*h->quiesce))) == NULL) {
        return false;
    }
    /* The listeners live on in systemd's fd store, their paths with them; connections
     * that arrive now wait in the kernel for the next daemon. The ones we accepted go to
     * the subscribers first. */
    d->keep_paths = true;
    for (nb_srv_t *s = d->servers; s != NULL; s = s->next) {
        nb_srv_stop_accepting(s);
    }
    nb_log(LOG_NOTICE, "%s, handing out the queued connections before stopping", why);
    h->quiesce_until = uv_now(d->loop) + QUIESCE_MAX_MS;
    uv_timer_init(d->loop, h->quiesce);
    h->quiesce->data = d;
    uv_timer_start(h->quiesce, on_quiesce, 0, QUIESCE_TICK_MS);
    return true;
}

void nb_handover_free(nb_daemon_t *d)
{
    nb_handover_t *h = d->handover;
    if (h == NULL) {
        return;
    }
    if (h->sync != NULL) {
        uv_close((uv_handle_t *)h->sync, timer_closed);
        h->sync = NULL;
    }
    json_decref(h->rules);
    json_decref(h->config_rules);
    h->rules = h->config_rules = NULL;
    nb_takeover_clear(d);
}
