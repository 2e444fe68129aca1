/* reset_while_writing: the client (onread, so that pause() stops the reading itself, as
 * in Node) pauses in 'ready' and writes 16 MiB; the server side, which never reads
 * (pauseOnConnect), resets the connection once both ends are connected. The queued
 * write fails with ECONNRESET, syscall write: its callback, 'error', close(true). */
#include "trace.h"

#include <stdlib.h>

#define BIG (16u << 20)

static int ready;
static char buf[64];

static void maybe_reset(tr_t *t)
{
    if (++ready == 2) {
        nc_socket_reset_and_destroy(tr_object(t, "conn1"));
    }
}

static void written(nc_socket_t *c, int status, void *data)
{
    tr_log(data, c, "write callback %s", status < 0 ? nc_err_name(status) : "ok");
}

static bool on_read(nc_socket_t *c, size_t nread, void *b, void *data)
{
    (void)b;
    tr_log(data, c, "onread %zu", nread);
    return true;
}

static void client_ready(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_socket_pause(c);
    char *big = calloc(1, BIG);
    if (big == NULL) {
        tr_fail(t, "out of memory");
        return;
    }
    nc_socket_write(c, big, BIG, written, t);
    free(big);
    maybe_reset(t);
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    (void)s;
    maybe_reset(t);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    nc_socket_on(c, NC_SOCKET_READY, client_ready, t);
}

TR_SCENARIO(reset_while_writing)
{
    static tr_pair_t p = { .server = { .pause_on_connect = true },
                           .on_connection = accepted,
                           .on_connect = connected };
    p.client.onread_buffer = buf;
    p.client.onread_len = sizeof(buf);
    p.client.onread = on_read;
    p.client.onread_data = t;
    tr_pair(t, &p);
}
