/* max_connections_drop: maxConnections 1; a second client is accepted by the kernel,
 * then dropped by the server ('drop' with both ends' addresses), and sees a plain end.
 * The first connection is served afterwards. */
#include "trace.h"

static void second_closed(nc_socket_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    tr_t *t = data;
    nc_socket_end(tr_object(t, "client1"), "one", 3);
}

static void accepted(nc_server_t *srv, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    /* Started only now, so that client1 is surely the accepted one. */
    nc_socket_t *c2 = tr_socket(t, "client2", NULL);
    nc_socket_on(c2, NC_SOCKET_CLOSE, second_closed, t);
    tr_connect(t, c2, srv);
}

static void dropped(nc_server_t *srv, const void *arg, void *data)
{
    (void)arg;
    tr_log(data, srv, "maxConnections=%d", nc_server_max_connections(srv));
    nc_server_close(srv, NULL, NULL);
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    tr_connect(t, tr_socket(t, "client1", NULL), s);
}

TR_SCENARIO(max_connections_drop)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_set_max_connections(s, 1);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    nc_server_on(s, NC_SERVER_DROP, dropped, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
