/* dispatch_worker: takes connections the broker accepted for it, with plain libc (no event
 * loop library needed): the broker never reads a byte of them.
 *
 *   dispatch_worker SERVER [COUNT]
 *
 * Subscribes to SERVER (a dispatch-mode server), then for each connection dispatched to
 * it prints the peer's address, writes one line and closes; exits after COUNT (default 1). */
#include <netbroker.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    nb_client_t *client = NULL;
    nb_client_error_t err;
    int count = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 1;

    if (argc < 2 || count < 1) {
        fprintf(stderr, "usage: dispatch_worker SERVER [COUNT]\n");
        return 100;
    }
    if (nb_client_open(NULL, 5000, &client, &err) < 0 ||
        nb_client_subscribe(client, argv[1], 0, 5000, &err) < 0) {
        fprintf(stderr, "dispatch_worker: %s (%s)\n", err.message, err.name);
        nb_client_close(client);
        return 111;
    }
    printf("subscribed to '%s'\n", argv[1]);
    fflush(stdout);
    for (int i = 0; i < count; i++) {
        nb_client_connection_t conn;
        char line[128];
        if (nb_client_next_connection(client, -1, &conn, &err) < 0) {
            fprintf(stderr, "dispatch_worker: %s\n", err.message);
            nb_client_close(client);
            return 111;
        }
        printf("connection from %s port %d\n", conn.remote_address, conn.remote_port);
        fflush(stdout);
        int n = snprintf(line, sizeof(line), "hello from dispatch worker %ld\n", (long)getpid());
        if (write(conn.fd, line, (size_t)n) != n) {
            perror("dispatch_worker: write");
        }
        close(conn.fd);
    }
    nb_client_close(client);
    return 0;
}
