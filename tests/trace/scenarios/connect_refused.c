/* connect_refused: a connect to a port nobody listens on (a closed server's) fails with
 * 'error' ECONNREFUSED, Node's message and fields, then close(hadError=true). */
#include "trace.h"

static int port;

static void server_closed(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_connect_options_t co = { .port = port, .host = "127.0.0.1" };
    nc_error_t err = { .port = -1 };
    tr_threw(t, c, "connect", nc_socket_connect(c, &co, &err), &err);
    tr_log(t, c, "connecting=%d pending=%d readyState=%s", nc_socket_connecting(c),
           nc_socket_pending(c), nc_socket_ready_state(c));
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_address_t a;
    nc_server_address(s, &a);
    port = a.port;
    nc_server_close(s, NULL, NULL);
}

TR_SCENARIO(connect_refused)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CLOSE, server_closed, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
