/* socket_read.c: how read bytes reach the user: 'data' as bytes, 'data' as text after
 * setEncoding (Node's StringDecoder), or the onread callback with the caller's buffer. */
#include "socket_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int nc_socket_set_encoding(nc_socket_t *s, const char *encoding, nc_error_t *err)
{
    if (s == NULL) {
        return -EINVAL;
    }
    int enc = nc_encoding_parse(encoding, encoding != NULL ? strlen(encoding) : 0, err);
    if (enc < 0) {
        return enc;
    }
    /* Node: setEncoding installs a new StringDecoder, dropping what an old one held. */
    nc_string_decoder_init(&s->dec, (nc_encoding_t)enc);
    s->decoding = true;
    return 0;
}

bool nc_socket_is_paused(const nc_socket_t *s)
{
    return s != NULL && s->flowing == 0;
}

const char *nc_socket_readable_encoding(const nc_socket_t *s)
{
    return s != NULL && s->decoding ? nc_encoding_name(s->dec.encoding) : NULL;
}

/* The text buffer, grown to what n bytes can decode to. */
static int text_reserve(nc_socket_t *s, size_t n)
{
    size_t need = nc_string_decoder_max_size(&s->dec, n);
    if (need <= s->text_size) {
        return 0;
    }
    char *t = realloc(s->text, need);
    if (t == NULL) {
        return -ENOMEM;
    }
    s->text = t;
    s->text_size = need;
    return 0;
}

static void emit_text(nc_socket_t *s, size_t len)
{
    /* Node: an empty string (all of it held back) is not pushed, so no 'data'. */
    if (len > 0) {
        nc_socket_data_t ev = { .base = s->text, .len = len };
        nc__socket_emit(s, NC_SOCKET_DATA, &ev);
    }
}

void nc__socket_deliver(nc_socket_t *s, char *base, size_t n)
{
    if (s->onread != NULL) {
        /* Node: onStreamRead calls the callback instead of push(); false stops reading. */
        if (!s->onread(s, n, s->onread_buf, s->onread_data)) {
            s->onread_stopped = true;
            nc__socket_update_reading(s);
        }
        return;
    }
    if (!s->decoding) {
        nc_socket_data_t ev = { .base = base, .len = n };
        nc__socket_emit(s, NC_SOCKET_DATA, &ev);
        return;
    }
    size_t len;
    int r = text_reserve(s, n);
    if (r == 0) {
        r = nc_string_decoder_write(&s->dec, base, n, s->text, s->text_size, &len);
    }
    if (r < 0) {
        nc__error_sys(&s->err, r, "read", NULL, -1);
        nc__socket_destroy(s, true);
        return;
    }
    emit_text(s, len);
}

void nc__socket_flush_text(nc_socket_t *s)
{
    size_t len;
    if (!s->decoding || s->onread != NULL || text_reserve(s, 0) < 0 ||
        nc_string_decoder_end(&s->dec, s->text, s->text_size, &len) < 0) {
        return;
    }
    /* Node: onEofChunk pushes decoder.end() so that it comes before 'end'. */
    emit_text(s, len);
}

void nc__socket_onread_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    nc_socket_t *s = nc__container_of(handle->data, nc_socket_t, obj);
    *buf = uv_buf_init(s->onread_buf, (unsigned)s->onread_len);
}
