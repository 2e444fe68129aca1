/* test_errors.c: the error model, nc_err_name/nc_strerror/nc_error_*. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netcore.h"

static void test_errors_errno_names(void **state)
{
    (void)state;
    assert_string_equal(nc_err_name(-EADDRINUSE), "EADDRINUSE");
    assert_string_equal(nc_err_name(-ECONNREFUSED), "ECONNREFUSED");
    assert_string_equal(nc_err_name(-EINVAL), "EINVAL");
    assert_string_equal(nc_strerror(-EADDRINUSE), "address already in use");
}

static void test_errors_node_names(void **state)
{
    (void)state;
    assert_string_equal(nc_err_name(NC_ERR_SERVER_ALREADY_LISTEN), "ERR_SERVER_ALREADY_LISTEN");
    assert_string_equal(nc_err_name(NC_ERR_SOCKET_CLOSED), "ERR_SOCKET_CLOSED");
    assert_string_equal(nc_err_name(NC_ABORT_ERR), "ABORT_ERR");
    assert_string_equal(nc_strerror(NC_ERR_SERVER_NOT_RUNNING), "Server is not running.");
    assert_true(NC_ERR_INVALID_ARG_TYPE <= -5000);
}

static void test_errors_unknown(void **state)
{
    (void)state;
    assert_string_equal(nc_err_name(0), "UNKNOWN");
    assert_string_equal(nc_err_name(12345), "UNKNOWN");
    assert_string_equal(nc_err_name(-4999), "UNKNOWN");
    assert_non_null(nc_strerror(-4999));
}

static void test_errors_errno_field(void **state)
{
    (void)state;
    nc_error_t e = { .code = -ECONNRESET, .port = -1 };
    assert_int_equal(nc_error_errno(&e), -ECONNRESET);
    e.code = NC_ERR_SOCKET_BAD_PORT;
    assert_int_equal(nc_error_errno(&e), 0);
    assert_int_equal(nc_error_errno(NULL), 0);
}

static void test_errors_clear_aggregate(void **state)
{
    (void)state;
    nc_error_t e = { .code = NC_ERR_AGGREGATE, .port = -1 };
    e.nerrors = 2;
    e.errors = calloc(2, sizeof(nc_error_t));
    assert_non_null(e.errors);
    e.errors[1].errors = calloc(1, sizeof(nc_error_t));
    e.errors[1].nerrors = 1;
    nc_error_clear(&e);
    assert_int_equal(e.code, 0);
    assert_null(e.errors);
    assert_int_equal(e.port, -1);
    nc_error_clear(&e);
    nc_error_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_errno_names),     cmocka_unit_test(test_errors_node_names),
        cmocka_unit_test(test_errors_unknown),         cmocka_unit_test(test_errors_errno_field),
        cmocka_unit_test(test_errors_clear_aggregate),
    };
    return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
