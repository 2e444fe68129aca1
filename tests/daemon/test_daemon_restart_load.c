/* test_daemon_restart_load.c: the proof that counts (issue 7). A load generator keeps
 * opening connections to a dispatched server while the daemon is restarted through
 * systemd's fd store (sdharness.c) and then replaced by `netbrokerd --takeover`; a
 * worker (libnetbroker, re-subscribing after each restart) answers each with one byte.
 * Every connection must be served: none refused, reset, or closed unanswered. */
#include "dhelp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define TOTAL    20000
#define RATE     4000
#define INFLIGHT 512

#define CONFIG "{\"servers\":{},\"access\":[{\"uid\":0,\"allow\":[\"*\"]}]}"

/* A helper process with its stdout on a pipe we read line by line. */
typedef struct {
    pid_t pid;
    FILE *out;
} helper_t;

static helper_t spawn(const char *const *argv)
{
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    helper_t h = { .pid = fork() };
    assert_true(h.pid >= 0);
    if (h.pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    h.out = fdopen(p[0], "r");
    assert_non_null(h.out);
    return h;
}

/* The helper's next line (the harness keeps reading the daemon's notify socket, so that a
 * daemon never waits on it); NULL at its end. */
static char *next_line(dh_sd_daemon_t *sd, helper_t *h, char *buf, size_t size)
{
    struct pollfd p = { .fd = fileno(h->out), .events = POLLIN };
    for (int waited = 0; poll(&p, 1, 100) == 0; waited += 100) {
        sdh_pump(&sd->h);
        if (waited > 60000) {
            fail_msg("helper %d said nothing for 60 s", (int)h->pid);
        }
    }
    return fgets(buf, (int)size, h->out);
}

/* Reads the load generator's progress until it reports `at` connections ended. */
static void wait_progress(dh_sd_daemon_t *sd, helper_t *lg, long at)
{
    char line[256];
    long n = -1;
    while (n < at) {
        assert_non_null(next_line(sd, lg, line, sizeof(line)));
        assert_int_equal(sscanf(line, "progress %ld", &n), 1);
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int create_echo(dh_sd_daemon_t *sd)
{
    dh_client_t c;
    dh_connect_path(&c, sd->control);
    json_t *r =
        dh_call(&c, "server.create",
                "{\"name\":\"echo\",\"host\":\"127.0.0.1\",\"port\":0,\"mode\":\"dispatch\","
                "\"queueLimit\":4096,\"queueTimeout\":0}",
                NULL, NULL);
    int port = (int)json_integer_value(json_object_get(dh_ok(r), "port"));
    json_decref(r);
    dh_close(&c);
    sdh_pump(&sd->h);
    return port;
}

typedef struct {
    long attempted, served, refused, reset, closed, timeout, error, ms, by_worker;
    int64_t down_ms, takeover_ms;
} counts_t;

static helper_t start_loadgen(int port)
{
    char portbuf[16], total[16], rate[16], inflight[16];
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    snprintf(total, sizeof(total), "%d", TOTAL);
    snprintf(rate, sizeof(rate), "%d", RATE);
    snprintf(inflight, sizeof(inflight), "%d", INFLIGHT);
    const char *argv[] = { LOADGEN_PATH, portbuf, total, rate, inflight, NULL };
    return spawn(argv);
}

static void expect_exit_zero(dh_sd_daemon_t *sd, pid_t pid)
{
    int status = dh_sd_expect_exit(&sd->h, pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A restart through the fd store: SIGTERM, then systemd starts it again. */
static int64_t restart(dh_sd_daemon_t *sd)
{
    int64_t t0 = now_ms();
    assert_int_equal(kill(sd->h.pid, SIGTERM), 0);
    expect_exit_zero(sd, sd->h.pid);
    dh_sd_start(sd);
    return now_ms() - t0;
}

/* netbrokerd --takeover replaces the running one, which exits 0. */
static int64_t takeover(dh_sd_daemon_t *sd)
{
    pid_t old = sd->h.pid;
    int64_t t0 = now_ms();
    dh_sd_spawn_takeover(sd);
    dh_sd_expect(&sd->h, "READY=1");
    int64_t ms = now_ms() - t0;
    expect_exit_zero(sd, old);
    return ms;
}

/* The load generator's last line, then the worker's count once it is told to stop. */
static void collect(dh_sd_daemon_t *sd, helper_t *lg, helper_t *worker, counts_t *n)
{
    char line[512];
    long p;
    int status;
    while (next_line(sd, lg, line, sizeof(line)) != NULL && sscanf(line, "progress %ld", &p) == 1) {
    }
    assert_int_equal(sscanf(line,
                            "{\"attempted\":%ld,\"served\":%ld,\"refused\":%ld,\"reset\":%ld,"
                            "\"closed\":%ld,\"timeout\":%ld,\"error\":%ld,\"ms\":%ld}",
                            &n->attempted, &n->served, &n->refused, &n->reset, &n->closed,
                            &n->timeout, &n->error, &n->ms),
                     8);
    assert_int_equal(waitpid(lg->pid, &status, 0), lg->pid);
    fclose(lg->out);
    kill(worker->pid, SIGTERM);
    n->by_worker = -1;
    while (next_line(sd, worker, line, sizeof(line)) != NULL &&
           sscanf(line, "served %ld", &n->by_worker) != 1) {
    }
    assert_int_equal(waitpid(worker->pid, &status, 0), worker->pid);
    fclose(worker->out);
}

/* What the daemon holds tells where missing connections went. */
static void print_stats(dh_sd_daemon_t *sd)
{
    dh_client_t c;
    dh_connect_path(&c, sd->control);
    json_t *r = dh_call(&c, "stats", NULL, NULL, NULL);
    char *text = json_dumps(r, JSON_COMPACT);
    printf("daemon stats: %s\n", text);
    free(text);
    json_decref(r);
    dh_close(&c);
}

static void test_restart_and_takeover_under_load(void **state)
{
    dh_sd_daemon_t *sd = *state;
    char line[512];
    counts_t n = { 0 };
    int self_before = dh_self_fd_count();
    dh_sd_start(sd);
    int port = create_echo(sd);
    const char *wargv[] = { ECHO_WORKER_PATH, sd->control, "echo", NULL };
    helper_t worker = spawn(wargv);
    assert_non_null(next_line(sd, &worker, line, sizeof(line)));
    assert_string_equal(line, "subscribed\n");
    helper_t lg = start_loadgen(port);
    wait_progress(sd, &lg, TOTAL / 4); /* a restart at a quarter of the load */
    n.down_ms = restart(sd);
    wait_progress(sd, &lg, TOTAL * 6 / 10); /* a takeover at 60 % */
    n.takeover_ms = takeover(sd);
    collect(sd, &lg, &worker, &n);
    printf("restart under load: attempted %ld, served %ld, refused %ld, reset %ld, closed "
           "unanswered %ld, timed out %ld, other errors %ld, in %ld ms; served by the worker %ld; "
           "daemon down for the fd-store restart %lld ms (SIGTERM to READY=1), takeover %lld ms "
           "(start to READY=1)\n",
           n.attempted, n.served, n.refused, n.reset, n.closed, n.timeout, n.error, n.ms,
           n.by_worker, (long long)n.down_ms, (long long)n.takeover_ms);
    if (n.served != TOTAL) {
        print_stats(sd);
    }
    assert_int_equal(n.attempted, TOTAL);
    assert_int_equal(n.served, TOTAL);
    assert_int_equal(n.refused + n.reset + n.closed + n.timeout + n.error, 0);
    assert_int_equal(n.by_worker, TOTAL);
    /* each new daemon took the server over, not a new bind */
    assert_true(sdh_log_contains(&sd->h, "state taken back from systemd's fd store: 1 servers"));
    assert_true(sdh_log_contains(&sd->h, "took over from the running daemon: 1 servers"));
    assert_int_equal(kill(sd->h.pid, SIGTERM), 0);
    expect_exit_zero(sd, sd->h.pid);
    sdh_store_clear(&sd->h);
    assert_int_equal(dh_self_fd_count(), self_before);
}

static int setup(void **state)
{
    dh_sd_daemon_t *sd = calloc(1, sizeof(*sd));
    /* info: a line per connection would bury the ones that matter */
    dh_sd_daemon_init(sd, CONFIG, "info");
    sd->h.fdstore_max = 64;
    *state = sd;
    return 0;
}

static int teardown(void **state)
{
    dh_sd_daemon_free(*state);
    free(*state);
    return 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_restart_and_takeover_under_load, setup, teardown),
    };
    return cmocka_run_group_tests_name("daemon_restart_load", tests, NULL, NULL);
}
