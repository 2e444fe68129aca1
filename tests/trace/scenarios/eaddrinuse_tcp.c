/* eaddrinuse_tcp: a second server on the first one's port gets 'error' EADDRINUSE (never
 * inside listen()), no 'close'; it may listen again, and does, on port 0. */
#include "trace.h"

static void second_failed(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_log(data, s, "listening=%d", nc_server_listening(s));
    tr_listen(data, s, "127.0.0.1", 0);
}

static void close_both(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    nc_server_close(s, NULL, NULL);
    nc_server_close(tr_object(data, "first"), NULL, NULL);
}

static void first_listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_address_t a;
    nc_server_address(s, &a);
    nc_server_t *second = tr_server(t, "second", NULL);
    nc_server_once(second, NC_SERVER_ERROR, second_failed, t);
    nc_server_once(second, NC_SERVER_LISTENING, close_both, t);
    tr_listen(t, second, "127.0.0.1", a.port);
    tr_log(t, second, "listen() returned");
}

TR_SCENARIO(eaddrinuse_tcp)
{
    nc_server_t *s = tr_server(t, "first", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, first_listening, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
