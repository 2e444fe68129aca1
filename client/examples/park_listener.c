/* park_listener: keeps its listening socket in the broker across its own restart, so that
 * no connection is refused while it is down (systemd's FDSTORE, s6-fdholder).
 *
 *   park_listener NAME PORT
 *
 * Takes the fd parked under NAME if there is one, else binds 127.0.0.1:PORT itself and
 * parks a dup of it under NAME. Then it accepts one connection, answers it, and exits,
 * leaving the listener parked: the next run takes it back, and a connection that came in
 * between waits in the kernel's queue. */
#include <netbroker.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_on(int port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 511) < 0) {
        perror("park_listener: listen");
        exit(1);
    }
    return fd;
}

int main(int argc, char **argv)
{
    nb_client_t *client = NULL;
    nb_client_error_t err;
    int fd;

    if (argc < 3) {
        fprintf(stderr, "usage: park_listener NAME PORT\n");
        return 100;
    }
    if (nb_client_open(NULL, 5000, &client, &err) < 0) {
        fprintf(stderr, "park_listener: %s\n", err.message);
        return 111;
    }
    int r = nb_client_fd_retrieve(client, argv[1], false, 5000, &fd, &err);
    if (r == NB_CLIENT_ERR_NOT_FOUND) {
        fd = listen_on((int)strtol(argv[2], NULL, 10));
        r = nb_client_fd_store(client, argv[1], fd, 0, false, 5000, &err);
        printf("listening anew, parked as '%s'\n", argv[1]);
    } else if (r == 0) {
        printf("took back '%s' from the broker\n", argv[1]);
    }
    nb_client_close(client);
    if (r < 0) {
        fprintf(stderr, "park_listener: %s (%s)\n", err.message, err.name);
        return 111;
    }
    fflush(stdout);
    int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn >= 0) {
        static const char line[] = "served by park_listener\n";
        if (write(conn, line, sizeof(line) - 1) < 0) {
            perror("park_listener: write");
        }
        close(conn);
    }
    close(fd);
    return conn >= 0 ? 0 : 1;
}
