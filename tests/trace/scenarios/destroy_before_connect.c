/* destroy_before_connect: destroy() right after connect(): no 'connect', no 'error',
 * close(hadError=false). The server closes within the same turn, so it never accepts. */
#include "trace.h"

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    tr_connect(t, c, s);
    tr_log(t, c, "connecting=%d readyState=%s", nc_socket_connecting(c), nc_socket_ready_state(c));
    nc_socket_destroy(c, 0);
    tr_log(t, c, "destroyed=%d connecting=%d readyState=%s", nc_socket_destroyed(c),
           nc_socket_connecting(c), nc_socket_ready_state(c));
    nc_server_close(s, NULL, NULL);
}

TR_SCENARIO(destroy_before_connect)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
