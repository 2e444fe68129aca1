/* server_ref_again: unref() then ref() before the loop runs: the server keeps the loop
 * alive again, until a client's connection makes it close. */
#include "trace.h"

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    tr_connect(t, c, s);
    nc_socket_end(c, NULL, 0);
}

static void accepted(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_server_close(s, NULL, NULL);
}

TR_SCENARIO(server_ref_again)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    nc_server_unref(s);
    tr_listen_path(t, s, "s.sock");
    nc_server_ref(s);
}
