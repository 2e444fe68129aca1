/* lookup.c: the name lookup of socket.connect() (Node: lookupAndConnect and
 * lookupAndConnectMultiple up to the first attempt): getaddrinfo off the loop thread or a
 * custom lookup function, the checks Node makes of its answer, the 'lookup' events, and
 * the choice between one attempt and autoSelectFamily's several. */
#include "connect_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOOKUP_MAX 64 /* getaddrinfo answers kept; a resource limit, not Node's */

static void on_getaddrinfo(uv_getaddrinfo_t *req, int status, struct addrinfo *res);

int nc__lookup_error(nc_error_t *err, int status, const char *host)
{
    /* Node: DNSException: EAI_NONAME and EAI_NODATA are ENOTFOUND. */
    int code = status == UV_EAI_NONAME || status == UV_EAI_NODATA ? NC_ENOTFOUND : status;
    nc__error(err, code, "getaddrinfo %s %s", nc_err_name(code), host);
    err->syscall = "getaddrinfo";
    snprintf(err->address, sizeof(err->address), "%.*s", (int)sizeof(err->address) - 1, host);
    err->port = -1;
    return code;
}

int nc__lookup_check(const nc__conn_t *c, nc_error_t *err)
{
    if (c->lookup != NULL) {
        return 0; /* Node hands a custom lookup the options unchecked */
    }
    /* Node: dns.lookup checks hints (validateHints), then family. */
    if ((c->hints & ~(AI_ADDRCONFIG | AI_ALL | AI_V4MAPPED)) != 0) {
        return nc__error(err, NC_ERR_INVALID_ARG_VALUE,
                         "The argument 'hints' is invalid. Received %u", (unsigned)c->hints);
    }
    if (c->family != 0 && c->family != 4 && c->family != 6) {
        return nc__error(err, NC_ERR_INVALID_ARG_VALUE,
                         "The property 'options.family' must be one of: 0, 4, 6. Received %d",
                         c->family);
    }
    return 0;
}

void nc__lookup_start(nc__conn_t *c)
{
    /* Node: every address is asked for when autoSelectFamily applies: family neither 4
     * nor 6, no localAddress. hints default to ADDRCONFIG unless a family is set. */
    bool v46 = c->family == 4 || c->family == 6;
    nc_lookup_options_t lo = { .family = c->family,
                               .hints = !v46 && c->hints == 0 ? AI_ADDRCONFIG : c->hints,
                               .all = !v46 && c->local_ip[0] == '\0' && c->auto_select };
    c->req.all = lo.all;
    nc__conn_retain(c); /* until the answer */
    if (c->lookup != NULL) {
        c->lookup(&c->req, c->host, &lo, c->lookup_data);
        return;
    }
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = lo.hints };
    hints.ai_family = c->family == 4 ? AF_INET : c->family == 6 ? AF_INET6 : AF_UNSPEC;
    c->greq.data = c;
    int r = uv_getaddrinfo(c->s->obj.loop, &c->greq, on_getaddrinfo, c->host, NULL, &hints);
    if (r < 0) {
        on_getaddrinfo(&c->greq, r, NULL);
    }
}

static bool linked(const nc__conn_t *c)
{
    return c->s->conn == c && c->s->connecting && !c->s->destroyed;
}

static void emit_lookup(nc__conn_t *c, const nc_error_t *err, const char *ip, int family)
{
    nc_socket_lookup_t ev = { .error = err, .address = ip, .family = family, .host = c->host };
    nc__socket_emit(c->s, NC_SOCKET_LOOKUP, &ev);
}

/* Node's checks of one address: an IP literal, family 4 or 6, with their errors. */
static int check_address(nc__conn_t *c, const nc_lookup_address_t *a)
{
    nc_socket_t *s = c->s;
    const char *ip = a->address != NULL ? a->address : "undefined";
    if (a->address == NULL || nc_is_ip(a->address, strlen(a->address)) == 0) {
        return nc__error(&s->x->err, NC_ERR_INVALID_IP_ADDRESS, "Invalid IP address: %s", ip);
    }
    if (a->family != 4 && a->family != 6) {
        /* Node: ERR_INVALID_ADDRESS_FAMILY(addressType, options.host, options.port). */
        return nc__error(&s->x->err, NC_ERR_INVALID_ADDRESS_FAMILY,
                         "Invalid address family: %d %s:%d", a->family, c->host, c->port);
    }
    return 0;
}

static void answer_one(nc__conn_t *c, const nc_lookup_address_t *a)
{
    nc_socket_t *s = c->s;
    /* Node: emitLookup emits 'lookup' with what it got, then checks it. */
    emit_lookup(c, NULL, a->address, a->family);
    if (!linked(c)) {
        return;
    }
    if (check_address(c, a) < 0) {
        nc__socket_destroy(s, true);
        return;
    }
    nc__dest_t d;
    nc__dest_init(&d, a->address, a->family, c->port);
    nc__connect_single(s, &d);
}

/* Node: the addresses that are IP literals of family 4 or 6, each once, in two groups:
 * the first one's family, then the other. Returns the count of each in nb. */
static void group(nc__conn_t *c,
                  const nc_lookup_address_t *addrs,
                  size_t n,
                  nc__dest_t *g[2],
                  size_t nb[2])
{
    int first = 0;
    for (size_t i = 0; i < n; i++) {
        const nc_lookup_address_t *a = &addrs[i];
        if (a->address == NULL || nc_is_ip(a->address, strlen(a->address)) == 0 ||
            (a->family != 4 && a->family != 6)) {
            continue;
        }
        first = first != 0 ? first : a->family;
        size_t b = a->family == first ? 0 : 1;
        bool dup = false;
        for (size_t j = 0; j < nb[b] && !dup; j++) {
            dup = strcmp(g[b][j].ip, a->address) == 0;
        }
        if (!dup) {
            nc__dest_init(&g[b][nb[b]++], a->address, a->family, c->port);
        }
    }
}

/* Node: "Sort addresses alternating families": the first group's first address, the
 * other group's first, the first group's second, and so on. */
static size_t interleave(nc__dest_t *out, nc__dest_t *g[2], const size_t nb[2])
{
    size_t k = 0;
    for (size_t i = 0; i < nb[0] || i < nb[1]; i++) {
        if (i < nb[0]) {
            out[k++] = g[0][i];
        }
        if (i < nb[1]) {
            out[k++] = g[1][i];
        }
    }
    return k;
}

static void answer_all(nc__conn_t *c, const nc_lookup_address_t *addrs, size_t n)
{
    nc_socket_t *s = c->s;
    for (size_t i = 0; i < n; i++) {
        emit_lookup(c, NULL, addrs[i].address, addrs[i].family);
        if (!linked(c)) {
            return;
        }
    }
    nc__dest_t *dests = calloc(3 * n + 1, sizeof(*dests));
    if (dests == NULL) {
        nc__error(&s->x->err, -ENOMEM, "%s", nc_strerror(-ENOMEM));
        nc__socket_destroy(s, true);
        return;
    }
    nc__dest_t *g[2] = { dests + n, dests + 2 * n };
    size_t nb[2] = { 0, 0 };
    group(c, addrs, n, g, nb);
    size_t nd = interleave(dests, g, nb);
    if (nd == 0) {
        /* Node: no valid address: fail on the first one. */
        free(dests);
        nc_lookup_address_t none = { .address = NULL, .family = 0 };
        check_address(c, n > 0 ? &addrs[0] : &none);
        nc__socket_destroy(s, true);
    } else if (nd == 1) {
        /* Node: "only one address found, switching back to single connection". */
        nc__connect_single(s, &dests[0]);
        free(dests);
    } else {
        nc__autoselect_start(c, dests, nd);
    }
}

static void answer(nc__conn_t *c, const nc_error_t *err, const nc_lookup_address_t *a, size_t n)
{
    nc_socket_t *s = c->s;
    if (err != NULL && err->code != 0) {
        nc_error_clear(&s->x->err);
        s->x->err = *err;
        s->x->err.errors = NULL;
        s->x->err.nerrors = 0;
        emit_lookup(c, &s->x->err, NULL, 0);
        if (linked(c)) {
            nc__socket_destroy(s, true);
        }
    } else if (c->req.all) {
        answer_all(c, a, n);
    } else {
        nc_lookup_address_t none = { .address = NULL, .family = 0 };
        answer_one(c, n > 0 ? &a[0] : &none);
    }
}

int nc_lookup_done(nc_lookup_req_t *req,
                   const nc_error_t *err,
                   const nc_lookup_address_t *addrs,
                   size_t n)
{
    if (req == NULL || (addrs == NULL && n > 0)) {
        return -EINVAL;
    }
    nc__conn_t *c = req->conn;
    nc__obj_t *obj = &c->s->obj;
    nc__obj_retain(obj);
    /* Node: "It's possible we were destroyed while looking this up": then nothing. */
    if (linked(c)) {
        answer(c, err, addrs, n);
    }
    nc__conn_release(c);
    nc__loop_drain(obj->lp);
    nc__obj_release(obj);
    return 0;
}

static void on_getaddrinfo(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    nc__conn_t *c = req->data;
    nc_lookup_address_t addrs[LOOKUP_MAX];
    char ips[LOOKUP_MAX][NC_ADDRSTRLEN];
    size_t n = 0;
    for (struct addrinfo *ai = res; ai != NULL && n < LOOKUP_MAX; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6) {
            uv_ip_name(ai->ai_addr, ips[n], sizeof(ips[n]));
            addrs[n] = (nc_lookup_address_t){ .address = ips[n],
                                              .family = ai->ai_family == AF_INET6 ? 6 : 4 };
            n++;
        }
    }
    uv_freeaddrinfo(res);
    nc_error_t err = { .port = -1 };
    if (status < 0 || n == 0) {
        nc__lookup_error(&err, status < 0 ? status : UV_EAI_NONAME, c->host);
    }
    nc_lookup_done(&c->req, err.code != 0 ? &err : NULL, addrs, n);
}
