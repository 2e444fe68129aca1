/* test_sockaddr.c: net.SocketAddress (nc_socketaddress_*): defaults, the checks in Node's
 * order with Node's codes and messages, the deliberate differences from Node 20, the
 * four properties, and SocketAddress.parse(). Expected texts are Node 20's own. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <net/if.h>

#include "netcore.h"

#define LIT(s) (s), sizeof(s) - 1

/* The four properties of sa, checked at once. */
static void assert_sa(const nc_sockaddr_t *sa,
                      const char *address,
                      int port,
                      const char *family,
                      uint32_t flowlabel)
{
    char text[NC_ADDRSTRLEN];
    assert_int_equal(nc_socketaddress_address(sa, text, sizeof(text)), (int)strlen(address));
    assert_string_equal(text, address);
    assert_int_equal(nc_socketaddress_port(sa), port);
    assert_string_equal(nc_socketaddress_family(sa), family);
    assert_int_equal(nc_socketaddress_flowlabel(sa), flowlabel);
}

/* nc_socketaddress_init that must fail with `code` and Node's `message`. */
static void assert_init_error(const nc_socketaddress_options_t *opts, int code, const char *message)
{
    nc_sockaddr_t sa;
    nc_error_t err = { .port = -1 };
    assert_int_equal(nc_socketaddress_init(opts, &sa, &err), code);
    assert_int_equal(err.code, code);
    assert_string_equal(err.message, message);
    nc_error_clear(&err);
}

static int init_address(const char *family, const char *s, size_t len, nc_sockaddr_t *ret)
{
    nc_socketaddress_options_t opts = { .family = family, .address = s, .address_len = len };
    return nc_socketaddress_init(&opts, ret, NULL);
}

static void test_sockaddr_defaults(void **state)
{
    nc_socketaddress_options_t zero = { 0 };
    nc_sockaddr_t sa;
    (void)state;
    assert_int_equal(nc_socketaddress_init(NULL, &sa, NULL), 0);
    assert_sa(&sa, "127.0.0.1", 0, "ipv4", 0);
    assert_int_equal(nc_socketaddress_init(&zero, &sa, NULL), 0);
    assert_sa(&sa, "127.0.0.1", 0, "ipv4", 0);
}

static void test_sockaddr_ipv6_default_address(void **state)
{
    nc_socketaddress_options_t opts = { .family = "ipv6" };
    nc_sockaddr_t sa;
    (void)state;
    assert_int_equal(nc_socketaddress_init(&opts, &sa, NULL), 0);
    assert_sa(&sa, "::", 0, "ipv6", 0);
}

static void test_sockaddr_family_case(void **state)
{
    nc_socketaddress_options_t opts = { .family = "IPV6", .address = LIT("::2") };
    nc_sockaddr_t sa;
    (void)state;
    assert_int_equal(nc_socketaddress_init(&opts, &sa, NULL), 0);
    assert_sa(&sa, "::2", 0, "ipv6", 0);
}

static void test_sockaddr_family_as_written_picks_default(void **state)
{
    /* Node takes the default address before lowercasing: "IPv4" gets "::" and fails. */
    nc_socketaddress_options_t opts = { .family = "IPv4" };
    (void)state;
    assert_init_error(&opts, NC_ERR_INVALID_ADDRESS, "Invalid socket address");
}

static void test_sockaddr_bad_family(void **state)
{
    nc_socketaddress_options_t opts = { .family = "foo" };
    (void)state;
    assert_init_error(&opts, NC_ERR_INVALID_ARG_VALUE,
                      "The property 'options.family' is invalid. Received 'foo'");
}

static void test_sockaddr_bad_family_quotes(void **state)
{
    nc_socketaddress_options_t it = { .family = "it's" };
    nc_socketaddress_options_t both = { .family = "x\"'y" };
    (void)state;
    assert_init_error(&it, NC_ERR_INVALID_ARG_VALUE,
                      "The property 'options.family' is invalid. Received \"it's\"");
    assert_init_error(&both, NC_ERR_INVALID_ARG_VALUE,
                      "The property 'options.family' is invalid. Received `x\"'y`");
}

static void test_sockaddr_bad_family_escapes(void **state)
{
    nc_socketaddress_options_t opts = { .family = "ab\x7f\ncd" };
    (void)state;
    assert_init_error(&opts, NC_ERR_INVALID_ARG_VALUE,
                      "The property 'options.family' is invalid. Received 'ab\\x7F\\ncd'");
}

static void test_sockaddr_bad_family_cut(void **state)
{
    /* Node keeps 128 UTF-16 units of the inspection ("'" and 127 letters) then "...". */
    char family[201], expected[256];
    nc_socketaddress_options_t opts = { .family = family };
    (void)state;
    memset(family, 'a', 200);
    family[200] = '\0';
    snprintf(expected, sizeof(expected),
             "The property 'options.family' is invalid. Received '%.127s...", family);
    assert_init_error(&opts, NC_ERR_INVALID_ARG_VALUE, expected);
}

static void test_sockaddr_bad_family_cut_in_pair(void **state)
{
    /* 64 emoji: "'" and 63 of them are 127 units, so the cut at 128 falls inside the
     * 64th, of which Node keeps the high surrogate; in UTF-8 that half is U+FFFD. */
    static const char emoji[] = "\xf0\x9f\x98\x80";
    char family[64 * 4 + 1] = "", expected[512];
    nc_socketaddress_options_t opts = { .family = family };
    (void)state;
    strcpy(expected, "The property 'options.family' is invalid. Received '");
    for (int i = 0; i < 64; i++) {
        strcat(family, emoji);
        if (i < 63) {
            strcat(expected, emoji);
        }
    }
    strcat(expected, "\xef\xbf\xbd...");
    assert_init_error(&opts, NC_ERR_INVALID_ARG_VALUE, expected);
}

static void test_sockaddr_bad_family_long_lines(void **state)
{
    /* Past 76 units Node quotes each line on its own and joins them with " +\n  ". */
    char family[81] = "", expected[512];
    nc_socketaddress_options_t opts = { .family = family };
    (void)state;
    for (int i = 0; i < 40; i++) {
        strcat(family, "l\n");
    }
    strcpy(expected, "The property 'options.family' is invalid. Received 'l\\n'");
    for (int i = 0; i < 12; i++) {
        strcat(expected, " +\n  'l\\n'");
    }
    strcat(expected, " +\n...");
    assert_init_error(&opts, NC_ERR_INVALID_ARG_VALUE, expected);
}

static void test_sockaddr_family_checked_first(void **state)
{
    nc_socketaddress_options_t opts = { .family = "foo", .port = -1, .flowlabel = -1 };
    (void)state;
    assert_init_error(&opts, NC_ERR_INVALID_ARG_VALUE,
                      "The property 'options.family' is invalid. Received 'foo'");
}

static void test_sockaddr_bad_port(void **state)
{
    nc_socketaddress_options_t low = { .port = -1 };
    nc_socketaddress_options_t high = { .port = 65536 };
    (void)state;
    assert_init_error(&low, NC_ERR_SOCKET_BAD_PORT,
                      "options.port should be >= 0 and < 65536. Received type number (-1).");
    assert_init_error(&high, NC_ERR_SOCKET_BAD_PORT,
                      "options.port should be >= 0 and < 65536. Received type number (65536).");
}

static void test_sockaddr_port_before_flowlabel(void **state)
{
    nc_socketaddress_options_t opts = { .port = 70000, .flowlabel = -1, .address = LIT("x") };
    (void)state;
    assert_init_error(&opts, NC_ERR_SOCKET_BAD_PORT,
                      "options.port should be >= 0 and < 65536. Received type number (70000).");
}

static void test_sockaddr_port_max(void **state)
{
    nc_socketaddress_options_t opts = { .port = 65535 };
    nc_sockaddr_t sa;
    (void)state;
    assert_int_equal(nc_socketaddress_init(&opts, &sa, NULL), 0);
    assert_sa(&sa, "127.0.0.1", 65535, "ipv4", 0);
}

static void test_sockaddr_bad_flowlabel(void **state)
{
    nc_socketaddress_options_t neg = { .flowlabel = -1 };
    nc_socketaddress_options_t big = { .flowlabel = INT64_C(1) << 40 };
    (void)state;
    assert_init_error(&neg, NC_ERR_OUT_OF_RANGE,
                      "The value of \"options.flowlabel\" is out of range. It must be >= 0 && "
                      "<= 4294967295. Received -1");
    assert_init_error(&big, NC_ERR_OUT_OF_RANGE,
                      "The value of \"options.flowlabel\" is out of range. It must be >= 0 && "
                      "<= 4294967295. Received 1_099_511_627_776");
}

static void test_sockaddr_flowlabel_before_address(void **state)
{
    nc_socketaddress_options_t opts = { .flowlabel = INT64_C(4294967296), .address = LIT("x") };
    (void)state;
    assert_init_error(&opts, NC_ERR_OUT_OF_RANGE,
                      "The value of \"options.flowlabel\" is out of range. It must be >= 0 && "
                      "<= 4294967295. Received 4294967296");
}

static void test_sockaddr_flowlabel_ignored_for_ipv4(void **state)
{
    nc_socketaddress_options_t opts = { .flowlabel = 0xFFFFFFFF };
    nc_sockaddr_t sa;
    (void)state;
    assert_int_equal(nc_socketaddress_init(&opts, &sa, NULL), 0);
    assert_sa(&sa, "127.0.0.1", 0, "ipv4", 0);
}

static void test_sockaddr_flowlabel_ipv6(void **state)
{
    nc_socketaddress_options_t opts = {
        .family = "ipv6", .address = LIT("2001:db8::1"), .port = 443, .flowlabel = 0xFFFFF
    };
    nc_sockaddr_t sa;
    (void)state;
    assert_int_equal(nc_socketaddress_init(&opts, &sa, NULL), 0);
    assert_sa(&sa, "2001:db8::1", 443, "ipv6", 0xFFFFF);
}

static void test_sockaddr_flowlabel_above_20_bits(void **state)
{
    /* Node 20 aborts the process here (a C++ CHECK); libnetcore gives a range error. */
    nc_socketaddress_options_t opts = { .family = "ipv6", .flowlabel = 0x100000 };
    (void)state;
    assert_init_error(&opts, NC_ERR_OUT_OF_RANGE,
                      "The value of \"options.flowlabel\" is out of range. It must be >= 0 && "
                      "<= 1048575. Received 1048576");
}

static void test_sockaddr_bad_address(void **state)
{
    nc_socketaddress_options_t v4 = { .address = LIT("::1") };
    nc_socketaddress_options_t v6 = { .family = "ipv6", .address = LIT("1.2.3.4") };
    nc_socketaddress_options_t empty = { .address = LIT("") };
    (void)state;
    assert_init_error(&v4, NC_ERR_INVALID_ADDRESS, "Invalid socket address");
    assert_init_error(&v6, NC_ERR_INVALID_ADDRESS, "Invalid socket address");
    assert_init_error(&empty, NC_ERR_INVALID_ADDRESS, "Invalid socket address");
}

static void test_sockaddr_address_with_nul(void **state)
{
    /* Node 20 reads "1.2.3.4\0junk" as 1.2.3.4; libnetcore refuses it. */
    nc_sockaddr_t sa;
    (void)state;
    assert_int_equal(init_address(NULL, LIT("1.2.3.4\0junk"), &sa), NC_ERR_INVALID_ADDRESS);
    assert_int_equal(init_address("ipv6", LIT("fe80::1%eth\0x"), &sa), NC_ERR_INVALID_ADDRESS);
    assert_int_equal(init_address(NULL, "1.2.3.4\0junk", 7, &sa), 0);
}

static void test_sockaddr_zone_scope(void **state)
{
    nc_sockaddr_t sa;
    unsigned lo = if_nametoindex("lo");
    (void)state;
    if (lo == 0) {
        print_message("no 'lo' interface here\n");
        skip();
    }
    assert_int_equal(init_address("ipv6", LIT("fe80::1%lo"), &sa), 0);
    assert_sa(&sa, "fe80::1", 0, "ipv6", 0);
    assert_int_equal(sa.u.in6.sin6_scope_id, lo);
}

static void test_sockaddr_zone_unknown(void **state)
{
    /* As libuv: an unknown zone (or any text after '%') leaves scope id 0. */
    nc_sockaddr_t sa;
    (void)state;
    assert_int_equal(init_address("ipv6", LIT("fe80::1%no such interface"), &sa), 0);
    assert_int_equal(sa.u.in6.sin6_scope_id, 0);
    assert_int_equal(init_address("ipv6", LIT("fe80::1%"), &sa), 0);
    assert_sa(&sa, "fe80::1", 0, "ipv6", 0);
}

static void test_sockaddr_zone_long_address(void **state)
{
    /* libuv cuts the part before '%' to 39 bytes; libnetcore reads all of it. */
    nc_sockaddr_t sa;
    (void)state;
    assert_int_equal(
        init_address("ipv6", LIT("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%eth0"), &sa), 0);
    assert_sa(&sa, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "ipv6", 0);
    assert_int_equal(
        init_address("ipv6", LIT("0000:0000:0000:0000:0000:0000:0000:0001junk%eth0"), &sa),
        NC_ERR_INVALID_ADDRESS);
}

static void test_sockaddr_address_text(void **state)
{
    nc_sockaddr_t sa;
    (void)state;
    assert_int_equal(init_address("ipv6", LIT("::ffff:1.2.3.4"), &sa), 0);
    assert_sa(&sa, "::ffff:1.2.3.4", 0, "ipv6", 0);
    assert_int_equal(init_address("ipv6", LIT("1:0:0:2::"), &sa), 0);
    assert_sa(&sa, "1:0:0:2::", 0, "ipv6", 0);
    assert_int_equal(init_address("ipv6", LIT("0:0:1:0:0:0:0:1"), &sa), 0);
    assert_sa(&sa, "0:0:1::1", 0, "ipv6", 0);
    assert_int_equal(init_address("ipv6", LIT("FFFF::ABCD"), &sa), 0);
    assert_sa(&sa, "ffff::abcd", 0, "ipv6", 0);
}

static void test_sockaddr_address_buffer(void **state)
{
    nc_sockaddr_t sa;
    char text[8];
    (void)state;
    assert_int_equal(init_address("ipv6", LIT("2001:db8::1"), &sa), 0);
    assert_int_equal(nc_socketaddress_address(&sa, text, sizeof(text)), -ENOSPC);
    assert_int_equal(nc_socketaddress_address(NULL, text, sizeof(text)), -EINVAL);
    assert_int_equal(nc_socketaddress_address(&sa, NULL, 0), -EINVAL);
}

static void test_sockaddr_bad_arguments(void **state)
{
    nc_socketaddress_options_t null_address = { .address = NULL, .address_len = 3 };
    nc_sockaddr_t sa;
    nc_error_t err = { .port = -1 };
    (void)state;
    assert_int_equal(nc_socketaddress_init(NULL, NULL, &err), -EINVAL);
    assert_string_equal(nc_err_name(err.code), "EINVAL");
    assert_int_equal(nc_socketaddress_init(&null_address, &sa, NULL), -EINVAL);
    assert_int_equal(nc_socketaddress_port(NULL), -EINVAL);
    nc_error_clear(&err);
}

static void test_sockaddr_output_untouched_on_error(void **state)
{
    nc_socketaddress_options_t opts = { .address = LIT("bad") };
    nc_sockaddr_t sa, before;
    (void)state;
    memset(&sa, 0xA5, sizeof(sa));
    before = sa;
    assert_int_equal(nc_socketaddress_init(&opts, &sa, NULL), NC_ERR_INVALID_ADDRESS);
    assert_memory_equal(&sa, &before, sizeof(sa));
    assert_int_equal(nc_socketaddress_parse(LIT("bad"), &sa), NC_ERR_INVALID_ADDRESS);
    assert_memory_equal(&sa, &before, sizeof(sa));
}

/* ---- SocketAddress.parse() ---------------------------------------------------------- */

static void assert_parse(const char *s, size_t len, const char *address, int port)
{
    nc_sockaddr_t sa;
    assert_int_equal(nc_socketaddress_parse(s, len, &sa), 0);
    assert_sa(&sa, address, port, strchr(address, ':') != NULL ? "ipv6" : "ipv4", 0);
}

static void assert_parse_fails(const char *s, size_t len)
{
    nc_sockaddr_t sa;
    assert_int_equal(nc_socketaddress_parse(s, len, &sa), NC_ERR_INVALID_ADDRESS);
}

static void test_parse_host_port(void **state)
{
    (void)state;
    assert_parse(LIT("123.1.2.3:1234"), "123.1.2.3", 1234);
    assert_parse(LIT("[1::1]:1234"), "1::1", 1234);
    assert_parse(LIT("1.2.3.4"), "1.2.3.4", 0);
    assert_parse(LIT("[::ffff:1.2.3.4]"), "::ffff:1.2.3.4", 0);
}

static void test_parse_ipv4_number_forms(void **state)
{
    (void)state;
    assert_parse(LIT("127.1"), "127.0.0.1", 0);
    assert_parse(LIT("0x7f.1"), "127.0.0.1", 0);
    assert_parse(LIT("0177.0.0.1"), "127.0.0.1", 0);
    assert_parse(LIT("4294967295"), "255.255.255.255", 0);
    assert_parse(LIT("0X7F.1"), "127.0.0.1", 0);
    assert_parse(LIT("0x"), "0.0.0.0", 0);
    assert_parse(LIT("1.2.3.4."), "1.2.3.4", 0);
}

static void test_parse_ipv4_out_of_range(void **state)
{
    (void)state;
    assert_parse_fails(LIT("4294967296"));
    assert_parse_fails(LIT("1.2.3.256"));
    assert_parse_fails(LIT("1.16777216"));
    assert_parse_fails(LIT("1.2.3.4.5"));
    assert_parse_fails(LIT("08"));
    assert_parse_fails(LIT("1..2"));
}

static void test_parse_default_port_is_zero(void **state)
{
    /* http's default port 80 is no port in the URL, and parse() reads that as 0. */
    (void)state;
    assert_parse(LIT("1.2.3.4:80"), "1.2.3.4", 0);
    assert_parse(LIT("1.2.3.4:0080"), "1.2.3.4", 0);
    assert_parse(LIT("1.2.3.4:81"), "1.2.3.4", 81);
    assert_parse(LIT("1.2.3.4:"), "1.2.3.4", 0);
}

static void test_parse_bad_port(void **state)
{
    (void)state;
    assert_parse_fails(LIT("1.2.3.4:65536"));
    assert_parse_fails(LIT("1.2.3.4:1a"));
    assert_parse_fails(LIT("1.2.3.4:-1"));
    assert_parse_fails(LIT("1.2.3.4:80:80"));
}

static void test_parse_url_parts(void **state)
{
    (void)state;
    assert_parse(LIT("u:p@1.2.3.4:5/x?y#z"), "1.2.3.4", 5);
    assert_parse(LIT("a@b@1.2.3.4"), "1.2.3.4", 0);
    assert_parse(LIT("//1.2.3.4:9"), "1.2.3.4", 9);
    assert_parse(LIT("1.2.3.4:99\\x"), "1.2.3.4", 99);
    assert_parse(LIT("1.2.3.4/\xff"), "1.2.3.4", 0);
    assert_parse_fails(LIT("u@"));
    assert_parse_fails(LIT("u@:80"));
}

static void test_parse_whitespace(void **state)
{
    /* Tabs and newlines go anywhere; trailing C0 controls and spaces are stripped. */
    (void)state;
    assert_parse(LIT("\t1.2\n.3.4"), "1.2.3.4", 0);
    assert_parse(LIT("1.2.3.4:8\t1"), "1.2.3.4", 81);
    assert_parse(LIT("1.2.3.4 \0"), "1.2.3.4", 0);
    assert_parse_fails(LIT(" 1.2.3.4"));
    assert_parse_fails(LIT("1.2\0.3.4"));
}

static void test_parse_host_decoding(void **state)
{
    /* The host is percent-decoded, then IDNA-mapped (fullwidth digits, ideographic
     * full stop, ignored soft hyphen). */
    (void)state;
    assert_parse(LIT("%31.2.3.4"), "1.2.3.4", 0);
    assert_parse(LIT("\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.0.0.1"), "127.0.0.1", 0);
    assert_parse(LIT("127\343\200\2020.0.1"), "127.0.0.1", 0); /* U+3002 */
    assert_parse(LIT("1.2.3.4\xc2\xad"), "1.2.3.4", 0);
    assert_parse(LIT("%ef%bc%91.2.3.4"), "1.2.3.4", 0);
    assert_parse_fails(LIT("%2531.2.3.4"));
    assert_parse_fails(LIT("%C0%80.1"));
    assert_parse_fails(LIT("\xff.1"));
}

static void test_parse_not_an_address(void **state)
{
    (void)state;
    assert_parse_fails(LIT(""));
    assert_parse_fails(LIT("example.com"));
    assert_parse_fails(LIT("localhost:80"));
    assert_parse_fails(LIT("::1"));
    assert_parse_fails(LIT("[fe80::1%eth0]"));
    assert_parse_fails(LIT("[::1]x"));
    assert_parse_fails(LIT("[1:2:3:4:5:6::7:8]"));
}

static void test_parse_bad_arguments(void **state)
{
    nc_sockaddr_t sa;
    (void)state;
    assert_int_equal(nc_socketaddress_parse(NULL, 0, &sa), NC_ERR_INVALID_ADDRESS);
    assert_int_equal(nc_socketaddress_parse(NULL, 1, &sa), -EINVAL);
    assert_int_equal(nc_socketaddress_parse(LIT("1.2.3.4"), NULL), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sockaddr_defaults),
        cmocka_unit_test(test_sockaddr_ipv6_default_address),
        cmocka_unit_test(test_sockaddr_family_case),
        cmocka_unit_test(test_sockaddr_family_as_written_picks_default),
        cmocka_unit_test(test_sockaddr_bad_family),
        cmocka_unit_test(test_sockaddr_bad_family_quotes),
        cmocka_unit_test(test_sockaddr_bad_family_escapes),
        cmocka_unit_test(test_sockaddr_bad_family_cut),
        cmocka_unit_test(test_sockaddr_bad_family_cut_in_pair),
        cmocka_unit_test(test_sockaddr_bad_family_long_lines),
        cmocka_unit_test(test_sockaddr_family_checked_first),
        cmocka_unit_test(test_sockaddr_bad_port),
        cmocka_unit_test(test_sockaddr_port_before_flowlabel),
        cmocka_unit_test(test_sockaddr_port_max),
        cmocka_unit_test(test_sockaddr_bad_flowlabel),
        cmocka_unit_test(test_sockaddr_flowlabel_before_address),
        cmocka_unit_test(test_sockaddr_flowlabel_ignored_for_ipv4),
        cmocka_unit_test(test_sockaddr_flowlabel_ipv6),
        cmocka_unit_test(test_sockaddr_flowlabel_above_20_bits),
        cmocka_unit_test(test_sockaddr_bad_address),
        cmocka_unit_test(test_sockaddr_address_with_nul),
        cmocka_unit_test(test_sockaddr_zone_scope),
        cmocka_unit_test(test_sockaddr_zone_unknown),
        cmocka_unit_test(test_sockaddr_zone_long_address),
        cmocka_unit_test(test_sockaddr_address_text),
        cmocka_unit_test(test_sockaddr_address_buffer),
        cmocka_unit_test(test_sockaddr_bad_arguments),
        cmocka_unit_test(test_sockaddr_output_untouched_on_error),
        cmocka_unit_test(test_parse_host_port),
        cmocka_unit_test(test_parse_ipv4_number_forms),
        cmocka_unit_test(test_parse_ipv4_out_of_range),
        cmocka_unit_test(test_parse_default_port_is_zero),
        cmocka_unit_test(test_parse_bad_port),
        cmocka_unit_test(test_parse_url_parts),
        cmocka_unit_test(test_parse_whitespace),
        cmocka_unit_test(test_parse_host_decoding),
        cmocka_unit_test(test_parse_not_an_address),
        cmocka_unit_test(test_parse_bad_arguments),
    };
    return cmocka_run_group_tests_name("sockaddr", tests, NULL, NULL);
}
