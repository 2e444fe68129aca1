/* bench_daemon.c: netbrokerd measured side by side in one run (issue 5 "Speed"):
 * - dispatch in churn mode (connect, hand over, one byte back, close): through the broker,
 *   against accepting directly, and against a bare accept-and-SCM_RIGHTS pass in a few
 *   dozen lines (the floor); one connection at a time, and 32 in flight from a load
 *   generator on the other CPU; connections per second, median latency, and connections
 *   per CPU-second of the serving side (worker + passer or daemon), three alternating
 *   rounds, medians;
 * - control requests per second on one connection, pipelined and one at a time;
 * - daemon RSS per parked fd, per owned server and per idle dispatch subscriber.
 * Usage: bench_daemon [ROUNDS]. Starts its own netbrokerd (NETBROKERD_PATH). */
#include "nbproto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char control_path[128];
static pid_t daemon_pid;

static void pin(pid_t pid, int cpu);

static void die(const char *what)
{
    fprintf(stderr, "bench_daemon: %s: %s\n", what, strerror(errno));
    if (daemon_pid > 0) {
        kill(daemon_pid, SIGKILL);
    }
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    int fd;
    nb_proto_reader_t *reader;
    int64_t id;
} client_t;

static void client_open(client_t *c)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    memcpy(sun.sun_path, control_path, strlen(control_path) + 1);
    for (int i = 0; i < 500; i++) {
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
            break;
        }
        close(c->fd);
        c->fd = -1;
        nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL); /* the daemon starts */
    }
    if (c->fd < 0 || nb_proto_reader_new(NULL, &c->reader) < 0) {
        die("connect to netbrokerd");
    }
    c->id = 1;
}

static void send_line(client_t *c, const char *line)
{
    size_t len = strlen(line), off = 0;
    while (off < len) {
        ssize_t r = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
        if (r < 0) {
            die("send");
        }
        off += (size_t)r;
    }
}

/* The next message; its fd (if any) in *fd. */
static json_t *next_msg(client_t *c, int *fd)
{
    for (;;) {
        nb_proto_msg_t m;
        nb_proto_error_t err;
        int r = nb_proto_reader_next(c->reader, &m, &err);
        if (r == 1) {
            if (fd != NULL) {
                *fd = m.nfds > 0 ? m.fds[0] : -1;
                m.nfds = 0;
            }
            json_t *j = m.json;
            m.json = NULL;
            nb_proto_msg_clear(&m);
            return j;
        }
        if (r < 0) {
            errno = EPROTO;
            die(err.message);
        }
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        if (poll(&p, 1, 10000) != 1 || nb_proto_reader_read(c->reader, c->fd) <= 0) {
            die("read from netbrokerd");
        }
    }
}

static json_t *call(client_t *c, const char *op, const char *args)
{
    char line[1024];
    snprintf(line, sizeof(line), "{\"id\":%lld,\"op\":\"%s\"%s%s}\n", (long long)c->id++, op,
             args != NULL ? ",\"args\":" : "", args != NULL ? args : "");
    send_line(c, line);
    json_t *m = next_msg(c, NULL);
    if (!json_is_true(json_object_get(m, "ok"))) {
        errno = EPROTO;
        die(op);
    }
    return m;
}

static long rss_kb(void)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)daemon_pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) {
            break;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return kb;
}

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
        die("connect");
    }
    return fd;
}

static int tcp_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t len = sizeof(sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 511) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        die("listen");
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

/* One churn round once the worker holds the accepted fd: a byte back, both closed. */
static void finish_round(int worker_fd, int client_fd)
{
    char b = 'x';
    if (write(worker_fd, &b, 1) != 1 || read(client_fd, &b, 1) != 1) {
        die("churn byte");
    }
    close(worker_fd);
    close(client_fd);
}

typedef int (*take_fn)(void *ctx);

/* rounds connections, `burst` at a time: each burst connects, is handed over, gets a byte
 * back and closes. Latency is per burst (burst 1: per connection). */
static void churn(const char *name,
                  int port,
                  take_fn take,
                  void *ctx,
                  int rounds,
                  int burst,
                  double *ret_rate,
                  double *ret_median)
{
    int n = rounds / burst;
    double *lat = malloc(sizeof(double) * (size_t)n);
    int *cs = malloc(sizeof(int) * (size_t)burst), *ws = malloc(sizeof(int) * (size_t)burst);
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        double s = now_s();
        for (int k = 0; k < burst; k++) {
            cs[k] = tcp_connect(port);
        }
        for (int k = 0; k < burst; k++) {
            ws[k] = take(ctx);
        }
        for (int k = 0; k < burst; k++) {
            finish_round(ws[k], cs[k]);
        }
        lat[i] = now_s() - s;
    }
    double total = now_s() - t0;
    qsort(lat, (size_t)n, sizeof(double), cmp_double);
    *ret_rate = n * burst / total;
    *ret_median = lat[n / 2] * 1e6;
    printf("  %-28s burst %2d %10.0f conn/s   median %6.0f us\n", name, burst, *ret_rate,
           *ret_median);
    free(lat);
    free(cs);
    free(ws);
}

static int take_direct(void *ctx)
{
    return accept4(*(int *)ctx, NULL, NULL, SOCK_CLOEXEC);
}

/* The next `connection` event's fd, read as libnetbroker reads it: the lazy reader, no
 * JSON tree for a plain line. */
static int take_broker(void *ctx)
{
    client_t *c = ctx;
    for (;;) {
        nb_proto_lazy_t m;
        nb_proto_error_t err;
        int r = nb_proto_reader_next_lazy(c->reader, &m, &err);
        if (r == 1) {
            bool conn = m.head.event != NULL && m.head.event_len == 10 &&
                        memcmp(m.head.event, "connection", 10) == 0 && m.nfds == 1;
            int fd = conn ? m.fds[0] : -1;
            m.nfds = conn ? 0 : m.nfds;
            nb_proto_lazy_clear(&m);
            if (conn) {
                return fd;
            }
            continue;
        }
        if (r < 0) {
            errno = EPROTO;
            die(err.message);
        }
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        if (poll(&p, 1, 10000) != 1 || nb_proto_reader_read(c->reader, c->fd) <= 0) {
            die("read from netbrokerd");
        }
    }
}

static int take_bare(void *ctx)
{
    char b;
    struct iovec iov = { &b, 1 };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)
    };
    if (recvmsg(*(int *)ctx, &mh, MSG_CMSG_CLOEXEC) != 1) {
        die("bare recvmsg");
    }
    int fd;
    memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
    return fd;
}

/* The floor: a process that accepts and passes each fd with SCM_RIGHTS, nothing else. */
static pid_t bare_passer(int listener, int sock)
{
    pid_t pid = fork();
    if (pid != 0) {
        return pid;
    }
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        char b = 'c';
        struct iovec iov = { &b, 1 };
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } u;
        struct msghdr mh = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)
        };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        if (fd < 0 || sendmsg(sock, &mh, 0) != 1) {
            _exit(0);
        }
        close(fd);
    }
}

typedef struct {
    double rate, median, cpu_rate; /* cpu_rate: connections per CPU-second of the serving side */
} result_t;

/* CPU seconds (user + system) used so far by pid (0: this process, its children not
 * counted). */
static double cpu_s(pid_t pid)
{
    if (pid == 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    }
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    buf[n] = '\0';
    unsigned long ut = 0, st = 0;
    const char *p = strrchr(buf, ')'); /* fields 14 and 15, after the command's name */
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) {
        return 0;
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The load of the concurrent mode, in its own process: `slots` connections always in
 * flight; each connects, waits for the worker's byte, closes and connects again, until
 * `total` were made. Writes rate and median latency to out. */
static void loadgen(int port, int slots, int total, int out)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int *fds = calloc((size_t)slots, sizeof(int));
    double *t = calloc((size_t)slots, sizeof(double)), *lat = calloc((size_t)total, sizeof(double));
    int started = 0, done = 0;
    double t0 = now_s();
    for (int i = 0; i < slots; i++, started++) {
        fds[i] = tcp_connect(port);
        t[i] = now_s();
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    }
    while (done < total) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 10000);
        if (n <= 0) {
            die("loadgen epoll_wait");
        }
        for (int k = 0; k < n; k++) {
            int i = (int)evs[k].data.u32;
            char b;
            if (read(fds[i], &b, 1) != 1) {
                die("loadgen read");
            }
            lat[done++] = now_s() - t[i];
            close(fds[i]); /* leaves the epoll set with it */
            if (started < total) {
                fds[i] = tcp_connect(port);
                t[i] = now_s();
                started++;
                struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
                epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
            }
        }
    }
    double r[2] = { total / (now_s() - t0), 0 };
    qsort(lat, (size_t)total, sizeof(double), cmp_double);
    r[1] = lat[total / 2] * 1e6;
    if (write(out, r, sizeof(r)) != sizeof(r)) {
        die("loadgen result");
    }
    _exit(0);
}

/* The concurrent mode: the worker (this process) takes each connection, writes a byte
 * and closes it, while the load runs on the other CPU. Same worker code for every way;
 * only `take` differs. */
static void churn_concurrent(const char *name,
                             int port,
                             take_fn take,
                             void *ctx,
                             pid_t helper,
                             int total,
                             int slots,
                             result_t *ret)
{
    double cpu0 = cpu_s(0) + cpu_s(helper);
    int out[2];
    if (pipe(out) < 0) {
        die("pipe");
    }
    pid_t pid = fork();
    if (pid == 0) {
        pin(0, 1);
        close(out[0]);
        loadgen(port, slots, total, out[1]);
    }
    close(out[1]);
    for (int i = 0; i < total; i++) {
        int fd = take(ctx);
        char b = 'x';
        if (fd < 0 || write(fd, &b, 1) != 1) {
            die("worker");
        }
        close(fd);
    }
    double r[2];
    if (read(out[0], r, sizeof(r)) != sizeof(r)) {
        die("loadgen result");
    }
    double cpu = cpu_s(0) + cpu_s(helper) - cpu0;
    close(out[0]);
    waitpid(pid, NULL, 0);
    *ret = (result_t){ r[0], r[1], cpu > 0 ? total / cpu : 0 };
    printf("  %-28s %2d in flight %8.0f conn/s   median %6.0f us   %8.0f conn/CPU-s\n", name, slots,
           r[0], r[1], ret->cpu_rate);
}

/* Pins pid to one CPU (cpu >= 0) or lets it run on all of them again (cpu < 0), when the
 * machine has two. */
static void pin(pid_t pid, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (long i = 0; i < n && i < CPU_SETSIZE; i++) {
        if (cpu < 0 || i == cpu) {
            CPU_SET((int)i, &set);
        }
    }
    if (n >= 2) {
        sched_setaffinity(pid, sizeof(set), &set);
    }
}

/* One way of taking connections: direct accept, the bare passer, or netbrokerd. */
typedef struct {
    const char *name;
    take_fn take;
    int lfd, sp, port;
    pid_t passer;
    client_t *worker;
} way_t;

static void way_open(way_t *w, int kind, client_t *worker, int port_broker)
{
    static const char *names[3] = { "direct accept", "bare accept + SCM_RIGHTS",
                                    "netbrokerd dispatch" };
    *w = (way_t){ .name = names[kind], .lfd = -1, .sp = -1, .worker = worker };
    if (kind == 2) {
        w->take = take_broker;
        w->port = port_broker;
        return;
    }
    w->lfd = tcp_listen(&w->port);
    w->take = kind == 0 ? take_direct : take_bare;
    if (kind == 1) {
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
            die("socketpair");
        }
        w->passer = bare_passer(w->lfd, sp[1]);
        close(sp[1]);
        w->sp = sp[0];
    }
}

static void *way_ctx(way_t *w)
{
    return w->take == take_broker ? (void *)w->worker
           : w->take == take_bare ? (void *)&w->sp
                                  : (void *)&w->lfd;
}

static void way_close(way_t *w)
{
    if (w->sp >= 0) {
        close(w->sp);
    }
    if (w->lfd >= 0) {
        close(w->lfd);
    }
    if (w->passer > 0) {
        kill(w->passer, SIGKILL);
        waitpid(w->passer, NULL, 0);
    }
}

#define REPS 3

static double median3(double a, double b, double c)
{
    return a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
}

/* Each way, one connection at a time (the three roles in this process, lockstep), then
 * with 32 in flight (the load in its own process on the other CPU; this process, the
 * passer and the daemon share one CPU: the serving side gets the same machine). The ways
 * alternate, REPS times; res holds the medians. */
static void bench_ways(client_t *worker, int port_broker, int rounds, result_t res[3][2])
{
    result_t all[REPS][3][2];
    for (int rep = 0; rep < REPS; rep++) {
        for (int mode = 0; mode < 2; mode++) {
            pin(0, mode == 1 ? 0 : -1);
            pin(daemon_pid, mode == 1 ? 0 : -1);
            for (int k = 0; k < 3; k++) {
                way_t w;
                way_open(&w, k, worker, port_broker);
                result_t *r = &all[rep][k][mode];
                if (mode == 0) {
                    churn(w.name, w.port, w.take, way_ctx(&w), rounds, 1, &r->rate, &r->median);
                } else {
                    pid_t helper = k == 1 ? w.passer : k == 2 ? daemon_pid : -1;
                    churn_concurrent(w.name, w.port, w.take, way_ctx(&w), helper, rounds, 32, r);
                }
                way_close(&w);
            }
        }
    }
    pin(0, -1);
    pin(daemon_pid, -1);
    for (int k = 0; k < 3; k++) {
        for (int m = 0; m < 2; m++) {
            result_t *a = &all[0][k][m], *b = &all[1][k][m], *c = &all[2][k][m];
            res[k][m] = (result_t){ median3(a->rate, b->rate, c->rate),
                                    median3(a->median, b->median, c->median),
                                    median3(a->cpu_rate, b->cpu_rate, c->cpu_rate) };
        }
    }
}

static void bench_dispatch(client_t *admin, int rounds)
{
    printf("dispatch, churn mode, %d connections each way, %d rounds alternating:\n", rounds, REPS);
    json_t *r =
        call(admin, "server.create",
             "{\"name\":\"bench\",\"host\":\"127.0.0.1\",\"port\":0,\"mode\":\"dispatch\"}");
    int port = (int)json_integer_value(json_object_get(json_object_get(r, "result"), "port"));
    json_decref(r);
    client_t worker;
    client_open(&worker);
    json_decref(call(&worker, "hello", "{\"version\":1}"));
    json_decref(call(&worker, "server.subscribe", "{\"name\":\"bench\",\"maxPending\":256}"));
    result_t res[3][2];
    bench_ways(&worker, port, rounds, res);
    close(worker.fd);
    nb_proto_reader_free(worker.reader);
    static const char *names[3] = { "direct", "bare pass", "dispatch" };
    printf("  medians:%25s %22s %22s\n", "one at a time", "32 in flight", "32 in flight");
    for (int k = 0; k < 3; k++) {
        printf("  %-10s %10.0f conn/s %5.0f us %10.0f conn/s %5.0f us %10.0f conn/CPU-s\n",
               names[k], res[k][0].rate, res[k][0].median, res[k][1].rate, res[k][1].median,
               res[k][1].cpu_rate);
    }
    for (int b = 0; b < 2; b++) {
        printf("  %s: dispatch/direct %.3fx (target >= 0.95x), bare/direct %.3fx; dispatch "
               "adds %.0f us at the median, the bare pass %.0f us (target: at most twice)\n",
               b == 0 ? "one at a time" : "32 in flight ", res[2][b].rate / res[0][b].rate,
               res[1][b].rate / res[0][b].rate, res[2][b].median - res[0][b].median,
               res[1][b].median - res[0][b].median);
    }
    printf("  32 in flight, per CPU-second of the serving side: dispatch/direct %.3fx, "
           "bare/direct %.3fx\n",
           res[2][1].cpu_rate / res[0][1].cpu_rate, res[1][1].cpu_rate / res[0][1].cpu_rate);
}

static void bench_control(client_t *c, int n)
{
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        json_decref(call(c, "server.info", "{\"name\":\"bench\"}"));
    }
    double one = n / (now_s() - t0);
    /* Pipelined: requests written in batches while the replies are read. */
    char batch[64 * 64];
    size_t len = 0;
    for (int i = 0; i < 64; i++) {
        len +=
            (size_t)snprintf(batch + len, sizeof(batch) - len,
                             "{\"id\":1,\"op\":\"server.info\",\"args\":{\"name\":\"bench\"}}\n");
    }
    /* Raw lines are counted, not parsed: the client must not be what is measured. */
    t0 = now_s();
    long sent = 0, got = 0, total = (long)n * 20;
    char rbuf[1 << 16];
    while (got < total) {
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        p.events |= sent < total && sent - got < 4096 ? POLLOUT : 0;
        if (poll(&p, 1, 10000) <= 0) {
            die("pipelined control");
        }
        if (p.revents & POLLOUT) {
            send_line(c, batch);
            sent += 64;
        }
        if (p.revents & POLLIN) {
            ssize_t r = recv(c->fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
            for (ssize_t i = 0; i < r; i++) {
                got += rbuf[i] == '\n';
            }
        }
    }
    double piped = (double)got / (now_s() - t0);
    printf("control, one connection: %.0f req/s one at a time, %.0f req/s pipelined "
           "(target >= 100000)\n",
           one, piped);
}

static void bench_memory(client_t *c)
{
    long base = rss_kb();
    int p[2];
    if (pipe(p) < 0) {
        die("pipe");
    }
    for (int i = 0; i < 1000; i++) {
        char line[256];
        snprintf(line, sizeof(line),
                 "{\"id\":%d,\"op\":\"fd.store\",\"args\":{\"name\":\"f%d\"},"
                 "\"fds\":1}\n",
                 i, i);
        nb_proto_writer_t *w;
        nb_proto_writer_new(NULL, &w);
        nb_proto_writer_push_line(w, line, strlen(line), &p[0], 1);
        nb_proto_writer_flush(w, c->fd);
        nb_proto_writer_free(w);
        json_decref(next_msg(c, NULL));
    }
    long fds = rss_kb();
    for (int i = 0; i < 200; i++) {
        char args[128];
        snprintf(args, sizeof(args), "{\"name\":\"s%d\",\"host\":\"127.0.0.1\",\"port\":0}", i);
        json_decref(call(c, "server.create", args));
    }
    long servers = rss_kb();
    client_t subs[100];
    for (int i = 0; i < 100; i++) {
        client_open(&subs[i]);
        json_decref(call(&subs[i], "hello", "{\"version\":1}"));
        json_decref(call(&subs[i], "server.subscribe", "{\"name\":\"bench\"}"));
    }
    long sub = rss_kb();
    printf("daemon RSS: %.2f kB per parked fd, %.2f kB per server, %.2f kB per idle "
           "subscriber (with its control connection)\n",
           (double)(fds - base) / 1000.0, (double)(servers - fds) / 200.0,
           (double)(sub - servers) / 100.0);
    for (int i = 0; i < 100; i++) {
        close(subs[i].fd);
        nb_proto_reader_free(subs[i].reader);
    }
    close(p[0]);
    close(p[1]);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5000;
    char dir[] = "/tmp/nb-bench-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        die("mkdtemp");
    }
    snprintf(control_path, sizeof(control_path), "%s/control.sock", dir);
    signal(SIGPIPE, SIG_IGN);
    daemon_pid = fork();
    if (daemon_pid == 0) {
        execl(NETBROKERD_PATH, "netbrokerd", "--control", control_path, "--log-level", "warning",
              (char *)NULL);
        _exit(127);
    }
    client_t admin;
    client_open(&admin);
    json_decref(call(&admin, "hello", "{\"version\":1}"));
    bench_dispatch(&admin, rounds);
    bench_control(&admin, rounds);
    bench_memory(&admin);
    kill(daemon_pid, SIGTERM);
    waitpid(daemon_pid, NULL, 0);
    rmdir(dir);
    return 0;
}
