/* address_after_close: what address() and remoteAddress/remotePort/remoteFamily say
 * once the client has closed: Node keeps what it read while connected (the tracer reads
 * the local port at 'connect', the scenario the remote end), so both stay as they were. */
#include "trace.h"

#include <stdio.h>

static void log_addresses(tr_t *t, nc_socket_t *c, const char *when)
{
    nc_address_t a;
    char local[256] = "{}", remote[256] = "undefined";
    if (nc_socket_address(c, &a) == 0) {
        snprintf(local, sizeof(local), "%s:%s %s", a.address, tr_port(t, a.port), a.family);
    }
    if (nc_socket_remote_address(c, &a) == 0) {
        snprintf(remote, sizeof(remote), "%s:%s %s", a.address, tr_port(t, a.port), a.family);
    }
    tr_log(t, c, "%s: address=%s remote=%s", when, local, remote);
}

static void client_closed(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    log_addresses(data, c, "closed");
}

static void connected(tr_t *t, nc_socket_t *c)
{
    log_addresses(t, c, "connected");
    nc_socket_on(c, NC_SOCKET_CLOSE, client_closed, t);
    nc_socket_end(c, NULL, 0);
}

TR_SCENARIO(address_after_close)
{
    static const tr_pair_t p = { .on_connect = connected };
    tr_pair(t, &p);
}
