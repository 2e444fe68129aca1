/* onread_stop_resume: a client with onread and a 4-byte buffer gets the server's 12
 * bytes in 4-byte reads, no 'data'; returning false from the first call stops reading
 * (nothing more, not even 'end', until resume() a while later); then the rest, 'end'. */
#include "trace.h"

static char buf[4];
static int calls;
static uv_timer_t timer;

static void resume_client(uv_timer_t *h)
{
    tr_t *t = h->data;
    nc_socket_t *c = tr_object(t, "client");
    tr_log(t, c, "resume() isPaused=%d", nc_socket_is_paused(c));
    nc_socket_resume(c);
    uv_close((uv_handle_t *)h, NULL);
}

static bool on_read(nc_socket_t *c, size_t nread, void *b, void *data)
{
    tr_t *t = data;
    tr_log(t, c, "onread %zu %.*s bytesRead=%llu", nread, (int)nread, (const char *)b,
           (unsigned long long)nc_socket_bytes_read(c));
    if (++calls > 1) {
        return true;
    }
    /* Nothing else can happen meanwhile: the client reads nothing, the server is done. */
    uv_timer_init(tr_loop(t), &timer);
    timer.data = t;
    uv_timer_start(&timer, resume_client, 50, 0);
    return false;
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    (void)t;
    nc_socket_end(s, "hello world!", 12);
}

TR_SCENARIO(onread_stop_resume)
{
    static tr_pair_t p = { .on_connection = accepted };
    p.client.onread_buffer = buf;
    p.client.onread_len = sizeof(buf);
    p.client.onread = on_read;
    p.client.onread_data = t;
    tr_pair(t, &p);
}
