/* listen_unix_path: a server on a Unix path in the temp dir; the client sends "hello"
 * and ends; the path is gone once the server has closed. */
#include "trace.h"

#include <unistd.h>

static void connected(tr_t *t, nc_socket_t *c)
{
    (void)t;
    nc_socket_end(c, "hello", 5);
}

static void server_closed(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    const char *path = tr_path(t, "s.sock", NULL);
    tr_log(t, s, "path exists=%d", access(path, F_OK) == 0);
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    (void)s;
    nc_server_on(tr_object(t, "server"), NC_SERVER_CLOSE, server_closed, t);
}

TR_SCENARIO(listen_unix_path)
{
    static const tr_pair_t p = { .path = "s.sock",
                                 .on_connect = connected,
                                 .on_connection = accepted };
    tr_pair(t, &p);
}
