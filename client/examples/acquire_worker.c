/* acquire_worker: takes a broker-owned listener and serves it with libnetcore, the way a
 * Node cluster worker serves the handle its primary gave it.
 *
 *   acquire_worker SERVER [COUNT]
 *
 * Asks netbrokerd (at $NETBROKER_SOCKET or the default path) for a dup of SERVER's
 * listening fd, listens on it with nc_server_listen_fd (Node: server.listen({fd})),
 * answers each connection with one line, and exits after COUNT connections (default 1). */
#include <netbroker.h>
#include <netcore.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    int left;
    char greeting[64];
} worker_t;

static void on_connection(nc_server_t *server, const void *arg, void *data)
{
    const nc_server_connection_t *conn = arg;
    worker_t *w = data;
    nc_socket_end(conn->socket, w->greeting, strlen(w->greeting));
    /* Read (and drop) what the peer sends, so that its end is seen and the socket closes:
     * as in Node, a socket nobody reads from never sees 'end'. */
    nc_socket_resume(conn->socket);
    if (--w->left == 0) {
        nc_server_close(server, NULL, NULL);
    }
}

int main(int argc, char **argv)
{
    nb_client_t *client;
    nb_client_error_t err;
    nc_server_t *server;
    nc_error_t nerr;
    worker_t w = { .left = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 1 };
    int fd;

    if (argc < 2 || w.left < 1) {
        fprintf(stderr, "usage: acquire_worker SERVER [COUNT]\n");
        return 100;
    }
    if (nb_client_open(NULL, 5000, &client, &err) < 0 ||
        nb_client_acquire(client, argv[1], 5000, &fd, &err) < 0) {
        fprintf(stderr, "acquire_worker: %s (%s)\n", err.message, err.name);
        nb_client_close(client);
        return 111;
    }
    nb_client_close(client);
    snprintf(w.greeting, sizeof(w.greeting), "hello from worker %ld\n", (long)getpid());

    uv_loop_t *loop = uv_default_loop();
    if (nc_server_new(loop, NULL, &server) < 0 || nc_server_listen_fd(server, fd, 0, &nerr) < 0) {
        fprintf(stderr, "acquire_worker: listen: %s\n", nerr.message);
        return 1;
    }
    nc_server_on(server, NC_SERVER_CONNECTION, on_connection, &w);
    printf("serving '%s' on fd %d\n", argv[1], fd);
    fflush(stdout);
    uv_run(loop, UV_RUN_DEFAULT);
    nc_server_release(server);
    uv_run(loop, UV_RUN_DEFAULT);
    if (uv_loop_close(loop) != 0) {
        uv_print_all_handles(loop, stderr);
        return 1;
    }
    return 0;
}
