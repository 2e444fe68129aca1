/* isip.c: net.isIP, net.isIPv4, net.isIPv6. Hand-written recognizers of Node's IPv4Reg and
 * IPv6Reg (lib/internal/net.js) that also give the address bytes, so that SocketAddress,
 * BlockList and SocketAddress.parse all read a literal by this one grammar. */
#include "internal.h"

#include <string.h>

static bool is_zone_char(char c);
static size_t dec_octet(const char *s, size_t len, uint8_t *ret);
static size_t hex_group(const char *s, size_t len, uint16_t *ret);
static bool ip6_expand(const uint16_t *words, size_t n, size_t gap, uint8_t out[16]);

/* The zone id's class in IPv6Reg: [0-9a-zA-Z-.:] */
static bool is_zone_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '.' || c == ':';
}

/* One v4Seg: 0-255 with no leading zero. The whole digit run is taken, so that "01" or
 * "1234" fail here rather than leave a digit for the caller. Returns its length, or 0. */
static size_t dec_octet(const char *s, size_t len, uint8_t *ret)
{
    size_t n = 0;
    unsigned v = 0;
    while (n < len && n < 4 && s[n] >= '0' && s[n] <= '9') {
        v = v * 10 + (unsigned)(s[n] - '0');
        n++;
    }
    if (n == 0 || n == 4 || v > 255 || (n > 1 && s[0] == '0')) {
        return 0;
    }
    *ret = (uint8_t)v;
    return n;
}

bool nc__ip4_parse(const char *s, size_t len, uint8_t out[4])
{
    uint8_t b[4];
    size_t i = 0;
    for (size_t k = 0; k < 4; k++) {
        if (k > 0) {
            if (i >= len || s[i] != '.') {
                return false;
            }
            i++;
        }
        size_t n = dec_octet(s + i, len - i, &b[k]);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    if (i != len) {
        return false;
    }
    memcpy(out, b, sizeof(b));
    return true;
}

/* One v6Seg: 1-4 hex digits. A fifth digit makes it fail. Returns its length, or 0. */
static size_t hex_group(const char *s, size_t len, uint16_t *ret)
{
    size_t n = 0;
    unsigned v = 0;
    while (n < len && n < 5 && nc__hex_value(s[n]) >= 0) {
        v = v * 16 + (unsigned)nc__hex_value(s[n]);
        n++;
    }
    if (n == 0 || n == 5) {
        return 0;
    }
    *ret = (uint16_t)v;
    return n;
}

/* Writes the 16 bytes, with the "::" (when gap <= n) standing for 8 - n zero words. */
static bool ip6_expand(const uint16_t *words, size_t n, size_t gap, uint8_t out[16])
{
    uint16_t full[8] = { 0 };
    /* IPv6Reg: without "::" there are exactly 8 words; with it at most 7, since "::"
     * stands for at least one. */
    if (gap > n ? n != 8 : n > 7) {
        return false;
    }
    size_t tail = gap > n ? 0 : n - gap;
    memcpy(full, words, (n - tail) * sizeof(words[0]));
    memcpy(full + 8 - tail, words + n - tail, tail * sizeof(words[0]));
    for (size_t k = 0; k < 8; k++) {
        out[2 * k] = (uint8_t)(full[k] >> 8);
        out[2 * k + 1] = (uint8_t)full[k];
    }
    return true;
}

bool nc__ip6_parse(const char *s, size_t len, uint8_t out[16])
{
    uint16_t words[8];
    size_t n = 0, i = 0, gap = SIZE_MAX;
    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    }
    while (i < len) {
        uint16_t w;
        size_t g = hex_group(s + i, len - i, &w);
        /* An IPv4 tail: it ends the text and takes the last two words. */
        if (i + g < len && s[i + g] == '.' && n <= 6) {
            uint8_t b[4];
            if (!nc__ip4_parse(s + i, len - i, b)) {
                return false;
            }
            words[n++] = (uint16_t)(b[0] << 8 | b[1]);
            words[n++] = (uint16_t)(b[2] << 8 | b[3]);
            break;
        }
        if (g == 0 || n == 8) {
            return false;
        }
        words[n++] = w;
        i += g;
        if (i == len) {
            break;
        }
        /* A separator, then a word (a trailing single ':' fails) or the one "::". */
        if (s[i] != ':' || ++i == len) {
            return false;
        }
        if (s[i] == ':') {
            if (gap != SIZE_MAX) {
                return false;
            }
            gap = n;
            i++;
        }
    }
    return ip6_expand(words, n, gap, out);
}

int nc_is_ip(const char *s, size_t len)
{
    if (nc_is_ipv4(s, len)) {
        return 4;
    }
    return nc_is_ipv6(s, len) ? 6 : 0;
}

bool nc_is_ipv4(const char *s, size_t len)
{
    uint8_t b[4];
    if (s == NULL) {
        return false;
    }
    return nc__ip4_parse(s, len, b);
}

bool nc_is_ipv6(const char *s, size_t len)
{
    uint8_t b[16];
    if (s == NULL) {
        return false;
    }
    /* The address has no '%', so the first one starts the zone id: one or more of
     * [0-9a-zA-Z-.:] up to the very end (JS `$` matches only there, never before a
     * trailing newline). */
    const char *zone = memchr(s, '%', len);
    size_t addr_len = zone != NULL ? (size_t)(zone - s) : len;
    if (zone != NULL) {
        size_t zone_len = len - addr_len - 1;
        if (zone_len == 0) {
            return false;
        }
        for (size_t k = 0; k < zone_len; k++) {
            if (!is_zone_char(zone[1 + k])) {
                return false;
            }
        }
    }
    return nc__ip6_parse(s, addr_len, b);
}
