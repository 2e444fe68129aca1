/* test_listen_socket.c: nc_listen_socket, the listening fd that nobody in this process
 * accepts on (Node's cluster primary handle): bound and listening with listen()'s
 * options and errors, and served elsewhere with nc_server_listen_fd. */
#include "nethelp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int port_of(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    return ntohs(sa.sin_port);
}

static void test_listen_socket_tcp_queues_unaccepted(void **state)
{
    (void)state;
    nc_listen_options_t lo = { .host = "127.0.0.1", .port = 0 };
    int fd = -1;
    assert_int_equal(nc_listen_socket(&lo, &fd, NULL), 0);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(nh_sockopt(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
    /* A connection waits in the backlog: nothing accepts it until someone does. */
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port_of(fd)) };
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    assert_int_equal(connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
    struct pollfd p = { .fd = fd, .events = POLLIN };
    assert_int_equal(poll(&p, 1, NH_DEADLINE_MS), 1);
    int a = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    assert_true(a >= 0);
    close(a);
    close(c);
    close(fd);
}

static void on_connection(nc_server_t *s, const void *arg, void *data)
{
    nh_fixture_t *fx = data;
    nc_socket_destroy(((const nc_server_connection_t *)arg)->socket, 0);
    nh_log(fx, "connection");
    nc_server_close(s, NULL, NULL);
}

static void test_listen_socket_served_by_listen_fd(void **state)
{
    nh_fixture_t *fx = *state;
    nc_listen_options_t lo = { .host = "127.0.0.1", .port = 0 };
    int fd = -1;
    assert_int_equal(nc_listen_socket(&lo, &fd, NULL), 0);
    int port = port_of(fd);
    nc_server_t *server;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &server), 0);
    nc_server_on(server, NC_SERVER_CONNECTION, on_connection, fx);
    assert_int_equal(nc_server_listen_fd(server, fd, 0, NULL), 0);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    assert_int_equal(connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
    nh_run(fx);
    assert_string_equal(fx->log, "connection");
    nc_server_release(server);
    close(c);
}

static void test_listen_socket_unix_modes_and_errors(void **state)
{
    nh_fixture_t *fx = *state;
    char path[128];
    nh_path(fx, "ls.sock", path, sizeof(path));
    mode_t old = umask(077);
    nc_listen_options_t lo = {
        .path = path, .path_len = strlen(path), .readable_all = true, .writable_all = true
    };
    int fd = -1;
    assert_int_equal(nc_listen_socket(&lo, &fd, NULL), 0);
    umask(old);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0766); /* as uv_pipe_chmod: adds r and w for all */
    /* As listen(): the path is taken. */
    nc_error_t err = { 0 };
    int fd2 = -1;
    assert_int_equal(nc_listen_socket(&lo, &fd2, &err), -EADDRINUSE);
    assert_int_equal(fd2, -1);
    assert_non_null(strstr(err.message, "EADDRINUSE"));
    close(fd);
    unlink(path);
    nc_listen_options_t bad = { .host = "127.0.0.1", .port = 65536 };
    assert_int_equal(nc_listen_socket(&bad, &fd2, &err), NC_ERR_SOCKET_BAD_PORT);
    nc_listen_options_t name = { .host = "localhost", .port = 0 };
    assert_int_equal(nc_listen_socket(&name, &fd2, &err), NC_ERR_INVALID_ARG_VALUE);
    assert_int_equal(nc_listen_socket(NULL, &fd2, NULL), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_listen_socket_tcp_queues_unaccepted, nh_setup,
                                        nh_teardown),
        cmocka_unit_test_setup_teardown(test_listen_socket_served_by_listen_fd, nh_setup,
                                        nh_teardown),
        cmocka_unit_test_setup_teardown(test_listen_socket_unix_modes_and_errors, nh_setup,
                                        nh_teardown),
    };
    return cmocka_run_group_tests_name("listen_socket", tests, NULL, NULL);
}
