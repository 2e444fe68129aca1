/* destroy_with_error: destroy(err) in 'connect': 'ready' still follows (it was queued),
 * then 'error' with that error and close(hadError=true); the server sees a plain end. */
#include "trace.h"

#include <errno.h>

static void connected(tr_t *t, nc_socket_t *c)
{
    nc_socket_destroy(c, -EPIPE);
    tr_log(t, c, "destroyed=%d", nc_socket_destroyed(c));
}

TR_SCENARIO(destroy_with_error)
{
    static const tr_pair_t p = { .on_connect = connected };
    tr_pair(t, &p);
}
