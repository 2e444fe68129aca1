/* enc_latin1: setEncoding('binary') (latin1's alias): each byte one character,
 * the high half too; readableEncoding says latin1. */
#include "trace.h"

static const tr_bytes_t chunks[] = {
    TR_BYTES("caf\xe9"),
    TR_BYTES("\x80\xff"),
};

TR_SCENARIO(enc_latin1)
{
    static const tr_feed_t f = { "binary", chunks, sizeof(chunks) / sizeof(chunks[0]) };
    tr_feed(t, &f);
}
