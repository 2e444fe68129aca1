/* test_emitter.c: the event mechanism every libnetcore object uses, against Node's
 * EventEmitter rules (events.md: order, once, removeListener, emit's snapshot). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

typedef struct {
    uv_loop_t loop;
    nc__loop_t *lp; /* listener nodes come from its block cache */
    nc__emitter_t em;
    char log[256];
} fx_t;

static fx_t fx;

static void emit(int event)
{
    nc__emit_iter_t it;
    nc__fn fn;
    void *data;
    nc__emit_begin(&fx.em, event, &it);
    while (nc__emit_next(&fx.em, &it, &fn, &data)) {
        ((void (*)(void *))fn)(data);
    }
    nc__emit_end(&fx.em, fx.lp);
}

static void put(const char *s)
{
    strncat(fx.log, s, sizeof(fx.log) - strlen(fx.log) - 1);
}

static void l_a(void *d)
{
    (void)d;
    put("a");
}

static void l_b(void *d)
{
    (void)d;
    put("b");
}

static void l_c(void *d)
{
    (void)d;
    put("c");
}

static void l_remove_b(void *d)
{
    (void)d;
    put("r");
    nc__emitter_off(&fx.em, fx.lp, 0, (nc__fn)l_b, NULL);
}

static void l_add_c(void *d)
{
    (void)d;
    put("+");
    nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_c, NULL, false);
}

static void l_nested(void *d)
{
    (void)d;
    put("(");
    emit(0);
    put(")");
}

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof(fx));
    assert_int_equal(uv_loop_init(&fx.loop), 0);
    fx.lp = nc__loop_acquire(&fx.loop);
    assert_non_null(fx.lp);
    nc__emitter_init(&fx.em, 3);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nc__emitter_clear(&fx.em, fx.lp);
    assert_int_equal(fx.em.may_have, 0);
    nc__loop_release(fx.lp);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&fx.loop), 0);
    return 0;
}

static void test_emitter_order_and_events(void **state)
{
    (void)state;
    assert_int_equal(nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_b, NULL, false), 0);
    assert_int_equal(nc__emitter_on(&fx.em, fx.lp, 1, (nc__fn)l_c, NULL, false), 0);
    assert_int_equal(nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_a, NULL, false), 0);
    assert_int_equal(nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_b, NULL, false), 0);
    emit(0);
    emit(2);
    emit(1);
    assert_string_equal(fx.log, "babc");
    assert_int_equal(nc__emitter_count(&fx.em, 0), 3);
    assert_int_equal(nc__emitter_on(&fx.em, fx.lp, 3, (nc__fn)l_a, NULL, false), -EINVAL);
    assert_int_equal(nc__emitter_on(&fx.em, fx.lp, 0, NULL, NULL, false), -EINVAL);
}

static void test_emitter_once(void **state)
{
    (void)state;
    nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_a, NULL, true);
    nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_b, NULL, false);
    emit(0);
    emit(0);
    assert_string_equal(fx.log, "abb");
    assert_int_equal(nc__emitter_count(&fx.em, 0), 1);
}

static void test_emitter_off_takes_last_match(void **state)
{
    (void)state;
    int x = 0;
    nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_a, &x, false);
    nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_b, NULL, false);
    nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_a, &x, false);
    assert_int_equal(nc__emitter_off(&fx.em, fx.lp, 0, (nc__fn)l_a, &x), 0);
    emit(0);
    assert_string_equal(fx.log, "ab");
    assert_int_equal(nc__emitter_off(&fx.em, fx.lp, 0, (nc__fn)l_a, NULL), -ENOENT);
    assert_int_equal(nc__emitter_off(&fx.em, fx.lp, 1, (nc__fn)l_b, NULL), -ENOENT);
}

static void test_emitter_remove_during_emit(void **state)
{
    (void)state;
    /* Node: removal during an emit does not affect that emit; the next one skips it. */
    nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_remove_b, NULL, false);
    nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_b, NULL, false);
    emit(0);
    emit(0);
    assert_string_equal(fx.log, "rbr");
    assert_int_equal(nc__emitter_count(&fx.em, 0), 1);
}

static void test_emitter_add_during_emit(void **state)
{
    (void)state;
    nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_add_c, NULL, true);
    nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_a, NULL, false);
    emit(0);
    emit(0);
    assert_string_equal(fx.log, "+aac");
}

static void test_emitter_nested_emit(void **state)
{
    (void)state;
    /* A once-listener is gone before it runs: the nested emit does not call it again. */
    nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_nested, NULL, true);
    nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_a, NULL, false);
    emit(0);
    assert_string_equal(fx.log, "(a)a");
}

static void test_emitter_may_have(void **state)
{
    (void)state;
    /* Emits skip the list when an event's bit is clear: a bit must never be clear while
     * a listener of its event lives, and goes once the last one is gone. */
    assert_false(nc__emitter_may_have(&fx.em, 0));
    nc__emitter_on(&fx.em, fx.lp, 0, (nc__fn)l_a, NULL, true);
    nc__emitter_on(&fx.em, fx.lp, 2, (nc__fn)l_b, NULL, false);
    nc__emitter_on(&fx.em, fx.lp, 2, (nc__fn)l_c, NULL, false);
    assert_true(nc__emitter_may_have(&fx.em, 0));
    assert_false(nc__emitter_may_have(&fx.em, 1));
    assert_true(nc__emitter_may_have(&fx.em, 2));
    emit(0); /* the once-listener goes: so does the bit */
    assert_false(nc__emitter_may_have(&fx.em, 0));
    assert_int_equal(nc__emitter_off(&fx.em, fx.lp, 2, (nc__fn)l_b, NULL), 0);
    assert_true(nc__emitter_may_have(&fx.em, 2)); /* l_c still listens */
    assert_int_equal(nc__emitter_off(&fx.em, fx.lp, 2, (nc__fn)l_c, NULL), 0);
    assert_false(nc__emitter_may_have(&fx.em, 2));
    emit(2);
    assert_string_equal(fx.log, "a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_emitter_order_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emitter_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emitter_off_takes_last_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emitter_remove_during_emit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emitter_add_during_emit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emitter_nested_emit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emitter_may_have, setup, teardown),
    };
    return cmocka_run_group_tests_name("emitter", tests, NULL, NULL);
}
