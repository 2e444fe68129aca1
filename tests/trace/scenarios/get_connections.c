/* get_connections: getConnections() counts open connections at the call and answers on
 * a later turn: 1 after the first connection, 2 after the second, 0 once both closed. */
#include "trace.h"

static int closed_count;

static void counted(nc_server_t *s, int status, int count, void *data)
{
    tr_log(data, s, "getConnections %s %d", status < 0 ? nc_err_name(status) : "null", count);
}

static void conn_closed(nc_socket_t *c, const void *arg, void *data)
{
    (void)c;
    (void)arg;
    tr_t *t = data;
    if (++closed_count == 2) {
        nc_server_t *s = tr_object(t, "server");
        nc_server_get_connections(s, counted, t);
        nc_server_close(s, NULL, NULL);
    }
}

static void accepted(nc_server_t *s, const void *arg, void *data)
{
    tr_t *t = data;
    nc_socket_t *conn = ((const nc_server_connection_t *)arg)->socket;
    nc_socket_on(conn, NC_SOCKET_CLOSE, conn_closed, t);
    nc_server_get_connections(s, counted, t);
    if (tr_object(t, "client2") == NULL) {
        tr_connect(t, tr_socket(t, "client2", NULL), s);
    } else {
        nc_socket_end(tr_object(t, "client1"), NULL, 0);
        nc_socket_end(tr_object(t, "client2"), NULL, 0);
    }
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    tr_connect(t, tr_socket(t, "client1", NULL), s);
}

TR_SCENARIO(get_connections)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
