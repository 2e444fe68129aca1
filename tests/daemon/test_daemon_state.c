/* test_daemon_state.c: the state document in systemd's fd store (played by sdharness.c)
 * is never missing: a daemon SIGKILLed after any one of the messages that replace it
 * starts again with the newest whole state; a store written by the previous version (a
 * plain nb-state) is taken up and replaced without a gap; a takeover hands the store's
 * state on; and replacing it again and again costs the daemon no fd. */
#include "dhelp.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define SNAPS_MAX    8
#define SNAP_FDS_MAX 16
#define REPLACEMENTS 50

/* The store as systemd held it after one message: what a daemon killed right then would
 * be given. */
typedef struct {
    int fds[SNAP_FDS_MAX];
    char *names[SNAP_FDS_MAX];
    size_t n;
} snap_t;

typedef struct {
    dh_sd_daemon_t sd;
    dh_client_t c;
    snap_t snaps[SNAPS_MAX];
    size_t nsnaps;
    size_t missed; /* messages after the snapshots were full */
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    dh_sd_daemon_init(&f->sd, NULL, NULL);
    f->sd.h.fdstore_max = 64;
    f->c.fd = -1;
    *state = f;
    return 0;
}

static void snaps_free(fx_t *f)
{
    for (size_t i = 0; i < f->nsnaps; i++) {
        for (size_t j = 0; j < f->snaps[i].n; j++) {
            close(f->snaps[i].fds[j]);
            free(f->snaps[i].names[j]);
        }
    }
    f->nsnaps = 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    if (f->c.fd >= 0) {
        dh_close(&f->c);
    }
    snaps_free(f);
    dh_sd_daemon_free(&f->sd);
    free(f);
    return 0;
}

static void snapshot(sdh_t *h, size_t msg, void *data)
{
    (void)msg;
    fx_t *f = data;
    if (f->nsnaps == SNAPS_MAX || h->nstore > SNAP_FDS_MAX) {
        f->missed++; /* more than one replacement: the test fails below */
        return;
    }
    snap_t *s = &f->snaps[f->nsnaps++];
    for (s->n = 0; s->n < h->nstore; s->n++) {
        s->fds[s->n] = fcntl(h->store_fds[s->n], F_DUPFD_CLOEXEC, 3);
        s->names[s->n] = strdup(h->store_names[s->n]);
    }
}

/* systemd's store is now what snapshot i saw. */
static void store_from_snapshot(fx_t *f, size_t i)
{
    sdh_store_clear(&f->sd.h);
    for (size_t j = 0; j < f->snaps[i].n; j++) {
        assert_int_equal(sdh_store_add(&f->sd.h, f->snaps[i].names[j], f->snaps[i].fds[j]), 0);
    }
    f->sd.h.state_held = sdh_store_holds_state(&f->sd.h) > 0;
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

/* A state change reaches the store on the daemon's next turn: one round trip more. */
static void settle(fx_t *f)
{
    ok(f, "stats", NULL);
}

static void start(fx_t *f)
{
    dh_sd_start(&f->sd);
    dh_connect_path(&f->c, f->sd.control);
}

static void kill_daemon(fx_t *f)
{
    dh_close(&f->c);
    f->c.fd = -1;
    pid_t pid = f->sd.h.pid;
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_true(WIFSIGNALED(dh_sd_expect_exit(&f->sd.h, pid)));
}

/* Server "a" (dispatch, maxConnections max) and the parked pipe end "p". */
static void build_state(fx_t *f, int max)
{
    char args[160];
    snprintf(args, sizeof(args),
             "{\"name\":\"a\",\"host\":\"127.0.0.1\",\"port\":0,\"mode\":\"dispatch\","
             "\"maxConnections\":%d}",
             max);
    ok(f, "server.create", args);
    int p[2];
    assert_int_equal(pipe(p), 0);
    json_t *r =
        dh_reply(&f->c, dh_send(&f->c, "fd.store", "{\"name\":\"p\"}", &p[0], 1), NULL, NULL);
    dh_ok(r);
    json_decref(r);
    close(p[0]);
    close(p[1]);
    settle(f);
}

/* The daemon has server "a" with this maxConnections, and the parked fd. */
static void expect_state(fx_t *f, int max)
{
    json_t *r = call(f, "server.info", "{\"name\":\"a\"}", NULL, NULL);
    assert_int_equal(json_integer_value(json_object_get(dh_ok(r), "maxConnections")), max);
    json_decref(r);
    r = call(f, "fd.list", NULL, NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "fds")), 1);
    json_decref(r);
}

/* The store's state entries: how many, and the name of the last one seen. */
static size_t state_entries(const sdh_t *h, const char **ret_name)
{
    size_t n = 0;
    for (size_t i = 0; i < h->nstore; i++) {
        if (strncmp(h->store_names[i], "nb-state", 8) == 0) {
            *ret_name = h->store_names[i];
            n++;
        }
    }
    return n;
}

/* The store's one state document (a new reference). */
static json_t *stored_state(const sdh_t *h)
{
    const char *name = NULL;
    assert_int_equal(state_entries(h, &name), 1);
    int fd = sdh_stored_fd(h, name);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    char *buf = malloc((size_t)st.st_size);
    assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
    json_error_t err;
    json_t *doc = json_loadb(buf, (size_t)st.st_size, 0, &err);
    free(buf);
    assert_non_null(doc);
    return doc;
}

static json_int_t stored_generation(const sdh_t *h)
{
    json_t *doc = stored_state(h);
    json_int_t g = json_integer_value(json_object_get(doc, "generation"));
    json_decref(doc);
    return g;
}

/* After its first turn a daemon holds one state in the store, under a new name. */
static void expect_one_state(fx_t *f, const char *want_name)
{
    const char *name = NULL;
    settle(f);
    assert_int_equal(state_entries(&f->sd.h, &name), 1);
    if (want_name != NULL) {
        assert_string_equal(name, want_name);
    }
    dh_sd_expect_no_state_gap(&f->sd.h);
}

/* A SIGKILL after each message of two replacements (one to each name): the next daemon
 * has the state from before a replacement (none of its messages sent) or from after it
 * (the new one stored), never nothing, and never the older of two. */
static void test_state_sigkill_at_every_step(void **state)
{
    fx_t *f = *state;
    int self_before = dh_self_fd_count();
    const int want[] = { 5, 9, 9, 10, 10 }; /* maxConnections after each snapshot */
    start(f);
    build_state(f, 5);
    snapshot(&f->sd.h, 0, f); /* before any message of the replacements */
    f->sd.h.on_store = snapshot;
    f->sd.h.on_store_data = f;
    ok(f, "server.set", "{\"name\":\"a\",\"maxConnections\":9}");
    settle(f);
    ok(f, "server.set", "{\"name\":\"a\",\"maxConnections\":10}");
    settle(f);
    f->sd.h.on_store = NULL;
    /* each: the new state stored, the old one removed; a snapshot after each message */
    assert_int_equal(f->nsnaps, 5);
    assert_int_equal(f->missed, 0);
    kill_daemon(f);
    for (size_t i = 0; i < f->nsnaps; i++) {
        store_from_snapshot(f, i);
        start(f);
        expect_state(f, want[i]);
        expect_one_state(f, NULL);
        kill_daemon(f);
    }
    snaps_free(f);
    sdh_store_clear(&f->sd.h);
    assert_int_equal(dh_self_fd_count(), self_before);
}

/* The state in the store, rewritten as the previous version wrote it: under nb-state,
 * without a generation (maxConnections changed to max, to tell it apart). */
static void store_as_previous_version(sdh_t *h, int max)
{
    json_t *doc = stored_state(h);
    assert_int_equal(json_object_del(doc, "generation"), 0);
    json_t *srv = json_array_get(json_object_get(doc, "servers"), 0);
    json_object_set_new(srv, "maxConnections", json_integer(max));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    int mfd = memfd_create("old-state", MFD_CLOEXEC);
    assert_true(mfd >= 0);
    assert_int_equal(write(mfd, text, strlen(text)), (ssize_t)strlen(text));
    free(text);
    assert_int_equal(sdh_store_add(h, "nb-state", mfd), 0);
    close(mfd);
}

/* A previous version's store (nb-state) is taken up and replaced by nb-state.0 without a
 * gap; beside a newer state (left by a SIGKILL in the middle of the first replacement),
 * the newer wins. */
static void test_state_previous_version(void **state)
{
    fx_t *f = *state;
    int self_before = dh_self_fd_count();
    start(f);
    build_state(f, 5);
    kill_daemon(f);

    store_as_previous_version(&f->sd.h, 6);
    sdh_store_remove(&f->sd.h, "nb-state.0");
    sdh_store_remove(&f->sd.h, "nb-state.1");
    start(f);
    expect_state(f, 6);
    expect_one_state(f, "nb-state.0");
    kill_daemon(f);

    /* nb-state.0 (generation 1 or more) says 6; an older nb-state beside it says 7 */
    store_as_previous_version(&f->sd.h, 7);
    start(f);
    expect_state(f, 6);
    expect_one_state(f, "nb-state.1");
    kill_daemon(f);
    sdh_store_clear(&f->sd.h);
    assert_int_equal(dh_self_fd_count(), self_before);
}

/* The new daemon of a takeover replaces the state the old one left in the store (told
 * where it is and its generation by takeover.begin), and a restart after it has what the
 * new daemon holds. */
static void test_state_takeover(void **state)
{
    fx_t *f = *state;
    start(f);
    build_state(f, 5);
    json_int_t old = stored_generation(&f->sd.h);
    assert_true(old >= 1);
    dh_close(&f->c);
    pid_t pid = f->sd.h.pid;
    dh_sd_spawn_takeover(&f->sd);
    dh_sd_expect(&f->sd.h, "READY=1");
    assert_int_equal(dh_sd_expect_exit(&f->sd.h, pid), 0);
    dh_connect_path(&f->c, f->sd.control);
    ok(f, "server.set", "{\"name\":\"a\",\"maxConnections\":8}");
    expect_one_state(f, NULL);
    assert_true(stored_generation(&f->sd.h) > old); /* counted on from the old daemon's */
    kill_daemon(f);
    start(f);
    expect_state(f, 8);
    dh_close(&f->c);
    f->c.fd = -1;
    dh_sd_expect_clean_exit(&f->sd.h);
}

/* Replacing the state again and again leaves the daemon with the fds it had: each memfd
 * is closed once systemd has it, and the store holds one state. */
static void test_state_replacements_keep_fds(void **state)
{
    fx_t *f = *state;
    start(f);
    build_state(f, 5);
    int before = sdh_pid_fd_count(f->sd.h.pid);
    size_t msgs = f->sd.h.nmsgs;
    char args[64];
    for (int i = 0; i < REPLACEMENTS; i++) {
        snprintf(args, sizeof(args), "{\"name\":\"a\",\"maxConnections\":%d}", 10 + i);
        ok(f, "server.set", args);
        settle(f);
    }
    expect_one_state(f, NULL);
    assert_true(sdh_find_message(&f->sd.h, "FDSTORE=1", msgs) >= 0);
    assert_int_equal(sdh_pid_fd_count(f->sd.h.pid), before);
    dh_close(&f->c);
    f->c.fd = -1;
    dh_sd_expect_clean_exit(&f->sd.h);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_state_sigkill_at_every_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_previous_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_takeover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_replacements_keep_fds, setup, teardown),
    };
    return cmocka_run_group_tests_name("daemon_state", tests, NULL, NULL);
}
