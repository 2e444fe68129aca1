/* test_listen_provider.c: nc_set_listen_provider, Node cluster's shared handle without
 * cluster: a non-exclusive listen asks the provider, which answers with an fd (now or
 * later), declines (the server binds itself) or fails ('error'); exclusive listens and
 * listens that throw never ask; a listen or close before the answer drops it. */
#include "nethelp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef enum { GIVE_FD, DECLINE, FAIL, KEEP } answer_t;

typedef struct {
    nh_fixture_t *fx;
    answer_t answer;
    int asked;
    nc_listen_request_t *kept;
    char host[64];
    int port;
} provider_t;

static void provide(const nc_listen_options_t *opts, nc_listen_request_t *req, void *data)
{
    provider_t *p = data;
    p->asked++;
    snprintf(p->host, sizeof(p->host), "%s", opts->host != NULL ? opts->host : "-");
    p->port = opts->port;
    nh_log(p->fx, "asked");
    if (p->answer == GIVE_FD) {
        nc_listen_options_t lo = { .host = "127.0.0.1", .port = 0 };
        int fd = -1;
        assert_int_equal(nc_listen_socket(&lo, &fd, NULL), 0);
        assert_int_equal(nc_listen_request_done(req, 0, fd), 0);
    } else if (p->answer == DECLINE) {
        assert_int_equal(nc_listen_request_done(req, NC_LISTEN_DECLINED, -1), 0);
    } else if (p->answer == FAIL) {
        assert_int_equal(nc_listen_request_done(req, -ECONNREFUSED, -1), 0);
    } else {
        p->kept = req;
    }
}

static void on_event(nc_server_t *s, const void *arg, void *data, const char *name)
{
    (void)s;
    nh_fixture_t *fx = data;
    if (arg != NULL) {
        const nc_error_t *e = arg;
        nh_log(fx, "%s(%s|%s|%s)", name, nc_err_name(e->code), e->syscall, e->message);
    } else {
        nh_log(fx, "%s", name);
    }
}

static void on_listening(nc_server_t *s, const void *arg, void *data)
{
    on_event(s, NULL, data, "listening");
    (void)arg;
}

static void on_error(nc_server_t *s, const void *arg, void *data)
{
    on_event(s, arg, data, "error");
}

static void on_close(nc_server_t *s, const void *arg, void *data)
{
    on_event(s, NULL, data, "close");
    (void)arg;
}

static nc_server_t *server_new(nh_fixture_t *fx)
{
    nc_server_t *s;
    assert_int_equal(nc_server_new(&fx->loop, NULL, &s), 0);
    nc_server_on(s, NC_SERVER_LISTENING, on_listening, fx);
    nc_server_on(s, NC_SERVER_ERROR, on_error, fx);
    nc_server_on(s, NC_SERVER_CLOSE, on_close, fx);
    return s;
}

static void stop(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    uv_stop(data);
}

/* Runs the loop until the server's 'listening' or 'error' (the deadline fails it). */
static void run_until_outcome(nh_fixture_t *fx, nc_server_t *s)
{
    nc_server_once(s, NC_SERVER_LISTENING, stop, &fx->loop);
    nc_server_once(s, NC_SERVER_ERROR, stop, &fx->loop);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    nc_server_off(s, NC_SERVER_LISTENING, stop, &fx->loop);
    nc_server_off(s, NC_SERVER_ERROR, stop, &fx->loop);
}

static void close_and_run(nh_fixture_t *fx, nc_server_t *s)
{
    nc_server_close(s, NULL, NULL);
    nc_server_release(s);
    nh_run(fx);
    nc_set_listen_provider(NULL, NULL);
}

/* The fd comes inside the provider's call; 'listening' still waits for a later turn. */
static void test_provider_fd_now(void **state)
{
    nh_fixture_t *fx = *state;
    provider_t p = { .fx = fx, .answer = GIVE_FD };
    nc_set_listen_provider(provide, &p);
    nc_server_t *s = server_new(fx);
    nc_listen_options_t lo = { .host = "127.0.0.1", .port = 8123 };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    nh_log(fx, "returned");
    run_until_outcome(fx, s);
    assert_string_equal(fx->log, "asked returned listening");
    assert_string_equal(p.host, "127.0.0.1");
    assert_int_equal(p.port, 8123);
    /* The server serves the provider's socket, not 8123. */
    nc_address_t a;
    assert_int_equal(nc_server_address(s, &a), 0);
    assert_int_not_equal(a.port, 8123);
    close_and_run(fx, s);
}

static void test_provider_fd_later(void **state)
{
    nh_fixture_t *fx = *state;
    provider_t p = { .fx = fx, .answer = KEEP };
    nc_set_listen_provider(provide, &p);
    nc_server_t *s = server_new(fx);
    nc_listen_options_t lo = { .port = 0 };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    uv_run(&fx->loop, UV_RUN_NOWAIT);
    assert_false(nc_server_listening(s));
    assert_non_null(p.kept);
    assert_ptr_equal(nc_listen_request_loop(p.kept), &fx->loop);
    assert_int_equal(nc_listen_request_done(p.kept, 0, -1), -EINVAL);
    assert_int_equal(nc_listen_request_done(p.kept, 2, -1), -EINVAL);
    nc_listen_options_t mine = { .path = "\0nc-provider-later", .path_len = 18 };
    int fd = -1;
    assert_int_equal(nc_listen_socket(&mine, &fd, NULL), 0);
    assert_int_equal(nc_listen_request_done(p.kept, 0, fd), 0);
    run_until_outcome(fx, s);
    assert_string_equal(fx->log, "asked listening");
    close_and_run(fx, s);
}

static void test_provider_declines(void **state)
{
    nh_fixture_t *fx = *state;
    provider_t p = { .fx = fx, .answer = DECLINE };
    nc_set_listen_provider(provide, &p);
    nc_server_t *s = server_new(fx);
    nc_listen_options_t lo = { .port = 0 };
    assert_int_equal(nh_listen_wait(fx, s, &lo), 0);
    assert_string_equal(fx->log, "asked listening");
    assert_true(nc_server_listening(s));
    close_and_run(fx, s);
}

static void test_provider_fails(void **state)
{
    nh_fixture_t *fx = *state;
    provider_t p = { .fx = fx, .answer = FAIL };
    nc_set_listen_provider(provide, &p);
    nc_server_t *s = server_new(fx);
    nc_listen_options_t lo = { .host = "127.0.0.1", .port = 8124 };
    assert_int_equal(nc_server_listen(s, &lo, NULL), 0);
    run_until_outcome(fx, s);
    assert_string_equal(fx->log, "asked error(ECONNREFUSED|bind|bind ECONNREFUSED 127.0.0.1:8124)");
    assert_false(nc_server_listening(s));
    close_and_run(fx, s);
}

/* Exclusive listens, and listens that throw, bind (or throw) without asking. */
static void test_provider_not_asked(void **state)
{
    nh_fixture_t *fx = *state;
    provider_t p = { .fx = fx, .answer = FAIL };
    nc_set_listen_provider(provide, &p);
    nc_server_t *s = server_new(fx);
    nc_listen_options_t bad = { .port = 70000 };
    assert_int_equal(nc_server_listen(s, &bad, NULL), NC_ERR_SOCKET_BAD_PORT);
    nc_listen_options_t lo = { .host = "127.0.0.1", .port = 0, .exclusive = true };
    assert_int_equal(nh_listen_wait(fx, s, &lo), 0);
    assert_int_equal(p.asked, 0);
    assert_string_equal(fx->log, "listening");
    close_and_run(fx, s);
}

/* close() before the answer: the answer's fd is closed (the fixture counts fds) and
 * nothing but 'close' is emitted. */
static void test_provider_close_first(void **state)
{
    nh_fixture_t *fx = *state;
    provider_t p = { .fx = fx, .answer = KEEP };
    nc_set_listen_provider(provide, &p);
    nc_server_t *s = server_new(fx);
    assert_int_equal(nc_server_listen(s, NULL, NULL), 0);
    nc_server_close(s, NULL, NULL);
    nc_server_release(s); /* the pending request keeps it until the answer */
    nh_run(fx);
    nc_listen_options_t lo = { .host = "127.0.0.1", .port = 0 };
    int fd = -1;
    assert_int_equal(nc_listen_socket(&lo, &fd, NULL), 0);
    assert_int_equal(nc_listen_request_done(p.kept, 0, fd), 0);
    nh_run(fx);
    assert_string_equal(fx->log, "asked close");
    nc_set_listen_provider(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_provider_fd_now, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_provider_fd_later, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_provider_declines, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_provider_fails, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_provider_not_asked, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_provider_close_first, nh_setup, nh_teardown),
    };
    return cmocka_run_group_tests_name("listen_provider", tests, NULL, NULL);
}
