/* test_daemon_emfile.c: netbrokerd out of descriptors (its RLIMIT_NOFILE lowered with
 * prlimit from here) meets control traffic: a request whose fds the daemon could not
 * receive is answered EMFILE alone, on a connection that stays usable; a client that
 * connects meanwhile waits in the backlog and is served once fds free up, never closed
 * unanswered; the daemon does not spin; its fd count ends where it started. */
#include "dhelp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define LATE_CLIENTS 5
#define WAIT_TEXT    "control socket: accept: Too many open files, new clients wait"

/* The daemon's lowest free fd number: with its soft limit there, no fd can be opened
 * (every number below is taken), yet those it holds above stay usable. */
static int lowest_free_fd(const dh_daemon_t *d)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)d->pid);
    bool used[1024] = { false };
    DIR *dir = opendir(path);
    assert_non_null(dir);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        long n = strtol(e->d_name, NULL, 10);
        if (e->d_name[0] != '.' && n >= 0 && n < 1024) {
            used[n] = true;
        }
    }
    closedir(dir);
    int n = 0;
    while (n < 1024 && used[n]) {
        n++;
    }
    return n;
}

/* Sets the daemon's soft RLIMIT_NOFILE to soft; returns what it was. */
static struct rlimit limit_daemon(const dh_daemon_t *d, rlim_t soft)
{
    struct rlimit was, now;
    assert_int_equal(prlimit(d->pid, RLIMIT_NOFILE, NULL, &was), 0);
    now = (struct rlimit){ .rlim_cur = soft, .rlim_max = was.rlim_max };
    assert_int_equal(prlimit(d->pid, RLIMIT_NOFILE, &now, NULL), 0);
    return was;
}

/* Lowers the daemon's soft limit to its lowest free fd, and again until that holds: an fd
 * open for a moment when the table was read (a STATUS= datagram's socket) would leave a
 * free number below the limit once closed. Such fds open and close within one callback
 * of the daemon, so after a round trip on c none is left. */
static struct rlimit limit_daemon_full(const dh_daemon_t *d, dh_client_t *c)
{
    struct rlimit was = limit_daemon(d, (rlim_t)lowest_free_fd(d));
    for (int i = 0; i < 10; i++) {
        dh_call_ok(c, "stats", NULL);
        struct rlimit now;
        assert_int_equal(prlimit(d->pid, RLIMIT_NOFILE, NULL, &now), 0);
        int lowest = lowest_free_fd(d);
        if ((rlim_t)lowest >= now.rlim_cur) {
            return was;
        }
        now.rlim_cur = (rlim_t)lowest;
        assert_int_equal(prlimit(d->pid, RLIMIT_NOFILE, &now, NULL), 0);
    }
    fail_msg("the daemon's fd table did not settle");
    return was;
}

static void restore_daemon(const dh_daemon_t *d, const struct rlimit *was)
{
    assert_int_equal(prlimit(d->pid, RLIMIT_NOFILE, was, NULL), 0);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool log_has(const dh_daemon_t *d, const char *text)
{
    FILE *in = fopen(d->log_path, "r");
    assert_non_null(in);
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof(line), in) != NULL) {
        found = strstr(line, text) != NULL;
    }
    fclose(in);
    return found;
}

/* The daemon logs text within the deadline (it is a condition to wait for: each look is
 * a read of its stderr file, 20 ms apart). */
static void expect_log(const dh_daemon_t *d, const char *text)
{
    int64_t deadline = now_ms() + DH_DEADLINE_MS;
    while (!log_has(d, text)) {
        if (now_ms() > deadline) {
            dh_daemon_dump_log(d);
            fail_msg("netbrokerd did not log '%s' within %d ms", text, DH_DEADLINE_MS);
        }
        poll(NULL, 0, 20);
    }
}

static void expect_ok(dh_client_t *c, int64_t id)
{
    json_t *r = dh_reply(c, id, NULL, NULL);
    dh_ok(r);
    json_decref(r);
}

static void expect_error(dh_client_t *c, int64_t id, const char *code)
{
    json_t *r = dh_reply(c, id, NULL, NULL);
    dh_assert_error(r, code);
    json_decref(r);
}

/* One sendmsg: len bytes and fd. */
static void send_with_fd(int sock, const void *buf, size_t len, int fd)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr mh = { .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf) };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    assert_int_equal(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* fd.store while the daemon has no fd: the kernel cannot give it the pipe's end
 * (MSG_CTRUNC); that request alone is answered EMFILE, the requests around it are
 * answered as usual, and the same connection stores the fd once fds are there again. */
static void fd_store_refused(dh_daemon_t *d, bool full)
{
    dh_client_t c;
    dh_connect(&c, d);
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    int before = dh_daemon_fd_count(d);
    struct rlimit was = full ? limit_daemon_full(d, &c) : limit_daemon(d, 0);
    int64_t first = dh_send(&c, "fd.list", NULL, NULL, 0);
    int64_t store = dh_send(&c, "fd.store", "{\"name\":\"keep\"}", &p[0], 1);
    int64_t after = dh_send(&c, "fd.list", NULL, NULL, 0);
    expect_ok(&c, first);
    expect_error(&c, store, "EMFILE");
    json_t *r = dh_reply(&c, after, NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "fds")), 0);
    json_decref(r);
    /* The same again, the line after the fds glued to the same sendmsg (PROTOCOL.md 11). */
    static const char two[] = "{\"id\":100,\"op\":\"fd.store\",\"args\":{\"name\":\"keep\"},"
                              "\"fds\":1}\n{\"id\":101,\"op\":\"stats\"}\n";
    send_with_fd(c.fd, two, sizeof(two) - 1, p[0]);
    expect_error(&c, 100, "EMFILE");
    expect_ok(&c, 101);
    assert_int_equal(dh_daemon_fd_count(d), before);
    restore_daemon(d, &was);
    expect_ok(&c, dh_send(&c, "fd.store", "{\"name\":\"keep\"}", &p[0], 1));
    dh_expect_fd_count(d, &c, before + 1);
    expect_ok(&c, dh_send(&c, "fd.remove", "{\"name\":\"keep\"}", NULL, 0));
    close(p[0]);
    close(p[1]);
    dh_expect_fd_count(d, &c, before);
    dh_close(&c);
}

/* Clients that connect while the daemon has no fd (soft limit 0, or full): none is accepted
 * and closed; they wait, with their hello sent, while the daemon idles (a sanity bound on
 * CPU, not a speed test: a loop that spins would burn the whole second) and serves the
 * clients it has; once fds free up every one of them is answered. */
static void late_clients_wait(dh_daemon_t *d, bool full)
{
    dh_client_t admin, late[LATE_CLIENTS];
    dh_connect(&admin, d);
    json_decref(dh_call(&admin, "events.subscribe", "{\"events\":[\"error\"]}", NULL, NULL));
    int before = dh_daemon_fd_count(d);
    struct rlimit was = full ? limit_daemon_full(d, &admin) : limit_daemon(d, 0);
    struct rlimit now;
    assert_int_equal(prlimit(d->pid, RLIMIT_NOFILE, NULL, &now), 0);
    int64_t hello[LATE_CLIENTS];
    for (int i = 0; i < LATE_CLIENTS; i++) {
        dh_connect_raw(&late[i], d);
        hello[i] = dh_send(&late[i], "hello", "{\"version\":1}", NULL, 0);
    }
    /* The daemon tried to accept and could not: an 'error' of the daemon itself. */
    json_t *e = dh_event(&admin, "error", NULL);
    assert_null(json_object_get(e, "server"));
    assert_string_equal(json_string_value(json_object_get(e, "code")), "EMFILE");
    json_decref(e);
    expect_log(d, WAIT_TEXT);
    for (int i = 0; i < LATE_CLIENTS; i++) {
        struct pollfd pf = { .fd = late[i].fd, .events = POLLIN };
        assert_int_equal(poll(&pf, 1, 0), 0); /* not closed, not answered: waiting */
    }
    expect_ok(&admin, dh_send(&admin, "stats", NULL, NULL, 0));
    long hz = sysconf(_SC_CLK_TCK), t0 = dh_daemon_cpu_ticks(d);
    int64_t w0 = now_ms();
    for (int i = 0; i < 20; i++) {
        poll(NULL, 0, 50);
        dh_notify_drain(d);
    }
    double wall = (double)(now_ms() - w0) / 1000.0;
    long used = dh_daemon_cpu_ticks(d) - t0;
    fprintf(stderr, "emfile: %d clients waiting at soft limit %llu: %ld ticks of CPU in %.2f s\n",
            LATE_CLIENTS, (unsigned long long)now.rlim_cur, used, wall);
    assert_true((double)used < 0.25 * wall * (double)hz + 2);
    restore_daemon(d, &was);
    for (int i = 0; i < LATE_CLIENTS; i++) {
        json_t *r = dh_reply(&late[i], hello[i], NULL, NULL);
        assert_int_equal(json_integer_value(json_object_get(dh_ok(r), "version")), 1);
        json_decref(r);
        expect_ok(&late[i], dh_send(&late[i], "stats", NULL, NULL, 0));
    }
    expect_log(d, "control socket: accepting again");
    for (int i = 0; i < LATE_CLIENTS; i++) {
        dh_close(&late[i]);
    }
    dh_expect_fd_count(d, &admin, before);
    dh_close(&admin);
}

/* At a soft limit of 0 (no fd at all may be opened) and at the daemon's lowest free fd
 * (every number below the limit in use, as when it really ran out). */
static void test_emfile_fd_store_none(void **state)
{
    fd_store_refused(*state, false);
}

static void test_emfile_fd_store_full(void **state)
{
    fd_store_refused(*state, true);
}

/* No fd at all may be opened (soft limit 0). */
static void test_emfile_control_none(void **state)
{
    late_clients_wait(*state, false);
}

/* Every fd below the limit in use: the case where libuv's reserve-fd trick would accept
 * and close each waiting client. */
static void test_emfile_control_full(void **state)
{
    late_clients_wait(*state, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_emfile_fd_store_none, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_emfile_fd_store_full, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_emfile_control_none, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_emfile_control_full, dh_fixture_setup,
                                        dh_fixture_teardown),
    };
    return cmocka_run_group_tests_name("daemon_emfile", tests, NULL, NULL);
}
