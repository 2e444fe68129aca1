/* test_daemon_takeover.c: `netbrokerd --takeover` (PROTOCOL.md 9.9) against a running
 * daemon without an fd store: servers with their runtime policy and counters, the same
 * listening sockets, parked fds and the connections still queued all move to the new
 * daemon, the control path answers throughout, and the old one exits 0. A takeover that
 * stops half-way (abort, or the new daemon gone) leaves the running daemon as it was. */
#include "dhelp.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define CONFIG                                                                                     \
    "{\"servers\":{\"cfg\":{\"host\":\"127.0.0.1\",\"port\":0,\"mode\":\"dispatch\"}},"            \
    "\"access\":[{\"uid\":0,\"allow\":[\"*\"]}]}"

typedef struct {
    dh_sd_daemon_t sd; /* no fd store: $FDSTORE unset */
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    dh_sd_daemon_init(&f->sd, CONFIG, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    dh_sd_daemon_free(&f->sd);
    free(f);
    return 0;
}

static json_t *ok(dh_client_t *c, const char *op, const char *args)
{
    json_t *r = dh_call(c, op, args, NULL, NULL);
    json_t *res = json_incref(dh_ok(r));
    json_decref(r);
    return res;
}

static json_t *listed(dh_client_t *c, const char *op, const char *key)
{
    json_t *res = ok(c, op, NULL);
    json_t *list = json_deep_copy(json_object_get(res, key));
    json_decref(res);
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s)
    {
        json_object_del(s, "connections"); /* what moves with each connection */
        json_object_del(s, "subscribers");
    }
    return list;
}

static void expect_served(dh_client_t *sub, int peer)
{
    dh_expect_dispatch(sub, peer);
    close(peer);
}

static int port_of(dh_client_t *c, const char *name)
{
    char args[64];
    snprintf(args, sizeof(args), "{\"name\":\"%s\"}", name);
    json_t *res = ok(c, "server.info", args);
    int port = (int)json_integer_value(json_object_get(res, "port"));
    json_decref(res);
    return port;
}

static void takeover(fx_t *f)
{
    pid_t old = f->sd.h.pid;
    dh_sd_spawn_takeover(&f->sd);
    dh_sd_expect(&f->sd.h, "READY=1");
    int status = dh_sd_expect_exit(&f->sd.h, old);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* What must move: the listing of servers, parked fds and global rules. */
static json_t *state_of(dh_client_t *c)
{
    return json_pack("{s:o,s:o,s:o}", "servers", listed(c, "server.list", "servers"), "fds",
                     listed(c, "fd.list", "fds"), "rules", listed(c, "blocklist.list", "rules"));
}

/* Runtime servers and policy, a global rule, a parked pipe (its write end returned), and
 * two connections queued on "cfg" (no subscriber), returned in queued. */
static int build_state(fx_t *f, dh_client_t *c, int queued[2])
{
    char args[256];
    json_decref(ok(c, "server.create", "{\"name\":\"rt\",\"host\":\"127.0.0.1\",\"port\":0}"));
    snprintf(args, sizeof(args), "{\"name\":\"unix\",\"path\":\"%s/u.sock\"}", f->sd.h.dir);
    json_decref(ok(c, "server.create", args));
    json_decref(ok(c, "server.set",
                   "{\"name\":\"cfg\",\"maxConnections\":9,\"blocklist\":"
                   "[{\"kind\":\"address\",\"address\":\"127.0.0.9\"}]}"));
    json_decref(
        ok(c, "blocklist.add", "{\"rules\":[{\"kind\":\"address\",\"address\":\"127.0.0.8\"}]}"));
    int p[2];
    assert_int_equal(pipe(p), 0);
    json_t *r = dh_reply(c, dh_send(c, "fd.store", "{\"name\":\"parked\"}", &p[0], 1), NULL, NULL);
    dh_ok(r);
    json_decref(r);
    close(p[0]);
    int port = port_of(c, "cfg");
    queued[0] = dh_tcp_connect(NULL, port);
    queued[1] = dh_tcp_connect(NULL, port);
    dh_wait_queued(c, "cfg", 2); /* they wait in the old daemon's queue */
    return p[1];
}

static uint64_t acquired_inode(dh_client_t *c, const char *name)
{
    char args[64];
    snprintf(args, sizeof(args), "{\"name\":\"%s\"}", name);
    int fd = dh_call_fd(c, "server.acquire", args);
    uint64_t ino = sdh_fd_inode(fd);
    assert_true(ino != 0);
    close(fd);
    return ino;
}

/* The parked pipe's read end, taken back, reads what its write end writes. */
static void expect_parked(dh_client_t *c, int wr)
{
    int fd = dh_call_fd(c, "fd.retrieve", "{\"name\":\"parked\"}");
    assert_int_equal(write(wr, "p", 1), 1);
    char b;
    assert_int_equal(read(fd, &b, 1), 1);
    close(fd);
}

static void test_takeover_moves_everything(void **state)
{
    fx_t *f = *state;
    int self_before = dh_self_fd_count(), queued[2];
    dh_sd_start(&f->sd);
    dh_client_t c, sub;
    dh_connect_path(&c, f->sd.control);
    int wr = build_state(f, &c, queued);
    uint64_t rt_inode = acquired_inode(&c, "rt");
    json_t *before = state_of(&c);
    assert_int_equal(json_array_size(json_object_get(before, "rules")), 1);
    dh_close(&c);

    takeover(f);
    dh_connect_path(&c, f->sd.control);
    json_t *after = state_of(&c);
    assert_true(json_equal(before, after)); /* 2 queued there and here, the global rule */
    assert_true(sdh_pid_holds_inode(f->sd.h.pid, rt_inode)); /* the same socket */
    json_t *st = ok(&c, "stats", "{\"server\":\"cfg\"}");
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(st, "servers"), 0), "accepted")),
                     2); /* counters move too */
    json_decref(st);
    dh_connect_path(&sub, f->sd.control);
    json_decref(ok(&sub, "server.subscribe", "{\"name\":\"cfg\"}"));
    expect_served(&sub, queued[0]);
    expect_served(&sub, queued[1]);
    expect_served(&sub, dh_tcp_connect(NULL, port_of(&c, "cfg"))); /* and it accepts */
    expect_parked(&c, wr);
    close(wr);
    char path[128];
    struct stat sst;
    assert_int_equal(lstat(f->sd.control, &sst), 0); /* the paths stayed */
    snprintf(path, sizeof(path), "%s/u.sock", f->sd.h.dir);
    assert_int_equal(lstat(path, &sst), 0);
    json_decref(before);
    json_decref(after);
    dh_close(&sub);
    dh_close(&c);
    assert_int_equal(kill(f->sd.h.pid, SIGTERM), 0);
    int status = dh_sd_expect_exit(&f->sd.h, f->sd.h.pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    sdh_store_clear(&f->sd.h); /* the parked fd's mirror, kept as systemd would */
    assert_int_equal(dh_self_fd_count(), self_before);
}

/* begin, every item, commit, then the new daemon goes away: the old one resumes. */
static void test_takeover_abort_resumes(void **state)
{
    fx_t *f = *state;
    dh_sd_start(&f->sd);
    dh_client_t c, t, other;
    dh_connect_path(&c, f->sd.control);
    dh_connect_path(&t, f->sd.control);
    int port = port_of(&c, "cfg");
    int before = sdh_pid_fd_count(f->sd.h.pid);
    json_t *res = ok(&t, "takeover.begin", NULL);
    json_int_t items = json_integer_value(json_object_get(res, "items"));
    json_decref(res);
    assert_int_equal(items, 2); /* the control socket, "cfg" */
    json_t *r = dh_call(&c, "server.create", "{\"name\":\"x\",\"host\":\"127.0.0.1\",\"port\":0}",
                        NULL, NULL);
    dh_assert_error(r, "EBUSY"); /* frozen */
    json_decref(r);
    dh_assert_error(r = dh_call(&c, "takeover.next", NULL, NULL, NULL), "ERR_NOT_FOUND");
    json_decref(r);
    dh_assert_error(r = dh_call(&t, "takeover.commit", NULL, NULL, NULL), "ERR_NOT_FOUND");
    json_decref(r); /* items not all taken */
    for (json_int_t i = 0; i <= items; i++) {
        int fds[1];
        size_t nfds = 0;
        r = dh_call(&t, "takeover.next", NULL, fds, &nfds);
        assert_int_equal(nfds, i < items ? 1 : 0);
        if (nfds == 1) {
            close(fds[0]);
        }
        json_decref(r);
    }
    json_decref(ok(&t, "takeover.commit", NULL));
    int early = dh_tcp_connect(NULL, port); /* waits in the kernel: nobody accepts now */
    dh_close(&t);                           /* the new daemon is gone: an abort */
    dh_connect_path(&other, f->sd.control);
    json_decref(ok(&other, "server.subscribe", "{\"name\":\"cfg\"}"));
    expect_served(&other, early);
    json_decref(ok(&c, "server.create", "{\"name\":\"x\",\"host\":\"127.0.0.1\",\"port\":0}"));
    json_decref(ok(&c, "server.close", "{\"name\":\"x\"}"));
    dh_close(&other);
    dh_expect_fd_count(&(dh_daemon_t){ .pid = f->sd.h.pid }, &c, before - 1); /* t is gone */
    dh_close(&c);
    assert_int_equal(kill(f->sd.h.pid, SIGTERM), 0);
    int status = dh_sd_expect_exit(&f->sd.h, f->sd.h.pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Nobody to take over: the new daemon says so and exits 1, leaving no path behind. */
static void test_takeover_without_daemon_fails(void **state)
{
    fx_t *f = *state;
    pid_t pid = dh_sd_spawn_takeover(&f->sd);
    int status = dh_sd_expect_exit(&f->sd.h, pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    assert_true(sdh_log_contains(&f->sd.h, "takeover: no daemon answers on"));
    struct stat st;
    assert_int_equal(lstat(f->sd.control, &st), -1);
}

/* Even with admin, a takeover is for root or the daemon's own uid (PROTOCOL.md 9.9). */
static void test_takeover_needs_root(void **state)
{
    fx_t *f = *state;
    if (geteuid() != 0) {
        fprintf(stderr, "not root: cannot become another uid\n");
        skip();
    }
    FILE *out = fopen(f->sd.config, "w");
    assert_non_null(out);
    fputs("{\"access\":[{\"uid\":0,\"allow\":[\"*\"]},{\"uid\":65534,\"allow\":[\"admin\"]}]}",
          out);
    fclose(out);
    assert_int_equal(chmod(f->sd.h.dir, 0711), 0);
    dh_sd_start(&f->sd);
    assert_int_equal(chown(f->sd.control, 0, 65534), 0); /* the socket's group lets nobody in */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0) {
            _exit(3);
        }
        dh_client_t c;
        dh_connect_path(&c, f->sd.control);
        json_t *r = dh_call(&c, "takeover.begin", NULL, NULL, NULL);
        dh_assert_error(r, "EACCES");
        json_decref(r);
        dh_close(&c);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid); /* its calls have deadlines */
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(kill(f->sd.h.pid, SIGTERM), 0);
    status = dh_sd_expect_exit(&f->sd.h, f->sd.h.pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_takeover_moves_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_takeover_abort_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_takeover_needs_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_takeover_without_daemon_fails, setup, teardown),
    };
    return cmocka_run_group_tests_name("daemon_takeover", tests, NULL, NULL);
}
