/* helpers.c: the common jobs as one call each: acquire a listener, take dispatched
 * connections, ask for an outbound connection, park and take back an fd. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A call whose success reply must carry exactly one fd: hands it to *ret_fd. */
static int call_for_fd(nb_client_t *c,
                       const char *op,
                       json_t *args,
                       int timeout_ms,
                       int *ret_fd,
                       nb_client_error_t *err)
{
    nb_client_msg_t reply;
    if (ret_fd == NULL) {
        json_decref(args);
        return nb__client_fail(err, -EINVAL, "no place for the fd");
    }
    int r = nb__client_call_json(c, op, args, NULL, 0, timeout_ms, &reply, err);
    if (r < 0) {
        return r;
    }
    if (reply.nfds != 1) {
        nb_client_msg_clear(&reply);
        return nb__client_fail(err, NB_CLIENT_ERR_PROTO_FDS, "%s: the reply carries %zu fds, not 1",
                               op, reply.nfds);
    }
    *ret_fd = reply.fds[0];
    reply.fds[0] = -1;
    nb_client_msg_clear(&reply);
    return 0;
}

int nb_client_acquire(nb_client_t *c,
                      const char *server,
                      int timeout_ms,
                      int *ret_fd,
                      nb_client_error_t *err)
{
    if (server == NULL) {
        return nb__client_fail(err, -EINVAL, "no server name");
    }
    return call_for_fd(c, "server.acquire", json_pack("{s:s}", "name", server), timeout_ms, ret_fd,
                       err);
}

int nb_client_subscribe(nb_client_t *c,
                        const char *server,
                        int max_pending,
                        int timeout_ms,
                        nb_client_error_t *err)
{
    if (server == NULL) {
        return nb__client_fail(err, -EINVAL, "no server name");
    }
    json_t *args = json_pack("{s:s}", "name", server);
    if (max_pending > 0) {
        json_object_set_new(args, "maxPending", json_integer(max_pending));
    }
    return nb__client_call_json(c, "server.subscribe", args, NULL, 0, timeout_ms, NULL, err);
}

static bool is_connection(const nb_client_msg_t *m, const void *arg)
{
    (void)arg;
    return m->kind == NB_CLIENT_MSG_EVENT && strcmp(m->event, "connection") == 0 && m->nfds == 1;
}

static void copy_string(char *dst, size_t size, json_t *v)
{
    snprintf(dst, size, "%s", json_is_string(v) ? json_string_value(v) : "");
}

static int int_or(json_t *v, int fallback)
{
    return json_is_integer(v) ? (int)json_integer_value(v) : fallback;
}

int nb_client_next_connection(nb_client_t *c,
                              int timeout_ms,
                              nb_client_connection_t *ret,
                              nb_client_error_t *err)
{
    nb_client_msg_t m;
    if (c == NULL || ret == NULL) {
        return nb__client_fail(err, -EINVAL, "invalid arguments");
    }
    int r = nb__client_wait(c, is_connection, NULL, nb__deadline(timeout_ms), &m);
    if (r < 0) {
        return nb__client_fail(err, r, "%s",
                               r == -ETIMEDOUT ? "no connection came in time"
                                               : "the connection to the daemon is lost");
    }
    json_t *ev = json_loads(m.json, 0, NULL);
    memset(ret, 0, sizeof(*ret));
    copy_string(ret->server, sizeof(ret->server), json_object_get(ev, "server"));
    copy_string(ret->remote_address, sizeof(ret->remote_address),
                json_object_get(ev, "remoteAddress"));
    copy_string(ret->remote_family, sizeof(ret->remote_family),
                json_object_get(ev, "remoteFamily"));
    copy_string(ret->local_address, sizeof(ret->local_address),
                json_object_get(ev, "localAddress"));
    ret->remote_port = int_or(json_object_get(ev, "remotePort"), -1);
    ret->local_port = int_or(json_object_get(ev, "localPort"), -1);
    json_decref(ev);
    ret->fd = m.fds[0];
    m.fds[0] = -1;
    nb_client_msg_clear(&m);
    return 0;
}

int nb_client_connect_tcp(nb_client_t *c,
                          const char *host,
                          int port,
                          int timeout_ms,
                          int *ret_fd,
                          nb_client_error_t *err)
{
    json_t *args = json_pack("{s:i}", "port", port);
    if (host != NULL) {
        json_object_set_new(args, "host", json_string(host));
    }
    return call_for_fd(c, "socket.connect", args, timeout_ms, ret_fd, err);
}

int nb_client_fd_store(nb_client_t *c,
                       const char *name,
                       int fd,
                       int expire_ms,
                       bool replace,
                       int timeout_ms,
                       nb_client_error_t *err)
{
    if (name == NULL || fd < 0) {
        return nb__client_fail(err, -EINVAL, "no name or no fd");
    }
    json_t *args = json_pack("{s:s}", "name", name);
    if (expire_ms > 0) {
        json_object_set_new(args, "timeout", json_integer(expire_ms));
    }
    if (replace) {
        json_object_set_new(args, "replace", json_true());
    }
    return nb__client_call_json(c, "fd.store", args, &fd, 1, timeout_ms, NULL, err);
}

int nb_client_fd_retrieve(nb_client_t *c,
                          const char *name,
                          bool remove,
                          int timeout_ms,
                          int *ret_fd,
                          nb_client_error_t *err)
{
    if (name == NULL) {
        return nb__client_fail(err, -EINVAL, "no fd name");
    }
    json_t *args = json_pack("{s:s}", "name", name);
    if (remove) {
        json_object_set_new(args, "remove", json_true());
    }
    return call_for_fd(c, "fd.retrieve", args, timeout_ms, ret_fd, err);
}
