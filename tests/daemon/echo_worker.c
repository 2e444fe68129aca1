/* echo_worker: a dispatch worker that survives broker restarts, for the restart-under-load
 * test. Subscribes to SERVER through libnetbroker, answers each connection with one byte
 * and closes it. When the broker goes away (a restart, a takeover) its connection ends:
 * the worker connects again to the same control path, retrying for up to 20 s, and
 * subscribes again; connections that arrived meanwhile wait for it (in the kernel's
 * accept queue, or queued in the broker).
 *
 *   echo_worker CONTROL_PATH SERVER
 *
 * Prints "subscribed" each time it (re)subscribes; on SIGTERM prints "served N" and
 * exits 0. */
#include <netbroker.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RETRY_FOR_MS 20000

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static nb_client_t *subscribe(const char *path, const char *server)
{
    for (int waited = 0; !stop && waited < RETRY_FOR_MS; waited += 2) {
        nb_client_t *c = NULL;
        nb_client_error_t err;
        if (nb_client_open(path, 5000, &c, &err) == 0 &&
            nb_client_subscribe(c, server, 64, 5000, &err) == 0) {
            printf("subscribed\n");
            fflush(stdout);
            return c;
        }
        nb_client_close(c);
        poll(NULL, 0, 2); /* the broker is between two lives: try again shortly */
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: echo_worker CONTROL_PATH SERVER\n");
        return 100;
    }
    struct sigaction sa = { .sa_handler = on_term };
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    long served = 0;
    nb_client_t *c = subscribe(argv[1], argv[2]);
    while (!stop && c != NULL) {
        nb_client_connection_t conn;
        nb_client_error_t err;
        int r = nb_client_next_connection(c, 100, &conn, &err);
        if (r == 0) {
            if (write(conn.fd, "x", 1) == 1) {
                served++;
            }
            close(conn.fd);
        } else if (r != -ETIMEDOUT && r != -EINTR && !stop) {
            fprintf(stderr, "echo_worker: %s (%d), after %ld served: subscribing again\n",
                    err.message, r, served);
            nb_client_close(c); /* the broker went away: find the next one */
            c = subscribe(argv[1], argv[2]);
        }
    }
    if (c == NULL && !stop) {
        fprintf(stderr, "echo_worker: no broker to subscribe to for %d ms\n", RETRY_FOR_MS);
    }
    nb_client_close(c);
    printf("served %ld\n", served);
    return stop ? 0 : 111;
}
