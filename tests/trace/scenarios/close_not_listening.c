/* close_not_listening: close(cb) on a server that never listened: 'close' is still
 * emitted (a later turn), and the callback receives ERR_SERVER_NOT_RUNNING. */
#include "trace.h"

static void closed(nc_server_t *s, int status, void *data)
{
    tr_log(data, s, "close callback %s", status < 0 ? nc_err_name(status) : "ok");
}

TR_SCENARIO(close_not_listening)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_close(s, closed, t);
    tr_log(t, s, "close() returned");
}
