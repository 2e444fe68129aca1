/* enc_hex: setEncoding('hex'): every byte as two digits, nothing held back. */
#include "trace.h"

static const tr_bytes_t chunks[] = {
    TR_BYTES("\x01\xab"),
    TR_BYTES("\xff\0"),
};

TR_SCENARIO(enc_hex)
{
    static const tr_feed_t f = { "hex", chunks, sizeof(chunks) / sizeof(chunks[0]) };
    tr_feed(t, &f);
}
