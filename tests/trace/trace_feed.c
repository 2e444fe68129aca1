/* trace_feed.c: the decoding story, tr_feed: the server side of a pair hands its chunks
 * to the client one at a time, the next only once the client has had a 'data' event, so
 * that a character split between two chunks is split between two reads too. */
#include "trace_internal.h"

#include <stdio.h>
#include <string.h>

#define FEED_TEXT_MAX 512

/* One scenario per process: the story's state is the process's. */
static struct {
    const tr_feed_t *f;
    size_t next; /* the next chunk to write */
    char text[FEED_TEXT_MAX];
    size_t len;
} feed;

/* Writes chunk feed.next on conn; the last one goes with end(). */
static void feed_next(nc_socket_t *conn)
{
    const tr_feed_t *f = feed.f;
    if (feed.next >= f->n) {
        return;
    }
    size_t i = feed.next++;
    if (feed.next == f->n) {
        nc_socket_end(conn, f->chunks[i].base, f->chunks[i].len);
    } else {
        nc_socket_write(conn, f->chunks[i].base, f->chunks[i].len, NULL, NULL);
    }
}

static void client_data(nc_socket_t *s, const void *arg, void *data)
{
    (void)s;
    const nc_socket_data_t *d = arg;
    if (feed.len + d->len <= sizeof(feed.text)) {
        memcpy(feed.text + feed.len, d->base, d->len);
        feed.len += d->len;
    }
    feed_next(tr_object(data, "conn1"));
}

/* The text as the UTF-8 bytes it is, in hex: Node's strings print the same way. */
static void client_end(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    char hex[2 * FEED_TEXT_MAX + 1] = "";
    for (size_t i = 0; i < feed.len; i++) {
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)feed.text[i]);
    }
    tr_log(data, s, "text %s", hex);
}

static void feed_connect(tr_t *t, nc_socket_t *c)
{
    nc_error_t err = { .port = -1 };
    int r = nc_socket_set_encoding(c, feed.f->encoding, &err);
    tr_threw(t, c, "setEncoding", r, &err);
    const char *enc = nc_socket_readable_encoding(c);
    tr_log(t, c, "readableEncoding=%s", enc != NULL ? enc : "null");
    nc_socket_on(c, NC_SOCKET_DATA, client_data, t);
    nc_socket_on(c, NC_SOCKET_END, client_end, t);
}

static void feed_connection(tr_t *t, nc_socket_t *s)
{
    (void)t;
    feed_next(s);
}

void tr_feed(tr_t *t, const tr_feed_t *f)
{
    static const tr_pair_t p = { .on_connection = feed_connection, .on_connect = feed_connect };
    feed.f = f;
    tr_pair(t, &p);
}
