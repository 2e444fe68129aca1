/* test_blocklist_index.c: the BlockList index against a plain scan of the rules written
 * from Node's own src/node_sockaddr.cc (SocketAddress::is_match, compare, is_in_network),
 * on random rule sets of every size, the text reader against the SocketAddress
 * constructor, and a million rules. */
#include "test_blocklist_util.h"

#include <valgrind/valgrind.h>

/* ---- the index against Node's scan -------------------------------------------------- */

/* Node's rule list and SocketAddress comparisons, written after src/node_sockaddr.cc on
 * raw bytes, without libnetcore's keys or spans. Node 20 orders IPv4 addresses as
 * numbers (checked: addRange('1.0.0.0', '1.0.0.255') does not block 1.1.0.0). */
enum { REF_ADDRESS, REF_RANGE, REF_SUBNET };
#define NOT_COMPARABLE (-2)

struct ref_rule {
    int kind;
    nc_sockaddr_t a;
    nc_sockaddr_t b;
    int prefix;
};

static const uint8_t mapped_mask[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static bool is_v6(const nc_sockaddr_t *s)
{
    return s->u.sa.sa_family == AF_INET6;
}

static const uint8_t *bytes(const nc_sockaddr_t *s)
{
    return is_v6(s) ? s->u.in6.sin6_addr.s6_addr : (const uint8_t *)&s->u.in4.sin_addr;
}

static int sign(int r)
{
    return (r > 0) - (r < 0);
}

/* compare_ipv4_ipv6() */
static int ref_compare46(const nc_sockaddr_t *v4, const nc_sockaddr_t *v6)
{
    if (memcmp(bytes(v6), mapped_mask, 12) != 0) {
        return NOT_COMPARABLE;
    }
    return sign(memcmp(bytes(v4), bytes(v6) + 12, 4));
}

/* SocketAddress::compare(one, two) */
static int ref_compare(const nc_sockaddr_t *one, const nc_sockaddr_t *two)
{
    if (is_v6(one) == is_v6(two)) {
        return sign(memcmp(bytes(one), bytes(two), is_v6(one) ? 16 : 4));
    }
    if (!is_v6(one)) {
        return ref_compare46(one, two);
    }
    int c = ref_compare46(two, one);
    return c == NOT_COMPARABLE ? c : -c;
}

/* SocketAddress::is_match() */
static bool ref_is_match(const nc_sockaddr_t *x, const nc_sockaddr_t *y)
{
    if (is_v6(x) == is_v6(y)) {
        return memcmp(bytes(x), bytes(y), is_v6(x) ? 16 : 4) == 0;
    }
    const nc_sockaddr_t *v4 = is_v6(x) ? y : x;
    const nc_sockaddr_t *v6 = is_v6(x) ? x : y;
    return memcmp(bytes(v6), mapped_mask, 12) == 0 && memcmp(bytes(v6) + 12, bytes(v4), 4) == 0;
}

/* in_network_ipv6() and in_network_ipv4_ipv6(), the latter on ::ffff:ip */
static bool ref_in_network6(const uint8_t ip[16], const uint8_t net[16], int prefix)
{
    if (prefix == 128) {
        return memcmp(ip, net, 16) == 0;
    }
    int len = prefix / 8;
    uint8_t mask = (uint8_t)(0xff00 >> (prefix % 8));
    return memcmp(ip, net, (size_t)len) == 0 && (ip[len] & mask) == (net[len] & mask);
}

/* SocketAddress::is_in_network(ip, net, prefix) */
static bool ref_in_network(const nc_sockaddr_t *ip, const nc_sockaddr_t *net, int prefix)
{
    if (is_v6(net)) {
        uint8_t b[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        memcpy(b + (is_v6(ip) ? 0 : 12), bytes(ip), is_v6(ip) ? 16 : 4);
        return ref_in_network6(b, bytes(net), prefix);
    }
    uint32_t m = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
    if (is_v6(ip)) { /* in_network_ipv6_ipv4() */
        if (memcmp(bytes(ip), mapped_mask, 12) != 0) {
            return false;
        }
        uint32_t a;
        memcpy(&a, bytes(ip) + 12, 4);
        return (ntohl(a) & m) == (ntohl(net->u.in4.sin_addr.s_addr) & m);
    }
    return (ntohl(ip->u.in4.sin_addr.s_addr) & m) == (ntohl(net->u.in4.sin_addr.s_addr) & m);
}

/* SocketAddressBlockList::Apply(): any rule, address >= start && address <= end for a
 * range (operator>= and <= are false for NOT_COMPARABLE). */
static int ref_check(const struct ref_rule *rules, size_t n, const nc_sockaddr_t *probe)
{
    for (size_t i = n; i-- > 0;) {
        const struct ref_rule *r = &rules[i];
        bool hit;
        if (r->kind == REF_ADDRESS) {
            hit = ref_is_match(&r->a, probe);
        } else if (r->kind == REF_SUBNET) {
            hit = ref_in_network(probe, &r->a, r->prefix);
        } else {
            int lo = ref_compare(probe, &r->a);
            int hi = ref_compare(probe, &r->b);
            hit = (lo == 0 || lo == 1) && (hi == 0 || hi == -1);
        }
        if (hit) {
            return 1;
        }
    }
    return 0;
}

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool spread; /* large sets: addresses over 2^20 values, not around a few spots */

static uint32_t rand_u32(void)
{
    static const uint32_t spots[] = { 0, 0xffffffffu, 0x01020304u, 0x0a000000u, 0x7fffffffu };
    uint64_t r = rng();
    if (spread) {
        return 0x0a000000u + (uint32_t)(r >> 40) % (1u << 20);
    }
    if (r % 4 == 0) {
        return (uint32_t)(r >> 32);
    }
    uint32_t base = spots[(r >> 8) % ARRAY_LEN(spots)];
    return base + (uint32_t)((r >> 16) % 9) - 4u + (r % 3 == 0 ? (uint32_t)(r >> 40) & 0xff00 : 0);
}

static nc_sockaddr_t rand_addr(bool v6)
{
    if (!v6) {
        return sa_v4(rand_u32());
    }
    uint64_t r = rng();
    uint64_t low = rand_u32();
    switch (r % 6) {
    case 0:
    case 1:
        return sa_v6(0, 0xffff00000000ULL | low); /* mapped */
    case 2:
        return sa_v6(0, low); /* IPv4-compatible, and :: itself */
    case 3:                   /* around the mapped block's ends */
        return sa_v6(0,
                     ((r >> 8) % 2 ? 0x1000000000000ULL : 0xffff00000000ULL) + (r >> 16) % 7 - 3);
    case 4:
        return sa_v6(0x20010db800000000ULL, (r >> 8) & (spread ? 0xfffff : 0xffff));
    default:
        return sa_v6(rng(), rng());
    }
}

/* Per mille of subnets with any prefix and ranges to any address, which cover much. */
static uint64_t broad_per_mille;
static size_t probe_hits;

static nc_sockaddr_t sa_plus(const nc_sockaddr_t *sa, uint32_t d)
{
    if (!is_v6(sa)) {
        return sa_v4(ntohl(sa->u.in4.sin_addr.s_addr) + d);
    }
    nc_sockaddr_t r = *sa;
    uint8_t *b = r.u.in6.sin6_addr.s6_addr;
    for (int i = 15; i >= 8 && d > 0; i--) {
        d += b[i];
        b[i] = (uint8_t)d;
        d >>= 8;
    }
    return r;
}

/* Adds one random rule, through the text or the SocketAddress calls, and to the reference
 * when libnetcore takes it; a range libnetcore refuses must be one Node refuses. */
static void add_random_rule(nc_blocklist_t *bl, struct ref_rule *rules, size_t *n)
{
    char a[NC_ADDRSTRLEN];
    char b[NC_ADDRSTRLEN];
    uint64_t r = rng();
    bool v6 = r % 2;
    bool text = (r >> 1) % 2;
    const char *type = v6 ? "ipv6" : "ipv4";
    struct ref_rule rule = { .kind = (int)((r >> 2) % 3), .a = rand_addr(v6) };
    int ret;
    sa_text(&rule.a, a);
    if (rule.kind == REF_ADDRESS) {
        ret = text ? add_address(bl, a, type, NULL) : nc_blocklist_add_address_sa(bl, &rule.a);
    } else if (rule.kind == REF_SUBNET) {
        int max = v6 ? 128 : 32;
        rule.prefix = rng() % 1000 < broad_per_mille ? (int)((r >> 16) % (unsigned)(max + 1))
                                                     : max - (int)((r >> 16) % (spread ? 9 : 17));
        ret = text ? add_subnet(bl, a, rule.prefix, type, NULL)
                   : nc_blocklist_add_subnet_sa(bl, &rule.a, rule.prefix, NULL);
    } else {
        /* Text ranges share the family; SocketAddress ones may mix them, as in Node. */
        if (rng() % 1000 < broad_per_mille) {
            rule.b = rand_addr(text ? v6 : (r >> 8) % 2);
        } else {
            rule.b = sa_plus(&rule.a, (uint32_t)(r >> 32) % 300);
        }
        sa_text(&rule.b, b);
        ret = text ? add_range(bl, a, b, type, NULL)
                   : nc_blocklist_add_range_sa(bl, &rule.a, &rule.b, NULL);
        if (ref_compare(&rule.a, &rule.b) == 1) {
            assert_int_equal(ret, NC_ERR_INVALID_ARG_VALUE);
            return;
        }
    }
    assert_int_equal(ret, 0);
    rules[(*n)++] = rule;
}

static void check_random_probe(nc_blocklist_t *bl, const struct ref_rule *rules, size_t n)
{
    char text[NC_ADDRSTRLEN];
    bool v6 = rng() % 2;
    nc_sockaddr_t probe = rand_addr(v6);
    int expect = ref_check(rules, n, &probe);
    sa_text(&probe, text);
    int by_text = check(bl, text, v6 ? "ipv6" : NULL);
    int by_sa = nc_blocklist_check_sa(bl, &probe);
    probe_hits += (size_t)expect;
    if (by_text != expect || by_sa != expect) {
        fail_msg("probe %s with %zu rules: node %d, check %d, check_sa %d", text, n, expect,
                 by_text, by_sa);
    }
}

/* nrules random rules, then nprobes probes; with `between` > 0, that many probes after
 * each add too, which exercises the scan of new rules and every kind of rebuild. */
static void run_random(uint64_t seed, size_t nrules, size_t nprobes, size_t between, int broad)
{
    struct ref_rule *rules = calloc(nrules + 1, sizeof(*rules));
    size_t n = 0;
    nc_blocklist_t *bl = bl_new();
    assert_non_null(rules);
    rng_state = seed;
    broad_per_mille = (uint64_t)broad;
    spread = nrules > 1000;
    probe_hits = 0;
    for (size_t i = 0; i < nrules; i++) {
        add_random_rule(bl, rules, &n);
        for (size_t k = 0; k < between; k++) {
            check_random_probe(bl, rules, n);
        }
    }
    for (size_t k = 0; k < nprobes; k++) {
        check_random_probe(bl, rules, n);
    }
    assert_int_equal(nc_blocklist_rule_count(bl), n);
    nc_blocklist_unref(bl);
    free(rules);
}

static void test_blocklist_random_small(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        run_random(seed * 0x9e3779b97f4a7c15ULL, 1 + seed % 40, 200, 0, 200);
    }
}

static void test_blocklist_random_large(void **state)
{
    (void)state;
    /* Both answers must be common (10% to 90%) for the comparison to mean something. */
    run_random(0x5eed, 4000, 20000, 0, 1);
    print_message("4000 rules: %zu of 20000 probes blocked\n", probe_hits);
    assert_in_range(probe_hits, 2000, 18000);
    run_random(0xfeed, 20000, 5000, 0, 0);
    print_message("20000 rules: %zu of 5000 probes blocked\n", probe_hits);
    assert_in_range(probe_hits, 500, 4500);
}

static void test_blocklist_random_interleaved(void **state)
{
    (void)state;
    run_random(0xadd, 3000, 1000, 2, 2);
    print_message("3000 rules, interleaved: %zu of 7000 probes blocked\n", probe_hits);
    assert_in_range(probe_hits, 700, 6300);
}

/* ---- text --------------------------------------------------------------------------- */

/* check() reads text its own way (fast, no SocketAddress): it must take exactly what the
 * SocketAddress constructor takes, as the same address. Random bytes from an alphabet
 * that makes near-misses likely, and one- or two-byte mutations of good literals. */
static size_t fuzz_text(char *s, const char *const *good, size_t ngood)
{
    static const char alphabet[] = "0123456789abcdefABCDEF::..%x \n";
    uint64_t r = rng();
    size_t len;
    if (r % 3 == 0) {
        len = (r >> 8) % 46;
        for (size_t i = 0; i < len; i++) {
            s[i] = alphabet[rng() % sizeof(alphabet)]; /* the last one is NUL */
        }
        return len;
    }
    const char *g = good[(r >> 8) % ngood];
    len = strlen(g);
    memcpy(s, g, len);
    for (uint64_t k = (r >> 16) % 3; k > 0; k--) {
        uint64_t m = rng();
        size_t at = len > 0 ? (size_t)(m >> 8) % len : 0;
        char c = alphabet[(m >> 32) % sizeof(alphabet)];
        if (m % 3 == 0 && len > 0) {
            memmove(s + at, s + at + 1, len - at - 1); /* delete */
            len--;
        } else if (m % 3 == 1 && len < 60) {
            memmove(s + at + 1, s + at, len - at); /* insert */
            s[at] = c;
            len++;
        } else if (len > 0) {
            s[at] = c;
        }
    }
    return len;
}

static void test_blocklist_text_parse(void **state)
{
    (void)state;
    static const char *const good[] = {
        "1.2.3.4",
        "0.0.0.0",
        "255.255.255.255",
        "10.0.0.1",
        "::",
        "::1",
        "::ffff:1.2.3.4",
        "::1.2.3.4",
        "fe80::1",
        "2001:db8::8:1",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:1.2.3.4",
        "a::b:c:d",
        "ABCD:EF::1",
        "fe80::1%eth0",
        "::ffff:0:0",
        "1::",
        "1:2:3:4:5:6:7::",
        "::2:3:4:5:6:7:8",
        "0000:0000::0001",
    };
    static const char *const types[] = { "ipv4", "ipv6", NULL, "IPv6", "IPV4", "ipv5" };
    char s[64];
    nc_blocklist_t *all = bl_new();
    nc_blocklist_t *some = bl_new();
    assert_int_equal(add_subnet(all, "0.0.0.0", 0, NULL, NULL), 0);
    assert_int_equal(add_subnet(all, "::", 0, "ipv6", NULL), 0);
    rng_state = 0x7e57;
    for (int i = 0; i < 3000; i++) {
        nc_sockaddr_t a = rand_addr(rng() % 2);
        assert_int_equal(nc_blocklist_add_address_sa(some, &a), 0);
    }
    for (size_t i = 0; i < ARRAY_LEN(good); i++) {
        assert_int_equal(nc_blocklist_add_address(some, good[i], strlen(good[i]),
                                                  strchr(good[i], ':') ? "ipv6" : NULL, NULL),
                         0);
    }
    for (int i = 0; i < 100000; i++) {
        size_t len = fuzz_text(s, good, ARRAY_LEN(good));
        const char *type = types[rng() % ARRAY_LEN(types)];
        nc_sockaddr_t sa;
        nc_socketaddress_options_t o = { .address = s, .address_len = len, .family = type };
        bool valid = nc_socketaddress_init(&o, &sa, NULL) == 0;
        int hit_all = nc_blocklist_check(all, s, len, type, NULL);
        int hit_some = nc_blocklist_check(some, s, len, type, NULL);
        if (hit_all != valid || hit_some != (valid ? nc_blocklist_check_sa(some, &sa) : 0)) {
            fail_msg("'%.*s' (%s): SocketAddress %s it, check says %d/%d", (int)len, s,
                     type ? type : "NULL", valid ? "takes" : "refuses", hit_all, hit_some);
        }
    }
    nc_blocklist_unref(all);
    nc_blocklist_unref(some);
}

/* ---- a million rules ---------------------------------------------------------------- */

/* Rule i owns the block of 8 addresses at 16.0.0.0 + 8i (IPv4) or 2001:db8::8i (IPv6):
 * by i % 4 an address (+1), a range (+2..+4), a /30 (+0..+3) or an IPv6 /126 (+0..+3),
 * so that the right answer for any probe is known without a scan. */
#define MILLION 1000000u
#define V4_BASE 0x10000000u

/* A million rules, or a tenth of them under valgrind, where a million take minutes and
 * the point is the memory checks, not the scale (a multiple of 4: the last rule is IPv6). */
static uint32_t nrules = MILLION;

static int million_expect(bool v6_block, uint32_t x)
{
    uint32_t i = x / 8;
    uint32_t off = x % 8;
    if (i >= nrules) {
        return 0;
    }
    switch (i % 4) {
    case 0:
        return !v6_block && off == 1;
    case 1:
        return !v6_block && off >= 2 && off <= 4;
    case 2:
        return !v6_block && off <= 3;
    default:
        return v6_block && off <= 3;
    }
}

static void million_add(nc_blocklist_t *bl, uint32_t i)
{
    char a[NC_ADDRSTRLEN];
    char b[NC_ADDRSTRLEN];
    nc_sockaddr_t lo = sa_v4(V4_BASE + 8 * i + (i % 4 == 1 ? 2 : i % 4 == 0));
    nc_sockaddr_t hi = sa_v4(V4_BASE + 8 * i + 4);
    nc_sockaddr_t net6 = sa_v6(0x20010db800000000ULL, 8 * (uint64_t)i);
    bool text = i % 8 < 2; /* a quarter through the text calls */
    sa_text(&lo, a);
    sa_text(&hi, b);
    int r;
    switch (i % 4) {
    case 0:
        r = text ? add_address(bl, a, NULL, NULL) : nc_blocklist_add_address_sa(bl, &lo);
        break;
    case 1:
        r = text ? add_range(bl, a, b, NULL, NULL) : nc_blocklist_add_range_sa(bl, &lo, &hi, NULL);
        break;
    case 2:
        r = text ? add_subnet(bl, a, 30, NULL, NULL)
                 : nc_blocklist_add_subnet_sa(bl, &lo, 30, NULL);
        break;
    default:
        r = nc_blocklist_add_subnet_sa(bl, &net6, 126, NULL);
        break;
    }
    assert_int_equal(r, 0);
}

static void million_probe(nc_blocklist_t *bl, uint32_t x)
{
    nc_sockaddr_t v4 = sa_v4(V4_BASE + x);
    nc_sockaddr_t mapped = sa_v6(0, 0xffff00000000ULL | (V4_BASE + x));
    nc_sockaddr_t v6 = sa_v6(0x20010db800000000ULL, x);
    char text[NC_ADDRSTRLEN];
    sa_text(&v4, text);
    assert_int_equal(check(bl, text, NULL), million_expect(false, x));
    assert_int_equal(nc_blocklist_check_sa(bl, &v4), million_expect(false, x));
    assert_int_equal(nc_blocklist_check_sa(bl, &mapped), million_expect(false, x));
    assert_int_equal(nc_blocklist_check_sa(bl, &v6), million_expect(true, x));
}

static void test_blocklist_million(void **state)
{
    (void)state;
    char buf[NC_BLOCKLIST_RULE_MAX];
    nc_blocklist_t *bl = bl_new();
    for (uint32_t i = 0; i < nrules; i++) {
        million_add(bl, i);
    }
    assert_int_equal(nc_blocklist_rule_count(bl), nrules);
    /* Both ends of the rule space, then every address of every 997th block. */
    for (uint32_t x = 0; x < 64; x++) {
        million_probe(bl, x);
        million_probe(bl, 8 * nrules - 32 + x);
    }
    nc_sockaddr_t below = sa_v4(V4_BASE - 1);
    assert_int_equal(nc_blocklist_check_sa(bl, &below), 0);
    for (uint32_t i = 0; i < nrules; i += 997) {
        for (uint32_t off = 0; off < 8; off++) {
            million_probe(bl, 8 * i + off);
        }
    }
    /* Newest first: the last rule added (an IPv6 /126), then rule 0. */
    char last[NC_ADDRSTRLEN], want[NC_ADDRSTRLEN + 32];
    nc_sockaddr_t last_net = sa_v6(0x20010db800000000ULL, 8 * (uint64_t)(nrules - 1));
    sa_text(&last_net, last);
    snprintf(want, sizeof(want), "Subnet: IPv6 %s/126", last);
    if (nrules == MILLION) {
        assert_string_equal(want, "Subnet: IPv6 2001:db8::7a:11f8/126");
    }
    assert_int_equal(nc_blocklist_rule(bl, 0, buf, sizeof(buf)), (int)strlen(want));
    assert_string_equal(buf, want);
    assert_int_equal(nc_blocklist_rule(bl, nrules - 1, buf, sizeof(buf)),
                     (int)strlen("Address: IPv4 16.0.0.1"));
    assert_string_equal(buf, "Address: IPv4 16.0.0.1");
    nc_blocklist_unref(bl);
}

int main(void)
{
    if (RUNNING_ON_VALGRIND) {
        nrules = MILLION / 10;
        print_message("under valgrind: %u rules instead of a million\n", nrules);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocklist_random_small),
        cmocka_unit_test(test_blocklist_random_large),
        cmocka_unit_test(test_blocklist_random_interleaved),
        cmocka_unit_test(test_blocklist_text_parse),
        cmocka_unit_test(test_blocklist_million),
    };
    return cmocka_run_group_tests_name("blocklist_index", tests, NULL, NULL);
}
