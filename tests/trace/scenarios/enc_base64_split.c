/* enc_base64_split: setEncoding('base64'): bytes are held back until a group of three
 * is complete, and what is left at the end is flushed with its padding. */
#include "trace.h"

static const tr_bytes_t chunks[] = {
    TR_BYTES("abcd"),
    TR_BYTES("efghi"),
    TR_BYTES("jk"),
};

TR_SCENARIO(enc_base64_split)
{
    static const tr_feed_t f = { "base64", chunks, sizeof(chunks) / sizeof(chunks[0]) };
    tr_feed(t, &f);
}
