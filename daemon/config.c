/* config.c: the JSON configuration (servers, global blocklist, access rules), checked
 * whole before anything is applied, and applied as a difference on reload: a server whose
 * listen options did not change keeps its listener. */
#include "daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* What netbrokerd runs on when given no --config: no servers, and only root and the
 * daemon's own uid (always allowed, acl.c) get in. */
static const char default_config[] = "{\n"
                                     "  \"servers\": {},\n"
                                     "  \"access\": [ { \"uid\": 0, \"allow\": [\"*\"] } ]\n"
                                     "}\n";

/* Policy members: changing only these keeps the listener (server.set's members). */
static const char *const policy_keys[] = { "maxConnections", "queueLimit", "queueTimeout",
                                           "blocklist", "access" };

/* A server entry checked by the protocol's own schema for server.create. */
static int check_server(const char *name,
                        json_t *entry,
                        nb_proto_args_t *args,
                        json_t **ret_req,
                        char *msg,
                        size_t size)
{
    if (!json_is_object(entry)) {
        snprintf(msg, size, "servers.%s: must be an object", name);
        return -EINVAL;
    }
    json_t *a = json_deep_copy(entry);
    json_object_set_new(a, "name", json_string(name));
    json_t *req = json_pack("{s:i,s:s,s:o}", "id", 0, "op", "server.create", "args", a);
    nb_proto_request_t r;
    nb_proto_error_t err;
    const nb_proto_op_t *op;
    int rc = nb_proto_request_parse(req, &r, &err);
    if (rc == 0) {
        rc = nb_proto_request_validate(&r, &op, args, &err);
    }
    if (rc < 0) {
        /* The schema names members as request arguments; here they are the entry's. */
        char *at;
        while ((at = strstr(err.message, "args.")) != NULL) {
            memmove(at, at + 5, strlen(at + 5) + 1);
        }
        snprintf(msg, size, "servers.%.64s: %.150s", name, err.message);
        json_decref(req);
        return rc;
    }
    *ret_req = req;
    return 0;
}

static int check(json_t *config, char *msg, size_t size)
{
    const char *key;
    json_t *v;
    json_object_foreach(config, key, v)
    {
        if (strcmp(key, "servers") != 0 && strcmp(key, "access") != 0 &&
            strcmp(key, "blocklist") != 0) {
            snprintf(msg, size, "%s: unknown key", key);
            return -EINVAL;
        }
    }
    json_t *servers = json_object_get(config, "servers");
    if (servers != NULL && !json_is_object(servers)) {
        snprintf(msg, size, "servers: must be an object of name: server");
        return -EINVAL;
    }
    json_object_foreach(servers, key, v)
    {
        nb_proto_args_t args;
        json_t *req;
        int r = check_server(key, v, &args, &req, msg, size);
        if (r < 0) {
            return r;
        }
        json_decref(req);
    }
    nb_acl_t acl;
    if (nb_acl_parse(json_object_get(config, "access"), &acl, msg, size) < 0) {
        return -EINVAL;
    }
    nb_acl_clear(&acl);
    json_t *bl = json_object_get(config, "blocklist");
    nc_blocklist_t *list;
    json_t *listed;
    if (bl != NULL &&
        (!json_is_array(bl) || nb_blocklist_build(bl, &list, &listed, msg, size) < 0)) {
        if (!json_is_array(bl)) {
            snprintf(msg, size, "blocklist: must be an array of rules");
        }
        return -EINVAL;
    }
    if (bl != NULL) {
        nc_blocklist_unref(list);
        json_decref(listed);
    }
    return 0;
}

json_t *nb_config_load(const char *path, char *msg, size_t size)
{
    json_error_t jerr;
    const char *shown = path != NULL ? path : "<embedded>";
    json_t *config = path != NULL ? json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)
                                  : json_loads(default_config, 0, &jerr);
    if (config == NULL) {
        snprintf(msg, size, "%s:%d:%d: %s", shown, jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    char why[256];
    if (!json_is_object(config)) {
        snprintf(msg, size, "%s: the configuration must be a JSON object", shown);
    } else if (check(config, why, sizeof(why)) < 0) {
        snprintf(msg, size, "%s: %s", shown, why);
    } else {
        return config;
    }
    json_decref(config);
    return NULL;
}

static json_t *listen_part(const json_t *entry)
{
    json_t *copy = json_deep_copy(entry);
    for (size_t i = 0; i < sizeof(policy_keys) / sizeof(policy_keys[0]); i++) {
        json_object_del(copy, policy_keys[i]);
    }
    return copy;
}

void nb_config_settled(nb_srv_t *srv)
{
    if (!srv->config_pending) {
        return;
    }
    srv->config_pending = false;
    if (--srv->d->config_pending == 0 && srv->d->ready_owed) {
        srv->d->ready_owed = false;
        nb_notify_ready(srv->d);
    }
}

static void config_listening(nb_srv_t *srv)
{
    nb_config_settled(srv);
    nb_log(LOG_INFO, "server '%s' listening", srv->name);
    nb_events_emit(srv->d, NB_PROTO_EVENT_LISTENING, srv, NULL);
}

static void apply_policy(nb_srv_t *srv, const nb_proto_server_create_args_t *a)
{
    char msg[NB_PROTO_ERROR_MESSAGE_MAX];
    srv->max_connections = a->max_connections == NB_PROTO_NULL ? -1 : a->max_connections;
    srv->queue_limit = a->queue_limit;
    srv->queue_timeout = a->queue_timeout;
    nb_srv_set_blocklist(srv, a->blocklist, msg, sizeof(msg));
    nb_srv_set_access(srv, a->access, msg, sizeof(msg));
}

/* One server of the configuration: kept, changed in place, replaced or added. */
static void apply_server(nb_daemon_t *d, const char *name, json_t *entry, json_t *diff)
{
    nb_proto_args_t args;
    json_t *req;
    char msg[NB_PROTO_ERROR_MESSAGE_MAX];
    if (check_server(name, entry, &args, &req, msg, sizeof(msg)) < 0) {
        return; /* checked before: cannot happen */
    }
    nb_srv_t *srv = nb_srv_find(d, name);
    if (srv != NULL && srv->spec != NULL && json_equal(srv->spec, entry)) {
        json_decref(req);
        return;
    }
    json_t *a = listen_part(entry), *b = srv != NULL ? listen_part(srv->spec) : NULL;
    bool same_listener =
        srv != NULL && (srv->adopted ? nb_activation_same_mode(srv, entry) : json_equal(a, b));
    json_decref(a);
    json_decref(b);
    if (same_listener) {
        apply_policy(srv, &args.server_create);
        json_decref(srv->spec);
        srv->spec = json_deep_copy(entry);
        json_array_append_new(json_object_get(diff, "changed"), json_string(name));
    } else {
        const char *list = srv != NULL ? "changed" : "added";
        if (srv != NULL) {
            if (srv->adopted) {
                nb_activation_keep(srv); /* a new mode, on the same passed socket */
            }
            nb_srv_close(srv);
        }
        if (nb_srv_create(d, &args.server_create, entry, &srv, msg, sizeof(msg)) < 0) {
            nb_log(LOG_ERR, "server '%s' from the configuration: %s", name, msg);
        } else {
            srv->from_config = true;
            config_listening(srv);
        }
        json_array_append_new(json_object_get(diff, list), json_string(name));
    }
    json_decref(req);
}

int nb_config_apply(nb_daemon_t *d, json_t *config, json_t **ret_diff, char *msg, size_t size)
{
    nb_acl_t acl;
    if (nb_acl_parse(json_object_get(config, "access"), &acl, msg, size) < 0) {
        return NB_PROTO_ERR_CONFIG;
    }
    nc_blocklist_t *bl;
    json_t *listed;
    json_t *rules = json_object_get(config, "blocklist");
    json_t *empty = json_array();
    if (nb_blocklist_build(rules != NULL ? rules : empty, &bl, &listed, msg, size) < 0) {
        json_decref(empty);
        nb_acl_clear(&acl);
        return NB_PROTO_ERR_CONFIG;
    }
    json_decref(empty);
    nb_activation_amend(d, config);
    nb_acl_clear(&d->acl);
    d->acl = acl;
    nc_blocklist_unref(d->global_bl);
    json_decref(d->global_rules);
    d->global_bl = bl;
    d->global_rules = listed;
    json_t *diff = json_pack("{s:[],s:[],s:[]}", "added", "changed", "removed");
    json_t *servers = json_object_get(config, "servers");
    const char *name;
    json_t *entry;
    json_object_foreach(servers, name, entry)
    {
        apply_server(d, name, entry, diff);
    }
    nb_srv_t *next;
    for (nb_srv_t *s = d->servers; s != NULL; s = next) {
        next = s->next;
        if (s->from_config && json_object_get(servers, s->name) == NULL) {
            json_array_append_new(json_object_get(diff, "removed"), json_string(s->name));
            nb_srv_close(s);
        }
    }
    nb_activation_clear(d);
    if (ret_diff != NULL) {
        *ret_diff = diff;
    } else {
        json_decref(diff);
    }
    return 0;
}
