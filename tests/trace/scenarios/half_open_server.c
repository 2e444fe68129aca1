/* half_open_server: an allowHalfOpen server keeps its side open after the client's end,
 * answers "bye", then ends; the client (not half-open) reads it after its 'finish'. */
#include "trace.h"

static void conn_ended(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_log(data, s, "writable=%d readyState=%s", nc_socket_writable(s), nc_socket_ready_state(s));
    nc_socket_end(s, "bye", 3);
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    nc_socket_on(s, NC_SOCKET_END, conn_ended, t);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    (void)t;
    nc_socket_end(c, "hello", 5);
}

TR_SCENARIO(half_open_server)
{
    static const tr_pair_t p = { .server = { .allow_half_open = true },
                                 .on_connection = accepted,
                                 .on_connect = connected };
    tr_pair(t, &p);
}
