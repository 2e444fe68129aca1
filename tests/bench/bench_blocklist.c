/* bench_blocklist.c: libnetcore's side of the BlockList benchmark (tests/bench/run.sh).
 *   bench_blocklist RULES_FILE PROBES_FILE CHECKED BUDGET_MS
 *     loads the rules (files from blocklist_bench.js gen), checks the first CHECKED probes
 *     for the answers Node must agree with (matches, FNV-1a digest), then times check()
 *     on text and check_sa() on parsed addresses over all probes, BUDGET_MS each.
 *   bench_blocklist --load NRULES
 *     times loading NRULES generated mixed rules plus the first check (which builds the
 *     index). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netcore.h"

struct probe {
    char family[8];
    char *text;
    size_t len;
    bool valid; /* parses for its family: the _sa loop times only these */
    nc_sockaddr_t sa;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *slurp(const char *path, size_t *ret_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(111);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: read failed\n", path);
        exit(111);
    }
    buf[n] = '\0';
    fclose(f);
    *ret_len = (size_t)n;
    return buf;
}

static int add_rule(nc_blocklist_t *bl, char *line, nc_error_t *err)
{
    char *f[4] = { NULL, NULL, NULL, NULL };
    char *save = NULL;
    for (int i = 0; i < 4; i++) {
        f[i] = strtok_r(i == 0 ? line : NULL, " ", &save);
    }
    if (f[0] == NULL || f[1] == NULL || f[2] == NULL) {
        return 0;
    }
    if (strcmp(f[0], "address") == 0) {
        return nc_blocklist_add_address(bl, f[2], strlen(f[2]), f[1], err);
    }
    if (strcmp(f[0], "range") == 0 && f[3] != NULL) {
        return nc_blocklist_add_range(bl, f[2], strlen(f[2]), f[3], strlen(f[3]), f[1], err);
    }
    if (strcmp(f[0], "subnet") == 0 && f[3] != NULL) {
        return nc_blocklist_add_subnet(bl, f[2], strlen(f[2]), strtoll(f[3], NULL, 10), f[1], err);
    }
    return 0;
}

static nc_blocklist_t *load_rules(const char *path)
{
    size_t len;
    char *text = slurp(path, &len);
    nc_blocklist_t *bl;
    nc_error_t err = { .port = -1 };
    if (nc_blocklist_new(&bl) < 0) {
        exit(111);
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (add_rule(bl, line, &err) < 0) {
            fprintf(stderr, "rule refused: %s: %s\n", nc_err_name(err.code), err.message);
            exit(1);
        }
    }
    free(text);
    return bl;
}

static struct probe *load_probes(const char *path, size_t *ret_n, char **ret_text)
{
    size_t len;
    char *text = slurp(path, &len);
    size_t n = 0;
    struct probe *p = calloc(len / 2 + 1, sizeof(*p)); /* a line takes 2 bytes or more */
    char *save = NULL;
    if (p == NULL) {
        exit(111);
    }
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        if (sp == NULL || (size_t)(sp - line) >= sizeof(p[n].family)) {
            continue;
        }
        memcpy(p[n].family, line, (size_t)(sp - line));
        p[n].text = sp + 1;
        p[n].len = strlen(sp + 1);
        nc_socketaddress_options_t o = { .address = p[n].text,
                                         .address_len = p[n].len,
                                         .family = p[n].family };
        p[n].valid = nc_socketaddress_init(&o, &p[n].sa, NULL) == 0;
        n++;
    }
    *ret_n = n;
    *ret_text = text;
    return p;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    /* xorshift64*: seeded, reproducible, fast enough to stay out of the measurement. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

struct gen_rule {
    uint32_t a; /* offsets of the NUL-terminated texts in the arena */
    uint32_t b;
    uint8_t kind; /* 0 address, 1 range, 2 subnet */
    uint8_t v6;
    uint8_t prefix;
};

static void v4_text(uint32_t a, char *buf, size_t size)
{
    snprintf(buf, size, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* IPv6 rules under one /64, so that they overlap and merge as real lists do. */
static void v6_text(uint64_t lo, char *buf, size_t size)
{
    snprintf(buf, size, "2001:db8::%x:%x:%x:%x", (unsigned)(lo >> 48) & 0xffff,
             (unsigned)(lo >> 32) & 0xffff, (unsigned)(lo >> 16) & 0xffff, (unsigned)lo & 0xffff);
}

static void gen_one(struct gen_rule *r, char *arena, size_t *used)
{
    char a[64];
    char b[64];
    uint64_t x = rng();
    r->kind = (uint8_t)(x % 3);
    r->v6 = (x >> 8) % 4 == 0;
    if (r->v6) {
        uint64_t lo = rng() >> 1;
        v6_text(lo, a, sizeof(a));
        v6_text(lo + (rng() & 0xffff), b, sizeof(b));
        r->prefix = (uint8_t)(64 + rng() % 65);
    } else {
        uint32_t lo = (uint32_t)rng() & 0xfffeffffu;
        v4_text(lo, a, sizeof(a));
        v4_text(lo + (uint32_t)(rng() & 0xffff), b, sizeof(b));
        r->prefix = (uint8_t)(16 + rng() % 17);
    }
    r->a = (uint32_t)*used;
    *used += (size_t)sprintf(arena + *used, "%s", a) + 1;
    r->b = (uint32_t)*used;
    *used += (size_t)sprintf(arena + *used, "%s", b) + 1;
}

static int load_bench(size_t n)
{
    struct gen_rule *rules = calloc(n, sizeof(*rules));
    char *arena = malloc(n * 96);
    size_t used = 0;
    nc_blocklist_t *bl;
    if (rules == NULL || arena == NULL || nc_blocklist_new(&bl) < 0) {
        return 111;
    }
    for (size_t i = 0; i < n; i++) {
        gen_one(&rules[i], arena, &used);
    }
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        const struct gen_rule *r = &rules[i];
        const char *fam = r->v6 ? "ipv6" : "ipv4";
        const char *a = arena + r->a;
        const char *b = arena + r->b;
        int e = r->kind == 0   ? nc_blocklist_add_address(bl, a, strlen(a), fam, NULL)
                : r->kind == 1 ? nc_blocklist_add_range(bl, a, strlen(a), b, strlen(b), fam, NULL)
                               : nc_blocklist_add_subnet(bl, a, strlen(a), r->prefix, fam, NULL);
        if (e < 0) {
            fprintf(stderr, "rule %zu refused: %s\n", i, nc_err_name(e));
            return 1;
        }
    }
    double t1 = now();
    int hit = nc_blocklist_check(bl, "10.0.0.1", 8, NULL, NULL);
    double t2 = now();
    printf("load_rules=%zu add_ms=%.0f first_check_ms=%.0f load_ms=%.0f hit=%d\n", n,
           (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t2 - t0) * 1e3, hit);
    nc_blocklist_unref(bl);
    free(rules);
    free(arena);
    return hit < 0 ? 1 : 0;
}

/* check() on every probe's text, repeated until budget seconds have passed. */
static double rate_text(nc_blocklist_t *bl, const struct probe *p, size_t n, double budget)
{
    size_t total = 0;
    volatile int sink = 0;
    double t0 = now();
    double t;
    do {
        for (size_t i = 0; i < n; i++) {
            sink += nc_blocklist_check(bl, p[i].text, p[i].len, p[i].family, NULL);
        }
        total += n;
        t = now();
    } while (t - t0 < budget);
    (void)sink;
    return (double)total / (t - t0);
}

static double rate_sa(nc_blocklist_t *bl, const nc_sockaddr_t *sa, size_t n, double budget)
{
    size_t total = 0;
    volatile int sink = 0;
    double t0 = now();
    double t;
    do {
        for (size_t i = 0; i < n; i++) {
            sink += nc_blocklist_check_sa(bl, &sa[i]);
        }
        total += n;
        t = now();
    } while (t - t0 < budget);
    (void)sink;
    return (double)total / (t - t0);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--load") == 0) {
        return load_bench((size_t)strtoull(argv[2], NULL, 10));
    }
    if (argc != 5) {
        fprintf(stderr, "usage: %s RULES PROBES CHECKED BUDGET_MS | --load NRULES\n", argv[0]);
        return 100;
    }
    nc_blocklist_t *bl = load_rules(argv[1]);
    size_t n;
    char *text;
    struct probe *p = load_probes(argv[2], &n, &text);
    size_t checked = (size_t)strtoull(argv[3], NULL, 10);
    double budget = strtod(argv[4], NULL) / 1e3;
    if (checked > n) {
        checked = n;
    }
    size_t matches = 0;
    uint32_t digest = 0x811c9dc5u;
    nc_sockaddr_t *sa = calloc(n + 1, sizeof(*sa));
    size_t nsa = 0;
    if (sa == NULL) {
        return 111;
    }
    for (size_t i = 0; i < n; i++) {
        int hit = nc_blocklist_check(bl, p[i].text, p[i].len, p[i].family, NULL);
        if (hit < 0 || (p[i].valid && nc_blocklist_check_sa(bl, &p[i].sa) != hit)) {
            fprintf(stderr, "probe %zu (%s %s): check %d, check_sa disagrees\n", i, p[i].family,
                    p[i].text, hit);
            return 1;
        }
        if (i < checked) {
            matches += (size_t)hit;
            digest = (digest ^ (uint32_t)hit) * 0x01000193u;
        }
        if (p[i].valid) {
            sa[nsa++] = p[i].sa;
        }
    }
    double text_rate = rate_text(bl, p, n, budget);
    double sa_rate = rate_sa(bl, sa, nsa, budget);
    printf("checked=%zu matches=%zu digest=%" PRIu32 " text_rate=%.0f sa_rate=%.0f\n", checked,
           matches, digest, text_rate, sa_rate);
    nc_blocklist_unref(bl);
    free(sa);
    free(p);
    free(text);
    return 0;
}
