/* bytes_counters: bytesWritten counts what write() was given, bytesRead what 'data'
 * delivered: the client writes 5 + 6 bytes, the server answers 3 and ends. */
#include "trace.h"

static void show(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_log(data, s, "bytesRead=%llu bytesWritten=%llu", (unsigned long long)nc_socket_bytes_read(s),
           (unsigned long long)nc_socket_bytes_written(s));
}

static void conn_ended(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_socket_end(s, "abc", 3);
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    nc_socket_on(s, NC_SOCKET_END, conn_ended, t);
    nc_socket_on(s, NC_SOCKET_CLOSE, show, t);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    nc_socket_write(c, "hello", 5, NULL, NULL);
    nc_socket_write(c, " world", 6, NULL, NULL);
    show(c, NULL, t);
    nc_socket_end(c, NULL, 0);
    nc_socket_on(c, NC_SOCKET_CLOSE, show, t);
}

TR_SCENARIO(bytes_counters)
{
    static const tr_pair_t p = { .server = { .allow_half_open = true },
                                 .client = { .allow_half_open = true },
                                 .on_connection = accepted,
                                 .on_connect = connected };
    tr_pair(t, &p);
}
