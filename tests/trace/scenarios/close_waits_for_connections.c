/* close_waits_for_connections: close() while a connection is open stops accepting at
 * once (listening false, address() null) but 'close' and the callback wait until the
 * connection has closed; the client ends it only after the server's close() call. */
#include "trace.h"

static void closed(nc_server_t *s, int status, void *data)
{
    tr_t *t = data;
    tr_log(t, s, "close callback %s, conn1 destroyed=%d", status < 0 ? nc_err_name(status) : "ok",
           nc_socket_destroyed(tr_object(t, "conn1")));
}

static void accepted(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_address_t a;
    nc_server_close(s, closed, t);
    tr_log(t, s, "close() called listening=%d address=%s", nc_server_listening(s),
           nc_server_address(s, &a) == 0 ? "set" : "null");
    nc_socket_end(tr_object(t, "client"), "bye", 3);
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    tr_connect(t, tr_socket(t, "client", NULL), s);
}

TR_SCENARIO(close_waits_for_connections)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
