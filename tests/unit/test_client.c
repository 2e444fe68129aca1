/* test_client.c: libnetbroker's default control socket path. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "netbroker.h"

static void test_client_path_env_override(void **state)
{
    (void)state;
    char buf[256];
    setenv("NETBROKER_SOCKET", "/tmp/x/control.sock", 1);
    assert_int_equal(nb_client_default_path(buf, sizeof(buf)), 19);
    assert_string_equal(buf, "/tmp/x/control.sock");
    assert_int_equal(nb_client_default_path(buf, 5), -ENOSPC);
    unsetenv("NETBROKER_SOCKET");
}

static void test_client_path_default(void **state)
{
    (void)state;
    char buf[256];
    unsetenv("NETBROKER_SOCKET");
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    int r = nb_client_default_path(buf, sizeof(buf));
    assert_true(r > 0);
    if (geteuid() == 0) {
        assert_string_equal(buf, "/run/netbroker/control.sock");
    } else {
        assert_string_equal(buf, "/run/user/1000/netbroker/control.sock");
    }
    assert_int_equal(nb_client_default_path(NULL, 0), -EINVAL);
}

static void test_client_open_no_daemon(void **state)
{
    (void)state;
    nb_client_t *c = NULL;
    nb_client_error_t err;
    int r = nb_client_open("/nonexistent-netbroker-dir/control.sock", 1000, &c, &err);
    assert_int_equal(r, -ENOENT);
    assert_null(c);
    assert_string_equal(err.name, "ENOENT");
    assert_non_null(strstr(err.message, "cannot connect to /nonexistent-netbroker-dir/"));
    assert_non_null(strstr(err.message, "(is netbrokerd running?)"));
}

static void test_client_open_path_too_long(void **state)
{
    (void)state;
    char path[200];
    nb_client_t *c = NULL;
    nb_client_error_t err;
    memset(path, 'a', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    assert_int_equal(nb_client_open(path, 1000, &c, &err), -ENAMETOOLONG);
    assert_null(c);
    assert_int_equal(nb_client_open("", 1000, &c, &err), -ENAMETOOLONG);
    assert_int_equal(nb_client_open(NULL, 1000, NULL, &err), -EINVAL);
}

static void test_client_null_safe(void **state)
{
    (void)state;
    nb_client_close(NULL);
    nb_client_msg_clear(NULL);
    assert_int_equal(nb_client_fileno(NULL), -EINVAL);
    assert_false(nb_client_wants_write(NULL));
    assert_false(nb_client_has_capability(NULL, "hello"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_path_env_override),
        cmocka_unit_test(test_client_path_default),
        cmocka_unit_test(test_client_open_no_daemon),
        cmocka_unit_test(test_client_open_path_too_long),
        cmocka_unit_test(test_client_null_safe),
    };
    return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
