/* test_isip.c: nc_is_ip, nc_is_ipv4, nc_is_ipv6 against Node 20's answers (IPv4Reg and
 * IPv6Reg in lib/internal/net.js); tests/diff compares thousands more with node itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netcore.h"

/* nc_is_ip of a C string literal, its length taken by sizeof so that NUL bytes count. */
#define IS_IP(lit) nc_is_ip((lit), sizeof(lit) - 1)

static void test_isip_ipv4_valid(void **state)
{
    (void)state;
    assert_int_equal(IS_IP("1.2.3.4"), 4);
    assert_int_equal(IS_IP("0.0.0.0"), 4);
    assert_int_equal(IS_IP("255.255.255.255"), 4);
    assert_int_equal(IS_IP("10.200.0.99"), 4);
}

static void test_isip_ipv4_leading_zero(void **state)
{
    (void)state;
    assert_int_equal(IS_IP("01.2.3.4"), 0);
    assert_int_equal(IS_IP("1.2.3.04"), 0);
    assert_int_equal(IS_IP("1.2.3.00"), 0);
    assert_int_equal(IS_IP("00.0.0.0"), 0);
}

static void test_isip_ipv4_out_of_range(void **state)
{
    (void)state;
    assert_int_equal(IS_IP("256.0.0.0"), 0);
    assert_int_equal(IS_IP("1.2.3.1000"), 0);
    assert_int_equal(IS_IP("1.2.3.-4"), 0);
}

static void test_isip_ipv4_part_count(void **state)
{
    (void)state;
    assert_int_equal(IS_IP("1.2.3"), 0);
    assert_int_equal(IS_IP("1.2.3.4.5"), 0);
    assert_int_equal(IS_IP("1.2.3.4."), 0);
    assert_int_equal(IS_IP(".1.2.3.4"), 0);
    assert_int_equal(IS_IP("1..2.3"), 0);
    assert_int_equal(IS_IP("127.1"), 0);
}

static void test_isip_trailing_newline(void **state)
{
    /* JS `$` does not match before a final newline, unlike PCRE's. */
    (void)state;
    assert_int_equal(IS_IP("1.2.3.4\n"), 0);
    assert_int_equal(IS_IP("::1\n"), 0);
    assert_int_equal(IS_IP("fe80::1%eth0\n"), 0);
}

static void test_isip_embedded_nul(void **state)
{
    (void)state;
    assert_int_equal(IS_IP("1.2.3.4\0"), 0);
    assert_int_equal(IS_IP("1.2.3.4\0junk"), 0);
    assert_int_equal(IS_IP("::1\0"), 0);
    assert_int_equal(IS_IP("fe80::1%eth\0"), 0);
    assert_int_equal(nc_is_ip("1.2.3.4\0junk", 7), 4);
}

static void test_isip_non_ascii(void **state)
{
    (void)state;
    assert_int_equal(IS_IP("\xef\xbc\x91.2.3.4"), 0); /* fullwidth digit one */
    assert_int_equal(IS_IP("1.2.3.\xd9\xa4"), 0);     /* Arabic-Indic four */
    assert_int_equal(IS_IP("::\xff"), 0);
    assert_int_equal(IS_IP("fe80::1%\xc3\xa9"), 0);
}

static void test_isip_whitespace(void **state)
{
    (void)state;
    assert_int_equal(IS_IP(" 1.2.3.4"), 0);
    assert_int_equal(IS_IP("1.2.3.4 "), 0);
    assert_int_equal(IS_IP("::1 "), 0);
}

static void test_isip_ipv6_forms(void **state)
{
    (void)state;
    assert_int_equal(IS_IP("::"), 6);
    assert_int_equal(IS_IP("::1"), 6);
    assert_int_equal(IS_IP("1::"), 6);
    assert_int_equal(IS_IP("1::2"), 6);
    assert_int_equal(IS_IP("1:2:3:4:5:6:7:8"), 6);
    assert_int_equal(IS_IP("1:2:3:4:5:6:7::"), 6);
    assert_int_equal(IS_IP("::1:2:3:4:5:6:7"), 6);
    assert_int_equal(IS_IP("fFfF:AbCd::"), 6);
}

static void test_isip_ipv6_group_count(void **state)
{
    /* "::" stands for at least one group: never next to 8 others. */
    (void)state;
    assert_int_equal(IS_IP("1:2:3:4:5:6:7"), 0);
    assert_int_equal(IS_IP("1:2:3:4:5:6:7:8:9"), 0);
    assert_int_equal(IS_IP("1:2:3:4:5:6::7:8"), 0);
    assert_int_equal(IS_IP("::1:2:3:4:5:6:7:8"), 0);
    assert_int_equal(IS_IP("1:2:3:4:5:6:7:8::"), 0);
}

static void test_isip_ipv6_double_gap(void **state)
{
    (void)state;
    assert_int_equal(IS_IP("1::2::3"), 0);
    assert_int_equal(IS_IP("::1::"), 0);
    assert_int_equal(IS_IP(":::"), 0);
    assert_int_equal(IS_IP("1:::2"), 0);
}

static void test_isip_ipv6_group_width(void **state)
{
    (void)state;
    assert_int_equal(IS_IP("0000:0000:0000:0000:0000:0000:0000:0001"), 6);
    assert_int_equal(IS_IP("00000::"), 0);
    assert_int_equal(IS_IP("::12345"), 0);
    assert_int_equal(IS_IP("::g"), 0);
}

static void test_isip_ipv6_lone_colon(void **state)
{
    (void)state;
    assert_int_equal(IS_IP(":1::"), 0);
    assert_int_equal(IS_IP("1::2:"), 0);
    assert_int_equal(IS_IP(":1:2:3:4:5:6:7:8"), 0);
    assert_int_equal(IS_IP("1:2:3:4:5:6:7:8:"), 0);
}

static void test_isip_ipv6_ipv4_tail(void **state)
{
    (void)state;
    assert_int_equal(IS_IP("::ffff:1.2.3.4"), 6);
    assert_int_equal(IS_IP("::1.2.3.4"), 6);
    assert_int_equal(IS_IP("1:2:3:4:5:6:1.2.3.4"), 6);
    assert_int_equal(IS_IP("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"), 6);
    assert_int_equal(IS_IP("1:2:3:4:5:6:7:1.2.3.4"), 0);
    assert_int_equal(IS_IP("::01.2.3.4"), 0);
    assert_int_equal(IS_IP("::1.2.3"), 0);
    assert_int_equal(IS_IP("::256.1.1.1"), 0);
    assert_int_equal(IS_IP("::1.2.3.4:1"), 0);
    assert_int_equal(IS_IP("1.2.3.4::"), 0);
}

static void test_isip_zone_id(void **state)
{
    (void)state;
    assert_int_equal(IS_IP("fe80::1%eth0"), 6);
    assert_int_equal(IS_IP("fe80::1%lo0.1:-"), 6);
    assert_int_equal(IS_IP("::ffff:1.2.3.4%1"), 6);
    assert_int_equal(IS_IP("fe80::1%"), 0);
    assert_int_equal(IS_IP("fe80::1%%"), 0);
    assert_int_equal(IS_IP("fe80::1%a b"), 0);
    assert_int_equal(IS_IP("fe80::1%eth_0"), 0);
    assert_int_equal(IS_IP("1.2.3.4%eth0"), 0);
}

static void test_isip_empty_and_null(void **state)
{
    (void)state;
    assert_int_equal(nc_is_ip(NULL, 0), 0);
    assert_int_equal(nc_is_ip("", 0), 0);
    assert_false(nc_is_ipv4(NULL, 0));
    assert_false(nc_is_ipv6(NULL, 0));
}

static void test_isip_family_predicates(void **state)
{
    (void)state;
    assert_true(nc_is_ipv4("1.2.3.4", 7));
    assert_false(nc_is_ipv6("1.2.3.4", 7));
    assert_true(nc_is_ipv6("::1", 3));
    assert_false(nc_is_ipv4("::1", 3));
    assert_false(nc_is_ipv4("x", 1));
    assert_false(nc_is_ipv6("x", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isip_ipv4_valid),
        cmocka_unit_test(test_isip_ipv4_leading_zero),
        cmocka_unit_test(test_isip_ipv4_out_of_range),
        cmocka_unit_test(test_isip_ipv4_part_count),
        cmocka_unit_test(test_isip_trailing_newline),
        cmocka_unit_test(test_isip_embedded_nul),
        cmocka_unit_test(test_isip_non_ascii),
        cmocka_unit_test(test_isip_whitespace),
        cmocka_unit_test(test_isip_ipv6_forms),
        cmocka_unit_test(test_isip_ipv6_group_count),
        cmocka_unit_test(test_isip_ipv6_double_gap),
        cmocka_unit_test(test_isip_ipv6_group_width),
        cmocka_unit_test(test_isip_ipv6_lone_colon),
        cmocka_unit_test(test_isip_ipv6_ipv4_tail),
        cmocka_unit_test(test_isip_zone_id),
        cmocka_unit_test(test_isip_empty_and_null),
        cmocka_unit_test(test_isip_family_predicates),
    };
    return cmocka_run_group_tests_name("isip", tests, NULL, NULL);
}
