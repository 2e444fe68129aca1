/* eaddrinuse_unix: a second server on a Unix path in use gets EADDRINUSE with the path
 * in its message; the first server's path still works afterwards. */
#include "trace.h"

static void second_failed(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    tr_connect(t, c, tr_object(t, "first"));
    nc_socket_end(c, NULL, 0);
}

static void first_listening(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    tr_t *t = data;
    nc_server_t *second = tr_server(t, "second", NULL);
    nc_server_on(second, NC_SERVER_ERROR, second_failed, t);
    tr_listen_path(t, second, "s.sock");
}

static void first_connection(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_server_close(s, NULL, NULL);
}

TR_SCENARIO(eaddrinuse_unix)
{
    nc_server_t *s = tr_server(t, "first", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, first_listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, first_connection, t);
    tr_listen_path(t, s, "s.sock");
}
