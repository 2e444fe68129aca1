/* destroy_error_in_data: the server side destroys its connection with an error from
 * inside its 'data' listener, once the client's "hello" is in: 'error' with that error,
 * then close(hadError=true); no 'end' after it. The client sees a plain end. */
#include "trace.h"

#include <errno.h>

static void conn_data(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    if (nc_socket_bytes_read(s) < 5) {
        return;
    }
    nc_socket_destroy(s, -ECONNABORTED);
    tr_log(data, s, "destroyed=%d readyState=%s", nc_socket_destroyed(s), nc_socket_ready_state(s));
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    nc_socket_on(s, NC_SOCKET_DATA, conn_data, t);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    (void)t;
    nc_socket_write(c, "hello", 5, NULL, NULL);
}

TR_SCENARIO(destroy_error_in_data)
{
    static const tr_pair_t p = { .on_connection = accepted, .on_connect = connected };
    tr_pair(t, &p);
}
