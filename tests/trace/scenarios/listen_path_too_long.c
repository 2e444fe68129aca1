/* listen_path_too_long: a Unix path longer than sun_path is truncated to fit, as libuv
 * does for Node: the server listens (address() keeps the path as given) and a client
 * connecting to the same long path reaches it. How much is cut is
 * listen_path_cut_length's story. */
#include "trace.h"

#include <string.h>

static char name[101];

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_connect_options_t co = { 0 };
    co.path = tr_path(t, name, &co.path_len);
    nc_error_t err = { .port = -1 };
    tr_threw(t, c, "connect", nc_socket_connect(c, &co, &err), &err);
    nc_socket_end(c, NULL, 0);
}

static void accepted(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_server_close(s, NULL, NULL);
}

TR_SCENARIO(listen_path_too_long)
{
    memset(name, 'x', sizeof(name) - 1);
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    tr_listen_path(t, s, name);
}
