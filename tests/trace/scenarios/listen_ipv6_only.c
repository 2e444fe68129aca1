/* listen_ipv6_only: a server on '::' with ipv6Only takes no IPv4 client: 127.0.0.1 on
 * its port is refused, ::1 is served. */
#include "trace.h"

static int port;

static void refused(nc_socket_t *c, const void *arg, void *data)
{
    (void)c;
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c6 = tr_socket(t, "client6", NULL);
    nc_error_t err = { .port = -1 };
    nc_connect_options_t co = { .port = port, .host = "::1" };
    tr_threw(t, c6, "connect", nc_socket_connect(c6, &co, &err), &err);
    nc_socket_end(c6, NULL, 0);
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_address_t a;
    nc_server_address(s, &a);
    port = a.port;
    nc_socket_t *c4 = tr_socket(t, "client4", NULL);
    nc_socket_on(c4, NC_SOCKET_CLOSE, refused, t);
    nc_error_t err = { .port = -1 };
    nc_connect_options_t co = { .port = port, .host = "127.0.0.1" };
    tr_threw(t, c4, "connect", nc_socket_connect(c4, &co, &err), &err);
}

static void accepted(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_server_close(s, NULL, NULL);
}

TR_SCENARIO(listen_ipv6_only)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    nc_error_t err = { .port = -1 };
    nc_listen_options_t lo = { .host = "::", .ipv6_only = true };
    tr_threw(t, s, "listen", nc_server_listen(s, &lo, &err), &err);
}
