/* fuzz_dispatcher.c: the daemon's whole request dispatcher in-process, on a real libuv
 * loop. Each input is a sequence of request lines sent, with fds riding on some, over a real
 * Unix connection to the control socket of a fresh daemon state in a temp dir. By default
 * each line goes alone in one write and its reply is awaited before the next. A line
 * starting with '!' is a directive instead (never sent; no JSON line starts with '!', so
 * older inputs keep their meaning):
 *   !pN C1 C2 ... [h]  the next N lines (none or 0: the rest) go pipelined: their bytes
 *                      concatenated, written in pieces cut at byte offsets C1, C2, ... (and
 *                      at the start of each line that carries fds, as PROTOCOL.md 4.1
 *                      wants); with h the connection hangs up after the write that ends at
 *                      the last cut (no cut: after everything), no reply read, the rest
 *                      never sent; then a new connection takes the lines that follow.
 *   !h                 hang up now, and go on with a new connection.
 * Checks: every line sent whole gets exactly one reply, valid for its operation (or a
 * structured error) and with its id, in the order sent (only socket.connect, which
 * completes later, may be overtaken), unless the connection closes first; events are
 * valid; once the connection and the servers are closed the process holds the fds it held
 * before, and the loop closes. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "fuzz_check.h"
#include "fuzz_confine.h"
#include "fuzz_daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LINES_MAX 64
#define CONNS_MAX 16
#define CUTS_MAX  16
/* Ids the harness gives pipelined requests: unique, so replies that overtake (socket.connect
 * completes later) still match their request. */
#define PIPE_ID_BASE 4000000000
/* A reply that has not come by then will not come: a hang, reported as a failure. */
#define DEADLINE_MS 5000

/* Per process: the temp dir every socket path of the run lives in. */
static struct {
    char dir[64];
    char control[128];
    char target[128]; /* the Unix listener socket.connect's paths are pointed at */
    int devnull;
} env = { .devnull = -1 };

/* One input's daemon and the harness's side of it. */
typedef struct {
    nb_daemon_t d;
    uv_loop_t loop;
    uv_timer_t deadline;
    bool timed_out;
    int fd; /* the harness's end of the control connection */
    nb_proto_reader_t *in;
    bool eof;
    bool sent_fds; /* some line carried fds: fd stream errors are possible */
    bool cut;      /* the daemon answered that stream error: it closes, lines may go unread */
    int tcp_target, unix_target; /* listeners socket.connect is pointed at */
    int tcp_port;
    int conns[CONNS_MAX]; /* connections to the servers the input created */
    size_t nconns;
} run_t;

/* What the reply to one line must look like. */
typedef struct {
    int op;     /* nb_proto_op_id_t when the line is a valid request, else -1 */
    int64_t id; /* the request's id; -1 unreadable; -2 the line is not even a message */
    bool later; /* socket.connect: answered when the connection is made, maybe after others */
    bool answered;
} expect_t;

/* The lines of one write plan that were sent whole, in order: their replies are due. */
typedef struct {
    expect_t ex[LINES_MAX];
    size_t n;
    size_t answered;
} batch_t;

/* How the next lines are sent: a directive line's plan, or one line alone. */
typedef struct {
    size_t nlines;
    size_t cuts[CUTS_MAX]; /* offsets into the plan's bytes where a write ends, ascending */
    size_t ncuts;
    bool hangup;
} plan_t;

/* What run_until's conditions wait for. */
static batch_t *current;
static int wanted_fds;

static void cleanup_env(void)
{
    unlink(env.control);
    unlink(env.target);
    rmdir(env.dir);
}

static void setup_env(void)
{
    if (env.devnull >= 0) {
        return;
    }
    signal(SIGPIPE, SIG_IGN);
    /* No systemd here: nothing adopted, no readiness, no fd store mirror. */
    unsetenv("NOTIFY_SOCKET");
    unsetenv("LISTEN_FDS");
    unsetenv("WATCHDOG_USEC");
    if (getenv("FUZZ_DISPATCHER_LOG") == NULL) {
        nb_log_set_level(LOG_EMERG);
    }
    /* In run.sh's work directory (TMPDIR), so that a run that dies leaves nothing. */
    const char *tmp = getenv("TMPDIR");
    snprintf(env.dir, sizeof(env.dir), "%s/nb-fuzzd.XXXXXX",
             tmp != NULL && tmp[0] == '/' && strlen(tmp) < 44 ? tmp : "/tmp");
    CHECK(mkdtemp(env.dir) != NULL);
    snprintf(env.control, sizeof(env.control), "%s/control.sock", env.dir);
    snprintf(env.target, sizeof(env.target), "%s/target.sock", env.dir);
    env.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(env.devnull >= 0);
    /* libuv opens its process-wide signal pipe with the first loop, for good. */
    uv_loop_t warm;
    CHECK(uv_loop_init(&warm) == 0);
    CHECK(uv_loop_close(&warm) == 0);
    atexit(cleanup_env);
}

static int listen_tcp(int *ret_port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    CHECK(fd >= 0);
    CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
    CHECK(listen(fd, 64) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
    if (ret_port != NULL) {
        *ret_port = ntohs(sin.sin_port);
    }
    return fd;
}

static int unix_addr(const char *path, struct sockaddr_un *un)
{
    size_t len = strlen(path);
    *un = (struct sockaddr_un){ .sun_family = AF_UNIX };
    CHECK(len < sizeof(un->sun_path)); /* setup_env keeps the temp dir's name short */
    memcpy(un->sun_path, path, len + 1);
    return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

static int listen_unix(const char *path)
{
    struct sockaddr_un un;
    int fd = unix_addr(path, &un);
    CHECK(fd >= 0);
    unlink(path);
    CHECK(bind(fd, (struct sockaddr *)&un, sizeof(un)) == 0);
    CHECK(listen(fd, 64) == 0);
    return fd;
}

static void on_deadline(uv_timer_t *t)
{
    ((run_t *)t->data)->timed_out = true;
}

/* Runs the loop until done(r) holds; a deadline turns a hang into a failure. */
static void run_until(run_t *r, bool (*done)(run_t *r), uv_run_mode mode, const char *what)
{
    r->timed_out = false;
    uv_timer_start(&r->deadline, on_deadline, DEADLINE_MS, 0);
    while (!done(r) && !r->timed_out) {
        uv_run(&r->loop, mode);
    }
    uv_timer_stop(&r->deadline);
    if (r->timed_out) {
        fprintf(stderr, "no %s in %d ms (fds %d, %d wanted, %zu of %zu replies)\n", what,
                DEADLINE_MS, fuzz_count_fds(), wanted_fds, current != NULL ? current->answered : 0,
                current != NULL ? current->n : 0);
    }
    CHECK(!r->timed_out);
}

/* The daemon reads a new client only once its groups are known (off the loop): until then
 * pieces written apart would be read together. */
static bool one_client_reading(run_t *r)
{
    return r->d.nclients == 1 && uv_is_active((uv_handle_t *)&r->d.clients->poll);
}

static bool no_client(run_t *r)
{
    return r->d.nclients == 0;
}

/* Returns the fds the process holds with the loop up but nothing of the daemon open. */
static int daemon_start(run_t *r)
{
    char msg[512];
    CHECK(uv_loop_init(&r->loop) == 0);
    uv_timer_init(&r->loop, &r->deadline);
    r->deadline.data = r;
    r->d.loop = &r->loop;
    r->d.self_uid = geteuid();
    r->d.started_ms = uv_now(&r->loop);
    r->d.config = nb_config_load(NULL, msg, sizeof(msg));
    CHECK(r->d.config != NULL);
    int baseline = fuzz_count_fds();
    CHECK(nb_control_start(&r->d, env.control) == 0);
    CHECK(nb_config_apply(&r->d, r->d.config, NULL, msg, sizeof(msg)) == 0);
    r->tcp_target = listen_tcp(&r->tcp_port);
    r->unix_target = listen_unix(env.target);
    return baseline;
}

static void client_connect(run_t *r)
{
    struct sockaddr_un un;
    r->fd = unix_addr(env.control, &un);
    CHECK(r->fd >= 0);
    CHECK(connect(r->fd, (struct sockaddr *)&un, sizeof(un)) == 0);
    CHECK(nb_proto_reader_new(NULL, &r->in) == 0);
    run_until(r, one_client_reading, UV_RUN_ONCE, "control connection");
}

static bool loopback_literal(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1) {
        return (ntohl(a4.s_addr) >> 24) == 127;
    }
    return inet_pton(AF_INET6, host, &a6) == 1 && memcmp(&a6, &in6addr_loopback, sizeof(a6)) == 0;
}

/* socket.connect: a host that is not loopback is refused here, before the daemon sees
 * it; loopback ones reach the harness's own listeners only. Returns false: refused. */
static bool rewrite_connect(json_t *args, const run_t *r)
{
    json_t *host = json_object_get(args, "host");
    const char *h = json_string_value(host);
    if (h != NULL && strcmp(h, "localhost") != 0 && !loopback_literal(h)) {
        return false;
    }
    if (json_is_integer(json_object_get(args, "port"))) {
        if (host == NULL || strcmp(h, "localhost") == 0) {
            json_object_set_new(args, "host", json_string("127.0.0.1"));
        }
        json_object_set_new(args, "port", json_integer(r->tcp_port));
    }
    if (json_is_string(json_object_get(args, "localAddress"))) {
        json_object_set_new(args, "localAddress", json_string("127.0.0.1"));
    }
    if (json_is_integer(json_object_get(args, "localPort"))) {
        json_object_set_new(args, "localPort", json_integer(0));
    }
    if (json_is_string(json_object_get(args, "path"))) {
        json_object_set_new(args, "path", json_string(env.target));
    }
    return true;
}

/* The fds a line carries: as many as it declares (when that is a small count), one more
 * on lines whose length is a multiple of 31 (a count that does not match: the daemon
 * answers that stream error and closes, so not too often). */
static size_t fds_for(const char *line, size_t len)
{
    json_t *j = json_loadb(line, len, 0, NULL);
    json_int_t n = json_integer_value(json_object_get(j, "fds"));
    json_decref(j);
    size_t nfds = n > 0 && n <= NB_PROTO_FDS_MAX ? (size_t)n : 0;
    return nfds + (len % 31 == 0 && nfds < NB_PROTO_FDS_MAX ? 1 : 0);
}

/* What the reply to a message must be; a valid id becomes new_id first, unless that is -1. */
static void expect_for(json_t *json, int64_t new_id, expect_t *ex)
{
    nb_proto_error_t err;
    nb_proto_request_t req;
    const nb_proto_op_t *op;
    json_int_t id = json_integer_value(json_object_get(json, "id"));
    if (new_id >= 0 && json_is_integer(json_object_get(json, "id")) && id >= 0 &&
        id <= NB_PROTO_ID_MAX) {
        json_object_set_new(json, "id", json_integer(new_id));
    }
    if (nb_proto_request_parse(json, &req, &err) != 0) {
        ex->id = err.id; /* -1: unreadable, the reply says null */
        return;
    }
    ex->id = req.id;
    if (nb_proto_request_validate(&req, &op, NULL, &err) == 0) {
        ex->op = (int)op->id;
        ex->later = op->id == NB_PROTO_OP_SOCKET_CONNECT;
    }
}

/* Reads the line as the daemon's reader will, rewrites what would leave loopback or the
 * temp dir (and, when new_id is not -1, a valid id to new_id), and says what its reply
 * must be. Returns the bytes to send (malloc'ed, '\n' ended, *ret_len of them: a rejected
 * line may hold NULs), or NULL when the harness refuses the line. */
static char *prepare(const run_t *r,
                     const char *line,
                     size_t len,
                     size_t nfds,
                     size_t index,
                     int64_t new_id,
                     expect_t *ex,
                     size_t *ret_len)
{
    nb_proto_reader_t *rd;
    nb_proto_msg_t msg;
    nb_proto_error_t err;
    int fds[NB_PROTO_FDS_MAX + 1];
    CHECK(nb_proto_reader_new(NULL, &rd) == 0);
    for (size_t i = 0; i < nfds; i++) {
        fds[i] = fcntl(env.devnull, F_DUPFD_CLOEXEC, 3);
    }
    nb_proto_reader_feed(rd, line, len, fds, nfds);
    nb_proto_reader_feed(rd, "\n", 1, NULL, 0);
    *ex = (expect_t){ .op = -1, .id = -2 };
    char *text = NULL;
    size_t n = 0;
    if (nb_proto_reader_next(rd, &msg, &err) != 1) {
        text = malloc(len + 1); /* sent as it is: the daemon rejects it just as well */
        CHECK(text != NULL);
        memcpy(text, line, len);
        n = len;
    } else {
        json_t *args = json_object_get(msg.json, "args");
        const char *name = json_string_value(json_object_get(msg.json, "op"));
        bool ok = true;
        if (json_is_object(args) && name != NULL && strcmp(name, "server.create") == 0) {
            fuzz_confine_server(args, env.dir, "srv", index);
        } else if (json_is_object(args) && name != NULL && strcmp(name, "socket.connect") == 0) {
            ok = rewrite_connect(args, r);
        }
        expect_for(msg.json, new_id, ex);
        text = ok ? json_dumps(msg.json, JSON_COMPACT) : NULL;
        n = text != NULL ? strlen(text) : 0;
        text = text != NULL ? realloc(text, n + 1) : NULL;
        nb_proto_msg_clear(&msg);
    }
    nb_proto_reader_free(rd);
    if (text != NULL) {
        text[n] = '\n';
        *ret_len = n + 1;
    }
    return text;
}

/* One sendmsg: the line and its fds, /dev/null dups and real listening sockets in turn. */
static void send_line(run_t *r, const char *text, size_t len, size_t nfds, size_t index)
{
    int fds[NB_PROTO_FDS_MAX + 1];
    char cbuf[CMSG_SPACE(sizeof(fds))] = { 0 };
    struct iovec iov = { .iov_base = (void *)text, .iov_len = len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    for (size_t i = 0; i < nfds; i++) {
        fds[i] = (index + i) % 2 == 0 ? fcntl(env.devnull, F_DUPFD_CLOEXEC, 3) : listen_tcp(NULL);
        CHECK(fds[i] >= 0);
    }
    if (nfds > 0) {
        mh.msg_control = cbuf;
        mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
    }
    ssize_t n = sendmsg(r->fd, &mh, MSG_NOSIGNAL);
    /* The daemon may have cut the connection after a fatal line. */
    CHECK(n == (ssize_t)iov.iov_len || (n < 0 && (errno == EPIPE || errno == ECONNRESET)));
    for (size_t i = 0; i < nfds; i++) {
        close(fds[i]);
    }
}

/* A server the input created: one connection to it, so that dispatch has work. */
static void connect_to(run_t *r, const json_t *result)
{
    const char *addr = json_string_value(json_object_get(result, "address"));
    const char *path = json_string_value(json_object_get(result, "path"));
    json_int_t port = json_integer_value(json_object_get(result, "port"));
    struct sockaddr_storage ss = { 0 };
    socklen_t len = 0;
    int fd = -1;
    if (r->nconns == CONNS_MAX) {
        return;
    }
    if (path != NULL && strncmp(path, env.dir, strlen(env.dir)) == 0) {
        fd = unix_addr(path, (struct sockaddr_un *)&ss);
        len = sizeof(struct sockaddr_un);
    } else if (addr != NULL && port > 0 && loopback_literal(addr)) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        bool v6 = strchr(addr, ':') != NULL;
        fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sin->sin_family = v6 ? AF_INET6 : AF_INET;
        sin->sin_port = htons((uint16_t)port);
        CHECK(inet_pton(sin->sin_family, addr,
                        v6 ? (void *)&sin6->sin6_addr : (void *)&sin->sin_addr) == 1);
        len = v6 ? sizeof(*sin6) : sizeof(*sin);
    }
    if (fd >= 0) {
        (void)connect(fd, (struct sockaddr *)&ss, len);
        r->conns[r->nconns++] = fd;
    }
}

/* The request a reply answers: a pending socket.connect whose id it carries, else the
 * oldest request not yet answered (the daemon answers everything else in order). */
static expect_t *match(batch_t *b, const json_t *id)
{
    expect_t *oldest = NULL;
    for (size_t i = 0; i < b->n; i++) {
        expect_t *ex = &b->ex[i];
        if (ex->answered) {
            continue;
        }
        if (ex->later && json_is_integer(id) && json_integer_value(id) == ex->id) {
            oldest = ex;
            break;
        }
        if (oldest == NULL && !ex->later) {
            oldest = ex;
        }
    }
    if (oldest == NULL) {
        fprintf(stderr, "a reply nobody asked for (%zu of %zu answered)\n", b->answered, b->n);
        CHECK(false);
    }
    oldest->answered = true;
    b->answered++;
    return oldest;
}

static void check_reply(run_t *r, const nb_proto_msg_t *m, batch_t *b)
{
    nb_proto_error_t err;
    const json_t *id = json_object_get(m->json, "id");
    const char *code =
        json_string_value(json_object_get(json_object_get(m->json, "error"), "code"));
    if (r->sent_fds && json_is_null(id) && code != NULL && strcmp(code, "ERR_PROTO_FDS") == 0) {
        /* The stream error for fds no line declared (one too many, or on a line the
         * reader rejects), not a line's reply: the daemon answers it whenever its reader
         * meets it, then closes (PROTOCOL.md 5.3). */
        CHECK(json_is_false(json_object_get(m->json, "ok")) && m->nfds == 0);
        r->cut = true;
        return;
    }
    CHECK(b != NULL); /* a reply while none is due */
    const expect_t *ex = match(b, id);
    if (ex->op >= 0) {
        if (nb_proto_reply_validate((nb_proto_op_id_t)ex->op, m->json, m->nfds, &err) != 0) {
            fprintf(stderr, "bad reply to %s: %s\n", nb_proto_op_get(ex->op)->name, err.message);
            CHECK(false);
        }
        CHECK(json_integer_value(id) == ex->id);
        if (ex->op == NB_PROTO_OP_SERVER_CREATE && json_is_true(json_object_get(m->json, "ok"))) {
            connect_to(r, json_object_get(m->json, "result"));
        }
        return;
    }
    /* Not a valid request: a structured error, with the id when the envelope had one (a
     * line that is no message at all: any id the daemon could still read, or null). */
    const json_t *e = json_object_get(m->json, "error");
    CHECK(json_is_false(json_object_get(m->json, "ok")));
    CHECK(json_is_string(json_object_get(e, "code")) &&
          json_is_string(json_object_get(e, "message")));
    if (ex->id == -2) {
        CHECK(json_is_null(id) || json_is_integer(id));
    } else {
        CHECK(json_is_null(id) ? ex->id == -1 : json_integer_value(id) == ex->id);
    }
    CHECK(m->nfds == 0);
}

/* Takes what the daemon sent: replies (checked against b's requests) and events. */
static void collect(run_t *r, batch_t *b)
{
    nb_proto_msg_t m;
    nb_proto_error_t err;
    int n;
    while (r->fd >= 0 && !r->eof && (n = nb_proto_reader_read(r->in, r->fd)) != -EAGAIN) {
        r->eof = n <= 0 && n != -EBUSY;
        while (nb_proto_reader_next(r->in, &m, &err) == 1) {
            if (json_object_get(m.json, "event") != NULL) {
                CHECK(nb_proto_event_validate(m.json, m.nfds, NULL, &err) == 0);
            } else {
                check_reply(r, &m, b);
            }
            nb_proto_msg_clear(&m);
        }
    }
}

static bool replied(run_t *r)
{
    collect(r, current);
    return current->answered == current->n || r->eof || r->cut;
}

/* The connection closes with whatever it had in flight; the daemon must let the client
 * go. Unless the daemon is stopping, a new connection takes the lines that follow. */
static void hang_up(run_t *r)
{
    if (r->fd >= 0) {
        close(r->fd);
        nb_proto_reader_free(r->in);
        r->fd = -1;
        r->in = NULL;
    }
    run_until(r, no_client, UV_RUN_ONCE, "end of the client after a hangup");
    if (!r->d.stopping) {
        r->eof = r->cut = r->sent_fds = false;
        client_connect(r);
    }
}

/* A directive line (module comment): the plan it gives. */
static void parse_plan(const char *line, size_t len, plan_t *p)
{
    char text[256];
    char *end;
    len = len < sizeof(text) - 1 ? len : sizeof(text) - 1;
    memcpy(text, line, len);
    text[len] = '\0';
    *p = (plan_t){ .nlines = 0, .hangup = len >= 2 && text[1] == 'h' };
    if (len < 2 || text[1] != 'p') {
        return;
    }
    unsigned long n = strtoul(text + 2, &end, 10);
    p->nlines = n > 0 && n < LINES_MAX ? n : LINES_MAX;
    for (char *s = end; *s != '\0';) {
        if (*s >= '0' && *s <= '9' && p->ncuts < CUTS_MAX) {
            size_t cut = strtoul(s, &end, 10);
            if (p->ncuts == 0 || cut > p->cuts[p->ncuts - 1]) {
                p->cuts[p->ncuts++] = cut;
            }
            s = end;
        } else {
            p->hangup = p->hangup || *s == 'h';
            s++;
        }
    }
}

/* The bytes of a plan's lines as they go on the wire. */
typedef struct {
    char *buf;
    size_t len;
    size_t start[LINES_MAX + 1]; /* where each line begins; start[n] = len */
    size_t nfds[LINES_MAX];
    size_t index[LINES_MAX];
    size_t n;
} wire_t;

/* Takes the plan's lines from data at *pos (a directive ends the plan early), prepares
 * them into w, and their expected replies into b. */
static void take_lines(run_t *r,
                       const plan_t *p,
                       bool pipelined,
                       const uint8_t *data,
                       size_t size,
                       size_t *pos,
                       size_t *index,
                       batch_t *b,
                       wire_t *w)
{
    while (b->n < p->nlines && *pos < size && *index < LINES_MAX && data[*pos] != '!') {
        const uint8_t *nl = memchr(data + *pos, '\n', size - *pos);
        size_t len = nl != NULL ? (size_t)(nl - (data + *pos)) : size - *pos;
        const char *line = (const char *)data + *pos;
        size_t i = (*index)++;
        size_t nfds = fds_for(line, len);
        size_t tlen;
        *pos += len + 1;
        char *text = prepare(r, line, len, nfds, i, pipelined ? PIPE_ID_BASE + (int64_t)i : -1,
                             &b->ex[b->n], &tlen);
        if (text == NULL) {
            continue; /* refused by the harness: never sent */
        }
        w->buf = realloc(w->buf, w->len + tlen);
        CHECK(w->buf != NULL);
        memcpy(w->buf + w->len, text, tlen);
        free(text);
        w->start[w->n] = w->len;
        w->nfds[w->n] = nfds;
        w->index[w->n++] = i;
        w->len += tlen;
        b->n++;
    }
    w->start[w->n] = w->len;
}

/* Where the writes end: the plan's cuts inside the bytes, and before each line with fds
 * (PROTOCOL.md 4.1.1-2: a line's fds go with the write its first byte starts). Returns
 * how many, the last one the end of what is sent. */
static size_t write_ends(const plan_t *p, const wire_t *w, size_t *ends)
{
    size_t n = 0;
    size_t limit = p->hangup && p->ncuts > 0 && p->cuts[p->ncuts - 1] < w->len
                       ? p->cuts[p->ncuts - 1]
                       : w->len;
    size_t c = 0;
    for (size_t l = 1; l <= w->n; l++) {
        /* Both lists ascend: merge the cuts before this line's start, then the start. */
        for (; c < p->ncuts && p->cuts[c] < w->start[l]; c++) {
            if (p->cuts[c] > 0 && p->cuts[c] <= limit && (n == 0 || p->cuts[c] > ends[n - 1])) {
                ends[n++] = p->cuts[c];
            }
        }
        bool boundary = l == w->n || w->nfds[l] > 0;
        if (boundary && w->start[l] <= limit && (n == 0 || w->start[l] > ends[n - 1])) {
            ends[n++] = w->start[l];
        }
    }
    return n;
}

/* Sends the plan's bytes in its writes; the daemon's loop turns between writes so that
 * it reads each piece on its own. Replies that come meanwhile are checked. */
static void send_plan(run_t *r, const plan_t *p, const wire_t *w, batch_t *b)
{
    size_t ends[CUTS_MAX + LINES_MAX + 1];
    size_t nends = write_ends(p, w, ends);
    size_t from = 0;
    size_t line = 0;
    for (size_t k = 0; k < nends && !r->eof && !r->cut; k++) {
        while (line < w->n && w->start[line] < from) {
            line++;
        }
        bool first = line < w->n && w->start[line] == from;
        send_line(r, w->buf + from, ends[k] - from, first ? w->nfds[line] : 0,
                  first ? w->index[line] : 0);
        r->sent_fds = r->sent_fds || (first && w->nfds[line] > 0);
        from = ends[k];
        if (k + 1 < nends) {
            uv_run(&r->loop, UV_RUN_NOWAIT);
            collect(r, b);
        }
    }
}

/* Runs one plan: its lines go out, then their replies are awaited, or the connection
 * hangs up. */
static void run_plan(run_t *r,
                     const plan_t *p,
                     bool pipelined,
                     const uint8_t *data,
                     size_t size,
                     size_t *pos,
                     size_t *index)
{
    static batch_t b;
    wire_t w = { 0 };
    memset(&b, 0, sizeof(b));
    take_lines(r, p, pipelined, data, size, pos, index, &b, &w);
    current = &b;
    if (r->fd >= 0 && !r->eof && !r->cut && w.n > 0) {
        send_plan(r, p, &w, &b);
        if (!p->hangup) {
            run_until(r, replied, UV_RUN_ONCE, "reply");
            /* Exactly once: a reply beyond those due fails in match(). */
            collect(r, &b);
            CHECK(b.answered == b.n || r->eof || r->cut);
        }
    }
    free(w.buf);
    if (p->hangup) {
        hang_up(r);
    }
    current = NULL;
}

static void feed_lines(run_t *r, const uint8_t *data, size_t size)
{
    size_t pos = 0;
    size_t index = 0;
    while (index < LINES_MAX && pos < size && !r->d.stopping) {
        plan_t p = { .nlines = 1 };
        bool pipelined = data[pos] == '!';
        if (pipelined) {
            const uint8_t *nl = memchr(data + pos, '\n', size - pos);
            size_t len = nl != NULL ? (size_t)(nl - (data + pos)) : size - pos;
            parse_plan((const char *)data + pos, len, &p);
            pos += len + 1;
            index++;
        }
        run_plan(r, &p, pipelined, data, size, &pos, &index);
    }
}

static bool fds_back(run_t *r)
{
    (void)r;
    return fuzz_count_fds() == wanted_fds;
}

/* The connection closes, then every server, stored fd and the control socket: the process
 * must hold the fds it held before the daemon opened anything, then, once the loop
 * closed, those before the input. */
static void teardown(run_t *r, int baseline, int before)
{
    for (size_t i = 0; i < r->nconns; i++) {
        close(r->conns[i]);
    }
    collect(r, NULL);
    if (r->fd >= 0) {
        close(r->fd);
        nb_proto_reader_free(r->in);
    }
    run_until(r, no_client, UV_RUN_ONCE, "end of the client");
    while (r->d.servers != NULL) {
        nb_srv_close(r->d.servers);
    }
    nb_fdstore_clear(&r->d);
    nb_outbound_cancel_all(&r->d);
    nb_resolve_cancel_all(&r->d);
    nb_handover_free(&r->d);
    nb_control_stop(&r->d);
    close(r->tcp_target);
    close(r->unix_target);
    unlink(env.target);
    /* libuv keeps one fd per loop in reserve for EMFILE (uv_loop_t's emfile_fd), from the
     * first listener on: the loop's, closed with it. */
    wanted_fds = baseline + (r->loop.emfile_fd >= 0 ? 1 : 0);
    run_until(r, fds_back, UV_RUN_NOWAIT, "return to the fds held before");
    fuzz_daemon_end(&r->d, &r->loop, &r->deadline, before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static run_t r;
    setup_env();
    int before = fuzz_count_fds();
    memset(&r, 0, sizeof(r));
    int baseline = daemon_start(&r);
    client_connect(&r);
    feed_lines(&r, data, size);
    teardown(&r, baseline, before);
    return 0;
}
