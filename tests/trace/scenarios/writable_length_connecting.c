/* writable_length_connecting: writes made while connecting wait for the connection:
 * writableLength, bufferSize and bytesWritten count them at once; the server gets them
 * all once connected, then the end. */
#include "trace.h"

static void log_lengths(tr_t *t, nc_socket_t *c, const char *when)
{
    tr_log(t, c, "%s: connecting=%d writableLength=%zu bufferSize=%lld bytesWritten=%llu", when,
           nc_socket_connecting(c), nc_socket_writable_length(c),
           (long long)nc_socket_buffer_size(c), (unsigned long long)nc_socket_bytes_written(c));
}

static void written(nc_socket_t *c, int status, void *data)
{
    tr_log(data, c, "write callback %s", status < 0 ? nc_err_name(status) : "ok");
}

static void client_connected(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    log_lengths(data, c, "connect");
}

static void listening(nc_server_t *srv, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_socket_on(c, NC_SOCKET_CONNECT, client_connected, t);
    tr_connect(t, c, srv);
    int r = nc_socket_write(c, "abc", 3, written, t);
    tr_log(t, c, "write returned %d", r);
    log_lengths(t, c, "after write");
    nc_socket_end(c, "de", 2);
    log_lengths(t, c, "after end");
}

static void accepted(nc_server_t *srv, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_server_close(srv, NULL, NULL);
}

TR_SCENARIO(writable_length_connecting)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, accepted, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
