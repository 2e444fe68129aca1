/* enc_utf16le_odd_end: setEncoding('ucs2') (utf16le's alias) and an odd byte left at
 * the end: the byte is dropped, readableEncoding says utf16le. */
#include "trace.h"

static const tr_bytes_t chunks[] = {
    TR_BYTES("h\0i\0\xac"),
    TR_BYTES("\x20!"),
};

TR_SCENARIO(enc_utf16le_odd_end)
{
    static const tr_feed_t f = { "ucs2", chunks, sizeof(chunks) / sizeof(chunks[0]) };
    tr_feed(t, &f);
}
