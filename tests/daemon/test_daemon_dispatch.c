/* test_daemon_dispatch.c: the daemon's dispatch path against the real daemon: the
 * connection event's address members (a listener on one address, a wildcard one, a Unix
 * path), many connections accepted at once and each delivered exactly once, the 'drop'
 * event's addresses, an accept that fails for want of fds; and two other things the
 * daemon sees: the control plane's byte counters in stats, and socket.connect's
 * localAddress/localPort. */
#include "dhelp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#define BURST 100

static int create(dh_client_t *c, const char *args)
{
    json_t *r = dh_call(c, "server.create", args, NULL, NULL);
    json_t *port = json_object_get(dh_ok(r), "port");
    int p = port != NULL ? (int)json_integer_value(port) : 0;
    json_decref(r);
    return p;
}

/* A TCP connection from src to dst:port, both loopback IPv4 addresses. */
static int connect_from(const char *src, const char *dst, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET }, to = sa;
    inet_pton(AF_INET, src, &sa.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    to.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, dst, &to.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
    return fd;
}

static int unix_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    assert_true(fd >= 0 && strlen(path) < sizeof(un.sun_path));
    memcpy(un.sun_path, path, strlen(path) + 1);
    assert_int_equal(connect(fd, (struct sockaddr *)&un, sizeof(un)), 0);
    return fd;
}

static void expect_str(json_t *o, const char *key, const char *want)
{
    json_t *v = json_object_get(o, key);
    if (want == NULL) {
        assert_null(v);
    } else {
        assert_non_null(v);
        assert_string_equal(json_string_value(v), want);
    }
}

/* Both sides of the connection `peer` (the client end) in event e. */
static void expect_addresses(json_t *e, int peer, const char *src, const char *dst, int port)
{
    expect_str(e, "remoteAddress", src);
    expect_str(e, "remoteFamily", "IPv4");
    assert_int_equal(json_integer_value(json_object_get(e, "remotePort")), dh_local_port(peer));
    expect_str(e, "localAddress", dst);
    expect_str(e, "localFamily", "IPv4");
    assert_int_equal(json_integer_value(json_object_get(e, "localPort")), port);
}

/* The handed-over fd is the connection: a byte goes through to peer. */
static void expect_same_connection(int fd, int peer)
{
    char b = 0;
    assert_int_equal(send(fd, "x", 1, MSG_NOSIGNAL), 1);
    struct pollfd p = { .fd = peer, .events = POLLIN };
    assert_int_equal(poll(&p, 1, DH_DEADLINE_MS), 1);
    assert_int_equal(recv(peer, &b, 1, 0), 1);
    assert_int_equal(b, 'x');
}

static void check_one(dh_client_t *sub,
                      dh_client_t *watch,
                      const char *src,
                      const char *dst,
                      int port)
{
    int peer = connect_from(src, dst, port), fd = -1;
    json_t *e = dh_event(sub, "connection", &fd);
    assert_true(fd >= 0);
    expect_addresses(e, peer, src, dst, port);
    assert_int_equal(json_integer_value(json_object_get(e, "fds")), 1);
    json_decref(e);
    e = dh_event(watch, "connection", NULL); /* the events stream: the same members, no fd */
    expect_addresses(e, peer, src, dst, port);
    assert_null(json_object_get(e, "fds"));
    json_decref(e);
    expect_same_connection(fd, peer);
    close(fd);
    close(peer);
}

static void test_dispatch_event_addresses(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t admin, sub, watch;
    dh_connect(&admin, d);
    dh_connect(&sub, d);
    dh_connect(&watch, d);
    /* One address: the listener's is every connection's local address. */
    int fixed = create(&admin, "{\"name\":\"one\",\"host\":\"127.0.0.1\",\"port\":0,"
                               "\"mode\":\"dispatch\"}");
    /* A wildcard: each connection has its own local address (127.0.0.2 is loopback). */
    int wild = create(&admin, "{\"name\":\"any\",\"host\":\"0.0.0.0\",\"port\":0,"
                              "\"mode\":\"dispatch\"}");
    dh_call_ok(&sub, "server.subscribe", "{\"name\":\"one\"}");
    dh_call_ok(&sub, "server.subscribe", "{\"name\":\"any\"}");
    dh_call_ok(&watch, "events.subscribe", "{\"events\":[\"connection\"]}");
    check_one(&sub, &watch, "127.0.0.1", "127.0.0.1", fixed);
    check_one(&sub, &watch, "127.0.0.3", "127.0.0.2", wild);
    check_one(&sub, &watch, "127.0.0.4", "127.0.0.1", wild);
    dh_close(&watch);
    dh_close(&sub);
    dh_close(&admin);
}

/* IPv6: ::1 to a listener on ::1, and an IPv4 peer of a dual-stack wildcard listener,
 * which Node shows IPv4-mapped with family IPv6 (PROTOCOL.md 10 "connection"). */
static void test_dispatch_event_ipv6(void **state)
{
    dh_daemon_t *d = *state;
    int probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    if (probe < 0 || bind(probe, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "no IPv6 loopback here\n");
        close(probe);
        skip();
    }
    close(probe);
    dh_client_t admin, sub;
    dh_connect(&admin, d);
    dh_connect(&sub, d);
    int v6 = create(&admin, "{\"name\":\"six\",\"host\":\"::1\",\"port\":0,"
                            "\"mode\":\"dispatch\"}");
    int dual = create(&admin, "{\"name\":\"dual\",\"host\":\"::\",\"port\":0,"
                              "\"mode\":\"dispatch\"}");
    dh_call_ok(&sub, "server.subscribe", "{\"name\":\"six\"}");
    dh_call_ok(&sub, "server.subscribe", "{\"name\":\"dual\"}");
    int peer = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), fd = -1;
    sa.sin6_port = htons((uint16_t)v6);
    assert_int_equal(connect(peer, (struct sockaddr *)&sa, sizeof(sa)), 0);
    json_t *e = dh_event(&sub, "connection", &fd);
    expect_str(e, "remoteAddress", "::1");
    expect_str(e, "remoteFamily", "IPv6");
    expect_str(e, "localAddress", "::1");
    expect_str(e, "localFamily", "IPv6");
    assert_int_equal(json_integer_value(json_object_get(e, "localPort")), v6);
    json_decref(e);
    expect_same_connection(fd, peer);
    close(fd);
    close(peer);
    peer = connect_from("127.0.0.6", "127.0.0.7", dual);
    e = dh_event(&sub, "connection", &fd);
    expect_str(e, "remoteAddress", "::ffff:127.0.0.6");
    expect_str(e, "remoteFamily", "IPv6");
    expect_str(e, "localAddress", "::ffff:127.0.0.7");
    assert_int_equal(json_integer_value(json_object_get(e, "remotePort")), dh_local_port(peer));
    json_decref(e);
    expect_same_connection(fd, peer);
    close(fd);
    close(peer);
    dh_close(&sub);
    dh_close(&admin);
}

static void test_dispatch_unix_path(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t admin, sub;
    dh_connect(&admin, d);
    dh_connect(&sub, d);
    char path[200], args[300];
    snprintf(path, sizeof(path), "%s/app.sock", d->dir);
    snprintf(args, sizeof(args), "{\"name\":\"app\",\"path\":\"%s\",\"mode\":\"dispatch\"}", path);
    create(&admin, args);
    dh_call_ok(&sub, "server.subscribe", "{\"name\":\"app\"}");
    int peer = unix_connect(path), fd = -1;
    json_t *e = dh_event(&sub, "connection", &fd);
    expect_str(e, "server", "app");
    expect_str(e, "remoteAddress", NULL); /* PROTOCOL.md 10: a Unix server's have none */
    expect_str(e, "localAddress", NULL);
    json_decref(e);
    expect_same_connection(fd, peer);
    close(fd);
    close(peer);
    dh_close(&sub);
    dh_close(&admin);
}

static json_t *stats_of(dh_client_t *c, const char *name)
{
    char args[128];
    snprintf(args, sizeof(args), "{\"server\":\"%s\"}", name);
    return dh_call(c, "stats", args, NULL, NULL);
}

/* BURST connections wait in the kernel and the queue, then go out at once: each is
 * delivered exactly once, in order, and the daemon's fds come back to where they were. */
static void test_dispatch_burst_each_once(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t admin, sub;
    dh_connect(&admin, d);
    int port = create(&admin, "{\"name\":\"web\",\"host\":\"127.0.0.1\",\"port\":0,"
                              "\"mode\":\"dispatch\",\"queueTimeout\":600000}");
    int before = dh_daemon_fd_count(d);
    int peers[BURST];
    for (int i = 0; i < BURST; i++) {
        peers[i] = connect_from("127.0.0.1", "127.0.0.1", port);
    }
    dh_connect(&sub, d);
    dh_call_ok(&sub, "server.subscribe", "{\"name\":\"web\",\"maxPending\":256}");
    for (int i = 0; i < BURST; i++) {
        int fd = -1;
        json_t *e = dh_event(&sub, "connection", &fd);
        assert_int_equal(json_integer_value(json_object_get(e, "remotePort")),
                         dh_local_port(peers[i]));
        json_decref(e);
        expect_same_connection(fd, peers[i]);
        close(fd);
        close(peers[i]);
    }
    json_t *r = stats_of(&admin, "web");
    json_t *s = json_array_get(json_object_get(dh_ok(r), "servers"), 0);
    assert_int_equal(json_integer_value(json_object_get(s, "accepted")), BURST);
    assert_int_equal(json_integer_value(json_object_get(s, "dispatched")), BURST);
    assert_int_equal(json_integer_value(json_object_get(s, "dropped")), 0);
    json_decref(r);
    dh_close(&sub);
    dh_expect_fd_count(d, &admin, before);
    dh_close(&admin);
}

/* maxConnections: the one over the limit is closed with a 'drop' that names both ends. */
static void test_dispatch_drop_addresses(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t admin;
    dh_connect(&admin, d);
    int port = create(&admin, "{\"name\":\"web\",\"host\":\"127.0.0.1\",\"port\":0,"
                              "\"mode\":\"dispatch\",\"maxConnections\":1}");
    dh_call_ok(&admin, "events.subscribe", "{\"server\":\"web\",\"events\":[\"drop\"]}");
    int kept = connect_from("127.0.0.1", "127.0.0.1", port);
    int over = connect_from("127.0.0.5", "127.0.0.1", port);
    json_t *e = dh_event(&admin, "drop", NULL);
    expect_str(e, "reason", "maxConnections");
    expect_addresses(e, over, "127.0.0.5", "127.0.0.1", port);
    json_decref(e);
    dh_expect_eof(over);
    close(over);
    close(kept);
    dh_close(&admin);
}

/* An accept that fails for want of fds (the daemon's RLIMIT_NOFILE lowered to 0 from
 * here) is an 'error' event; the connection waits in the kernel's backlog, and once fds
 * are there again the daemon's retry hands it over: nothing is lost, nothing spins. */
static void test_dispatch_accept_emfile(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t admin, sub;
    dh_connect(&admin, d);
    dh_connect(&sub, d);
    int port = create(&admin, "{\"name\":\"web\",\"host\":\"127.0.0.1\",\"port\":0,"
                              "\"mode\":\"dispatch\"}");
    dh_call_ok(&admin, "events.subscribe", "{\"server\":\"web\",\"events\":[\"error\"]}");
    dh_call_ok(&sub, "server.subscribe", "{\"name\":\"web\"}");
    struct rlimit was, none;
    assert_int_equal(prlimit(d->pid, RLIMIT_NOFILE, NULL, &was), 0);
    none = (struct rlimit){ .rlim_cur = 0, .rlim_max = was.rlim_max };
    assert_int_equal(prlimit(d->pid, RLIMIT_NOFILE, &none, NULL), 0);
    int peer = connect_from("127.0.0.1", "127.0.0.1", port), fd = -1;
    json_t *e = dh_event(&admin, "error", NULL);
    expect_str(e, "code", "EMFILE");
    json_decref(e);
    assert_int_equal(prlimit(d->pid, RLIMIT_NOFILE, &was, NULL), 0);
    e = dh_event(&sub, "connection", &fd);
    assert_int_equal(json_integer_value(json_object_get(e, "remotePort")), dh_local_port(peer));
    json_decref(e);
    expect_same_connection(fd, peer);
    close(fd);
    close(peer);
    dh_close(&sub);
    dh_close(&admin);
}

/* Reads one line from a raw control connection; returns its length, newline included. */
static size_t raw_line(int fd, char *buf, size_t size)
{
    size_t n = 0;
    while (n == 0 || buf[n - 1] != '\n') {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        assert_int_equal(poll(&p, 1, DH_DEADLINE_MS), 1);
        assert_true(n < size - 1);
        assert_int_equal(recv(fd, buf + n, 1, 0), 1); /* a byte at a time: one line only */
        n++;
    }
    buf[n] = '\0';
    return n;
}

static void raw_send(int fd, const char *line)
{
    assert_int_equal(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
}

/* The control plane's bytes, to the byte: what this connection sent and was sent. */
static void test_stats_control_bytes(void **state)
{
    dh_daemon_t *d = *state;
    int fd = unix_connect(d->control);
    const char *hello = "{\"id\":1,\"op\":\"hello\",\"args\":{\"version\":1}}\n";
    const char *stats = "{\"id\":2,\"op\":\"stats\"}\n";
    char buf[4096];
    raw_send(fd, hello);
    size_t hello_reply = raw_line(fd, buf, sizeof(buf));
    raw_send(fd, stats);
    raw_line(fd, buf, sizeof(buf));
    json_t *r = json_loads(buf, 0, NULL);
    assert_non_null(r);
    json_t *res = json_object_get(r, "result");
    json_int_t in = json_integer_value(json_object_get(res, "connectionBytesRead"));
    json_int_t out = json_integer_value(json_object_get(res, "connectionBytesWritten"));
    assert_int_equal(in, strlen(hello) + strlen(stats));
    assert_int_equal(out, hello_reply); /* before this reply */
    assert_true(json_integer_value(json_object_get(res, "bytesRead")) >= in);
    assert_true(json_integer_value(json_object_get(res, "bytesWritten")) >= out);
    json_decref(r);
    close(fd);
}

/* socket.connect binds localAddress and localPort first, as net.connect does. */
static void test_connect_local_address(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 8), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
    /* A port free on 127.0.0.2 now: the kernel's pick for a socket closed at once. */
    int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in lp = { .sin_family = AF_INET };
    inet_pton(AF_INET, "127.0.0.2", &lp.sin_addr);
    assert_int_equal(bind(probe, (struct sockaddr *)&lp, sizeof(lp)), 0);
    int local_port = dh_local_port(probe);
    close(probe);
    char args[256];
    snprintf(args, sizeof(args),
             "{\"host\":\"127.0.0.1\",\"port\":%d,\"localAddress\":\"127.0.0.2\","
             "\"localPort\":%d}",
             ntohs(sa.sin_port), local_port);
    int fds[1];
    size_t nfds = 0;
    json_t *r = dh_call(&c, "socket.connect", args, fds, &nfds);
    json_t *res = dh_ok(r);
    assert_int_equal(nfds, 1);
    expect_str(res, "localAddress", "127.0.0.2");
    assert_int_equal(json_integer_value(json_object_get(res, "localPort")), local_port);
    json_decref(r);
    struct sockaddr_in peer;
    len = sizeof(peer);
    int afd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
    assert_true(afd >= 0);
    char text[INET_ADDRSTRLEN];
    assert_string_equal(inet_ntop(AF_INET, &peer.sin_addr, text, sizeof(text)), "127.0.0.2");
    assert_int_equal(ntohs(peer.sin_port), local_port);
    expect_same_connection(fds[0], afd);
    close(afd);
    close(fds[0]);
    close(lfd);
    dh_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dispatch_event_addresses, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_event_ipv6, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_unix_path, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_burst_each_once, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_drop_addresses, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_accept_emfile, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_stats_control_bytes, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_connect_local_address, dh_fixture_setup,
                                        dh_fixture_teardown),
    };
    return cmocka_run_group_tests_name("daemon_dispatch", tests, NULL, NULL);
}
