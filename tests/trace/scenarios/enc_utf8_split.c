/* enc_utf8_split: setEncoding('utf8') with a 2-, a 3- and a 4-byte character each split
 * between two reads, an invalid byte, and a character cut short by the end: U+FFFD. */
#include "trace.h"

static const tr_bytes_t chunks[] = {
    TR_BYTES("a\xc3"),
    TR_BYTES("\xa9\xe2\x82"),
    TR_BYTES("\xac"
             "b\xf0\x9f"),
    TR_BYTES("\x98\x80"
             "c\xff"
             "d\xe2\x82"),
};

TR_SCENARIO(enc_utf8_split)
{
    static const tr_feed_t f = { "utf8", chunks, sizeof(chunks) / sizeof(chunks[0]) };
    tr_feed(t, &f);
}
