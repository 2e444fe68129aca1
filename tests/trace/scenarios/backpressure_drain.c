/* backpressure_drain: the client writes 256 chunks of 64 KiB at once, more than the
 * kernel takes: some write returns false (writableLength at or over highWaterMark), the
 * last one surely does; one 'drain' comes once the server has read enough, with
 * writableLength 0; then the client ends. The server reads the 16 MiB to the end. */
#include "trace.h"

#include <stdlib.h>

#define CHUNK  65536
#define CHUNKS 256

static void drained(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    tr_log(data, c, "writableLength=%zu bufferSize=%lld", nc_socket_writable_length(c),
           (long long)nc_socket_buffer_size(c));
    nc_socket_end(c, NULL, 0);
}

static void client_closed(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    tr_log(data, c, "bytesWritten=%llu", (unsigned long long)nc_socket_bytes_written(c));
}

static void connected(tr_t *t, nc_socket_t *c)
{
    static char chunk[CHUNK];
    int any_false = 0, r = 1;
    for (int i = 0; i < CHUNKS; i++) {
        r = nc_socket_write(c, chunk, sizeof(chunk), NULL, NULL);
        any_false |= r == 0;
    }
    tr_log(t, c, "some write returned false=%d, the last returned %s, writableLength>=hwm=%d",
           any_false, r == 1 ? "true" : "false", nc_socket_writable_length(c) >= 16384);
    nc_socket_once(c, NC_SOCKET_DRAIN, drained, t);
    nc_socket_on(c, NC_SOCKET_CLOSE, client_closed, t);
}

static void conn_closed(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_log(data, s, "bytesRead=%llu", (unsigned long long)nc_socket_bytes_read(s));
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    nc_socket_on(s, NC_SOCKET_CLOSE, conn_closed, t);
}

TR_SCENARIO(backpressure_drain)
{
    static const tr_pair_t p = { .on_connect = connected, .on_connection = accepted };
    tr_pair(t, &p);
}
