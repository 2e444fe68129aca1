/* reset_on_pipe: resetAndDestroy() on a Unix socket throws ERR_INVALID_HANDLE_TYPE and
 * leaves the socket open; it then ends normally. */
#include "trace.h"

static void connected(tr_t *t, nc_socket_t *c)
{
    tr_threw(t, c, "resetAndDestroy", nc_socket_reset_and_destroy(c), NULL);
    tr_log(t, c, "destroyed=%d", nc_socket_destroyed(c));
    nc_socket_end(c, NULL, 0);
}

TR_SCENARIO(reset_on_pipe)
{
    static const tr_pair_t p = { .path = "s.sock", .on_connect = connected };
    tr_pair(t, &p);
}
