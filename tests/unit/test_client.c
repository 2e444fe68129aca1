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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_path_env_override),
        cmocka_unit_test(test_client_path_default),
    };
    return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
