/* connect_throw_connecting: what connecting says after connect() threw
 * ERR_SOCKET_BAD_PORT (Node sets the flag before it validates the port). */
#include "trace.h"

TR_SCENARIO(connect_throw_connecting)
{
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_error_t err = { .port = -1 };
    nc_connect_options_t co = { .port = 65536, .host = "127.0.0.1" };
    tr_threw(t, c, "connect(65536)", nc_socket_connect(c, &co, &err), &err);
    tr_log(t, c, "connecting=%d", nc_socket_connecting(c));
    nc_socket_destroy(c, 0);
}
