/* requests_srv.c: the operations on named servers, blocklists and outbound connections
 * (PROTOCOL.md 9.3 to 9.5). */
#include "requests.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* The reply, then the 'listening' event: the server listens once nb_srv_create returns. */
static void create_done(nb_client_t *c, int64_t id, nb_srv_t *srv)
{
    nb_log(LOG_INFO, "server '%s' listening", srv->name);
    nb_reply_ok(c, id, nb_srv_describe(srv), NULL, 0);
    json_t *ev = nb_srv_describe(srv);
    json_t *fields = json_object();
    const char *keep[] = { "address", "port", "family", "path" };
    for (size_t i = 0; i < 4; i++) {
        json_t *v = json_object_get(ev, keep[i]);
        if (v != NULL) {
            json_object_set(fields, keep[i], v);
        }
    }
    json_decref(ev);
    nb_events_emit(srv->d, NB_PROTO_EVENT_LISTENING, srv, fields);
}

void nb_op_server_create(nb_client_t *c, nb_req_t *x)
{
    char msg[NB_PROTO_ERROR_MESSAGE_MAX] = "";
    nb_srv_t *srv;
    const char *host = x->args->server_create.host;
    if (host != NULL && nc_is_ip(host, strlen(host)) == 0) {
        if (nb_srv_find(c->d, x->args->server_create.name) != NULL) {
            nb_reply_err(c, x->id, NC_ERR_SERVER_ALREADY_LISTEN, "A server named '%s' exists",
                         x->args->server_create.name);
        } else if (nb_resolve_start(c, x, host) < 0) {
            nb_reply_err_named(c, x->id, "ENOTFOUND", "getaddrinfo ENOTFOUND %s", host);
        }
        return;
    }
    int r = nb_srv_create(c->d, &x->args->server_create, x->req->args, &srv, msg, sizeof(msg));
    if (r < 0) {
        nb_reply_err(c, x->id, r, "%s", msg[0] != '\0' ? msg : nc_strerror(r));
        return;
    }
    create_done(c, x->id, srv);
}

void nb_op_server_list(nb_client_t *c, nb_req_t *x)
{
    json_t *arr = json_array();
    for (nb_srv_t *s = c->d->servers; s != NULL; s = s->next) {
        if (nb_acl_allows(c->d, c, NB_PROTO_RIGHT_READ, s->name, s)) {
            json_array_append_new(arr, nb_srv_describe(s));
        }
    }
    nb_reply_ok(c, x->id, json_pack("{s:o}", "servers", nb_sorted_by_name(arr)), NULL, 0);
}

void nb_op_server_info(nb_client_t *c, nb_req_t *x)
{
    nb_reply_ok(c, x->id, nb_srv_describe(x->srv), NULL, 0);
}

void nb_op_server_set(nb_client_t *c, nb_req_t *x)
{
    const nb_proto_server_set_args_t *a = &x->args->server_set;
    nb_srv_t *srv = x->srv;
    if (srv->mode == NB_PROTO_MODE_ACQUIRE &&
        (a->max_connections != NB_PROTO_UNSET || a->queue_limit != NB_PROTO_UNSET ||
         a->queue_timeout != NB_PROTO_UNSET || a->blocklist != NULL)) {
        nb_reply_err(c, x->id, NB_PROTO_ERR_INVALID_ARG_VALUE,
                     "Server '%s' is in acquire mode: the daemon does not accept on it", srv->name);
        return;
    }
    char msg[NB_PROTO_ERROR_MESSAGE_MAX];
    int r = a->blocklist != NULL ? nb_srv_set_blocklist(srv, a->blocklist, msg, sizeof(msg)) : 0;
    if (r == 0 && a->access != NULL) {
        r = nb_srv_set_access(srv, a->access, msg, sizeof(msg));
    }
    if (r < 0) {
        nb_reply_err(c, x->id, r, "%s", msg);
        return;
    }
    if (a->max_connections != NB_PROTO_UNSET) {
        srv->max_connections = a->max_connections == NB_PROTO_NULL ? -1 : a->max_connections;
    }
    if (a->queue_limit != NB_PROTO_UNSET) {
        srv->queue_limit = a->queue_limit;
    }
    if (a->queue_timeout != NB_PROTO_UNSET) {
        srv->queue_timeout = a->queue_timeout;
    }
    nb_reply_ok(c, x->id, nb_srv_describe(srv), NULL, 0);
}

void nb_op_server_close(nb_client_t *c, nb_req_t *x)
{
    nb_reply_ok(c, x->id, NULL, NULL, 0);
    nb_srv_close(x->srv);
}

void nb_op_server_acquire(nb_client_t *c, nb_req_t *x)
{
    nb_srv_t *srv = x->srv;
    if (srv->mode != NB_PROTO_MODE_ACQUIRE) {
        nb_reply_err(c, x->id, NB_PROTO_ERR_INVALID_ARG_VALUE,
                     "Server '%s' is in dispatch mode: the daemon alone accepts on it", srv->name);
        return;
    }
    if (srv->lo.exclusive && srv->owner != 0 && srv->owner != c->id &&
        nb_client_find(c->d, srv->owner) != NULL) {
        nb_reply_err(c, x->id, -EADDRINUSE, "Server '%s' is exclusive and held", srv->name);
        return;
    }
    json_t *res = nb_srv_describe(srv);
    json_t *out = json_object();
    const char *keep[] = { "name", "address", "port", "family", "path" };
    for (size_t i = 0; i < 5; i++) {
        json_t *v = json_object_get(res, keep[i]);
        if (v != NULL) {
            json_object_set(out, keep[i], v);
        }
    }
    json_decref(res);
    if (nb_reply_ok(c, x->id, out, &srv->fd, 1) < 0) {
        return; /* not handed over: the hold is not taken */
    }
    srv->owner = c->id;
    nb_log(LOG_INFO, "server '%s' acquired by client %llu (uid %u)", srv->name,
           (unsigned long long)c->id, (unsigned)c->uid);
}

void nb_op_server_subscribe(nb_client_t *c, nb_req_t *x)
{
    nb_srv_t *srv = x->srv;
    if (srv->mode != NB_PROTO_MODE_DISPATCH) {
        nb_reply_err(c, x->id, NB_PROTO_ERR_INVALID_ARG_VALUE,
                     "Server '%s' is in acquire mode: use server.acquire", srv->name);
        return;
    }
    int r = nb_dispatch_subscribe(srv, c, x->args->server_subscribe.max_pending);
    if (r < 0) {
        nb_reply_err(c, x->id, r, "Server '%s' is exclusive and has a subscriber", srv->name);
        return;
    }
    nb_reply_ok(c, x->id, NULL, NULL, 0);
    nb_dispatch_run(srv); /* the reply first, then what waited in the queue */
}

void nb_op_server_unsubscribe(nb_client_t *c, nb_req_t *x)
{
    nb_dispatch_unsubscribe(x->srv, c);
    nb_reply_ok(c, x->id, NULL, NULL, 0);
    nb_dispatch_run(x->srv);
}

/* ---- Blocklists ------------------------------------------------------------------------ */

static json_t **rules_of(nb_client_t *c, nb_req_t *x)
{
    return x->srv != NULL ? &x->srv->blocklist_rules : &c->d->global_rules;
}

static int rebuild(nb_client_t *c, nb_req_t *x, json_t *rules, char *msg, size_t size)
{
    if (x->srv != NULL) {
        return nb_srv_set_blocklist(x->srv, rules, msg, size);
    }
    nc_blocklist_t *bl;
    json_t *listed;
    int r = nb_blocklist_build(rules, &bl, &listed, msg, size);
    if (r == 0) {
        nc_blocklist_unref(c->d->global_bl);
        json_decref(c->d->global_rules);
        c->d->global_bl = bl;
        c->d->global_rules = listed;
    }
    return r;
}

static bool holds(const json_t *list, const json_t *rule)
{
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v)
    {
        if (json_equal((json_t *)v, (json_t *)rule)) {
            return true;
        }
    }
    return false;
}

void nb_op_blocklist_change(nb_client_t *c, nb_req_t *x)
{
    if (x->srv != NULL && x->srv->mode != NB_PROTO_MODE_DISPATCH) {
        nb_reply_err(c, x->id, NB_PROTO_ERR_INVALID_ARG_VALUE,
                     "Server '%s' is in acquire mode: the daemon does not accept on it",
                     x->srv->name);
        return;
    }
    char msg[NB_PROTO_ERROR_MESSAGE_MAX];
    nc_blocklist_t *tmp;
    json_t *given;
    int r = nb_blocklist_build(x->args->blocklist_rules.rules, &tmp, &given, msg, sizeof(msg));
    if (r < 0) {
        nb_reply_err(c, x->id, r, "%s", msg);
        return;
    }
    nc_blocklist_unref(tmp);
    json_t *cur = *rules_of(c, x);
    json_t *next = json_array();
    bool add = x->op->id == NB_PROTO_OP_BLOCKLIST_ADD;
    size_t i;
    json_t *v;
    json_array_foreach(cur, i, v)
    {
        if (add || !holds(given, v)) {
            json_array_append(next, v);
        }
    }
    json_array_foreach(given, i, v)
    {
        if (add && !holds(next, v)) {
            json_array_append(next, v);
        } else if (!add && !holds(cur, v)) {
            r = NB_PROTO_ERR_NOT_FOUND;
        }
    }
    if (r == 0) {
        r = rebuild(c, x, next, msg, sizeof(msg));
    } else {
        snprintf(msg, sizeof(msg), "A rule is not in the list: nothing removed");
    }
    json_decref(given);
    json_decref(next);
    if (r < 0) {
        nb_reply_err(c, x->id, r, "%s", msg);
        return;
    }
    nb_reply_ok(c, x->id, json_pack("{s:O}", "rules", *rules_of(c, x)), NULL, 0);
}

void nb_op_blocklist_list(nb_client_t *c, nb_req_t *x)
{
    nb_reply_ok(c, x->id, json_pack("{s:O}", "rules", *rules_of(c, x)), NULL, 0);
}

void nb_op_blocklist_check(nb_client_t *c, nb_req_t *x)
{
    const nb_proto_blocklist_check_args_t *a = &x->args->blocklist_check;
    const char *type = a->type == NB_PROTO_IPV6                     ? "ipv6"
                       : a->type == NB_PROTO_IPV4                   ? "ipv4"
                       : nc_is_ipv6(a->address, strlen(a->address)) ? "ipv6"
                                                                    : "ipv4";
    size_t len = strlen(a->address);
    int hit =
        nc_blocklist_check(c->d->global_bl, a->address, len, type, NULL) == 1 ||
        (x->srv != NULL && nc_blocklist_check(x->srv->blocklist, a->address, len, type, NULL) == 1);
    json_t *res = json_pack("{s:b}", "blocked", hit);
    if (hit) {
        /* Global list first, then the server's, as connections meet them. */
        json_t *rule = nb_blocklist_first_match(c->d->global_rules, a->address, type);
        if (rule == NULL && x->srv != NULL) {
            rule = nb_blocklist_first_match(x->srv->blocklist_rules, a->address, type);
        }
        if (rule != NULL) {
            json_object_set(res, "rule", rule);
        }
    }
    nb_reply_ok(c, x->id, res, NULL, 0);
}
