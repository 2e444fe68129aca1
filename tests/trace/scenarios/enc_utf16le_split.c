/* enc_utf16le_split: setEncoding('utf16le') with a code unit split between reads, a
 * surrogate pair split between reads, and a lone high surrogate left at the end. */
#include "trace.h"

static const tr_bytes_t chunks[] = {
    TR_BYTES("a\0b"),
    TR_BYTES("\0=\xd8"),
    TR_BYTES("\0\xde"
             "c\0=\xd8"),
};

TR_SCENARIO(enc_utf16le_split)
{
    static const tr_feed_t f = { "utf16le", chunks, sizeof(chunks) / sizeof(chunks[0]) };
    tr_feed(t, &f);
}
