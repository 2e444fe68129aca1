/* reset_while_paused: the client pauses in 'connect' and writes 16 MiB; the server
 * side, which never reads (pauseOnConnect), resets the connection once both ends are
 * connected. Node's pause() stops only the flow: the read its 'data' listener asked for
 * before the connect starts at 'connect' all the same, so the reset shows on read. */
#include "trace.h"

#include <stdlib.h>

#define BIG (16u << 20)

static int ready;

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

static void accepted(tr_t *t, nc_socket_t *s)
{
    (void)s;
    maybe_reset(t);
}

static void connected(tr_t *t, nc_socket_t *c)
{
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

TR_SCENARIO(reset_while_paused)
{
    static const tr_pair_t p = { .server = { .pause_on_connect = true },
                                 .on_connection = accepted,
                                 .on_connect = connected };
    tr_pair(t, &p);
}
