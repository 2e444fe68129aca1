/* max_connections_zero: maxConnections 0 is no limit in Node 20 (its check is a truthy
 * one): the client is served, not dropped; getConnections() after the server's 'close'
 * answers 0 with no error. */
#include "trace.h"

static void counted(nc_server_t *s, int status, int count, void *data)
{
    tr_log(data, s, "getConnections %s %d", status < 0 ? nc_err_name(status) : "null", count);
}

static void closed(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    nc_server_get_connections(s, counted, data);
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    tr_connect(t, tr_socket(t, "client", NULL), s);
}

static void accepted(nc_server_t *s, const void *arg, void *data)
{
    tr_t *t = data;
    tr_log(t, s, "maxConnections=%d", nc_server_max_connections(s));
    nc_server_close(s, NULL, NULL);
    nc_socket_end(((const nc_server_connection_t *)arg)->socket, "hi", 2);
}

static void dropped(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_server_close(s, NULL, NULL);
}

TR_SCENARIO(max_connections_zero)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_set_max_connections(s, 0);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    nc_server_on(s, NC_SERVER_DROP, dropped, t);
    nc_server_on(s, NC_SERVER_CLOSE, closed, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
