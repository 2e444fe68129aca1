/* echo_libuv.c: the bare libuv echo server of the echo benchmark (tests/bench/echo.sh):
 * what a careful C programmer writes straight on libuv in a few dozen lines. A malloc'd
 * uv_tcp_t per connection; one static read buffer for every connection (reads on one
 * loop never overlap); each echo tried at once with uv_try_write, and only what the
 * kernel did not take copied into a uv_write request (which keeps the order: libuv's
 * try_write refuses while a write is queued). Listens on 127.0.0.1:0, prints "port N". */
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "echo_common.h"

typedef struct {
    uv_write_t req;
    char data[];
} write_req_t;

static char read_buffer[65536];

static void alloc_buffer(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)handle;
    (void)suggested;
    *buf = uv_buf_init(read_buffer, sizeof(read_buffer));
}

static void on_close(uv_handle_t *handle)
{
    free(handle);
}

static void on_write(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

static void echo(uv_stream_t *client, const char *base, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)base, (unsigned)len);
    int n = uv_try_write(client, &b, 1);
    if (n == UV_EAGAIN) {
        n = 0;
    }
    if (n < 0 || (size_t)n == len) {
        return;
    }
    size_t rest = len - (size_t)n;
    write_req_t *w = malloc(sizeof(*w) + rest);
    if (w == NULL) {
        uv_close((uv_handle_t *)client, on_close);
        return;
    }
    memcpy(w->data, base + n, rest);
    b = uv_buf_init(w->data, (unsigned)rest);
    if (uv_write(&w->req, client, &b, 1, on_write) != 0) {
        free(w);
    }
}

static void on_read(uv_stream_t *client, ssize_t nread, const uv_buf_t *buf)
{
    if (nread > 0) {
        echo(client, buf->base, (size_t)nread);
    } else if (nread < 0) {
        uv_close((uv_handle_t *)client, on_close);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0) {
        return;
    }
    uv_tcp_t *client = malloc(sizeof(*client));
    uv_tcp_init(server->loop, client);
    if (uv_accept(server, (uv_stream_t *)client) == 0) {
        uv_read_start((uv_stream_t *)client, alloc_buffer, on_read);
    } else {
        uv_close((uv_handle_t *)client, on_close);
    }
}

int main(void)
{
    uv_loop_t *loop = uv_default_loop();
    uv_tcp_t server;
    uv_signal_t sig;
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    echo_raise_nofile();
    echo_heap_report_init(loop, &sig);
    uv_ip4_addr("127.0.0.1", 0, &addr);
    uv_tcp_init(loop, &server);
    if (uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0) != 0 ||
        uv_listen((uv_stream_t *)&server, 511, on_connection) != 0 ||
        uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &len) != 0) {
        fprintf(stderr, "echo_libuv: cannot listen\n");
        return 111;
    }
    printf("port %d\n", ntohs(((struct sockaddr_in *)&bound)->sin_port));
    fflush(stdout);
    return uv_run(loop, UV_RUN_DEFAULT);
}
