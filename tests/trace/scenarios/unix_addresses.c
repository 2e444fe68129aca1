/* unix_addresses: over a Unix socket, a connected socket's address() is {} and its
 * remoteAddress undefined, on both ends (Node's pipe handle has neither getsockname nor
 * getpeername); the server's address() is the path. */
#include "trace.h"

#include <stdio.h>

static void log_addresses(tr_t *t, nc_socket_t *s)
{
    nc_address_t a;
    char local[256] = "{}", remote[256] = "undefined";
    if (nc_socket_address(s, &a) == 0) {
        snprintf(local, sizeof(local), "%.*s %s", (int)a.address_len, a.address,
                 a.family != NULL ? a.family : "undefined");
    }
    if (nc_socket_remote_address(s, &a) == 0) {
        snprintf(remote, sizeof(remote), "%.*s %s", (int)a.address_len, a.address,
                 a.family != NULL ? a.family : "undefined");
    }
    tr_log(t, s, "address=%s remote=%s", local, remote);
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    log_addresses(t, s);
    nc_socket_end(s, NULL, 0);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    log_addresses(t, c);
}

TR_SCENARIO(unix_addresses)
{
    static const tr_pair_t p = { .path = "s.sock",
                                 .on_connection = accepted,
                                 .on_connect = connected };
    tr_pair(t, &p);
}
