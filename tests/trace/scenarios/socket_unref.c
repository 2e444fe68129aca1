/* socket_unref: once both ends of an idle connection are unref'd (and the server
 * closed), nothing keeps the loop alive: the run ends with both still open. */
#include "trace.h"

static void connected(tr_t *t, nc_socket_t *c)
{
    nc_socket_unref(c);
    tr_log(t, c, "unref() destroyed=%d", nc_socket_destroyed(c));
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    (void)t;
    nc_socket_unref(s);
}

TR_SCENARIO(socket_unref)
{
    static const tr_pair_t p = { .on_connect = connected, .on_connection = accepted };
    tr_pair(t, &p);
}
