/* client.c: libnetbroker's connection: connect and hello, requests out, replies and events
 * in, and the blocking call built on the non-blocking core. */
#include "netbroker.h"

#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "nbproto.h"
#include "nbproto_ops.h"

/* netbroker.h repeats proto's numbers so that proto's header need not be installed. */
#define SAME_CODE(name) _Static_assert(NB_CLIENT_##name == NB_PROTO_##name, #name)
SAME_CODE(ERR_PROTO_PARSE);
SAME_CODE(ERR_PROTO_UTF8);
SAME_CODE(ERR_PROTO_TOO_LARGE);
SAME_CODE(ERR_PROTO_FDS);
SAME_CODE(ERR_PROTO_HELLO);
SAME_CODE(ERR_PROTO_VERSION);
SAME_CODE(ERR_UNKNOWN_OP);
SAME_CODE(ERR_NOT_FOUND);
SAME_CODE(ERR_INVALID_ARG_TYPE);
SAME_CODE(ERR_INVALID_ARG_VALUE);
SAME_CODE(ERR_OUT_OF_RANGE);
SAME_CODE(ERR_MISSING_ARGS);
SAME_CODE(ERR_PROTO_FD_COUNT);
SAME_CODE(ERR_SOCKET_BAD_PORT);
SAME_CODE(ERR_CONFIG);
_Static_assert(NB_CLIENT_ERR_UNKNOWN == NB_PROTO_UNKNOWN, "UNKNOWN");

/* Messages received and not yet handed out; a client that never calls next() while
 * events pour in is bounded by this, then treated as lost. */
#define QUEUE_MAX 4096
/* Stack room for a request line: longer ones (big args) are serialised on the heap. */
#define REQUEST_SMALL 1024

struct nb_client_s {
    int fd;
    int failed; /* sticky: the first fatal code */
    int version;
    char daemon[64]; /* hello's "daemon", for humans */
    int64_t next_id;
    json_t *capabilities;
    nb_proto_reader_t *reader;
    nb_proto_writer_t *writer;
    nb_client_msg_t *queue; /* a ring of received messages */
    size_t qhead, qlen, qcap;
};

static int open_socket(const char *path, nb_client_error_t *err);
static int say_hello(nb_client_t *c, int timeout_ms, nb_client_error_t *err);
static int receive_all(nb_client_t *c);
static int queue_push(nb_client_t *c, nb_proto_lazy_t *m);
static int queue_lost_fds(nb_client_t *c, const nb_proto_error_t *perr);

const char *nb_client_version(void)
{
    return "0.1.0";
}

int nb_client_default_path(char *buf, size_t size)
{
    const char *env = getenv("NETBROKER_SOCKET");
    int n;

    if (buf == NULL) {
        return -EINVAL;
    }
    if (env != NULL && env[0] != '\0') {
        n = snprintf(buf, size, "%s", env);
    } else if (geteuid() == 0) {
        n = snprintf(buf, size, "%s/%s", NB_PROTO_SYSTEM_RUNDIR, NB_PROTO_SOCKET_NAME);
    } else {
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        if (xdg == NULL || xdg[0] == '\0') {
            return -ENOENT;
        }
        n = snprintf(buf, size, "%s/netbroker/%s", xdg, NB_PROTO_SOCKET_NAME);
    }
    if (n < 0 || (size_t)n >= size) {
        return -ENOSPC;
    }
    return n;
}

int nb__client_fail(nb_client_error_t *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->code = code;
        snprintf(err->name, sizeof(err->name), "%s", nb_proto_err_name(code));
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return code;
}

int64_t nb__deadline(int timeout_ms)
{
    struct timespec ts;
    if (timeout_ms < 0) {
        return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
}

/* Milliseconds left before deadline (-1: none), 0 once it has passed. */
static int remaining_ms(int64_t deadline)
{
    if (deadline < 0) {
        return -1;
    }
    int64_t now = nb__deadline(0);
    return now >= deadline ? 0 : (int)(deadline - now);
}

static int client_new(nb_client_t **ret, nb_client_error_t *err)
{
    nb_client_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        nb__client_fail(err, -ENOMEM, "out of memory");
        return -ENOMEM; /* not the helper's result: the analyzer sees *ret set on 0 only */
    }
    c->next_id = 1;
    c->fd = -1;
    if (nb_proto_reader_new(NULL, &c->reader) < 0 || nb_proto_writer_new(NULL, &c->writer) < 0) {
        nb_client_close(c);
        nb__client_fail(err, -ENOMEM, "out of memory");
        return -ENOMEM;
    }
    *ret = c;
    return 0;
}

int nb_client_open(const char *path, int timeout_ms, nb_client_t **ret, nb_client_error_t *err)
{
    char buf[sizeof(((struct sockaddr_un *)0)->sun_path) + 64];
    nb_client_t *c;
    int r;

    if (ret == NULL) {
        return nb__client_fail(err, -EINVAL, "no place for the client");
    }
    if (path == NULL) {
        r = nb_client_default_path(buf, sizeof(buf));
        if (r < 0) {
            return nb__client_fail(err, r,
                                   "no control socket path: set NETBROKER_SOCKET or "
                                   "XDG_RUNTIME_DIR");
        }
        path = buf;
    }
    r = client_new(&c, err);
    if (r < 0) {
        return r;
    }
    c->fd = open_socket(path, err);
    if (c->fd < 0) {
        r = c->fd;
        nb_client_close(c);
        return r;
    }
    r = say_hello(c, timeout_ms, err);
    if (r < 0) {
        nb_client_close(c);
        return r;
    }
    *ret = c;
    return 0;
}

int nb_client_adopt_fd(int fd, int timeout_ms, nb_client_t **ret, nb_client_error_t *err)
{
    nb_client_t *c;

    if (ret == NULL) {
        return nb__client_fail(err, -EINVAL, "no place for the client");
    }
    if (fd < 0) {
        return nb__client_fail(err, -EBADF, "no control socket");
    }
    int r = client_new(&c, err);
    if (r < 0) {
        return r;
    }
    c->fd = fd;
    r = say_hello(c, timeout_ms, err);
    if (r < 0) {
        c->fd = -1; /* the caller's again, as on every failure */
        nb_client_close(c);
        return r;
    }
    *ret = c;
    return 0;
}

static int open_socket(const char *path, nb_client_error_t *err)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof(sun.sun_path)) {
        return nb__client_fail(err, -ENAMETOOLONG, "control socket path '%s' is %s", path,
                               len == 0 ? "empty" : "too long");
    }
    memcpy(sun.sun_path, path, len + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return nb__client_fail(err, -errno, "socket: %s", strerror(errno));
    }
    /* A Unix connect completes at once or fails (EAGAIN: the daemon's backlog is full). */
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        int e = errno;
        char why[128];
        close(fd);
        /* "no such file or directory", as a clause inside our sentence */
        snprintf(why, sizeof(why), "%s", strerror(e));
        why[0] = (char)tolower((unsigned char)why[0]);
        return nb__client_fail(err, -e, "cannot connect to %s: %s%s", path, why,
                               e == ENOENT || e == ECONNREFUSED ? " (is netbrokerd running?)" : "");
    }
    return fd;
}

static int say_hello(nb_client_t *c, int timeout_ms, nb_client_error_t *err)
{
    char args[64];
    nb_client_msg_t reply = { 0 };

    snprintf(args, sizeof(args), "{\"version\":%d}", NB_PROTO_VERSION);
    int r = nb_client_call(c, "hello", args, NULL, 0, timeout_ms, &reply, err);
    if (r < 0) {
        return r;
    }
    json_t *msg = json_loads(reply.json, 0, NULL);
    json_t *result = json_object_get(msg, "result");
    json_int_t version = json_integer_value(json_object_get(result, "version"));
    json_t *caps = json_object_get(result, "capabilities");
    nb_client_msg_clear(&reply);
    if (version < 1 || version > NB_PROTO_VERSION || !json_is_array(caps)) {
        const char *what = json_is_array(caps) ? "" : " and no capabilities";
        json_decref(msg);
        return nb__client_fail(err, NB_PROTO_ERR_PROTO_VERSION,
                               "the daemon answered hello with version %lld%s", (long long)version,
                               what);
    }
    c->version = (int)version;
    c->capabilities = json_incref(caps);
    const char *daemon = json_string_value(json_object_get(result, "daemon"));
    snprintf(c->daemon, sizeof(c->daemon), "%s", daemon != NULL ? daemon : "");
    json_decref(msg);
    return 0;
}

void nb_client_close(nb_client_t *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->qlen; i++) {
        nb_client_msg_clear(&c->queue[(c->qhead + i) % c->qcap]);
    }
    free(c->queue);
    nb_proto_reader_free(c->reader);
    nb_proto_writer_free(c->writer);
    json_decref(c->capabilities);
    if (c->fd >= 0) {
        close(c->fd);
    }
    free(c);
}

int nb_client_fileno(const nb_client_t *c)
{
    return c != NULL ? c->fd : -EINVAL;
}

bool nb_client_wants_write(const nb_client_t *c)
{
    return c != NULL && nb_proto_writer_queued(c->writer) > 0;
}

int nb_client_protocol_version(const nb_client_t *c)
{
    return c != NULL ? c->version : -EINVAL;
}

const char *nb_client_daemon(const nb_client_t *c)
{
    return c != NULL ? c->daemon : "";
}

bool nb_client_has_capability(const nb_client_t *c, const char *op)
{
    size_t i;
    json_t *v;
    if (c == NULL || op == NULL) {
        return false;
    }
    json_array_foreach(c->capabilities, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), op) == 0) {
            return true;
        }
    }
    return false;
}

/* Checks a request as the daemon will, when this library knows the operation: a bad one
 * is refused here with the daemon's own words, before it costs a round trip. */
static int validate_locally(json_t *req, size_t nfds, nb_client_error_t *err)
{
    nb_proto_request_t parsed;
    nb_proto_error_t perr;
    const nb_proto_op_t *op;

    if (nfds > 0) {
        json_object_set_new(req, "fds", json_integer((json_int_t)nfds));
    }
    int r = nb_proto_request_parse(req, &parsed, &perr);
    if (r == 0 && nb_proto_op_find(parsed.op) != NULL) {
        r = nb_proto_request_validate(&parsed, &op, NULL, &perr);
    }
    json_object_del(req, "fds");
    return r < 0 ? nb__client_fail(err, r, "%s", perr.message) : 0;
}

/* The request's line, as nb_proto_writer_push would write it, sent with the caller's fds
 * straight from here when nothing is queued (no duplicate, no close: fd.store's fd is
 * the caller's all along), queued with duplicates otherwise. A refusal (bad fd, queue
 * full, line too long, no memory for the line) is the request's: returned, nothing sent.
 * What the socket says after that is the connection's: sticky, reported by whoever
 * waits, as a flush's would be (the request counts as sent). */
static int send_request(nb_client_t *c, json_t *req, const int *fds, size_t nfds)
{
    char small[REQUEST_SMALL];
    if (nfds > 0 && json_object_set_new(req, "fds", json_integer((json_int_t)nfds)) < 0) {
        return -ENOMEM;
    }
    size_t len = json_dumpb(req, small, sizeof(small) - 1, JSON_COMPACT);
    char *line = len > 0 && len < sizeof(small) ? small : NULL;
    if (len >= sizeof(small) && (line = malloc(len + 1)) != NULL &&
        json_dumpb(req, line, len, JSON_COMPACT) != len) {
        free(line);
        line = NULL;
    }
    if (line == NULL) {
        return -ENOMEM;
    }
    line[len] = '\n'; /* jansson escapes control characters in strings: the only one */
    int r = nb_proto_writer_send_line(c->writer, c->fd, line, len + 1, fds, nfds);
    if (line != small) {
        free(line);
    }
    if (r == -EAGAIN || r == 0) {
        return 0;
    }
    if (r == -EINVAL || r == -EBADF || r == -ENOBUFS || r == NB_PROTO_ERR_PROTO_TOO_LARGE) {
        return r;
    }
    c->failed = r;
    return 0;
}

int nb__client_send_json(nb_client_t *c,
                         const char *op,
                         json_t *args,
                         const int *fds,
                         size_t nfds,
                         int64_t *ret_id,
                         nb_client_error_t *err)
{
    json_t *req = NULL;

    if (c == NULL || op == NULL || (nfds > 0 && fds == NULL) || nfds > NB_CLIENT_FDS_MAX) {
        json_decref(args);
        return nb__client_fail(err, -EINVAL, "invalid arguments");
    }
    if (c->failed < 0) {
        json_decref(args);
        return nb__client_fail(err, c->failed, "the connection to the daemon is lost");
    }
    int64_t id = c->next_id;
    int r = nb_proto_request_new(id, op, args, &req);
    if (r < 0) {
        return nb__client_fail(err, r, "cannot build the request");
    }
    r = validate_locally(req, nfds, err);
    if (r == 0) {
        r = send_request(c, req, fds, nfds);
        if (r < 0) {
            nb__client_fail(err, r, "cannot queue the request: %s", nb_proto_strerror(r));
        }
    }
    json_decref(req);
    if (r < 0) {
        return r;
    }
    c->next_id++;
    if (ret_id != NULL) {
        *ret_id = id;
    }
    /* Its error is sticky and reported by whoever waits: a daemon that answers and
     * closes at once (daemon.shutdown) has its reply queued all the same. */
    (void)nb_client_process(c);
    return 0;
}

/* args_json as a JSON object (NULL stays NULL). */
static int parse_args(const char *args_json, json_t **ret, nb_client_error_t *err)
{
    json_error_t jerr;
    if (args_json == NULL) {
        *ret = NULL;
        return 0;
    }
    json_t *args = json_loads(args_json, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(args)) {
        json_decref(args);
        return nb__client_fail(err, NB_PROTO_ERR_INVALID_ARG_TYPE,
                               "args must be one JSON object: %s",
                               args == NULL ? jerr.text : "not an object");
    }
    *ret = args;
    return 0;
}

int nb_client_send(nb_client_t *c,
                   const char *op,
                   const char *args_json,
                   const int *fds,
                   size_t nfds,
                   int64_t *ret_id,
                   nb_client_error_t *err)
{
    json_t *args = NULL;
    int r = parse_args(args_json, &args, err);
    if (r < 0) {
        return r;
    }
    return nb__client_send_json(c, op, args, fds, nfds, ret_id, err);
}

int nb_client_process(nb_client_t *c)
{
    if (c == NULL) {
        return -EINVAL;
    }
    if (c->failed < 0) {
        return c->failed;
    }
    int r = nb_proto_writer_flush(c->writer, c->fd);
    if (r < 0 && r != -EAGAIN) {
        c->failed = r;
        return r;
    }
    r = receive_all(c);
    if (r < 0) {
        c->failed = r;
    }
    return r;
}

/* Reads what the socket has, turning each complete line into a queued message. */
static int receive_all(nb_client_t *c)
{
    for (;;) {
        nb_proto_lazy_t m;
        nb_proto_error_t perr;
        int r;
        /* Lazy: an event or a short reply costs no jansson tree, only its text. */
        while ((r = nb_proto_reader_next_lazy(c->reader, &m, &perr)) == 1) {
            r = queue_push(c, &m);
            if (r < 0) {
                return r;
            }
        }
        if (r == -EMFILE && !perr.fatal && perr.id >= 0) {
            /* A reply whose fds we had no room for (PROTOCOL.md 11): its call fails. */
            if ((r = queue_lost_fds(c, &perr)) < 0) {
                return r;
            }
            continue;
        }
        if (r < 0) {
            return r; /* a daemon that breaks the protocol cannot be trusted further */
        }
        r = nb_proto_reader_read(c->reader, c->fd);
        if (r == -EAGAIN) {
            return 0;
        }
        if (r == 0) {
            return -ECONNRESET;
        }
        if (r < 0) {
            return r;
        }
    }
}

/* The reply the daemon sent, as this process could take it: failed with EMFILE, its fds
 * (those the kernel did install are closed by the reader) gone; the connection goes on.
 * An event that lost its fds has no id to fail and still ends the connection. */
static int queue_lost_fds(nb_client_t *c, const nb_proto_error_t *perr)
{
    nb_proto_lazy_t m = { .head = { .has_id = true, .id = perr->id, .ok = 0 } };
    if (nb_proto_reply_from_error(perr, &m.json) < 0) {
        return -ENOMEM;
    }
    return queue_push(c, &m);
}

static void fill_error(nb_client_msg_t *out, json_t *error)
{
    const char *name = json_string_value(json_object_get(error, "code"));
    const char *message = json_string_value(json_object_get(error, "message"));
    out->error.code = name != NULL ? nb_proto_err_from_name(name) : NB_PROTO_UNKNOWN;
    snprintf(out->error.name, sizeof(out->error.name), "%s", name != NULL ? name : "UNKNOWN");
    snprintf(out->error.message, sizeof(out->error.message), "%s", message != NULL ? message : "");
}

/* The message's text for nb_client_msg_t.json: the line itself when it is plain JSON
 * without whitespace (already what the compact dump of its tree would be, but for "-0"),
 * else the tree dumped. */
static char *message_text(nb_proto_lazy_t *m)
{
    if (m->json == NULL && m->compact) {
        return strndup(m->line, m->len);
    }
    json_t *tree = nb_proto_lazy_json(m);
    return tree != NULL ? json_dumps(tree, JSON_COMPACT) : NULL;
}

/* Turns a proto message into a client message; takes its fds. */
static int convert(nb_proto_lazy_t *m, nb_client_msg_t *out)
{
    const nb_proto_head_t *h = &m->head;

    memset(out, 0, sizeof(*out));
    if (h->event != NULL) {
        out->kind = NB_CLIENT_MSG_EVENT;
        size_t n = h->event_len < sizeof(out->event) ? h->event_len : sizeof(out->event) - 1;
        memcpy(out->event, h->event, n);
        out->event[n] = '\0';
    } else if (h->has_id || h->id_null) {
        out->kind = NB_CLIENT_MSG_REPLY;
        out->id = h->has_id ? h->id : -1;
        out->ok = h->ok == 1;
        if (!out->ok) {
            json_t *tree = nb_proto_lazy_json(m);
            if (tree == NULL) {
                return -ENOMEM;
            }
            fill_error(out, json_object_get(tree, "error"));
        }
    } else {
        return NB_PROTO_ERR_PROTO_PARSE;
    }
    out->json = message_text(m);
    if (out->json == NULL) {
        return -ENOMEM;
    }
    memcpy(out->fds, m->fds, m->nfds * sizeof(int));
    out->nfds = m->nfds;
    m->nfds = 0;
    return 0;
}

static int queue_push(nb_client_t *c, nb_proto_lazy_t *m)
{
    nb_client_msg_t msg;
    int r = convert(m, &msg);
    nb_proto_lazy_clear(m);
    if (r < 0) {
        return r;
    }
    if (c->qlen == c->qcap) {
        size_t cap = c->qcap == 0 ? 8 : c->qcap * 2;
        nb_client_msg_t *q = cap <= QUEUE_MAX ? malloc(cap * sizeof(*q)) : NULL;
        if (q == NULL) {
            nb_client_msg_clear(&msg);
            return -ENOBUFS;
        }
        for (size_t i = 0; i < c->qlen; i++) {
            q[i] = c->queue[(c->qhead + i) % c->qcap];
        }
        free(c->queue);
        c->queue = q;
        c->qcap = cap;
        c->qhead = 0;
    }
    c->queue[(c->qhead + c->qlen) % c->qcap] = msg;
    c->qlen++;
    return 0;
}

/* Takes the i-th queued message out of the ring, keeping the others in order. */
static void queue_take(nb_client_t *c, size_t i, nb_client_msg_t *ret)
{
    *ret = c->queue[(c->qhead + i) % c->qcap];
    for (size_t k = i; k > 0; k--) {
        c->queue[(c->qhead + k) % c->qcap] = c->queue[(c->qhead + k - 1) % c->qcap];
    }
    c->qhead = (c->qhead + 1) % c->qcap;
    c->qlen--;
}

int nb_client_next(nb_client_t *c, nb_client_msg_t *ret)
{
    if (c == NULL || ret == NULL) {
        return -EINVAL;
    }
    if (c->qlen == 0) {
        return 0;
    }
    queue_take(c, 0, ret);
    return 1;
}

int nb__client_take(nb_client_t *c,
                    bool (*match)(const nb_client_msg_t *, const void *),
                    const void *arg,
                    nb_client_msg_t *ret)
{
    for (size_t i = 0; i < c->qlen; i++) {
        if (match(&c->queue[(c->qhead + i) % c->qcap], arg)) {
            queue_take(c, i, ret);
            return 1;
        }
    }
    return 0;
}

void nb_client_msg_clear(nb_client_msg_t *msg)
{
    if (msg == NULL) {
        return;
    }
    for (size_t i = 0; i < msg->nfds; i++) {
        if (msg->fds[i] >= 0) {
            close(msg->fds[i]);
        }
    }
    free(msg->json);
    memset(msg, 0, sizeof(*msg));
}

int nb__client_wait(nb_client_t *c,
                    bool (*match)(const nb_client_msg_t *, const void *),
                    const void *arg,
                    int64_t deadline,
                    nb_client_msg_t *ret)
{
    for (;;) {
        int r = nb_client_process(c);
        if (nb__client_take(c, match, arg, ret)) {
            return 0;
        }
        if (r < 0) {
            return r;
        }
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        if (nb_client_wants_write(c)) {
            p.events |= POLLOUT;
        }
        int left = remaining_ms(deadline);
        if (left == 0) {
            return -ETIMEDOUT;
        }
        if (poll(&p, 1, left) < 0 && errno != EINTR) {
            return -errno;
        }
    }
}

static bool is_reply_to(const nb_client_msg_t *m, const void *arg)
{
    return m->kind == NB_CLIENT_MSG_REPLY && m->id == *(const int64_t *)arg;
}

int nb__client_call_json(nb_client_t *c,
                         const char *op,
                         json_t *args,
                         const int *fds,
                         size_t nfds,
                         int timeout_ms,
                         nb_client_msg_t *ret_reply,
                         nb_client_error_t *err)
{
    int64_t id, deadline = nb__deadline(timeout_ms);
    nb_client_msg_t reply;

    int r = nb__client_send_json(c, op, args, fds, nfds, &id, err);
    if (r < 0) {
        return r;
    }
    r = nb__client_wait(c, is_reply_to, &id, deadline, &reply);
    if (r < 0) {
        return nb__client_fail(err, r, "%s: %s", op,
                               r == -ETIMEDOUT ? "no reply from the daemon in time"
                                               : "the connection to the daemon is lost");
    }
    if (!reply.ok) {
        r = reply.error.code;
        if (err != NULL) {
            *err = reply.error;
        }
        nb_client_msg_clear(&reply);
        return r;
    }
    if (ret_reply != NULL) {
        *ret_reply = reply;
    } else {
        nb_client_msg_clear(&reply);
    }
    return 0;
}

int nb_client_call(nb_client_t *c,
                   const char *op,
                   const char *args_json,
                   const int *fds,
                   size_t nfds,
                   int timeout_ms,
                   nb_client_msg_t *ret_reply,
                   nb_client_error_t *err)
{
    json_t *args = NULL;
    int r = parse_args(args_json, &args, err);
    if (r < 0) {
        return r;
    }
    return nb__client_call_json(c, op, args, fds, nfds, timeout_ms, ret_reply, err);
}
