/* listen_default_host: listen with no host takes '::' (dual stack); an IPv4 client
 * reaches it and the server side sees the client as an IPv4-mapped IPv6 address. */
#include "trace.h"

static void accepted(nc_server_t *srv, const void *arg, void *data)
{
    tr_t *t = data;
    nc_socket_t *s = ((const nc_server_connection_t *)arg)->socket;
    nc_address_t r;
    if (nc_socket_remote_address(s, &r) == 0) {
        tr_log(t, s, "remote %s %s", r.family, r.address);
    }
    nc_socket_end(s, NULL, 0);
    nc_server_close(srv, NULL, NULL);
}

static void listening(nc_server_t *srv, const void *arg, void *data)
{
    (void)arg;
    nc_address_t a;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_error_t err = { .port = -1 };
    if (nc_server_address(srv, &a) == 0) {
        nc_connect_options_t co = { .port = a.port, .host = "127.0.0.1" };
        tr_threw(t, c, "connect", nc_socket_connect(c, &co, &err), &err);
    }
}

TR_SCENARIO(listen_default_host)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    tr_listen(t, s, NULL, 0);
}
