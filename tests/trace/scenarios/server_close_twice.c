/* server_close_twice: a second close(cb) while the first is pending: both callbacks come
 * after 'close', the second with ERR_SERVER_NOT_RUNNING. */
#include "trace.h"

static void closed(nc_server_t *s, int status, void *data)
{
    tr_log(data, s, "close callback %s", status < 0 ? nc_err_name(status) : "ok");
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    nc_server_close(s, closed, data);
    nc_server_close(s, closed, data);
}

TR_SCENARIO(server_close_twice)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    tr_listen_path(t, s, "s.sock");
}
