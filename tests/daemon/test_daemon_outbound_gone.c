/* test_daemon_outbound_gone.c: socket.connect's reply when its client has hung up. Found by
 * fuzz_dispatcher's pipelined hangups: the reply's failed send cuts the client off, which
 * finishes the client's pending connects, the one being answered included; the answering
 * path then finished it a second time (libuv's uv_close on a closing handle: an abort).
 * The daemon's modules run in-process on a real loop, so that the test decides what the
 * loop sees first: the connect's timer (timers run before I/O in a loop turn) or the
 * hangup. The connect goes to a loopback listener whose backlog is full, so it stays
 * pending until its timeout. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"

#define DEADLINE_MS        10000
#define CONNECT_TIMEOUT_MS 20

typedef struct {
    char dir[64];
    char control[96]; /* fits sun_path: the temp dir's name is short */
    nb_daemon_t d;
    uv_loop_t loop;
    int target;   /* the loopback listener, backlog full */
    int filler;   /* the connection that fills it */
    int client;   /* the control connection */
    int fds_idle; /* the process's fds with the daemon up and no client */
} fx_t;

static int count_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    int n = 0;
    assert_non_null(dir);
    while (readdir(dir) != NULL) {
        n++;
    }
    closedir(dir);
    return n;
}

static uint64_t now_ms(void)
{
    return uv_hrtime() / 1000000;
}

/* Runs the daemon's loop a turn at a time (never waiting in it) until done(f) holds. */
static void turn_until(fx_t *f, bool (*done)(fx_t *f))
{
    uint64_t end = now_ms() + DEADLINE_MS;
    while (!done(f)) {
        assert_true(now_ms() < end);
        uv_run(&f->loop, UV_RUN_NOWAIT);
        (void)poll(NULL, 0, 1); /* let the kernel and the thread pool move */
    }
}

static bool client_reading(fx_t *f)
{
    return f->d.nclients == 1 && uv_is_active((uv_handle_t *)&f->d.clients->poll);
}

static bool connect_pending(fx_t *f)
{
    return f->d.outbound != NULL;
}

static bool all_gone(fx_t *f)
{
    return f->d.nclients == 0 && f->d.outbound == NULL && count_fds() == f->fds_idle;
}

/* A listener on 127.0.0.1 with room for one queued connection, and that one made: the
 * daemon's SYN is dropped, its connect stays pending. */
static int full_listener(int *ret_filler)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(listen(fd, 0), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    *ret_filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(*ret_filler, (struct sockaddr *)&sin, sizeof(sin)), 0);
    struct pollfd p = { .fd = fd, .events = POLLIN };
    assert_int_equal(poll(&p, 1, DEADLINE_MS), 1); /* queued: the backlog is full */
    return fd;
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    char msg[512];
    assert_non_null(f);
    signal(SIGPIPE, SIG_IGN);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("LISTEN_FDS");
    nb_log_set_level(LOG_EMERG);
    snprintf(f->dir, sizeof(f->dir), "/tmp/nb-obgone.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->control, sizeof(f->control), "%s/control.sock", f->dir);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->d.loop = &f->loop;
    f->d.self_uid = geteuid();
    f->d.config = nb_config_load(NULL, msg, sizeof(msg));
    assert_non_null(f->d.config);
    assert_int_equal(nb_control_start(&f->d, f->control), 0);
    assert_int_equal(nb_config_apply(&f->d, f->d.config, NULL, msg, sizeof(msg)), 0);
    f->target = full_listener(&f->filler);
    f->fds_idle = count_fds();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    while (f->d.servers != NULL) {
        nb_srv_close(f->d.servers);
    }
    nb_fdstore_clear(&f->d);
    nb_outbound_cancel_all(&f->d);
    nb_resolve_cancel_all(&f->d);
    nb_handover_free(&f->d);
    nb_control_stop(&f->d);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    nb_acl_clear(&f->d.acl);
    nc_blocklist_unref(f->d.global_bl);
    json_decref(f->d.global_rules);
    json_decref(f->d.config);
    free(f->d.handover);
    close(f->target);
    close(f->filler);
    unlink(f->control);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Sends a line and waits, turning the loop, for the reply that starts with want. */
static void request(fx_t *f, const char *line, const char *want)
{
    char buf[4096];
    size_t got = 0;
    uint64_t end = now_ms() + DEADLINE_MS;
    assert_int_equal(send(f->client, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
    while (memchr(buf, '\n', got) == NULL) {
        assert_true(now_ms() < end && got < sizeof(buf));
        uv_run(&f->loop, UV_RUN_NOWAIT);
        ssize_t n = recv(f->client, buf + got, sizeof(buf) - got, MSG_DONTWAIT);
        assert_true(n > 0 || (n < 0 && errno == EAGAIN));
        got += n > 0 ? (size_t)n : 0;
        (void)poll(NULL, 0, 1);
    }
    assert_memory_equal(buf, want, strlen(want));
}

/* A client whose socket.connect is pending, then hangs up (the daemon not told yet). */
static void connect_then_hang_up(fx_t *f)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    char line[256];
    assert_int_equal(getsockname(f->target, (struct sockaddr *)&sin, &len), 0);
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", f->control);
    f->client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(f->client, (struct sockaddr *)&un, sizeof(un)), 0);
    turn_until(f, client_reading);
    request(f, "{\"id\":0,\"op\":\"hello\",\"args\":{\"version\":1}}\n", "{\"id\":0,\"ok\":true");
    snprintf(line, sizeof(line),
             "{\"id\":1,\"op\":\"socket.connect\",\"args\":{\"host\":\"127.0.0.1\",\"port\":%d,"
             "\"timeout\":%d}}\n",
             ntohs(sin.sin_port), CONNECT_TIMEOUT_MS);
    assert_int_equal(send(f->client, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
    turn_until(f, connect_pending);
    close(f->client);
}

/* The connect times out after the hangup, before the loop reads the hangup: the timeout's
 * reply fails, and the client and its connect go once. */
static void test_timeout_reply_to_a_gone_client(void **state)
{
    fx_t *f = *state;
    connect_then_hang_up(f);
    /* The timer is due before the loop turns again; the turn runs it before any I/O. */
    uint64_t due = now_ms() + CONNECT_TIMEOUT_MS + 1;
    while (now_ms() <= due) {
        (void)poll(NULL, 0, CONNECT_TIMEOUT_MS);
    }
    uv_run(&f->loop, UV_RUN_NOWAIT);
    turn_until(f, all_gone);
}

/* The daemon stops with the connect pending and its client gone: ABORT_ERR's reply fails
 * the same way. */
static void test_stop_reply_to_a_gone_client(void **state)
{
    fx_t *f = *state;
    connect_then_hang_up(f);
    nb_outbound_cancel_all(&f->d);
    assert_null(f->d.outbound);
    turn_until(f, all_gone);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_timeout_reply_to_a_gone_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_reply_to_a_gone_client, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
