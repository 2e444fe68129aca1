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
    if (nc__socket_ext(s) == NULL) {
        return nc__error(err, -ENOMEM, "%s", nc_strerror(-ENOMEM));
    }
    /* Node: setEncoding installs a new StringDecoder, dropping what an old one held. */
    nc_string_decoder_init(&s->x->dec, (nc_encoding_t)enc);
    s->decoding = true;
    return 0;
}

bool nc_socket_is_paused(const nc_socket_t *s)
{
    return s != NULL && s->flowing == 0;
}

const char *nc_socket_readable_encoding(const nc_socket_t *s)
{
    return s != NULL && s->decoding ? nc_encoding_name(s->x->dec.encoding) : NULL;
}

/* The text buffer, grown to what n bytes can decode to. */
static int text_reserve(nc_socket_t *s, size_t n)
{
    size_t need = nc_string_decoder_max_size(&s->x->dec, n);
    if (need <= s->x->text_size) {
        return 0;
    }
    char *t = realloc(s->x->text, need);
    if (t == NULL) {
        return -ENOMEM;
    }
    s->x->text = t;
    s->x->text_size = need;
    return 0;
}

static void emit_text(nc_socket_t *s, size_t len)
{
    /* Node: an empty string (all of it held back) is not pushed, so no 'data'. */
    if (len > 0) {
        nc_socket_data_t ev = { .base = s->x->text, .len = len };
        nc__socket_emit(s, NC_SOCKET_DATA, &ev);
    }
}

void nc__socket_deliver(nc_socket_t *s, char *base, size_t n)
{
    if (s->onread != NULL) {
        /* Node: onStreamRead calls the callback instead of push(); false stops reading. */
        if (!s->onread(s, n, s->x->onread_buf, s->x->onread_data)) {
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
        r = nc_string_decoder_write(&s->x->dec, base, n, s->x->text, s->x->text_size, &len);
    }
    if (r < 0) {
        nc__error_sys(&s->x->err, r, "read", NULL, -1); /* decoding: the ext exists */
        nc__socket_destroy(s, true);
        return;
    }
    emit_text(s, len);
}

void nc__socket_flush_text(nc_socket_t *s)
{
    size_t len;
    if (!s->decoding || s->onread != NULL || text_reserve(s, 0) < 0 ||
        nc_string_decoder_end(&s->x->dec, s->x->text, s->x->text_size, &len) < 0) {
        return;
    }
    /* Node: onEofChunk pushes decoder.end() so that it comes before 'end'. */
    emit_text(s, len);
}

void nc__socket_onread_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    nc_socket_t *s = nc__container_of(handle->data, nc_socket_t, obj);
    *buf = uv_buf_init(s->x->onread_buf, (unsigned)s->x->onread_len);
}
