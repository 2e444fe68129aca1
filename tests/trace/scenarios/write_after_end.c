/* write_after_end: write() after end() returns false, its callback and 'error' get
 * ERR_STREAM_WRITE_AFTER_END, and the socket closes with hadError=true. */
#include "trace.h"

static void written(nc_socket_t *s, int status, void *data)
{
    tr_log(data, s, "write callback %s", status < 0 ? nc_err_name(status) : "ok");
}

static void connected(tr_t *t, nc_socket_t *c)
{
    nc_socket_end(c, NULL, 0);
    int r = nc_socket_write(c, "x", 1, written, t);
    tr_log(t, c, "write returned %s", r == 1 ? "true" : "false");
}

TR_SCENARIO(write_after_end)
{
    static const tr_pair_t p = { .on_connect = connected };
    tr_pair(t, &p);
}
