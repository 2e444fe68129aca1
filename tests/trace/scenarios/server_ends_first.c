/* server_ends_first: the server writes "bye" and ends at once; the client, not
 * half-open, reads it, sees 'end' and ends its side in turn. */
#include "trace.h"

static void accepted(tr_t *t, nc_socket_t *s)
{
    (void)t;
    nc_socket_end(s, "bye", 3);
}

TR_SCENARIO(server_ends_first)
{
    static const tr_pair_t p = { .on_connection = accepted };
    tr_pair(t, &p);
}
