/* sockaddr.c: net.SocketAddress. Address text is parsed with libuv's uv_ip4_addr and
 * uv_ip6_addr, the very functions Node's own SocketAddress uses, so that both accept
 * exactly the same literals. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <uv.h>

#define MAX_FLOWLABEL 0xFFFFF

static int address_parse(const char *s, size_t len, int af, uint16_t port, nc_sockaddr_t *ret);

int nc__family_parse(const char *family, const char *what, nc_error_t *err)
{
    if (family == NULL || strcasecmp(family, "ipv4") == 0) {
        return AF_INET;
    }
    if (strcasecmp(family, "ipv6") == 0) {
        return AF_INET6;
    }
    char shown[NC_ERROR_MESSAGE_MAX / 2];
    nc__inspect_string(shown, sizeof(shown), family, strlen(family));
    return nc__error(err, NC_ERR_INVALID_ARG_VALUE,
                     "The property '%s' must be one of: 'ipv4', 'ipv6'. Received %s", what,
                     shown);
}

static int address_parse(const char *s, size_t len, int af, uint16_t port, nc_sockaddr_t *ret)
{
    char text[NC_ADDRSTRLEN];
    nc_sockaddr_t sa;

    /* NUL inside the text would cut it short in libuv: refuse it rather than accept a
     * prefix (Node 20 accepts "1.2.3.4\0junk" as 1.2.3.4). */
    if (len >= sizeof(text) || memchr(s, '\0', len) != NULL) {
        return NC_ERR_INVALID_ADDRESS;
    }
    memcpy(text, s, len);
    text[len] = '\0';
    memset(&sa, 0, sizeof(sa));
    int r = af == AF_INET ? uv_ip4_addr(text, port, &sa.u.in4) : uv_ip6_addr(text, port, &sa.u.in6);
    if (r != 0) {
        return NC_ERR_INVALID_ADDRESS;
    }
    *ret = sa;
    return 0;
}

int nc_socketaddress_init(const nc_socketaddress_options_t *opts,
                          nc_sockaddr_t *ret,
                          nc_error_t *ret_err)
{
    static const nc_socketaddress_options_t defaults;
    if (ret == NULL) {
        return -EINVAL;
    }
    if (opts == NULL) {
        opts = &defaults;
    }
    int af = nc__family_parse(opts->family, "options.family", ret_err);
    if (af < 0) {
        return af;
    }
    if (opts->port < 0 || opts->port > 65535) {
        return nc__error(ret_err, NC_ERR_SOCKET_BAD_PORT,
                         "options.port should be >= 0 and < 65536. Received type number (%lld).",
                         (long long)opts->port);
    }
    if (opts->flowlabel < 0 || opts->flowlabel > MAX_FLOWLABEL) {
        return nc__error(ret_err, NC_ERR_OUT_OF_RANGE,
                         "The value of \"options.flowlabel\" is out of range. It must be >= 0 "
                         "&& <= %d. Received %lld",
                         MAX_FLOWLABEL, (long long)opts->flowlabel);
    }
    const char *address = opts->address;
    size_t address_len = opts->address_len;
    if (address == NULL) {
        address = af == AF_INET ? "127.0.0.1" : "::";
        address_len = strlen(address);
    }
    nc_sockaddr_t sa;
    int r = address_parse(address, address_len, af, (uint16_t)opts->port, &sa);
    if (r < 0) {
        return nc__error(ret_err, r, "Invalid socket address");
    }
    if (af == AF_INET6) {
        sa.u.in6.sin6_flowinfo = htonl((uint32_t)opts->flowlabel);
    }
    *ret = sa;
    return 0;
}

int nc_socketaddress_address(const nc_sockaddr_t *sa, char *buf, size_t size)
{
    char text[NC_ADDRSTRLEN];
    if (sa == NULL || buf == NULL) {
        return -EINVAL;
    }
    int r = sa->u.sa.sa_family == AF_INET6 ? uv_ip6_name(&sa->u.in6, text, sizeof(text))
                                           : uv_ip4_name(&sa->u.in4, text, sizeof(text));
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
    if (sa == NULL || sa->u.sa.sa_family != AF_INET6) {
        return 0;
    }
    return ntohl(sa->u.in6.sin6_flowinfo) & MAX_FLOWLABEL;
}

int nc_socketaddress_parse(const char *s, size_t len, nc_sockaddr_t *ret)
{
    (void)s;
    (void)len;
    (void)ret;
    return NC_ERR_INVALID_ADDRESS;
}
