/* enc_base64url_split: setEncoding('base64url'): as base64 with '-' and '_', and no
 * padding at the end. */
#include "trace.h"

static const tr_bytes_t chunks[] = {
    TR_BYTES("\xfb\xff\xbf\xfe"),
    TR_BYTES("\xff"),
};

TR_SCENARIO(enc_base64url_split)
{
    static const tr_feed_t f = { "base64url", chunks, sizeof(chunks) / sizeof(chunks[0]) };
    tr_feed(t, &f);
}
