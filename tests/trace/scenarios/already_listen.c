/* already_listen: listen() on a server that is listening throws
 * ERR_SERVER_ALREADY_LISTEN and changes nothing; after close() it may listen again. */
#include "trace.h"

static int rounds;

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    tr_listen(t, s, NULL, 0);
    nc_server_close(s, NULL, NULL);
    if (++rounds == 1) {
        tr_listen_path(t, s, "again.sock");
    }
}

TR_SCENARIO(already_listen)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    tr_listen_path(t, s, "s.sock");
    tr_listen_path(t, s, "other.sock");
}
