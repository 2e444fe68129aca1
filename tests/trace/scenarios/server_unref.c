/* server_unref: an unref'd listening server does not keep the loop alive: 'listening'
 * still comes (it is already queued), then the run ends with the server listening. */
#include "trace.h"

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_log(data, s, "listening=%d", nc_server_listening(s));
}

TR_SCENARIO(server_unref)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    tr_listen_path(t, s, "s.sock");
    nc_server_unref(s);
}
