/* listen_abstract: a server on a Linux abstract name ('\0name'); the client writes
 * "ping" and ends; the server reads to the end and ends in turn. */
#include "trace.h"

static void connected(tr_t *t, nc_socket_t *c)
{
    (void)t;
    nc_socket_end(c, "ping", 4);
}

TR_SCENARIO(listen_abstract)
{
    static const tr_pair_t p = { .path = "@abs", .on_connect = connected };
    tr_pair(t, &p);
}
