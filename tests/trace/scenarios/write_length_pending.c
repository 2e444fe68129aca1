/* write_length_pending: right after a 16 MiB write that the kernel cannot take at once:
 * writableLength and bufferSize count the whole chunk until it is done, bytesWritten
 * counts it already; the server reads all of it. */
#include "trace.h"

#include <stdlib.h>

#define BIG (16u << 20)

static void log_lengths(tr_t *t, nc_socket_t *c, const char *when)
{
    tr_log(t, c, "%s: writableLength=%zu bufferSize=%lld bytesWritten=%llu", when,
           nc_socket_writable_length(c), (long long)nc_socket_buffer_size(c),
           (unsigned long long)nc_socket_bytes_written(c));
}

static void written(nc_socket_t *c, int status, void *data)
{
    tr_log(data, c, "write callback %s", status < 0 ? nc_err_name(status) : "ok");
    log_lengths(data, c, "written");
}

static void connected(tr_t *t, nc_socket_t *c)
{
    char *big = calloc(1, BIG);
    if (big == NULL) {
        tr_fail(t, "out of memory");
        return;
    }
    int r = nc_socket_write(c, big, BIG, written, t);
    free(big);
    tr_log(t, c, "write returned %d", r);
    log_lengths(t, c, "pending");
    nc_socket_end(c, NULL, 0);
    log_lengths(t, c, "ended");
}

TR_SCENARIO(write_length_pending)
{
    static const tr_pair_t p = { .on_connect = connected };
    tr_pair(t, &p);
}
