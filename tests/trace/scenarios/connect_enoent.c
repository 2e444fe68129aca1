/* connect_enoent: a connect to a Unix path that does not exist fails with 'error'
 * ENOENT naming the path, then close(hadError=true). */
#include "trace.h"

TR_SCENARIO(connect_enoent)
{
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_connect_options_t co = { 0 };
    co.path = tr_path(t, "missing.sock", &co.path_len);
    nc_error_t err = { .port = -1 };
    tr_threw(t, c, "connect", nc_socket_connect(c, &co, &err), &err);
}
