/* listen_fds_child: a socket-activated service as systemd would start it, for the
 * netbrokerctl exec test: checks LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, that fd 3 is a
 * listening socket and that nothing else was inherited, then serves one connection. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

int main(int argc, char **argv)
{
    char **names = NULL;
    const char *want_name = argc > 1 ? argv[1] : "";
    /* sd_listen_fds_with_names checks LISTEN_PID against getpid() itself. */
    int n = sd_listen_fds_with_names(1, &names);
    if (n != 1 || names == NULL || strcmp(names[0], want_name) != 0) {
        fprintf(stderr, "listen_fds_child: want 1 fd named '%s', got %d ('%s')\n", want_name, n,
                n > 0 && names != NULL ? names[0] : "");
        return 1;
    }
    if (sd_is_socket(SD_LISTEN_FDS_START, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
        fprintf(stderr, "listen_fds_child: fd 3 is not a listening stream socket\n");
        return 1;
    }
    /* No socket but fd 3 is inherited: neither netbrokerctl's control connection nor
     * another listener. (The shell that started netbrokerctl may pass files of its own.) */
    for (int fd = SD_LISTEN_FDS_START + 1; fd < 1024; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 && sd_is_socket(fd, AF_UNSPEC, 0, -1) > 0) {
            fprintf(stderr, "listen_fds_child: socket fd %d was inherited\n", fd);
            return 1;
        }
    }
    int conn = accept(SD_LISTEN_FDS_START, NULL, NULL);
    static const char line[] = "served by a LISTEN_FDS child\n";
    if (conn < 0 || write(conn, line, sizeof(line) - 1) < 0) {
        perror("listen_fds_child");
        return 1;
    }
    close(conn);
    free(names[0]);
    free(names);
    return 0;
}
