/* half_open_unix: allowHalfOpen over a Unix socket: the server answers after the
 * client's end, as over TCP. */
#include "trace.h"

static void conn_ended(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_socket_end(s, "answer", 6);
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    nc_socket_on(s, NC_SOCKET_END, conn_ended, t);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    (void)t;
    nc_socket_end(c, "question", 8);
}

TR_SCENARIO(half_open_unix)
{
    static const tr_pair_t p = { .server = { .allow_half_open = true },
                                 .path = "s.sock",
                                 .on_connection = accepted,
                                 .on_connect = connected };
    tr_pair(t, &p);
}
