/* test_blocklist.c: net.BlockList's calls against Node 20's answers, noted beside each
 * case as `node:` (rules and their text, every error, cross-family matching, refcounts).
 * test_blocklist_index.c compares the index with Node's scan on random rule sets. */
#include "test_blocklist_util.h"

/* ---- the object and its rules ------------------------------------------------------- */

static void test_blocklist_refcount(void **state)
{
    (void)state;
    nc_blocklist_t *bl = bl_new();
    assert_int_equal(nc_blocklist_new(NULL), -EINVAL);
    assert_ptr_equal(nc_blocklist_ref(bl), bl);
    assert_int_equal(add_address(bl, "1.2.3.4", NULL, NULL), 0);
    /* One reference left: the list lives on, rules and all. */
    assert_null(nc_blocklist_unref(bl));
    assert_int_equal(check(bl, "1.2.3.4", NULL), 1);
    assert_int_equal(nc_blocklist_rule_count(bl), 1);
    assert_null(nc_blocklist_unref(bl));
    assert_null(nc_blocklist_unref(NULL));
    assert_null(nc_blocklist_ref(NULL));
    assert_int_equal(nc_blocklist_rule_count(NULL), 0);
}

static void test_blocklist_rules_doc_example(void **state)
{
    (void)state;
    /* node-net.md "blockList.rules", whose output node prints as documented. */
    static const char *const expect[] = {
        "Subnet: IPv6 8592:757c:efae:4e45::/64",
        "Range: IPv4 10.0.0.1-10.0.0.10",
        "Address: IPv4 123.123.123.123",
    };
    nc_blocklist_t *bl = bl_new();
    assert_int_equal(add_address(bl, "123.123.123.123", NULL, NULL), 0);
    assert_int_equal(add_range(bl, "10.0.0.1", "10.0.0.10", NULL, NULL), 0);
    assert_int_equal(add_subnet(bl, "8592:757c:efae:4e45::", 64, "ipv6", NULL), 0);
    assert_rules(bl, expect, ARRAY_LEN(expect));
    nc_blocklist_unref(bl);
}

static void test_blocklist_rules_text(void **state)
{
    (void)state;
    /* node: the addresses as SocketAddress::address() prints them (uv_inet_ntop): no
     * zone id, lower case, no leading zeros, "::" and "::ffff:a.b.c.d" forms, a subnet's
     * host bits kept, the type's case ignored, duplicates listed, newest first. */
    static const char *const expect[] = {
        "Range: IPv6 ::ffff:1.2.3.4-::ffff:1.2.3.10",
        "Subnet: IPv4 10.1.2.3/8",
        "Subnet: IPv6 8592:757c:efae:4e45:fb5d:d62a:d00:8e17/64",
        "Address: IPv6 2001:db8::1",
        "Address: IPv6 ::",
        "Address: IPv6 ::1.2.3.4",
        "Address: IPv6 ::ffff:1.2.3.4",
        "Address: IPv6 fe80::1",
        "Address: IPv6 fe80::1",
        "Address: IPv4 1.2.3.4",
        "Address: IPv4 1.2.3.4",
    };
    nc_blocklist_t *bl = bl_new();
    assert_int_equal(add_address(bl, "1.2.3.4", NULL, NULL), 0);
    assert_int_equal(add_address(bl, "1.2.3.4", "IPv4", NULL), 0);
    assert_int_equal(add_address(bl, "FE80::0001%eth0", "ipv6", NULL), 0);
    assert_int_equal(add_address(bl, "fe80::1%1", "IpV6", NULL), 0);
    assert_int_equal(add_address(bl, "::FFFF:0102:0304", "ipv6", NULL), 0);
    assert_int_equal(add_address(bl, "::1.2.3.4", "ipv6", NULL), 0);
    assert_int_equal(add_address(bl, "0:0:0:0:0:0:0:0", "ipv6", NULL), 0);
    assert_int_equal(add_address(bl, "2001:0db8:0000:0000:0000:0000:0000:0001", "ipv6", NULL), 0);
    assert_int_equal(add_subnet(bl, "8592:757c:efae:4e45:fb5d:d62a:0d00:8e17", 64, "ipv6", NULL),
                     0);
    assert_int_equal(add_subnet(bl, "10.1.2.3", 8, NULL, NULL), 0);
    assert_int_equal(add_range(bl, "::ffff:1.2.3.4", "::ffff:1.2.3.10", "ipv6", NULL), 0);
    assert_rules(bl, expect, ARRAY_LEN(expect));
    nc_blocklist_unref(bl);
}

static void test_blocklist_rule_buffer(void **state)
{
    (void)state;
    char buf[NC_BLOCKLIST_RULE_MAX];
    nc_blocklist_t *bl = bl_new();
    assert_int_equal(nc_blocklist_rule(bl, 0, buf, sizeof(buf)), -ENOENT);
    assert_int_equal(add_address(bl, "1.2.3.4", NULL, NULL), 0); /* "Address: IPv4 1.2.3.4" */
    memcpy(buf, "untouched", 10);
    assert_int_equal(nc_blocklist_rule(bl, 0, buf, 21), -ENOSPC);
    assert_string_equal(buf, "untouched");
    assert_int_equal(nc_blocklist_rule(bl, 0, buf, 22), 21);
    assert_string_equal(buf, "Address: IPv4 1.2.3.4");
    assert_int_equal(nc_blocklist_rule(bl, 1, buf, sizeof(buf)), -ENOENT);
    assert_int_equal(nc_blocklist_rule(NULL, 0, buf, sizeof(buf)), -EINVAL);
    assert_int_equal(nc_blocklist_rule(bl, 0, NULL, 0), -EINVAL);
    /* The longest rule Node can print fits NC_BLOCKLIST_RULE_MAX. */
    assert_int_equal(add_range(bl, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
                               "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ipv6", NULL),
                     0);
    assert_int_equal(nc_blocklist_rule(bl, 0, buf, sizeof(buf)), 91);
    nc_blocklist_unref(bl);
}

/* ---- errors ------------------------------------------------------------------------- */

static void test_blocklist_error_family(void **state)
{
    (void)state;
    nc_error_t err = { .port = -1 };
    nc_blocklist_t *bl = bl_new();
    /* node: new SocketAddress({ family }) throws ERR_INVALID_ARG_VALUE. */
    assert_error(add_address(bl, "1.2.3.4", "ipv5", &err), &err, NC_ERR_INVALID_ARG_VALUE,
                 "The property 'options.family' is invalid. Received 'ipv5'");
    assert_error(add_address(bl, "1.2.3.4", "", &err), &err, NC_ERR_INVALID_ARG_VALUE,
                 "The property 'options.family' is invalid. Received ''");
    assert_error(add_address(bl, "1.2.3.4", "it's", &err), &err, NC_ERR_INVALID_ARG_VALUE,
                 "The property 'options.family' is invalid. Received \"it's\"");
    assert_error(add_range(bl, "1.2.3.4", "1.2.3.5", "IPv7", &err), &err, NC_ERR_INVALID_ARG_VALUE,
                 "The property 'options.family' is invalid. Received 'IPv7'");
    /* node: the family fails before the prefix is looked at. */
    assert_error(add_subnet(bl, "1.2.3.4", 99, "x", &err), &err, NC_ERR_INVALID_ARG_VALUE,
                 "The property 'options.family' is invalid. Received 'x'");
    /* node: check() swallows it: false. */
    assert_int_equal(check(bl, "1.2.3.4", "ipv5"), 0);
    assert_int_equal(nc_blocklist_rule_count(bl), 0);
    nc_blocklist_unref(bl);
}

static void test_blocklist_error_address(void **state)
{
    (void)state;
    static const char *const bad[] = { "zzz", "", "::1", "01.2.3.4", "1.2.3.4 ", "1.2.3" };
    nc_error_t err = { .port = -1 };
    nc_blocklist_t *bl = bl_new();
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_error(add_address(bl, bad[i], NULL, &err), &err, NC_ERR_INVALID_ADDRESS,
                     "Invalid socket address");
    }
    assert_error(add_address(bl, "1.2.3.4", "ipv6", &err), &err, NC_ERR_INVALID_ADDRESS,
                 "Invalid socket address");
    assert_error(add_range(bl, "zzz", "also bad", NULL, &err), &err, NC_ERR_INVALID_ADDRESS,
                 "Invalid socket address");
    assert_error(add_range(bl, "1.2.3.4", "x", NULL, &err), &err, NC_ERR_INVALID_ADDRESS,
                 "Invalid socket address");
    /* node: the address fails before the prefix is looked at. */
    assert_error(add_subnet(bl, "zzz", 99, NULL, &err), &err, NC_ERR_INVALID_ADDRESS,
                 "Invalid socket address");
    assert_error(add_subnet(bl, "::", 99, NULL, &err), &err, NC_ERR_INVALID_ADDRESS,
                 "Invalid socket address");
    /* An empty text may come as NULL; NULL with a length is a caller's bug. */
    assert_error(nc_blocklist_add_address(bl, NULL, 0, NULL, &err), &err, NC_ERR_INVALID_ADDRESS,
                 "Invalid socket address");
    assert_int_equal(nc_blocklist_add_address(bl, NULL, 1, NULL, NULL), -EINVAL);
    assert_int_equal(nc_blocklist_add_range(bl, "1.2.3.4", 7, NULL, 1, NULL, NULL), -EINVAL);
    assert_int_equal(nc_blocklist_add_subnet(bl, NULL, 3, 8, NULL, NULL), -EINVAL);
    assert_int_equal(nc_blocklist_add_address(NULL, "1.2.3.4", 7, NULL, NULL), -EINVAL);
    assert_int_equal(nc_blocklist_add_range(NULL, "1.2.3.4", 7, "1.2.3.4", 7, NULL, NULL), -EINVAL);
    assert_int_equal(nc_blocklist_add_subnet(NULL, "1.2.3.4", 7, 8, NULL, NULL), -EINVAL);
    /* Node reads "1.2.3.4\0junk" as 1.2.3.4 (a C string); libnetcore's SocketAddress
     * refuses a NUL byte (sockaddr.c), and the BlockList follows it. */
    assert_int_equal(nc_blocklist_add_address(bl, "1.2.3.4\0junk", 12, NULL, NULL),
                     NC_ERR_INVALID_ADDRESS);
    assert_int_equal(nc_blocklist_rule_count(bl), 0);
    nc_blocklist_unref(bl);
}

static void test_blocklist_error_prefix(void **state)
{
    (void)state;
    /* node: validateInt32(prefix, 'prefix', 0, 32 or 128); past 2**32 in magnitude the
     * number gets '_' separators, and past 2**53 it is the rounded double Node sees. */
    static const struct {
        int64_t prefix;
        const char *shown;
    } cases[] = {
        { 33, "33" },
        { -1, "-1" },
        { INT64_C(4294967296), "4294967296" },
        { INT64_C(4294967297), "4_294_967_297" },
        { -INT64_C(4294967297), "-4_294_967_297" },
        { INT64_C(9007199254740992), "9_007_199_254_740_992" },
        { INT64_C(1152921504606846976), "1_152_921_504_606_847_000" },
        { INT64_MAX, "9_223_372_036_854_776_000" },
        { INT64_MIN, "-9_223_372_036_854_776_000" },
    };
    char message[NC_ERROR_MESSAGE_MAX];
    nc_error_t err = { .port = -1 };
    nc_blocklist_t *bl = bl_new();
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        snprintf(message, sizeof(message),
                 "The value of \"prefix\" is out of range. It must be >= 0 && <= 32. "
                 "Received %s",
                 cases[i].shown);
        assert_error(add_subnet(bl, "1.2.3.4", cases[i].prefix, NULL, &err), &err,
                     NC_ERR_OUT_OF_RANGE, message);
    }
    assert_error(add_subnet(bl, "::", 129, "ipv6", &err), &err, NC_ERR_OUT_OF_RANGE,
                 "The value of \"prefix\" is out of range. It must be >= 0 && <= 128. "
                 "Received 129");
    assert_error(add_subnet(bl, "::", -1, "ipv6", &err), &err, NC_ERR_OUT_OF_RANGE,
                 "The value of \"prefix\" is out of range. It must be >= 0 && <= 128. "
                 "Received -1");
    /* An IPv4-mapped network is IPv6: up to 128. */
    assert_int_equal(add_subnet(bl, "::ffff:1.2.3.4", 128, "ipv6", NULL), 0);
    nc_sockaddr_t v4 = sa_make("1.2.3.4", NULL, 0, 0);
    nc_sockaddr_t v6 = sa_make("::", "ipv6", 0, 0);
    assert_error(nc_blocklist_add_subnet_sa(bl, &v4, 33, &err), &err, NC_ERR_OUT_OF_RANGE,
                 "The value of \"prefix\" is out of range. It must be >= 0 && <= 32. "
                 "Received 33");
    assert_error(nc_blocklist_add_subnet_sa(bl, &v6, 129, &err), &err, NC_ERR_OUT_OF_RANGE,
                 "The value of \"prefix\" is out of range. It must be >= 0 && <= 128. "
                 "Received 129");
    assert_int_equal(nc_blocklist_add_subnet_sa(bl, &v4, 0, NULL), 0);
    assert_int_equal(nc_blocklist_add_subnet_sa(bl, &v6, 128, NULL), 0);
    assert_int_equal(nc_blocklist_rule_count(bl), 3);
    nc_blocklist_unref(bl);
}

static void test_blocklist_error_range_order(void **state)
{
    (void)state;
    nc_error_t err = { .port = -1 };
    nc_blocklist_t *bl = bl_new();
    /* node: ERR_INVALID_ARG_VALUE('start', start, 'must come before end'), start inspected
     * as a SocketAddress, over several lines once its fields pass 80 columns. */
    assert_error(add_range(bl, "2.0.0.1", "1.0.0.2", NULL, &err), &err, NC_ERR_INVALID_ARG_VALUE,
                 "The argument 'start' must come before end. Received SocketAddress { "
                 "address: '2.0.0.1', port: 0, family: 'ipv4', flowlabel: 0 }");
    assert_error(add_range(bl, "::2", "::1", "ipv6", &err), &err, NC_ERR_INVALID_ARG_VALUE,
                 "The argument 'start' must come before end. Received SocketAddress { "
                 "address: '::2', port: 0, family: 'ipv6', flowlabel: 0 }");
    assert_error(add_range(bl, "8592:757c:efae:4e45:fb5d:d62a:d00:8e17", "::1", "ipv6", &err), &err,
                 NC_ERR_INVALID_ARG_VALUE,
                 "The argument 'start' must come before end. Received SocketAddress {\n"
                 "  address: '8592:757c:efae:4e45:fb5d:d62a:d00:8e17',\n  port: 0,\n"
                 "  family: 'ipv6',\n  flowlabel: 0\n}");
    /* node: an equal start and end is a range of one. */
    assert_int_equal(add_range(bl, "1.2.3.4", "1.2.3.4", NULL, NULL), 0);
    assert_int_equal(nc_blocklist_rule_count(bl), 1);
    nc_blocklist_unref(bl);
}

static void test_blocklist_error_range_order_sa(void **state)
{
    (void)state;
    nc_error_t err = { .port = -1 };
    nc_blocklist_t *bl = bl_new();
    nc_sockaddr_t s1 = sa_make("fe80::1", "ipv6", 65535, 1048575);
    nc_sockaddr_t s2 = sa_make("fe80::10", "ipv6", 65535, 1048575);
    nc_sockaddr_t e = sa_make("fe80::", "ipv6", 0, 0);
    nc_sockaddr_t p80 = sa_make("1.2.3.5", NULL, 80, 0);
    nc_sockaddr_t v4 = sa_make("1.2.3.4", NULL, 0, 0);
    nc_sockaddr_t v4b = sa_make("1.2.3.5", NULL, 0, 0);
    nc_sockaddr_t mapped = sa_make("::ffff:1.2.3.5", "ipv6", 0, 0);
    nc_sockaddr_t mapped4 = sa_make("::ffff:1.2.3.4", "ipv6", 0, 0);
    nc_sockaddr_t one = sa_make("::1", "ipv6", 0, 0);
    /* node: the port and flow label show; 19 characters of fields stay on one line. */
    assert_error(nc_blocklist_add_range_sa(bl, &s1, &e, &err), &err, NC_ERR_INVALID_ARG_VALUE,
                 "The argument 'start' must come before end. Received SocketAddress { "
                 "address: 'fe80::1', port: 65535, family: 'ipv6', flowlabel: 1048575 }");
    assert_error(nc_blocklist_add_range_sa(bl, &s2, &e, &err), &err, NC_ERR_INVALID_ARG_VALUE,
                 "The argument 'start' must come before end. Received SocketAddress {\n"
                 "  address: 'fe80::10',\n  port: 65535,\n  family: 'ipv6',\n"
                 "  flowlabel: 1048575\n}");
    assert_error(nc_blocklist_add_range_sa(bl, &p80, &v4, &err), &err, NC_ERR_INVALID_ARG_VALUE,
                 "The argument 'start' must come before end. Received SocketAddress { "
                 "address: '1.2.3.5', port: 80, family: 'ipv4', flowlabel: 0 }");
    /* node: across families the two compare only when the IPv6 one is mapped. */
    assert_error(nc_blocklist_add_range_sa(bl, &mapped, &v4, &err), &err, NC_ERR_INVALID_ARG_VALUE,
                 "The argument 'start' must come before end. Received SocketAddress { "
                 "address: '::ffff:1.2.3.5', port: 0, family: 'ipv6', flowlabel: 0 }");
    assert_error(nc_blocklist_add_range_sa(bl, &v4b, &mapped4, &err), &err,
                 NC_ERR_INVALID_ARG_VALUE,
                 "The argument 'start' must come before end. Received SocketAddress { "
                 "address: '1.2.3.5', port: 0, family: 'ipv4', flowlabel: 0 }");
    assert_int_equal(nc_blocklist_add_range_sa(bl, &v4b, &one, NULL), 0);
    assert_int_equal(nc_blocklist_add_range_sa(bl, &one, &v4, NULL), 0);
    static const char *const expect[] = { "Range: IPv6 ::1-1.2.3.4", "Range: IPv4 1.2.3.5-::1" };
    assert_rules(bl, expect, ARRAY_LEN(expect));
    /* node: a probe must compare with both bounds. IPv4 ones never compare with ::1; an
     * IPv6 one compares with 1.2.3.4 only when mapped, so ::1-1.2.3.4 blocks exactly
     * ::ffff:0.0.0.0-::ffff:1.2.3.4, and 1.2.3.5-::1 (start above end) nothing. */
    assert_int_equal(check(bl, "1.2.3.4", NULL), 0);
    assert_int_equal(check(bl, "::ffff:1.2.3.4", "ipv6"), 1);
    assert_int_equal(check(bl, "::ffff:0.0.0.0", "ipv6"), 1);
    assert_int_equal(check(bl, "::ffff:1.2.3.5", "ipv6"), 0);
    assert_int_equal(check(bl, "::1", "ipv6"), 0);
    assert_int_equal(check(bl, "::2", "ipv6"), 0);
    nc_blocklist_unref(bl);
}

static void test_blocklist_sa_invalid(void **state)
{
    (void)state;
    nc_sockaddr_t v4 = sa_make("1.2.3.4", NULL, 0, 0);
    nc_sockaddr_t unix_sa;
    memset(&unix_sa, 0, sizeof(unix_sa));
    unix_sa.u.sa.sa_family = AF_UNIX;
    nc_blocklist_t *bl = bl_new();
    assert_int_equal(nc_blocklist_add_address_sa(bl, NULL), -EINVAL);
    assert_int_equal(nc_blocklist_add_address_sa(bl, &unix_sa), -EINVAL);
    assert_int_equal(nc_blocklist_add_address_sa(NULL, &v4), -EINVAL);
    assert_int_equal(nc_blocklist_add_range_sa(bl, &v4, NULL, NULL), -EINVAL);
    assert_int_equal(nc_blocklist_add_range_sa(bl, &unix_sa, &v4, NULL), -EINVAL);
    assert_int_equal(nc_blocklist_add_subnet_sa(bl, NULL, 8, NULL), -EINVAL);
    assert_int_equal(nc_blocklist_add_subnet_sa(bl, &unix_sa, 8, NULL), -EINVAL);
    assert_int_equal(nc_blocklist_check_sa(bl, NULL), -EINVAL);
    assert_int_equal(nc_blocklist_check_sa(bl, &unix_sa), -EINVAL);
    assert_int_equal(nc_blocklist_check_sa(NULL, &v4), -EINVAL);
    assert_int_equal(nc_blocklist_check(NULL, "1.2.3.4", 7, NULL, NULL), -EINVAL);
    assert_int_equal(nc_blocklist_check(bl, NULL, 1, NULL, NULL), -EINVAL);
    assert_int_equal(nc_blocklist_check(bl, NULL, 0, NULL, NULL), 0);
    assert_int_equal(nc_blocklist_add_address_sa(bl, &v4), 0);
    assert_int_equal(nc_blocklist_check_sa(bl, &v4), 1);
    assert_int_equal(nc_blocklist_rule_count(bl), 1);
    nc_blocklist_unref(bl);
}

/* ---- check -------------------------------------------------------------------------- */

static void test_blocklist_check_edges(void **state)
{
    (void)state;
    static const struct {
        const char *address;
        const char *type;
        int hit;
    } cases[] = {
        /* node: the first and last address of each rule and their neighbours. */
        { "9.255.255.255", NULL, 0 },
        { "10.0.0.0", NULL, 1 },
        { "10.255.255.255", NULL, 1 },
        { "11.0.0.0", NULL, 0 },
        { "192.168.0.9", NULL, 0 },
        { "192.168.0.10", NULL, 1 },
        { "192.168.0.20", NULL, 1 },
        { "192.168.0.21", NULL, 0 },
        { "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "ipv6", 0 },
        { "2001:db8::", "ipv6", 1 },
        { "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "ipv6", 1 },
        { "2001:db9::", "ipv6", 0 },
        { "2001:db9::fe", "ipv6", 0 },
        { "2001:db9::ff", "ipv6", 1 },
        { "2001:db9::1:0", "ipv6", 1 },
        { "2001:db9::1:1", "ipv6", 0 },
        { "::ffff:10.1.1.1", "ipv6", 1 },
        { "::10.1.1.1", "ipv6", 0 },
    };
    nc_blocklist_t *bl = bl_new();
    assert_int_equal(add_subnet(bl, "10.0.0.0", 8, NULL, NULL), 0);
    assert_int_equal(add_range(bl, "192.168.0.10", "192.168.0.20", NULL, NULL), 0);
    assert_int_equal(add_subnet(bl, "2001:db8::", 32, "ipv6", NULL), 0);
    assert_int_equal(add_range(bl, "2001:db9::ff", "2001:db9::1:0", "ipv6", NULL), 0);
    /* Once through the scan of unindexed rules, once through the index (over 4 rules). */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
            assert_int_equal(check(bl, cases[i].address, cases[i].type), cases[i].hit);
        }
        for (int i = 0; i < 40; i++) {
            assert_int_equal(add_address(bl, "127.0.0.1", NULL, NULL), 0);
        }
    }
    nc_blocklist_unref(bl);
}

static void test_blocklist_check_input(void **state)
{
    (void)state;
    nc_blocklist_t *bl = bl_new();
    assert_int_equal(add_address(bl, "fe80::1", "ipv6", NULL), 0);
    assert_int_equal(add_address(bl, "1.2.3.4", NULL, NULL), 0);
    /* node: false for a bad family or an address not of the family, never a throw. */
    assert_int_equal(check(bl, "1.2.3.4", "ipv5"), 0);
    assert_int_equal(check(bl, "1.2.3.4", "ipv6"), 0);
    assert_int_equal(check(bl, "::1", NULL), 0);
    assert_int_equal(check(bl, "zzz", NULL), 0);
    assert_int_equal(check(bl, "", NULL), 0);
    /* node: a zone id is read and ignored, the family's case too. */
    assert_int_equal(check(bl, "fe80::1%eth0", "ipv6"), 1);
    assert_int_equal(check(bl, "FE80::1", "IPV6"), 1);
    assert_int_equal(check(bl, "1.2.3.4", "IPv4"), 1);
    /* node: true (it reads a C string); libnetcore's SocketAddress refuses a NUL byte. */
    assert_int_equal(nc_blocklist_check(bl, "1.2.3.4\0junk", 12, NULL, NULL), 0);
    /* The length bounds the text: no NUL needed after it. */
    assert_int_equal(nc_blocklist_check(bl, "1.2.3.45", 7, NULL, NULL), 1);
    nc_blocklist_unref(bl);
}

/* node: each rule alone, against probes of both families (see Node's compare_ipv4_ipv6,
 * in_network_ipv4_ipv6, in_network_ipv6_ipv4). `hits` has one digit per probe. */
static const char *const mapped_probes[] = {
    "1.2.3.4",   "1.2.3.5", "::ffff:1.2.3.4", "::ffff:1.2.3.5",
    "::1.2.3.4", "::1",     "0.0.0.0",        "255.255.255.255",
};

static const struct {
    char kind; /* 'a'ddress, 'r'ange, 's'ubnet */
    const char *fa;
    const char *a;
    const char *fb; /* a range's end's family (SocketAddress values may mix them) */
    const char *b;
    int prefix;
    const char *hits;
} mapped_rules[] = {
    { 'a', "ipv4", "1.2.3.4", NULL, NULL, 0, "10100000" },
    { 'a', "ipv6", "::ffff:1.2.3.4", NULL, NULL, 0, "10100000" },
    { 'r', "ipv4", "1.2.3.0", "ipv4", "1.2.3.4", 0, "10100000" },
    { 'r', "ipv6", "::ffff:1.2.3.0", "ipv6", "::ffff:1.2.3.4", 0, "10100000" },
    { 'r', "ipv6", "::", "ipv6", "ffff::", 0, "00111100" },
    { 'r', "ipv6", "::ffff:1.2.3.0", "ipv6", "1::", 0, "00110000" },
    { 'r', "ipv6", "::1.0.0.0", "ipv6", "::ffff:1.2.3.4", 0, "00101000" },
    { 's', "ipv4", "1.2.3.0", NULL, NULL, 30, "00000000" },
    { 's', "ipv4", "1.2.3.4", NULL, NULL, 32, "10100000" },
    { 's', "ipv4", "0.0.0.0", NULL, NULL, 0, "11110011" },
    { 's', "ipv6", "::ffff:1.2.3.4", NULL, NULL, 128, "10100000" },
    { 's', "ipv6", "::ffff:0:0", NULL, NULL, 96, "11110011" },
    { 's', "ipv6", "::", NULL, NULL, 0, "11111111" },
    { 's', "ipv6", "::", NULL, NULL, 64, "11111111" },
    { 's', "ipv6", "::ffff:1.2.3.4", NULL, NULL, 127, "11110000" },
    { 'r', "ipv4", "1.2.3.4", "ipv6", "::1", 0, "00000000" },
    { 'r', "ipv4", "1.2.3.0", "ipv6", "::ffff:1.2.3.4", 0, "10100000" },
    { 'r', "ipv4", "1.2.3.0", "ipv6", "1::", 0, "00110000" },
    { 'r', "ipv6", "::", "ipv4", "1.2.3.4", 0, "00100000" },
    { 'r', "ipv6", "::ffff:1.2.3.4", "ipv4", "1.2.3.5", 0, "11110000" },
};

static void add_mapped_rule(nc_blocklist_t *bl, size_t i)
{
    nc_sockaddr_t a = sa_make(mapped_rules[i].a, mapped_rules[i].fa, 0, 0);
    if (mapped_rules[i].kind == 'a') {
        assert_int_equal(nc_blocklist_add_address_sa(bl, &a), 0);
    } else if (mapped_rules[i].kind == 's') {
        assert_int_equal(nc_blocklist_add_subnet_sa(bl, &a, mapped_rules[i].prefix, NULL), 0);
    } else {
        nc_sockaddr_t b = sa_make(mapped_rules[i].b, mapped_rules[i].fb, 0, 0);
        assert_int_equal(nc_blocklist_add_range_sa(bl, &a, &b, NULL), 0);
    }
}

static void test_blocklist_check_mapped(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(mapped_rules); i++) {
        nc_blocklist_t *bl = bl_new();
        add_mapped_rule(bl, i);
        /* Also as the only rule in an index: 20 copies are past the scan of new rules. */
        for (int round = 0; round < 2; round++) {
            for (size_t p = 0; p < ARRAY_LEN(mapped_probes); p++) {
                const char *type = strchr(mapped_probes[p], ':') ? "ipv6" : "ipv4";
                int hit = mapped_rules[i].hits[p] - '0';
                if (check(bl, mapped_probes[p], type) != hit) {
                    fail_msg("rule %zu, probe %s: expected %d", i, mapped_probes[p], hit);
                }
            }
            for (int k = 0; k < 20; k++) {
                add_mapped_rule(bl, i);
            }
        }
        nc_blocklist_unref(bl);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocklist_refcount),
        cmocka_unit_test(test_blocklist_rules_doc_example),
        cmocka_unit_test(test_blocklist_rules_text),
        cmocka_unit_test(test_blocklist_rule_buffer),
        cmocka_unit_test(test_blocklist_error_family),
        cmocka_unit_test(test_blocklist_error_address),
        cmocka_unit_test(test_blocklist_error_prefix),
        cmocka_unit_test(test_blocklist_error_range_order),
        cmocka_unit_test(test_blocklist_error_range_order_sa),
        cmocka_unit_test(test_blocklist_sa_invalid),
        cmocka_unit_test(test_blocklist_check_edges),
        cmocka_unit_test(test_blocklist_check_input),
        cmocka_unit_test(test_blocklist_check_mapped),
    };
    return cmocka_run_group_tests_name("blocklist", tests, NULL, NULL);
}
