/* ready_state: readyState, pending, connecting, readable and writable through a client's
 * life: new, connecting, open, after end() (readOnly), at close. */
#include "trace.h"

static void show(tr_t *t, nc_socket_t *c, const char *when)
{
    tr_log(t, c, "%s: readyState=%s pending=%d connecting=%d readable=%d writable=%d", when,
           nc_socket_ready_state(c), nc_socket_pending(c), nc_socket_connecting(c),
           nc_socket_readable(c), nc_socket_writable(c));
}

static void on_close(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    show(data, c, "close");
}

static void on_finish(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    show(data, c, "finish");
}

static void on_connect(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    show(t, c, "connect");
    nc_socket_end(c, NULL, 0);
    show(t, c, "end()");
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    show(t, c, "new");
    nc_socket_on(c, NC_SOCKET_CONNECT, on_connect, t);
    nc_socket_on(c, NC_SOCKET_FINISH, on_finish, t);
    nc_socket_on(c, NC_SOCKET_CLOSE, on_close, t);
    tr_connect(t, c, s);
    show(t, c, "connect()");
}

static void accepted(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_server_close(s, NULL, NULL);
}

TR_SCENARIO(ready_state)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
