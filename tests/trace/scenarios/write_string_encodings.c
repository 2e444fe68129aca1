/* write_string_encodings: write(string, encoding) turns text into bytes as
 * Buffer.from(string, encoding): hex stops at the first bad pair, base64 skips what is
 * not of its alphabet and takes the url one too, latin1/ascii keep the low byte of each
 * character, ucs2 gives two bytes per unit. The server side shows the bytes in hex. */
#include "trace.h"

#include <stdio.h>
#include <string.h>

static char text[512];
static size_t text_len;

static void conn_data(nc_socket_t *s, const void *arg, void *data)
{
    (void)s;
    (void)data;
    const nc_socket_data_t *d = arg;
    if (text_len + d->len < sizeof(text)) {
        memcpy(text + text_len, d->base, d->len);
        text_len += d->len;
    }
}

static void conn_end(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_log(data, s, "bytes %.*s", (int)text_len, text);
}

static void accepted(tr_t *t, nc_socket_t *s)
{
    nc_error_t err = { .port = -1 };
    tr_threw(t, s, "setEncoding", nc_socket_set_encoding(s, "hex", &err), &err);
    nc_socket_on(s, NC_SOCKET_DATA, conn_data, t);
    nc_socket_on(s, NC_SOCKET_END, conn_end, t);
}

static void put(tr_t *t, nc_socket_t *c, const char *str, const char *enc)
{
    nc_error_t err = { .port = -1 };
    int r = nc_socket_write_string(c, str, strlen(str), enc, NULL, NULL, &err);
    tr_threw(t, c, enc, r, &err);
}

static void connected(tr_t *t, nc_socket_t *c)
{
    put(t, c, "0a0Gff", "hex");
    put(t, c, "abc", "hex");
    put(t, c, "aGk=\n aGk", "base64");
    put(t, c, "_-8", "base64url");
    put(t, c, "+/8=", "base64url");
    put(t, c, "\xc3\xa9\xe2\x82\xac", "latin1");
    put(t, c, "\xc3\xa9\xf0\x9f\x98\x80", "ucs2");
    put(t, c, "\xc3\xa9\xe2\x82\xac", "ascii");
    put(t, c, "x", "klingon");
    nc_error_t err = { .port = -1 };
    tr_threw(t, c, "end", nc_socket_end_string(c, "\xc3\xa9", 2, "utf8", &err), &err);
}

TR_SCENARIO(write_string_encodings)
{
    static const tr_pair_t p = { .on_connection = accepted, .on_connect = connected };
    tr_pair(t, &p);
}
