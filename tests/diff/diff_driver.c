/* diff_driver.c: libnetcore's answers for the address corpus (tests/data/, JSON), in the
 * very form tests/data/oracle.js prints Node's, and the comparison of the two.
 *
 *   diff_driver [--oracle node.jsonl] cases.json...
 *
 * Without --oracle it prints its own result lines. With it, it reads Node's lines, which
 * must come in the same order, and fails on the first missing line or on any difference,
 * printing the first ones with their inputs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "netcore.h"

#define MAX_SHOWN 20 /* differences printed in full */

static const char *const GROUPS[] = { "isip", "socketaddress", "parse", "blocklist",
                                      "divergences" };

struct run {
    FILE *oracle; /* NULL: print results instead of comparing */
    size_t cases;
    size_t differences;
    int broken; /* an oracle line missing or unreadable */
};

static json_t *result_of(const char *group, json_t *input);

/* ---- results ------------------------------------------------------------------------ */

static json_t *error_json(int r, const nc_error_t *err)
{
    return json_pack("{s:{s:s,s:s}}", "error", "code", nc_err_name(r), "message",
                     err != NULL ? err->message : nc_strerror(r));
}

static json_t *sa_json(const nc_sockaddr_t *sa)
{
    char text[NC_ADDRSTRLEN];
    if (nc_socketaddress_address(sa, text, sizeof(text)) < 0) {
        return json_pack("{s:s}", "driver_error", "no address text");
    }
    return json_pack("{s:{s:s,s:i,s:s,s:I}}", "sa", "address", text, "port",
                     nc_socketaddress_port(sa), "family", nc_socketaddress_family(sa), "flowlabel",
                     (json_int_t)nc_socketaddress_flowlabel(sa));
}

/* A value the C API cannot take (a string port, a NUL in the family...): the corpus
 * should hold none, and this makes sure one would show up as a difference. */
static json_t *unrepresentable(const char *what)
{
    return json_pack("{s:s}", "unrepresentable", what);
}

static json_t *isip_result(json_t *input)
{
    if (!json_is_string(input)) {
        return unrepresentable("isip input");
    }
    const char *s = json_string_value(input);
    size_t len = json_string_length(input);
    return json_pack("{s:i,s:b,s:b}", "isIP", nc_is_ip(s, len), "isIPv4", nc_is_ipv4(s, len),
                     "isIPv6", nc_is_ipv6(s, len));
}

/* options -> nc_socketaddress_options_t; returns false for what C cannot express. */
static bool options_of(json_t *o, nc_socketaddress_options_t *ret)
{
    json_t *family = json_object_get(o, "family");
    json_t *address = json_object_get(o, "address");
    json_t *port = json_object_get(o, "port");
    json_t *flowlabel = json_object_get(o, "flowlabel");
    memset(ret, 0, sizeof(*ret));
    if (!json_is_object(o) || (family != NULL && !json_is_string(family)) ||
        (address != NULL && !json_is_string(address)) || (port != NULL && !json_is_integer(port)) ||
        (flowlabel != NULL && !json_is_integer(flowlabel))) {
        return false;
    }
    if (family != NULL) {
        ret->family = json_string_value(family);
        if (strlen(ret->family) != json_string_length(family)) {
            return false;
        }
    }
    if (address != NULL) {
        ret->address = json_string_value(address);
        ret->address_len = json_string_length(address);
    }
    ret->port = port != NULL ? json_integer_value(port) : 0;
    ret->flowlabel = flowlabel != NULL ? json_integer_value(flowlabel) : 0;
    return true;
}

static json_t *sa_result(json_t *input)
{
    nc_socketaddress_options_t opts;
    nc_sockaddr_t sa;
    nc_error_t err = { .port = -1 };
    if (!options_of(input, &opts)) {
        return unrepresentable("socketaddress options");
    }
    int r = nc_socketaddress_init(&opts, &sa, &err);
    json_t *j = r < 0 ? error_json(r, &err) : sa_json(&sa);
    nc_error_clear(&err);
    return j;
}

static json_t *parse_result(json_t *input)
{
    nc_sockaddr_t sa;
    if (!json_is_string(input)) {
        return unrepresentable("parse input");
    }
    int r = nc_socketaddress_parse(json_string_value(input), json_string_length(input), &sa);
    if (r == NC_ERR_INVALID_ADDRESS) {
        return json_pack("{s:b}", "undefined", 1);
    }
    return r < 0 ? error_json(r, NULL) : sa_json(&sa);
}

/* ---- BlockList ---------------------------------------------------------------------- */

/* A step argument given as {"sa": options}: the SocketAddress Node would build first
 * (its error is the step's error). Returns 1 for such an argument, 0 for text, or a
 * negative code with *err set. */
static int sa_arg(json_t *v, nc_sockaddr_t *ret, nc_error_t *err)
{
    nc_socketaddress_options_t opts;
    if (!json_is_object(v)) {
        return 0;
    }
    if (!options_of(json_object_get(v, "sa"), &opts)) {
        return -EINVAL;
    }
    int r = nc_socketaddress_init(&opts, ret, err);
    return r < 0 ? r : 1;
}

/* Text as a SocketAddress of `family`, for a step that mixes text and a SocketAddress. */
static int text_sa(json_t *v, const char *family, nc_sockaddr_t *ret, nc_error_t *err)
{
    nc_socketaddress_options_t opts = {
        .address = json_string_value(v) != NULL ? json_string_value(v) : "",
        .address_len = json_string_length(v),
        .family = family,
    };
    return nc_socketaddress_init(&opts, ret, err);
}

static int step_add_address(nc_blocklist_t *bl, json_t *st, const char *family, nc_error_t *err)
{
    json_t *a = json_object_get(st, "address");
    nc_sockaddr_t sa;
    int r = sa_arg(a, &sa, err);
    if (r != 0) {
        return r < 0 ? r : nc_blocklist_add_address_sa(bl, &sa);
    }
    return nc_blocklist_add_address(bl, json_string_value(a), json_string_length(a), family, err);
}

static int step_add_range(nc_blocklist_t *bl, json_t *st, const char *family, nc_error_t *err)
{
    json_t *a = json_object_get(st, "start");
    json_t *b = json_object_get(st, "end");
    nc_sockaddr_t start, end;
    if (json_is_string(a) && json_is_string(b)) {
        return nc_blocklist_add_range(bl, json_string_value(a), json_string_length(a),
                                      json_string_value(b), json_string_length(b), family, err);
    }
    /* Node converts start, then end, each only when it is text. */
    int r = sa_arg(a, &start, err);
    if (r == 0) {
        r = text_sa(a, family, &start, err);
    }
    if (r >= 0) {
        r = sa_arg(b, &end, err);
        if (r == 0) {
            r = text_sa(b, family, &end, err);
        }
    }
    return r < 0 ? r : nc_blocklist_add_range_sa(bl, &start, &end, err);
}

static int step_add_subnet(nc_blocklist_t *bl, json_t *st, const char *family, nc_error_t *err)
{
    json_t *n = json_object_get(st, "network");
    json_int_t prefix = json_integer_value(json_object_get(st, "prefix"));
    nc_sockaddr_t sa;
    int r = sa_arg(n, &sa, err);
    if (r != 0) {
        return r < 0 ? r : nc_blocklist_add_subnet_sa(bl, &sa, prefix, err);
    }
    return nc_blocklist_add_subnet(bl, json_string_value(n), json_string_length(n), prefix, family,
                                   err);
}

static int step_check(nc_blocklist_t *bl, json_t *st, const char *family, nc_error_t *err)
{
    json_t *a = json_object_get(st, "address");
    nc_sockaddr_t sa;
    int r = sa_arg(a, &sa, err);
    if (r != 0) {
        return r < 0 ? r : nc_blocklist_check_sa(bl, &sa);
    }
    return nc_blocklist_check(bl, json_string_value(a), json_string_length(a), family, err);
}

static json_t *rules_json(const nc_blocklist_t *bl)
{
    json_t *rules = json_array();
    size_t n = nc_blocklist_rule_count(bl);
    for (size_t i = 0; i < n; i++) {
        char text[NC_BLOCKLIST_RULE_MAX];
        int r = nc_blocklist_rule(bl, i, text, sizeof(text));
        json_array_append_new(rules, r < 0 ? json_string(nc_err_name(r)) : json_string(text));
    }
    return json_pack("{s:o}", "rules", rules);
}

static json_t *step_result(nc_blocklist_t *bl, json_t *st)
{
    const char *op = json_string_value(json_object_get(st, "op"));
    const char *family = json_string_value(json_object_get(st, "family"));
    nc_error_t err = { .port = -1 };
    int r;
    if (op == NULL) {
        return unrepresentable("step without op");
    }
    if (strcmp(op, "rules") == 0) {
        return rules_json(bl);
    }
    if (strcmp(op, "addAddress") == 0) {
        r = step_add_address(bl, st, family, &err);
    } else if (strcmp(op, "addRange") == 0) {
        r = step_add_range(bl, st, family, &err);
    } else if (strcmp(op, "addSubnet") == 0) {
        r = step_add_subnet(bl, st, family, &err);
    } else if (strcmp(op, "check") == 0) {
        r = step_check(bl, st, family, &err);
        if (r >= 0) {
            return json_pack("{s:b}", "check", r);
        }
    } else {
        return unrepresentable(op);
    }
    json_t *j = r < 0 ? error_json(r, &err) : json_pack("{s:b}", "ok", 1);
    nc_error_clear(&err);
    return j;
}

static json_t *blocklist_result(json_t *steps)
{
    nc_blocklist_t *bl;
    size_t i;
    json_t *st;
    if (!json_is_array(steps) || nc_blocklist_new(&bl) < 0) {
        return unrepresentable("blocklist steps");
    }
    json_t *results = json_array();
    json_array_foreach(steps, i, st)
    {
        json_array_append_new(results, step_result(bl, st));
    }
    nc_blocklist_unref(bl);
    return results;
}

static json_t *result_of(const char *group, json_t *input)
{
    if (strcmp(group, "isip") == 0) {
        return isip_result(input);
    }
    if (strcmp(group, "socketaddress") == 0) {
        return sa_result(input);
    }
    if (strcmp(group, "parse") == 0) {
        return parse_result(input);
    }
    if (strcmp(group, "blocklist") == 0) {
        return blocklist_result(input);
    }
    /* A divergence record: libnetcore's answer to its input, which the oracle compares
     * with nothing but prints as the record's "expect". */
    const char *op = json_string_value(json_object_get(input, "op"));
    if (op == NULL || strcmp(op, "divergences") == 0) {
        return unrepresentable("divergence record");
    }
    return result_of(op, json_object_get(input, "input"));
}

/* ---- comparison --------------------------------------------------------------------- */

static void show(const char *label, const json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
    fprintf(stderr, "  %-6s %s\n", label, text != NULL ? text : "?");
    free(text);
}

/* The next oracle line; NULL (and run->broken) when it is missing or is not ours. */
static json_t *oracle_result(struct run *run, const char *id)
{
    char *line = NULL;
    size_t cap = 0;
    json_t *j = NULL;
    if (getline(&line, &cap, run->oracle) > 0) {
        j = json_loads(line, JSON_ALLOW_NUL, NULL);
    }
    free(line);
    const char *got = json_string_value(json_object_get(j, "id"));
    if (got == NULL || strcmp(got, id) != 0) {
        fprintf(stderr, "oracle: expected a line for %s, got %s\n", id, got ? got : "none");
        run->broken = 1;
        json_decref(j);
        return NULL;
    }
    json_t *result = json_incref(json_object_get(j, "result"));
    json_decref(j);
    return result;
}

static void one_case(struct run *run, const char *id, const char *group, json_t *input)
{
    json_t *ours = result_of(group, input);
    run->cases++;
    if (run->oracle == NULL) {
        json_t *line = json_pack("{s:s,s:O}", "id", id, "result", ours);
        char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
        printf("%s\n", text != NULL ? text : "{}");
        free(text);
        json_decref(line);
    } else if (!run->broken) {
        json_t *node = oracle_result(run, id);
        if (node != NULL && !json_equal(node, ours)) {
            if (++run->differences <= MAX_SHOWN) {
                fprintf(stderr, "DIFFERENCE %s\n", id);
                show("input", input);
                show("node", node);
                show("ours", ours);
            }
        }
        json_decref(node);
    }
    json_decref(ours);
}

static int run_file(struct run *run, const char *path)
{
    json_error_t error;
    json_t *cases = json_load_file(path, JSON_ALLOW_NUL, &error);
    if (cases == NULL) {
        fprintf(stderr, "%s:%d: %s\n", path, error.line, error.text);
        return -1;
    }
    const char *name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    for (size_t g = 0; g < sizeof(GROUPS) / sizeof(GROUPS[0]); g++) {
        size_t i;
        json_t *input;
        json_array_foreach(json_object_get(cases, GROUPS[g]), i, input)
        {
            char id[512];
            snprintf(id, sizeof(id), "%s:%s#%zu", name, GROUPS[g], i);
            one_case(run, id, GROUPS[g], input);
        }
    }
    json_decref(cases);
    return 0;
}

int main(int argc, char **argv)
{
    struct run run = { .oracle = NULL };
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--oracle") == 0) {
        run.oracle = fopen(argv[2], "r");
        if (run.oracle == NULL) {
            fprintf(stderr, "%s: %s\n", argv[2], strerror(errno));
            return 2;
        }
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [--oracle node.jsonl] cases.json...\n", argv[0]);
        return 2;
    }
    for (int i = first; i < argc; i++) {
        if (run_file(&run, argv[i]) < 0) {
            run.broken = 1;
        }
    }
    if (run.oracle == NULL) {
        return run.broken ? 2 : 0;
    }
    char extra[64];
    if (!run.broken && fgets(extra, sizeof(extra), run.oracle) != NULL) {
        fprintf(stderr, "oracle: more lines than cases\n");
        run.broken = 1;
    }
    fclose(run.oracle);
    fprintf(stderr, "%zu cases, %zu differences%s\n", run.cases, run.differences,
            run.broken ? ", oracle output incomplete" : "");
    return run.differences > 0 || run.broken ? 1 : 0;
}
