/* half_open_client: an allowHalfOpen client stays writable after the server's end
 * ("writeOnly"), writes "late" and ends; the server reads it after its own 'finish'. */
#include "trace.h"

static void client_ended(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_log(data, s, "writable=%d readyState=%s", nc_socket_writable(s), nc_socket_ready_state(s));
    nc_socket_end(s, "late", 4);
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    (void)t;
    nc_socket_end(s, "bye", 3);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    nc_socket_on(c, NC_SOCKET_END, client_ended, t);
}

TR_SCENARIO(half_open_client)
{
    static const tr_pair_t p = { .client = { .allow_half_open = true },
                                 .on_connection = accepted,
                                 .on_connect = connected };
    tr_pair(t, &p);
}
