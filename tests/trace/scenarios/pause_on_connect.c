/* pause_on_connect: a pauseOnConnect server's connection reads nothing, even with a
 * 'data' listener, until resume(): the client's bytes wait in the kernel meanwhile. */
#include "trace.h"

static void client_finished(nc_socket_t *c, const void *arg, void *data)
{
    (void)c;
    (void)arg;
    tr_t *t = data;
    nc_socket_t *conn = tr_object(t, "conn1");
    tr_log(t, conn, "resume() bytesRead=%llu", (unsigned long long)nc_socket_bytes_read(conn));
    nc_socket_resume(conn);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    nc_socket_on(c, NC_SOCKET_FINISH, client_finished, t);
    nc_socket_end(c, "hello", 5);
}

TR_SCENARIO(pause_on_connect)
{
    static const tr_pair_t p = { .server = { .pause_on_connect = true }, .on_connect = connected };
    tr_pair(t, &p);
}
