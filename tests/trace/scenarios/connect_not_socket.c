/* connect_not_socket: connect() to a Unix path that is a regular file: 'error'
 * ECONNREFUSED naming the path, then close(hadError=true). */
#include "trace.h"

#include <stdio.h>

TR_SCENARIO(connect_not_socket)
{
    nc_socket_t *c = tr_socket(t, "client", NULL);
    size_t len;
    const char *path = tr_path(t, "file", &len);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        tr_fail(t, "cannot create %s", path);
        return;
    }
    fputs("x", f);
    fclose(f);
    nc_connect_options_t co = { .path = path, .path_len = len };
    nc_error_t err = { .port = -1 };
    tr_threw(t, c, "connect", nc_socket_connect(c, &co, &err), &err);
}
