/* connect_port_zero: port 0 is a valid argument to connect() (Node validates it with
 * zero allowed); the kernel refuses it: ECONNREFUSED, without a port in the error. */
#include "trace.h"

TR_SCENARIO(connect_port_zero)
{
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_error_t err = { .port = -1 };
    nc_connect_options_t co = { .port = 0, .host = "127.0.0.1" };
    tr_threw(t, c, "connect", nc_socket_connect(c, &co, &err), &err);
}
