/* test_daemon_restart.c: restarts through systemd's fd store (played by sdharness.c)
 * keep every server with its policy (runtime changes included), listening on the very
 * same socket, and every parked fd; connections that arrive while the daemon is down
 * (SIGTERM or SIGKILL) wait in the kernel and are served afterwards. */
#include "dhelp.h"

#include <errno.h>
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
    dh_sd_daemon_t sd;
    dh_client_t c;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    dh_sd_daemon_init(&f->sd, CONFIG, NULL);
    f->sd.h.fdstore_max = 64;
    f->c.fd = -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    if (f->c.fd >= 0) {
        dh_close(&f->c);
    }
    dh_sd_daemon_free(&f->sd);
    free(f);
    return 0;
}

/* One request on the fixture's client, the harness pumped before and after (dhelp.h). */
static json_t *call(fx_t *f, const char *op, const char *args, int *fds, size_t *nfds)
{
    return dh_sd_call(&f->sd, &f->c, op, args, fds, nfds);
}

static void ok(fx_t *f, const char *op, const char *args)
{
    dh_sd_call_ok(&f->sd, &f->c, op, args);
}

static void connect_daemon(fx_t *f)
{
    if (f->c.fd >= 0) {
        dh_close(&f->c);
    }
    dh_connect_path(&f->c, f->sd.control);
}

/* server.list without what counts connections: the state that must survive. */
static json_t *server_state(fx_t *f)
{
    json_t *r = call(f, "server.list", NULL, NULL, NULL);
    json_t *list = json_deep_copy(json_object_get(dh_ok(r), "servers"));
    json_decref(r);
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s)
    {
        json_object_del(s, "connections");
        json_object_del(s, "queued");
        json_object_del(s, "subscribers");
    }
    return list;
}

/* The parked fds, and the global blocklist with its runtime changes. */
static json_t *fd_state(fx_t *f)
{
    json_t *r = call(f, "fd.list", NULL, NULL, NULL);
    json_t *list = json_pack("{s:O}", "fds", json_object_get(dh_ok(r), "fds"));
    json_decref(r);
    r = call(f, "blocklist.list", NULL, NULL, NULL);
    json_object_set(list, "blocklist", json_object_get(dh_ok(r), "rules"));
    assert_int_equal(json_array_size(json_object_get(list, "blocklist")), 1);
    json_decref(r);
    return list;
}

static int port_of(const json_t *list, const char *name)
{
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "name")), name) == 0) {
            return (int)json_integer_value(json_object_get(s, "port"));
        }
    }
    fail_msg("no server '%s'", name);
    return -1;
}

/* Servers made and changed at runtime, and parked fds; returns the pipe's write end. */
static int build_state(fx_t *f)
{
    char args[512];
    ok(f, "server.create", "{\"name\":\"rt\",\"host\":\"127.0.0.1\",\"port\":0}");
    ok(f, "server.create",
       "{\"name\":\"disp\",\"host\":\"127.0.0.1\",\"port\":0,\"mode\":\"dispatch\","
       "\"maxConnections\":7,\"blocklist\":[{\"kind\":\"address\",\"address\":\"127.0.0.9\"}]}");
    snprintf(args, sizeof(args), "{\"name\":\"unix\",\"path\":\"%s/unix.sock\"}", f->sd.h.dir);
    ok(f, "server.create", args);
    ok(f, "server.create", "{\"name\":\"gone\",\"host\":\"127.0.0.1\",\"port\":0}");
    ok(f, "server.set", "{\"name\":\"cfg\",\"queueLimit\":5,\"maxConnections\":3}");
    ok(f, "server.close", "{\"name\":\"gone\"}");
    ok(f, "blocklist.add", "{\"rules\":[{\"kind\":\"address\",\"address\":\"127.0.0.8\"}]}");
    int p[2];
    assert_int_equal(pipe(p), 0);
    json_t *r =
        dh_reply(&f->c, dh_send(&f->c, "fd.store", "{\"name\":\"parked\"}", &p[0], 1), NULL, NULL);
    dh_ok(r);
    json_decref(r);
    close(p[0]);
    r = dh_reply(&f->c,
                 dh_send(&f->c, "fd.store", "{\"name\":\"later\",\"timeout\":3600000}", &p[1], 1),
                 NULL, NULL);
    dh_ok(r);
    json_decref(r);
    /* every state change reaches the store on the daemon's next turn: a round trip */
    json_decref(call(f, "stats", NULL, NULL, NULL));
    return p[1];
}

/* Each listener's socket inode as systemd holds it. */
static void store_inodes(const sdh_t *h, uint64_t ino[4])
{
    const char *names[] = { "nb-srv.rt", "nb-srv.disp", "nb-srv.unix", "nb-srv.cfg" };
    for (int i = 0; i < 4; i++) {
        ino[i] = sdh_fd_inode(sdh_stored_fd(h, names[i]));
        assert_true(ino[i] != 0);
    }
    assert_int_equal(sdh_stored_fd(h, "nb-srv.gone"), -ENOENT); /* FDSTOREREMOVE honoured */
    assert_int_equal(sdh_store_holds_state(h), 1);
    assert_true(sdh_stored_fd(h, "nb-fd.parked") >= 0);
}

/* A connection to the dispatch server is handed to a subscriber who answers it. */
static void expect_served(fx_t *f, dh_client_t *sub, int peer)
{
    sdh_pump(&f->sd.h);
    dh_expect_dispatch(sub, peer);
    close(peer);
}

static void wait_queued(fx_t *f, const char *name)
{
    char args[64];
    snprintf(args, sizeof(args), "{\"name\":\"%s\"}", name);
    for (;;) { /* the daemon accepts on its own turn: ask until it holds it */
        json_t *r = call(f, "server.info", args, NULL, NULL);
        json_int_t q = json_integer_value(json_object_get(dh_ok(r), "queued"));
        json_decref(r);
        if (q == 1) {
            return;
        }
    }
}

/* The parked pipe's read end, taken back, still reads what its write end wrote. */
static void retrieve_parked(fx_t *f, int wr)
{
    int fdv[1];
    size_t nfd = 0;
    json_t *r = call(f, "fd.retrieve", "{\"name\":\"parked\"}", fdv, &nfd);
    dh_ok(r);
    json_decref(r);
    assert_int_equal(write(wr, "p", 1), 1);
    char b;
    assert_int_equal(read(fdv[0], &b, 1), 1);
    assert_int_equal(b, 'p');
    close(fdv[0]);
}

/* Stops the daemon with sig; a connection made while it is down completes (the listener's
 * queue, which systemd holds) and is returned in early[3]. */
static void stop_and_connect(fx_t *f, int sig, int port, int early[3])
{
    dh_close(&f->c);
    f->c.fd = -1;
    assert_int_equal(kill(f->sd.h.pid, sig), 0);
    int status = dh_sd_expect_exit(&f->sd.h, f->sd.h.pid);
    assert_true(sig == SIGKILL ? WIFSIGNALED(status)
                               : WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int i = 0; i < 3; i++) {
        early[i] = dh_tcp_connect(NULL, port);
    }
}

/* Serving more leaves the daemon with the fds it had. */
static void expect_no_leak(fx_t *f, dh_client_t *sub, int port, int wr)
{
    json_decref(call(f, "stats", NULL, NULL, NULL)); /* the handoffs before are complete */
    int daemon_fds = sdh_pid_fd_count(f->sd.h.pid);
    for (int i = 0; i < 3; i++) {
        expect_served(f, sub, dh_tcp_connect(NULL, port));
    }
    retrieve_parked(f, wr);
    dh_expect_fd_count(&(dh_daemon_t){ .pid = f->sd.h.pid }, &f->c, daemon_fds);
}

static void stop_for_good(fx_t *f)
{
    dh_close(&f->c);
    f->c.fd = -1;
    assert_int_equal(kill(f->sd.h.pid, SIGTERM), 0);
    int status = dh_sd_expect_exit(&f->sd.h, f->sd.h.pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    sdh_store_clear(&f->sd.h); /* a stop for good: systemd empties the store */
}

/* The path the last daemon kept for a successor is bound again by a daemon that starts
 * with an empty store. */
static void cold_start_binds_again(fx_t *f)
{
    char args[256];
    dh_sd_start(&f->sd);
    connect_daemon(f);
    snprintf(args, sizeof(args), "{\"name\":\"unix\",\"path\":\"%s/unix.sock\"}", f->sd.h.dir);
    ok(f, "server.create", args);
    stop_for_good(f);
}

static void restart_keeps_everything(void **state, int sig)
{
    fx_t *f = *state;
    int self_before = dh_self_fd_count(), early[3], queued = -1;
    dh_sd_start(&f->sd);
    connect_daemon(f);
    int wr = build_state(f);
    json_t *before = json_pack("{s:o,s:o}", "servers", server_state(f), "fds", fd_state(f));
    uint64_t ino[4];
    store_inodes(&f->sd.h, ino);
    int port = port_of(json_object_get(before, "servers"), "disp");
    assert_true(sdh_pid_holds_inode(f->sd.h.pid, ino[1]));
    size_t stored = f->sd.h.nstore;
    if (sig == SIGTERM) { /* accepted, queued (no subscriber): left in the store */
        queued = dh_tcp_connect(NULL, port_of(json_object_get(before, "servers"), "cfg"));
        wait_queued(f, "cfg");
    }
    stop_and_connect(f, sig, port, early);

    dh_sd_start(&f->sd);
    connect_daemon(f);
    assert_int_equal(f->sd.h.nstore, stored); /* the new daemon stored nothing twice */
    json_t *after = json_pack("{s:o,s:o}", "servers", server_state(f), "fds", fd_state(f));
    assert_true(json_equal(before, after));
    for (int i = 0; i < 4; i++) {
        assert_true(sdh_pid_holds_inode(f->sd.h.pid, ino[i])); /* the same sockets, not re-bound */
    }
    dh_client_t sub;
    dh_connect_path(&sub, f->sd.control);
    dh_subscribe(&sub, "disp");
    for (int i = 0; i < 3; i++) {
        expect_served(f, &sub, early[i]);
    }
    if (queued >= 0) {
        assert_int_equal(sdh_stored_fd(&f->sd.h, "nb-conn.cfg"), -ENOENT); /* taken, and gone */
        dh_subscribe(&sub, "cfg");
        expect_served(f, &sub, queued);
    }
    retrieve_parked(f, wr);
    expect_no_leak(f, &sub, port, wr);
    close(wr);
    dh_close(&sub);
    json_decref(before);
    json_decref(after);
    stop_for_good(f);
    cold_start_binds_again(f);
    assert_int_equal(dh_self_fd_count(), self_before);
}

static void test_restart_sigterm(void **state)
{
    restart_keeps_everything(state, SIGTERM);
}

static void test_restart_sigkill(void **state)
{
    restart_keeps_everything(state, SIGKILL);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_restart_sigterm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_sigkill, setup, teardown),
    };
    return cmocka_run_group_tests_name("daemon_restart", tests, NULL, NULL);
}
