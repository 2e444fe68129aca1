/* pause_before_connect: pause() before connecting holds the data back after the
 * connect too, until resume() (on the server's 'finish'). */
#include "trace.h"

static void conn_finished(nc_socket_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_object(t, "client");
    tr_log(t, c, "resume() bytesRead=%llu", (unsigned long long)nc_socket_bytes_read(c));
    nc_socket_resume(c);
}

static void accepted(nc_server_t *srv, const void *arg, void *data)
{
    tr_t *t = data;
    nc_socket_t *s = ((const nc_server_connection_t *)arg)->socket;
    nc_socket_on(s, NC_SOCKET_FINISH, conn_finished, t);
    nc_socket_end(s, "data", 4);
    nc_server_close(srv, NULL, NULL);
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_socket_pause(c);
    tr_connect(t, c, s);
}

TR_SCENARIO(pause_before_connect)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
