/* fuzz_address.c: libnetcore's address parsers on arbitrary text: isIP, the SocketAddress
 * constructor and SocketAddress.parse, and BlockList rules. Oracles: isIP agrees with the
 * constructor of its family, what is printed parses back to itself, and a rule that was
 * added matches its own addresses. */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "netcore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The printed address of s built as family, or a negative code. */
static int init_as(const char *family, const char *s, size_t len, char *buf)
{
    nc_socketaddress_options_t o = { .address = s, .address_len = len, .family = family };
    nc_sockaddr_t sa;
    nc_error_t err = { 0 };
    int rc = nc_socketaddress_init(&o, &sa, &err);

    nc_error_clear(&err);
    if (rc < 0) {
        return rc;
    }
    rc = nc_socketaddress_address(&sa, buf, NC_ADDRSTRLEN);
    CHECK(rc > 0 && (size_t)rc < NC_ADDRSTRLEN);
    CHECK(strcmp(nc_socketaddress_family(&sa), family) == 0);
    return 0;
}

static void check_family(const char *family, int is, const char *s, size_t len)
{
    char buf[NC_ADDRSTRLEN];
    char again[NC_ADDRSTRLEN];
    int rc = init_as(family, s, len, buf);

    /* The constructor of a family takes isIP's literals of it, and nothing else but IPv6
     * with a zone id: isIP allows [0-9A-Za-z.:-] after '%', the constructor, as Node's
     * (uv_inet_pton), any text. */
    if (nc_is_ip(s, len) == is) {
        CHECK(rc == 0);
    } else if (rc == 0) {
        CHECK(is == 6 && memchr(s, '%', len) != NULL);
    }
    if (rc == 0) {
        CHECK(nc_is_ip(buf, strlen(buf)) == is);
        CHECK(init_as(family, buf, strlen(buf), again) == 0);
        CHECK(strcmp(buf, again) == 0);
    }
}

static void check_parse(const char *s, size_t len)
{
    nc_sockaddr_t sa;
    char buf[NC_ADDRSTRLEN];
    int rc = nc_socketaddress_parse(s, len, &sa);

    if (rc < 0) {
        return;
    }
    rc = nc_socketaddress_address(&sa, buf, sizeof(buf));
    CHECK(rc > 0);
    CHECK(nc_is_ip(buf, strlen(buf)) == (sa.u.sa.sa_family == AF_INET ? 4 : 6));
    CHECK(nc_socketaddress_port(&sa) >= 0 && nc_socketaddress_port(&sa) <= 65535);
}

static const char *const types[4] = { NULL, "ipv4", "ipv6", "IPv6" };

/* One rule from a piece of text: its first byte says which, the rest is the text. */
static void rule_step(nc_blocklist_t *bl,
                      const char *p,
                      size_t len,
                      const char *next,
                      size_t next_len)
{
    uint8_t h = len > 0 ? (uint8_t)p[0] : 0;
    const char *type = types[(h >> 3) & 3];
    const char *t = len > 0 ? p + 1 : p;
    size_t n = len > 0 ? len - 1 : 0;
    nc_error_t err = { 0 };
    char rule[NC_BLOCKLIST_RULE_MAX];
    int rc;

    switch (h & 7) {
    case 0:
        rc = nc_blocklist_add_address(bl, t, n, type, &err);
        CHECK(rc < 0 || nc_blocklist_check(bl, t, n, type, NULL) == 1);
        break;
    case 1:
        rc = nc_blocklist_add_range(bl, t, n, next, next_len, type, &err);
        CHECK(rc < 0 || nc_blocklist_check(bl, t, n, type, NULL) == 1);
        CHECK(rc < 0 || nc_blocklist_check(bl, next, next_len, type, NULL) == 1);
        break;
    case 2:
        rc = nc_blocklist_add_subnet(bl, t, n, (int64_t)(h >> 5) * 20 - 4, type, &err);
        CHECK(rc < 0 || nc_blocklist_check(bl, t, n, type, NULL) == 1);
        break;
    case 3:
        rc = nc_blocklist_add_subnet(bl, t, n, (int64_t)(h >> 5) + 24, type, &err);
        CHECK(rc < 0 || nc_blocklist_check(bl, t, n, type, NULL) == 1);
        break;
    default:
        rc = nc_blocklist_check(bl, t, n, type, &err);
        CHECK(rc == 0 || rc == 1);
        rc = -1;
        break;
    }
    CHECK(rc == -1 || rc == 0 || err.code == rc);
    nc_error_clear(&err);
    if (rc == 0) {
        CHECK(nc_blocklist_rule(bl, 0, rule, sizeof(rule)) > 0);
    }
}

/* The input cut at '\n' into rule steps. */
static void check_blocklist(const char *s, size_t len)
{
    nc_blocklist_t *bl = NULL;
    const char *end = s + len;

    CHECK(nc_blocklist_new(&bl) == 0);
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *stop = nl != NULL ? nl : end;
        const char *next = nl != NULL ? nl + 1 : end;
        const char *next_nl = next < end ? memchr(next, '\n', (size_t)(end - next)) : NULL;
        size_t next_len = (size_t)((next_nl != NULL ? next_nl : end) - next);

        rule_step(bl, s, (size_t)(stop - s), next, next_len);
        s = next;
    }
    for (size_t i = 0; i < nc_blocklist_rule_count(bl); i++) {
        char rule[NC_BLOCKLIST_RULE_MAX];
        CHECK(nc_blocklist_rule(bl, i, rule, sizeof(rule)) > 0);
    }
    nc_blocklist_unref(bl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    int is = nc_is_ip(s, size);

    CHECK(is == 0 || is == 4 || is == 6);
    CHECK(nc_is_ipv4(s, size) == (is == 4));
    CHECK(nc_is_ipv6(s, size) == (is == 6));
    check_family("ipv4", 4, s, size);
    check_family("ipv6", 6, s, size);
    check_parse(s, size);
    check_blocklist(s, size);
    return 0;
}
