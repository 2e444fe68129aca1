/* listen_provider.c: Node cluster's shared handles without cluster: a non-exclusive
 * listen asks the process's listen provider (another process's broker, typically) for a
 * listening fd, and the server listens on the answer as on nc_server_listen_fd. */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nc_listen_request_s {
    nc_server_t *s;
    uv_loop_t *loop;
    unsigned id; /* the server's listen attempt; a later listen() or close() drops it */
    int backlog;
    nc_listen_options_t opts; /* host and path point into text, signal is NULL */
    char text[NC_ADDRSTRLEN + 256];
};

static pthread_mutex_t provider_lock = PTHREAD_MUTEX_INITIALIZER;
static nc_listen_provider_cb provider_cb;
static void *provider_data;

void nc_set_listen_provider(nc_listen_provider_cb cb, void *data)
{
    pthread_mutex_lock(&provider_lock);
    provider_cb = cb;
    provider_data = cb != NULL ? data : NULL;
    pthread_mutex_unlock(&provider_lock);
}

/* Copies what the provider may read later (the caller's strings are borrowed only for
 * nc_server_listen). The checks nc_server_listen throws for are left to it: a listen
 * that would throw is not asked about. */
static int request_fill(nc_listen_request_t *req, const nc_listen_options_t *o)
{
    req->opts = *o;
    req->opts.signal = NULL;
    if (o->path != NULL) {
        if (o->path_len == 0 || o->path_len >= sizeof(req->text) ||
            memchr(o->path + 1, '\0', o->path_len - 1) != NULL) {
            return NC__LISTEN_OWN;
        }
        memcpy(req->text, o->path, o->path_len);
        req->opts.path = req->text;
        req->opts.host = NULL;
        return 0;
    }
    if (o->port < 0 || o->port > 65535) {
        return NC__LISTEN_OWN;
    }
    if (o->host != NULL) {
        if (strlen(o->host) >= sizeof(req->text)) {
            return NC__LISTEN_OWN;
        }
        memcpy(req->text, o->host, strlen(o->host) + 1);
        req->opts.host = req->text;
    }
    return 0;
}

int nc__provider_ask(nc_server_t *s, unsigned id, const nc_listen_options_t *o, int backlog)
{
    pthread_mutex_lock(&provider_lock);
    nc_listen_provider_cb cb = provider_cb;
    void *data = provider_data;
    pthread_mutex_unlock(&provider_lock);
    if (cb == NULL) {
        return NC__LISTEN_OWN;
    }
    nc_listen_request_t *req = calloc(1, sizeof(*req));
    if (req == NULL) {
        return -ENOMEM;
    }
    int r = request_fill(req, o);
    if (r != 0) {
        free(req);
        return r;
    }
    req->s = s;
    req->loop = nc__server_hold(s, true); /* until the answer */
    req->id = id;
    req->backlog = backlog;
    cb(&req->opts, req, data);
    return 0;
}

uv_loop_t *nc_listen_request_loop(const nc_listen_request_t *req)
{
    return req != NULL ? req->loop : NULL;
}

/* Node: listenOnPrimaryHandle: the primary's error becomes 'error' with
 * exceptionWithHostPort(err, 'bind', address, port). */
static void request_error(nc_listen_request_t *req, int status)
{
    nc_error_t err = { 0 };
    const nc_listen_options_t *o = &req->opts;
    char shown[NC_ADDRSTRLEN];
    if (o->path != NULL) {
        nc__unix_display(o->path, o->path_len, shown, sizeof(shown));
        nc__error_sys(&err, status, "bind", shown, -1);
    } else {
        nc__error_sys(&err, status, "bind", o->host != NULL ? o->host : "null", o->port);
    }
    nc__server_error_later(req->s, &err);
}

int nc_listen_request_done(nc_listen_request_t *req, int status, int fd)
{
    if (req == NULL || (status == 0 && fd < 0) || status > NC_LISTEN_DECLINED) {
        return -EINVAL;
    }
    nc_server_t *s = req->s;
    nc_error_t err = { 0 };
    if (!nc__server_listen_current(s, req->id)) {
        /* listen() or close() came first: the answer concerns no one. */
        if (status == 0) {
            close(fd);
        }
    } else if (status == 0) {
        if (nc_server_listen_fd(s, fd, req->backlog, &err) < 0) {
            close(fd);
            nc__server_error_later(s, &err);
        }
    } else if (status == NC_LISTEN_DECLINED) {
        int r = nc__server_listen_own(s, &req->opts, req->backlog, &err);
        if (r < 0) {
            if (err.code == 0) {
                nc__error(&err, r, "%s", nc_strerror(r));
            }
            nc__server_error_later(s, &err);
        }
    } else {
        request_error(req, status);
    }
    free(req);
    nc__server_hold(s, false);
    return 0;
}
