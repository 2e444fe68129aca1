/* timeout_server_destroys: the server side sets an idle timeout and destroys its
 * connection in 'timeout'; the client, idle, sees the end. */
#include "trace.h"

static void timed_out(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_socket_destroy(s, 0);
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    nc_socket_set_timeout(s, 20);
    nc_socket_on(s, NC_SOCKET_TIMEOUT, timed_out, t);
}

TR_SCENARIO(timeout_server_destroys)
{
    static const tr_pair_t p = { .on_connection = accepted };
    tr_pair(t, &p);
}
