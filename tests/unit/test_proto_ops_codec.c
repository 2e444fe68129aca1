/* test_proto_ops_codec.c: what surrounds validation (nbproto_ops.h): decoding into the
 * typed structs, the request builders, the client's checks of replies and events, and the
 * consistency of the operation table itself. */
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

#define REQ(op, args) "{\"id\":1,\"op\":\"" op "\",\"args\":" args "}"

/* ---- Decoding into the typed structs ------------------------------------------------- */

static void test_ops_decode_server_create(void **state)
{
    (void)state;
    nb_proto_args_t a;
    nb_proto_error_t err;
    nb_proto_rule_t rule;
    json_t *msg = NULL;

    assert_int_equal(
        run_keep(REQ("server.create", "{\"name\":\"web\",\"port\":8080,\"mode\":"
                                      "\"dispatch\",\"blocklist\":[{\"kind\":\"subnet\","
                                      "\"net\":\"2001:db8::\",\"prefix\":32}]}"),
                 &a, &err, &msg),
        0);
    const nb_proto_server_create_args_t *c = &a.server_create;
    assert_string_equal(c->name, "web");
    assert_null(c->host);
    assert_int_equal(c->port, 8080);
    assert_null(c->path);
    assert_int_equal(c->backlog, 511);
    assert_false(c->exclusive);
    assert_false(c->ipv6_only);
    assert_int_equal(c->mode, NB_PROTO_MODE_DISPATCH);
    assert_true(c->max_connections == NB_PROTO_NULL);
    assert_int_equal(c->queue_limit, 128);
    assert_int_equal(c->queue_timeout, 5000);
    assert_null(c->access);
    assert_int_equal(json_array_size(c->blocklist), 1);
    /* The daemon decodes each element of a validated array the same way. */
    const json_t *r = json_array_get(c->blocklist, 0);
    assert_int_equal(nb_proto_decode(&nb_proto_schema_rule, r, NULL, &rule, &err), 0);
    assert_int_equal(rule.kind, NB_PROTO_RULE_SUBNET);
    assert_int_equal(rule.type, NB_PROTO_IPV6);
    assert_int_equal(rule.prefix, 32);
    assert_string_equal(rule.net, "2001:db8::");
    assert_null(rule.address);
    json_decref(msg);
}

static void test_ops_decode_unset_null(void **state)
{
    (void)state;
    nb_proto_args_t a;
    nb_proto_error_t err;

    assert_int_equal(run(REQ("server.set", "{\"name\":\"w\",\"maxConnections\":null}"), &a, &err),
                     0);
    assert_true(a.server_set.max_connections == NB_PROTO_NULL);
    assert_true(a.server_set.queue_limit == NB_PROTO_UNSET);
    assert_null(a.server_set.blocklist);
    assert_int_equal(run(REQ("socket.connect", "{\"path\":\"/x\"}"), &a, &err), 0);
    assert_true(a.socket_connect.port == NB_PROTO_UNSET);
    assert_true(a.socket_connect.auto_select_family);
    assert_int_equal(a.socket_connect.timeout, 30000);
    assert_int_equal(a.socket_connect.family, 0);
    assert_int_equal(run(REQ("events.subscribe", "{}"), &a, &err), 0);
    assert_int_equal(a.events_subscribe.events, 0x1f);
    assert_int_equal(
        run(REQ("events.subscribe", "{\"events\":[\"drop\",\"error\",\"drop\"]}"), &a, &err), 0);
    assert_int_equal(a.events_subscribe.events,
                     (1u << NB_PROTO_EVENT_DROP) | (1u << NB_PROTO_EVENT_ERROR));
    assert_int_equal(run(REQ("blocklist.check", "{\"address\":\"::1\"}"), &a, &err), 0);
    assert_int_equal(a.blocklist_check.type, NB_PROTO_IPV6);
    assert_int_equal(
        run("{\"id\":1,\"op\":\"fd.store\",\"args\":{\"name\":\"x\"},\"fds\":1}", &a, &err), 0);
    assert_true(a.fd_store.timeout == NB_PROTO_UNSET);
    assert_false(a.fd_store.replace);
}

/* Outputs are written only on success (STYLE.md 3). */
static void test_ops_decode_untouched_on_error(void **state)
{
    (void)state;
    nb_proto_args_t a, before;
    nb_proto_error_t err;
    nb_proto_access_t acc;

    memset(&a, 0xa5, sizeof(a));
    before = a;
    assert_int_equal(
        run(REQ("server.create", "{\"name\":\"w\",\"port\":1,\"backlog\":-1}"), &a, &err),
        NB_PROTO_ERR_OUT_OF_RANGE);
    assert_memory_equal(&a, &before, sizeof(a));
    json_t *j = json_pack("{s:i,s:[s,s]}", "uid", 1000, "allow", "acquire", "manage");
    assert_int_equal(nb_proto_decode(&nb_proto_schema_access, j, "access", &acc, &err), 0);
    assert_int_equal(acc.uid, 1000);
    assert_true(acc.gid == NB_PROTO_UNSET);
    assert_int_equal(acc.allow, (1u << NB_PROTO_RIGHT_ACQUIRE) | (1u << NB_PROTO_RIGHT_MANAGE));
    json_t *arr = json_array();
    assert_int_equal(nb_proto_decode(&nb_proto_schema_access, arr, "x", &acc, &err),
                     NB_PROTO_ERR_INVALID_ARG_TYPE);
    json_decref(arr);
    assert_int_equal(nb_proto_decode(NULL, j, "x", &acc, &err), -EINVAL);
    json_decref(j);
}

/* ---- Building requests -------------------------------------------------------------- */

static void assert_built(int64_t id, nb_proto_op_id_t op, const void *args, const char *want)
{
    json_t *j = NULL;
    nb_proto_error_t err;

    assert_int_equal(nb_proto_request_build(id, op, args, &j, &err), 0);
    char *s = json_dumps(j, JSON_COMPACT);
    assert_string_equal(s, want);
    free(s);
    json_decref(j);
}

static void test_ops_build(void **state)
{
    (void)state;
    nb_proto_server_create_args_t c;
    nb_proto_events_subscribe_args_t ev;
    nb_proto_hello_args_t h = { .version = 1 };
    nb_proto_error_t err;
    json_t *j = NULL;

    assert_built(1, NB_PROTO_OP_HELLO, &h, "{\"id\":1,\"op\":\"hello\",\"args\":{\"version\":1}}");
    assert_built(2, NB_PROTO_OP_SERVER_LIST, NULL, "{\"id\":2,\"op\":\"server.list\"}");
    assert_int_equal(nb_proto_args_init(NB_PROTO_OP_SERVER_CREATE, &c), 0);
    c.name = "web";
    c.port = 8080;
    c.mode = NB_PROTO_MODE_DISPATCH;
    c.max_connections = 100;
    c.backlog = 511; /* the default: left out */
    assert_built(3, NB_PROTO_OP_SERVER_CREATE, &c,
                 "{\"id\":3,\"op\":\"server.create\",\"args\":{\"name\":\"web\",\"port\":8080,"
                 "\"mode\":\"dispatch\",\"maxConnections\":100}}");
    /* What the daemon would refuse is refused here, with the daemon's error. */
    c.path = "/run/web.sock";
    assert_int_equal(nb_proto_request_build(4, NB_PROTO_OP_SERVER_CREATE, &c, &j, &err),
                     NB_PROTO_ERR_INVALID_ARG_VALUE);
    assert_null(j);
    assert_string_equal(err.message, "The properties 'args.port' and 'args.path' are mutually "
                                     "exclusive");
    c.path = NULL;
    c.mode = 7;
    assert_int_equal(nb_proto_request_build(4, NB_PROTO_OP_SERVER_CREATE, &c, &j, NULL), -EINVAL);
    c.mode = NB_PROTO_MODE_ACQUIRE;
    assert_int_equal(nb_proto_request_build(4, NB_PROTO_OP_SERVER_CREATE, &c, &j, &err),
                     NB_PROTO_ERR_INVALID_ARG_VALUE); /* maxConnections without dispatch */
    c.max_connections = NB_PROTO_UNSET;
    c.name = "bad\xff";
    assert_int_equal(nb_proto_request_build(4, NB_PROTO_OP_SERVER_CREATE, &c, &j, NULL), -EINVAL);
    assert_int_equal(nb_proto_args_init(NB_PROTO_OP_EVENTS_SUBSCRIBE, &ev), 0);
    ev.events = (1u << NB_PROTO_EVENT_DROP) | (1u << NB_PROTO_EVENT_CLOSE);
    assert_built(
        5, NB_PROTO_OP_EVENTS_SUBSCRIBE, &ev,
        "{\"id\":5,\"op\":\"events.subscribe\",\"args\":{\"events\":[\"drop\",\"close\"]}}");
    ev.events = 1u << 9;
    assert_int_equal(nb_proto_request_build(6, NB_PROTO_OP_EVENTS_SUBSCRIBE, &ev, &j, NULL),
                     -EINVAL);
    assert_int_equal(nb_proto_request_build(6, NB_PROTO_OP_COUNT, NULL, &j, NULL), -EINVAL);
    assert_int_equal(nb_proto_args_init(NB_PROTO_OP_COUNT, &ev), -EINVAL);
    /* A required argument not set. */
    assert_int_equal(nb_proto_request_build(7, NB_PROTO_OP_SERVER_INFO, NULL, &j, &err),
                     NB_PROTO_ERR_MISSING_ARGS);
}

/* ---- Replies and events, as the client checks them ---------------------------------- */

typedef struct {
    nb_proto_op_id_t op;
    const char *reply;
    size_t nfds;
    int code;
} reply_case_t;

static const reply_case_t replies[] = {
    { NB_PROTO_OP_HELLO, "{\"id\":1,\"ok\":true,\"result\":{\"version\":1,\"capabilities\":[]}}", 0,
      OK },
    { NB_PROTO_OP_HELLO, "{\"id\":1,\"ok\":true,\"result\":{\"version\":1}}", 0, E(MISSING_ARGS) },
    { NB_PROTO_OP_HELLO, "{\"id\":1,\"ok\":true,\"result\":{\"version\":1,\"capabilities\":[1]}}",
      0, E(INVALID_ARG_TYPE) },
    { NB_PROTO_OP_HELLO,
      "{\"id\":1,\"ok\":true,\"result\":{\"version\":1,\"capabilities\":[\"X\"]}}", 0,
      E(INVALID_ARG_VALUE) },
    { NB_PROTO_OP_SERVER_ACQUIRE, "{\"id\":1,\"ok\":true,\"result\":{\"name\":\"w\"},\"fds\":1}", 1,
      OK },
    { NB_PROTO_OP_SERVER_ACQUIRE, "{\"id\":1,\"ok\":true,\"result\":{\"name\":\"w\"}}", 0,
      E(PROTO_FD_COUNT) },
    /* Members a newer daemon adds are ignored. */
    { NB_PROTO_OP_SERVER_INFO,
      "{\"id\":1,\"ok\":true,\"result\":{\"name\":\"w\",\"mode\":"
      "\"both\",\"listening\":false,\"new\":{}}}",
      0, OK },
    { NB_PROTO_OP_SERVER_INFO,
      "{\"id\":1,\"ok\":true,\"result\":{\"name\":\"w\",\"mode\":"
      "\"acquire\",\"listening\":false,\"port\":\"80\"}}",
      0, E(INVALID_ARG_TYPE) },
    { NB_PROTO_OP_TAKEOVER_NEXT, "{\"id\":1,\"ok\":true,\"result\":{\"done\":true}}", 0, OK },
    { NB_PROTO_OP_TAKEOVER_NEXT,
      "{\"id\":1,\"ok\":true,\"result\":{\"done\":false,\"kind\":"
      "\"fd\"},\"fds\":1}",
      1, E(MISSING_ARGS) },
    { NB_PROTO_OP_SERVER_INFO,
      "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"ERR_NOT_FOUND\","
      "\"message\":\"no\"}}",
      0, OK },
    { NB_PROTO_OP_SERVER_INFO, "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"ERR_NOT_FOUND\"}}", 0,
      E(PROTO_PARSE) },
    { NB_PROTO_OP_SERVER_INFO,
      "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"E\",\"message\":"
      "\"m\",\"x\":1}}",
      0, E(PROTO_PARSE) },
    { NB_PROTO_OP_FD_RETRIEVE,
      "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"E\",\"message\":"
      "\"m\"},\"fds\":1}",
      1, E(PROTO_FD_COUNT) },
    { NB_PROTO_OP_SERVER_CLOSE, "{\"id\":1,\"ok\":true}", 0, E(PROTO_PARSE) },
    { NB_PROTO_OP_SERVER_CLOSE, "{\"id\":1,\"ok\":1,\"result\":{}}", 0, E(PROTO_PARSE) },
    { NB_PROTO_OP_SERVER_CLOSE, "{\"id\":-1,\"ok\":true,\"result\":{}}", 0, E(PROTO_PARSE) },
    { NB_PROTO_OP_SERVER_CLOSE, "{\"id\":null,\"ok\":true,\"result\":{},\"event\":\"x\"}", 0,
      E(PROTO_PARSE) },
    { NB_PROTO_OP_SERVER_CLOSE,
      "{\"id\":1,\"ok\":false,\"result\":{},\"error\":{\"code\":\"E\","
      "\"message\":\"m\"}}",
      0, E(PROTO_PARSE) },
};

static const reply_case_t events[] = {
    { 0, "{\"event\":\"connection\",\"server\":\"w\",\"remotePort\":1,\"fds\":1}", 1, OK },
    { 0, "{\"event\":\"connection\",\"server\":\"w\"}", 2, E(PROTO_FD_COUNT) },
    { 0, "{\"event\":\"drop\",\"server\":\"w\"}", 0, E(MISSING_ARGS) },
    { 0, "{\"event\":\"drop\",\"server\":\"w\",\"reason\":\"new\",\"remoteFamily\":\"IPv5\"}", 0,
      E(INVALID_ARG_VALUE) },
    { 0, "{\"event\":\"close\",\"server\":\".w\"}", 0, E(INVALID_ARG_VALUE) },
    { 0, "{\"event\":\"error\",\"code\":\"EMFILE\",\"message\":\"m\"}", 0, OK },
    { 0, "{\"event\":\"listening\",\"id\":1,\"server\":\"w\"}", 0, E(PROTO_PARSE) },
    { 0, "{\"event\":\"Bad Name\"}", 0, E(PROTO_PARSE) },
    { 0, "{\"event\":\"from.the.future\",\"x\":[]}", 3, OK },
};

static void test_ops_replies_and_events(void **state)
{
    (void)state;
    const nb_proto_event_t *ev = NULL;

    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        nb_proto_error_t err = { .code = 0 };
        json_t *j = json_loads(replies[i].reply, 0, NULL);
        int rc = nb_proto_reply_validate(replies[i].op, j, replies[i].nfds, &err);
        if (rc != replies[i].code) {
            fail_msg("%s: got %s (%s)", replies[i].reply, nb_proto_err_name(rc), err.message);
        }
        json_decref(j);
    }
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        nb_proto_error_t err = { .code = 0 };
        json_t *j = json_loads(events[i].reply, 0, NULL);
        int rc = nb_proto_event_validate(j, events[i].nfds, &ev, &err);
        if (rc != events[i].code) {
            fail_msg("%s: got %s (%s)", events[i].reply, nb_proto_err_name(rc), err.message);
        }
        json_decref(j);
    }
    assert_null(ev); /* the last one: unknown, accepted, and said so */
    assert_int_equal(nb_proto_reply_validate(NB_PROTO_OP_COUNT, NULL, 0, NULL), -EINVAL);
}

/* ---- The table itself ---------------------------------------------------------------- */

static size_t field_size(const nb_proto_field_t *f)
{
    switch (f->type) {
    case NB_PROTO_T_BOOL:
        return sizeof(bool);
    case NB_PROTO_T_INT:
        return sizeof(int64_t);
    case NB_PROTO_T_ENUM:
        return sizeof(int);
    case NB_PROTO_T_ARRAY:
        return f->values != NULL ? sizeof(uint32_t) : sizeof(void *);
    default:
        return sizeof(void *);
    }
}

static void check_schema(const nb_proto_schema_t *s)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const nb_proto_field_t *f = &s->fields[i];
        assert_true(f->min <= f->max || f->type == NB_PROTO_T_BOOL || f->type == NB_PROTO_T_ENUM ||
                    f->type == NB_PROTO_T_OBJECT);
        assert_true(f->type != NB_PROTO_T_ENUM || f->values != NULL);
        /* A boolean without a default could not tell "not given" in its struct. */
        assert_true(s->size == 0 || f->type != NB_PROTO_T_BOOL || (f->flags & NB_PROTO_F_DEFAULT));
        if (s->size > 0) {
            assert_true(f->offset + field_size(f) <= s->size);
        }
        if ((f->flags & NB_PROTO_F_DEFAULT) && f->type == NB_PROTO_T_INT &&
            f->def != NB_PROTO_NULL) {
            assert_true(f->def >= f->min && f->def <= f->max);
        }
        for (size_t k = 0; k < i; k++) {
            assert_string_not_equal(f->name, s->fields[k].name);
            assert_true(s->size == 0 || f->offset != s->fields[k].offset);
        }
    }
}

static void test_ops_table(void **state)
{
    (void)state;
    json_t *caps = NULL;

    assert_int_equal(nb_proto_capabilities(&caps), 0);
    assert_int_equal(json_array_size(caps), NB_PROTO_OP_COUNT);
    for (int i = 0; i < NB_PROTO_OP_COUNT; i++) {
        const nb_proto_op_t *op = nb_proto_op_get(i);
        assert_int_equal(op->id, i);
        assert_true(nb_proto_name_valid(op->name));
        assert_ptr_equal(nb_proto_op_find(op->name), op);
        assert_string_equal(json_string_value(json_array_get(caps, (size_t)i)), op->name);
        assert_true(op->args->size <= sizeof(nb_proto_args_t));
        assert_true(op->fds_out_min <= op->fds_out_max && op->fds_out_max <= NB_PROTO_FDS_MAX);
        check_schema(op->args);
        check_schema(op->result);
        if (op->scope_arg != NULL) {
            bool found = false;
            for (size_t k = 0; k < op->args->nfields; k++) {
                found = found || strcmp(op->args->fields[k].name, op->scope_arg) == 0;
            }
            assert_true(found);
        }
        assert_string_not_equal(nb_proto_right_name(op->right), "");
    }
    json_decref(caps);
    for (int i = 0; i < NB_PROTO_EVENT_COUNT; i++) {
        assert_ptr_equal(nb_proto_event_find(nb_proto_event_get(i)->name), nb_proto_event_get(i));
        check_schema(nb_proto_event_get(i)->fields);
    }
    check_schema(&nb_proto_schema_rule);
    check_schema(&nb_proto_schema_access);
    assert_null(nb_proto_op_find("nope"));
    assert_null(nb_proto_op_find(NULL));
    assert_null(nb_proto_op_get(NB_PROTO_OP_COUNT));
    assert_null(nb_proto_event_get(-1));
    assert_string_equal(nb_proto_right_name(NB_PROTO_RIGHT_ADMIN), "admin");
    assert_string_equal(nb_proto_right_name((nb_proto_right_t)99), "none");
    assert_string_equal(nb_proto_err_name(NB_PROTO_ERR_PROTO_FD_COUNT), "ERR_PROTO_FD_COUNT");
    assert_int_equal(nb_proto_err_from_name("ERR_SOCKET_BAD_PORT"), NB_PROTO_ERR_SOCKET_BAD_PORT);
}

static void test_ops_names(void **state)
{
    (void)state;
    assert_true(nb_proto_server_name_valid("a"));
    assert_true(nb_proto_server_name_valid("9.x_Y-z"));
    assert_true(nb_proto_server_name_valid("_a"));
    assert_false(nb_proto_server_name_valid(".a"));
    assert_false(nb_proto_server_name_valid(NULL));
    assert_true(nb_proto_fd_name_valid("a b ~"));
    assert_false(nb_proto_fd_name_valid("a:b"));
    assert_false(nb_proto_fd_name_valid("a\tb"));
    assert_false(nb_proto_fd_name_valid(""));
    assert_false(nb_proto_fd_name_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_decode_server_create),
        cmocka_unit_test(test_ops_decode_unset_null),
        cmocka_unit_test(test_ops_decode_untouched_on_error),
        cmocka_unit_test(test_ops_build),
        cmocka_unit_test(test_ops_replies_and_events),
        cmocka_unit_test(test_ops_table),
        cmocka_unit_test(test_ops_names),
    };
    return cmocka_run_group_tests_name("proto_ops_codec", tests, NULL, NULL);
}
