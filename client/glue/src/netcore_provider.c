/* netcore_provider.c: answers libnetcore's non-exclusive listens with broker-owned
 * listeners: server.list to find the server for the listen's address, server.acquire to
 * get a duplicate of its fd. Blocking calls with a deadline, as libnetbroker offers them. */
#include "netbroker_netcore.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include <netbroker.h>
#include <netcore.h>

#define DEFAULT_TIMEOUT_MS 2000

typedef struct {
    bool has_control;
    char control[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
    int timeout_ms;
} provider_t;

static provider_t provider;

static void provide(const nc_listen_options_t *opts, nc_listen_request_t *req, void *data);

int nb_netcore_provider_install(const char *control, int timeout_ms)
{
    provider_t p = { .timeout_ms = timeout_ms < 0 ? DEFAULT_TIMEOUT_MS : timeout_ms };
    if (control != NULL) {
        if (strlen(control) >= sizeof(p.control)) {
            return -ENAMETOOLONG;
        }
        snprintf(p.control, sizeof(p.control), "%s", control);
        p.has_control = true;
    }
    /* Uninstall first: no listen may read a half-written provider. */
    nc_set_listen_provider(NULL, NULL);
    provider = p;
    nc_set_listen_provider(provide, &provider);
    return 0;
}

void nb_netcore_provider_uninstall(void)
{
    nc_set_listen_provider(NULL, NULL);
}

/* The daemon shows an abstract name as "@name", as libnetcore's address() does. */
static bool path_matches(const nc_listen_options_t *o, const char *path)
{
    size_t n = strlen(path);
    if (o->path_len > 0 && o->path[0] == '\0') {
        return n == o->path_len && path[0] == '@' && memcmp(path + 1, o->path + 1, n - 1) == 0;
    }
    return n == o->path_len && memcmp(path, o->path, n) == 0;
}

static bool server_matches(const nc_listen_options_t *o, json_t *srv)
{
    if (!json_is_string(json_object_get(srv, "mode")) ||
        strcmp(json_string_value(json_object_get(srv, "mode")), "acquire") != 0) {
        return false;
    }
    const char *path = json_string_value(json_object_get(srv, "path"));
    if (o->path != NULL) {
        return path != NULL && path_matches(o, path);
    }
    json_t *port = json_object_get(srv, "port");
    const char *addr = json_string_value(json_object_get(srv, "address"));
    if (path != NULL || o->port == 0 || !json_is_integer(port) ||
        json_integer_value(port) != o->port) {
        return false;
    }
    return o->host == NULL || (addr != NULL && strcmp(addr, o->host) == 0);
}

/* The name of the server for the listen, in ret (size bytes): 1 found, 0 none. */
static int find_server(nb_client_t *c, const nc_listen_options_t *o, char *ret, size_t size)
{
    nb_client_msg_t reply = { 0 };
    nb_client_error_t err;
    int r = nb_client_call(c, "server.list", NULL, NULL, 0, provider.timeout_ms, &reply, &err);
    if (r < 0) {
        return r;
    }
    json_t *doc = json_loads(reply.json, 0, NULL);
    json_t *servers = json_object_get(json_object_get(doc, "result"), "servers");
    size_t i;
    json_t *srv;
    r = 0;
    json_array_foreach(servers, i, srv)
    {
        const char *name = json_string_value(json_object_get(srv, "name"));
        if (name != NULL && strlen(name) < size && server_matches(o, srv)) {
            snprintf(ret, size, "%s", name);
            r = 1;
            break;
        }
    }
    json_decref(doc);
    nb_client_msg_clear(&reply);
    return r;
}

static int acquire(const nc_listen_options_t *o, int *ret_fd)
{
    nb_client_t *c;
    nb_client_error_t err;
    char name[256];
    int r = nb_client_open(provider.has_control ? provider.control : NULL, provider.timeout_ms, &c,
                           &err);
    if (r < 0) {
        return r;
    }
    r = find_server(c, o, name, sizeof(name));
    if (r == 0) {
        r = NC_LISTEN_DECLINED;
    } else if (r > 0) {
        r = nb_client_acquire(c, name, provider.timeout_ms, ret_fd, &err);
    }
    nb_client_close(c);
    return r;
}

static void provide(const nc_listen_options_t *opts, nc_listen_request_t *req, void *data)
{
    (void)data;
    int fd = -1;
    int r = acquire(opts, &fd);
    if (r == NB_CLIENT_ERR_NOT_FOUND) {
        r = NC_LISTEN_DECLINED; /* closed between list and acquire: no longer the broker's */
    } else if (r <= NB_CLIENT_ERR_PROTO_PARSE && r >= NB_CLIENT_ERR_UNKNOWN) {
        r = -EPROTO; /* the protocol's own codes mean nothing to libnetcore's errors */
    }
    nc_listen_request_done(req, r, fd);
}
