/* enc_unknown: setEncoding('klingon') throws ERR_UNKNOWN_ENCODING and changes nothing:
 * readableEncoding stays null and 'data' keeps giving bytes. */
#include "trace.h"

static const tr_bytes_t chunks[] = {
    TR_BYTES("abc"),
    TR_BYTES("def"),
};

TR_SCENARIO(enc_unknown)
{
    static const tr_feed_t f = { "klingon", chunks, sizeof(chunks) / sizeof(chunks[0]) };
    tr_feed(t, &f);
}
