/* test_daemon_sd.c: netbrokerd under the systemd harness (sdharness.c): what it tells
 * systemd over NOTIFY_SOCKET (READY, STATUS, RELOADING, STOPPING, WATCHDOG) and a restart
 * through the fd store the harness keeps. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dhelp.h"

#define T DH_DEADLINE_MS

typedef dh_sd_daemon_t fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    dh_sd_daemon_init(f, NULL, "debug");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    dh_sd_daemon_free(*state);
    free(*state);
    return 0;
}

/* READY=1 with a STATUS=, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on SIGTERM,
 * all from the daemon's own pid. */
static void test_sd_ready_reload_stop(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(sdh_start(&f->h, f->argv, NULL, NULL, 0), 0);
    pid_t pid = f->h.pid;
    int i = sdh_wait_message(&f->h, "READY=1", T);
    assert_true(i >= 0);
    assert_int_equal(f->h.msgs[i].pid, pid);
    assert_true(sdh_find_message(&f->h, "STATUS=", 0) >= 0);
    assert_int_equal(sdh_signal(&f->h, SIGHUP), 0);
    dh_sd_expect(&f->h, "RELOADING=1");
    dh_sd_expect(&f->h, "READY=1");
    dh_sd_expect_clean_exit(&f->h);
    i = sdh_find_message(&f->h, "STOPPING=1", f->h.next);
    assert_true(i >= 0);
    assert_int_equal(f->h.msgs[i].pid, pid);
}

/* WATCHDOG_USEC set: WATCHDOG=1 comes (at half the interval), again and again. */
static void test_sd_watchdog(void **state)
{
    fixture_t *f = *state;
    f->h.watchdog_usec = 200000;
    assert_int_equal(sdh_start(&f->h, f->argv, NULL, NULL, 0), 0);
    dh_sd_expect(&f->h, "READY=1");
    dh_sd_expect(&f->h, "WATCHDOG=1");
    dh_sd_expect(&f->h, "WATCHDOG=1");
    dh_sd_expect_clean_exit(&f->h);
}

/* A parked fd reaches the harness's fd store (FDSTORE=1 with its fd); a new daemon started
 * with the store's fds has it stored again, and holds no other fd for it. */
static void test_sd_fdstore_restart(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(sdh_start(&f->h, f->argv, NULL, NULL, 0), 0);
    dh_sd_expect(&f->h, "READY=1");
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    dh_client_t c;
    dh_connect_path(&c, f->control);
    json_t *r =
        dh_reply(&c, dh_send(&c, "fd.store", "{\"name\":\"parked\"}", &p[0], 1), NULL, NULL);
    dh_ok(r);
    json_decref(r);
    close(p[0]);
    dh_sd_expect(&f->h, "FDSTORE=1");
    assert_int_equal(f->h.nstore, 1);
    dh_close(&c);
    dh_sd_expect_clean_exit(&f->h);

    const int *fds;
    const char *const *names;
    size_t n = sdh_stored_fds(&f->h, &fds, &names);
    assert_int_equal(n, 1);
    assert_int_equal(sdh_start(&f->h, f->argv, fds, names, n), 0);
    dh_sd_expect(&f->h, "READY=1");
    dh_connect_path(&c, f->control);
    r = dh_call(&c, "fd.list", NULL, NULL, NULL);
    json_t *list = json_object_get(dh_ok(r), "fds");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "name")),
                        "parked");
    json_decref(r);
    dh_close(&c);
    dh_sd_expect_clean_exit(&f->h);
    /* The store still holds the pipe's read end: the write end reaches it. */
    assert_int_equal(write(p[1], "x", 1), 1);
    close(p[1]);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool status_says(const fixture_t *f, size_t i, const char *want)
{
    size_t len = 0;
    const char *v = sdh_message_value(&f->h, i, "STATUS", &len);
    return v != NULL && memmem(v, len, want, strlen(want)) != NULL;
}

/* STATUS= follows changes but is rate-limited: over 100 changes of the client count (50
 * clients come and go) cost at most one message per second they took, plus the first and
 * the last; and the last one tells the state they ended in. */
static void test_sd_status_rate_limited(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(sdh_start(&f->h, f->argv, NULL, NULL, 0), 0);
    dh_sd_expect(&f->h, "READY=1");
    size_t first = f->h.nmsgs;
    int64_t start = now_ms();
    for (int i = 0; i < 50; i++) {
        dh_client_t c;
        dh_connect_path(&c, f->control);
        dh_close(&c);
    }
    /* Three clients stay: a state never met before (clients came one at a time). */
    dh_client_t last[3];
    for (int k = 0; k < 3; k++) {
        dh_connect_path(&last[k], f->control);
    }
    json_decref(dh_call(&last[2], "stats", NULL, NULL, NULL)); /* the daemon saw it all */
    /* The last STATUS= sent so far says so, or one (rate-limited) is on its way. */
    assert_true(sdh_pump(&f->h) >= 0);
    f->h.next = f->h.nmsgs;
    int i = (int)f->h.nmsgs - 1;
    while (i >= (int)first && strncmp(f->h.msgs[i].text, "STATUS=", 7) != 0) {
        i--;
    }
    while (i < (int)first || !status_says(f, (size_t)i, " 3 clients")) {
        i = sdh_wait_message(&f->h, "STATUS=", T);
        assert_true(i >= 0);
    }
    int64_t elapsed = now_ms() - start;
    size_t n = 0;
    for (size_t k = first; k < f->h.nmsgs; k++) {
        n += strncmp(f->h.msgs[k].text, "STATUS=", 7) == 0;
    }
    assert_true(n >= 1);
    assert_true((int64_t)n <= elapsed / 1000 + 2);
    for (int k = 0; k < 3; k++) {
        dh_close(&last[k]);
    }
    dh_sd_expect_clean_exit(&f->h);
}

/* Fills the notify socket's queue (as a systemd that does not read would leave it) from a
 * socket of the test's own; returns how many datagrams it took. */
static int fill_notify_queue(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    assert_true(strlen(path) < sizeof(sun.sun_path));
    memcpy(sun.sun_path, path, strlen(path));
    int n = 0;
    while (sendto(fd, "X-FILLER=1", 10, MSG_DONTWAIT, (struct sockaddr *)&sun, sizeof(sun)) == 10) {
        n++;
    }
    assert_int_equal(errno, EAGAIN);
    close(fd);
    return n;
}

/* A STATUS= change while systemd's queue is full does not stall the daemon: it goes on
 * answering (sd_notify would block the loop until systemd read), and the status it could
 * not send goes out once the queue has room. */
static void test_sd_status_never_blocks(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(sdh_start(&f->h, f->argv, NULL, NULL, 0), 0);
    dh_sd_expect(&f->h, "READY=1");
    assert_true(sdh_pump(&f->h) >= 0);
    assert_true(fill_notify_queue(f->h.notify_path) > 0);
    dh_client_t c[2];
    for (int k = 0; k < 2; k++) { /* each one a change of the status */
        dh_connect_path(&c[k], f->control);
        json_t *r = dh_call(&c[k], "stats", NULL, NULL, NULL);
        assert_non_null(dh_ok(r));
        json_decref(r);
    }
    assert_true(sdh_pump(&f->h) >= 0); /* systemd reads again */
    int i;
    do {
        i = sdh_wait_message(&f->h, "STATUS=", T);
        assert_true(i >= 0);
    } while (!status_says(f, (size_t)i, " 2 clients"));
    for (int k = 0; k < 2; k++) {
        dh_close(&c[k]);
    }
    dh_sd_expect_clean_exit(&f->h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sd_ready_reload_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sd_watchdog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sd_fdstore_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sd_status_rate_limited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sd_status_never_blocks, setup, teardown),
    };
    return cmocka_run_group_tests_name("daemon_sd", tests, NULL, NULL);
}
