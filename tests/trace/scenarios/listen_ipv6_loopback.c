/* listen_ipv6_loopback: a server on ::1 and a client that connects to it over IPv6; both
 * ends see IPv6 addresses, each the other's port. */
#include "trace.h"

static void show(tr_t *t, nc_socket_t *s)
{
    nc_address_t l, r;
    if (nc_socket_address(s, &l) == 0 && nc_socket_remote_address(s, &r) == 0) {
        tr_log(t, s, "local %s %s:%s remote %s %s:%s", l.family, l.address, tr_port(t, l.port),
               r.family, r.address, tr_port(t, r.port));
    }
}

static void connected(tr_t *t, nc_socket_t *c)
{
    show(t, c);
    nc_socket_end(c, NULL, 0);
}

TR_SCENARIO(listen_ipv6_loopback)
{
    static const tr_pair_t p = { .host = "::1", .on_connect = connected, .on_connection = show };
    tr_pair(t, &p);
}
