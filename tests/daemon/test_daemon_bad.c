/* test_daemon_bad.c: bad input of every kind against the real netbrokerd: each gets a
 * structured error or its sender alone is cut off, nothing changes, the daemon keeps
 * serving the others, and its fd count ends where it started. */
#include "dhelp.h"
#include "dwork.h"

#include <errno.h>
#include <fcntl.h>
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
#include <unistd.h>

#include <cmocka.h>

/* Sends a raw line and expects an error reply with code (and the given id, -1: null). */
static void bad_line(dh_client_t *c, const char *line, const char *code, int64_t id)
{
    dh_send_raw(c, line, strlen(line));
    json_t *m = dh_read(c, NULL, NULL);
    assert_non_null(m);
    dh_assert_error(m, code);
    json_t *jid = json_object_get(m, "id");
    if (id < 0) {
        assert_true(json_is_null(jid));
    } else {
        assert_int_equal(json_integer_value(jid), id);
    }
    json_decref(m);
}

static void assert_no_servers(dh_client_t *c)
{
    json_t *r = dh_call(c, "server.list", NULL, NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "servers")), 0);
    json_decref(r);
}

static void test_bad_lines_answered(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    int before = dh_daemon_fd_count(d);
    for (int round = 0; round < 50; round++) {
        bad_line(&c, "{\"id\":1,\"op\":\n", "ERR_PROTO_PARSE", -1);
        bad_line(&c, "[1,2]\n", "ERR_PROTO_PARSE", -1);
        bad_line(&c, "{\"id\":2,\"op\":\"x\xff\"}\n", "ERR_PROTO_UTF8", -1);
        bad_line(&c, "{\"id\":3,\"op\":\"server.destroy\"}\n", "ERR_UNKNOWN_OP", 3);
        bad_line(&c, "{\"id\":4,\"op\":\"server.info\",\"args\":{}}\n", "ERR_MISSING_ARGS", 4);
        bad_line(&c,
                 "{\"id\":5,\"op\":\"server.create\",\"args\":{\"name\":\"a\",\"port\":\"80\"}}\n",
                 "ERR_INVALID_ARG_TYPE", 5);
        bad_line(&c,
                 "{\"id\":6,\"op\":\"server.create\",\"args\":{\"name\":\"a\",\"port\":70000}}\n",
                 "ERR_SOCKET_BAD_PORT", 6);
        bad_line(&c, "{\"id\":7,\"op\":\"server.create\",\"args\":{\"name\":\"a\",\"prot\":1}}\n",
                 "ERR_INVALID_ARG_VALUE", 7);
        bad_line(&c, "{\"id\":\"8\",\"op\":\"stats\"}\n", "ERR_INVALID_ARG_TYPE", -1);
        bad_line(&c, "{\"id\":9,\"op\":\"fd.store\",\"args\":{\"name\":\"x\"}}\n",
                 "ERR_PROTO_FD_COUNT", 9);
        /* An fd the operation does not take is closed, not kept. */
        int p[2];
        assert_int_equal(pipe(p), 0);
        int64_t id = dh_send(&c, "server.list", NULL, &p[0], 1);
        json_t *r = dh_reply(&c, id, NULL, NULL);
        dh_assert_error(r, "ERR_PROTO_FD_COUNT");
        json_decref(r);
        close(p[0]);
        struct pollfd pf = { .fd = p[1], .events = 0 };
        assert_int_equal(poll(&pf, 1, DH_DEADLINE_MS), 1); /* the daemon's copy is gone */
        close(p[1]);
    }
    assert_no_servers(&c);
    dh_expect_fd_count(d, &c, before);
    dh_close(&c);
}

/* A stream error is answered, then that connection alone is closed. */
static void test_oversized_line_cuts_off_alone(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t bad, good;
    dh_connect(&bad, d);
    dh_connect(&good, d);
    size_t n = NB_PROTO_LINE_MAX + 16;
    char *big = malloc(n);
    memset(big, 'a', n);
    memcpy(big, "{\"id\":1,\"op\":\"", 14);
    size_t sent = 0;
    while (sent < n) { /* the daemon may close before it took it all */
        ssize_t r = send(bad.fd, big + sent, n - sent, MSG_NOSIGNAL);
        if (r <= 0) {
            break;
        }
        sent += (size_t)r;
    }
    free(big);
    json_t *m = dh_read(&bad, NULL, NULL);
    dh_assert_error(m, "ERR_PROTO_TOO_LARGE");
    json_decref(m);
    assert_true(dh_wait_closed(&bad));
    dh_close(&bad);
    assert_no_servers(&good);
    dh_close(&good);
}

/* Half a line, then silence: the daemon serves everyone else meanwhile. */
static void test_half_line_stalls_alone(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t half, good;
    dh_connect(&half, d);
    dh_connect(&good, d);
    dh_send_raw(&half, "{\"id\":1,\"op\":\"ser", 17);
    for (int i = 0; i < 20; i++) {
        assert_no_servers(&good);
    }
    dh_send_raw(&half, "ver.list\"}\n", 11);
    json_t *m = dh_read(&half, NULL, NULL);
    dh_ok(m);
    json_decref(m);
    dh_close(&half);
    dh_close(&good);
}

/* A client that floods requests and never reads its replies is cut off at its output
 * limit; nobody else notices. */
static void test_flood_without_reading_cut_off(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t flood, good;
    dh_connect(&flood, d);
    dh_connect(&good, d);
    int before = dh_daemon_fd_count(d);
    const char line[] = "{\"id\":1,\"op\":\"server.nope\"}\n";
    char buf[64 * (sizeof(line) - 1)];
    for (size_t i = 0; i < 64; i++) {
        memcpy(buf + i * (sizeof(line) - 1), line, sizeof(line) - 1);
    }
    fcntl(flood.fd, F_SETFL, O_NONBLOCK);
    bool cut = false;
    while (!cut) {
        struct pollfd p = { .fd = flood.fd, .events = POLLOUT };
        assert_int_equal(poll(&p, 1, DH_DEADLINE_MS), 1);
        ssize_t r = send(flood.fd, buf, sizeof(buf), MSG_NOSIGNAL);
        cut = r < 0 && (errno == EPIPE || errno == ECONNRESET);
        assert_true(r > 0 || cut);
    }
    dh_close(&flood);
    assert_no_servers(&good);
    json_t *r = dh_call(&good, "stats", NULL, NULL, NULL);
    assert_int_equal(json_integer_value(json_object_get(dh_ok(r), "clients")), 1);
    json_decref(r);
    dh_expect_fd_count(d, &good, before - 1);
    dh_close(&good);
}

/* One misbehaving client of four kinds, by i: half a line, an fd before hello, invalid
 * UTF-8, or nothing at all; then it goes. */
static void bad_client(const dh_daemon_t *d, int i)
{
    dh_client_t c;
    dh_connect_raw(&c, d);
    switch (i % 4) {
    case 0:
        dh_send_raw(&c, "{\"id\":1,", 8); /* half a line, then gone */
        break;
    case 1: {
        int p[2];
        assert_int_equal(pipe(p), 0);
        dh_send(&c, "fd.store", "{\"name\":\"x\"}", &p[0], 1); /* before hello */
        close(p[0]);
        close(p[1]);
        break;
    }
    case 2:
        dh_send_raw(&c, "\xc0\xaf\n", 3);
        break;
    default:
        break; /* connects and goes */
    }
    dh_close(&c);
}

/* Thousands of connections that misbehave and go: the daemon ends with the fds it had.
 * They come in batches of 200, each seen gone before the next, so that the test measures
 * leaks and not the fd limit (which issue 8's exhaustion tests own). */
static void test_fd_count_across_bad_clients(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t probe;
    dh_connect(&probe, d);
    int before = dh_daemon_fd_count(d);
    for (int batch = 0; batch < 10; batch++) {
        for (int i = 0; i < 200; i++) {
            bad_client(d, i);
        }
        /* Connections are accepted in order: once a later one is answered, the daemon
         * holds all of them; then it is asked until it saw every one go. */
        dh_client_t marker;
        dh_connect(&marker, d);
        dw_wait_clients(&probe, 2);
        dh_close(&marker);
        dw_wait_clients(&probe, 1);
    }
    json_t *r = dh_call(&probe, "fd.list", NULL, NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "fds")), 0);
    json_decref(r);
    dh_expect_fd_count(d, &probe, before);
    dh_close(&probe);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_lines_answered, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_oversized_line_cuts_off_alone, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_half_line_stalls_alone, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_flood_without_reading_cut_off, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fd_count_across_bad_clients, dh_fixture_setup,
                                        dh_fixture_teardown),
    };
    return cmocka_run_group_tests_name("daemon_bad", tests, NULL, NULL);
}
