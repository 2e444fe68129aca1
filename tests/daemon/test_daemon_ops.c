/* test_daemon_ops.c: the success path of every operation against the real netbrokerd,
 * and the policies a dispatch server applies (maxConnections, queueLimit, queueTimeout)
 * with their 'drop' events. */
#include "dhelp.h"
#include "dwork.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static json_t *ok_call(dh_client_t *c, const char *op, const char *args)
{
    json_t *r = dh_call(c, op, args, NULL, NULL);
    dh_ok(r);
    return r;
}

static void test_hello_version_and_again(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect_raw(&c, d);
    json_t *r = dh_call(&c, "server.list", NULL, NULL, NULL);
    dh_assert_error(r, "ERR_PROTO_HELLO");
    json_decref(r);
    /* A newer client gets the version both speak; unknown hello arguments are ignored. */
    r = ok_call(&c, "hello", "{\"version\":7,\"future\":true}");
    json_t *res = json_object_get(r, "result");
    assert_int_equal(json_integer_value(json_object_get(res, "version")), 1);
    json_t *caps = json_object_get(res, "capabilities");
    assert_true(json_array_size(caps) >= 20);
    assert_string_equal(json_string_value(json_array_get(caps, 0)), "hello");
    json_decref(r);
    r = dh_call(&c, "hello", "{\"version\":1}", NULL, NULL);
    dh_assert_error(r, "ERR_PROTO_HELLO");
    json_decref(r);
    dh_close(&c);
}

static void test_server_lifecycle(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    char args[512], path[160];
    snprintf(path, sizeof(path), "%s/web.sock", d->dir);
    snprintf(args, sizeof(args), "{\"name\":\"web\",\"path\":\"%s\",\"mode\":\"dispatch\"}", path);
    json_t *r = ok_call(&c, "server.create", args);
    assert_string_equal(json_string_value(json_object_get(dh_ok(r), "path")), path);
    json_decref(r);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    r = ok_call(&c, "server.create", "{\"name\":\"api\",\"host\":\"127.0.0.1\",\"port\":0}");
    int port = (int)json_integer_value(json_object_get(dh_ok(r), "port"));
    json_decref(r);

    r = ok_call(&c, "server.list", NULL);
    json_t *list = json_object_get(dh_ok(r), "servers");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "name")), "api");
    json_decref(r);

    r = ok_call(&c, "server.info", "{\"name\":\"api\"}");
    assert_string_equal(json_string_value(json_object_get(dh_ok(r), "mode")), "acquire");
    json_decref(r);

    r = ok_call(&c, "server.set",
                "{\"name\":\"web\",\"maxConnections\":5,\"queueTimeout\":100,"
                "\"access\":[{\"uid\":1234,\"allow\":[\"read\"]}]}");
    assert_int_equal(json_integer_value(json_object_get(dh_ok(r), "maxConnections")), 5);
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "access")), 1);
    json_decref(r);
    r = dh_call(&c, "server.set", "{\"name\":\"api\",\"maxConnections\":5}", NULL, NULL);
    dh_assert_error(r, "ERR_INVALID_ARG_VALUE");
    json_decref(r);

    r = dh_call(&c, "server.create", "{\"name\":\"api\",\"port\":0}", NULL, NULL);
    dh_assert_error(r, "ERR_SERVER_ALREADY_LISTEN");
    json_decref(r);
    snprintf(args, sizeof(args), "{\"name\":\"api2\",\"host\":\"127.0.0.1\",\"port\":%d}", port);
    r = dh_call(&c, "server.create", args, NULL, NULL);
    dh_assert_error(r, "EADDRINUSE");
    json_decref(r);
    snprintf(args, sizeof(args),
             "{\"name\":\"web2\",\"host\":\"127.0.0.1\",\"port\":%d,\"mode\":\"dispatch\"}", port);
    r = dh_call(&c, "server.create", args, NULL, NULL);
    dh_assert_error(r, "EADDRINUSE");
    json_decref(r);

    dh_call_ok(&c, "server.close", "{\"name\":\"web\"}");
    dh_call_ok(&c, "server.close", "{\"name\":\"api\"}");
    assert_int_equal(lstat(path, &st), -1); /* Node unlinks the path of a closed server */
    r = dh_call(&c, "server.info", "{\"name\":\"web\"}", NULL, NULL);
    dh_assert_error(r, "ERR_NOT_FOUND");
    json_decref(r);
    r = ok_call(&c, "server.list", NULL);
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "servers")), 0);
    json_decref(r);
    dh_close(&c);
}

/* A host name is resolved (as Node's listen does with dns.lookup): the server listens on
 * the address found. */
/* A server closed in the read that created it: each request gets its one reply, in
 * order, and nothing stays (fuzz_dispatcher found the create unanswered and its wait leaked
 * when 'listening' came on a later turn; ASan runs this too). */
static void test_server_create_then_close_pipelined(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    static const char lines[] =
        "{\"id\":900,\"op\":\"server.create\",\"args\":{\"name\":\"pipe\",\"host\":"
        "\"127.0.0.1\",\"port\":0,\"mode\":\"dispatch\"}}\n"
        "{\"id\":901,\"op\":\"server.close\",\"args\":{\"name\":\"pipe\"}}\n";
    dh_send_raw(&c, lines, sizeof(lines) - 1);
    json_t *r = dh_reply(&c, 900, NULL, NULL);
    dh_ok(r);
    json_decref(r);
    r = dh_reply(&c, 901, NULL, NULL);
    dh_ok(r);
    json_decref(r);
    r = ok_call(&c, "server.list", NULL);
    assert_int_equal(json_array_size(json_object_get(json_object_get(r, "result"), "servers")), 0);
    json_decref(r);
    dh_close(&c);
}

static void test_server_create_host_name(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    json_t *r = ok_call(&c, "server.create", "{\"name\":\"n\",\"host\":\"localhost\",\"port\":0}");
    const char *address = json_string_value(json_object_get(dh_ok(r), "address"));
    assert_true(strcmp(address, "127.0.0.1") == 0 || strcmp(address, "::1") == 0);
    json_decref(r);
    r = dh_call(&c, "server.create", "{\"name\":\"n\",\"host\":\"localhost\",\"port\":0}", NULL,
                NULL);
    dh_assert_error(r, "ERR_SERVER_ALREADY_LISTEN");
    json_decref(r);
    dh_close(&c);
}

/* Mode and exclusive rules of the handoff operations. */
static void test_handoff_modes_and_exclusive(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t a, b;
    dh_connect(&a, d);
    dh_connect(&b, d);
    dh_call_ok(&a, "server.create",
               "{\"name\":\"acq\",\"host\":\"127.0.0.1\","
               "\"port\":0,\"exclusive\":true}");
    dh_call_ok(&a, "server.create",
               "{\"name\":\"dis\",\"host\":\"127.0.0.1\","
               "\"port\":0,\"exclusive\":true,"
               "\"mode\":\"dispatch\"}");
    json_t *r = dh_call(&a, "server.acquire", "{\"name\":\"dis\"}", NULL, NULL);
    dh_assert_error(r, "ERR_INVALID_ARG_VALUE");
    json_decref(r);
    r = dh_call(&a, "server.subscribe", "{\"name\":\"acq\"}", NULL, NULL);
    dh_assert_error(r, "ERR_INVALID_ARG_VALUE");
    json_decref(r);
    close(dh_call_fd(&a, "server.acquire", "{\"name\":\"acq\"}"));
    r = dh_call(&b, "server.acquire", "{\"name\":\"acq\"}", NULL, NULL);
    dh_assert_error(r, "EADDRINUSE"); /* exclusive: held by a */
    json_decref(r);
    dh_call_ok(&a, "server.subscribe", "{\"name\":\"dis\"}");
    r = dh_call(&b, "server.subscribe", "{\"name\":\"dis\"}", NULL, NULL);
    dh_assert_error(r, "EADDRINUSE");
    json_decref(r);
    dh_call_ok(&a, "server.unsubscribe", "{\"name\":\"dis\"}");
    dh_call_ok(&b, "server.subscribe", "{\"name\":\"dis\"}");
    dh_close(&a); /* its hold on the listener ends with it, once the daemon saw it go */
    dw_wait_clients(&b, 1);
    close(dh_call_fd(&b, "server.acquire", "{\"name\":\"acq\"}"));
    dh_close(&b);
}

static void test_events_listening_close(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c, w;
    dh_connect(&c, d);
    dh_connect(&w, d);
    dh_call_ok(&w, "events.subscribe", NULL);
    dh_call_ok(&c, "server.create", "{\"name\":\"e\",\"host\":\"127.0.0.1\",\"port\":0}");
    json_t *e = dh_event(&w, "listening", NULL);
    assert_string_equal(json_string_value(json_object_get(e, "server")), "e");
    assert_string_equal(json_string_value(json_object_get(e, "family")), "IPv4");
    json_decref(e);
    dh_call_ok(&c, "server.close", "{\"name\":\"e\"}");
    e = dh_event(&w, "close", NULL);
    assert_string_equal(json_string_value(json_object_get(e, "server")), "e");
    json_decref(e);
    dh_call_ok(&w, "events.unsubscribe", NULL);
    dh_call_ok(&w, "events.unsubscribe", "{\"server\":\"never-was\"}");
    dh_close(&w);
    dh_close(&c);
}

/* Creates a dispatch server with extra members; returns its port. */
static int dispatch_server(dh_client_t *c, const char *extra)
{
    char args[512];
    snprintf(args, sizeof(args),
             "{\"name\":\"q\",\"host\":\"127.0.0.1\",\"port\":0,\"mode\":\"dispatch\"%s}", extra);
    json_t *r = ok_call(c, "server.create", args);
    int port = (int)json_integer_value(json_object_get(dh_ok(r), "port"));
    json_decref(r);
    dh_call_ok(c, "events.subscribe", "{\"server\":\"q\",\"events\":[\"drop\"]}");
    return port;
}

static void expect_drop(dh_client_t *c, const char *reason, int peer)
{
    json_t *e = dh_event(c, "drop", NULL);
    assert_string_equal(json_string_value(json_object_get(e, "reason")), reason);
    json_decref(e);
    dh_expect_eof(peer);
    close(peer);
}

static void test_dispatch_max_connections_drop(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    int port = dispatch_server(&c, ",\"maxConnections\":1");
    int held = dh_tcp_connect(NULL, port);
    int extra = dh_tcp_connect(NULL, port);
    expect_drop(&c, "maxConnections", extra);
    json_t *r = ok_call(&c, "stats", "{\"server\":\"q\"}");
    json_t *s = json_array_get(json_object_get(dh_ok(r), "servers"), 0);
    assert_int_equal(json_integer_value(json_object_get(s, "dropped")), 1);
    assert_int_equal(json_integer_value(json_object_get(s, "queued")), 1);
    json_decref(r);
    /* Closing the server drops what it still holds, with reason close. */
    dh_call_ok(&c, "server.close", "{\"name\":\"q\"}");
    expect_drop(&c, "close", held);
    dh_close(&c);
}

static void test_dispatch_queue_limit_and_timeout(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    int port = dispatch_server(&c, ",\"queueLimit\":1,\"queueTimeout\":20");
    int first = dh_tcp_connect(NULL, port);
    int second = dh_tcp_connect(NULL, port);
    expect_drop(&c, "queueFull", second);
    expect_drop(&c, "queueTimeout", first);
    dh_close(&c);
}

static void test_blocklist_operations(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    dispatch_server(&c, "");
    json_t *r = ok_call(&c, "blocklist.add",
                        "{\"rules\":[{\"kind\":\"subnet\",\"net\":\"10.0.0.0\",\"prefix\":8}]}");
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "rules")), 1);
    json_decref(r);
    r = ok_call(&c, "blocklist.add",
                "{\"server\":\"q\",\"rules\":[{\"kind\":\"range\",\"start\":\"192.0.2.1\","
                "\"end\":\"192.0.2.9\"},{\"kind\":\"address\",\"address\":\"::1\"}]}");
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "rules")), 2);
    json_decref(r);
    r = ok_call(&c, "blocklist.check", "{\"server\":\"q\",\"address\":\"192.0.2.5\"}");
    assert_true(json_is_true(json_object_get(dh_ok(r), "blocked")));
    json_t *hit = json_object_get(dh_ok(r), "rule");
    assert_string_equal(json_string_value(json_object_get(hit, "kind")), "range");
    assert_string_equal(json_string_value(json_object_get(hit, "type")), "ipv4");
    json_decref(r);
    r = ok_call(&c, "blocklist.check", "{\"address\":\"10.1.2.3\"}");
    assert_true(json_is_true(json_object_get(dh_ok(r), "blocked")));
    json_decref(r);
    r = ok_call(&c, "blocklist.check", "{\"address\":\"192.0.2.5\"}");
    assert_true(json_is_false(json_object_get(dh_ok(r), "blocked")));
    json_decref(r);
    r = ok_call(&c, "blocklist.remove",
                "{\"server\":\"q\",\"rules\":[{\"kind\":\"address\",\"address\":\"::1\"}]}");
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "rules")), 1);
    json_decref(r);
    r = dh_call(&c, "blocklist.remove",
                "{\"server\":\"q\",\"rules\":[{\"kind\":\"address\",\"address\":\"::1\"}]}", NULL,
                NULL);
    dh_assert_error(r, "ERR_NOT_FOUND");
    json_decref(r);
    r = ok_call(&c, "blocklist.list", "{\"server\":\"q\"}");
    json_t *rule = json_array_get(json_object_get(dh_ok(r), "rules"), 0);
    assert_string_equal(json_string_value(json_object_get(rule, "type")), "ipv4");
    json_decref(r);
    dh_close(&c);
}

static void test_socket_connect(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 4), 0);
    socklen_t len = sizeof(sa);
    getsockname(lfd, (struct sockaddr *)&sa, &len);
    char args[128];
    snprintf(args, sizeof(args), "{\"host\":\"127.0.0.1\",\"port\":%d}", ntohs(sa.sin_port));
    int fds[1];
    size_t nfds;
    json_t *r = dh_call(&c, "socket.connect", args, fds, &nfds);
    json_t *res = dh_ok(r);
    assert_int_equal(nfds, 1);
    assert_int_equal(json_integer_value(json_object_get(res, "remotePort")), ntohs(sa.sin_port));
    int peer = accept(lfd, NULL, NULL);
    assert_true(peer >= 0);
    assert_int_equal(send(fds[0], "c", 1, MSG_NOSIGNAL), 1);
    char b;
    assert_int_equal(recv(peer, &b, 1, 0), 1);
    assert_int_equal(b, 'c');
    json_decref(r);
    close(fds[0]);
    close(peer);
    close(lfd); /* now nothing listens there */
    r = dh_call(&c, "socket.connect", args, NULL, NULL);
    dh_assert_error(r, "ECONNREFUSED");
    json_decref(r);
    /* The global blocklist applies to outbound connections. */
    dh_call_ok(&c, "blocklist.add",
               "{\"rules\":[{\"kind\":\"address\",\"address\":\"127.0.0.1\"}]}");
    r = dh_call(&c, "socket.connect", args, NULL, NULL);
    dh_assert_error(r, "ERR_IP_BLOCKED");
    json_decref(r);
    dh_close(&c);
}

static void test_fd_store_replace_expiry_list(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c, w;
    dh_connect(&c, d);
    dh_connect(&w, d);
    int p[2];
    assert_int_equal(pipe(p), 0);
    json_t *r = dh_reply(&c, dh_send(&c, "fd.store", "{\"name\":\"a\"}", &p[0], 1), NULL, NULL);
    dh_ok(r);
    json_decref(r);
    r = dh_reply(&c, dh_send(&c, "fd.store", "{\"name\":\"a\"}", &p[0], 1), NULL, NULL);
    dh_assert_error(r, "EEXIST");
    json_decref(r);
    r = dh_reply(
        &c, dh_send(&c, "fd.store", "{\"name\":\"a\",\"replace\":true,\"timeout\":10}", &p[0], 1),
        NULL, NULL);
    assert_false(json_is_null(json_object_get(dh_ok(r), "expiresAt")));
    json_decref(r);
    close(p[0]);
    /* The fixture plays systemd: it takes the mirrors of the store (their fds would keep
     * the pipe open), and sees the expired one dropped. */
    close(dh_notify_take(d, "FDSTORE=1\nFDNAME=nb-fd.a"));
    close(dh_notify_take(d, "FDSTORE=1\nFDNAME=nb-fd.a"));
    assert_int_equal(dh_notify_take(d, "FDSTOREREMOVE=1\nFDNAME=nb-fd.a"), -1);
    /* The daemon closes the expired fd: the write end then sees a pipe without reader
     * (POLLERR is reported whatever the events asked). */
    struct pollfd pf = { .fd = p[1], .events = 0 };
    assert_int_equal(poll(&pf, 1, DH_DEADLINE_MS), 1);
    assert_true(pf.revents & POLLERR);
    r = ok_call(&c, "fd.list", NULL);
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "fds")), 0);
    json_decref(r);
    close(p[1]);
    r = dh_call(&c, "fd.remove", "{\"name\":\"a\"}", NULL, NULL);
    dh_assert_error(r, "ERR_NOT_FOUND");
    json_decref(r);
    dh_close(&w);
    dh_close(&c);
}

static void test_reload_applies_difference(void **state)
{
    dh_daemon_t *d = *state;
    (void)d;
    dh_daemon_t rd;
    dh_daemon_init(&rd, "{\"servers\":{\"a\":{\"host\":\"127.0.0.1\",\"port\":0,"
                        "\"mode\":\"dispatch\"},\"gone\":{\"host\":\"127.0.0.1\",\"port\":0}}}");
    dh_daemon_start(&rd);
    dh_client_t c;
    dh_connect(&c, &rd);
    json_t *r = ok_call(&c, "server.info", "{\"name\":\"a\"}");
    json_int_t port = json_integer_value(json_object_get(dh_ok(r), "port"));
    json_decref(r);
    dh_daemon_write_config(&rd, "{\"servers\":{\"a\":{\"host\":\"127.0.0.1\",\"port\":0,"
                                "\"mode\":\"dispatch\",\"maxConnections\":3},"
                                "\"b\":{\"host\":\"127.0.0.1\",\"port\":0}}}");
    r = ok_call(&c, "daemon.reload", NULL);
    json_t *res = dh_ok(r);
    assert_string_equal(json_string_value(json_array_get(json_object_get(res, "added"), 0)), "b");
    assert_string_equal(json_string_value(json_array_get(json_object_get(res, "changed"), 0)), "a");
    assert_string_equal(json_string_value(json_array_get(json_object_get(res, "removed"), 0)),
                        "gone");
    json_decref(r);
    r = ok_call(&c, "server.info", "{\"name\":\"a\"}");
    /* The same listener (port 0 would have picked another), the new policy. */
    assert_int_equal(json_integer_value(json_object_get(dh_ok(r), "port")), port);
    assert_int_equal(json_integer_value(json_object_get(dh_ok(r), "maxConnections")), 3);
    json_decref(r);
    /* Invalid: refused with file, key and reason; nothing changes. */
    dh_daemon_write_config(&rd, "{\"servers\":{\"a\":{\"host\":\"127.0.0.1\",\"port\":\"x\"}}}");
    r = dh_call(&c, "daemon.reload", NULL, NULL, NULL);
    dh_assert_error(r, "ERR_CONFIG");
    const char *msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
    assert_non_null(strstr(msg, rd.config));
    assert_non_null(strstr(msg, "servers.a"));
    assert_non_null(strstr(msg, "port"));
    json_decref(r);
    r = ok_call(&c, "server.list", NULL);
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "servers")), 2);
    json_decref(r);
    /* SIGHUP reads it again too. */
    dh_daemon_write_config(&rd, "{\"servers\":{}}");
    kill(rd.pid, SIGHUP);
    for (;;) {
        r = ok_call(&c, "server.list", NULL);
        size_t n = json_array_size(json_object_get(dh_ok(r), "servers"));
        json_decref(r);
        if (n == 0) {
            break;
        }
    }
    dh_close(&c);
    dh_daemon_stop(&rd);
    dh_daemon_cleanup(&rd);
}

static void test_daemon_shutdown_exits_zero(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    dh_call_ok(&c, "daemon.shutdown", NULL);
    assert_true(dh_wait_closed(&c));
    dh_close(&c);
    dh_daemon_wait_exit(d);
}

/* A listener whose backlog is full: a connect to it cannot finish (the SYN is dropped). */
static int full_listener(int fill[2], int *ret_port)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 0), 0);
    socklen_t len = sizeof(sa);
    getsockname(lfd, (struct sockaddr *)&sa, &len);
    for (int i = 0; i < 2; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        connect(fill[i], (struct sockaddr *)&sa, sizeof(sa));
    }
    *ret_port = ntohs(sa.sin_port);
    return lfd;
}

static void close_full_listener(int lfd, int fill[2])
{
    for (int i = 0; i < 2; i++) {
        close(fill[i]);
    }
    close(lfd);
}

/* A connect in flight is answered ABORT_ERR when the daemon stops, which it does at once. */
static void test_sigterm_cancels_connect_in_flight(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    int fill[2], port;
    int lfd = full_listener(fill, &port);
    char args[128];
    snprintf(args, sizeof(args), "{\"host\":\"127.0.0.1\",\"port\":%d}", port);
    int64_t id = dh_send(&c, "socket.connect", args, NULL, 0);
    json_decref(dh_call(&c, "stats", NULL, NULL, NULL)); /* the connect has started */
    dh_daemon_stop(d);                                   /* exits 0, within the deadline */
    json_t *r = dh_reply(&c, id, NULL, NULL);
    dh_assert_error(r, "ABORT_ERR");
    json_decref(r);
    close_full_listener(lfd, fill);
    dh_close(&c);
}

/* A client that goes while its connect is in flight: the daemon closes that socket. */
static void test_connect_cancelled_with_client(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t probe, c;
    dh_connect(&probe, d);
    int before = dh_daemon_fd_count(d);
    dh_connect(&c, d);
    int fill[2], port;
    int lfd = full_listener(fill, &port);
    char args[128];
    snprintf(args, sizeof(args), "{\"host\":\"127.0.0.1\",\"port\":%d}", port);
    dh_send(&c, "socket.connect", args, NULL, 0);
    json_decref(dh_call(&c, "stats", NULL, NULL, NULL)); /* the connect has started */
    dh_close(&c);
    dh_expect_fd_count(d, &probe, before);
    close_full_listener(lfd, fill);
    dh_close(&probe);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hello_version_and_again, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_lifecycle, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_create_host_name, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_handoff_modes_and_exclusive, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_events_listening_close, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_max_connections_drop, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_queue_limit_and_timeout, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_blocklist_operations, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_socket_connect, dh_fixture_setup, dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fd_store_replace_expiry_list, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_reload_applies_difference, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_daemon_shutdown_exits_zero, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_cancels_connect_in_flight, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_connect_cancelled_with_client, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_create_then_close_pipelined, dh_fixture_setup,
                                        dh_fixture_teardown),
    };
    return cmocka_run_group_tests_name("daemon_ops", tests, NULL, NULL);
}
