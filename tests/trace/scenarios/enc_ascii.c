/* enc_ascii: setEncoding('ascii'): bytes over 0x7f lose their high bit. */
#include "trace.h"

static const tr_bytes_t chunks[] = {
    TR_BYTES("caf\xe9"),
    TR_BYTES("\x80\xff"),
};

TR_SCENARIO(enc_ascii)
{
    static const tr_feed_t f = { "ascii", chunks, sizeof(chunks) / sizeof(chunks[0]) };
    tr_feed(t, &f);
}
