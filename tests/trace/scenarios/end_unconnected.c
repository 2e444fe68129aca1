/* end_unconnected: end() on a socket that never connected: Node waits for a connect
 * that never comes, so nothing is emitted; destroy() then closes it quietly. */
#include "trace.h"

TR_SCENARIO(end_unconnected)
{
    nc_socket_t *c = tr_socket(t, "client", NULL);
    tr_threw(t, c, "end", nc_socket_end(c, NULL, 0), NULL);
    tr_log(t, c, "writable=%d readyState=%s", nc_socket_writable(c), nc_socket_ready_state(c));
    nc_socket_destroy(c, 0);
}
