/* listen_unix_again: a server on a Unix path closes (the path is unlinked) and, in its
 * close callback, listens on the same path again: 'listening' a second time, then a
 * client is served. */
#include "trace.h"

static int rounds;

static void closed(nc_server_t *s, int status, void *data)
{
    (void)status;
    tr_listen_path(data, s, "s.sock");
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    if (++rounds == 1) {
        nc_server_close(s, closed, t);
        return;
    }
    tr_connect(t, tr_socket(t, "client", NULL), s);
}

static void accepted(nc_server_t *s, const void *arg, void *data)
{
    (void)data;
    nc_server_close(s, NULL, NULL);
    nc_socket_end(((const nc_server_connection_t *)arg)->socket, "hi", 2);
}

TR_SCENARIO(listen_unix_again)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    tr_listen_path(t, s, "s.sock");
}
