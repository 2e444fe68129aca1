/* test_daemon_access.c: access rights by SO_PEERCRED against the real netbrokerd. The
 * test runs as root; a child becomes nobody and connects: it sees only what the rules
 * give it, and cannot tell that the rest exists. */
#include "dhelp.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define NOBODY 65534

static const char config[] =
    "{\"servers\":{\"priv\":{\"host\":\"127.0.0.1\",\"port\":0},"
    "\"pub\":{\"host\":\"127.0.0.1\",\"port\":0}},"
    "\"access\":[{\"uid\":65534,\"allow\":[\"read\",\"fd\"],\"names\":[\"pub*\",\"nobody-*\"]}]}";

static int setup(void **state)
{
    if (geteuid() != 0) {
        fprintf(stderr, "not root: cannot become another uid\n");
        skip();
    }
    dh_daemon_t *d = calloc(1, sizeof(*d));
    dh_daemon_init(d, config);
    dh_daemon_start(d);
    /* The group of the socket lets nobody in; its rights come from the rules alone. */
    assert_int_equal(chown(d->control, 0, NOBODY), 0);
    *state = d;
    return 0;
}

static void expect(dh_client_t *c, const char *op, const char *args, const char *code)
{
    json_t *r = dh_call(c, op, args, NULL, NULL);
    if (code == NULL) {
        dh_ok(r);
    } else {
        dh_assert_error(r, code);
    }
    json_decref(r);
}

/* Runs as nobody; any failed assertion makes the exit status nonzero. */
static void as_nobody(const dh_daemon_t *d)
{
    dh_client_t c;
    dh_connect(&c, d);
    json_t *r = dh_call(&c, "server.list", NULL, NULL, NULL);
    json_t *list = json_object_get(dh_ok(r), "servers");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "name")), "pub");
    json_decref(r);
    expect(&c, "server.info", "{\"name\":\"pub\"}", NULL);
    expect(&c, "server.info", "{\"name\":\"priv\"}", "ERR_NOT_FOUND");
    expect(&c, "server.acquire", "{\"name\":\"priv\"}", "ERR_NOT_FOUND");
    expect(&c, "server.acquire", "{\"name\":\"pub\"}", "EACCES");
    expect(&c, "server.close", "{\"name\":\"pub\"}", "EACCES");
    expect(&c, "server.create", "{\"name\":\"mine\",\"port\":0}", "EACCES");
    expect(&c, "daemon.shutdown", NULL, "EACCES");
    expect(&c, "blocklist.list", NULL, "EACCES");
    expect(&c, "fd.retrieve", "{\"name\":\"root-fd\"}", "ERR_NOT_FOUND");
    expect(&c, "fd.remove", "{\"name\":\"root-fd\"}", "ERR_NOT_FOUND");
    r = dh_call(&c, "fd.list", NULL, NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "fds")), 0);
    json_decref(r);
    int p[2];
    assert_int_equal(pipe(p), 0);
    r = dh_reply(&c, dh_send(&c, "fd.store", "{\"name\":\"nobody-x\"}", &p[0], 1), NULL, NULL);
    assert_int_equal(json_integer_value(json_object_get(dh_ok(r), "uid")), NOBODY);
    json_decref(r);
    dh_close(&c);
}

static void test_access_other_uid(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t root;
    dh_connect(&root, d);
    int p[2];
    assert_int_equal(pipe(p), 0);
    json_t *r =
        dh_reply(&root, dh_send(&root, "fd.store", "{\"name\":\"root-fd\"}", &p[0], 1), NULL, NULL);
    dh_ok(r);
    json_decref(r);
    close(p[0]);
    close(p[1]);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0) {
            _exit(3);
        }
        as_nobody(d);
        _exit(0);
    }
    dh_expect_child_exit(pid, 0);
    /* Root sees everything, the fd nobody stored included. */
    r = dh_call(&root, "fd.list", NULL, NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "fds")), 2);
    json_decref(r);
    dh_close(&root);
}

/* A user (not root) that /etc/group lists as a member of a group other than its own
 * primary one: that group reaches the daemon only through its lookup of the peer's
 * supplementary groups (SO_PEERCRED gives uid and primary gid alone). */
static bool find_member(uid_t *ret_uid, gid_t *ret_gid, gid_t *ret_group)
{
    bool found = false;
    setgrent();
    for (struct group *g; !found && (g = getgrent()) != NULL;) {
        for (char **m = g->gr_mem; !found && m != NULL && *m != NULL; m++) {
            struct passwd *pw = getpwnam(*m);
            if (pw != NULL && pw->pw_uid != 0 && pw->pw_gid != g->gr_gid) {
                *ret_uid = pw->pw_uid;
                *ret_gid = pw->pw_gid;
                *ret_group = g->gr_gid;
                found = true;
            }
        }
    }
    endgrent();
    return found;
}

/* A rule on a supplementary group grants its rights: the lookup (done off the daemon's
 * loop thread) is complete before the first request is read. */
static void test_access_supplementary_group(void **state)
{
    (void)state;
    uid_t uid = 0;
    gid_t gid = 0, group = 0;
    if (geteuid() != 0 || !find_member(&uid, &gid, &group)) {
        fprintf(stderr, "not root, or no user with a supplementary group in /etc/group\n");
        skip();
    }
    char cfg[256];
    snprintf(cfg, sizeof(cfg),
             "{\"servers\":{\"web\":{\"host\":\"127.0.0.1\",\"port\":0}},"
             "\"access\":[{\"gid\":%u,\"allow\":[\"read\"]}]}",
             (unsigned)group);
    dh_daemon_t *d = calloc(1, sizeof(*d));
    dh_daemon_init(d, cfg);
    dh_daemon_start(d);
    *state = d;
    assert_int_equal(chmod(d->control, 0666), 0); /* the socket's mode is not the test */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
            _exit(3);
        }
        dh_client_t c;
        dh_connect(&c, d);
        expect(&c, "server.info", "{\"name\":\"web\"}", NULL);
        expect(&c, "server.acquire", "{\"name\":\"web\"}", "EACCES");
        dh_close(&c);
        _exit(0);
    }
    dh_expect_child_exit(pid, 0);
}

static int no_setup(void **state)
{
    *state = NULL;
    return 0;
}

static int teardown_if_started(void **state)
{
    return *state != NULL ? dh_fixture_teardown(state) : 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_access_other_uid, setup, dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_access_supplementary_group, no_setup,
                                        teardown_if_started),
    };
    return cmocka_run_group_tests_name("daemon_access", tests, NULL, NULL);
}
