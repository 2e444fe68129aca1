/* reset_and_destroy: the client resets the connection (RST): it closes without error;
 * the server side, reading, gets 'error' ECONNRESET and close(hadError=true). */
#include "trace.h"

static void connected(tr_t *t, nc_socket_t *c)
{
    tr_threw(t, c, "resetAndDestroy", nc_socket_reset_and_destroy(c), NULL);
    tr_log(t, c, "destroyed=%d", nc_socket_destroyed(c));
}

TR_SCENARIO(reset_and_destroy)
{
    static const tr_pair_t p = { .on_connect = connected };
    tr_pair(t, &p);
}
