/* test_proto_errors.c: proto's error table: wire names, numbers, errno names both ways. */
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

static const struct {
    int code;
    const char *name;
} table[] = {
#define XX(name, value, msg) { value, #name },
    NB_PROTO_ERR_MAP(XX)
#undef XX
};
#define TABLE_SIZE (sizeof(table) / sizeof(table[0]))

static void test_errors_table_names(void **state)
{
    (void)state;
    assert_int_equal(NB_PROTO_ERR_PROTO_PARSE, -6001);
    assert_string_equal(nb_proto_err_name(NB_PROTO_ERR_PROTO_PARSE), "ERR_PROTO_PARSE");
    assert_string_equal(nb_proto_err_name(NB_PROTO_ERR_PROTO_TOO_LARGE), "ERR_PROTO_TOO_LARGE");
    assert_string_equal(nb_proto_err_name(NB_PROTO_ERR_PROTO_FDS), "ERR_PROTO_FDS");
    assert_string_equal(nb_proto_err_name(NB_PROTO_ERR_PROTO_UTF8), "ERR_PROTO_UTF8");
    assert_string_equal(nb_proto_err_name(NB_PROTO_ERR_UNKNOWN_OP), "ERR_UNKNOWN_OP");
    assert_string_equal(nb_proto_err_name(NB_PROTO_ERR_NOT_FOUND), "ERR_NOT_FOUND");
    assert_string_equal(nb_proto_err_name(NB_PROTO_ERR_INVALID_ARG_VALUE), "ERR_INVALID_ARG_VALUE");
    assert_string_equal(nb_proto_err_name(NB_PROTO_ERR_INVALID_ARG_TYPE), "ERR_INVALID_ARG_TYPE");
    assert_string_equal(nb_proto_strerror(NB_PROTO_ERR_PROTO_TOO_LARGE),
                        "Message line is longer than the limit");
}

/* Every code is at -6000 or below (clear of libnetcore's -5001..-5099), unique, and its
 * name maps back to it. */
static void test_errors_table_consistent(void **state)
{
    (void)state;
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        assert_true(table[i].code <= -6000);
        assert_string_equal(nb_proto_err_name(table[i].code), table[i].name);
        assert_int_equal(nb_proto_err_from_name(table[i].name), table[i].code);
        assert_true(strlen(nb_proto_strerror(table[i].code)) > 0);
        for (size_t j = i + 1; j < TABLE_SIZE; j++) {
            assert_int_not_equal(table[i].code, table[j].code);
            assert_string_not_equal(table[i].name, table[j].name);
        }
    }
}

static void test_errors_errno(void **state)
{
    (void)state;
    assert_string_equal(nb_proto_err_name(-EACCES), "EACCES");
    assert_string_equal(nb_proto_err_name(-EADDRINUSE), "EADDRINUSE");
    assert_string_equal(nb_proto_err_name(-ENOENT), "ENOENT");
    assert_int_equal(nb_proto_err_from_name("EADDRINUSE"), -EADDRINUSE);
    assert_int_equal(nb_proto_err_from_name("EACCES"), -EACCES);
    assert_int_equal(nb_proto_err_from_name("ECONNREFUSED"), -ECONNREFUSED);
    assert_string_equal(nb_proto_strerror(-ENOENT), "No such file or directory");
}

static void test_errors_unknown(void **state)
{
    (void)state;
    assert_string_equal(nb_proto_err_name(0), "UNKNOWN");
    assert_string_equal(nb_proto_err_name(12345), "UNKNOWN");
    assert_string_equal(nb_proto_err_name(-5002), "UNKNOWN");
    assert_string_equal(nb_proto_err_name(-4999), "UNKNOWN");
    assert_int_equal(nb_proto_err_from_name("ERR_SERVER_ALREADY_LISTEN"), NB_PROTO_UNKNOWN);
    assert_int_equal(nb_proto_err_from_name("EXYZ"), NB_PROTO_UNKNOWN);
    assert_int_equal(nb_proto_err_from_name(""), NB_PROTO_UNKNOWN);
    assert_int_equal(nb_proto_err_from_name(NULL), NB_PROTO_UNKNOWN);
    assert_string_equal(nb_proto_strerror(12345), "Unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FD_TEST(test_errors_table_names),
        FD_TEST(test_errors_table_consistent),
        FD_TEST(test_errors_errno),
        FD_TEST(test_errors_unknown),
    };
    return cmocka_run_group_tests_name("proto_errors", tests, NULL, NULL);
}
