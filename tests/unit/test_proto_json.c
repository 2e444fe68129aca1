/* test_proto_json.c: the reader's JSON parsing (its own plain-JSON path, json_fast.c, and
 * jansson behind it) gives exactly what json_loadb(JSON_REJECT_DUPLICATES) gives: the same
 * values, members in the same order, and the same verdict on every line it refuses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nbproto.h"

/* Plain JSON of every shape, edges of the plain subset, and what lies just outside it. */
static const char *const lines[] = {
    "{}",
    " \t{ }\r ",
    "{\"id\":1,\"op\":\"hello\",\"args\":{\"version\":1,\"client\":\"x\"}}",
    "{\"a\":[],\"b\":[1,[2,[3,{}]]],\"c\":{\"d\":{\"e\":null}}}",
    "{ \"a\" : true , \"b\" :false,\"c\":null }",
    "{\"\":\"\",\"k\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}",
    "{\"n\":0,\"m\":-0,\"p\":-1,\"q\":123456789012345678,\"r\":-123456789012345678}",
    "{\"q\":1234567890123456789}",
    "{\"q\":-9223372036854775808}",
    "{\"q\":9223372036854775808}",
    "{\"r\":1.5,\"s\":1e3,\"t\":-2E-2,\"u\":0.0}",
    "{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"}",
    "{\"s\":\"\\u00e9\\ud83d\\ude00\"}",
    "{\"s\":\"\\u0000\"}",
    "{\"a\":1,\"a\":2}",
    "{\"a\":{\"b\":1,\"b\":1}}",
    "{\"a\":[{\"x\":1},{\"x\":1}]}",
    "{\"z\":1,\"y\":2,\"x\":3,\"w\":4,\"v\":5,\"u\":6,\"t\":7,\"s\":8,\"r\":9,\"q\":10}",
    "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    /* Refused, by jansson's verdict. */
    "",
    "   ",
    "[1,2]",
    "\"s\"",
    "1",
    "{",
    "{\"a\"",
    "{\"a\":",
    "{\"a\":1",
    "{\"a\":1,}",
    "{\"a\" 1}",
    "{a:1}",
    "{\"a\":01}",
    "{\"a\":-}",
    "{\"a\":1.}",
    "{\"a\":+1}",
    "{\"a\":truex}",
    "{\"a\":tru}",
    "{\"a\":nul}",
    "{\"a\":True}",
    "{\"a\":[1,]}",
    "{\"a\":[1 2]}",
    "{\"a\":\"b}",
    "{\"a\":\"\t\"}",
    "{\"a\":\"\\x\"}",
    "{\"a\":\"\\ud800\"}",
    "{\"a\":1} x",
    "{\"a\":1}{}",
    "{}1",
    "{\"a\":1}\x01",
};

/* One line through a fresh reader: returns 1 with *ret the object, or the error code. */
static int read_line(const char *line, json_t **ret)
{
    nb_proto_reader_t *r;
    nb_proto_msg_t msg;
    nb_proto_error_t err;
    size_t len = strlen(line);
    char *buf = malloc(len + 1);

    assert_non_null(buf);
    memcpy(buf, line, len);
    buf[len] = '\n';
    assert_int_equal(nb_proto_reader_new(NULL, &r), 0);
    assert_int_equal(nb_proto_reader_feed(r, buf, len + 1, NULL, 0), 0);
    int rc = nb_proto_reader_next(r, &msg, &err);
    if (rc == 1) {
        *ret = msg.json;
        assert_int_equal(msg.nfds, 0);
    }
    nb_proto_reader_free(r);
    free(buf);
    return rc;
}

static void test_json_as_jansson(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        json_error_t jerr;
        json_t *want = json_loadb(lines[i], strlen(lines[i]), JSON_REJECT_DUPLICATES, &jerr);
        json_t *got = NULL;
        int rc = read_line(lines[i], &got);

        if (want == NULL || !json_is_object(want)) {
            if (rc != NB_PROTO_ERR_PROTO_PARSE && rc != NB_PROTO_ERR_PROTO_UTF8) {
                fail_msg("'%s': read gives %d, jansson refuses it", lines[i], rc);
            }
            json_decref(want);
            continue;
        }
        if (rc != 1) {
            fail_msg("'%s': read gives %d, jansson takes it", lines[i], rc);
        }
        /* Equal values, and the same text: members in the same order, integers as such. */
        char *a = json_dumps(want, JSON_COMPACT), *b = json_dumps(got, JSON_COMPACT);
        assert_non_null(a);
        assert_non_null(b);
        if (!json_equal(want, got) || strcmp(a, b) != 0) {
            fail_msg("'%s': read gives %s, jansson %s", lines[i], b, a);
        }
        free(a);
        free(b);
        json_decref(want);
        json_decref(got);
    }
}

/* A value the reader built is a jansson value like any other: it can be changed and
 * freed member by member (strings own their bytes, not the reader's buffer). */
static void test_json_values_own_their_bytes(void **state)
{
    json_t *got = NULL;

    (void)state;
    assert_int_equal(read_line("{\"op\":\"server.info\",\"args\":{\"name\":\"web\"}}", &got), 1);
    json_t *args = json_incref(json_object_get(got, "args"));
    json_decref(got);
    assert_string_equal(json_string_value(json_object_get(args, "name")), "web");
    assert_int_equal(json_object_set_new(args, "name", json_string("db")), 0);
    assert_string_equal(json_string_value(json_object_get(args, "name")), "db");
    json_decref(args);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_as_jansson),
        cmocka_unit_test(test_json_values_own_their_bytes),
    };
    return cmocka_run_group_tests_name("proto_json", tests, NULL, NULL);
}
