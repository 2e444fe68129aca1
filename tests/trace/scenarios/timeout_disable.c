/* timeout_disable: in its first 'timeout' the client sets the timeout to 0 (off) and
 * asks the server to end; no second 'timeout' comes. */
#include "trace.h"

static void timed_out(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    nc_socket_set_timeout(c, 0);
    tr_log(data, c, "timeout=%llu", (unsigned long long)nc_socket_timeout(c));
    nc_socket_write(c, "go", 2, NULL, NULL);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    nc_socket_set_timeout(c, 20);
    nc_socket_on(c, NC_SOCKET_TIMEOUT, timed_out, t);
}

static void conn_data(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_socket_end(s, NULL, 0);
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    nc_socket_on(s, NC_SOCKET_DATA, conn_data, t);
}

TR_SCENARIO(timeout_disable)
{
    static const tr_pair_t p = { .on_connect = connected, .on_connection = accepted };
    tr_pair(t, &p);
}
