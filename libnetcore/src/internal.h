/* internal.h: what libnetcore's files share and nobody else sees. */
#ifndef NC_INTERNAL_H
#define NC_INTERNAL_H

#include "netcore.h"

#include <stdarg.h>

#define NC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Fills *err (when not NULL) with a Node-style error: code, no syscall/address, a
 * printf-formatted message. Returns code, so that `return nc__error(err, r, ...)` reads
 * as one step. */
int nc__error(nc_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The family check of Node's SocketAddress constructor, which BlockList reuses: "ipv4" or
 * "ipv6" after JS toLowerCase() (which can only matter for ASCII letters here); NULL
 * means "ipv4". Returns AF_INET/AF_INET6, or ERR_INVALID_ARG_VALUE with Node's message
 * for `what` ("The property 'options.family' is invalid. Received 'foo'"). */
int nc__family_parse(const char *family, const char *what, nc_error_t *err);

/* util.inspect(string) as Node 20 prints it with default options: the quote strEscape()
 * picks (' then " then `), its escapes, long text split at newlines into '...' + '...'.
 * NUL-terminated; cut short, at a character boundary, when size is too small. Bytes that
 * are not UTF-8 read as U+FFFD. */
void nc__inspect_string(char *buf, size_t size, const char *s, size_t len);

/* Node's ERR_INVALID_ARG_VALUE(name, value, reason) for a string value, message and all:
 * "The property 'options.family' is invalid. Received 'foo'" ("argument" for a name
 * without a dot; reason NULL means "is invalid"), the inspection cut at 128 UTF-16 units
 * plus "..." as Node cuts it. Returns NC_ERR_INVALID_ARG_VALUE. */
int nc__error_arg_value(nc_error_t *err,
                        const char *name,
                        const char *reason,
                        const char *s,
                        size_t len);

/* Node's ERR_OUT_OF_RANGE(name, range, value) for an integer value: "The value of
 * \"prefix\" is out of range. It must be >= 0 && <= 32. Received 33", with Node's '_'
 * separators past 2**32 ("-1_099_511_627_776"). Returns NC_ERR_OUT_OF_RANGE. */
int nc__error_out_of_range(nc_error_t *err, const char *name, const char *range, int64_t value);

/* Literals by the grammar of Node's IPv4Reg and IPv6Reg (lib/internal/net.js), which
 * libuv's uv_inet_pton() and the WHATWG URL IPv6 parser accept alike: a dotted quad with
 * no leading zeros; an IPv6 literal without a zone id. No NUL, no allocation. They write
 * out (network order) and return true, or return false and leave out alone. */
bool nc__ip4_parse(const char *s, size_t len, uint8_t out[4]);
bool nc__ip6_parse(const char *s, size_t len, uint8_t out[16]);

/* SocketAddress.parse()'s reading of input (urlhost.c): the host and port of the URL
 * 'http://' + input, where the host must be an IPv4 address (in any WHATWG form: "127.1",
 * "0x7f.1", "0177.0.0.1", IDNA-mapped digits) or a bracketed IPv6 one, and port 80, the
 * scheme's default, reads as 0. Returns 0 with *ret set (flow label and scope 0), or
 * NC_ERR_INVALID_ADDRESS. */
int nc__url_socketaddress(const char *s, size_t len, nc_sockaddr_t *ret);

/* UTF-8 read as V8 reads it (WHATWG "UTF-8 decode", which Buffer.toString('utf8') and
 * StringDecoder both use): the character that starts s[0..len), len >= 1. Returns the
 * bytes it takes (1-4) with its code point in *ret_cp, or the length of one maximal
 * ill-formed subpart with U+FFFD. */
size_t nc__utf8_decode(const uint8_t *s, size_t len, uint32_t *ret_cp);
/* Writes the UTF-8 form of the scalar value cp to out; returns its length (1-4). */
size_t nc__utf8_encode(uint32_t cp, uint8_t out[4]);

#endif
