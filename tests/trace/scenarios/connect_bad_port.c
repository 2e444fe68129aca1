/* connect_bad_port: connect() with a port outside 1..65535 throws ERR_SOCKET_BAD_PORT
 * and leaves the socket usable: a later good connect works. connecting after the throw
 * is connect_throw_connecting's story. */
#include "trace.h"

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_error_t err = { .port = -1 };
    nc_connect_options_t co = { .port = 65536, .host = "127.0.0.1" };
    tr_threw(t, c, "connect(65536)", nc_socket_connect(c, &co, &err), &err);
    tr_log(t, c, "destroyed=%d", nc_socket_destroyed(c));
    tr_connect(t, c, s);
    nc_socket_end(c, NULL, 0);
}

static void accepted(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_server_close(s, NULL, NULL);
}

TR_SCENARIO(connect_bad_port)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
