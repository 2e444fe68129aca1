/* listen_server_handle: server2.listen(server1): both listen on the same address; then
 * server1 closes. Node shares server1's handle, so server2.address() then throws EBADF;
 * libnetcore gives server2 its own duplicate of the listening fd, so server2 still
 * listens (address() as before). Both close on their own. */
#include "trace.h"

#include <stdio.h>

static void server1_closed(nc_server_t *s1, int status, void *data)
{
    (void)s1;
    (void)status;
    tr_t *t = data;
    nc_server_t *s2 = tr_object(t, "server2");
    nc_address_t a;
    int r = nc_server_address(s2, &a);
    tr_threw(t, s2, "address", r, NULL);
    if (r == 0) {
        tr_log(t, s2, "after server1 closed: listening=%d %s:%s %s", nc_server_listening(s2),
               a.address, tr_port(t, a.port), a.family);
    }
    nc_server_close(s2, NULL, NULL);
}

static void s2_listening(nc_server_t *s2, const void *arg, void *data)
{
    (void)s2;
    (void)arg;
    nc_server_close(tr_object(data, "server1"), server1_closed, data);
}

static void s1_listening(nc_server_t *s1, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_server_t *s2 = tr_object(t, "server2");
    nc_error_t err = { .port = -1 };
    tr_threw(t, s2, "listen", nc_server_listen_server(s2, s1, 0, &err), &err);
}

TR_SCENARIO(listen_server_handle)
{
    nc_server_t *s1 = tr_server(t, "server1", NULL);
    nc_server_t *s2 = tr_server(t, "server2", NULL);
    nc_server_on(s1, NC_SERVER_LISTENING, s1_listening, t);
    nc_server_on(s2, NC_SERVER_LISTENING, s2_listening, t);
    tr_listen(t, s1, "127.0.0.1", 0);
}
