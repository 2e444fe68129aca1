/* end_basic: the client writes "hello" and ends; the server, not half-open, reads to the
 * end, ends its side in turn, and both close without error. */
#include "trace.h"

static void client_connected(tr_t *t, nc_socket_t *client)
{
    (void)t;
    nc_socket_end(client, "hello", 5);
}

TR_SCENARIO(end_basic)
{
    static const tr_pair_t p = { .on_connect = client_connected };
    tr_pair(t, &p);
}
