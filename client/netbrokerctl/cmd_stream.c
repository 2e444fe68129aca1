/* cmd_stream.c: the long-running commands: `watch` (the live event stream) and `connect`
 * (an outbound connection made by the broker, bridged to stdin/stdout like nc). */
#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void catch_interrupts(void)
{
    struct sigaction sa = { .sa_handler = on_interrupt };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* One line an event: time, event, server, then the other members as key=value. */
static void print_event(const ctl_t *ctl, const nb_client_msg_t *m)
{
    char stamp[16], buf[64];
    const char *key;
    json_t *v;
    if (ctl->json) {
        puts(m->json);
        fflush(stdout);
        return;
    }
    json_t *ev = json_loads(m->json, 0, NULL);
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime_r(&now, &tm));
    printf("%s %-10s %s", stamp, m->event,
           json_string_value(json_object_get(ev, "server")) != NULL
               ? json_string_value(json_object_get(ev, "server"))
               : "-");
    json_object_foreach(ev, key, v)
    {
        if (strcmp(key, "event") != 0 && strcmp(key, "server") != 0 && strcmp(key, "fds") != 0) {
            printf(" %s=%s", key, ctl_cell(ev, key, buf, sizeof(buf)));
        }
    }
    putchar('\n');
    fflush(stdout);
    json_decref(ev);
}

static int watch_loop(ctl_t *ctl)
{
    /* Events that came in with the subscription's reply are already queued: print them
     * before the first wait. */
    int r = 0;
    while (!interrupted) {
        nb_client_msg_t m;
        while (nb_client_next(ctl->client, &m) == 1) {
            if (m.kind == NB_CLIENT_MSG_EVENT) {
                print_event(ctl, &m);
            }
            nb_client_msg_clear(&m);
        }
        if (r < 0) {
            return interrupted ? CTL_EXIT_OK
                               : ctl_fail(CTL_EXIT_UNREACHABLE, "the daemon closed the connection");
        }
        struct pollfd p = { .fd = nb_client_fileno(ctl->client), .events = POLLIN };
        if (poll(&p, 1, -1) < 0 && errno != EINTR) {
            return ctl_fail(CTL_EXIT_FAILED, "poll: %s", strerror(errno));
        }
        r = nb_client_process(ctl->client);
    }
    return CTL_EXIT_OK;
}

static int run_watch(ctl_t *ctl, int argc, char **argv)
{
    json_t *args = json_object();
    if (ctl_wants_help(&ctl_cmd_watch, argc, argv)) {
        json_decref(args);
        return CTL_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0 && i + 1 < argc) {
            json_object_set_new(args, "server", json_string(argv[++i]));
        } else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
            json_t *list = json_array();
            char *save = NULL;
            for (char *e = strtok_r(argv[++i], ",", &save); e != NULL;
                 e = strtok_r(NULL, ",", &save)) {
                json_array_append_new(list, json_string(e));
            }
            json_object_set_new(args, "events", list);
        } else {
            json_decref(args);
            return ctl_usage(&ctl_cmd_watch);
        }
    }
    catch_interrupts();
    int r = ctl_call(ctl, "events.subscribe", args, NULL, NULL);
    return r == CTL_EXIT_OK ? watch_loop(ctl) : r;
}

/* Copies what is readable from `from` to `to`; false at end of input. */
static bool pump(int from, int to)
{
    char buf[16384];
    ssize_t n = read(from, buf, sizeof(buf));
    if (n <= 0) {
        return n < 0 && (errno == EAGAIN || errno == EINTR);
    }
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w < 0) {
            return errno == EINTR;
        }
        off += w;
    }
    return true;
}

/* Bridges stdin -> sock and sock -> stdout; stdin's end half-closes the socket, the
 * peer's end finishes. */
static int bridge(int sock)
{
    bool stdin_open = true;
    while (!interrupted) {
        struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
                               { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN } };
        if (poll(p, 2, -1) < 0 && errno != EINTR) {
            return ctl_fail(CTL_EXIT_FAILED, "poll: %s", strerror(errno));
        }
        if (p[1].revents != 0 && !pump(STDIN_FILENO, sock)) {
            stdin_open = false;
            shutdown(sock, SHUT_WR);
        }
        if (p[0].revents != 0 && !pump(sock, STDOUT_FILENO)) {
            break;
        }
    }
    return CTL_EXIT_OK;
}

static int run_connect(ctl_t *ctl, int argc, char **argv)
{
    long long port;
    int fd = -1;
    if (ctl_wants_help(&ctl_cmd_connect, argc, argv)) {
        return CTL_EXIT_OK;
    }
    if (argc != 3 || !ctl_parse_int(argv[2], 1, 65535, &port)) {
        return ctl_usage(&ctl_cmd_connect);
    }
    catch_interrupts();
    json_t *args = json_pack("{s:s, s:I}", "host", argv[1], "port", (json_int_t)port);
    int r = ctl_call(ctl, "socket.connect", args, NULL, &fd);
    if (r != CTL_EXIT_OK) {
        return r;
    }
    nb_client_close(ctl->client);
    ctl->client = NULL;
    r = bridge(fd);
    close(fd);
    return r;
}

const ctl_command_t ctl_cmd_watch = {
    "watch",
    "print the daemon's events as they happen",
    run_watch,
    "Usage: netbrokerctl watch [--server NAME] [--events listening,connection,drop,close,error]\n"
    "\n"
    "Prints one line per event (with --json, one JSON object per line) until interrupted.\n",
};

const ctl_command_t ctl_cmd_connect = {
    "connect",
    "have the broker connect, then bridge to stdin/stdout",
    run_connect,
    "Usage: netbrokerctl connect HOST PORT\n"
    "\n"
    "Asks the broker to connect to HOST:PORT (happy eyeballs, outbound blocklist), then\n"
    "copies standard input to the connection and the connection to standard output, like\n"
    "nc. End of input half-closes the connection; the peer's end finishes.\n",
};
