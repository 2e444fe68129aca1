/* resolve.c: server.create with a host name. As Node's server.listen() does with
 * dns.lookup, the name is resolved off the loop thread and the server listens on the
 * first address; the server exists only once that is done, so nothing can close it
 * half-made. libnetcore resolves a listen host only inside nc_server_listen, whose server
 * then owns the fd and accepts with its own sockets; the daemon holds a bare listening fd
 * in both modes (nc_listen_socket: acquire hands out duplicates, dispatch accepts on it
 * without a socket object per connection), so it asks getaddrinfo as libnetcore does
 * (family 0, SOCK_STREAM, the first answer). */
#include "requests.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

struct nb_resolve_s {
    uv_getaddrinfo_t req;
    nb_resolve_t *next, *prev;
    nb_daemon_t *d;
    uint64_t client;
    int64_t id;
    json_t *args; /* the request's arguments; host becomes the address found */
    char host[256];
};

static void unlink_resolve(nb_resolve_t *r)
{
    if (r->prev != NULL) {
        r->prev->next = r->next;
    } else {
        r->d->resolving = r->next;
    }
    if (r->next != NULL) {
        r->next->prev = r->prev;
    }
}

static int first_address(const struct addrinfo *res, char *buf, size_t size)
{
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            return uv_ip4_name((const struct sockaddr_in *)ai->ai_addr, buf, size);
        }
        if (ai->ai_family == AF_INET6) {
            return uv_ip6_name((const struct sockaddr_in6 *)ai->ai_addr, buf, size);
        }
    }
    return UV_EAI_NONAME;
}

/* The request again, with the address for the name, through the same validation. */
static void create_resolved(nb_client_t *c, nb_resolve_t *r, const char *address)
{
    json_object_set_new(r->args, "host", json_string(address));
    json_t *msg =
        json_pack("{s:I,s:s,s:O}", "id", (json_int_t)r->id, "op", "server.create", "args", r->args);
    nb_proto_request_t req;
    nb_proto_error_t err;
    const nb_proto_op_t *op;
    nb_proto_args_t args;
    if (nb_proto_request_parse(msg, &req, &err) < 0 ||
        nb_proto_request_validate(&req, &op, &args, &err) < 0) {
        nb_reply_err(c, r->id, err.code, "%s", err.message);
    } else {
        nb_req_t x = { .op = op, .id = r->id, .req = &req, .args = &args };
        nb_op_server_create(c, &x);
    }
    json_decref(msg);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    nb_resolve_t *r = req->data;
    unlink_resolve(r);
    bool gone = status == UV_ECANCELED || r->d->stopping;
    nb_client_t *c = gone ? NULL : nb_client_find(r->d, r->client);
    char address[NC_ADDRSTRLEN];
    if (c != NULL && (status < 0 || first_address(res, address, sizeof(address)) < 0)) {
        nb_reply_err_named(c, r->id, "ENOTFOUND", "getaddrinfo ENOTFOUND %s", r->host);
    } else if (c != NULL) {
        create_resolved(c, r, address);
    }
    uv_freeaddrinfo(res);
    json_decref(r->args);
    free(r);
}

int nb_resolve_start(nb_client_t *c, nb_req_t *x, const char *host)
{
    nb_resolve_t *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return -ENOMEM;
    }
    *r = (nb_resolve_t){ .d = c->d, .client = c->id, .id = x->id };
    snprintf(r->host, sizeof(r->host), "%s", host);
    r->args = json_deep_copy(x->req->args);
    r->req.data = r;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    int rc = uv_getaddrinfo(c->d->loop, &r->req, on_resolved, r->host, NULL, &hints);
    if (rc < 0) {
        json_decref(r->args);
        free(r);
        return rc;
    }
    r->next = c->d->resolving;
    if (r->next != NULL) {
        r->next->prev = r;
    }
    c->d->resolving = r;
    return 0;
}

void nb_resolve_cancel_all(nb_daemon_t *d)
{
    for (nb_resolve_t *r = d->resolving; r != NULL; r = r->next) {
        uv_cancel((uv_req_t *)&r->req); /* one already running finishes, then is dropped */
    }
}
