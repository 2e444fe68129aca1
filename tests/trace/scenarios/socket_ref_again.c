/* socket_ref_again: unref() then ref() on a client: it keeps the loop alive again and
 * its story runs to the end (the server ends the connection). */
#include "trace.h"

static void accepted(tr_t *t, nc_socket_t *s)
{
    (void)t;
    nc_socket_end(s, "bye", 3);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    (void)t;
    nc_socket_unref(c);
    nc_socket_ref(c);
}

TR_SCENARIO(socket_ref_again)
{
    static const tr_pair_t p = { .on_connect = connected, .on_connection = accepted };
    tr_pair(t, &p);
}
