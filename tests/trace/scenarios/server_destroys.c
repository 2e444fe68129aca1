/* server_destroys: the server destroys its connection at once (a FIN, no error); the
 * client sees 'end' and ends its side; destroyed and readyState follow. */
#include "trace.h"

static void accepted(tr_t *t, nc_socket_t *s)
{
    nc_socket_destroy(s, 0);
    tr_log(t, s, "destroyed=%d readyState=%s", nc_socket_destroyed(s), nc_socket_ready_state(s));
}

TR_SCENARIO(server_destroys)
{
    static const tr_pair_t p = { .on_connection = accepted };
    tr_pair(t, &p);
}
