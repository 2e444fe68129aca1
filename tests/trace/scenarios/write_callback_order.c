/* write_callback_order: write callbacks come in order, before 'finish'; a write on a
 * connected socket returns true below highWaterMark. */
#include "trace.h"

static void written(nc_socket_t *s, int status, void *data)
{
    static int n;
    tr_log(data, s, "write %d callback %s", ++n, status < 0 ? nc_err_name(status) : "ok");
}

static void connected(tr_t *t, nc_socket_t *c)
{
    int a = nc_socket_write(c, "one", 3, written, t);
    int b = nc_socket_write(c, "two", 3, written, t);
    tr_log(t, c, "write returned %s %s", a == 1 ? "true" : "false", b == 1 ? "true" : "false");
    nc_socket_end(c, NULL, 0);
}

TR_SCENARIO(write_callback_order)
{
    static const tr_pair_t p = { .on_connect = connected };
    tr_pair(t, &p);
}
