/* write_destroyed: a write queued behind 16 MiB is cut short by destroy(): its callback
 * gets an error; a write after destroy() returns false and reports
 * ERR_STREAM_DESTROYED to its callback, never as 'error'. */
#include "trace.h"

static void written(nc_socket_t *s, int status, void *data)
{
    tr_log(data, s, "write callback %s", status < 0 ? nc_err_name(status) : "ok");
}

static void connected(tr_t *t, nc_socket_t *c)
{
    static char big[16 << 20];
    nc_socket_write(c, big, sizeof(big), written, t);
    nc_socket_destroy(c, 0);
    int r = nc_socket_write(c, "x", 1, written, t);
    tr_log(t, c, "write after destroy returned %s", r == 1 ? "true" : "false");
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    (void)t;
    /* Reading nothing keeps the client's queue from draining before destroy(). */
    nc_socket_pause(s);
}

TR_SCENARIO(write_destroyed)
{
    static const tr_pair_t p = { .on_connect = connected, .on_connection = accepted };
    tr_pair(t, &p);
}
