/* write_empty: a zero-length write on a connected socket returns true and calls its
 * callback; nothing reaches the server, which sees only the end. */
#include "trace.h"

static void written(nc_socket_t *s, int status, void *data)
{
    tr_log(data, s, "write callback %s", status < 0 ? nc_err_name(status) : "ok");
}

static void connected(tr_t *t, nc_socket_t *c)
{
    int r = nc_socket_write(c, "", 0, written, t);
    tr_log(t, c, "write returned %s", r == 1 ? "true" : "false");
    nc_socket_end(c, NULL, 0);
}

TR_SCENARIO(write_empty)
{
    static const tr_pair_t p = { .on_connect = connected };
    tr_pair(t, &p);
}
