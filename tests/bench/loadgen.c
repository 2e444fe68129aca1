/* loadgen.c: the closed-loop load generator of the echo benchmark (tests/bench/echo.sh).
 *   loadgen echo PORT CONNS SIZE SECONDS
 *     CONNS connections to 127.0.0.1:PORT; each sends SIZE bytes, waits for the whole
 *     echo (checked byte for byte), and sends again. The first half second is warm-up;
 *     the next SECONDS are counted (total= counts the warm-up's too).
 *   loadgen churn PORT CONNS SIZE SECONDS
 *     CONNS slots; each connects, exchanges one SIZE-byte message, half-closes, waits
 *     for the server's FIN, closes, and starts over. One request = one whole connection.
 *     Each connection comes from the next of CHURN_SOURCES loopback addresses
 *     (127.0.0.2 and up): a single source leaves tens of thousands of its ports in
 *     TIME_WAIT within seconds, and connect()'s search for a free port then grows with
 *     what earlier runs left behind, so that the load generator, not the server, set the
 *     pace, and a different one from run to run.
 *   loadgen idle PORT N SERVER_PID SERVER_OUT
 *     the idle-memory probe: one connection exchanges a byte and stays open (so that
 *     the server's shared buffers exist), then SIGUSR1 to the server, which appends its
 *     heap in use to SERVER_OUT; then N more connections each exchange one byte and stay
 *     open, and a second SIGUSR1. Prints the difference divided by N.
 * One thread, epoll, non-blocking sockets. Prints one key=value line. Exit 111 on error. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define WARMUP_SECONDS 0.5

typedef struct {
    int fd;
    size_t sent, got;
    bool want_out; /* EPOLLOUT registered */
    bool connecting;
    bool closing; /* churn: half-closed, waiting for the server's FIN */
} conn_t;

typedef enum { ECHO, CHURN, ONCE } load_mode_t;

#define CHURN_SOURCES 250

static int ep;
static struct sockaddr_in target;
static bool spread_sources; /* churn: bind each connection to the next source address */
static size_t msg_size;
static char *msg, *rbuf;

static void die(const char *what)
{
    fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
    exit(111);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void set_events(conn_t *c, bool out)
{
    struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0u), .data.ptr = c };
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
        die("epoll_ctl");
    }
    c->want_out = out;
}

/* Binds fd to the next of 127.0.0.2 .. 127.0.0.(1 + CHURN_SOURCES), port left to
 * connect() (IP_BIND_ADDRESS_NO_PORT), which picks it per destination. */
static void bind_next_source(int fd)
{
    static unsigned next;
    int one = 1;
    struct sockaddr_in src = { .sin_family = AF_INET };
    src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + next++ % CHURN_SOURCES);
    if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
        die("bind");
    }
}

static void conn_open(conn_t *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        die("socket");
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (spread_sources) {
        bind_next_source(c->fd);
    }
    c->sent = c->got = 0;
    c->closing = false;
    c->connecting = connect(c->fd, (struct sockaddr *)&target, sizeof(target)) < 0;
    if (c->connecting && errno != EINPROGRESS) {
        die("connect");
    }
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        die("epoll_ctl");
    }
    c->want_out = true;
}

/* Writes what the kernel takes of the message; EPOLLOUT only while some is left. */
static void conn_send(conn_t *c)
{
    while (c->sent < msg_size) {
        ssize_t n = write(c->fd, msg + c->sent, msg_size - c->sent);
        if (n < 0) {
            if (errno == EAGAIN) {
                break;
            }
            die("write");
        }
        c->sent += (size_t)n;
    }
    bool out = c->sent < msg_size;
    if (out != c->want_out) {
        set_events(c, out);
    }
}

/* Reads the echo; true once the whole message came back. */
static bool conn_recv(conn_t *c)
{
    for (;;) {
        ssize_t n = read(c->fd, rbuf, msg_size - c->got);
        if (n < 0) {
            if (errno == EAGAIN) {
                return false;
            }
            die("read");
        }
        if (n == 0) {
            errno = ECONNRESET;
            die("server closed the connection");
        }
        if (memcmp(rbuf, msg + c->got, (size_t)n) != 0) {
            fprintf(stderr, "loadgen: echo differs from what was sent\n");
            exit(111);
        }
        c->got += (size_t)n;
        if (c->got == msg_size) {
            return true;
        }
    }
}

/* One readiness event of a connection; returns 1 when a request completed. */
static int conn_event(conn_t *c, uint32_t events, load_mode_t mode)
{
    if (c->connecting) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            return 0;
        }
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            errno = err;
            die("connect");
        }
        c->connecting = false;
        conn_send(c);
        return 0;
    }
    if (c->closing) {
        char b[64];
        ssize_t n = read(c->fd, b, sizeof(b));
        if (n < 0 && errno == EAGAIN) {
            return 0;
        }
        if (n != 0) {
            errno = n < 0 ? errno : EPROTO;
            die("waiting for the server's FIN");
        }
        close(c->fd);
        conn_open(c);
        return 1;
    }
    if ((events & EPOLLOUT) && c->sent < msg_size) {
        conn_send(c);
    }
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)) || !conn_recv(c)) {
        return 0;
    }
    if (mode == CHURN) {
        c->closing = true;
        shutdown(c->fd, SHUT_WR);
        return 0;
    }
    if (mode == ECHO) {
        c->sent = c->got = 0;
        conn_send(c);
    }
    return 1;
}

static void fill_message(void)
{
    msg = malloc(msg_size);
    rbuf = malloc(msg_size);
    if (msg == NULL || rbuf == NULL) {
        die("malloc");
    }
    for (size_t i = 0; i < msg_size; i++) {
        msg[i] = (char)('a' + (i * 7 + i / 26) % 26);
    }
}

static int run_load(load_mode_t mode, int nconns, double seconds)
{
    conn_t *conns = calloc((size_t)nconns, sizeof(*conns));
    struct epoll_event evs[256];
    if (conns == NULL) {
        die("calloc");
    }
    for (int i = 0; i < nconns; i++) {
        conn_open(&conns[i]);
    }
    double start = now() + WARMUP_SECONDS, end = start + seconds, t;
    uint64_t done = 0, all = 0; /* counted; and with the warm-up's */
    bool counting = false;
    while ((t = now()) < end) {
        if (!counting && t >= start) {
            counting = true;
            done = 0;
            start = t;
        }
        int n = epoll_wait(ep, evs, 256, 100);
        if (n < 0 && errno != EINTR) {
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int k = conn_event(evs[i].data.ptr, evs[i].events, mode);
            done += (uint64_t)k;
            all += (uint64_t)k;
        }
    }
    double dt = now() - start;
    printf("requests=%" PRIu64 " seconds=%.3f rps=%.0f mbps=%.1f total=%" PRIu64 "\n", done, dt,
           (double)done / dt, (double)done * (double)msg_size * 2 / dt / 1e6, all);
    for (int i = 0; i < nconns; i++) {
        close(conns[i].fd);
    }
    free(conns);
    return 0;
}

/* Sends SIGUSR1 and waits (up to 10 s) for the server's next "heap N" line in out. */
static long long server_heap(pid_t pid, const char *out, int nth)
{
    if (kill(pid, SIGUSR1) < 0) {
        die("kill");
    }
    double deadline = now() + 10;
    while (now() < deadline) {
        FILE *f = fopen(out, "r");
        char line[128];
        long long v = -1;
        int seen = 0;
        while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
            if (sscanf(line, "heap %lld", &v) == 1 && ++seen == nth) {
                break;
            }
        }
        if (f != NULL) {
            fclose(f);
        }
        if (seen == nth) {
            return v;
        }
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "loadgen: no heap report from the server\n");
    exit(111);
}

/* Opens n connections that each exchange one byte, then leaves them open. */
static conn_t *open_idle(int n)
{
    conn_t *conns = calloc((size_t)n, sizeof(*conns));
    struct epoll_event evs[256];
    if (conns == NULL) {
        die("calloc");
    }
    int left = n;
    for (int i = 0; i < n; i++) {
        conn_open(&conns[i]);
    }
    double deadline = now() + 30;
    while (left > 0 && now() < deadline) {
        int k = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < k; i++) {
            conn_t *c = evs[i].data.ptr;
            if (conn_event(c, evs[i].events, ONCE) == 1) {
                left--;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
            }
        }
    }
    if (left > 0) {
        fprintf(stderr, "loadgen: %d of %d idle connections never echoed\n", left, n);
        exit(111);
    }
    return conns;
}

static int run_idle(int n, pid_t pid, const char *out)
{
    conn_t *first = open_idle(1);
    long long before = server_heap(pid, out, 1);
    conn_t *conns = open_idle(n);
    long long after = server_heap(pid, out, 2);
    printf("conns=%d heap_before=%lld heap_after=%lld per_conn=%.1f\n", n, before, after,
           (double)(after - before) / n);
    for (int i = 0; i < n; i++) {
        close(conns[i].fd);
    }
    close(first->fd);
    free(conns);
    free(first);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: loadgen echo|churn PORT CONNS SIZE SECONDS\n"
                        "       loadgen idle PORT N SERVER_PID SERVER_OUT\n");
        return 100;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    target.sin_family = AF_INET;
    target.sin_port = htons((uint16_t)atoi(argv[2]));
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        die("epoll_create1");
    }
    int n = atoi(argv[3]);
    if (strcmp(argv[1], "idle") == 0) {
        msg_size = 1;
        fill_message();
        return run_idle(n, (pid_t)atoi(argv[4]), argv[5]);
    }
    msg_size = (size_t)atol(argv[4]);
    fill_message();
    bool churn = strcmp(argv[1], "churn") == 0;
    if (!churn && strcmp(argv[1], "echo") != 0) {
        return 100;
    }
    spread_sources = churn;
    return run_load(churn ? CHURN : ECHO, n, atof(argv[5]));
}
