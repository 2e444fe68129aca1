/* test_blocklist_util.h: what test_blocklist.c and test_blocklist_index.c share: calls
 * on C strings, SocketAddress values from text or numbers, exact error checks. */
#ifndef TEST_BLOCKLIST_UTIL_H
#define TEST_BLOCKLIST_UTIL_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <cmocka.h>

#include "netcore.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline nc_blocklist_t *bl_new(void)
{
    nc_blocklist_t *bl = NULL;
    assert_int_equal(nc_blocklist_new(&bl), 0);
    assert_non_null(bl);
    return bl;
}

static inline int add_address(nc_blocklist_t *bl, const char *s, const char *type, nc_error_t *err)
{
    return nc_blocklist_add_address(bl, s, strlen(s), type, err);
}

static inline int add_range(nc_blocklist_t *bl,
                            const char *a,
                            const char *b,
                            const char *type,
                            nc_error_t *err)
{
    return nc_blocklist_add_range(bl, a, strlen(a), b, strlen(b), type, err);
}

static inline int add_subnet(nc_blocklist_t *bl,
                             const char *s,
                             int64_t prefix,
                             const char *type,
                             nc_error_t *err)
{
    return nc_blocklist_add_subnet(bl, s, strlen(s), prefix, type, err);
}

static inline int check(nc_blocklist_t *bl, const char *s, const char *type)
{
    return nc_blocklist_check(bl, s, strlen(s), type, NULL);
}

static inline nc_sockaddr_t sa_make(const char *address,
                                    const char *family,
                                    int port,
                                    int flowlabel)
{
    nc_sockaddr_t sa;
    nc_socketaddress_options_t o = {
        .address = address,
        .address_len = strlen(address),
        .family = family,
        .port = port,
        .flowlabel = flowlabel,
    };
    assert_int_equal(nc_socketaddress_init(&o, &sa, NULL), 0);
    return sa;
}

/* The call failed with `code` and Node's message, and left the error holding both. */
static inline void assert_error(int r, nc_error_t *err, int code, const char *message)
{
    assert_int_equal(r, code);
    assert_int_equal(err->code, code);
    assert_string_equal(err->message, message);
    nc_error_clear(err);
}

static inline void assert_rules(const nc_blocklist_t *bl, const char *const *expect, size_t n)
{
    char buf[NC_BLOCKLIST_RULE_MAX];
    assert_int_equal(nc_blocklist_rule_count(bl), n);
    for (size_t i = 0; i < n; i++) {
        int len = nc_blocklist_rule(bl, i, buf, sizeof(buf));
        assert_int_equal(len, (int)strlen(expect[i]));
        assert_string_equal(buf, expect[i]);
    }
    assert_int_equal(nc_blocklist_rule(bl, n, buf, sizeof(buf)), -ENOENT);
}

static inline nc_sockaddr_t sa_v4(uint32_t a)
{
    nc_sockaddr_t sa;
    memset(&sa, 0, sizeof(sa));
    sa.u.in4.sin_family = AF_INET;
    sa.u.in4.sin_addr.s_addr = htonl(a);
    return sa;
}

static inline nc_sockaddr_t sa_v6(uint64_t hi, uint64_t lo)
{
    nc_sockaddr_t sa;
    memset(&sa, 0, sizeof(sa));
    sa.u.in6.sin6_family = AF_INET6;
    for (int i = 0; i < 8; i++) {
        sa.u.in6.sin6_addr.s6_addr[i] = (uint8_t)(hi >> (56 - 8 * i));
        sa.u.in6.sin6_addr.s6_addr[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
    }
    return sa;
}

/* Addresses that crowd where rules and families meet: the ends of the IPv4 space, a few
 * hot spots, and in IPv6 the mapped block ::ffff:0:0/96, its neighbours, and a /112. */
static inline void sa_text(const nc_sockaddr_t *sa, char *buf)
{
    assert_true(nc_socketaddress_address(sa, buf, NC_ADDRSTRLEN) > 0);
}

#endif
