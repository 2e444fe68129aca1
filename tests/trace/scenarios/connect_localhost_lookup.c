/* connect_localhost_lookup: connect to the name "localhost" with family 4: 'lookup'
 * (null, 127.0.0.1, 4, localhost) comes before 'connect'. */
#include "trace.h"

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_address_t a;
    nc_server_address(s, &a);
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_error_t err = { .port = -1 };
    nc_connect_options_t co = { .port = a.port, .host = "localhost", .family = 4 };
    tr_threw(t, c, "connect", nc_socket_connect(c, &co, &err), &err);
    tr_log(t, c, "connecting=%d", nc_socket_connecting(c));
    nc_socket_end(c, NULL, 0);
}

static void accepted(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_server_close(s, NULL, NULL);
}

TR_SCENARIO(connect_localhost_lookup)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
