/* write_unconnected: write() on a socket that never connected: false, then the callback
 * and 'error' with ERR_SOCKET_CLOSED, and close(hadError=false), as Node 20 does. */
#include "trace.h"

static void written(nc_socket_t *s, int status, void *data)
{
    tr_log(data, s, "write callback %s", status < 0 ? nc_err_name(status) : "ok");
}

TR_SCENARIO(write_unconnected)
{
    nc_socket_t *c = tr_socket(t, "client", NULL);
    tr_log(t, c, "readyState=%s pending=%d", nc_socket_ready_state(c), nc_socket_pending(c));
    int r = nc_socket_write(c, "x", 1, written, t);
    tr_log(t, c, "write returned %s", r == 1 ? "true" : "false");
}
