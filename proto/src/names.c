/* names.c: the string values the operations accept (PROTOCOL.md 9.1): server names, stored
 * fd names, hosts, IP literals and Unix socket paths. */
#include "internal.h"
#include "nbproto_ops.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>

/* The longest DNS name in text form, without its optional final dot (RFC 1035 2.3.4). */
#define DNS_NAME_MAX  253
#define DNS_LABEL_MAX 63

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool nb_proto_server_name_valid(const char *s)
{
    size_t n = 0;

    /* No leading '.' or '-': names become file names in logs and config paths, and a
     * leading '-' would read as an option to netbrokerctl. */
    if (s == NULL || s[0] == '.' || s[0] == '-') {
        return false;
    }
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        if (n >= NB_PROTO_SERVER_NAME_MAX || !(is_alnum(c) || c == '.' || c == '_' || c == '-')) {
            return false;
        }
    }
    return n > 0;
}

bool nb_proto_fd_name_valid(const char *s)
{
    size_t n = 0;

    /* systemd's fdname_is_valid(), less the empty name: ':' separates $LISTEN_FDNAMES, and
     * netbrokerctl exec passes stored fds that way. */
    if (s == NULL) {
        return false;
    }
    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= NB_PROTO_FD_NAME_MAX || c < 0x20 || c > 0x7e || c == ':') {
            return false;
        }
    }
    return n > 0;
}

int nb_proto__ip_family(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];

    if (inet_pton(AF_INET, s, buf) == 1) {
        return 4;
    }
    if (inet_pton(AF_INET6, s, buf) == 1) {
        return 6;
    }
    return 0;
}

/* An IPv6 literal with a zone ("fe80::1%eth0"), as Node's isIPv6 accepts for hosts. */
static bool ipv6_zoned_ok(const char *s)
{
    const char *pct = strchr(s, '%');
    char addr[INET6_ADDRSTRLEN];
    size_t alen, zlen;

    if (pct == NULL) {
        return false;
    }
    alen = (size_t)(pct - s);
    zlen = strlen(pct + 1);
    if (alen == 0 || alen >= sizeof(addr) || zlen == 0 || zlen >= IF_NAMESIZE) {
        return false;
    }
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    for (const char *z = pct + 1; *z != '\0'; z++) {
        if (!(is_alnum(*z) || *z == '.' || *z == '_' || *z == '-')) {
            return false;
        }
    }
    return nb_proto__ip_family(addr) == 6;
}

/* Letters, digits, '-' and '_' in labels of 1..63 bytes, not starting or ending with '-'.
 * '_' is outside RFC 952 but common in internal names, and the resolver takes it. */
static bool dns_name_ok(const char *s)
{
    size_t len = strlen(s), label = 0;

    if (len > 0 && s[len - 1] == '.') {
        len--;
    }
    if (len == 0 || len > DNS_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-') {
                return false;
            }
            label = 0;
            continue;
        }
        if (!(is_alnum(c) || c == '_' || (c == '-' && label > 0)) || ++label > DNS_LABEL_MAX) {
            return false;
        }
    }
    return label > 0 && s[len - 1] != '-';
}

bool nb_proto__host_valid(const char *s)
{
    return nb_proto__ip_family(s) != 0 || ipv6_zoned_ok(s) || dns_name_ok(s);
}

bool nb_proto__path_valid(const char *s)
{
    size_t len = strlen(s);

    /* Relative paths would resolve against the daemon's directory, not the client's. */
    if (s[0] == '/') {
        return len <= NB_PROTO_PATH_MAX;
    }
    /* "@name" is the abstract name "\0name": JSON on the wire cannot hold U+0000. */
    return s[0] == '@' && len >= 2 && len - 1 <= NB_PROTO_PATH_MAX;
}
