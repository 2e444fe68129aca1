/* connect_local_port_in_use: connect() with localAddress 127.0.0.1 and, as localPort,
 * the port a server listens on: the bind fails, 'error' EADDRINUSE with syscall bind,
 * the local address and port, then close(hadError=true). */
#include "trace.h"

static void client_closed(nc_socket_t *c, const void *arg, void *data)
{
    (void)c;
    (void)arg;
    nc_server_close(tr_object(data, "server"), NULL, NULL);
}

static void listening(nc_server_t *srv, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_address_t a;
    nc_server_address(srv, &a);
    nc_connect_options_t co = {
        .port = a.port, .host = "127.0.0.1", .local_address = "127.0.0.1", .local_port = a.port
    };
    nc_error_t err = { .port = -1 };
    tr_threw(t, c, "connect", nc_socket_connect(c, &co, &err), &err);
    nc_socket_on(c, NC_SOCKET_CLOSE, client_closed, t);
}

TR_SCENARIO(connect_local_port_in_use)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
