/* destroy_soon_connecting: write then destroySoon() while connecting: the side is ended
 * at once (writable false), the write goes out once connected, and the socket is
 * destroyed after 'finish'; the server reads it all. */
#include "trace.h"

static void listening(nc_server_t *srv, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    tr_connect(t, c, srv);
    nc_socket_write(c, "hello", 5, NULL, NULL);
    nc_socket_destroy_soon(c);
    tr_log(t, c, "writable=%d destroyed=%d readyState=%s", nc_socket_writable(c),
           nc_socket_destroyed(c), nc_socket_ready_state(c));
}

static void accepted(nc_server_t *srv, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_server_close(srv, NULL, NULL);
}

TR_SCENARIO(destroy_soon_connecting)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
