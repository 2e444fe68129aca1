/* close_after_close: close(cb) on a server whose 'close' has come already: the callback
 * gets ERR_SERVER_NOT_RUNNING, and 'close' is emitted a second time first, as Node's
 * _emitCloseIfDrained does for a server with no handle and no connections. */
#include "trace.h"

static void second_closed(nc_server_t *s, int status, void *data)
{
    tr_log(data, s, "second close callback %s", status < 0 ? nc_err_name(status) : "ok");
}

static void first_closed(nc_server_t *s, int status, void *data)
{
    tr_log(data, s, "first close callback %s listening=%d", status < 0 ? nc_err_name(status) : "ok",
           nc_server_listening(s));
    nc_server_close(s, second_closed, data);
    tr_log(data, s, "close() returned");
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    nc_server_close(s, first_closed, data);
}

TR_SCENARIO(close_after_close)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
