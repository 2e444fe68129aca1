/* netcore_provider.c: answers libnetcore's non-exclusive listens with broker-owned
 * listeners: server.list to find the server for the listen's address, server.acquire to
 * get a duplicate of its fd. libnetbroker's blocking calls with a deadline, made on libuv's
 * thread pool: the loop that asked is never blocked. */
#include "netbroker_netcore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
static int find_server(nb_client_t *c,
                       const provider_t *p,
                       const nc_listen_options_t *o,
                       char *ret,
                       size_t size)
{
    nb_client_msg_t reply = { 0 };
    nb_client_error_t err;
    int r = nb_client_call(c, "server.list", NULL, NULL, 0, p->timeout_ms, &reply, &err);
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

static int acquire(const provider_t *p, const nc_listen_options_t *o, int *ret_fd)
{
    nb_client_t *c;
    nb_client_error_t err;
    char name[256];
    int r = nb_client_open(p->has_control ? p->control : NULL, p->timeout_ms, &c, &err);
    if (r < 0) {
        return r;
    }
    r = find_server(c, p, o, name, sizeof(name));
    if (r == 0) {
        r = NC_LISTEN_DECLINED;
    } else if (r > 0) {
        r = nb_client_acquire(c, name, p->timeout_ms, ret_fd, &err);
    }
    nb_client_close(c);
    return r;
}

/* One listen's conversation, run on libuv's thread pool so that the server's loop goes on
 * serving while the daemon answers (or fails to, for up to timeout_ms). */
typedef struct {
    uv_work_t work;
    provider_t provider;      /* as installed when the listen asked */
    nc_listen_options_t opts; /* its strings stay libnetcore's until the answer */
    nc_listen_request_t *req;
    int status;
    int fd;
} listen_job_t;

static void run_job(uv_work_t *w)
{
    listen_job_t *job = w->data;
    job->status = acquire(&job->provider, &job->opts, &job->fd);
    if (job->status == NB_CLIENT_ERR_NOT_FOUND) {
        job->status = NC_LISTEN_DECLINED; /* closed between list and acquire: not the broker's */
    } else if (job->status <= NB_CLIENT_ERR_PROTO_PARSE && job->status >= NB_CLIENT_ERR_UNKNOWN) {
        job->status = -EPROTO; /* the protocol's own codes mean nothing to libnetcore's errors */
    }
}

static void answer_job(uv_work_t *w, int status)
{
    listen_job_t *job = w->data;
    if (status < 0) {
        job->status = status; /* cancelled: the loop is going away */
    }
    nc_listen_request_done(job->req, job->status, job->status == 0 ? job->fd : -1);
    free(job);
}

static void provide(const nc_listen_options_t *opts, nc_listen_request_t *req, void *data)
{
    listen_job_t *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        nc_listen_request_done(req, -ENOMEM, -1);
        return;
    }
    job->provider = *(const provider_t *)data;
    job->opts = *opts;
    job->req = req;
    job->fd = -1;
    job->work.data = job;
    int r = uv_queue_work(nc_listen_request_loop(req), &job->work, run_job, answer_job);
    if (r < 0) {
        free(job);
        nc_listen_request_done(req, r, -1);
    }
}
