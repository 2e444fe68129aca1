/* connect_after_destroy: connect() on a socket destroyed before it ever connected. */
#include "trace.h"

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_socket_destroy(c, 0);
    tr_connect(t, c, s);
    tr_log(t, c, "destroyed=%d connecting=%d", nc_socket_destroyed(c), nc_socket_connecting(c));
    nc_socket_end(c, NULL, 0);
    nc_server_close(s, NULL, NULL);
}

TR_SCENARIO(connect_after_destroy)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    tr_listen_path(t, s, "s.sock");
}
