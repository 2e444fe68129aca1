/* epipe_unix_write: over a Unix socket the server side destroys its connection at once;
 * the client, half-open, sees 'end' and writes into the closed peer: the write fails
 * with EPIPE (its callback, then 'error' with syscall write), close(hadError=true). The
 * process gets no SIGPIPE, as Node ignores it. */
#include "trace.h"

static void written(nc_socket_t *c, int status, void *data)
{
    tr_log(data, c, "write callback %s", status < 0 ? nc_err_name(status) : "ok");
}

static void client_ended(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    int r = nc_socket_write(c, "late", 4, written, data);
    tr_log(data, c, "write returned %d destroyed=%d", r > 0, nc_socket_destroyed(c));
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    (void)t;
    nc_socket_destroy(s, 0);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    nc_socket_on(c, NC_SOCKET_END, client_ended, t);
}

TR_SCENARIO(epipe_unix_write)
{
    static const tr_pair_t p = { .client = { .allow_half_open = true },
                                 .path = "s.sock",
                                 .on_connection = accepted,
                                 .on_connect = connected };
    tr_pair(t, &p);
}
