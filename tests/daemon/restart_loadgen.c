/* restart_loadgen: a bounded load of TCP connections to 127.0.0.1:PORT, each expecting one byte
 * from whoever serves it, for the restart-under-load test.
 *
 *   restart_loadgen PORT TOTAL RATE INFLIGHT
 *
 * Opens TOTAL connections at RATE per second, at most INFLIGHT at a time, and sorts each
 * by its end: served (a byte came), refused (ECONNREFUSED), reset (ECONNRESET), closed
 * (end of stream without a byte), timeout (nothing within 30 s), error (anything else).
 * Prints "progress N" lines (N connections ended) as it goes and one JSON line of counts
 * at the end. Exits 0 once every connection has ended. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONN_DEADLINE_MS 30000

typedef struct {
    int fd; /* -1: free slot */
    bool connecting;
    int64_t started;
} slot_t;

typedef struct {
    long attempted, served, refused, reset, closed, timeout, error;
} counts_t;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void end(slot_t *s, long *counter, long *done)
{
    close(s->fd);
    s->fd = -1;
    (*counter)++;
    (*done)++;
}

/* Starts one connection in a free slot; a connect that fails at once ends it. */
static void open_one(int ep, slot_t *s, int port, counts_t *c, long *done)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->attempted++;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    s->started = now_ms();
    if (s->fd < 0) {
        c->error++;
        (*done)++;
        return;
    }
    int r = connect(s->fd, (struct sockaddr *)&sin, sizeof(sin));
    if (r < 0 && errno != EINPROGRESS) {
        end(s, errno == ECONNREFUSED ? &c->refused : &c->error, done);
        return;
    }
    s->connecting = r < 0;
    struct epoll_event ev = { .events = EPOLLIN | (s->connecting ? EPOLLOUT : 0u), .data.ptr = s };
    epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
}

static void on_event(int ep, slot_t *s, uint32_t events, counts_t *c, long *done)
{
    if (s->connecting) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            end(s,
                err == ECONNREFUSED ? &c->refused
                : err == ECONNRESET ? &c->reset
                                    : &c->error,
                done);
            return;
        }
        if (!(events & EPOLLOUT)) {
            return;
        }
        s->connecting = false;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };
        epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        return;
    }
    char b;
    ssize_t n = read(s->fd, &b, 1);
    if (n < 0 && errno == EAGAIN) {
        return;
    }
    end(s,
        n == 1                  ? &c->served
        : n == 0                ? &c->closed
        : errno == ECONNRESET   ? &c->reset
        : errno == ECONNREFUSED ? &c->refused
                                : &c->error,
        done);
}

typedef struct {
    long total, rate;
    int64_t t0;
} load_t;

/* Opens the connections whose time has come (RATE a second since t0), in free slots. */
static void open_due(int ep,
                     slot_t *slots,
                     long max,
                     int port,
                     load_t load,
                     counts_t *c,
                     long *done)
{
    int64_t now = now_ms();
    for (long i = 0; i < max && c->attempted < load.total && c->attempted - *done < max &&
                     now >= load.t0 + c->attempted * 1000 / load.rate;
         i++) {
        if (slots[i].fd < 0) {
            open_one(ep, &slots[i], port, c, done);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: restart_loadgen PORT TOTAL RATE INFLIGHT\n");
        return 100;
    }
    int port = atoi(argv[1]);
    long total = atol(argv[2]), rate = atol(argv[3]), max = atol(argv[4]);
    if (port <= 0 || total <= 0 || rate <= 0 || max <= 0 || max > 4096) {
        fprintf(stderr, "restart_loadgen: bad arguments\n");
        return 100;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max + 64) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)max + 64 ? rl.rlim_max : (rlim_t)max + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    slot_t *slots = calloc((size_t)max, sizeof(*slots));
    struct epoll_event *evs = calloc((size_t)max, sizeof(*evs));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (slots == NULL || evs == NULL || ep < 0) {
        return 111;
    }
    for (long i = 0; i < max; i++) {
        slots[i].fd = -1;
    }
    counts_t c = { 0 };
    long done = 0, next_progress = total / 20;
    int64_t t0 = now_ms();
    while (done < total) {
        open_due(ep, slots, max, port, (load_t){ total, rate, t0 }, &c, &done);
        int n = epoll_wait(ep, evs, (int)max, 5);
        for (int i = 0; i < n; i++) {
            on_event(ep, evs[i].data.ptr, evs[i].events, &c, &done);
        }
        int64_t now = now_ms();
        for (long i = 0; i < max; i++) {
            if (slots[i].fd >= 0 && now - slots[i].started > CONN_DEADLINE_MS) {
                end(&slots[i], &c.timeout, &done);
            }
        }
        while (done >= next_progress && next_progress <= total) {
            printf("progress %ld\n", next_progress);
            fflush(stdout);
            next_progress += total / 20 > 0 ? total / 20 : 1;
        }
    }
    printf("{\"attempted\":%ld,\"served\":%ld,\"refused\":%ld,\"reset\":%ld,\"closed\":%ld,"
           "\"timeout\":%ld,\"error\":%ld,\"ms\":%lld}\n",
           c.attempted, c.served, c.refused, c.reset, c.closed, c.timeout, c.error,
           (long long)(now_ms() - t0));
    fflush(stdout);
    close(ep);
    free(slots);
    free(evs);
    return 0;
}
