/* timeout_idle: setTimeout(30) on an idle client: one 'timeout', which closes nothing
 * (the socket is still open in it); the client then ends, and timeout stays 30. */
#include "trace.h"

static void timed_out(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    tr_log(data, c, "destroyed=%d readyState=%s timeout=%llu", nc_socket_destroyed(c),
           nc_socket_ready_state(c), (unsigned long long)nc_socket_timeout(c));
    nc_socket_end(c, NULL, 0);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    nc_socket_set_timeout(c, 30);
    tr_log(t, c, "timeout=%llu", (unsigned long long)nc_socket_timeout(c));
    nc_socket_on(c, NC_SOCKET_TIMEOUT, timed_out, t);
}

TR_SCENARIO(timeout_idle)
{
    static const tr_pair_t p = { .on_connect = connected };
    tr_pair(t, &p);
}
