/* registry.c: the named servers. Each holds a listening fd (nc_listen_socket): an acquire
 * server never accepts on it and hands out duplicates; a dispatch server accepts on it
 * itself and dispatch.c hands the connections out. Policy lives here too. */
#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

static void clear_stale_path(const char *path);

nb_srv_t *nb_srv_find(nb_daemon_t *d, const char *name)
{
    for (nb_srv_t *s = d->servers; s != NULL; s = s->next) {
        if (strcmp(s->name, name) == 0) {
            return s;
        }
    }
    return NULL;
}

static void srv_unlink(nb_srv_t *srv)
{
    nb_srv_t **pp = &srv->d->servers;
    while (*pp != NULL && *pp != srv) {
        pp = &(*pp)->next;
    }
    if (*pp == srv) {
        *pp = srv->next;
        srv->d->nservers--;
    }
}

static void srv_free(nb_srv_t *srv)
{
    nb_dispatch_stop(srv); /* before the close: the poll leaves epoll with its fd */
    if (srv->fd >= 0) {
        close(srv->fd);
    }
    /* Node unlinks the path of a server it closes; a socket unit's is systemd's, and a
     * listener handed over (fd store, takeover) lives on in the next daemon, path and all. */
    if (srv->own_path && !srv->adopted && !srv->d->keep_paths) {
        unlink(srv->path);
    }
    json_decref(srv->spec);
    json_decref(srv->blocklist_rules);
    json_decref(srv->access_json);
    nc_blocklist_unref(srv->blocklist);
    free(srv);
}

/* The address of a listening fd, as Node's server.address() gives it. */
static void fd_address(int fd, nb_srv_t *srv)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    nc_address_t *a = &srv->address;
    memset(a, 0, sizeof(*a));
    a->port = -1;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        return;
    }
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, a->address, sizeof(a->address));
        a->port = ntohs(in->sin_port);
        a->family = "IPv4";
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, a->address, sizeof(a->address));
        a->port = ntohs(in6->sin6_port);
        a->family = "IPv6";
    }
    a->address_len = strlen(a->address);
    /* A listener bound to one address gives it to every connection as its local address:
     * no getsockname per connection then. */
    memcpy(&srv->local.u, &ss, sizeof(srv->local.u));
    srv->local_fixed =
        (ss.ss_family == AF_INET && ((struct sockaddr_in *)&ss)->sin_addr.s_addr != INADDR_ANY) ||
        (ss.ss_family == AF_INET6 &&
         !IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr));
}

static int srv_options(nb_srv_t *srv,
                       const nb_proto_server_create_args_t *a,
                       char *msg,
                       size_t size)
{
    nc_listen_options_t *lo = &srv->lo;
    lo->backlog = (int)a->backlog;
    lo->exclusive = a->exclusive;
    if (a->path != NULL) {
        snprintf(srv->path, sizeof(srv->path), "%s", a->path);
        lo->path = srv->path;
        lo->path_len = strlen(srv->path);
        if (srv->path[0] == '@') {
            srv->path[0] = '\0'; /* PROTOCOL.md 9.1.1: "@name" is the abstract "\0name" */
        }
        lo->readable_all = a->readable_all;
        lo->writable_all = a->writable_all;
        return 0;
    }
    lo->port = (int)a->port;
    lo->ipv6_only = a->ipv6_only;
    if (a->host != NULL) {
        if (nc_is_ip(a->host, strlen(a->host)) == 0 && strcmp(a->host, "localhost") != 0) {
            snprintf(msg, size, "getaddrinfo ENOTFOUND %s", a->host);
            return NC_ENOTFOUND;
        }
        snprintf(srv->host, sizeof(srv->host), "%s",
                 strcmp(a->host, "localhost") == 0 ? "127.0.0.1" : a->host);
        lo->host = srv->host;
    }
    return 0;
}

/* A socket file nobody answers on is removed before a bind there: a daemon that stopped
 * with its listeners in systemd's fd store leaves its paths for the next one, and when the
 * store was emptied meanwhile (a stop, not a restart) the next one binds afresh. A live
 * socket, or anything else, is left for the bind to refuse as Node would. */
static void clear_stale_path(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
        return;
    }
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    size_t n = strlen(path);
    if (n >= sizeof(un.sun_path)) {
        return; /* no socket file can be there: the bind says so */
    }
    memcpy(un.sun_path, path, n + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof(un)) < 0 && errno == ECONNREFUSED) {
        nb_log(LOG_INFO, "'%s': a socket nobody listens on, removed", path);
        unlink(path);
    }
    if (fd >= 0) {
        close(fd);
    }
}

/* Both modes hold a listening fd, from nc_listen_socket or the socket systemd passed (fd
 * >= 0, taken in every case): acquire hands out duplicates, dispatch accepts on it itself
 * (dispatch.c), each connection a bare fd. */
static int srv_listen(nb_srv_t *srv, int fd, char *msg, size_t size)
{
    nc_error_t err = { 0 };
    int r = 0;
    if (fd >= 0) {
        srv->fd = fd;
    } else {
        if (srv->path[0] == '/') {
            clear_stale_path(srv->path);
        }
        r = nc_listen_socket(&srv->lo, &srv->fd, &err);
    }
    if (r < 0) {
        snprintf(msg, size, "%s", err.message);
        return r;
    }
    fd_address(srv->fd, srv);
    /* A passed socket listens already, as a rule; listen() again is harmless and sets the
     * backlog, as nc_server_listen_fd did for it before. */
    if (srv->mode == NB_PROTO_MODE_DISPATCH && fd >= 0 &&
        listen(srv->fd, srv->lo.backlog > 0 ? srv->lo.backlog : SOMAXCONN) < 0) {
        r = -errno;
        snprintf(msg, size, "listen %s", nc_strerror(r));
        return r;
    }
    if (srv->mode == NB_PROTO_MODE_DISPATCH && (r = nb_dispatch_start(srv)) < 0) {
        snprintf(msg, size, "%s", nc_strerror(r));
        return r;
    }
    srv->listening = true;
    return 0;
}

static int srv_policy(nb_srv_t *srv, const nb_proto_server_create_args_t *a, char *msg, size_t size)
{
    srv->mode = a->mode;
    srv->max_connections = a->max_connections == NB_PROTO_NULL ? -1 : a->max_connections;
    srv->queue_limit = a->queue_limit;
    srv->queue_timeout = a->queue_timeout;
    int r = nb_srv_set_blocklist(srv, a->blocklist, msg, size);
    if (r == 0) {
        r = nb_srv_set_access(srv, a->access, msg, size);
    }
    return r;
}

int nb_srv_create(nb_daemon_t *d,
                  const nb_proto_server_create_args_t *a,
                  const json_t *spec,
                  nb_srv_t **ret,
                  char *msg,
                  size_t size)
{
    return nb_srv_adopt(d, a, spec, -1, ret, msg, size);
}

int nb_srv_adopt(nb_daemon_t *d,
                 const nb_proto_server_create_args_t *a,
                 const json_t *spec,
                 int fd,
                 nb_srv_t **ret,
                 char *msg,
                 size_t size)
{
    if (nb_srv_find(d, a->name) != NULL) {
        snprintf(msg, size, "A server named '%s' exists", a->name);
        return NC_ERR_SERVER_ALREADY_LISTEN;
    }
    if (d->nservers >= NB_SERVERS_MAX) {
        snprintf(msg, size, "The daemon holds %d servers already", NB_SERVERS_MAX);
        return -EMFILE;
    }
    nb_srv_t *srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        return -ENOMEM;
    }
    srv->d = d;
    srv->fd = -1;
    snprintf(srv->name, sizeof(srv->name), "%s", a->name);
    srv->spec = json_deep_copy(spec);
    int r = srv_options(srv, a, msg, size);
    if (r == 0) {
        r = srv_policy(srv, a, msg, size);
    }
    bool passed = false;
    if (r == 0) {
        /* A socket systemd passed under this name replaces the bind; the policy stays. */
        passed = fd < 0 && (fd = nb_activation_take(d, srv)) >= 0;
        r = srv_listen(srv, fd, msg, size);
    }
    if (r < 0) {
        if (fd >= 0 && srv->fd == fd) {
            srv->fd = -1; /* on failure the caller keeps its fd */
        }
        if (passed) {
            close(fd); /* systemd's, taken: nobody else closes it */
        }
        srv_free(srv);
        return r;
    }
    srv->own_path = srv->path[0] == '/'; /* its path is ours to remove now */
    srv->next = d->servers;
    d->servers = srv;
    d->nservers++;
    nb_handover_changed(d);
    *ret = srv;
    return 0;
}

/* The listener stays open here (its duplicate lives on in the handover); only its poll
 * stops, so resuming needs no new fd. */
void nb_srv_stop_accepting(nb_srv_t *srv)
{
    nb_dispatch_pause(srv);
}

int nb_srv_resume_accepting(nb_srv_t *srv, int fd)
{
    if (srv->fd < 0 || srv->mode != NB_PROTO_MODE_DISPATCH) {
        return -EBADF;
    }
    close(fd); /* a duplicate of srv->fd, owned on success */
    nb_dispatch_resume(srv);
    return 0;
}

int nb_srv_fileno(const nb_srv_t *srv)
{
    return srv->fd >= 0 ? srv->fd : -EBADF;
}

void nb_srv_close(nb_srv_t *srv)
{
    nb_config_settled(srv); /* closed before it listened: READY must not wait for it */
    srv_unlink(srv);
    nb_dispatch_drop_all(srv, "close");
    json_t *close_ev = json_pack("{s:s,s:s}", "event", "close", "server", srv->name);
    while (srv->subs != NULL) {
        nb_client_t *c = srv->subs->client;
        nb_dispatch_unsubscribe(srv, c);
        nb_client_send(c, close_ev, NULL, 0, NULL);
    }
    json_decref(close_ev);
    nb_events_emit(srv->d, NB_PROTO_EVENT_CLOSE, srv, NULL);
    nb_handover_srv_closed(srv);
    nb_log(LOG_INFO, "server '%s' closed", srv->name);
    srv_free(srv);
}

static void describe_address(const nb_srv_t *srv, json_t *o)
{
    if (srv->lo.path != NULL) {
        char shown[NB_PROTO_PATH_MAX + 4];
        snprintf(shown, sizeof(shown), "%s%s", srv->path[0] == '\0' ? "@" : "",
                 srv->path[0] == '\0' ? srv->path + 1 : srv->path);
        json_object_set_new(o, "path", json_string(shown));
    } else if (srv->listening && srv->address.family != NULL) {
        json_object_set_new(o, "address", json_string(srv->address.address));
        json_object_set_new(o, "port", json_integer(srv->address.port));
        json_object_set_new(o, "family", json_string(srv->address.family));
    }
}

json_t *nb_srv_describe(const nb_srv_t *srv)
{
    bool dispatch = srv->mode == NB_PROTO_MODE_DISPATCH;
    json_t *o = json_pack("{s:s,s:s,s:b}", "name", srv->name, "mode",
                          dispatch ? "dispatch" : "acquire", "listening", srv->listening);
    describe_address(srv, o);
    json_object_set_new(o, "backlog", json_integer(srv->lo.backlog));
    json_object_set_new(o, "exclusive", json_boolean(srv->lo.exclusive));
    if (dispatch) {
        json_object_set_new(o, "maxConnections",
                            srv->max_connections < 0 ? json_null()
                                                     : json_integer(srv->max_connections));
        json_object_set_new(o, "queueLimit", json_integer(srv->queue_limit));
        json_object_set_new(o, "queueTimeout", json_integer(srv->queue_timeout));
        json_object_set_new(o, "connections", json_integer((json_int_t)srv->held));
        json_object_set_new(o, "queued", json_integer((json_int_t)srv->nqueued));
        json_object_set_new(o, "subscribers", json_integer((json_int_t)srv->nsubs));
    }
    json_object_set(o, "blocklist", srv->blocklist_rules);
    json_object_set(o, "access", srv->access_json);
    return o;
}

/* One validated rule into the list and into its listed form (type always present). */
static int add_rule(nc_blocklist_t *bl, const nb_proto_rule_t *r, json_t *listed)
{
    const char *first = r->kind == NB_PROTO_RULE_ADDRESS ? r->address
                        : r->kind == NB_PROTO_RULE_RANGE ? r->start
                                                         : r->net;
    const char *type = r->type == NB_PROTO_IPV6           ? "ipv6"
                       : r->type == NB_PROTO_IPV4         ? "ipv4"
                       : nc_is_ipv6(first, strlen(first)) ? "ipv6"
                                                          : "ipv4";
    json_t *o = NULL;
    int rc;
    if (r->kind == NB_PROTO_RULE_ADDRESS) {
        rc = nc_blocklist_add_address(bl, r->address, strlen(r->address), type, NULL);
        o = json_pack("{s:s,s:s,s:s}", "kind", "address", "address", r->address, "type", type);
    } else if (r->kind == NB_PROTO_RULE_RANGE) {
        rc = nc_blocklist_add_range(bl, r->start, strlen(r->start), r->end, strlen(r->end), type,
                                    NULL);
        o = json_pack("{s:s,s:s,s:s,s:s}", "kind", "range", "start", r->start, "end", r->end,
                      "type", type);
    } else {
        rc = nc_blocklist_add_subnet(bl, r->net, strlen(r->net), r->prefix, type, NULL);
        o = json_pack("{s:s,s:s,s:I,s:s}", "kind", "subnet", "net", r->net, "prefix",
                      (json_int_t)r->prefix, "type", type);
    }
    json_array_append_new(listed, o);
    return rc;
}

int nb_blocklist_build(const json_t *rules,
                       nc_blocklist_t **ret_bl,
                       json_t **ret_listed,
                       char *msg,
                       size_t size)
{
    nc_blocklist_t *bl = NULL;
    json_t *listed = json_array();
    int r = nc_blocklist_new(&bl);
    size_t i;
    const json_t *v;
    json_array_foreach(rules, i, v)
    {
        nb_proto_rule_t rule;
        nb_proto_error_t err;
        if (r < 0) {
            break;
        }
        char path[40];
        snprintf(path, sizeof(path), "blocklist[%zu]", i); /* the message names the rule */
        r = nb_proto_decode(&nb_proto_schema_rule, v, path, &rule, &err);
        if (r < 0) {
            snprintf(msg, size, "%s", err.message);
        } else if ((r = add_rule(bl, &rule, listed)) < 0) {
            snprintf(msg, size, "blocklist[%zu]: %s", i, nc_strerror(r));
        }
    }
    if (r < 0) {
        nc_blocklist_unref(bl);
        json_decref(listed);
        return r;
    }
    *ret_bl = bl;
    *ret_listed = listed;
    return 0;
}

json_t *nb_blocklist_first_match(const json_t *list, const char *address, const char *type)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        nc_blocklist_t *one;
        json_t *listed, *rules = json_pack("[O]", v);
        char msg[NB_PROTO_ERROR_MESSAGE_MAX];
        int r = nb_blocklist_build(rules, &one, &listed, msg, sizeof(msg));
        json_decref(rules);
        if (r < 0) {
            continue;
        }
        json_decref(listed);
        int hit = nc_blocklist_check(one, address, strlen(address), type, NULL) == 1;
        nc_blocklist_unref(one);
        if (hit) {
            return v;
        }
    }
    return NULL;
}

int nb_srv_set_blocklist(nb_srv_t *srv, const json_t *rules, char *msg, size_t size)
{
    nc_blocklist_t *bl;
    json_t *listed;
    int r = nb_blocklist_build(rules, &bl, &listed, msg, size);
    if (r < 0) {
        return r;
    }
    nc_blocklist_unref(srv->blocklist);
    json_decref(srv->blocklist_rules);
    srv->blocklist = bl;
    srv->blocklist_rules = listed;
    return 0;
}

int nb_srv_set_access(nb_srv_t *srv, const json_t *rules, char *msg, size_t size)
{
    nb_acl_rule_t tmp[NB_ACCESS_RULES_MAX];
    size_t n = 0, i;
    const json_t *v;
    json_array_foreach(rules, i, v)
    {
        nb_proto_access_t a;
        nb_proto_error_t err;
        if (n >= NB_ACCESS_RULES_MAX) {
            snprintf(msg, size, "more than %d access rules", NB_ACCESS_RULES_MAX);
            return NB_PROTO_ERR_OUT_OF_RANGE;
        }
        int r = nb_proto_decode(&nb_proto_schema_access, v, "access", &a, &err);
        if (r < 0) {
            snprintf(msg, size, "%s", err.message);
            return r;
        }
        tmp[n++] = (nb_acl_rule_t){ .uid = a.uid, .gid = a.gid, .rights = a.allow };
    }
    memcpy(srv->access, tmp, n * sizeof(tmp[0]));
    srv->naccess = n;
    json_decref(srv->access_json);
    srv->access_json = rules != NULL ? json_deep_copy(rules) : json_array();
    return 0;
}
