/* destroy_connect_pending: two writes made while connecting, and a 'connect' listener
 * (added before them) that destroys the socket: the writes' own 'connect' listener then
 * finds no handle, so both callbacks get ERR_SOCKET_CLOSED, before 'ready'; the server
 * reads nothing. */
#include "trace.h"

static void written(nc_socket_t *c, int status, void *data)
{
    tr_log(data, c, "write callback %s", status < 0 ? nc_err_name(status) : "ok");
}

static void client_connected(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    nc_socket_destroy(c, 0);
    tr_log(data, c, "destroyed writableLength=%zu", nc_socket_writable_length(c));
}

static void listening(nc_server_t *srv, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_socket_on(c, NC_SOCKET_CONNECT, client_connected, t);
    tr_connect(t, c, srv);
    nc_socket_write(c, "abc", 3, written, t);
    nc_socket_write(c, "def", 3, written, t);
}

static void accepted(nc_server_t *srv, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_server_close(srv, NULL, NULL);
}

TR_SCENARIO(destroy_connect_pending)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
