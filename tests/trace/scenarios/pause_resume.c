/* pause_resume: a paused client reads nothing of the server's "abc" and end until
 * resume(), which the server's 'finish' triggers; then 'data' and 'end' come. */
#include "trace.h"

static void conn_finished(nc_socket_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_object(t, "client");
    tr_log(t, c, "resume() bytesRead=%llu", (unsigned long long)nc_socket_bytes_read(c));
    nc_socket_resume(c);
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    nc_socket_on(s, NC_SOCKET_FINISH, conn_finished, t);
    nc_socket_end(s, "abc", 3);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    (void)t;
    nc_socket_pause(c);
}

TR_SCENARIO(pause_resume)
{
    static const tr_pair_t p = { .on_connection = accepted, .on_connect = connected };
    tr_pair(t, &p);
}
