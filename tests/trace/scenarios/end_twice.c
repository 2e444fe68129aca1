/* end_twice: a second end() (with or without data) changes nothing: one 'finish', the
 * server reads only the first end's bytes. */
#include "trace.h"

static void connected(tr_t *t, nc_socket_t *c)
{
    tr_threw(t, c, "end", nc_socket_end(c, "one", 3), NULL);
    tr_threw(t, c, "end", nc_socket_end(c, NULL, 0), NULL);
    tr_log(t, c, "writable=%d", nc_socket_writable(c));
}

TR_SCENARIO(end_twice)
{
    static const tr_pair_t p = { .on_connect = connected };
    tr_pair(t, &p);
}
