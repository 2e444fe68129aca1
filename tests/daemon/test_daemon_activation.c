/* test_daemon_activation.c: socket activation of a real netbrokerd: by Debian's
 * systemd-socket-activate (a control socket and a TCP listener named 'web'), and by the
 * harness of sdharness.c, which also passes sockets that do not fit, a LISTEN_PID meant for
 * another process, and reloads that must not close an adopted listener. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

#include "dhelp.h"

#define T DH_DEADLINE_MS

typedef struct {
    sdh_t h;
    char control[160];
    char config[160];
    char *argv[DH_ARGV_MAX]; /* netbrokerd with both, at debug level */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(sdh_init(&f->h), 0);
    snprintf(f->control, sizeof(f->control), "%s/control.sock", f->h.dir);
    snprintf(f->config, sizeof(f->config), "%s/config.json", f->h.dir);
    dh_daemon_argv(f->argv, f->control, f->config, "debug", false);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    if (f->h.pid > 0) {
        sdh_dump_log(&f->h);
    }
    sdh_free(&f->h);
    free(f);
    return 0;
}

static void write_config(fixture_t *f, const char *text)
{
    dh_write_file(f->config, text);
}

/* A STATUS= whose text contains want (each one sent is read in turn). */
static void expect_status(fixture_t *f, const char *want)
{
    for (;;) {
        int i = sdh_wait_message(&f->h, "STATUS=", T);
        if (i < 0) {
            sdh_dump_log(&f->h);
            fail_msg("no STATUS= with '%s'", want);
        }
        size_t len = 0;
        const char *v = sdh_message_value(&f->h, (size_t)i, "STATUS", &len);
        if (v != NULL && memmem(v, len, want, strlen(want)) != NULL) {
            return;
        }
    }
}

static int tcp_listener(int *ret_port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 64), 0);
    *ret_port = dh_local_port(fd);
    return fd;
}

static int unix_listener(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
    assert_int_equal(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
    assert_int_equal(listen(fd, 64), 0);
    return fd;
}

/* True when the daemon holds the socket fd refers to (same inode). */
static bool daemon_holds(const fixture_t *f, int fd)
{
    uint64_t ino = sdh_fd_inode(fd);
    assert_true(ino != 0);
    return sdh_pid_holds_inode(f->h.pid, ino);
}

static json_t *server_info(dh_client_t *c, const char *name)
{
    char args[128];
    snprintf(args, sizeof(args), "{\"name\":\"%s\"}", name);
    return dh_call(c, "server.info", args, NULL, NULL);
}

static int64_t member(json_t *reply, const char *key)
{
    return json_integer_value(json_object_get(dh_ok(reply), key));
}

static const char web_config[] =
    "{\"servers\":{\"web\":{\"host\":\"127.0.0.1\",\"port\":9,\"mode\":\"dispatch\","
    "\"maxConnections\":7,\"queueLimit\":5}}}";

/* systemd-socket-activate listens on the control path itself (-l) and passes our TCP
 * listener through, naming them web:control; it starts netbrokerd on the first
 * connection, which waits in web's queue and is dispatched once a client subscribes. */
static void test_socket_activate(void **state)
{
    fixture_t *f = *state;
    int before = dh_self_fd_count();
    /* The Makefile installs Debian's systemd package, which has it: missing is a failure. */
    if (access("/usr/bin/systemd-socket-activate", X_OK) != 0) {
        fail_msg("/usr/bin/systemd-socket-activate is missing: install Debian's systemd");
    }
    write_config(f, web_config);
    int port, tcp = tcp_listener(&port);
    char notify[200];
    snprintf(notify, sizeof(notify), "NOTIFY_SOCKET=%s", f->h.notify_path);
    char *argv[] = { "/usr/bin/systemd-socket-activate",
                     "-l",
                     f->control,
                     "--fdname=web:control",
                     "-E",
                     notify,
                     NETBROKERD_PATH,
                     "--config",
                     f->config,
                     "--control",
                     f->control,
                     "--log-level",
                     "debug",
                     NULL };
    const int fds[] = { tcp };
    assert_int_equal(sdh_start(&f->h, argv, fds, NULL, 1), 0);
    int early = dh_tcp_connect(NULL, port);
    dh_sd_expect(&f->h, "READY=1");
    dh_sd_expect_log(&f->h, "server 'web' listens on the socket systemd passed");

    dh_client_t c;
    dh_connect_path(&c, f->control);
    json_t *r = server_info(&c, "web");
    assert_int_equal(member(r, "port"), port);
    assert_int_equal(member(r, "maxConnections"), 7);
    assert_int_equal(member(r, "queueLimit"), 5);
    assert_string_equal(json_string_value(json_object_get(dh_ok(r), "mode")), "dispatch");
    json_decref(r);
    dh_call_ok(&c, "server.subscribe", "{\"name\":\"web\"}");
    dh_expect_dispatch(&c, early);
    int later = dh_tcp_connect(NULL, port);
    dh_expect_dispatch(&c, later);
    expect_status(f, "1 subscribers");
    close(early);
    close(later);
    dh_close(&c);
    dh_sd_expect_clean_exit(&f->h);
    assert_true(sdh_find_message(&f->h, "STOPPING=1", 0) >= 0);
    /* The control socket is the socket unit's: still there for the next start. */
    struct stat st;
    assert_int_equal(stat(f->control, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    close(tcp);
    assert_int_equal(dh_self_fd_count(), before);
}

/* The harness passes good and bad sockets: a UDP socket and a TCP socket that does not
 * listen under configured names, a Unix socket where the configuration wants IP, a second
 * socket under a taken name. Each is logged and closed, the servers bind as configured,
 * the daemon serves; a socket the configuration does not name gets the defaults. */
static void test_bad_sockets(void **state)
{
    fixture_t *f = *state;
    int before = dh_self_fd_count();
    write_config(f,
                 "{\"servers\":{\"web\":{\"port\":0,\"host\":\"127.0.0.1\",\"mode\":\"dispatch\"},"
                 "\"udp\":{\"port\":0,\"host\":\"127.0.0.1\"},"
                 "\"idle\":{\"port\":0,\"host\":\"127.0.0.1\"},"
                 "\"ip\":{\"port\":0,\"host\":\"127.0.0.1\"}}}");
    char upath[200];
    snprintf(upath, sizeof(upath), "%s/ip.sock", f->h.dir);
    int web_port, extra_port, twin_port;
    int web = tcp_listener(&web_port), extra = tcp_listener(&extra_port);
    int twin = tcp_listener(&twin_port);
    int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int idle = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int ip = unix_listener(upath);
    int ctl = unix_listener(f->control);
    const int fds[] = { ctl, web, udp, idle, ip, extra, twin };
    const char *const names[] = { "control", "web", "udp", "idle", "ip", "extra", "web" };
    assert_int_equal(sdh_start(&f->h, f->argv, fds, names, 7), 0);
    dh_sd_expect(&f->h, "READY=1");
    dh_sd_expect_log(&f->h, "socket 'udp' (fd 5) from systemd is a datagram socket: closed");
    dh_sd_expect_log(&f->h,
                     "socket 'idle' (fd 6) from systemd is a stream socket that does not listen");
    dh_sd_expect_log(
        &f->h, "socket 'ip' from systemd is AF_UNIX, the configuration's server 'ip' wants IP");
    dh_sd_expect_log(&f->h, "socket 'web' (fd 9) from systemd is a second socket of that name");
    dh_sd_expect_log(&f->h, "the configuration has no server 'extra'");
    assert_false(daemon_holds(f, udp));
    assert_false(daemon_holds(f, idle));
    assert_false(daemon_holds(f, ip));
    assert_false(daemon_holds(f, twin));
    assert_true(daemon_holds(f, web));
    assert_true(daemon_holds(f, ctl));

    dh_client_t c;
    dh_connect_path(&c, f->control);
    json_t *r = server_info(&c, "web");
    assert_int_equal(member(r, "port"), web_port);
    json_decref(r);
    r = server_info(&c, "extra");
    assert_int_equal(member(r, "port"), extra_port);
    assert_string_equal(json_string_value(json_object_get(dh_ok(r), "mode")), "acquire");
    json_decref(r);
    const char *bound[] = { "udp", "idle", "ip" };
    for (int i = 0; i < 3; i++) {
        r = server_info(&c, bound[i]); /* bound as configured instead: a port of its own */
        assert_true(json_is_true(json_object_get(dh_ok(r), "listening")));
        assert_true(member(r, "port") > 0);
        json_decref(r);
    }
    dh_close(&c);
    dh_sd_expect_clean_exit(&f->h);
    int fdsv[] = { web, extra, twin, udp, idle, ip, ctl };
    for (int i = 0; i < 7; i++) {
        close(fdsv[i]);
    }
    assert_int_equal(dh_self_fd_count(), before);
}

/* LISTEN_PID names another process: the daemon says so, adopts nothing, binds web as
 * configured and serves. */
static void test_wrong_listen_pid(void **state)
{
    fixture_t *f = *state;
    int before = dh_self_fd_count();
    write_config(f, "{\"servers\":{\"web\":{\"port\":0,\"host\":\"127.0.0.1\"}}}");
    int port, tcp = tcp_listener(&port);
    const int fds[] = { tcp };
    const char *const names[] = { "web" };
    f->h.listen_pid = 1;
    assert_int_equal(sdh_start(&f->h, f->argv, fds, names, 1), 0);
    dh_sd_expect(&f->h, "READY=1");
    dh_sd_expect_log(&f->h, "LISTEN_FDS=1 is for pid 1, not this one");
    dh_client_t c;
    dh_connect_path(&c, f->control);
    json_t *r = server_info(&c, "web");
    assert_true(member(r, "port") > 0);
    assert_int_not_equal(member(r, "port"), port);
    json_decref(r);
    dh_close(&c);
    dh_sd_expect_clean_exit(&f->h);
    close(tcp);
    assert_int_equal(dh_self_fd_count(), before);
}

static void reload(fixture_t *f, const char *config)
{
    write_config(f, config);
    assert_int_equal(sdh_signal(&f->h, SIGHUP), 0);
    dh_sd_expect(&f->h, "RELOADING=1");
    dh_sd_expect(&f->h, "READY=1");
}

/* Reloads change an adopted server's policy and ignore its address; one that drops it
 * keeps it; a mode change re-creates it on the same socket. daemon.reload, too, is framed
 * by RELOADING=1 and READY=1. */
static void test_reload_keeps_adopted(void **state)
{
    fixture_t *f = *state;
    int before = dh_self_fd_count();
    write_config(f, web_config);
    int port, tcp = tcp_listener(&port);
    const int fds[] = { tcp };
    const char *const names[] = { "web" };
    assert_int_equal(sdh_start(&f->h, f->argv, fds, names, 1), 0);
    dh_sd_expect(&f->h, "READY=1");
    dh_client_t c;
    dh_connect_path(&c, f->control);

    reload(f, "{\"servers\":{\"web\":{\"port\":10,\"mode\":\"dispatch\",\"maxConnections\":3}}}");
    json_t *r = server_info(&c, "web");
    assert_int_equal(member(r, "port"), port);
    assert_int_equal(member(r, "maxConnections"), 3);
    json_decref(r);

    reload(f, "{\"servers\":{}}");
    dh_sd_expect_log(&f->h, "kept, though the configuration no longer names it");
    r = server_info(&c, "web");
    assert_int_equal(member(r, "port"), port);
    json_decref(r);
    assert_true(daemon_holds(f, tcp));

    write_config(f, "{\"servers\":{\"web\":{\"port\":0,\"mode\":\"acquire\"}}}");
    dh_call_ok(&c, "daemon.reload", NULL);
    dh_sd_expect(&f->h, "RELOADING=1");
    dh_sd_expect(&f->h, "READY=1");
    int got = dh_call_fd(&c, "server.acquire", "{\"name\":\"web\"}");
    struct stat a, b;
    assert_int_equal(fstat(got, &a), 0);
    assert_int_equal(fstat(tcp, &b), 0);
    assert_int_equal(a.st_ino, b.st_ino); /* the very socket the harness passed */
    close(got);
    dh_close(&c);
    dh_sd_expect_clean_exit(&f->h);
    close(tcp);
    assert_int_equal(dh_self_fd_count(), before);
}

/* systemd/examples/netbrokerd.json, as shipped, on a passed 'web': the example's policy
 * (acquire, its access rule) on the passed socket instead of port 80. The control socket
 * comes under systemd's default name (the socket unit's): found by its path. */
static void test_shipped_example_config(void **state)
{
    fixture_t *f = *state;
    int before = dh_self_fd_count();
    int port, tcp = tcp_listener(&port);
    int ctl = unix_listener(f->control);
    const int fds[] = { tcp, ctl };
    const char *const names[] = { "web", "netbrokerd.socket" };
    char *argv[] = { NETBROKERD_PATH, "--config", NB_EXAMPLES_DIR "/netbrokerd.json",
                     "--control",     f->control, NULL };
    assert_int_equal(sdh_start(&f->h, argv, fds, names, 2), 0);
    dh_sd_expect(&f->h, "READY=1");
    dh_client_t c;
    dh_connect_path(&c, f->control);
    json_t *r = server_info(&c, "web");
    assert_int_equal(member(r, "port"), port);
    json_t *rule = json_array_get(json_object_get(dh_ok(r), "access"), 0);
    assert_int_equal(json_integer_value(json_object_get(rule, "gid")), 980);
    json_decref(r);
    assert_true(daemon_holds(f, ctl));
    r = server_info(&c, "netbrokerd.socket");
    dh_assert_error(r, "ERR_NOT_FOUND");
    json_decref(r);
    int got[1];
    size_t n = 0;
    r = dh_call(&c, "server.acquire", "{\"name\":\"web\"}", got, &n);
    dh_ok(r);
    json_decref(r);
    close(got[0]);
    dh_close(&c);
    dh_sd_expect_clean_exit(&f->h);
    close(tcp);
    close(ctl);
    assert_int_equal(dh_self_fd_count(), before);
}

/* systemd keeps the socket units' sockets while the daemon is down: a control client and a
 * TCP connection made then wait in the kernel's queues and are served by the next daemon,
 * started with the same sockets. */
static void test_restart_keeps_sockets(void **state)
{
    fixture_t *f = *state;
    int before = dh_self_fd_count();
    write_config(f, web_config);
    int port, tcp = tcp_listener(&port);
    int ctl = unix_listener(f->control);
    const int fds[] = { ctl, tcp };
    const char *const names[] = { "control", "web" };
    assert_int_equal(sdh_start(&f->h, f->argv, fds, names, 2), 0);
    dh_sd_expect(&f->h, "READY=1");
    dh_sd_expect_clean_exit(&f->h);

    dh_client_t c;
    dh_connect_raw_path(&c, f->control); /* the daemon is down: queued, not refused */
    int waiting = dh_tcp_connect(NULL, port);
    assert_int_equal(sdh_start(&f->h, f->argv, fds, names, 2), 0);
    dh_sd_expect(&f->h, "READY=1");
    dh_call_ok(&c, "hello", "{\"version\":1}");
    dh_call_ok(&c, "server.subscribe", "{\"name\":\"web\"}");
    dh_expect_dispatch(&c, waiting);
    close(waiting);
    dh_close(&c);
    dh_sd_expect_clean_exit(&f->h);
    close(tcp);
    close(ctl);
    assert_int_equal(dh_self_fd_count(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_socket_activate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_sockets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_listen_pid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_keeps_adopted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shipped_example_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_keeps_sockets, setup, teardown),
    };
    return cmocka_run_group_tests_name("daemon_activation", tests, NULL, NULL);
}
