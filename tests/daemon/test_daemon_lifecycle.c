/* test_daemon_lifecycle.c: the real netbrokerd process: readiness over NOTIFY_SOCKET,
 * a clean exit on SIGTERM, journald priority prefixes, and a refused configuration. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define DEADLINE_MS 10000

typedef struct {
    char dir[64];
    char notify_path[128];
    char log_path[128];
    int notify_fd;
    pid_t pid;
    bool watchdog;
} fixture_t;

static int fixture_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    strcpy(f->dir, "/tmp/nb-daemon-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->notify_path, sizeof(f->notify_path), "%s/notify", f->dir);
    snprintf(f->log_path, sizeof(f->log_path), "%s/stderr", f->dir);

    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    strcpy(sun.sun_path, f->notify_path);
    f->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(f->notify_fd >= 0);
    assert_int_equal(bind(f->notify_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    f->pid = -1;
    *state = f;
    return 0;
}

static void dump_log(const fixture_t *f)
{
    char buf[4096];
    FILE *in = fopen(f->log_path, "r");
    if (in == NULL) {
        return;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, in);
    buf[n] = '\0';
    fclose(in);
    fprintf(stderr, "--- netbrokerd stderr ---\n%s--- end ---\n", buf);
}

static int fixture_teardown(void **state)
{
    fixture_t *f = *state;
    if (f->pid > 0) {
        kill(f->pid, SIGKILL);
        waitpid(f->pid, NULL, 0);
        dump_log(f);
    }
    close(f->notify_fd);
    unlink(f->notify_path);
    unlink(f->log_path);
    char path[160];
    snprintf(path, sizeof(path), "%s/run", f->dir);
    rmdir(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void start_daemon(fixture_t *f, const char *config)
{
    f->pid = fork();
    assert_true(f->pid >= 0);
    if (f->pid == 0) {
        int log = open(f->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(log, STDERR_FILENO);
        char control[160];
        snprintf(control, sizeof(control), "%s/run/control.sock", f->dir);
        setenv("NOTIFY_SOCKET", f->notify_path, 1);
        setenv("NETBROKER_SOCKET", control, 1); /* never the system path from a test */
        if (f->watchdog) {
            char pid[32];
            snprintf(pid, sizeof(pid), "%d", (int)getpid());
            setenv("WATCHDOG_PID", pid, 1);
            setenv("WATCHDOG_USEC", "20000", 1);
        }
        if (config != NULL) {
            execl(NETBROKERD_PATH, "netbrokerd", "--config", config, (char *)NULL);
        } else {
            execl(NETBROKERD_PATH, "netbrokerd", "--log-level", "debug", (char *)NULL);
        }
        _exit(127);
    }
}

/* Waits for a notify datagram containing `want`, up to the deadline. */
static void wait_notify(fixture_t *f, const char *want)
{
    char buf[1024];
    struct pollfd p = { .fd = f->notify_fd, .events = POLLIN };
    for (;;) {
        int r = poll(&p, 1, DEADLINE_MS);
        if (r <= 0) {
            dump_log(f);
            fail_msg("no '%s' from netbrokerd within %d ms", want, DEADLINE_MS);
        }
        ssize_t n = recv(f->notify_fd, buf, sizeof(buf) - 1, 0);
        assert_true(n > 0);
        buf[n] = '\0';
        if (strstr(buf, want) != NULL) {
            return;
        }
    }
}

/* Waits for the daemon's exit, up to the deadline, on a pidfd (no polling loop);
 * returns its wait status. */
static int wait_exit(fixture_t *f)
{
    int status = 0;
    int pidfd = (int)syscall(SYS_pidfd_open, f->pid, 0);
    assert_true(pidfd >= 0);
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    if (poll(&p, 1, DEADLINE_MS) != 1) {
        close(pidfd);
        fail_msg("netbrokerd did not exit within %d ms", DEADLINE_MS);
    }
    close(pidfd);
    assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
    f->pid = -1;
    return status;
}

static void read_log(const fixture_t *f, char *buf, size_t size)
{
    FILE *in = fopen(f->log_path, "r");
    assert_non_null(in);
    size_t n = fread(buf, 1, size - 1, in);
    buf[n] = '\0';
    fclose(in);
}

/* Waits for the daemon's exit and asserts it exited (not killed) with code. */
static void expect_exit(fixture_t *f, int code)
{
    int status = wait_exit(f);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), code);
}

/* Writes text to <dir>/bad.json (its path to ret_path), starts the daemon on it, expects
 * exit code 1 and returns the daemon's stderr in ret_log. */
static void refused_config(fixture_t *f,
                           const char *text,
                           char *ret_path,
                           size_t path_size,
                           char *ret_log,
                           size_t log_size)
{
    snprintf(ret_path, path_size, "%s/bad.json", f->dir);
    FILE *out = fopen(ret_path, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
    start_daemon(f, ret_path);
    expect_exit(f, 1);
    read_log(f, ret_log, log_size);
}

static void test_daemon_ready_then_sigterm_exits_zero(void **state)
{
    fixture_t *f = *state;
    char log[4096];
    start_daemon(f, NULL);
    wait_notify(f, "READY=1");
    assert_int_equal(kill(f->pid, SIGTERM), 0);
    wait_notify(f, "STOPPING=1");
    expect_exit(f, 0);
    read_log(f, log, sizeof(log));
    assert_non_null(strstr(log, "<6>netbrokerd "));
    assert_non_null(strstr(log, "embedded"));
    assert_non_null(strstr(log, "<5>received"));
}

static void test_daemon_bad_config_refused_with_location(void **state)
{
    fixture_t *f = *state;
    char path[160], log[4096];
    refused_config(f, "{ \"servers\": {,} }\n", path, sizeof(path), log, sizeof(log));
    assert_non_null(strstr(log, "<3>"));
    assert_non_null(strstr(log, path));
    unlink(path);
}

/* Under a watchdog, the daemon pings from its loop. */
static void test_daemon_watchdog_pings(void **state)
{
    fixture_t *f = *state;
    f->watchdog = true;
    start_daemon(f, NULL);
    wait_notify(f, "READY=1");
    wait_notify(f, "WATCHDOG=1");
    wait_notify(f, "WATCHDOG=1");
    assert_int_equal(kill(f->pid, SIGTERM), 0);
    expect_exit(f, 0);
}

/* A configuration that parses but is wrong is refused naming the file, the key and the
 * reason. */
static void test_daemon_invalid_config_names_key(void **state)
{
    fixture_t *f = *state;
    char path[160], log[4096];
    refused_config(f, "{ \"servers\": { \"web\": { \"port\": 70000 } } }\n", path, sizeof(path),
                   log, sizeof(log));
    assert_non_null(strstr(log, path));
    assert_non_null(strstr(log, "servers.web"));
    assert_non_null(strstr(log, "servers.web: port should be >= 0 and < 65536"));
    unlink(path);
}

/* A symlink planted at the socket path, or as its directory, is never followed: the
 * daemon refuses to start and creates nothing where the link points. */
static void test_daemon_refuses_planted_symlinks(void **state)
{
    fixture_t *f = *state;
    char run[160], sock[192], target[160], log[4096];
    snprintf(run, sizeof(run), "%s/run", f->dir);
    snprintf(sock, sizeof(sock), "%s/control.sock", run);
    snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
    assert_int_equal(mkdir(run, 0755), 0);
    assert_int_equal(symlink(target, sock), 0);
    start_daemon(f, NULL);
    expect_exit(f, 1);
    read_log(f, log, sizeof(log));
    assert_non_null(strstr(log, "is not a socket"));
    assert_int_equal(access(target, F_OK), -1);
    unlink(sock);
    rmdir(run);

    assert_int_equal(mkdir(target, 0755), 0);
    assert_int_equal(symlink(target, run), 0);
    start_daemon(f, NULL);
    assert_int_equal(WEXITSTATUS(wait_exit(f)), 1);
    snprintf(sock, sizeof(sock), "%s/control.sock", target);
    assert_int_equal(access(sock, F_OK), -1);
    unlink(run);
    rmdir(target);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_daemon_ready_then_sigterm_exits_zero, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_daemon_bad_config_refused_with_location, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_daemon_watchdog_pings, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_daemon_invalid_config_names_key, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_daemon_refuses_planted_symlinks, fixture_setup,
                                        fixture_teardown),
    };
    return cmocka_run_group_tests_name("daemon_lifecycle", tests, NULL, NULL);
}
