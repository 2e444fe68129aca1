/* destroy_during_lookup: destroy() while "localhost" is being resolved: the socket
 * closes without error and nothing else is emitted. */
#include "trace.h"

TR_SCENARIO(destroy_during_lookup)
{
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_error_t err = { .port = -1 };
    nc_connect_options_t co = { .port = 9, .host = "localhost", .family = 4 };
    tr_threw(t, c, "connect", nc_socket_connect(c, &co, &err), &err);
    nc_socket_destroy(c, 0);
}
