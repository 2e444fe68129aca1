/* blocklist.c: net.BlockList. The rules are kept in insertion order for blockList.rules;
 * check() answers from an index per probe family (ipindex.c), rebuilt lazily, so that a
 * check does not grow with the number of rules as Node's scan of every rule does. */
#include "internal.h"
#include "ipindex.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <uv.h>

enum { RULE_ADDRESS, RULE_RANGE, RULE_SUBNET };

struct rule {
    nc__key_t a; /* the address, the range's start or the subnet's network */
    nc__key_t b; /* the range's end */
    uint8_t kind;
    bool a_v6; /* families as given: Node prints them and compares by them */
    bool b_v6;
    uint8_t prefix;
};

struct nc_blocklist_s {
    size_t refs;
    struct rule *rules; /* oldest first; rules() reads it backwards, as Node lists */
    size_t nrules;
    size_t cap;
    size_t nindexed;     /* rules[0, nindexed) are in the index; later ones are scanned */
    nc__ipindex_t ix[2]; /* [0]: what IPv4 probes hit (as mapped keys), [1]: IPv6 probes */
};

/* An IPv4 address a has the key of its mapped twin ::ffff:a. Node compares an IPv4 address
 * with an IPv6 one only when that one is mapped, and then exactly as these keys compare:
 * that is what lets every rule become one span per probe family (rule_hits). */
#define MAPPED_PREFIX 0xffff00000000ULL

static int invalid(nc_error_t *err);
static nc__key_t key_v4(uint32_t a);
static uint64_t load_be64(const uint8_t *b);
static nc__key_t key_bytes(const uint8_t b[16]);
static bool key_mapped(nc__key_t k);
static int key_of_sa(const nc_sockaddr_t *sa, nc__key_t *ret, bool *ret_v6);
static void key_text(nc__key_t k, bool v6, char *buf);
static void rule_span(const struct rule *r, nc__key_t *lo, nc__key_t *hi);
static void clamp_mapped(nc__key_t *lo, nc__key_t *hi);
static bool rule_hits(const struct rule *r, bool v6, nc__span_t *ret);
static void index_build(nc_blocklist_t *bl);
static void index_refresh(nc_blocklist_t *bl);
static int probe(nc_blocklist_t *bl, bool v6, nc__key_t key);
static void js_integer_text(int64_t v, char *buf, size_t size);
static int prefix_error(nc_error_t *err, int64_t prefix, int max);
static int order_error(nc_error_t *err, const nc_sockaddr_t *start, nc__key_t key, bool v6);
static int rule_push(nc_blocklist_t *bl, const struct rule *r, nc_error_t *err);
static int sa_from_text(const char *s,
                        size_t len,
                        const char *type,
                        nc_sockaddr_t *ret,
                        nc_error_t *err);
static int add_address(nc_blocklist_t *bl, const nc_sockaddr_t *address, nc_error_t *err);
static int add_range(nc_blocklist_t *bl,
                     const nc_sockaddr_t *start,
                     const nc_sockaddr_t *end,
                     nc_error_t *err);
static int add_subnet(nc_blocklist_t *bl,
                      const nc_sockaddr_t *net,
                      int64_t prefix,
                      nc_error_t *err);
static bool parse_fast(const char *s, size_t len, int af, nc__key_t *ret);
static int probe_family(const char *type);
static int rule_text(const struct rule *r, char *buf, size_t size);

/* ---- keys --------------------------------------------------------------------------- */

static int invalid(nc_error_t *err)
{
    return nc__error(err, -EINVAL, "%s", nc_strerror(-EINVAL));
}

static nc__key_t key_v4(uint32_t a)
{
    return (nc__key_t){ .hi = 0, .lo = MAPPED_PREFIX | a };
}

/* Written out so that compilers see a byte-swapped load: this is on check_sa's path. */
static uint64_t load_be64(const uint8_t *b)
{
    return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 | (uint64_t)b[2] << 40 |
           (uint64_t)b[3] << 32 | (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
           (uint64_t)b[6] << 8 | b[7];
}

static nc__key_t key_bytes(const uint8_t b[16])
{
    return (nc__key_t){ .hi = load_be64(b), .lo = load_be64(b + 8) };
}

static bool key_mapped(nc__key_t k)
{
    return k.hi == 0 && (k.lo >> 32) == 0xffff;
}

static int key_of_sa(const nc_sockaddr_t *sa, nc__key_t *ret, bool *ret_v6)
{
    if (sa->u.sa.sa_family == AF_INET) {
        *ret = key_v4(ntohl(sa->u.in4.sin_addr.s_addr));
        *ret_v6 = false;
        return 0;
    }
    if (sa->u.sa.sa_family == AF_INET6) {
        *ret = key_bytes(sa->u.in6.sin6_addr.s6_addr);
        *ret_v6 = true;
        return 0;
    }
    return -EINVAL;
}

/* Node prints rule addresses with uv_inet_ntop (SocketAddress::address()): no zone id,
 * mapped addresses as ::ffff:1.2.3.4, hex in lower case without leading zeros. */
static void key_text(nc__key_t k, bool v6, char *buf)
{
    uint8_t b[16];
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(k.hi >> (56 - 8 * i));
        b[i + 8] = (uint8_t)(k.lo >> (56 - 8 * i));
    }
    if (uv_inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? b : b + 12, buf, INET6_ADDRSTRLEN) != 0) {
        buf[0] = '\0';
    }
}

/* ---- what a rule blocks ------------------------------------------------------------- */

/* The rule as one interval of keys, before Node's cross-family rules are applied. */
static void rule_span(const struct rule *r, nc__key_t *lo, nc__key_t *hi)
{
    *lo = r->a;
    *hi = r->kind == RULE_RANGE ? r->b : r->a;
    if (r->kind != RULE_SUBNET) {
        return;
    }
    /* An IPv4 /p is the mapped /(96 + p): Node masks the low 32 bits of a mapped probe. */
    unsigned host = 128u - (r->a_v6 ? r->prefix : 96u + r->prefix);
    uint64_t mask_hi = 0;
    uint64_t mask_lo = host >= 64 ? UINT64_MAX : (UINT64_C(1) << host) - 1;
    if (host > 64) {
        mask_hi = host == 128 ? UINT64_MAX : UINT64_MAX >> (128 - host);
    }
    *lo = (nc__key_t){ .hi = r->a.hi & ~mask_hi, .lo = r->a.lo & ~mask_lo };
    *hi = (nc__key_t){ .hi = r->a.hi | mask_hi, .lo = r->a.lo | mask_lo };
}

static void clamp_mapped(nc__key_t *lo, nc__key_t *hi)
{
    nc__key_t first = key_v4(0);
    nc__key_t last = key_v4(UINT32_MAX);
    if (nc__key_le(*lo, first)) {
        *lo = first;
    }
    if (nc__key_le(last, *hi)) {
        *hi = last;
    }
}

/* What the rule blocks of probes of one family, as one span (false: none). Addresses and
 * subnets match by bytes, an IPv4 one only its mapped twin, so an IPv4 probe sees the
 * mapped part of them. A range compares the probe with each bound, and Node compares an
 * IPv4 address with an IPv6 one only when that one is mapped (compare_ipv4_ipv6 returns
 * NOT_COMPARABLE, for which >= and <= are false): an IPv6 probe hits a range with an IPv4
 * bound only when mapped, and no IPv4 probe hits a range with an unmapped IPv6 bound. */
static bool rule_hits(const struct rule *r, bool v6, nc__span_t *ret)
{
    bool range = r->kind == RULE_RANGE;
    if (!v6 && range && ((r->a_v6 && !key_mapped(r->a)) || (r->b_v6 && !key_mapped(r->b)))) {
        return false;
    }
    nc__key_t lo;
    nc__key_t hi;
    rule_span(r, &lo, &hi);
    if (!v6 || (range && (!r->a_v6 || !r->b_v6))) {
        clamp_mapped(&lo, &hi);
    }
    if (!nc__key_le(lo, hi)) {
        return false;
    }
    ret->lo = lo;
    ret->hi = hi;
    return true;
}

/* Folds the rules added since the last build into both indexes. On ENOMEM an index stays
 * as it was and checks keep scanning the newer rules: slower, never wrong (merging the
 * same rules twice, should one index have taken them, changes nothing). */
static void index_build(nc_blocklist_t *bl)
{
    size_t pending = bl->nrules - bl->nindexed;
    nc__span_t *add = malloc(pending * sizeof(*add));
    int r = add == NULL ? -ENOMEM : 0;
    for (int f = 0; f < 2 && r == 0; f++) {
        size_t n = 0;
        for (size_t i = bl->nindexed; i < bl->nrules; i++) {
            n += rule_hits(&bl->rules[i], f == 1, &add[n]);
        }
        nc__ipindex_sort(add, n);
        r = nc__ipindex_merge(&bl->ix[f], add, n);
    }
    if (r == 0) {
        bl->nindexed = bl->nrules;
    }
    free(add);
}

/* Rebuilding after every add would make add-check-add-check sequences quadratic, so up
 * to sqrt(indexed) newer rules are scanned one by one instead: a check then costs
 * O(sqrt n) at worst, and a rebuild (O(n)) is paid once per sqrt(n) adds. */
static void index_refresh(nc_blocklist_t *bl)
{
    size_t pending = bl->nrules - bl->nindexed;
    if (pending > 0 && (pending >= UINT32_MAX || pending * pending > bl->nindexed)) {
        index_build(bl);
    }
}

static int probe(nc_blocklist_t *bl, bool v6, nc__key_t key)
{
    index_refresh(bl);
    if (nc__ipindex_find(&bl->ix[v6], key)) {
        return 1;
    }
    for (size_t i = bl->nindexed; i < bl->nrules; i++) {
        nc__span_t s;
        if (rule_hits(&bl->rules[i], v6, &s) && nc__key_le(s.lo, key) && nc__key_le(key, s.hi)) {
            return 1;
        }
    }
    return 0;
}

/* ---- errors ------------------------------------------------------------------------- */

/* String(n) in JavaScript for an integer n converted to a Number, with Node's
 * addNumericalSeparator ("4_294_967_297") above 2**32, as ERR_OUT_OF_RANGE prints it. */
static void js_integer_text(int64_t v, char *buf, size_t size)
{
    char text[40] = "";
    if (v >= -(INT64_C(1) << 53) && v <= INT64_C(1) << 53) {
        snprintf(text, sizeof(text), "%" PRId64, v);
    } else {
        /* Beyond 2**53 the Number is rounded: JS prints the shortest digits that read back
         * as the same double, then zeros up to the units. */
        double d = (double)v;
        char e[40];
        for (int p = 1; p <= 17; p++) {
            snprintf(e, sizeof(e), "%.*e", p - 1, d);
            if (strtod(e, NULL) == d) {
                break;
            }
        }
        char *exp = strchr(e, 'e');
        long zeros = strtol(exp + 1, NULL, 10) + 1;
        size_t o = 0;
        for (const char *c = e; c < exp; c++) {
            if (*c != '.') {
                text[o++] = *c;
                zeros -= *c != '-';
            }
        }
        while (zeros-- > 0 && o + 1 < sizeof(text)) {
            text[o++] = '0';
        }
        text[o] = '\0';
    }
    bool big = v > (INT64_C(1) << 32) || v < -(INT64_C(1) << 32);
    size_t len = strlen(text);
    size_t start = text[0] == '-' ? 1 : 0;
    size_t o = 0;
    for (size_t i = 0; i < len && o + 2 < size; i++) {
        if (big && i > start && (len - i) % 3 == 0) {
            buf[o++] = '_';
        }
        buf[o++] = text[i];
    }
    buf[o] = '\0';
}

static int prefix_error(nc_error_t *err, int64_t prefix, int max)
{
    char shown[48];
    js_integer_text(prefix, shown, sizeof(shown));
    return nc__error(err, NC_ERR_OUT_OF_RANGE,
                     "The value of \"prefix\" is out of range. It must be >= 0 && <= %d. "
                     "Received %s",
                     max, shown);
}

/* Node: ERR_INVALID_ARG_VALUE('start', start, 'must come before end'), which inspects the
 * SocketAddress; util.inspect breaks it over lines once its fields pass 80 columns, which
 * for these four fields is when address, port and flowlabel exceed 19 characters. */
static int order_error(nc_error_t *err, const nc_sockaddr_t *start, nc__key_t key, bool v6)
{
    char text[INET6_ADDRSTRLEN];
    char port[16];
    char flowlabel[16];
    key_text(key, v6, text);
    snprintf(port, sizeof(port), "%d", nc_socketaddress_port(start));
    snprintf(flowlabel, sizeof(flowlabel), "%" PRIu32, nc_socketaddress_flowlabel(start));
    bool wrap = strlen(text) + strlen(port) + strlen(flowlabel) > 19;
    const char *sep = wrap ? ",\n  " : ", ";
    return nc__error(err, NC_ERR_INVALID_ARG_VALUE,
                     "The argument 'start' must come before end. Received SocketAddress {%s"
                     "address: '%s'%sport: %s%sfamily: '%s'%sflowlabel: %s%s}",
                     wrap ? "\n  " : " ", text, sep, port, sep, v6 ? "ipv6" : "ipv4", sep,
                     flowlabel, wrap ? "\n" : " ");
}

/* ---- the object --------------------------------------------------------------------- */

int nc_blocklist_new(nc_blocklist_t **ret)
{
    if (ret == NULL) {
        return -EINVAL;
    }
    nc_blocklist_t *bl = calloc(1, sizeof(*bl));
    if (bl == NULL) {
        return -ENOMEM;
    }
    bl->refs = 1;
    *ret = bl;
    return 0;
}

nc_blocklist_t *nc_blocklist_ref(nc_blocklist_t *bl)
{
    if (bl != NULL) {
        bl->refs++;
    }
    return bl;
}

nc_blocklist_t *nc_blocklist_unref(nc_blocklist_t *bl)
{
    if (bl == NULL || --bl->refs > 0) {
        return NULL;
    }
    nc__ipindex_clear(&bl->ix[0]);
    nc__ipindex_clear(&bl->ix[1]);
    free(bl->rules);
    free(bl);
    return NULL;
}

static int rule_push(nc_blocklist_t *bl, const struct rule *r, nc_error_t *err)
{
    if (bl->nrules == bl->cap) {
        size_t cap = bl->cap == 0 ? 16 : bl->cap * 2;
        struct rule *rules =
            cap > SIZE_MAX / sizeof(*rules) ? NULL : realloc(bl->rules, cap * sizeof(*rules));
        if (rules == NULL) {
            return nc__error(err, -ENOMEM, "%s", nc_strerror(-ENOMEM));
        }
        bl->rules = rules;
        bl->cap = cap;
    }
    bl->rules[bl->nrules++] = *r;
    return 0;
}

/* Node builds `new SocketAddress({ address, family })` from text arguments, so the
 * family's and the address's errors are the SocketAddress constructor's. */
static int sa_from_text(const char *s,
                        size_t len,
                        const char *type,
                        nc_sockaddr_t *ret,
                        nc_error_t *err)
{
    nc_socketaddress_options_t opts = {
        .address = s != NULL ? s : "", /* NULL would mean the family's default address */
        .address_len = len,
        .family = type,
    };
    return nc_socketaddress_init(&opts, ret, err);
}

static int add_address(nc_blocklist_t *bl, const nc_sockaddr_t *address, nc_error_t *err)
{
    struct rule r = { .kind = RULE_ADDRESS };
    if (bl == NULL || address == NULL || key_of_sa(address, &r.a, &r.a_v6) < 0) {
        return invalid(err);
    }
    return rule_push(bl, &r, err);
}

static int add_range(nc_blocklist_t *bl,
                     const nc_sockaddr_t *start,
                     const nc_sockaddr_t *end,
                     nc_error_t *err)
{
    struct rule r = { .kind = RULE_RANGE };
    if (bl == NULL || start == NULL || end == NULL || key_of_sa(start, &r.a, &r.a_v6) < 0 ||
        key_of_sa(end, &r.b, &r.b_v6) < 0) {
        return invalid(err);
    }
    /* Node refuses start > end only when the two compare: across families, only when the
     * IPv6 one is mapped. Others are kept and block what Node's compare lets them. */
    bool comparable = r.a_v6 == r.b_v6 || key_mapped(r.a_v6 ? r.a : r.b);
    if (comparable && !nc__key_le(r.a, r.b)) {
        return order_error(err, start, r.a, r.a_v6);
    }
    return rule_push(bl, &r, err);
}

static int add_subnet(nc_blocklist_t *bl, const nc_sockaddr_t *net, int64_t prefix, nc_error_t *err)
{
    struct rule r = { .kind = RULE_SUBNET };
    if (bl == NULL || net == NULL || key_of_sa(net, &r.a, &r.a_v6) < 0) {
        return invalid(err);
    }
    int max = r.a_v6 ? 128 : 32;
    if (prefix < 0 || prefix > max) {
        return prefix_error(err, prefix, max);
    }
    r.prefix = (uint8_t)prefix;
    return rule_push(bl, &r, err);
}

int nc_blocklist_add_address(nc_blocklist_t *bl,
                             const char *address,
                             size_t address_len,
                             const char *type,
                             nc_error_t *ret_err)
{
    nc_sockaddr_t sa;
    if (bl == NULL || (address == NULL && address_len > 0)) {
        return invalid(ret_err);
    }
    int r = sa_from_text(address, address_len, type, &sa, ret_err);
    return r < 0 ? r : add_address(bl, &sa, ret_err);
}

int nc_blocklist_add_range(nc_blocklist_t *bl,
                           const char *start,
                           size_t start_len,
                           const char *end,
                           size_t end_len,
                           const char *type,
                           nc_error_t *ret_err)
{
    nc_sockaddr_t s;
    nc_sockaddr_t e;
    if (bl == NULL || (start == NULL && start_len > 0) || (end == NULL && end_len > 0)) {
        return invalid(ret_err);
    }
    int r = sa_from_text(start, start_len, type, &s, ret_err);
    if (r < 0) {
        return r;
    }
    r = sa_from_text(end, end_len, type, &e, ret_err);
    return r < 0 ? r : add_range(bl, &s, &e, ret_err);
}

int nc_blocklist_add_subnet(nc_blocklist_t *bl,
                            const char *net,
                            size_t net_len,
                            int64_t prefix,
                            const char *type,
                            nc_error_t *ret_err)
{
    nc_sockaddr_t sa;
    if (bl == NULL || (net == NULL && net_len > 0)) {
        return invalid(ret_err);
    }
    /* Node builds the SocketAddress first: a bad address wins over a bad prefix. */
    int r = sa_from_text(net, net_len, type, &sa, ret_err);
    return r < 0 ? r : add_subnet(bl, &sa, prefix, ret_err);
}

int nc_blocklist_add_address_sa(nc_blocklist_t *bl, const nc_sockaddr_t *address)
{
    return add_address(bl, address, NULL);
}

int nc_blocklist_add_range_sa(nc_blocklist_t *bl,
                              const nc_sockaddr_t *start,
                              const nc_sockaddr_t *end,
                              nc_error_t *ret_err)
{
    return add_range(bl, start, end, ret_err);
}

int nc_blocklist_add_subnet_sa(nc_blocklist_t *bl,
                               const nc_sockaddr_t *net,
                               int64_t prefix,
                               nc_error_t *ret_err)
{
    return add_subnet(bl, net, prefix, ret_err);
}

/* ---- check -------------------------------------------------------------------------- */

/* The literal straight from the caller's bytes, by isip.c's grammar, which is the
 * SocketAddress constructor's too: same answers, without its options and messages. A
 * zone id or a NUL byte fails here, and check() then asks the constructor itself. */
static bool parse_fast(const char *s, size_t len, int af, nc__key_t *ret)
{
    uint8_t b[16];
    if (af == AF_INET6) {
        if (!nc__ip6_parse(s, len, b)) {
            return false;
        }
        *ret = key_bytes(b);
        return true;
    }
    if (!nc__ip4_parse(s, len, b)) {
        return false;
    }
    *ret = key_v4((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
    return true;
}

/* The family as the SocketAddress constructor reads it, the two spellings nearly every
 * caller uses without its strcasecmp. */
static int probe_family(const char *type)
{
    if (type != NULL && type[0] == 'i' && type[1] == 'p' && type[2] == 'v' &&
        (type[3] == '4' || type[3] == '6') && type[4] == '\0') {
        return type[3] == '4' ? AF_INET : AF_INET6;
    }
    return nc__family_parse(type, "options.family", NULL);
}

int nc_blocklist_check(nc_blocklist_t *bl,
                       const char *address,
                       size_t address_len,
                       const char *type,
                       nc_error_t *ret_err)
{
    if (bl == NULL || (address == NULL && address_len > 0)) {
        return invalid(ret_err);
    }
    /* Node: check() builds the SocketAddress inside try/catch, so a bad family or a bad
     * address is `false`, never an error. */
    int af = probe_family(type);
    if (af < 0) {
        return 0;
    }
    nc__key_t key;
    if (address_len == 0 || !parse_fast(address, address_len, af, &key)) {
        nc_sockaddr_t sa;
        bool v6;
        if (sa_from_text(address, address_len, type, &sa, NULL) < 0 ||
            key_of_sa(&sa, &key, &v6) < 0) {
            return 0;
        }
    }
    return probe(bl, af == AF_INET6, key);
}

int nc_blocklist_check_sa(nc_blocklist_t *bl, const nc_sockaddr_t *address)
{
    nc__key_t key;
    bool v6;
    if (bl == NULL || address == NULL || key_of_sa(address, &key, &v6) < 0) {
        return -EINVAL;
    }
    return probe(bl, v6, key);
}

/* ---- rules -------------------------------------------------------------------------- */

static int rule_text(const struct rule *r, char *buf, size_t size)
{
    char a[INET6_ADDRSTRLEN];
    char b[INET6_ADDRSTRLEN];
    const char *family = r->a_v6 ? "IPv6" : "IPv4";
    int n;
    key_text(r->a, r->a_v6, a);
    switch (r->kind) {
    case RULE_ADDRESS:
        n = snprintf(buf, size, "Address: %s %s", family, a);
        break;
    case RULE_RANGE:
        key_text(r->b, r->b_v6, b);
        n = snprintf(buf, size, "Range: %s %s-%s", family, a, b);
        break;
    default:
        n = snprintf(buf, size, "Subnet: %s %s/%u", family, a, (unsigned)r->prefix);
        break;
    }
    return n;
}

size_t nc_blocklist_rule_count(const nc_blocklist_t *bl)
{
    return bl != NULL ? bl->nrules : 0;
}

int nc_blocklist_rule(const nc_blocklist_t *bl, size_t i, char *buf, size_t size)
{
    char text[NC_BLOCKLIST_RULE_MAX];
    if (bl == NULL || buf == NULL) {
        return -EINVAL;
    }
    if (i >= bl->nrules) {
        return -ENOENT;
    }
    int n = rule_text(&bl->rules[bl->nrules - 1 - i], text, sizeof(text));
    if (n < 0 || (size_t)n >= size) {
        return -ENOSPC;
    }
    memcpy(buf, text, (size_t)n + 1);
    return n;
}
