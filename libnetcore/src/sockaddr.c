/* sockaddr.c: net.SocketAddress: the constructor's checks in Node's order, with Node's
 * codes and messages, its four properties, and SocketAddress.parse(). Literals are read
 * by isip.c's grammar; the address text comes from libuv's uv_inet_ntop, which Node's
 * SocketAddress::address() calls too. */
#include "internal.h"

#include <errno.h>
#include <string.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <uv.h>

/* Node: lib/internal/validators.js validateUint32(), and the flow label's 20 bits. */
#define UINT32_RANGE    ">= 0 && <= 4294967295"
#define FLOWLABEL_MAX   0xFFFFF
#define FLOWLABEL_RANGE ">= 0 && <= 1048575"

static bool ascii_case_equal(const char *a, const char *b);
static uint32_t zone_index(const char *zone, size_t len);
static int address_parse(const char *s, size_t len, int af, nc_sockaddr_t *ret);

/* Node lowercases the family with toLowerCase(). Only ASCII letters can lower to the
 * letters of "ipv4"/"ipv6" (U+0130 lowers to two code points), and strcasecmp() would
 * follow the program's locale, so this folds ASCII only. */
static bool ascii_case_equal(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a + ('a' - 'A')) : *a;
        if (ca != *b) {
            return false;
        }
    }
    return *a == *b;
}

int nc__family_parse(const char *family, const char *what, nc_error_t *err)
{
    if (family == NULL || ascii_case_equal(family, "ipv4")) {
        return AF_INET;
    }
    if (ascii_case_equal(family, "ipv6")) {
        return AF_INET6;
    }
    /* Node: ERR_INVALID_ARG_VALUE('options.family', options.family) */
    return nc__error_arg_value(err, what, NULL, family, strlen(family));
}

/* libuv's uv_ip6_addr() gives the zone to if_nametoindex() and keeps 0 when no
 * interface has that name (a number too is read as a name on Unix). */
static uint32_t zone_index(const char *zone, size_t len)
{
    char name[IF_NAMESIZE];
    if (len == 0 || len >= sizeof(name)) {
        return 0;
    }
    memcpy(name, zone, len);
    name[len] = '\0';
    return if_nametoindex(name);
}

/* The literal check of Node's C++ SocketAddress::New(), which calls uv_ip4_addr() or
 * uv_ip6_addr(): a dotted quad for AF_INET; for AF_INET6 an IPv6 literal, then
 * optionally '%' and a zone id of any bytes. Two deliberate differences, both where Node
 * reads something other than the text it was given:
 * - a NUL byte fails: Node passes a C string on and accepts "1.2.3.4\0junk" as 1.2.3.4;
 * - the part before '%' is read whole: libuv cuts it to 39 bytes, so Node accepts
 *   "0000:0000:0000:0000:0000:0000:0000:0001junk%eth0" as ::1 and refuses
 *   "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%eth0". */
static int address_parse(const char *s, size_t len, int af, nc_sockaddr_t *ret)
{
    uint8_t b[16];
    if (s == NULL || memchr(s, '\0', len) != NULL) {
        return NC_ERR_INVALID_ADDRESS;
    }
    memset(ret, 0, sizeof(*ret));
    if (af == AF_INET) {
        if (!nc__ip4_parse(s, len, b)) {
            return NC_ERR_INVALID_ADDRESS;
        }
        ret->u.in4.sin_family = AF_INET;
        memcpy(&ret->u.in4.sin_addr, b, 4);
        return 0;
    }
    const char *zone = memchr(s, '%', len);
    size_t addr_len = zone != NULL ? (size_t)(zone - s) : len;
    if (!nc__ip6_parse(s, addr_len, b)) {
        return NC_ERR_INVALID_ADDRESS;
    }
    ret->u.in6.sin6_family = AF_INET6;
    memcpy(&ret->u.in6.sin6_addr, b, 16);
    if (zone != NULL) {
        ret->u.in6.sin6_scope_id = zone_index(zone + 1, len - addr_len - 1);
    }
    return 0;
}

int nc_socketaddress_init(const nc_socketaddress_options_t *opts,
                          nc_sockaddr_t *ret,
                          nc_error_t *ret_err)
{
    static const nc_socketaddress_options_t defaults;
    nc_sockaddr_t sa;
    if (opts == NULL) {
        opts = &defaults;
    }
    if (ret == NULL || (opts->address == NULL && opts->address_len > 0)) {
        return nc__error(ret_err, -EINVAL, "%s", nc_strerror(-EINVAL));
    }
    /* Node's order: family, port, flowlabel (all in JS), then the address (in C++). */
    int af = nc__family_parse(opts->family, "options.family", ret_err);
    if (af < 0) {
        return af;
    }
    if (opts->port < 0 || opts->port > 65535) {
        return nc__error(ret_err, NC_ERR_SOCKET_BAD_PORT,
                         "options.port should be >= 0 and < 65536. Received type number (%lld).",
                         (long long)opts->port);
    }
    if (opts->flowlabel < 0 || opts->flowlabel > UINT32_MAX) {
        return nc__error_out_of_range(ret_err, "options.flowlabel", UINT32_RANGE, opts->flowlabel);
    }
    const char *address = opts->address;
    size_t address_len = opts->address_len;
    if (address == NULL) {
        /* Node picks the default from the family as written, before lowercasing it:
         * "IPv4" gets "::", which then fails as an IPv4 address. */
        address = opts->family == NULL || strcmp(opts->family, "ipv4") == 0 ? "127.0.0.1" : "::";
        address_len = strlen(address);
    }
    if (address_parse(address, address_len, af, &sa) < 0) {
        return nc__error(ret_err, NC_ERR_INVALID_ADDRESS, "Invalid socket address");
    }
    if (af == AF_INET) {
        /* IPv4 has no flow label: Node drops any uint32 value. */
        sa.u.in4.sin_port = htons((uint16_t)opts->port);
    } else {
        /* Node 20 aborts the process here (CHECK_LE(label, kLabelMask) in
         * SocketAddress::set_flow_label); this is Node's range error instead. */
        if (opts->flowlabel > FLOWLABEL_MAX) {
            return nc__error_out_of_range(ret_err, "options.flowlabel", FLOWLABEL_RANGE,
                                          opts->flowlabel);
        }
        sa.u.in6.sin6_port = htons((uint16_t)opts->port);
        sa.u.in6.sin6_flowinfo = htonl((uint32_t)opts->flowlabel);
    }
    *ret = sa;
    return 0;
}

int nc_socketaddress_parse(const char *s, size_t len, nc_sockaddr_t *ret)
{
    nc_sockaddr_t sa;
    if (ret == NULL || (s == NULL && len > 0)) {
        return -EINVAL;
    }
    int r = nc__url_socketaddress(s != NULL ? s : "", len, &sa);
    if (r < 0) {
        return r;
    }
    *ret = sa;
    return 0;
}

int nc_socketaddress_address(const nc_sockaddr_t *sa, char *buf, size_t size)
{
    char text[NC_ADDRSTRLEN];
    int r;
    if (sa == NULL || buf == NULL) {
        return -EINVAL;
    }
    if (sa->u.sa.sa_family == AF_INET) {
        r = uv_inet_ntop(AF_INET, &sa->u.in4.sin_addr, text, sizeof(text));
    } else if (sa->u.sa.sa_family == AF_INET6) {
        r = uv_inet_ntop(AF_INET6, &sa->u.in6.sin6_addr, text, sizeof(text));
    } else {
        return -EINVAL;
    }
    if (r != 0) {
        return r;
    }
    size_t len = strlen(text);
    if (len >= size) {
        return -ENOSPC;
    }
    memcpy(buf, text, len + 1);
    return (int)len;
}

const char *nc_socketaddress_family(const nc_sockaddr_t *sa)
{
    return sa != NULL && sa->u.sa.sa_family == AF_INET6 ? "ipv6" : "ipv4";
}

int nc_socketaddress_port(const nc_sockaddr_t *sa)
{
    if (sa == NULL) {
        return -EINVAL;
    }
    return ntohs(sa->u.sa.sa_family == AF_INET6 ? sa->u.in6.sin6_port : sa->u.in4.sin_port);
}

uint32_t nc_socketaddress_flowlabel(const nc_sockaddr_t *sa)
{
    /* Node: SocketAddress::flow_label() reads sin6_flowinfo back; only its 20 bits can
     * have been set. */
    if (sa == NULL || sa->u.sa.sa_family != AF_INET6) {
        return 0;
    }
    return ntohl(sa->u.in6.sin6_flowinfo) & FLOWLABEL_MAX;
}
