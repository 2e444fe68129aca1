/* pause_in_data: the client pauses in its first 'data' ("abc" and the FIN are already
 * on their way): no 'end' comes while it is paused, however long; resume() (once the
 * server side's 'finish' says the FIN was sent) lets 'end' through. */
#include "trace.h"

static bool paused, finished;

static void maybe_resume(tr_t *t)
{
    if (!paused || !finished) {
        return;
    }
    nc_socket_t *c = tr_object(t, "client");
    tr_log(t, c, "resume() isPaused=%d", nc_socket_is_paused(c));
    nc_socket_resume(c);
}

static void conn_finished(nc_socket_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    finished = true;
    maybe_resume(data);
}

static void client_data(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    if (paused) {
        return;
    }
    paused = true;
    nc_socket_pause(c);
    tr_log(data, c, "pause() isPaused=%d", nc_socket_is_paused(c));
    maybe_resume(data);
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    nc_socket_on(s, NC_SOCKET_FINISH, conn_finished, t);
    nc_socket_end(s, "abc", 3);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    nc_socket_on(c, NC_SOCKET_DATA, client_data, t);
}

TR_SCENARIO(pause_in_data)
{
    static const tr_pair_t p = { .on_connection = accepted, .on_connect = connected };
    tr_pair(t, &p);
}
