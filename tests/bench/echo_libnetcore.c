/* echo_libnetcore.c: the libnetcore echo server of the echo benchmark
 * (tests/bench/echo.sh), written as a Node programmer would write it with node:net:
 * net.createServer(s => s.on('data', d => s.write(d))). Listens on 127.0.0.1:0 and
 * prints "port N". */
#include <stdlib.h>

#include "echo_common.h"
#include "netcore.h"

static void on_data(nc_socket_t *s, const void *arg, void *data)
{
    (void)data;
    const nc_socket_data_t *d = arg;
    nc_socket_write(s, d->base, d->len, NULL, NULL);
}

static void on_connection(nc_server_t *server, const void *arg, void *data)
{
    (void)server;
    (void)data;
    const nc_server_connection_t *c = arg;
    nc_socket_on(c->socket, NC_SOCKET_DATA, on_data, NULL);
}

static void on_listening(nc_server_t *server, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_address_t a;
    if (nc_server_address(server, &a) == 0) {
        printf("port %d\n", a.port);
        fflush(stdout);
    }
}

static void on_error(nc_server_t *server, const void *arg, void *data)
{
    (void)server;
    (void)data;
    const nc_error_t *err = arg;
    fprintf(stderr, "echo_libnetcore: %s\n", err->message);
    exit(111);
}

int main(void)
{
    uv_loop_t *loop = uv_default_loop();
    uv_signal_t sig;
    nc_server_t *server;
    nc_listen_options_t lo = { .host = "127.0.0.1", .port = 0 };
    echo_raise_nofile();
    echo_heap_report_init(loop, &sig);
    if (nc_server_new(loop, NULL, &server) < 0 ||
        nc_server_on(server, NC_SERVER_CONNECTION, on_connection, NULL) < 0 ||
        nc_server_on(server, NC_SERVER_LISTENING, on_listening, NULL) < 0 ||
        nc_server_on(server, NC_SERVER_ERROR, on_error, NULL) < 0 ||
        nc_server_listen(server, &lo, NULL) < 0) {
        fprintf(stderr, "echo_libnetcore: cannot listen\n");
        return 111;
    }
    return uv_run(loop, UV_RUN_DEFAULT);
}
