/* listen_host_deferred: what listening and address() say right after listen() returns:
 * with a host, Node binds only after its dns.lookup of the literal (a later turn); with
 * no host or a path it binds within the call. */
#include "trace.h"

static void show(tr_t *t, nc_server_t *s)
{
    nc_address_t a;
    tr_log(t, s, "after listen(): listening=%d address=%s", nc_server_listening(s),
           nc_server_address(s, &a) == 0 ? "set" : "null");
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    nc_server_close(s, NULL, NULL);
    (void)data;
}

TR_SCENARIO(listen_host_deferred)
{
    nc_server_t *a = tr_server(t, "a_host", NULL);
    nc_server_t *b = tr_server(t, "b_no_host", NULL);
    nc_server_t *c = tr_server(t, "c_path", NULL);
    nc_server_on(a, NC_SERVER_LISTENING, listening, t);
    nc_server_on(b, NC_SERVER_LISTENING, listening, t);
    nc_server_on(c, NC_SERVER_LISTENING, listening, t);
    tr_listen(t, a, "127.0.0.1", 0);
    show(t, a);
    tr_listen(t, b, NULL, 0);
    show(t, b);
    tr_listen_path(t, c, "c.sock");
    show(t, c);
}
