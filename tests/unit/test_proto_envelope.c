/* test_proto_envelope.c: reply, event and request builders (exact bytes on the wire) and
 * the validation of a request's envelope. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nbproto.h"
#include "test_proto_util.h"

/* Checks that j serialises to exactly `want`, then drops it. */
static void assert_json(json_t *j, const char *want)
{
    char *s = json_dumps(j, JSON_COMPACT);
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
    json_decref(j);
}

static void test_envelope_reply_ok(void **state)
{
    (void)state;
    json_t *j = NULL;

    assert_int_equal(nb_proto_reply_ok(7, json_pack("{s:i}", "a", 1), &j), 0);
    assert_json(j, "{\"id\":7,\"ok\":true,\"result\":{\"a\":1}}");
    assert_int_equal(nb_proto_reply_ok(0, NULL, &j), 0);
    assert_json(j, "{\"id\":0,\"ok\":true,\"result\":{}}");
    assert_int_equal(nb_proto_reply_ok(NB_PROTO_ID_MAX, NULL, &j), 0);
    assert_json(j, "{\"id\":9007199254740991,\"ok\":true,\"result\":{}}");
    /* Refused, and the result is still taken (ASan would see a leak otherwise). */
    assert_int_equal(nb_proto_reply_ok(-1, json_object(), &j), -EINVAL);
    assert_int_equal(nb_proto_reply_ok(NB_PROTO_ID_MAX + 1, NULL, &j), -EINVAL);
    assert_int_equal(nb_proto_reply_ok(1, json_array(), &j), -EINVAL);
    assert_int_equal(nb_proto_reply_ok(1, NULL, NULL), -EINVAL);
}

static void test_envelope_reply_error(void **state)
{
    (void)state;
    json_t *j = NULL;

    assert_int_equal(nb_proto_reply_error(7, "EACCES", "permission denied", &j), 0);
    assert_json(j, "{\"id\":7,\"ok\":false,\"error\":{\"code\":\"EACCES\","
                   "\"message\":\"permission denied\"}}");
    assert_int_equal(nb_proto_reply_error(-1, "ERR_PROTO_PARSE", NULL, &j), 0);
    assert_json(j, "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"ERR_PROTO_PARSE\","
                   "\"message\":\"Message is not one JSON object\"}}");
    assert_int_equal(nb_proto_reply_error(1, "ERR_SERVER_ALREADY_LISTEN", "x", &j), 0);
    json_decref(j);
    assert_int_equal(nb_proto_reply_error(1, "eacces", "x", &j), -EINVAL);
    assert_int_equal(nb_proto_reply_error(1, "", "x", &j), -EINVAL);
    assert_int_equal(nb_proto_reply_error(1, NULL, "x", &j), -EINVAL);
    assert_int_equal(nb_proto_reply_error(1, "EACCES", "bad \xff", &j), -EINVAL);
    assert_int_equal(nb_proto_reply_error(NB_PROTO_ID_MAX + 1, "EACCES", "x", &j), -EINVAL);
}

static void test_envelope_reply_from_error(void **state)
{
    (void)state;
    nb_proto_error_t e = { .code = NB_PROTO_ERR_PROTO_FDS, .fatal = true, .id = 3 };
    json_t *j = NULL;

    strcpy(e.message, "too few");
    assert_int_equal(nb_proto_reply_from_error(&e, &j), 0);
    assert_json(j, "{\"id\":3,\"ok\":false,\"error\":{\"code\":\"ERR_PROTO_FDS\","
                   "\"message\":\"too few\"}}");
    e.code = -ENOENT;
    e.id = -1;
    assert_int_equal(nb_proto_reply_from_error(&e, &j), 0);
    assert_json(j, "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"ENOENT\","
                   "\"message\":\"too few\"}}");
    assert_int_equal(nb_proto_reply_from_error(NULL, &j), -EINVAL);
}

static void test_envelope_event(void **state)
{
    (void)state;
    json_t *j = NULL;

    assert_int_equal(
        nb_proto_event_new("drop", json_pack("{s:s,s:i}", "server", "web", "n", 2), &j), 0);
    assert_json(j, "{\"event\":\"drop\",\"server\":\"web\",\"n\":2}");
    assert_int_equal(nb_proto_event_new("server.close", NULL, &j), 0);
    assert_json(j, "{\"event\":\"server.close\"}");
    assert_int_equal(nb_proto_event_new("drop", json_pack("{s:i}", "id", 1), &j), -EINVAL);
    assert_int_equal(nb_proto_event_new("drop", json_pack("{s:i}", "fds", 1), &j), -EINVAL);
    assert_int_equal(nb_proto_event_new("drop", json_pack("{s:b}", "ok", 1), &j), -EINVAL);
    assert_int_equal(nb_proto_event_new("Drop", NULL, &j), -EINVAL);
    assert_int_equal(nb_proto_event_new("drop", json_array(), &j), -EINVAL);
}

static void test_envelope_request_new(void **state)
{
    (void)state;
    json_t *j = NULL;

    assert_int_equal(nb_proto_request_new(1, "hello", json_pack("{s:i}", "version", 1), &j), 0);
    assert_json(j, "{\"id\":1,\"op\":\"hello\",\"args\":{\"version\":1}}");
    assert_int_equal(nb_proto_request_new(2, "server.list", NULL, &j), 0);
    assert_json(j, "{\"id\":2,\"op\":\"server.list\"}");
    assert_int_equal(nb_proto_request_new(-1, "hello", NULL, &j), -EINVAL);
    assert_int_equal(nb_proto_request_new(1, "", NULL, &j), -EINVAL);
    assert_int_equal(nb_proto_request_new(1, "hello", json_array(), &j), -EINVAL);
}

static void test_envelope_name_valid(void **state)
{
    (void)state;
    char long_name[NB_PROTO_NAME_MAX + 2];

    assert_true(nb_proto_name_valid("hello"));
    assert_true(nb_proto_name_valid("server.create"));
    assert_true(nb_proto_name_valid("fd.store-put_2"));
    assert_false(nb_proto_name_valid(""));
    assert_false(nb_proto_name_valid(NULL));
    assert_false(nb_proto_name_valid("1abc"));
    assert_false(nb_proto_name_valid(".abc"));
    assert_false(nb_proto_name_valid("Hello"));
    assert_false(nb_proto_name_valid("a b"));
    assert_false(nb_proto_name_valid("caf\xc3\xa9"));
    memset(long_name, 'a', sizeof(long_name));
    long_name[NB_PROTO_NAME_MAX] = '\0';
    assert_true(nb_proto_name_valid(long_name));
    long_name[NB_PROTO_NAME_MAX] = 'a';
    long_name[NB_PROTO_NAME_MAX + 1] = '\0';
    assert_false(nb_proto_name_valid(long_name));
}

/* Parses text and validates it as a request, expecting `code` and (on error) `id`. */
static void check_request(const char *text, int code, int64_t id)
{
    json_error_t jerr;
    json_t *msg = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    nb_proto_request_t req = { .id = -2 };
    nb_proto_error_t err = { .code = 0 };

    assert_non_null(msg);
    int rc = nb_proto_request_parse(msg, &req, &err);
    if (rc != code) {
        fail_msg("%s: got %d (%s), want %d", text, rc, err.message, code);
    }
    if (code == 0) {
        assert_int_equal(req.id, id);
    } else {
        assert_int_equal(err.code, code);
        assert_int_equal(err.id, id);
        assert_false(err.fatal);
        assert_int_equal(req.id, -2);
    }
    json_decref(msg);
}

static void test_envelope_request_parse_ok(void **state)
{
    (void)state;
    json_t *msg =
        json_loads("{\"id\":5,\"op\":\"server.create\",\"args\":{\"a\":1},\"fds\":2}", 0, NULL);
    nb_proto_request_t req;
    nb_proto_error_t err;

    assert_int_equal(nb_proto_request_parse(msg, &req, &err), 0);
    assert_int_equal(req.id, 5);
    assert_string_equal(req.op, "server.create");
    assert_true(json_is_object(req.args));
    assert_int_equal(req.nfds, 2);
    assert_int_equal(nb_proto_request_parse(msg, NULL, &err), -EINVAL);
    json_decref(msg);
    check_request("{\"id\":0,\"op\":\"hello\"}", 0, 0);
    check_request("{\"op\":\"hello\",\"id\":9007199254740991}", 0, NB_PROTO_ID_MAX);
    check_request("{\"id\":-0,\"op\":\"hello\",\"fds\":0}", 0, 0);
    assert_int_equal(nb_proto_request_parse(NULL, &req, &err), NB_PROTO_ERR_PROTO_PARSE);
}

static void test_envelope_request_parse_errors(void **state)
{
    (void)state;
    check_request("{\"op\":\"hello\"}", NB_PROTO_ERR_MISSING_ARGS, -1);
    check_request("{\"id\":\"1\",\"op\":\"hello\"}", NB_PROTO_ERR_INVALID_ARG_TYPE, -1);
    check_request("{\"id\":1.0,\"op\":\"hello\"}", NB_PROTO_ERR_INVALID_ARG_TYPE, -1);
    check_request("{\"id\":1e3,\"op\":\"hello\"}", NB_PROTO_ERR_INVALID_ARG_TYPE, -1);
    check_request("{\"id\":null,\"op\":\"hello\"}", NB_PROTO_ERR_INVALID_ARG_TYPE, -1);
    check_request("{\"id\":true,\"op\":\"hello\"}", NB_PROTO_ERR_INVALID_ARG_TYPE, -1);
    check_request("{\"id\":-1,\"op\":\"hello\"}", NB_PROTO_ERR_OUT_OF_RANGE, -1);
    check_request("{\"id\":9007199254740992,\"op\":\"hello\"}", NB_PROTO_ERR_OUT_OF_RANGE, -1);
    check_request("{\"id\":9223372036854775807,\"op\":\"x\"}", NB_PROTO_ERR_OUT_OF_RANGE, -1);
    check_request("{\"id\":4}", NB_PROTO_ERR_MISSING_ARGS, 4);
    check_request("{\"id\":4,\"op\":7}", NB_PROTO_ERR_INVALID_ARG_TYPE, 4);
    check_request("{\"id\":4,\"op\":\"\"}", NB_PROTO_ERR_UNKNOWN_OP, 4);
    check_request("{\"id\":4,\"op\":\"No Such\"}", NB_PROTO_ERR_UNKNOWN_OP, 4);
    check_request("{\"id\":4,\"op\":\"a\\u00e9\"}", NB_PROTO_ERR_UNKNOWN_OP, 4);
    check_request("{\"id\":4,\"op\":\"hello\",\"args\":[]}", NB_PROTO_ERR_INVALID_ARG_TYPE, 4);
    check_request("{\"id\":4,\"op\":\"hello\",\"args\":null}", NB_PROTO_ERR_INVALID_ARG_TYPE, 4);
    check_request("{\"id\":4,\"op\":\"hello\",\"fds\":17}", NB_PROTO_ERR_PROTO_FDS, 4);
    check_request("{\"id\":4,\"op\":\"hello\",\"fds\":\"1\"}", NB_PROTO_ERR_PROTO_FDS, 4);
    check_request("{\"id\":4,\"op\":\"hello\",\"arg\":{}}", NB_PROTO_ERR_INVALID_ARG_VALUE, 4);
    check_request("{\"id\":4,\"op\":\"hello\",\"ok\":true}", NB_PROTO_ERR_INVALID_ARG_VALUE, 4);
}

/* The message quotes an unknown key: cut to fit, it must stay valid UTF-8 so that the
 * reply can carry it. */
static void test_envelope_error_message_utf8(void **state)
{
    (void)state;
    char text[400];
    nb_proto_request_t req;
    nb_proto_error_t err;
    json_t *reply = NULL;

    strcpy(text, "{\"id\":1,\"op\":\"a\",\"");
    for (int i = 0; i < 40; i++) {
        strcat(text, "\xe2\x82\xac");
    }
    strcat(text, "\":1}");
    json_t *msg = json_loads(text, 0, NULL);
    assert_non_null(msg);
    assert_int_equal(nb_proto_request_parse(msg, &req, &err), NB_PROTO_ERR_INVALID_ARG_VALUE);
    assert_int_equal(nb_proto_reply_from_error(&err, &reply), 0);
    json_decref(reply);
    json_decref(msg);
}

int main(void)
{
    /* One test a line, as in the other test files. */
    /* clang-format off */
    const struct CMUnitTest tests[] = {
        FD_TEST(test_envelope_reply_ok),
        FD_TEST(test_envelope_reply_error),
        FD_TEST(test_envelope_reply_from_error),
        FD_TEST(test_envelope_event),
        FD_TEST(test_envelope_request_new),
        FD_TEST(test_envelope_name_valid),
        FD_TEST(test_envelope_request_parse_ok),
        FD_TEST(test_envelope_request_parse_errors),
        FD_TEST(test_envelope_error_message_utf8),
    };
    /* clang-format on */
    return cmocka_run_group_tests_name("proto_envelope", tests, NULL, NULL);
}
