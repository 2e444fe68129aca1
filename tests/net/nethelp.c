/* nethelp.c: the net tests' fixture (see nethelp.h). */
#include "nethelp.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int nh_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (d == NULL) {
        return -1;
    }
    while (readdir(d) != NULL) {
        n++;
    }
    closedir(d);
    return n;
}

static void on_deadline(uv_timer_t *t)
{
    nh_fixture_t *fx = t->data;
    fail_msg("deadline of %d ms passed; events so far:%s", NH_DEADLINE_MS, fx->log);
}

int nh_setup(void **state)
{
    static bool warm;
    if (!warm) {
        /* libuv opens process-wide fds (the signal lock pipe) with the first loop: open
         * one loop first so that they are not counted as a test's leak. */
        uv_loop_t l;
        assert_int_equal(uv_loop_init(&l), 0);
        assert_int_equal(uv_loop_close(&l), 0);
        warm = true;
    }
    nh_fixture_t *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    fx->fds_before = nh_count_fds();
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/nb-net-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    assert_int_equal(uv_timer_init(&fx->loop, &fx->deadline), 0);
    fx->deadline.data = fx;
    assert_int_equal(uv_timer_start(&fx->deadline, on_deadline, NH_DEADLINE_MS, 0), 0);
    /* The deadline fails a test that hangs but never keeps a finished loop alive. */
    uv_unref((uv_handle_t *)&fx->deadline);
    *state = fx;
    return 0;
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) {
        uv_close(h, NULL);
    }
}

int nh_teardown(void **state)
{
    nh_fixture_t *fx = *state;
    uv_close((uv_handle_t *)&fx->deadline, NULL);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    int r = uv_loop_close(&fx->loop);
    if (r != 0) {
        /* Report what is left, then close it so that the next test starts clean. */
        uv_print_all_handles(&fx->loop, stderr);
        uv_walk(&fx->loop, close_walk, NULL);
        uv_run(&fx->loop, UV_RUN_DEFAULT);
        uv_loop_close(&fx->loop);
    }
    assert_int_equal(r, 0);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(nh_count_fds(), fx->fds_before);
    free(fx);
    return 0;
}

void nh_log(nh_fixture_t *fx, const char *fmt, ...)
{
    size_t n = strlen(fx->log);
    if (n > 0 && n + 1 < sizeof(fx->log)) {
        fx->log[n++] = ' ';
        fx->log[n] = '\0';
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fx->log + n, sizeof(fx->log) - n, fmt, ap);
    va_end(ap);
}

void nh_run(nh_fixture_t *fx)
{
    uv_run(&fx->loop, UV_RUN_DEFAULT);
}

void nh_path(nh_fixture_t *fx, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", fx->dir, name);
}

static void on_listening_stop(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    uv_stop(data);
}

static void stop_on_event(nc_server_t *server, const void *arg, void *data)
{
    (void)server;
    (void)arg;
    uv_stop(data);
}

int nh_listen_wait(nh_fixture_t *fx, nc_server_t *server, const nc_listen_options_t *lo)
{
    assert_int_equal(nc_server_once(server, NC_SERVER_LISTENING, stop_on_event, &fx->loop), 0);
    assert_int_equal(nc_server_once(server, NC_SERVER_ERROR, stop_on_event, &fx->loop), 0);
    int r = nc_server_listen(server, lo, NULL);
    if (r == 0) {
        uv_run(&fx->loop, UV_RUN_DEFAULT);
        r = nc_server_listening(server) ? 0 : -EADDRNOTAVAIL;
    }
    nc_server_off(server, NC_SERVER_LISTENING, stop_on_event, &fx->loop);
    nc_server_off(server, NC_SERVER_ERROR, stop_on_event, &fx->loop);
    return r;
}

int nh_listen_local(nh_fixture_t *fx, nc_server_t *server)
{
    nc_listen_options_t lo = { .port = 0, .host = "127.0.0.1" };
    assert_int_equal(nc_server_once(server, NC_SERVER_LISTENING, on_listening_stop, &fx->loop), 0);
    assert_int_equal(nc_server_listen(server, &lo, NULL), 0);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    nc_address_t a;
    assert_int_equal(nc_server_address(server, &a), 0);
    assert_true(a.port > 0);
    return a.port;
}

int nh_sockopt(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof(v);
    assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
    return v;
}
