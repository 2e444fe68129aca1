/* bench_proto.c: proto's codec and fd passing, each against a bare baseline in the same
 * run (issue 4 "Speed"):
 * - codec: typical requests through the whole read path (nb_proto_reader_feed and _next:
 *   framing, UTF-8 and jansson parse; then nb_proto_request_parse and _validate into the
 *   args struct), per kind and as a mix, against bare json_loadb of the same lines;
 * - fd passing: one fd and a short line a message over a socketpair, through
 *   nb_proto_writer_push/_flush and nb_proto_reader_read/_next, against bare sendmsg and
 *   recvmsg with SCM_RIGHTS of the same bytes and fd; the receiver closes every fd. Also
 *   through nb_proto_writer_push_line, to show what serialising the message costs.
 * Usage: bench_proto [SECONDS [codec|fd]]: how long each measured side runs (default 0.3)
 * per round, and only one of the two parts (to profile it);
 * every figure is the median of 5 rounds, the two sides alternating (fd passing also by
 * CPU time, which other load on the machine does not inflate). Run it on one core
 * (taskset), as run.sh does. Exits 1 only when something fails; a target missed is
 * reported, as bench_daemon does. */
#include "nbproto.h"
#include "nbproto_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 5
/* Lines of one kind in the stream fed to the reader: about what one 64 KiB recvmsg of a
 * pipelining client brings. */
#define STREAM_LINES 512
/* Messages sent before the receiver drains them, in the batched fd-passing run. */
#define FD_BATCH 32

static double seconds = 0.3;

typedef struct {
    const char *kind;
    const char *args; /* the "args" object of the request */
} request_kind_t;

/* Requests as a client sends them in normal operation; the last is a server.create with
 * every kind of argument set. */
static const request_kind_t kinds[] = {
    { "hello", "{\"version\":1,\"client\":\"libnetbroker 1.0\"}" },
    { "server.acquire", "{\"name\":\"web\"}" },
    { "server.subscribe", "{\"name\":\"web\",\"maxPending\":64}" },
    { "fd.retrieve", "{\"name\":\"web.listener\",\"remove\":true}" },
    { "server.info", "{\"name\":\"web\"}" },
    { "blocklist.check", "{\"server\":\"web\",\"address\":\"192.0.2.77\"}" },
    { "socket.connect", "{\"host\":\"127.0.0.1\",\"port\":8080,\"timeout\":5000,\"noDelay\":true,"
                        "\"keepAlive\":true}" },
    { "server.create",
      "{\"name\":\"web\",\"host\":\"::\",\"port\":8080,\"backlog\":1024,\"exclusive\":false,"
      "\"ipv6Only\":false,\"mode\":\"dispatch\",\"maxConnections\":10000,\"queueLimit\":256,"
      "\"queueTimeout\":2000,\"blocklist\":[{\"kind\":\"address\",\"address\":\"192.0.2.1\"},"
      "{\"kind\":\"range\",\"start\":\"198.51.100.1\",\"end\":\"198.51.100.99\"},"
      "{\"kind\":\"subnet\",\"net\":\"2001:db8::\",\"prefix\":32,\"type\":\"ipv6\"}],"
      "\"access\":[{\"uid\":1000,\"allow\":[\"read\",\"acquire\",\"manage\"]},"
      "{\"gid\":100,\"allow\":[\"read\",\"subscribe\"]}]}" },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static void die(const char *what)
{
    fprintf(stderr, "bench_proto: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process (user and system): both ends of the fd passing run here, so it
 * is what passing costs, whatever else the machine runs meanwhile. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[n / 2];
}

/* ---- Codec ---------------------------------------------------------------------------- */

/* STREAM_LINES requests, ids counting up from 1, of one kind (kind < NKINDS) or of every
 * kind in turn (kind == NKINDS). */
typedef struct {
    char *buf;
    size_t len;
    size_t starts[STREAM_LINES + 1]; /* line i is buf[starts[i], starts[i+1] - 1) */
} stream_t;

static void stream_build(stream_t *s, size_t kind)
{
    size_t cap = 1024 * 1024;

    s->buf = malloc(cap);
    s->len = 0;
    if (s->buf == NULL) {
        die("malloc");
    }
    for (size_t i = 0; i < STREAM_LINES; i++) {
        const request_kind_t *k = &kinds[kind < NKINDS ? kind : i % NKINDS];
        int n = snprintf(s->buf + s->len, cap - s->len, "{\"id\":%zu,\"op\":\"%s\",\"args\":%s}\n",
                         i + 1, k->kind, k->args);
        if (n < 0 || (size_t)n >= cap - s->len) {
            die("stream too long");
        }
        s->starts[i] = s->len;
        s->len += (size_t)n;
    }
    s->starts[STREAM_LINES] = s->len;
}

/* The library's read path over the whole stream: every line must validate. */
static void codec_pass_proto(nb_proto_reader_t *r, const stream_t *s)
{
    nb_proto_msg_t msg;
    nb_proto_error_t err;
    nb_proto_request_t req;
    nb_proto_args_t args;
    const nb_proto_op_t *op;
    size_t lines = 0;
    int rc;

    if (nb_proto_reader_feed(r, s->buf, s->len, NULL, 0) < 0) {
        die("nb_proto_reader_feed");
    }
    while ((rc = nb_proto_reader_next(r, &msg, &err)) == 1) {
        if (nb_proto_request_parse(msg.json, &req, &err) < 0 ||
            nb_proto_request_validate(&req, &op, &args, &err) < 0) {
            fprintf(stderr, "bench_proto: line %zu rejected: %s\n", lines, err.message);
            exit(1);
        }
        nb_proto_msg_clear(&msg);
        lines++;
    }
    if (rc < 0 || lines != STREAM_LINES) {
        fprintf(stderr, "bench_proto: %zu lines of %d read (%s)\n", lines, STREAM_LINES,
                rc < 0 ? err.message : "short");
        exit(1);
    }
}

/* What any JSON daemon pays at least: one json_loadb a line, the lines already split. */
static void codec_pass_bare(const stream_t *s)
{
    for (size_t i = 0; i < STREAM_LINES; i++) {
        size_t len = s->starts[i + 1] - s->starts[i] - 1;
        json_t *j = json_loadb(s->buf + s->starts[i], len, 0, NULL);
        if (j == NULL) {
            die("json_loadb");
        }
        json_decref(j);
    }
}

/* Lines per second through one side for `seconds`. */
static double codec_rate(nb_proto_reader_t *r, const stream_t *s, bool bare)
{
    double t0 = now_s(), t;
    size_t passes = 0;

    do {
        for (int i = 0; i < 8; i++) {
            if (bare) {
                codec_pass_bare(s);
            } else {
                codec_pass_proto(r, s);
            }
        }
        passes += 8;
        t = now_s() - t0;
    } while (t < seconds);
    return (double)(passes * STREAM_LINES) / t;
}

static double codec_row(size_t kind, nb_proto_reader_t *r)
{
    stream_t s;
    double lib[ROUNDS], bare[ROUNDS];

    stream_build(&s, kind);
    codec_pass_proto(r, &s); /* warm up, and every line is checked before timing */
    for (int i = 0; i < ROUNDS; i++) {
        lib[i] = codec_rate(r, &s, false);
        bare[i] = codec_rate(r, &s, true);
    }
    double l = median(lib, ROUNDS), b = median(bare, ROUNDS);
    printf("%-18s %9zu %14.0f %16.0f %8.2fx %10.2f\n", kind < NKINDS ? kinds[kind].kind : "mix",
           (s.len + STREAM_LINES / 2) / STREAM_LINES, l, b, l / b, 1e9 / l);
    free(s.buf);
    return l;
}

/* ---- fd passing ----------------------------------------------------------------------- */

/* The line each message carries, as the writer serialises it. */
#define FD_LINE "{\"event\":\"connection\",\"server\":\"web\",\"fds\":1}\n"

typedef struct {
    int sv[2];   /* [0] sends, [1] receives */
    int fd;      /* the fd passed */
    json_t *msg; /* FD_LINE as an object, for nb_proto_writer_push */
    nb_proto_writer_t *w;
    nb_proto_reader_t *r;
    enum { VIA_PUSH, VIA_PUSH_LINE, VIA_FAST } via;
} fdbench_t;

static const char *const via_names[] = { "push", "push_line", "send_line" };

/* The fast path's receiver: next_lazy, which builds no tree for this line. */
static int next_lazy(fdbench_t *b, nb_proto_error_t *err)
{
    nb_proto_lazy_t msg;
    int rc = nb_proto_reader_next_lazy(b->r, &msg, err);
    if (rc == 1) {
        if (msg.nfds != 1 || msg.head.event == NULL || msg.json != NULL) {
            fprintf(stderr, "bench_proto: lazy message not as sent\n");
            exit(1);
        }
        nb_proto_lazy_clear(&msg); /* closes the fd */
    }
    return rc;
}

static int next_msg(fdbench_t *b, nb_proto_error_t *err)
{
    nb_proto_msg_t msg;
    int rc = nb_proto_reader_next(b->r, &msg, err);
    if (rc == 1) {
        if (msg.nfds != 1) {
            fprintf(stderr, "bench_proto: message with %zu fds\n", msg.nfds);
            exit(1);
        }
        nb_proto_msg_clear(&msg); /* closes the fd */
    }
    return rc;
}

static void recv_lib(fdbench_t *b, size_t n)
{
    nb_proto_error_t err;
    size_t got = 0;

    while (got < n) {
        int rc = nb_proto_reader_read(b->r, b->sv[1]);
        if (rc <= 0) {
            errno = rc < 0 ? -rc : EPIPE;
            die("nb_proto_reader_read");
        }
        while ((rc = b->via == VIA_FAST ? next_lazy(b, &err) : next_msg(b, &err)) == 1) {
            got++;
        }
        if (rc < 0) {
            fprintf(stderr, "bench_proto: reader: %s\n", err.message);
            exit(1);
        }
    }
}

/* The fast path's sender, as the daemon's dispatch does it: the line built by the line
 * builder for each message, then sent (not queued) with the caller's fd. */
static int send_fast(fdbench_t *b)
{
    nb_proto_line_t l;
    const char *line;
    size_t len;

    nb_proto_line_event(&l, "connection");
    nb_proto_line_str(&l, "server", "web");
    int rc = nb_proto_line_end(&l, 1, &line, &len);
    if (rc == 0) {
        rc = nb_proto_writer_send_line(b->w, b->sv[0], line, len, &b->fd, 1);
    }
    nb_proto_line_free(&l);
    return rc;
}

/* n messages through proto, `batch` sent before the receiver drains them. */
static void pass_lib(fdbench_t *b, size_t n, size_t batch)
{
    for (size_t done = 0; done < n; done += batch) {
        for (size_t i = 0; i < batch; i++) {
            int rc = b->via == VIA_FAST ? send_fast(b)
                     : b->via == VIA_PUSH_LINE
                         ? nb_proto_writer_push_line(b->w, FD_LINE, sizeof(FD_LINE) - 1, &b->fd, 1)
                         : nb_proto_writer_push(b->w, b->msg, &b->fd, 1);
            if (rc < 0) {
                errno = -rc;
                die("nb_proto_writer_push");
            }
        }
        int rc = nb_proto_writer_flush(b->w, b->sv[0]);
        if (rc < 0) {
            errno = -rc;
            die("nb_proto_writer_flush");
        }
        recv_lib(b, batch);
    }
}

static void send_bare(int sock, int fd)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct iovec iov = { .iov_base = (char *)FD_LINE, .iov_len = sizeof(FD_LINE) - 1 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

    memset(&control, 0, sizeof(control));
    mh.msg_control = control.buf;
    mh.msg_controllen = sizeof(control.buf);
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    if (sendmsg(sock, &mh, MSG_NOSIGNAL) != (ssize_t)iov.iov_len) {
        die("sendmsg");
    }
}

/* Receives until n fds and their bytes arrived, closing each fd. */
static void recv_bare(int sock, size_t n)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * NB_PROTO_FDS_MAX)];
    } control;
    char buf[64 * 1024];
    size_t fds = 0, bytes = 0, want = n * (sizeof(FD_LINE) - 1);

    while (fds < n || bytes < want) {
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof(control.buf);
        ssize_t r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (r <= 0) {
            die("recvmsg");
        }
        bytes += (size_t)r;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++, fds++) {
                    int fd;
                    memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                    close(fd);
                }
            }
        }
    }
}

static void pass_bare(fdbench_t *b, size_t n, size_t batch)
{
    for (size_t done = 0; done < n; done += batch) {
        for (size_t i = 0; i < batch; i++) {
            send_bare(b->sv[0], b->fd);
        }
        recv_bare(b->sv[1], batch);
    }
}

/* fds per second of wall time; *ret_cpu: per second of CPU time. */
static double fd_rate(fdbench_t *b, size_t batch, bool bare, double *ret_cpu)
{
    const size_t step = 256;
    double t0 = now_s(), c0 = cpu_s(), t;
    size_t n = 0;

    do {
        if (bare) {
            pass_bare(b, step, batch);
        } else {
            pass_lib(b, step, batch);
        }
        n += step;
        t = now_s() - t0;
    } while (t < seconds);
    *ret_cpu = (double)n / (cpu_s() - c0);
    return (double)n / t;
}

/* One row; *ret_cpu_ratio: the ratio of the CPU-time rates (medians). */
static double fd_row(fdbench_t *b, size_t batch, double *ret_cpu_ratio)
{
    double lib[ROUNDS], bare[ROUNDS], lib_cpu[ROUNDS], bare_cpu[ROUNDS];

    pass_lib(b, 256, batch); /* warm up */
    pass_bare(b, 256, batch);
    for (int i = 0; i < ROUNDS; i++) {
        lib[i] = fd_rate(b, batch, false, &lib_cpu[i]);
        bare[i] = fd_rate(b, batch, true, &bare_cpu[i]);
    }
    double l = median(lib, ROUNDS), r = median(bare, ROUNDS);
    double cpu = median(lib_cpu, ROUNDS) / median(bare_cpu, ROUNDS);
    printf("%-10s %-22s %14.0f %16.0f %8.2fx %8.2fx\n", via_names[b->via],
           batch == 1 ? "one at a time" : "32 sent, then drained", l, r, l / r, cpu);
    if (ret_cpu_ratio != NULL) {
        *ret_cpu_ratio = cpu;
    }
    return l / r;
}

static void fdbench_init(fdbench_t *b)
{
    b->via = VIA_PUSH;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b->sv) < 0) {
        die("socketpair");
    }
    b->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    b->msg = json_loads(FD_LINE, 0, NULL);
    if (b->fd < 0 || b->msg == NULL || nb_proto_writer_new(NULL, &b->w) < 0 ||
        nb_proto_reader_new(NULL, &b->r) < 0) {
        die("fd bench setup");
    }
}

static void fdbench_free(fdbench_t *b)
{
    nb_proto_writer_free(b->w);
    nb_proto_reader_free(b->r);
    json_decref(b->msg);
    close(b->fd);
    close(b->sv[0]);
    close(b->sv[1]);
}

static void codec_part(void)
{
    nb_proto_reader_t *r;

    if (nb_proto_reader_new(NULL, &r) < 0) {
        die("nb_proto_reader_new");
    }
    printf("Codec: requests read, parsed and validated (proto) vs bare json_loadb, one core\n");
    printf("%-18s %9s %14s %16s %9s %10s\n", "request", "bytes", "proto req/s", "json_loadb/s",
           "ratio", "ns/req");
    for (size_t k = 0; k < NKINDS; k++) {
        codec_row(k, r);
    }
    double mix = codec_row(NKINDS, r);
    nb_proto_reader_free(r);
    printf("mix: %.0f requests/s, target 500000: %s\n\n", mix, mix >= 500000 ? "met" : "NOT met");
}

static void fd_part(void)
{
    fdbench_t fb;

    fdbench_init(&fb);
    printf("fd passing: one fd and a %zu-byte line a message over a socketpair\n",
           sizeof(FD_LINE) - 1);
    printf("%-33s %14s %16s %9s %9s\n", "", "proto fds/s", "bare fds/s", "ratio", "cpu ratio");
    fd_row(&fb, 1, NULL);
    fd_row(&fb, FD_BATCH, NULL);
    fb.via = VIA_PUSH_LINE;
    fd_row(&fb, 1, NULL);
    fd_row(&fb, FD_BATCH, NULL);
    fb.via = VIA_FAST;
    double one_cpu, batched_cpu;
    double one = fd_row(&fb, 1, &one_cpu);
    double batched = fd_row(&fb, FD_BATCH, &batched_cpu);
    fdbench_free(&fb);
    printf("(ratio: of fds per second of wall time; cpu ratio: per second of this process's "
           "CPU time)\n");
    bool met = one >= 0.8 && batched >= 0.8 && one_cpu >= 0.8 && batched_cpu >= 0.8;
    printf("target 0.8x of bare sendmsg/recvmsg (line builder, send_line, next_lazy): %s\n",
           met ? "met" : "NOT met");
}

int main(int argc, char **argv)
{
    const char *part = argc > 2 ? argv[2] : "";

    if (argc > 1) {
        seconds = strtod(argv[1], NULL);
    }
    if (!(seconds > 0) || argc > 3 ||
        (argc > 2 && strcmp(part, "codec") != 0 && strcmp(part, "fd") != 0)) {
        fprintf(stderr, "usage: bench_proto [SECONDS [codec|fd]]\n");
        return 100;
    }
    if (strcmp(part, "fd") != 0) {
        codec_part();
    }
    if (strcmp(part, "codec") != 0) {
        fd_part();
    }
    return 0;
}
