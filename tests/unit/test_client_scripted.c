/* test_client_scripted.c: libnetbroker against a scripted peer on a real socketpair. The
 * test plays the daemon: it reads the client's request lines (checked byte for byte),
 * and answers with the replies, events, fds, partial lines and breakages each case needs.
 * Request ids are predictable (hello is 1, then 2, 3...), so a reply can be written before
 * the call that waits for it, and every case runs in one thread without a race. Each case
 * counts this process's fds before and after. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "netbroker.h"
#include "test_proto_util.h"

#define HELLO_REQ "{\"id\":1,\"op\":\"hello\",\"args\":{\"version\":1}}"
#define HELLO_REPLY                                                                                \
    "{\"id\":1,\"ok\":true,\"result\":{\"version\":1,\"daemon\":\"scripted 1\","                   \
    "\"capabilities\":[\"hello\",\"server.info\",\"server.acquire\"]}}\n"
/* Generous: a deadline only a broken client reaches. */
#define DEADLINE_MS 10000

typedef struct {
    int peer; /* the daemon's end, played by the test */
    int sock; /* the client's end, until the client adopts it */
    nb_client_t *c;
    char buf[8192]; /* bytes from the client not yet taken as lines */
    size_t len;
    int fds[16]; /* fds from the client not yet taken */
    size_t nfds;
} script_t;

static void peer_write(script_t *s, const char *text)
{
    size_t len = strlen(text);
    assert_int_equal(write(s->peer, text, len), (ssize_t)len);
}

/* One recvmsg on the peer's end, waiting for it. */
static void peer_recv(script_t *s)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 16)];
    } control;
    struct iovec iov = { .iov_base = s->buf + s->len, .iov_len = sizeof(s->buf) - s->len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    struct pollfd p = { .fd = s->peer, .events = POLLIN };

    assert_int_equal(poll(&p, 1, DEADLINE_MS), 1);
    mh.msg_control = control.buf;
    mh.msg_controllen = sizeof(control.buf);
    ssize_t n = recvmsg(s->peer, &mh, MSG_CMSG_CLOEXEC);
    assert_true(n > 0);
    s->len += (size_t)n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        assert_true(s->nfds + k <= 16);
        memcpy(s->fds + s->nfds, CMSG_DATA(c), k * sizeof(int));
        s->nfds += k;
    }
}

/* The client's next request line must be exactly want (without its '\n'). */
static void peer_expect(script_t *s, const char *want)
{
    char *nl;
    while ((nl = memchr(s->buf, '\n', s->len)) == NULL) {
        peer_recv(s);
    }
    size_t n = (size_t)(nl - s->buf);
    *nl = '\0';
    assert_string_equal(s->buf, want);
    memmove(s->buf, nl + 1, s->len - n - 1);
    s->len -= n + 1;
}

/* Nothing more from the client, now. */
static void peer_expect_silence(script_t *s)
{
    struct pollfd p = { .fd = s->peer, .events = POLLIN };
    assert_int_equal(s->len, 0);
    assert_int_equal(poll(&p, 1, 0), 0);
}

static void script_open(script_t *s)
{
    int sv[2];
    memset(s, 0, sizeof(*s));
    make_pair(sv, 0);
    s->sock = sv[0];
    s->peer = sv[1];
}

/* The usual start: hello answered, the client ready. */
static void script_start(script_t *s)
{
    nb_client_error_t err;
    script_open(s);
    peer_write(s, HELLO_REPLY);
    assert_int_equal(nb_client_adopt_fd(s->sock, DEADLINE_MS, &s->c, &err), 0);
    s->sock = -1;
    peer_expect(s, HELLO_REQ);
    assert_string_equal(nb_client_daemon(s->c), "scripted 1");
    assert_int_equal(nb_client_protocol_version(s->c), 1);
}

static void script_close(script_t *s)
{
    nb_client_close(s->c);
    if (s->sock >= 0) {
        close(s->sock);
    }
    if (s->peer >= 0) {
        close(s->peer);
    }
    close_all(s->fds, s->nfds);
}

/* ---- hello ---------------------------------------------------------------------------- */

static void test_hello(void **state)
{
    (void)state;
    script_t s;
    script_start(&s);
    assert_true(nb_client_has_capability(s.c, "server.acquire"));
    assert_false(nb_client_has_capability(s.c, "server.create"));
    peer_expect_silence(&s);
    script_close(&s);
}

/* The daemon's hello reply decides whether the client adopts the socket; when it does not,
 * the fd stays the caller's. */
static void expect_hello_fails(const char *reply, int code, const char *name, const char *msg)
{
    script_t s;
    nb_client_error_t err;
    script_open(&s);
    peer_write(&s, reply);
    assert_int_equal(nb_client_adopt_fd(s.sock, DEADLINE_MS, &s.c, &err), code);
    assert_null(s.c);
    assert_int_equal(err.code, code);
    assert_string_equal(err.name, name);
    assert_string_equal(err.message, msg);
    peer_expect(&s, HELLO_REQ);
    assert_int_equal(fcntl(s.sock, F_GETFD), FD_CLOEXEC); /* still open, still ours */
    script_close(&s);
}

static void test_hello_refusals(void **state)
{
    (void)state;
    /* A version newer than the one asked for breaks PROTOCOL.md 6.5's min() rule. */
    expect_hello_fails("{\"id\":1,\"ok\":true,\"result\":{\"version\":2,\"capabilities\":[]}}\n",
                       NB_CLIENT_ERR_PROTO_VERSION, "ERR_PROTO_VERSION",
                       "the daemon answered hello with version 2");
    expect_hello_fails("{\"id\":1,\"ok\":true,\"result\":{\"version\":1}}\n",
                       NB_CLIENT_ERR_PROTO_VERSION, "ERR_PROTO_VERSION",
                       "the daemon answered hello with version 1 and no capabilities");
    expect_hello_fails("{\"id\":1,\"ok\":false,\"error\":{\"code\":\"ERR_PROTO_VERSION\","
                       "\"message\":\"no protocol version both sides speak\"}}\n",
                       NB_CLIENT_ERR_PROTO_VERSION, "ERR_PROTO_VERSION",
                       "no protocol version both sides speak");
    expect_hello_fails("{\"id\":1,\"ok\":false,\"error\":{\"code\":\"EACCES\","
                       "\"message\":\"uid 1000 may not connect\"}}\n",
                       -EACCES, "EACCES", "uid 1000 may not connect");
}

static void test_adopt_bad_arguments(void **state)
{
    (void)state;
    nb_client_t *c = NULL;
    nb_client_error_t err;
    assert_int_equal(nb_client_adopt_fd(-1, 0, &c, &err), -EBADF);
    assert_string_equal(err.name, "EBADF");
    assert_int_equal(nb_client_adopt_fd(0, 0, NULL, &err), -EINVAL);
    assert_null(c);
}

/* ---- blocking calls -------------------------------------------------------------------- */

static void test_call_reply(void **state)
{
    (void)state;
    script_t s;
    nb_client_msg_t reply;
    nb_client_error_t err;
    script_start(&s);
    peer_write(&s, "{\"id\":2,\"ok\":true,\"result\":{\"name\":\"web\",\"port\":8080}}\n");
    assert_int_equal(nb_client_call(s.c, "server.info", "{\"name\":\"web\"}", NULL, 0, DEADLINE_MS,
                                    &reply, &err),
                     0);
    peer_expect(&s, "{\"id\":2,\"op\":\"server.info\",\"args\":{\"name\":\"web\"}}");
    assert_int_equal(reply.kind, NB_CLIENT_MSG_REPLY);
    assert_int_equal(reply.id, 2);
    assert_true(reply.ok);
    assert_string_equal(reply.json,
                        "{\"id\":2,\"ok\":true,\"result\":{\"name\":\"web\",\"port\":8080}}");
    assert_int_equal(reply.nfds, 0);
    nb_client_msg_clear(&reply);
    script_close(&s);
}

/* Error replies reach the caller as the wire's code, name and message. */
static void expect_call_error(script_t *s, int64_t id, const char *code_name, int code)
{
    char reply[256], req[128];
    nb_client_error_t err;
    snprintf(
        reply, sizeof(reply),
        "{\"id\":%lld,\"ok\":false,\"error\":{\"code\":\"%s\",\"message\":\"said \\\"no\\\"\"}}\n",
        (long long)id, code_name);
    peer_write(s, reply);
    assert_int_equal(nb_client_call(s->c, "frob.nicate", NULL, NULL, 0, DEADLINE_MS, NULL, &err),
                     code);
    snprintf(req, sizeof(req), "{\"id\":%lld,\"op\":\"frob.nicate\"}", (long long)id);
    peer_expect(s, req);
    assert_int_equal(err.code, code);
    assert_string_equal(err.name, code_name);
    assert_string_equal(err.message, "said \"no\"");
}

static void test_call_errors(void **state)
{
    (void)state;
    script_t s;
    script_start(&s);
    expect_call_error(&s, 2, "ERR_UNKNOWN_OP", NB_CLIENT_ERR_UNKNOWN_OP);
    expect_call_error(&s, 3, "ENOENT", -ENOENT);
    expect_call_error(&s, 4, "ERR_SERVER_ALREADY_LISTEN", NB_CLIENT_ERR_UNKNOWN); /* not ours */
    expect_call_error(&s, 5, "ERR_FROM_A_NEWER_DAEMON", NB_CLIENT_ERR_UNKNOWN);
    script_close(&s);
}

/* A request this library can check is refused before it leaves, in the daemon's words. */
static void test_call_validated_locally(void **state)
{
    (void)state;
    script_t s;
    nb_client_error_t err;
    script_start(&s);
    assert_int_equal(nb_client_call(s.c, "server.acquire", "{}", NULL, 0, DEADLINE_MS, NULL, &err),
                     NB_CLIENT_ERR_MISSING_ARGS);
    assert_string_equal(err.name, "ERR_MISSING_ARGS");
    assert_int_equal(nb_client_call(s.c, "server.info", "[1]", NULL, 0, DEADLINE_MS, NULL, &err),
                     NB_CLIENT_ERR_INVALID_ARG_TYPE);
    peer_expect_silence(&s);
    script_close(&s);
}

/* An event between the request and its reply waits for nb_client_next. */
static void test_event_between_request_and_reply(void **state)
{
    (void)state;
    script_t s;
    nb_client_msg_t m;
    nb_client_error_t err;
    script_start(&s);
    peer_write(&s, "{\"event\":\"drop\",\"server\":\"web\",\"reason\":\"blocklist\"}\n"
                   "{\"id\":2,\"ok\":true,\"result\":{}}\n");
    assert_int_equal(nb_client_call(s.c, "stats", NULL, NULL, 0, DEADLINE_MS, NULL, &err), 0);
    peer_expect(&s, "{\"id\":2,\"op\":\"stats\"}");
    assert_int_equal(nb_client_next(s.c, &m), 1);
    assert_int_equal(m.kind, NB_CLIENT_MSG_EVENT);
    assert_string_equal(m.event, "drop");
    assert_string_equal(m.json, "{\"event\":\"drop\",\"server\":\"web\",\"reason\":\"blocklist\"}");
    nb_client_msg_clear(&m);
    assert_int_equal(nb_client_next(s.c, &m), 0);
    script_close(&s);
}

/* ---- fds --------------------------------------------------------------------------------- */

static void test_reply_with_fd(void **state)
{
    (void)state;
    script_t s;
    nb_client_error_t err;
    int file, got = -1;
    script_start(&s);
    make_files(&file, 1);
    const char reply[] = "{\"id\":2,\"ok\":true,\"result\":{},\"fds\":1}\n";
    send_raw(s.peer, reply, sizeof(reply) - 1, &file, 1);
    assert_int_equal(nb_client_acquire(s.c, "web", DEADLINE_MS, &got, &err), 0);
    peer_expect(&s, "{\"id\":2,\"op\":\"server.acquire\",\"args\":{\"name\":\"web\"}}");
    assert_true(same_file(got, file));
    assert_int_equal(fcntl(got, F_GETFD), FD_CLOEXEC);
    close(got);
    close(file);
    script_close(&s);
}

/* A reply whose fd this process has no room for (MSG_CTRUNC): that call fails with
 * EMFILE, nothing leaks, and the connection goes on (PROTOCOL.md 11). */
static void test_reply_fd_no_room(void **state)
{
    (void)state;
    script_t s;
    nb_client_error_t err;
    int file, got = -1;
    script_start(&s);
    make_files(&file, 1);
    const char lost[] = "{\"id\":2,\"ok\":true,\"result\":{},\"fds\":1}\n";
    const char kept[] = "{\"id\":3,\"ok\":true,\"result\":{},\"fds\":1}\n";
    send_raw(s.peer, lost, sizeof(lost) - 1, &file, 1);
    int before = count_fds();
    struct rlimit was;
    if (!leave_room(&was, 0)) {
        close(file);
        script_close(&s);
        skip();
    }
    int r = nb_client_acquire(s.c, "web", DEADLINE_MS, &got, &err);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
    assert_int_equal(r, -EMFILE);
    assert_string_equal(err.name, "EMFILE");
    assert_int_equal(got, -1);
    assert_int_equal(count_fds(), before);
    peer_expect(&s, "{\"id\":2,\"op\":\"server.acquire\",\"args\":{\"name\":\"web\"}}");
    send_raw(s.peer, kept, sizeof(kept) - 1, &file, 1);
    assert_int_equal(nb_client_acquire(s.c, "web", DEADLINE_MS, &got, &err), 0);
    peer_expect(&s, "{\"id\":3,\"op\":\"server.acquire\",\"args\":{\"name\":\"web\"}}");
    assert_true(same_file(got, file));
    close(got);
    close(file);
    script_close(&s);
}

/* A reply with the wrong number of fds for acquire: an error, and every fd closed. */
static void test_reply_with_wrong_fds(void **state)
{
    (void)state;
    script_t s;
    nb_client_error_t err;
    int files[2], got = -1;
    script_start(&s);
    make_files(files, 2);
    const char none[] = "{\"id\":2,\"ok\":true,\"result\":{}}\n";
    const char two[] = "{\"id\":3,\"ok\":true,\"result\":{},\"fds\":2}\n";
    peer_write(&s, none);
    assert_int_equal(nb_client_acquire(s.c, "web", DEADLINE_MS, &got, &err),
                     NB_CLIENT_ERR_PROTO_FDS);
    assert_string_equal(err.message, "server.acquire: the reply carries 0 fds, not 1");
    send_raw(s.peer, two, sizeof(two) - 1, files, 2);
    int before = count_fds();
    assert_int_equal(nb_client_acquire(s.c, "web", DEADLINE_MS, &got, &err),
                     NB_CLIENT_ERR_PROTO_FDS);
    assert_int_equal(count_fds(), before); /* both that came were closed */
    assert_int_equal(got, -1);
    close_all(files, 2);
    script_close(&s);
}

/* fd.store sends a duplicate with the request; the caller's fd stays open. */
static void test_request_with_fd(void **state)
{
    (void)state;
    script_t s;
    nb_client_error_t err;
    int file;
    script_start(&s);
    make_files(&file, 1);
    peer_write(&s, "{\"id\":2,\"ok\":true,\"result\":{}}\n");
    assert_int_equal(nb_client_fd_store(s.c, "parked", file, 0, false, DEADLINE_MS, &err), 0);
    peer_expect(&s, "{\"id\":2,\"op\":\"fd.store\",\"args\":{\"name\":\"parked\"},\"fds\":1}");
    assert_int_equal(s.nfds, 1);
    assert_true(same_file(s.fds[0], file));
    assert_int_equal(fcntl(file, F_GETFD), FD_CLOEXEC);
    close(file);
    script_close(&s);
}

static void test_next_connection(void **state)
{
    (void)state;
    script_t s;
    nb_client_connection_t conn;
    nb_client_error_t err;
    int file;
    script_start(&s);
    make_files(&file, 1);
    const char ev[] =
        "{\"event\":\"connection\",\"remoteAddress\":\"127.0.0.1\",\"remotePort\":"
        "40000,\"remoteFamily\":\"IPv4\",\"localAddress\":\"127.0.0.1\",\"localPort\":"
        "8080,\"localFamily\":\"IPv4\",\"server\":\"web\",\"fds\":1}\n";
    send_raw(s.peer, ev, sizeof(ev) - 1, &file, 1);
    assert_int_equal(nb_client_next_connection(s.c, DEADLINE_MS, &conn, &err), 0);
    assert_true(same_file(conn.fd, file));
    assert_string_equal(conn.server, "web");
    assert_string_equal(conn.remote_address, "127.0.0.1");
    assert_int_equal(conn.remote_port, 40000);
    assert_string_equal(conn.remote_family, "IPv4");
    assert_int_equal(conn.local_port, 8080);
    close(conn.fd);
    close(file);
    script_close(&s);
}

/* ---- the non-blocking API, driven by poll ------------------------------------------------ */

/* Polls the client's fd as an event loop would, then processes. */
static void client_poll(script_t *s)
{
    struct pollfd p = { .fd = nb_client_fileno(s->c), .events = POLLIN };
    if (nb_client_wants_write(s->c)) {
        p.events |= POLLOUT;
    }
    assert_int_equal(poll(&p, 1, DEADLINE_MS), 1);
    assert_int_equal(nb_client_process(s->c), 0);
}

/* A request's fd goes out as the caller's own when nothing is queued: no duplicate is
 * made (no fd can be, here: every number under the limit is taken) and none is closed. */
static void test_request_fd_without_dup(void **state)
{
    (void)state;
    script_t s;
    nb_client_error_t err;
    int file;
    script_start(&s);
    make_files(&file, 1);
    peer_write(&s, "{\"id\":2,\"ok\":true,\"result\":{}}\n");
    int before = count_fds();
    struct rlimit old, full;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    int lowest_free = fcntl(0, F_DUPFD_CLOEXEC, 0);
    assert_true(lowest_free >= 0);
    close(lowest_free);
    full = old;
    full.rlim_cur = (rlim_t)lowest_free;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &full), 0);
    assert_int_equal(fcntl(file, F_DUPFD_CLOEXEC, 0), -1); /* no fd to spare, truly */
    int r = nb_client_fd_store(s.c, "parked", file, 0, false, DEADLINE_MS, &err);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    assert_int_equal(r, 0);
    assert_int_equal(count_fds(), before); /* the request's fd is still the caller's */
    peer_expect(&s, "{\"id\":2,\"op\":\"fd.store\",\"args\":{\"name\":\"parked\"},\"fds\":1}");
    assert_int_equal(s.nfds, 1);
    assert_true(same_file(s.fds[0], file));
    close(file);
    script_close(&s);
}

/* With the socket full the request waits in the queue with a duplicate of its fd (the
 * caller's may close at once), sent and closed once the peer reads. */
static void test_request_fd_queued(void **state)
{
    (void)state;
    script_t s;
    nb_client_error_t err;
    int file;
    int64_t id;
    char junk[4096] = { 0 };
    size_t filled = 0;
    ssize_t n;
    script_start(&s);
    make_files(&file, 1);
    while ((n = send(nb_client_fileno(s.c), junk, sizeof(junk), MSG_DONTWAIT)) > 0) {
        filled += (size_t)n; /* the peer drops these bytes before the request's */
    }
    assert_true(n < 0 && errno == EAGAIN);
    int before = count_fds();
    assert_int_equal(nb_client_send(s.c, "fd.store", "{\"name\":\"parked\"}", &file, 1, &id, &err),
                     0);
    assert_true(nb_client_wants_write(s.c));
    assert_int_equal(count_fds(), before + 1); /* the queued duplicate */
    close(file);
    while (filled > 0) {
        n = read(s.peer, junk, filled < sizeof(junk) ? filled : sizeof(junk));
        assert_true(n > 0);
        filled -= (size_t)n;
    }
    while (nb_client_wants_write(s.c)) {
        client_poll(&s);
    }
    assert_int_equal(count_fds(), before - 1); /* duplicate sent and closed; ours closed */
    peer_expect(&s, "{\"id\":2,\"op\":\"fd.store\",\"args\":{\"name\":\"parked\"},\"fds\":1}");
    assert_int_equal(s.nfds, 1);
    script_close(&s);
}

/* A reply and an event written a byte at a time: nothing is handed out before its '\n'. */
static void test_nonblocking_partial_lines(void **state)
{
    (void)state;
    script_t s;
    nb_client_msg_t m;
    nb_client_error_t err;
    int64_t id;
    script_start(&s);
    assert_int_equal(nb_client_send(s.c, "server.info", "{\"name\":\"web\"}", NULL, 0, &id, &err),
                     0);
    assert_int_equal(id, 2);
    peer_expect(&s, "{\"id\":2,\"op\":\"server.info\",\"args\":{\"name\":\"web\"}}");
    const char text[] = "{\"id\":2,\"ok\":true,\"result\":{\"name\":\"w\\u00e9b\"}}\n"
                        "{\"event\":\"close\",\"server\":\"web\"}\n";
    size_t first_nl = strchr(text, '\n') - text;
    for (size_t i = 0; i < sizeof(text) - 1; i++) {
        char byte[2] = { text[i], '\0' };
        assert_int_equal(nb_client_next(s.c, &m), 0);
        peer_write(&s, byte);
        client_poll(&s);
        if (i == first_nl) {
            assert_int_equal(nb_client_next(s.c, &m), 1);
            assert_int_equal(m.kind, NB_CLIENT_MSG_REPLY);
            assert_int_equal(m.id, 2);
            /* Not plain JSON (an escape): the text is the tree's compact dump. */
            assert_string_equal(m.json, "{\"id\":2,\"ok\":true,\"result\":{\"name\":\"w\xc3\xa9"
                                        "b\"}}");
            nb_client_msg_clear(&m);
        }
    }
    assert_int_equal(nb_client_next(s.c, &m), 1);
    assert_int_equal(m.kind, NB_CLIENT_MSG_EVENT);
    assert_string_equal(m.event, "close");
    nb_client_msg_clear(&m);
    script_close(&s);
}

/* Pipelined requests answered out of order: each reply carries its id. */
static void test_nonblocking_pipelined(void **state)
{
    (void)state;
    script_t s;
    nb_client_msg_t m;
    int64_t a, b;
    script_start(&s);
    assert_int_equal(nb_client_send(s.c, "stats", NULL, NULL, 0, &a, NULL), 0);
    assert_int_equal(nb_client_send(s.c, "server.list", NULL, NULL, 0, &b, NULL), 0);
    peer_expect(&s, "{\"id\":2,\"op\":\"stats\"}");
    peer_expect(&s, "{\"id\":3,\"op\":\"server.list\"}");
    peer_write(&s, "{\"id\":3,\"ok\":true,\"result\":{\"servers\":[]}}\n"
                   "{\"id\":2,\"ok\":true,\"result\":{}}\n");
    while (nb_client_next(s.c, &m) == 0) {
        client_poll(&s);
    }
    assert_int_equal(m.id, b);
    nb_client_msg_clear(&m);
    while (nb_client_next(s.c, &m) == 0) {
        client_poll(&s);
    }
    assert_int_equal(m.id, a);
    nb_client_msg_clear(&m);
    script_close(&s);
}

/* ---- a peer that breaks the protocol, or goes --------------------------------------------- */

/* text from the peer, which then shuts its side (hangup) or stays. */
static void expect_broken(const char *text, bool hangup, int code)
{
    script_t s;
    nb_client_error_t err;
    script_start(&s);
    peer_write(&s, text);
    if (hangup) {
        assert_int_equal(shutdown(s.peer, SHUT_WR), 0);
    }
    assert_int_equal(nb_client_call(s.c, "stats", NULL, NULL, 0, DEADLINE_MS, NULL, &err), code);
    assert_int_equal(err.code, code);
    assert_string_equal(err.message, "stats: the connection to the daemon is lost");
    /* Sticky: the client is unusable, and says so at once. */
    assert_int_equal(nb_client_process(s.c), code);
    assert_int_equal(nb_client_call(s.c, "stats", NULL, NULL, 0, DEADLINE_MS, NULL, &err), code);
    assert_string_equal(err.message, "the connection to the daemon is lost");
    script_close(&s);
}

static void test_peer_breaks_protocol(void **state)
{
    (void)state;
    expect_broken("this is not JSON\n", false, NB_CLIENT_ERR_PROTO_PARSE);
    expect_broken("{\"neither\":\"reply nor event\"}\n", false, NB_CLIENT_ERR_PROTO_PARSE);
    expect_broken("{\"id\":2,\"ok\":true,\"result\":{},\"fds\":1}\n", false,
                  NB_CLIENT_ERR_PROTO_FDS);
    expect_broken("{\"id\":2,\"ok\":true,\"s\":\"\xc3\x28\"}\n", false, NB_CLIENT_ERR_PROTO_UTF8);
    expect_broken("{\"id\":2,\"id\":2}\n", false, NB_CLIENT_ERR_PROTO_PARSE);
}

/* A reply longer than the 64 KiB line limit: the stream cannot be trusted past it. */
static void test_peer_oversized_reply(void **state)
{
    (void)state;
    size_t n = 70 * 1024;
    char *text = malloc(n + 64);
    assert_non_null(text);
    int head = snprintf(text, 64, "{\"id\":2,\"ok\":true,\"result\":{\"s\":\"");
    memset(text + head, 'x', n);
    strcpy(text + head + n, "\"}}\n");
    expect_broken(text, false, NB_CLIENT_ERR_PROTO_TOO_LARGE);
    free(text);
}

static void test_peer_closes_mid_reply(void **state)
{
    (void)state;
    expect_broken("{\"id\":2,\"ok\":tr", true, -ECONNRESET);
    expect_broken("", true, -ECONNRESET);
}

/* Replies written before the peer closes are still delivered, then the loss is reported. */
static void test_peer_answers_then_closes(void **state)
{
    (void)state;
    script_t s;
    nb_client_error_t err;
    script_start(&s);
    peer_write(&s, "{\"id\":2,\"ok\":true,\"result\":{}}\n");
    assert_int_equal(shutdown(s.peer, SHUT_WR), 0);
    assert_int_equal(nb_client_call(s.c, "daemon.shutdown", NULL, NULL, 0, DEADLINE_MS, NULL, &err),
                     0);
    assert_int_equal(nb_client_process(s.c), -ECONNRESET);
    script_close(&s);
}

/* Events with fds that the program never takes: closing the client closes them. */
static void test_close_with_queued_fds(void **state)
{
    (void)state;
    script_t s;
    int files[2];
    script_start(&s);
    make_files(files, 2);
    int before = count_fds();
    const char ev[] = "{\"event\":\"connection\",\"server\":\"web\",\"fds\":1}\n";
    send_raw(s.peer, ev, sizeof(ev) - 1, &files[0], 1);
    send_raw(s.peer, ev, sizeof(ev) - 1, &files[1], 1);
    while (count_fds() < before + 2) {
        client_poll(&s);
    }
    assert_int_equal(count_fds(), before + 2); /* both held, in queued messages */
    nb_client_close(s.c);
    s.c = NULL;
    assert_int_equal(count_fds(), before - 1); /* both, and the control socket */
    close_all(files, 2);
    script_close(&s);
}

/* No answer in time: -ETIMEDOUT; a late reply is then kept for nb_client_next. */
static void test_call_timeout(void **state)
{
    (void)state;
    script_t s;
    nb_client_msg_t m;
    nb_client_error_t err;
    script_start(&s);
    assert_int_equal(nb_client_call(s.c, "stats", NULL, NULL, 0, 20, NULL, &err), -ETIMEDOUT);
    assert_string_equal(err.message, "stats: no reply from the daemon in time");
    peer_expect(&s, "{\"id\":2,\"op\":\"stats\"}");
    peer_write(&s, "{\"id\":2,\"ok\":true,\"result\":{}}\n");
    while (nb_client_next(s.c, &m) == 0) {
        client_poll(&s);
    }
    assert_int_equal(m.id, 2);
    nb_client_msg_clear(&m);
    script_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FD_TEST(test_hello),
        FD_TEST(test_hello_refusals),
        FD_TEST(test_adopt_bad_arguments),
        FD_TEST(test_call_reply),
        FD_TEST(test_call_errors),
        FD_TEST(test_call_validated_locally),
        FD_TEST(test_event_between_request_and_reply),
        FD_TEST(test_reply_with_fd),
        FD_TEST(test_reply_with_wrong_fds),
        FD_TEST(test_reply_fd_no_room),
        FD_TEST(test_request_with_fd),
        FD_TEST(test_request_fd_without_dup),
        FD_TEST(test_request_fd_queued),
        FD_TEST(test_next_connection),
        FD_TEST(test_nonblocking_partial_lines),
        FD_TEST(test_nonblocking_pipelined),
        FD_TEST(test_peer_breaks_protocol),
        FD_TEST(test_peer_oversized_reply),
        FD_TEST(test_peer_closes_mid_reply),
        FD_TEST(test_peer_answers_then_closes),
        FD_TEST(test_close_with_queued_fds),
        FD_TEST(test_call_timeout),
    };
    return cmocka_run_group_tests_name("client_scripted", tests, NULL, NULL);
}
