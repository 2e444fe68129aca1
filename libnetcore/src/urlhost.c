/* urlhost.c: the WHATWG URL host and port parsing that SocketAddress.parse() rests on.
 * Node 22 parses `URL.parse('http://' + input)` and builds a SocketAddress from its
 * hostname and port; this file decides the same outcome without building the URL. */
#include "internal.h"

#include <string.h>

#include <arpa/inet.h>

#include "urlhost_idna.h"

#define HTTP_DEFAULT_PORT 80
#define IPV4_NUMBER_MAX   (UINT64_C(1) << 32) /* any larger number fails the same way */
#define IPV6_HOST_MAX     64 /* "[" + 45 characters + "]" is the longest valid host */

/* One label of an IPv4 host, read as the IPv4 number parser would read it in each of the
 * three radixes, since "0x" or a leading "0" decides which one only once seen. */
struct ipv4_label {
    size_t n;
    char c0, c1;
    uint64_t v10, v8, v16;
    bool ok10, ok8, ok16;
};

/* The host's labels so far. A sixth label can never give an address. */
struct ipv4_host {
    struct ipv4_label labels[5];
    size_t nlabels;
    bool failed;
};

/* The host's text with ASCII tab and newline removed (the URL parser drops them first)
 * and percent-encoded bytes decoded, as the host parser reads a domain. */
struct host_reader {
    const char *s;
    size_t pos;
    size_t end;
};

/* Where the parts of the authority lie in the input. */
struct authority {
    size_t host_start;
    size_t host_end;
    size_t port_start; /* == end when there is no port */
    size_t end;
};

static size_t skip_tab_newline(const char *s, size_t i, size_t end);
static uint64_t number_push(uint64_t v, unsigned radix, int digit);
static void label_push(struct ipv4_label *l, char c);
static bool label_value(const struct ipv4_label *l, uint64_t *ret);
static void ipv4_push(struct ipv4_host *h, char c);
static bool ipv4_finish(struct ipv4_host *h, uint32_t *ret);
static int host_byte(struct host_reader *r);
static bool idna_map(uint32_t cp, char out[4]);
static bool host_feed_next(struct host_reader *r, struct ipv4_host *h);
static int host_ipv4(const char *s, size_t start, size_t end, nc_sockaddr_t *ret);
static int host_ipv6(const char *s, size_t start, size_t end, nc_sockaddr_t *ret);
static int port_parse(const char *s, size_t i, size_t end, uint16_t *ret);
static int authority_split(const char *s, size_t i, size_t end, struct authority *ret);

static size_t skip_tab_newline(const char *s, size_t i, size_t end)
{
    while (i < end && (s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
        i++;
    }
    return i;
}

static uint64_t number_push(uint64_t v, unsigned radix, int digit)
{
    v = v * radix + (uint64_t)digit;
    return v > IPV4_NUMBER_MAX ? IPV4_NUMBER_MAX : v;
}

static void label_push(struct ipv4_label *l, char c)
{
    int d = nc__hex_value(c);
    if (l->n == 0) {
        l->c0 = c;
        l->ok10 = l->ok8 = l->ok16 = true;
    } else if (l->n == 1) {
        l->c1 = c;
    }
    l->ok10 = l->ok10 && d >= 0 && d < 10;
    l->v10 = l->ok10 ? number_push(l->v10, 10, d) : 0;
    if (l->n >= 1) {
        l->ok8 = l->ok8 && d >= 0 && d < 8;
        l->v8 = l->ok8 ? number_push(l->v8, 8, d) : 0;
    }
    if (l->n >= 2) {
        l->ok16 = l->ok16 && d >= 0;
        l->v16 = l->ok16 ? number_push(l->v16, 16, d) : 0;
    }
    l->n++;
}

/* The IPv4 number parser: "0x" takes hex (and "0x" alone is 0), another leading "0"
 * octal, anything else decimal; an empty label fails. */
static bool label_value(const struct ipv4_label *l, uint64_t *ret)
{
    if (l->n == 0) {
        return false;
    }
    if (l->n >= 2 && l->c0 == '0' && l->c1 == 'x') {
        *ret = l->v16;
        return l->ok16;
    }
    if (l->n >= 2 && l->c0 == '0') {
        *ret = l->v8;
        return l->ok8;
    }
    *ret = l->v10;
    return l->ok10;
}

/* Feeds one character of the host after IDNA mapping. Only [0-9a-fx.] can be part of an
 * IPv4 host; any other leaves a domain name, or a failure, and parse() undefined. */
static void ipv4_push(struct ipv4_host *h, char c)
{
    bool allowed = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == 'x' || c == '.';
    if (h->failed || !allowed) {
        h->failed = true;
        return;
    }
    if (h->nlabels == 0) {
        memset(&h->labels[0], 0, sizeof(h->labels[0]));
        h->nlabels = 1;
    }
    if (c != '.') {
        label_push(&h->labels[h->nlabels - 1], c);
        return;
    }
    if (h->nlabels == NC_ARRAY_SIZE(h->labels)) {
        h->failed = true;
        return;
    }
    memset(&h->labels[h->nlabels], 0, sizeof(h->labels[0]));
    h->nlabels++;
}

/* The IPv4 parser: one trailing empty label is dropped; then 1-4 numbers, all but the
 * last below 256, the last filling the bytes that remain. */
static bool ipv4_finish(struct ipv4_host *h, uint32_t *ret)
{
    uint64_t v[4];
    size_t n = h->nlabels;
    if (h->failed || n == 0) {
        return false;
    }
    if (n > 1 && h->labels[n - 1].n == 0) {
        n--;
    }
    if (n > 4) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!label_value(&h->labels[i], &v[i]) || (i + 1 < n && v[i] > 255)) {
            return false;
        }
    }
    if (v[n - 1] >= UINT64_C(1) << (8 * (5 - n))) {
        return false;
    }
    uint64_t addr = v[n - 1];
    for (size_t i = 0; i + 1 < n; i++) {
        addr += v[i] << (8 * (3 - i));
    }
    *ret = (uint32_t)addr;
    return true;
}

/* The next byte of the percent-decoded host, or -1 at its end. */
static int host_byte(struct host_reader *r)
{
    r->pos = skip_tab_newline(r->s, r->pos, r->end);
    if (r->pos >= r->end) {
        return -1;
    }
    int c = (unsigned char)r->s[r->pos++];
    if (c != '%') {
        return c;
    }
    size_t i1 = skip_tab_newline(r->s, r->pos, r->end);
    size_t i2 = i1 < r->end ? skip_tab_newline(r->s, i1 + 1, r->end) : r->end;
    if (i2 >= r->end || nc__hex_value(r->s[i1]) < 0 || nc__hex_value(r->s[i2]) < 0) {
        return c;
    }
    r->pos = i2 + 1;
    return nc__hex_value(r->s[i1]) * 16 + nc__hex_value(r->s[i2]);
}

/* The UTS #46 mapping of one code point, for the few that can matter. */
static bool idna_map(uint32_t cp, char out[4])
{
    size_t lo = 0, hi = NC_ARRAY_SIZE(idna_runs);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct idna_run *r = &idna_runs[mid];
        if (cp < r->first) {
            hi = mid;
        } else if (cp > r->last) {
            lo = mid + 1;
        } else {
            memcpy(out, r->map, sizeof(r->map));
            out[0] = (char)(out[0] + (int)(r->step * (cp - r->first)));
            return true;
        }
    }
    return false;
}

/* Decodes the next character (UTF-8, after percent-decoding) and feeds its mapping.
 * Returns false at the end of the host. Ill-formed UTF-8 decodes to U+FFFD, which IDNA
 * refuses: it fails the host. */
static bool host_feed_next(struct host_reader *r, struct ipv4_host *h)
{
    uint8_t b[4];
    uint32_t cp;
    char map[4];
    int c = host_byte(r);
    if (c < 0) {
        return false;
    }
    b[0] = (uint8_t)c;
    size_t need = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    for (size_t i = 1; i <= need; i++) {
        c = host_byte(r);
        if (c < 0) {
            h->failed = true;
            return false;
        }
        b[i] = (uint8_t)c;
    }
    if (nc__utf8_decode(b, need + 1, &cp) != need + 1 || cp == 0xFFFD ||
        (cp >= 0x80 && !idna_map(cp, map))) {
        h->failed = true;
    } else if (cp < 0x80) {
        ipv4_push(h, (char)(cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp));
    } else {
        for (size_t i = 0; i < sizeof(map) && map[i] != '\0'; i++) {
            ipv4_push(h, map[i]);
        }
    }
    return !h->failed;
}

static int host_ipv4(const char *s, size_t start, size_t end, nc_sockaddr_t *ret)
{
    struct host_reader r = { .s = s, .pos = start, .end = end };
    struct ipv4_host h = { .nlabels = 0 };
    uint32_t addr;
    while (host_feed_next(&r, &h)) {
    }
    if (!ipv4_finish(&h, &addr)) {
        return NC_ERR_INVALID_ADDRESS;
    }
    memset(ret, 0, sizeof(*ret));
    ret->u.in4.sin_family = AF_INET;
    ret->u.in4.sin_addr.s_addr = htonl(addr);
    return 0;
}

/* "[...]": the IPv6 parser's grammar is IPv6Reg's without a zone id. */
static int host_ipv6(const char *s, size_t start, size_t end, nc_sockaddr_t *ret)
{
    char text[IPV6_HOST_MAX];
    size_t n = 0;
    for (size_t i = start; i < end; i = skip_tab_newline(s, i + 1, end)) {
        if (n == sizeof(text)) {
            return NC_ERR_INVALID_ADDRESS;
        }
        text[n++] = s[i];
    }
    uint8_t b[16];
    if (n < 2 || text[n - 1] != ']' || !nc__ip6_parse(text + 1, n - 2, b)) {
        return NC_ERR_INVALID_ADDRESS;
    }
    memset(ret, 0, sizeof(*ret));
    ret->u.in6.sin6_family = AF_INET6;
    memcpy(&ret->u.in6.sin6_addr, b, sizeof(b));
    return 0;
}

/* The port state: digits only, at most 65535; the scheme's default 80 becomes no port,
 * which parse() reads as 0. */
static int port_parse(const char *s, size_t i, size_t end, uint16_t *ret)
{
    uint32_t port = 0;
    for (i = skip_tab_newline(s, i, end); i < end; i = skip_tab_newline(s, i + 1, end)) {
        if (s[i] < '0' || s[i] > '9') {
            return NC_ERR_INVALID_ADDRESS;
        }
        port = port * 10 + (uint32_t)(s[i] - '0');
        if (port > 65535) {
            return NC_ERR_INVALID_ADDRESS;
        }
    }
    *ret = port == HTTP_DEFAULT_PORT ? 0 : (uint16_t)port;
    return 0;
}

/* The authority ends at the first '/', '\\', '?' or '#'; the host starts after its last
 * '@' and ends at a ':' outside brackets. An empty host fails, as in the host state. */
static int authority_split(const char *s, size_t i, size_t end, struct authority *ret)
{
    size_t auth_end = i;
    while (auth_end < end && s[auth_end] != '/' && s[auth_end] != '\\' && s[auth_end] != '?' &&
           s[auth_end] != '#') {
        auth_end++;
    }
    for (size_t k = i; k < auth_end; k++) {
        if (s[k] == '@') {
            i = k + 1;
        }
    }
    size_t host_end = i;
    bool inside_brackets = false;
    for (; host_end < auth_end && (s[host_end] != ':' || inside_brackets); host_end++) {
        if (s[host_end] == '[' || s[host_end] == ']') {
            inside_brackets = s[host_end] == '[';
        }
    }
    i = skip_tab_newline(s, i, host_end);
    if (i == host_end) {
        return NC_ERR_INVALID_ADDRESS;
    }
    ret->host_start = i;
    ret->host_end = host_end;
    ret->port_start = host_end < auth_end ? host_end + 1 : auth_end;
    ret->end = auth_end;
    return 0;
}

int nc__url_socketaddress(const char *s, size_t len, nc_sockaddr_t *ret)
{
    struct authority auth;
    uint16_t port;
    nc_sockaddr_t sa;
    /* The URL parser strips trailing C0 controls and spaces, drops every tab and
     * newline, and (after "http://") skips any run of '/' and '\\'. */
    while (len > 0 && (unsigned char)s[len - 1] <= 0x20) {
        len--;
    }
    size_t i = skip_tab_newline(s, 0, len);
    while (i < len && (s[i] == '/' || s[i] == '\\')) {
        i = skip_tab_newline(s, i + 1, len);
    }
    int r = authority_split(s, i, len, &auth);
    if (r == 0) {
        r = port_parse(s, auth.port_start, auth.end, &port);
    }
    if (r == 0) {
        r = s[auth.host_start] == '[' ? host_ipv6(s, auth.host_start, auth.host_end, &sa)
                                      : host_ipv4(s, auth.host_start, auth.host_end, &sa);
    }
    if (r != 0) {
        return r;
    }
    if (sa.u.sa.sa_family == AF_INET6) {
        sa.u.in6.sin6_port = htons(port);
    } else {
        sa.u.in4.sin_port = htons(port);
    }
    *ret = sa;
    return 0;
}
