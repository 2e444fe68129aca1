/* reset_while_connecting: resetAndDestroy() right after connect(): Node waits for the
 * connection (a once('connect') listener), so 'connect' and 'ready' are still emitted,
 * then the RST: close(hadError=false); the server side, reading, gets ECONNRESET. */
#include "trace.h"

static void listening(nc_server_t *srv, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    tr_connect(t, c, srv);
    tr_threw(t, c, "resetAndDestroy", nc_socket_reset_and_destroy(c), NULL);
    tr_log(t, c, "destroyed=%d connecting=%d", nc_socket_destroyed(c), nc_socket_connecting(c));
}

static void accepted(nc_server_t *srv, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_server_close(srv, NULL, NULL);
}

TR_SCENARIO(reset_while_connecting)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
