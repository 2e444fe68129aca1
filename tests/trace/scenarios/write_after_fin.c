/* write_after_fin: a server that is not half-open writes in its 'end' listener: Node
 * has already ended the side for it, so the write fails with EPIPE ("This socket has
 * been ended by the other party") and the socket closes with an error. */
#include "trace.h"

static void written(nc_socket_t *s, int status, void *data)
{
    tr_log(data, s, "write callback %s", status < 0 ? nc_err_name(status) : "ok");
}

static void conn_ended(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    int r = nc_socket_write(s, "late", 4, written, data);
    tr_log(data, s, "write in 'end' returned %s", r == 1 ? "true" : "false");
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    nc_socket_on(s, NC_SOCKET_END, conn_ended, t);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    (void)t;
    nc_socket_end(c, NULL, 0);
}

TR_SCENARIO(write_after_fin)
{
    static const tr_pair_t p = { .on_connect = connected, .on_connection = accepted };
    tr_pair(t, &p);
}
