/* destroy_soon: write then destroySoon(): the write is flushed, the side ended, and the
 * socket destroyed once 'finish' has come; the server reads everything. */
#include "trace.h"

static void connected(tr_t *t, nc_socket_t *c)
{
    nc_socket_write(c, "abc", 3, NULL, NULL);
    nc_socket_destroy_soon(c);
    tr_log(t, c, "destroySoon() writable=%d destroyed=%d", nc_socket_writable(c),
           nc_socket_destroyed(c));
}

TR_SCENARIO(destroy_soon)
{
    static const tr_pair_t p = { .on_connect = connected };
    tr_pair(t, &p);
}
