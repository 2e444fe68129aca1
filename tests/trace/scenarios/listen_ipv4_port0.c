/* listen_ipv4_port0: listen on 127.0.0.1 port 0; 'listening' comes on a later turn
 * (listening right after the call is listen_host_deferred's story), the address has the kernel's
 * port, and close(cb) ends it: 'close', then the callback without error. */
#include "trace.h"

static void closed(nc_server_t *s, int status, void *data)
{
    tr_log(data, s, "close callback %s listening=%d", status < 0 ? nc_err_name(status) : "ok",
           nc_server_listening(s));
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    nc_server_close(s, closed, data);
    tr_log(data, s, "close() called listening=%d", nc_server_listening(s));
}

TR_SCENARIO(listen_ipv4_port0)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
