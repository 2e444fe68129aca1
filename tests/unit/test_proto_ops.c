/* test_proto_ops.c: validation of every operation's request (nbproto_ops.h). Tables of
 * good and bad requests with their exact codes and messages; a sweep that breaks every
 * argument of every operation in each way 9.1.2 of PROTOCOL.md lists; and decode-build
 * round trips. test_proto_ops_codec.c has the structs, builders, replies and events. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nbproto.h"
#include "nbproto_ops.h"
#include "test_proto_ops_util.h"

#define OK   0
#define E(x) NB_PROTO_ERR_##x

typedef struct {
    const char *request;
    int code;
    const char *message; /* exact, or NULL to check the code only */
} case_t;

static void run_cases(const case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        nb_proto_error_t err = { .code = 0 };
        int rc = run(cases[i].request, NULL, &err);
        if (rc != cases[i].code) {
            fail_msg("%s: got %s (%s), want %s", cases[i].request, nb_proto_err_name(rc),
                     rc != 0 ? err.message : "", nb_proto_err_name(cases[i].code));
        }
        if (rc != 0 && cases[i].message != NULL && strcmp(err.message, cases[i].message) != 0) {
            fail_msg("%s:\n got  %s\n want %s", cases[i].request, err.message, cases[i].message);
        }
        if (rc != 0) {
            assert_false(err.fatal);
            assert_int_equal(err.id, 1);
        }
    }
}

#define REQ(op, args) "{\"id\":1,\"op\":\"" op "\",\"args\":" args "}"
#define S64           "a123456789a123456789a123456789a123456789a123456789a123456789abcd"

/* One valid request per operation, and edge values that must pass. */
static const case_t good[] = {
    { REQ("hello", "{\"version\":1}"), OK, NULL },
    { REQ("hello", "{\"version\":2147483647,\"client\":\"from the future\"}"), OK, NULL },
    { REQ("server.create", "{\"name\":\"web\",\"port\":0}"), OK, NULL },
    { REQ("server.create", "{\"name\":\"" S64 "\",\"port\":65535,\"host\":\"fe80::1%eth0\"}"), OK,
      NULL },
    { REQ("server.create", "{\"name\":\"a.b_c-D9\",\"path\":\"@abstract\",\"readableAll\":true}"),
      OK, NULL },
    { REQ("server.create",
          "{\"name\":\"w\",\"port\":1,\"host\":\"example.com.\",\"mode\":"
          "\"dispatch\",\"maxConnections\":null,\"queueTimeout\":0,"
          "\"access\":[{\"gid\":0,\"allow\":[\"read\",\"read\"]}]}"),
      OK, NULL },
    { "{\"id\":1,\"op\":\"server.list\"}", OK, NULL },
    { REQ("server.list", "{}"), OK, NULL },
    { REQ("server.info", "{\"name\":\"web\"}"), OK, NULL },
    { REQ("server.set", "{\"name\":\"web\"}"), OK, NULL },
    { REQ("server.set", "{\"name\":\"web\",\"maxConnections\":0,\"blocklist\":[]}"), OK, NULL },
    { REQ("server.close", "{\"name\":\"web\"}"), OK, NULL },
    { REQ("server.acquire", "{\"name\":\"web\"}"), OK, NULL },
    { REQ("server.subscribe", "{\"name\":\"web\",\"maxPending\":256}"), OK, NULL },
    { REQ("server.unsubscribe", "{\"name\":\"web\"}"), OK, NULL },
    { REQ("socket.connect", "{\"port\":80}"), OK, NULL },
    { REQ("socket.connect", "{\"path\":\"/run/x.sock\",\"timeout\":1}"), OK, NULL },
    { REQ("socket.connect", "{\"host\":\"::1\",\"port\":65535,\"family\":6,\"localPort\":0}"), OK,
      NULL },
    { REQ("blocklist.add", "{\"rules\":[{\"kind\":\"address\",\"address\":\"::ffff:1.2.3.4\"}]}"),
      OK, NULL },
    { REQ("blocklist.remove",
          "{\"server\":\"web\",\"rules\":[{\"kind\":\"subnet\",\"net\":"
          "\"2001:db8::\",\"prefix\":128,\"type\":\"ipv6\"}]}"),
      OK, NULL },
    { REQ("blocklist.list", "{\"server\":\"web\"}"), OK, NULL },
    { REQ("blocklist.check", "{\"address\":\"::1\",\"type\":\"ipv6\"}"), OK, NULL },
    { "{\"id\":1,\"op\":\"fd.store\",\"args\":{\"name\":\" ~!x\"},\"fds\":1}", OK, NULL },
    { REQ("fd.retrieve", "{\"name\":\"x\"}"), OK, NULL },
    { REQ("fd.list", "{}"), OK, NULL },
    { REQ("fd.remove", "{\"name\":\"x\"}"), OK, NULL },
    { REQ("events.subscribe", "{}"), OK, NULL },
    { REQ("events.unsubscribe", "{\"server\":\"web\"}"), OK, NULL },
    { REQ("stats", "{}"), OK, NULL },
    { REQ("daemon.reload", "{}"), OK, NULL },
    { REQ("daemon.shutdown", "{}"), OK, NULL },
    { REQ("takeover.begin", "{}"), OK, NULL },
    { REQ("takeover.next", "{}"), OK, NULL },
    { REQ("takeover.commit", "{}"), OK, NULL },
    { REQ("takeover.abort", "{}"), OK, NULL },
};

static void test_ops_good_requests(void **state)
{
    (void)state;
    run_cases(good, sizeof(good) / sizeof(good[0]));
}

/* Each kind of error, for each kind of argument, with Node's wording. */
static const case_t bad[] = {
    /* Operation and fds. */
    { "{\"id\":1,\"op\":\"server.open\"}", E(UNKNOWN_OP), "Unknown operation 'server.open'" },
    { "{\"id\":1,\"op\":\"fd.store\",\"args\":{\"name\":\"x\"}}", E(PROTO_FD_COUNT),
      "fd.store takes 1 file descriptors, the request carries 0" },
    { "{\"id\":1,\"op\":\"fd.store\",\"args\":{\"name\":\"x\"},\"fds\":2}", E(PROTO_FD_COUNT),
      NULL },
    { "{\"id\":1,\"op\":\"daemon.shutdown\",\"fds\":1}", E(PROTO_FD_COUNT), NULL },
    /* Unknown members, at every depth. */
    { REQ("server.create", "{\"name\":\"w\",\"port\":1,\"maxConnection\":5}"), E(INVALID_ARG_VALUE),
      "The property 'args.maxConnection' is not accepted by server.create" },
    { REQ("takeover.begin", "{\"force\":true}"), E(INVALID_ARG_VALUE),
      "The property 'args.force' is not accepted by takeover.begin" },
    { REQ("blocklist.add", "{\"rules\":[{\"kind\":\"address\",\"address\":\"1.2.3.4\",\"x\":1}]}"),
      E(INVALID_ARG_VALUE), "The property 'args.rules[0].x' is not accepted by a blocklist rule" },
    /* Missing. */
    { REQ("hello", "{}"), E(MISSING_ARGS), "The \"args.version\" argument must be specified" },
    { "{\"id\":1,\"op\":\"server.info\"}", E(MISSING_ARGS),
      "The \"args.name\" argument must be specified" },
    { REQ("server.create", "{\"port\":1}"), E(MISSING_ARGS), NULL },
    { REQ("server.create", "{\"name\":\"w\"}"), E(MISSING_ARGS),
      "The \"args.port\" or \"args.path\" argument must be specified" },
    { REQ("blocklist.add", "{\"server\":\"w\"}"), E(MISSING_ARGS), NULL },
    { REQ("blocklist.check", "{}"), E(MISSING_ARGS), NULL },
    { REQ("blocklist.add", "{\"rules\":[{\"address\":\"1.2.3.4\"}]}"), E(MISSING_ARGS),
      "The \"args.rules[0].kind\" argument must be specified" },
    { REQ("blocklist.add", "{\"rules\":[{\"kind\":\"subnet\",\"net\":\"::\"}]}"), E(MISSING_ARGS),
      "The \"args.rules[0].prefix\" argument must be specified" },
    { REQ("blocklist.add", "{\"rules\":[{\"kind\":\"range\",\"start\":\"::\"}]}"), E(MISSING_ARGS),
      NULL },
    { REQ("server.set", "{\"name\":\"w\",\"access\":[{\"uid\":1}]}"), E(MISSING_ARGS),
      "The \"args.access[0].allow\" argument must be specified" },
    { REQ("server.set", "{\"name\":\"w\",\"access\":[{\"allow\":[\"read\"]}]}"), E(MISSING_ARGS),
      "The \"args.access[0].uid\" or \"args.access[0].gid\" argument must be specified" },
    { REQ("fd.retrieve", "{}"), E(MISSING_ARGS), NULL },
    /* Types. */
    { REQ("hello", "{\"version\":1.0}"), E(INVALID_ARG_TYPE),
      "The \"args.version\" property must be of type integer. Received type number (1)" },
    { REQ("hello", "{\"version\":null}"), E(INVALID_ARG_TYPE),
      "The \"args.version\" property must be of type integer. Received null" },
    { REQ("server.info", "{\"name\":7}"), E(INVALID_ARG_TYPE),
      "The \"args.name\" property must be of type string. Received type number (7)" },
    { REQ("server.create", "{\"name\":\"w\",\"port\":1,\"exclusive\":\"true\"}"),
      E(INVALID_ARG_TYPE),
      "The \"args.exclusive\" property must be of type boolean. Received type string ('true')" },
    { REQ("server.create", "{\"name\":\"w\",\"port\":1,\"exclusive\":1}"), E(INVALID_ARG_TYPE),
      NULL },
    { REQ("server.create", "{\"name\":\"w\",\"port\":1,\"mode\":[\"dispatch\"]}"),
      E(INVALID_ARG_TYPE),
      "The \"args.mode\" property must be of type string. Received an instance of Array" },
    { REQ("server.set", "{\"name\":\"w\",\"maxConnections\":\"5\"}"), E(INVALID_ARG_TYPE),
      "The \"args.maxConnections\" property must be of type integer or null. Received type "
      "string ('5')" },
    { REQ("server.set", "{\"name\":\"w\",\"queueLimit\":null}"), E(INVALID_ARG_TYPE), NULL },
    { REQ("server.set", "{\"name\":\"w\",\"blocklist\":{}}"), E(INVALID_ARG_TYPE),
      "The \"args.blocklist\" property must be of type array. Received an instance of Object" },
    { REQ("server.set", "{\"name\":\"w\",\"blocklist\":[\"10.0.0.1\"]}"), E(INVALID_ARG_TYPE),
      "The \"args.blocklist[0]\" property must be of type object. Received type string "
      "('10.0.0.1')" },
    { REQ("events.subscribe", "{\"events\":[\"drop\",4]}"), E(INVALID_ARG_TYPE),
      "The \"args.events[1]\" property must be of type string. Received type number (4)" },
    /* Ranges. */
    { REQ("hello", "{\"version\":0}"), E(OUT_OF_RANGE),
      "The value of \"args.version\" is out of range. It must be >= 1 && <= 2147483647. "
      "Received 0" },
    { REQ("server.create", "{\"name\":\"w\",\"port\":-1}"), E(SOCKET_BAD_PORT),
      "args.port should be >= 0 and < 65536. Received type number (-1)." },
    { REQ("socket.connect", "{\"port\":0}"), E(SOCKET_BAD_PORT),
      "args.port should be > 0 and < 65536. Received type number (0)." },
    { REQ("socket.connect", "{\"port\":1,\"localPort\":65536}"), E(SOCKET_BAD_PORT), NULL },
    { REQ("server.create", "{\"name\":\"w\",\"port\":1,\"backlog\":2147483648}"), E(OUT_OF_RANGE),
      NULL },
    { REQ("socket.connect", "{\"port\":1,\"autoSelectFamilyAttemptTimeout\":0}"), E(OUT_OF_RANGE),
      NULL },
    { "{\"id\":1,\"op\":\"fd.store\",\"args\":{\"name\":\"x\",\"timeout\":0},\"fds\":1}",
      E(OUT_OF_RANGE), NULL },
    { REQ("server.set", "{\"name\":\"w\",\"queueTimeout\":3600001}"), E(OUT_OF_RANGE), NULL },
    { REQ("events.subscribe", "{\"events\":[]}"), E(OUT_OF_RANGE),
      "The value of \"args.events.length\" is out of range. It must be >= 1 && <= 5. Received 0" },
    { REQ("server.set", "{\"name\":\"w\",\"access\":[{\"uid\":4294967295,\"allow\":[\"read\"]}]}"),
      E(OUT_OF_RANGE), NULL },
    { REQ("blocklist.add", "{\"rules\":[{\"kind\":\"subnet\",\"net\":\"::\",\"prefix\":129}]}"),
      E(OUT_OF_RANGE), NULL },
    /* Values: names, hosts, addresses, paths, enums, families. */
    { REQ("server.info", "{\"name\":\"\"}"), E(INVALID_ARG_VALUE), NULL },
    { REQ("server.info", "{\"name\":\"-web\"}"), E(INVALID_ARG_VALUE), NULL },
    { REQ("server.info", "{\"name\":\"a b\"}"), E(INVALID_ARG_VALUE), NULL },
    { REQ("server.info", "{\"name\":\"caf\\u00e9\"}"), E(INVALID_ARG_VALUE), NULL },
    { REQ("server.info", "{\"name\":\"" S64 "x\"}"), E(INVALID_ARG_VALUE),
      "The property 'args.name' must be a server name (1 to 64 of A-Z a-z 0-9 . _ -, not "
      "starting with . or -). Received type string ('a123456789a123456789a1234...')" },
    { REQ("fd.remove", "{\"name\":\"\"}"), E(INVALID_ARG_VALUE), NULL },
    { REQ("fd.remove", "{\"name\":\"a\\u0001\"}"), E(INVALID_ARG_VALUE), NULL },
    { REQ("fd.remove", "{\"name\":\"a\\u007f\"}"), E(INVALID_ARG_VALUE), NULL },
    { REQ("fd.remove", "{\"name\":\"" S64 S64 S64 S64 "\"}"), E(INVALID_ARG_VALUE), NULL },
    { REQ("server.create", "{\"name\":\"w\",\"port\":1,\"host\":\"bad host\"}"),
      E(INVALID_ARG_VALUE), NULL },
    { REQ("server.create", "{\"name\":\"w\",\"port\":1,\"host\":\"-a.example\"}"),
      E(INVALID_ARG_VALUE), NULL },
    { REQ("server.create", "{\"name\":\"w\",\"port\":1,\"host\":\"fe80::1%\"}"),
      E(INVALID_ARG_VALUE), NULL },
    { REQ("socket.connect", "{\"port\":1,\"localAddress\":\"localhost\"}"), E(INVALID_ARG_VALUE),
      "The property 'args.localAddress' must be an IPv4 or IPv6 address. Received type string "
      "('localhost')" },
    { REQ("server.create", "{\"name\":\"w\",\"path\":\"run/w.sock\"}"), E(INVALID_ARG_VALUE),
      NULL },
    { REQ("server.create", "{\"name\":\"w\",\"path\":\"@\"}"), E(INVALID_ARG_VALUE), NULL },
    { REQ("server.create", "{\"name\":\"w\",\"path\":\"/" S64 S64 "\"}"), E(INVALID_ARG_VALUE),
      NULL },
    { REQ("server.create", "{\"name\":\"w\",\"port\":1,\"mode\":\"Dispatch\"}"),
      E(INVALID_ARG_VALUE),
      "The property 'args.mode' must be one of: 'acquire', 'dispatch'. Received type string "
      "('Dispatch')" },
    { REQ("server.set", "{\"name\":\"w\",\"access\":[{\"uid\":0,\"allow\":[\"admin\"]}]}"),
      E(INVALID_ARG_VALUE), NULL },
    { REQ("blocklist.check", "{\"address\":\"1.2.3.4\",\"type\":\"ipv6\"}"), E(INVALID_ARG_VALUE),
      "The property 'args.address' must be an address of type 'ipv6'. Received '1.2.3.4'" },
    { REQ("blocklist.check", "{\"address\":\"1.2.3.4\",\"type\":\"IPv4\"}"), E(INVALID_ARG_VALUE),
      NULL },
    /* Members allowed only with others, and alternatives. */
    { REQ("server.create", "{\"name\":\"w\",\"path\":\"/x\",\"host\":\"::\"}"),
      E(INVALID_ARG_VALUE), "The property 'args.host' is only allowed with 'args.port'" },
    { REQ("server.create", "{\"name\":\"w\",\"path\":\"/x\",\"ipv6Only\":false}"),
      E(INVALID_ARG_VALUE), NULL },
    { REQ("server.create", "{\"name\":\"w\",\"port\":1,\"writableAll\":true}"),
      E(INVALID_ARG_VALUE), NULL },
    { REQ("server.create", "{\"name\":\"w\",\"port\":1,\"mode\":\"acquire\",\"blocklist\":[]}"),
      E(INVALID_ARG_VALUE),
      "The property 'args.blocklist' is only allowed when 'args.mode' is 'dispatch'" },
    { REQ("socket.connect", "{\"port\":1,\"path\":\"/x\"}"), E(INVALID_ARG_VALUE), NULL },
    { REQ("server.set", "{\"name\":\"w\",\"access\":[{\"uid\":0,\"gid\":0,\"allow\":[\"read\"]}]}"),
      E(INVALID_ARG_VALUE),
      "The properties 'args.access[0].uid' and 'args.access[0].gid' are mutually exclusive" },
    { REQ("blocklist.add", "{\"rules\":[{\"kind\":\"address\",\"address\":\"::\",\"prefix\":1}]}"),
      E(INVALID_ARG_VALUE), NULL },
    /* Members that contradict each other. */
    { REQ("blocklist.add",
          "{\"rules\":[{\"kind\":\"range\",\"start\":\"::1\",\"end\":\"1.2.3.4\"}]}"),
      E(INVALID_ARG_VALUE),
      "The property 'args.rules[0].end' must be an IPv6 address. Received '1.2.3.4'" },
    { REQ("blocklist.add", "{\"rules\":[{\"kind\":\"range\",\"start\":\"::2\",\"end\":\"::1\"}]}"),
      E(INVALID_ARG_VALUE), NULL },
    { REQ("blocklist.add", "{\"rules\":[{\"kind\":\"subnet\",\"net\":\"1.0.0.0\",\"prefix\":33}]}"),
      E(OUT_OF_RANGE), NULL },
};

static void test_ops_bad_requests(void **state)
{
    (void)state;
    run_cases(bad, sizeof(bad) / sizeof(bad[0]));
}

/* ---- The sweep: every argument of every operation, broken each way ------------------- */

/* The "good" case of op: the first one of the table. */
static json_t *base_args(const nb_proto_op_t *op)
{
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        json_t *msg = json_loads(good[i].request, 0, NULL);
        assert_non_null(msg);
        if (strcmp(json_string_value(json_object_get(msg, "op")), op->name) == 0) {
            json_t *args = json_object_get(msg, "args");
            args = args != NULL ? json_deep_copy(args) : json_object();
            json_decref(msg);
            return args;
        }
        json_decref(msg);
    }
    fail_msg("no good request for %s", op->name);
    return NULL;
}

/* Validates args as op's, expecting code. Steals args. */
static void expect(const nb_proto_op_t *op, json_t *args, int code, const char *what)
{
    nb_proto_request_t req = { .id = 3, .op = op->name, .args = args, .nfds = op->fds_in };
    nb_proto_error_t err = { .code = 0 };
    int rc = nb_proto_request_validate(&req, NULL, NULL, &err);

    if (rc != code) {
        char *s = json_dumps(args, JSON_COMPACT);
        fail_msg("%s %s (%s): got %s (%s), want %s", op->name, s, what, nb_proto_err_name(rc),
                 rc != 0 ? err.message : "", nb_proto_err_name(code));
    }
    json_decref(args);
}

/* A value of the wrong JSON type for f. */
static json_t *wrong_type(const nb_proto_field_t *f)
{
    switch (f->type) {
    case NB_PROTO_T_BOOL:
    case NB_PROTO_T_INT:
        return json_string("1");
    case NB_PROTO_T_STRING:
    case NB_PROTO_T_ENUM:
        return json_integer(1);
    default:
        return json_true();
    }
}

/* What 9.1.2 says a present member that passes its own checks gets, when its "when" may
 * not hold in args: ERR_INVALID_ARG_VALUE, else `code`. */
static int when_code(const nb_proto_field_t *f, const json_t *args, int code)
{
    const json_t *s = f->when != NULL ? json_object_get(args, f->when) : NULL;

    if (f->when == NULL) {
        return code;
    }
    if (s == NULL || (f->when_is != NULL && strcmp(json_string_value(s), f->when_is) != 0)) {
        return NB_PROTO_ERR_INVALID_ARG_VALUE;
    }
    return code;
}

static void sweep_field(const nb_proto_op_t *op, const json_t *base, const nb_proto_field_t *f)
{
    json_t *a;

    a = json_deep_copy(base);
    json_object_set_new(a, f->name, wrong_type(f));
    expect(op, a, when_code(f, base, NB_PROTO_ERR_INVALID_ARG_TYPE), "wrong type");
    if (!(f->flags & NB_PROTO_F_NULLABLE)) {
        a = json_deep_copy(base);
        json_object_set_new(a, f->name, json_null());
        expect(op, a, when_code(f, base, NB_PROTO_ERR_INVALID_ARG_TYPE), "null");
    }
    if ((f->flags & NB_PROTO_F_REQUIRED) && f->when == NULL) {
        a = json_deep_copy(base);
        json_object_del(a, f->name);
        expect(op, a, NB_PROTO_ERR_MISSING_ARGS, "absent");
    }
    if (f->type == NB_PROTO_T_INT && f->check != NB_PROTO_V_FAMILY) {
        int range = f->range_code != 0 ? f->range_code : NB_PROTO_ERR_OUT_OF_RANGE;
        a = json_deep_copy(base);
        json_object_set_new(a, f->name, json_integer(f->max + 1));
        expect(op, a, when_code(f, base, range), "above max");
        a = json_deep_copy(base);
        json_object_set_new(a, f->name, json_integer(f->min - 1));
        expect(op, a, when_code(f, base, range), "below min");
    }
    if (f->type == NB_PROTO_T_ENUM || (f->type == NB_PROTO_T_STRING && f->check != 0)) {
        a = json_deep_copy(base);
        json_object_set_new(a, f->name, json_string("\t:"));
        expect(op, a, when_code(f, base, NB_PROTO_ERR_INVALID_ARG_VALUE), "bad value");
    }
}

static void test_ops_sweep(void **state)
{
    (void)state;
    int checked = 0;

    for (int i = 0; i < NB_PROTO_OP_COUNT; i++) {
        const nb_proto_op_t *op = nb_proto_op_get(i);
        json_t *base = base_args(op), *a = json_deep_copy(base);

        expect(op, json_deep_copy(base), 0, "base");
        json_object_set_new(a, "zzz", json_true());
        expect(op, a, op->args->open ? 0 : NB_PROTO_ERR_INVALID_ARG_VALUE, "unknown member");
        for (size_t k = 0; k < op->args->nfields; k++) {
            sweep_field(op, base, &op->args->fields[k]);
            checked++;
        }
        json_decref(base);
    }
    assert_true(checked >= 50);
}
/* Every good request, decoded then built, gives a request that decodes to the same build. */
static void test_ops_build_round_trip(void **state)
{
    (void)state;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        json_t *msg = json_loads(good[i].request, 0, NULL);
        nb_proto_request_t req;
        nb_proto_error_t err;
        const nb_proto_op_t *op;
        nb_proto_args_t a;
        json_t *once = NULL, *twice = NULL;

        assert_int_equal(nb_proto_request_parse(msg, &req, &err), 0);
        assert_int_equal(nb_proto_request_validate(&req, &op, &a, &err), 0);
        assert_int_equal(nb_proto_request_build(9, op->id, &a, &once, &err), 0);
        req.args = json_object_get(once, "args");
        assert_int_equal(nb_proto_request_validate(&req, &op, &a, &err), 0);
        assert_int_equal(nb_proto_request_build(9, op->id, &a, &twice, &err), 0);
        if (!json_equal(once, twice)) {
            fail_msg("round trip of %s differs", good[i].request);
        }
        json_decref(once);
        json_decref(twice);
        json_decref(msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_good_requests),
        cmocka_unit_test(test_ops_bad_requests),
        cmocka_unit_test(test_ops_sweep),
        cmocka_unit_test(test_ops_build_round_trip),
    };
    return cmocka_run_group_tests_name("proto_ops", tests, NULL, NULL);
}
