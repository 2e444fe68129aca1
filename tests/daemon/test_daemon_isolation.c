/* test_daemon_isolation.c: access and isolation (issue 8) against the real netbrokerd.
 * The test runs as root; forked children take unused uids and gids with setgroups,
 * setgid and setuid (no system change) and speak through dkid.c. test_daemon_access.c
 * covers the rules of a named uid; this file: a uid that no rule names, group rules,
 * the modes of the control socket, stored fds between users, the fds an exec would
 * inherit, and a symlink planted at the control path. */
#include "dhelp.h"
#include "dkid.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* Ids that no account uses on a test machine (checked in setup). */
#define STRANGER 4242
#define GROUP    4343
#define OWNER    4244
#define THIEF    4245

static const char config[] = "{\"servers\":{\"priv\":{\"host\":\"127.0.0.1\",\"port\":0},"
                             "\"grp-a\":{\"host\":\"127.0.0.1\",\"port\":0}},"
                             "\"access\":[{\"uid\":0,\"allow\":[\"*\"]},"
                             "{\"gid\":4343,\"allow\":[\"read\"],\"names\":[\"grp-*\"]},"
                             "{\"uid\":4244,\"allow\":[\"fd\"],\"names\":[\"u4244-*\"]},"
                             "{\"uid\":4245,\"allow\":[\"fd\"],\"names\":[\"u4245-*\"]}]}";

static int setup(void **state)
{
    if (geteuid() != 0) {
        fprintf(stderr, "not root: cannot become another uid\n");
        skip();
    }
    const uid_t ids[] = { STRANGER, GROUP, OWNER, THIEF };
    for (size_t i = 0; i < 4; i++) {
        if (getpwuid(ids[i]) != NULL || getgrgid(ids[i]) != NULL) {
            fprintf(stderr, "id %u is in use here\n", (unsigned)ids[i]);
            skip();
        }
    }
    dh_daemon_t *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    dh_daemon_init(d, config);
    dh_daemon_start(d);
    *state = d;
    return 0;
}

/* Lets any uid reach the socket: what it may do is the rules' business alone. */
static void open_socket(const dh_daemon_t *d)
{
    assert_int_equal(chmod(d->control, 0666), 0);
}

/* Runs fn(d) in a child as uid:gid with the given supplementary groups; asserts that it
 * exited 0 (a child prints why it failed). */
static void as_user(const dh_daemon_t *d,
                    uid_t uid,
                    gid_t gid,
                    const gid_t *groups,
                    size_t ngroups,
                    int (*fn)(const dh_daemon_t *d))
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(ngroups, groups) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
            _exit(3);
        }
        _exit(fn(d));
    }
    dh_expect_child_exit(pid, 0);
}

/* The reply as one string: "ok", or "CODE message" with the name asked about replaced
 * by "*", so that two names' answers compare. */
static void answer(dk_t *k,
                   const char *op,
                   const char *args,
                   const char *name,
                   char *out,
                   size_t size)
{
    char code[64] = "";
    int fd = -1;
    int r = dk_call(k, op, args, -1, &fd, code, sizeof(code));
    if (fd >= 0) {
        close(fd);
    }
    if (r != 0) {
        snprintf(out, size, "%s", r == 1 ? "ok" : "transport failure");
        return;
    }
    char msg[sizeof(k->message)] = "";
    const char *at = strstr(k->message, name);
    if (at != NULL) {
        snprintf(msg, sizeof(msg), "%.*s*%s", (int)(at - k->message), k->message,
                 at + strlen(name));
    } else {
        snprintf(msg, sizeof(msg), "%s", k->message);
    }
    snprintf(out, size, "%s %s", code, msg);
}

static const char *const by_name[][2] = {
    { "server.info", "{\"name\":\"@\"}" },
    { "server.acquire", "{\"name\":\"@\"}" },
    { "server.subscribe", "{\"name\":\"@\"}" },
    { "server.unsubscribe", "{\"name\":\"@\"}" },
    { "server.set", "{\"name\":\"@\",\"access\":[]}" },
    { "server.close", "{\"name\":\"@\"}" },
    { "blocklist.list", "{\"server\":\"@\"}" },
    { "blocklist.check", "{\"server\":\"@\",\"address\":\"10.0.0.1\"}" },
    { "blocklist.add",
      "{\"server\":\"@\",\"rules\":[{\"kind\":\"address\",\"address\":\"10.0.0.1\"}]}" },
    { "events.subscribe", "{\"server\":\"@\"}" },
    { "stats", "{\"server\":\"@\"}" },
    { "fd.retrieve", "{\"name\":\"@\"}" },
    { "fd.remove", "{\"name\":\"@\"}" },
};

/* tmpl with its one '@' replaced by name. */
static void fill(char *out, size_t size, const char *tmpl, const char *name)
{
    const char *at = strchr(tmpl, '@');
    snprintf(out, size, "%.*s%s%s", (int)(at - tmpl), tmpl, name, at + 1);
}

/* Every operation on a name that exists answers exactly as on one that does not. */
static int same_answers(dk_t *k, const char *real, const char *missing, const char *const op[2])
{
    char a1[128], a2[128], r1[256], r2[256];
    fill(a1, sizeof(a1), op[1], real);
    fill(a2, sizeof(a2), op[1], missing);
    answer(k, op[0], a1, real, r1, sizeof(r1));
    answer(k, op[0], a2, missing, r2, sizeof(r2));
    if (strcmp(r1, r2) != 0 || strcmp(r1, "ok") == 0) {
        fprintf(stderr, "%s: '%s' for an existing name, '%s' for a missing one\n", op[0], r1, r2);
        return 1;
    }
    return 0;
}

/* A list operation that succeeds with exactly the result want. */
static int lists(dk_t *k, const char *op, const char *want)
{
    char code[64] = "";
    if (dk_call(k, op, NULL, -1, NULL, code, sizeof(code)) != 1 || strcmp(k->result, want) != 0) {
        fprintf(stderr, "%s: '%s%s', expected '%s'\n", op, code, k->result, want);
        return 1;
    }
    return 0;
}

/* A uid that no rule names: refused everything, and told nothing of what exists. */
static int stranger(const dh_daemon_t *d)
{
    dk_t k;
    if (dk_connect(&k, d->control) < 0) {
        return 2;
    }
    int bad = 0;
    for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++) {
        const char *real = strncmp(by_name[i][0], "fd.", 3) == 0 ? "root-fd" : "priv";
        bad += same_answers(&k, real, "no-such-name", by_name[i]);
    }
    const char *const refused[][2] = {
        { "server.create", "{\"name\":\"mine\",\"port\":0}" },
        { "socket.connect", "{\"port\":9,\"host\":\"127.0.0.1\"}" },
        { "blocklist.list", NULL },
        { "daemon.reload", NULL },
        { "daemon.shutdown", NULL },
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char code[64] = "";
        if (dk_call(&k, refused[i][0], refused[i][1], -1, NULL, code, sizeof(code)) != 0 ||
            strcmp(code, "EACCES") != 0) {
            fprintf(stderr, "%s: '%s', not EACCES\n", refused[i][0], code);
            bad++;
        }
    }
    int p[2];
    char code[64] = "";
    if (pipe(p) < 0 ||
        dk_call(&k, "fd.store", "{\"name\":\"mine\"}", p[0], NULL, code, sizeof(code)) != 0) {
        fprintf(stderr, "fd.store was not refused\n");
        bad++;
    }
    bad += lists(&k, "server.list", "{\"servers\":[]}") + lists(&k, "fd.list", "{\"fds\":[]}");
    dk_close(&k);
    return bad == 0 ? 0 : 4;
}

static void test_stranger_refused_and_blind(void **state)
{
    dh_daemon_t *d = *state;
    open_socket(d);
    dh_client_t root;
    dh_connect(&root, d);
    int p[2];
    assert_int_equal(pipe(p), 0);
    json_decref(dh_reply(&root, dh_send(&root, "fd.store", "{\"name\":\"root-fd\"}", &p[0], 1),
                         NULL, NULL));
    close(p[0]);
    close(p[1]);
    json_t *before = dh_call(&root, "server.list", NULL, NULL, NULL);
    as_user(d, STRANGER, STRANGER, NULL, 0, stranger);
    /* It changed nothing. */
    json_t *after = dh_call(&root, "server.list", NULL, NULL, NULL);
    assert_true(json_equal(dh_ok(before), dh_ok(after)));
    json_decref(before);
    json_decref(after);
    json_t *r = dh_call(&root, "fd.list", NULL, NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(dh_ok(r), "fds")), 1);
    json_decref(r);
    dh_close(&root);
}

/* server.list names exactly the servers in want (a JSON array of names). */
static int sees(const dh_daemon_t *d, const char *want)
{
    dk_t k;
    if (dk_connect(&k, d->control) < 0 ||
        dk_call(&k, "server.list", NULL, -1, NULL, NULL, 0) != 1) {
        return 2;
    }
    json_t *res = json_loads(k.result, 0, NULL);
    json_t *names = json_array(), *srv;
    size_t i;
    json_array_foreach(json_object_get(res, "servers"), i, srv)
    {
        json_array_append(names, json_object_get(srv, "name"));
    }
    char *got = json_dumps(names, JSON_COMPACT);
    int r = strcmp(got, want) == 0 ? 0 : 4;
    if (r != 0) {
        fprintf(stderr, "uid %u gid %u sees %s, expected %s\n", (unsigned)getuid(),
                (unsigned)getgid(), got, want);
    }
    free(got);
    json_decref(names);
    json_decref(res);
    dk_close(&k);
    return r;
}

static int sees_group(const dh_daemon_t *d)
{
    return sees(d, "[\"grp-a\"]");
}

static int sees_nothing(const dh_daemon_t *d)
{
    return sees(d, "[]");
}

/* A rule on a gid matches the peer's primary group and its supplementary groups (set
 * by setgroups: the daemon reads them with SO_PEERGROUPS), and nothing else. */
static void test_group_rules(void **state)
{
    dh_daemon_t *d = *state;
    open_socket(d);
    const gid_t group[] = { GROUP };
    const gid_t other[] = { 4999 };
    as_user(d, STRANGER, STRANGER, group, 1, sees_group); /* supplementary */
    as_user(d, STRANGER, GROUP, NULL, 0, sees_group);     /* primary */
    as_user(d, STRANGER, STRANGER, other, 1, sees_nothing);
    as_user(d, STRANGER, STRANGER, NULL, 0, sees_nothing);
}

static int owner_stores(const dh_daemon_t *d)
{
    dk_t k;
    int p[2];
    if (dk_connect(&k, d->control) < 0 || pipe(p) < 0 ||
        dk_call(&k, "fd.store", "{\"name\":\"u4244-x\"}", p[0], NULL, NULL, 0) != 1) {
        return 2;
    }
    dk_close(&k);
    return 0;
}

static const char *const fd_ops[][2] = {
    { "fd.retrieve", "{\"name\":\"@\"}" },
    { "fd.remove", "{\"name\":\"@\"}" },
};

/* Another uid, with fd rights of its own, can neither take, remove, list nor replace
 * the owner's parked fd, nor tell that it exists. */
static int thief(const dh_daemon_t *d)
{
    dk_t k;
    if (dk_connect(&k, d->control) < 0) {
        return 2;
    }
    int bad = same_answers(&k, "u4244-x", "u4244-none", fd_ops[0]) +
              same_answers(&k, "u4244-x", "u4244-none", fd_ops[1]);
    int p[2];
    if (pipe(p) < 0 ||
        dk_call(&k, "fd.store", "{\"name\":\"u4244-x\",\"replace\":true}", p[0], NULL, NULL, 0) !=
            0 ||
        dk_call(&k, "fd.store", "{\"name\":\"u4245-mine\"}", p[1], NULL, NULL, 0) != 1) {
        fprintf(stderr, "the thief replaced the owner's fd, or could not store its own\n");
        bad++;
    }
    dk_close(&k);
    return bad == 0 ? 0 : 4;
}

static void test_parked_fd_stays_its_owners(void **state)
{
    dh_daemon_t *d = *state;
    open_socket(d);
    as_user(d, OWNER, OWNER, NULL, 0, owner_stores);
    as_user(d, THIEF, THIEF, NULL, 0, thief);
    dh_client_t root;
    dh_connect(&root, d);
    json_t *r = dh_call(&root, "fd.list", NULL, NULL, NULL);
    json_t *fds = json_object_get(dh_ok(r), "fds");
    assert_int_equal(json_array_size(fds), 2);
    json_t *x = json_array_get(fds, 0);
    assert_string_equal(json_string_value(json_object_get(x, "name")), "u4244-x");
    assert_int_equal(json_integer_value(json_object_get(x, "uid")), OWNER);
    json_decref(r);
    dh_close(&root);
}

/* The control socket is 0660 in a directory that only root writes, and every fd of the
 * daemon past those its own exec gave it is close-on-exec: a program it started would
 * inherit none (clients, listeners, connections, parked fds included). */
static void test_modes_and_cloexec(void **state)
{
    dh_daemon_t *d = *state;
    struct stat st;
    assert_int_equal(lstat(d->control, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0660);
    assert_int_equal(st.st_uid, 0);
    char dir[160];
    snprintf(dir, sizeof(dir), "%s/run", d->dir);
    assert_int_equal(lstat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_mode & 022, 0);
    int inherited = dh_daemon_inheritable_count(d);
    dh_client_t c;
    dh_connect(&c, d);
    json_decref(dh_call(&c, "server.create",
                        "{\"name\":\"w\",\"host\":\"127.0.0.1\",\"port\":0,\"mode\":\"dispatch\"}",
                        NULL, NULL));
    json_t *r = dh_call(&c, "server.info", "{\"name\":\"w\"}", NULL, NULL);
    int port = (int)json_integer_value(json_object_get(dh_ok(r), "port"));
    json_decref(r);
    int conn = dh_tcp_connect(NULL, port);
    int p[2];
    assert_int_equal(pipe(p), 0);
    json_decref(dh_reply(&c, dh_send(&c, "fd.store", "{\"name\":\"cx\"}", &p[1], 1), NULL, NULL));
    json_t *s = dh_call(&c, "stats", "{\"server\":\"w\"}", NULL, NULL);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(dh_ok(s), "servers"), 0), "queued")),
                     1);
    json_decref(s);
    /* Only what exec gave it (stdio, and whatever the harness leaks) is inheritable. */
    assert_int_equal(dh_daemon_inheritable_count(d), inherited);
    close(conn);
    close(p[0]);
    close(p[1]);
    dh_close(&c);
}

/* netbrokerd on d's paths, expected to refuse to start: exits nonzero. */
static void start_refused(dh_daemon_t *d)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int log = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(log, STDERR_FILENO);
        execl(NETBROKERD_PATH, "netbrokerd", "--control", d->control, (char *)NULL);
        _exit(127);
    }
    int status = dh_wait_child(pid);
    assert_true(WIFEXITED(status));
    assert_int_not_equal(WEXITSTATUS(status), 0);
    assert_int_not_equal(WEXITSTATUS(status), 127);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void assert_file(const char *path, const char *text)
{
    char buf[64] = "";
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_string_equal(buf, text);
}

/* A symlink planted at the socket path, pointing to a file that exists, is refused: the
 * daemon does not start, and the file keeps its kind, mode and bytes (the lifecycle test
 * covers links to nothing and a linked directory). */
static void test_planted_symlink_to_file_untouched(void **state)
{
    (void)state;
    dh_daemon_t d;
    dh_daemon_init(&d, NULL);
    char dir[160], target[160];
    snprintf(dir, sizeof(dir), "%s/run", d.dir);
    snprintf(target, sizeof(target), "%s/precious", d.dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    write_file(target, "precious\n");
    assert_int_equal(chmod(target, 0600), 0);
    assert_int_equal(symlink(target, d.control), 0);
    start_refused(&d);
    struct stat st;
    assert_int_equal(lstat(d.control, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(lstat(target, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_file(target, "precious\n");
    dh_daemon_cleanup(&d);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stranger_refused_and_blind, setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_group_rules, setup, dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_parked_fd_stays_its_owners, setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_modes_and_cloexec, setup, dh_fixture_teardown),
        cmocka_unit_test(test_planted_symlink_to_file_untouched),
    };
    return cmocka_run_group_tests_name("daemon_isolation", tests, NULL, NULL);
}
