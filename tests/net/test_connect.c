/* test_connect.c: socket.connect to names: custom lookup functions, the 'lookup' and
 * 'connectionAttempt*' events, autoSelectFamily (fallback, attempt timeout, aggregate
 * error, destroy in an attempt or in a lookup), the single path, localhost. Orders are
 * what Node 20 printed for the same scenario: tests/net/connect_orders.js, whose scenario
 * name is given per test (ports shown as PORT). No name is ever sent to a DNS server:
 * hosts are "localhost" (/etc/hosts) or names the custom lookup answers. */
#include "connfix.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>

/* ---- autoSelectFamily ------------------------------------------------------------- */

static void test_connect_fallback(void **state)
{
    NEED_IPV6();
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    answers(&c, "::1", 6, "127.0.0.1", 4);
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js fallback */
    assert_string_equal(c.fx->log,
                        "lookup(null,::1,6,h.test) lookup(null,127.0.0.1,4,h.test) "
                        "connectionAttempt(::1,PORT,6) "
                        "connectionAttemptFailed(::1,PORT,6,ECONNREFUSED) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    char want[128];
    snprintf(want, sizeof(want), "::1:%d 127.0.0.1:%d", c.port, c.port);
    assert_string_equal(c.attempted, want);
    /* Node: the lookup got { family, hints: ADDRCONFIG, all: true }. */
    assert_true(c.seen.all);
    assert_int_equal(c.seen.hints, AI_ADDRCONFIG);
    assert_int_equal(c.seen.family, 0);
    ctx_done(&c);
}

static void test_connect_all_fail(void **state)
{
    NEED_IPV6();
    ctx_t c;
    ctx_init(*state, &c, false);
    answers(&c, "::1", 6, "127.0.0.1", 4);
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.free_port);
    /* connect_orders.js allfail */
    assert_string_equal(c.fx->log, "lookup(null,::1,6,h.test) lookup(null,127.0.0.1,4,h.test) "
                                   "connectionAttempt(::1,PORT,6) "
                                   "connectionAttemptFailed(::1,PORT,6,ECONNREFUSED) "
                                   "connectionAttempt(127.0.0.1,PORT,4) "
                                   "connectionAttemptFailed(127.0.0.1,PORT,4,ECONNREFUSED) "
                                   "error(ECONNREFUSED) close(true)");
    /* Node: AggregateError, code errors[0].code, message "", one error per attempt. */
    assert_string_equal(c.err.message, "");
    assert_int_equal(c.err.nerrors, 2);
    char want[128];
    snprintf(want, sizeof(want), "connect ECONNREFUSED ::1:%d", c.free_port);
    assert_string_equal(c.err.errors[0].message, want);
    assert_string_equal(c.err.errors[0].syscall, "connect");
    assert_string_equal(c.err.errors[0].address, "::1");
    assert_int_equal(c.err.errors[0].port, c.free_port);
    snprintf(want, sizeof(want), "connect ECONNREFUSED 127.0.0.1:%d", c.free_port);
    assert_string_equal(c.err.errors[1].message, want);
    ctx_done(&c);
}

static void test_connect_attempt_timeout(void **state)
{
    NEED_IPV6();
    ctx_t c;
    ctx_init(*state, &c, true);
    c.destroy_on_connect = true;
    answers(&c, "::1", 6, "127.0.0.1", 4);
    nc_connect_options_t co = { .auto_select_family_attempt_timeout = 10 };
    run_lookup(&c, &co, c.bh_port);
    /* connect_orders.js timeout */
    assert_string_equal(c.fx->log,
                        "lookup(null,::1,6,h.test) lookup(null,127.0.0.1,4,h.test) "
                        "connectionAttempt(::1,PORT,6) connectionAttemptTimeout(::1,PORT,6) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    ctx_done(&c);
}

static void test_connect_timeout_then_refused(void **state)
{
    NEED_IPV6();
    ctx_t c;
    ctx_init(*state, &c, true);
    answers(&c, "::1", 6, "127.0.0.2", 4);
    /* Below 10 ms means 10, as in Node. */
    nc_connect_options_t co = { .auto_select_family_attempt_timeout = 1 };
    run_lookup(&c, &co, c.bh_port);
    /* connect_orders.js timeout-refused: the aggregate's code is the first attempt's. */
    assert_string_equal(c.fx->log, "lookup(null,::1,6,h.test) lookup(null,127.0.0.2,4,h.test) "
                                   "connectionAttempt(::1,PORT,6) "
                                   "connectionAttemptTimeout(::1,PORT,6) "
                                   "connectionAttempt(127.0.0.2,PORT,4) "
                                   "connectionAttemptFailed(127.0.0.2,PORT,4,ECONNREFUSED) "
                                   "error(ETIMEDOUT) close(true)");
    assert_int_equal(c.err.nerrors, 2);
    char want[128];
    snprintf(want, sizeof(want), "connect ETIMEDOUT ::1:%d", c.bh_port);
    assert_string_equal(c.err.errors[0].message, want);
    assert_string_equal(nc_err_name(c.err.errors[1].code), "ECONNREFUSED");
    ctx_done(&c);
}

static void test_connect_destroy_in_attempt(void **state)
{
    NEED_IPV6();
    ctx_t c;
    ctx_init(*state, &c, true);
    c.destroy_on_attempt = true;
    answers(&c, "::1", 6, "127.0.0.1", 4);
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.bh_port);
    /* connect_orders.js destroy-attempt: the cancelled attempt is reported, then 'close'. */
    assert_string_equal(c.fx->log, "lookup(null,::1,6,h.test) lookup(null,127.0.0.1,4,h.test) "
                                   "connectionAttempt(::1,PORT,6) "
                                   "connectionAttemptFailed(::1,PORT,6,ECANCELED) close(false)");
    char want[64];
    snprintf(want, sizeof(want), "::1:%d", c.bh_port);
    assert_string_equal(c.attempted, want);
    ctx_done(&c);
}

static void test_connect_destroy_in_lookup(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_in_lookup = true;
    answers(&c, "127.0.0.1", 4, NULL, 0);
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js destroy-lookup: the late answer is dropped, nothing follows. */
    assert_string_equal(c.fx->log, "close(false)");
    assert_null(c.pending);
    ctx_done(&c);
}

static void test_connect_same_family_pair(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    answers(&c, "127.0.0.2", 4, "127.0.0.1", 4);
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js two-v4: two addresses of one family take the multiple path. */
    assert_string_equal(c.fx->log,
                        "lookup(null,127.0.0.2,4,h.test) lookup(null,127.0.0.1,4,h.test) "
                        "connectionAttempt(127.0.0.2,PORT,4) "
                        "connectionAttemptFailed(127.0.0.2,PORT,4,ECONNREFUSED) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    char want[128];
    snprintf(want, sizeof(want), "127.0.0.2:%d 127.0.0.1:%d", c.port, c.port);
    assert_string_equal(c.attempted, want);
    ctx_done(&c);
}

static void test_connect_one_address(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    answers(&c, "127.0.0.1", 4, "127.0.0.1", 4);
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js one-address: a duplicate is tried once: the single path, and no
     * autoSelectFamilyAttemptedAddresses. */
    assert_string_equal(c.fx->log,
                        "lookup(null,127.0.0.1,4,h.test) lookup(null,127.0.0.1,4,h.test) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    assert_string_equal(c.attempted, "");
    ctx_done(&c);
}

static void test_connect_skip_invalid(void **state)
{
    NEED_IPV6();
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    c.answers[0] = (nc_lookup_address_t){ "bad", 4 };
    c.answers[1] = (nc_lookup_address_t){ "::1", 6 };
    c.answers[2] = (nc_lookup_address_t){ "127.0.0.1", 5 };
    c.answers[3] = (nc_lookup_address_t){ "127.0.0.1", 4 };
    c.nanswers = 4;
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js skip-invalid: every answer has its 'lookup'; bad ones are skipped
     * and the first valid one sets the family order. */
    assert_string_equal(c.fx->log,
                        "lookup(null,bad,4,h.test) lookup(null,::1,6,h.test) "
                        "lookup(null,127.0.0.1,5,h.test) "
                        "lookup(null,127.0.0.1,4,h.test) connectionAttempt(::1,PORT,6) "
                        "connectionAttemptFailed(::1,PORT,6,ECONNREFUSED) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    ctx_done(&c);
}

/* ---- one address: custom lookup, its answers, localhost ---------------------------- */

static void test_connect_single_lookup(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    answers(&c, "127.0.0.1", 4, NULL, 0);
    nc_connect_options_t co = { .auto_select_family = -1 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js single: { hints: ADDRCONFIG }, one address asked for. */
    assert_string_equal(c.fx->log,
                        "lookup(null,127.0.0.1,4,h.test) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    assert_false(c.seen.all);
    assert_int_equal(c.seen.hints, AI_ADDRCONFIG);
    ctx_done(&c);
}

static void test_connect_lookup_error(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.answer_error = true;
    c.lookup_err = (nc_error_t){ .code = NC_ENOTFOUND, .port = -1 };
    snprintf(c.lookup_err.message, sizeof(c.lookup_err.message), "nope");
    nc_connect_options_t co = { 0 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js lookup-error: the function's error, as it gave it. */
    assert_string_equal(c.fx->log, "lookup(ENOTFOUND,h.test) error(ENOTFOUND) close(true)");
    assert_string_equal(c.err.message, "nope");
    ctx_done(&c);
}

static void test_connect_lookup_bad_answers(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    answers(&c, "not-an-ip", 4, NULL, 0);
    nc_connect_options_t co = { .auto_select_family = -1 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js bad-ip */
    assert_string_equal(
        c.fx->log, "lookup(null,not-an-ip,4,h.test) error(ERR_INVALID_IP_ADDRESS) close(true)");
    assert_string_equal(c.err.message, "Invalid IP address: not-an-ip");
    nc_error_clear(&c.err);
    c.fx->log[0] = '\0';
    answers(&c, "127.0.0.1", 5, NULL, 0);
    run_lookup(&c, &co, c.port);
    /* connect_orders.js bad-family */
    assert_string_equal(c.fx->log, "lookup(null,127.0.0.1,5,h.test) "
                                   "error(ERR_INVALID_ADDRESS_FAMILY) close(true)");
    char want[96];
    snprintf(want, sizeof(want), "Invalid address family: 5 h.test:%d", c.port);
    assert_string_equal(c.err.message, want);
    ctx_done(&c);
}

static void test_connect_lookup_wrong_family(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    answers(&c, "::1", 4, NULL, 0);
    nc_connect_options_t co = { .auto_select_family = -1 };
    run_lookup(&c, &co, c.port);
    /* connect_orders.js wrong-family: an IPv6 literal given as family 4 fails to connect
     * at once, with Node's note of the unbound local end. */
    assert_string_equal(c.fx->log, "lookup(null,::1,4,h.test) connectionAttempt(::1,PORT,4) "
                                   "error(EINVAL) close(true)");
    char want[96];
    snprintf(want, sizeof(want), "connect EINVAL ::1:%d - Local (undefined:undefined)", c.port);
    assert_string_equal(c.err.message, want);
    ctx_done(&c);
}

static void test_connect_localhost(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    c.destroy_on_connect = true;
    nc_socket_t *s;
    /* /etc/hosts gives localhost one address here: the single path, with autoSelectFamily
     * (Node 20's default) on. NULL host means "localhost", as in Node. */
    nc_connect_options_t co = { .port = c.port };
    assert_int_equal(nc_create_connection(&c.fx->loop, &co, &s, NULL), 0);
    track_client(&c, s);
    nh_run(c.fx);
    nc_socket_release(s);
    /* connect_orders.js localhost */
    assert_string_equal(c.fx->log,
                        "lookup(null,127.0.0.1,4,localhost) "
                        "connectionAttempt(127.0.0.1,PORT,4) connect ready close(false)");
    ctx_done(&c);
}

static void test_connect_refused_single(void **state)
{
    ctx_t c;
    ctx_init(*state, &c, false);
    nc_socket_t *s;
    nc_connect_options_t co = { .port = c.free_port, .host = "127.0.0.1" };
    assert_int_equal(nc_create_connection(&c.fx->loop, &co, &s, NULL), 0);
    track_client(&c, s);
    nh_run(c.fx);
    nc_socket_release(s);
    /* connect_orders.js refused-single: an IP literal has no 'lookup'. */
    assert_string_equal(c.fx->log, "connectionAttempt(127.0.0.1,PORT,4) "
                                   "connectionAttemptFailed(127.0.0.1,PORT,4,ECONNREFUSED) "
                                   "error(ECONNREFUSED) close(true)");
    ctx_done(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connect_fallback, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_all_fail, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_attempt_timeout, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_timeout_then_refused, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_destroy_in_attempt, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_destroy_in_lookup, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_same_family_pair, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_one_address, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_skip_invalid, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_single_lookup, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_lookup_error, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_lookup_bad_answers, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_lookup_wrong_family, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_localhost, nh_setup, nh_teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused_single, nh_setup, nh_teardown),
    };
    return cmocka_run_group_tests_name("connect", tests, NULL, NULL);
}
