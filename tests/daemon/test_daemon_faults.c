/* test_daemon_faults.c: faults against the real netbrokerd (issue 8 "Faults"): dispatch
 * subscribers SIGKILLed at random points, a client killed while it holds things, the
 * daemon out of descriptors, and a client that floods without reading. Each ends with
 * the daemon's state and fd count exactly as they should be. */
#include "dhelp.h"
#include "dkid.h"
#include "dwork.h"

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

#define KILL_ROUNDS     1000
#define CONNS_PER_ROUND 5
#define STALL                                                                                      \
    2000 /* server.list replies of ~300 bytes: past the socket buffer, below the 1 MiB cap */
#define BACKLOG_CONNS    900 /* below the test's own soft RLIMIT_NOFILE of 1024 */
#define EMFILE_NOFILE    64
#define EMFILE_CONNS     80
#define FLOOD_OUTPUT_MAX "65537"

typedef struct {
    int made, a, b, e;
} tally_t;

/* One round: a victim subscribes, k connections arrive, and the victim is SIGKILLed
 * before connection `at` (at == k: after the last), either at once, or once the
 * connections made so far were all served (settle), or while it does not read. */
static void kill_round(const dh_daemon_t *d, int port, unsigned *seed, tally_t *t)
{
    int k = 1 + rand_r(seed) % CONNS_PER_ROUND;
    int at = rand_r(seed) % (k + 1);
    int how = rand_r(seed) % 3;
    bool settle = how == 1;
    /* how == 2: a victim whose socket is full, so that what it is given stays pending in
     * the daemon's output: at its death that goes back to the queue. */
    pid_t victim = dw_fork_subscriber(d, "w", 1 + rand_r(seed) % 4, 'A', how == 2 ? STALL : 0);
    int fds[CONNS_PER_ROUND];
    char seen[CONNS_PER_ROUND] = { 0 };
    for (int i = 0; i <= k; i++) {
        if (i == at) {
            for (int j = 0; settle && j < i; j++) {
                seen[j] = dw_outcome(fds[j]);
            }
            assert_int_equal(kill(victim, SIGKILL), 0);
        }
        if (i < k) {
            fds[i] = dh_tcp_connect(NULL, port);
        }
    }
    int status = dh_wait_child(victim);
    assert_true(WIFSIGNALED(status));
    dh_notify_drain(d); /* as systemd reads STATUS=, or the daemon blocks on it */
    for (int i = 0; i < k; i++) {
        char o = seen[i] != 0 ? seen[i] : dw_outcome(fds[i]);
        close(fds[i]);
        t->made++;
        t->a += o == 'A';
        t->b += o == 'B';
        t->e += o == 'E';
    }
}

/* PROTOCOL.md 9.1.4: a subscriber's death loses nothing the daemon had not yet handed it:
 * every connection is served by the survivor, or by the victim before it died, or was in
 * the victim's hands (sent) when it died. The daemon's counters tell which: every accepted
 * connection was dispatched, none dropped, none left queued. */
static void test_subscriber_killed_during_dispatch(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    int port = dw_create_dispatch(&c, "w", 511);
    int before = dh_daemon_fd_count(d);
    const char *env = getenv("NB_FAULT_SEED");
    unsigned seed = env != NULL ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
    fprintf(stderr, "faults: seed=%u (NB_FAULT_SEED to replay)\n", seed);
    pid_t survivor = dw_fork_subscriber(d, "w", 16, 'B', 0);
    tally_t t = { 0 };
    for (int round = 0; round < KILL_ROUNDS; round++) {
        kill_round(d, port, &seed, &t);
    }
    json_t *s = dw_server_stats(&c, "w");
    int lost = (int)(dw_stat(s, "accepted") - dw_stat(s, "dispatched"));
    fprintf(stderr,
            "faults: rounds=%d made=%d servedA=%d servedB=%d diedWithVictim=%d lost=%d "
            "queued=%lld dropped=%lld\n",
            KILL_ROUNDS, t.made, t.a, t.b, t.e, lost, (long long)dw_stat(s, "queued"),
            (long long)dw_stat(s, "dropped"));
    assert_int_equal(t.a + t.b + t.e, t.made);
    assert_int_equal(dw_stat(s, "accepted"), t.made);
    assert_int_equal(dw_stat(s, "dispatched"), t.made);
    assert_int_equal(dw_stat(s, "dropped"), 0);
    assert_int_equal(dw_stat(s, "queued"), 0);
    assert_true(t.b > 0);
    json_decref(s);
    assert_int_equal(kill(survivor, SIGKILL), 0);
    dh_wait_child(survivor);
    dw_wait_clients(&c, 1);
    s = dw_server_stats(&c, "w");
    assert_int_equal(dw_stat(s, "subscribers"), 0);
    json_decref(s);
    dh_expect_fd_count(d, &c, before);
    dh_close(&c);
}

/* The child of test_client_killed_holding: acquires "acq" (exclusive) and keeps the fd,
 * parks two fds, subscribes to "w" and to events, says so on ready_fd, and waits to die. */
static int holder(const dh_daemon_t *d, int ready_fd)
{
    dk_t k;
    int acquired = -1, p[2];
    if (dk_connect(&k, d->control) < 0 ||
        dk_call(&k, "server.acquire", "{\"name\":\"acq\"}", -1, &acquired, NULL, 0) != 1 ||
        acquired < 0 || pipe(p) < 0 ||
        dk_call(&k, "fd.store", "{\"name\":\"held-1\"}", p[0], NULL, NULL, 0) != 1 ||
        dk_call(&k, "fd.store", "{\"name\":\"held-2\",\"timeout\":3600000}", p[1], NULL, NULL, 0) !=
            1 ||
        dk_call(&k, "server.subscribe", "{\"name\":\"w\"}", -1, NULL, NULL, 0) != 1 ||
        dk_call(&k, "events.subscribe", NULL, -1, NULL, NULL, 0) != 1 ||
        write(ready_fd, "r", 1) != 1) {
        return 2;
    }
    for (;;) {
        pause();
    }
}

static pid_t fork_holder(const dh_daemon_t *d)
{
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        _exit(holder(d, p[1]));
    }
    dw_wait_ready(p);
    return pid;
}

/* fd.list: exactly the holder's two parked fds, stored by root. */
static void assert_parked(dh_client_t *c)
{
    json_t *r = dh_call(c, "fd.list", NULL, NULL, NULL);
    json_t *fds = json_object_get(dh_ok(r), "fds");
    assert_int_equal(json_array_size(fds), 2);
    const char *names[] = { "held-1", "held-2" };
    for (size_t i = 0; i < 2; i++) {
        json_t *f = json_array_get(fds, i);
        assert_string_equal(json_string_value(json_object_get(f, "name")), names[i]);
        assert_int_equal(json_integer_value(json_object_get(f, "uid")), 0);
    }
    json_decref(r);
}

static char *dump(json_t *j)
{
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(s);
    return s;
}

static void test_client_killed_holding(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c;
    dh_connect(&c, d);
    json_decref(dh_call(&c, "server.create",
                        "{\"name\":\"acq\",\"host\":\"127.0.0.1\",\"port\":0,\"exclusive\":true}",
                        NULL, NULL));
    int port = dw_create_dispatch(&c, "w", 511);
    json_t *r = dh_call(&c, "server.list", NULL, NULL, NULL);
    char *list_before = dump(dh_ok(r));
    json_decref(r);
    int before = dh_daemon_fd_count(d);
    pid_t pid = fork_holder(d);
    json_t *s = dw_server_stats(&c, "w");
    assert_int_equal(dw_stat(s, "subscribers"), 1);
    json_decref(s);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_true(WIFSIGNALED(dh_wait_child(pid)));
    dw_wait_clients(&c, 1);
    /* Servers exactly as before; the parked fds stay (they belong to their names). */
    r = dh_call(&c, "server.list", NULL, NULL, NULL);
    char *list_after = dump(dh_ok(r));
    json_decref(r);
    assert_string_equal(list_after, list_before);
    free(list_before);
    free(list_after);
    assert_parked(&c);
    s = dw_server_stats(&c, "w");
    assert_int_equal(dw_stat(s, "subscribers"), 0);
    assert_int_equal(dw_stat(s, "queued"), 0);
    json_decref(s);
    dh_expect_fd_count(d, &c, before + 2);
    /* The exclusive hold ended with the holder: another client acquires. */
    close(dh_call_fd(&c, "server.acquire", "{\"name\":\"acq\"}"));
    /* Dispatch goes on without the dead subscriber: a connection waits for the next. */
    int conn = dh_tcp_connect(NULL, port);
    json_decref(dh_call(&c, "server.subscribe", "{\"name\":\"w\"}", NULL, NULL));
    int got = -1;
    json_decref(dh_event(&c, "connection", &got));
    assert_true(got >= 0);
    close(got);
    close(conn);
    json_decref(dh_call(&c, "fd.remove", "{\"name\":\"held-1\"}", NULL, NULL));
    json_decref(dh_call(&c, "fd.remove", "{\"name\":\"held-2\"}", NULL, NULL));
    json_decref(dh_call(&c, "server.unsubscribe", "{\"name\":\"w\"}", NULL, NULL));
    dh_expect_fd_count(d, &c, before);
    dh_close(&c);
}

/* A subscriber that reads only once BACKLOG_CONNS connections wait for it: as its
 * socket drains, handing over frees places, the dispatch that follows fills the socket
 * again from inside the flush, and the daemon must still watch for it to be writable
 * (it once stopped: the subscriber waited forever with maxPending connections unsent). */
static void test_backlog_to_slow_subscriber(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c, sub;
    dh_connect(&c, d);
    dh_connect(&sub, d);
    int port = dw_create_dispatch(&c, "w", 1024);
    int before = dh_daemon_fd_count(d);
    json_decref(
        dh_call(&sub, "server.subscribe", "{\"name\":\"w\",\"maxPending\":256}", NULL, NULL));
    int conns[BACKLOG_CONNS];
    for (int i = 0; i < BACKLOG_CONNS; i++) {
        conns[i] = dh_tcp_connect(NULL, port);
    }
    for (json_int_t accepted = 0; accepted < BACKLOG_CONNS;) {
        json_t *s = dw_server_stats(&c, "w");
        accepted = dw_stat(s, "accepted");
        json_decref(s);
    }
    /* Bursts of reads (16 to 256 events: one of them frees more room than the daemon has
     * unsent, and less than that plus what it pushes next), each followed by two round
     * trips of the daemon's loop: it flushes into a socket with some room, but not room
     * for all it then pushes. */
    int got = 0;
    for (int burst = 0; got < BACKLOG_CONNS; burst++) {
        for (int k = 0; k < 16 << (burst % 5) && got < BACKLOG_CONNS; k++) {
            int fds[NB_PROTO_FDS_MAX];
            size_t nfds = 0;
            json_t *m = dh_read(&sub, fds, &nfds); /* fails at its deadline on a stall */
            assert_non_null(m);
            json_decref(m);
            for (size_t i = 0; i < nfds; i++) {
                close(fds[i]);
                got++;
            }
        }
        json_decref(dh_call(&c, "stats", NULL, NULL, NULL));
        json_decref(dh_call(&c, "stats", NULL, NULL, NULL));
        dh_notify_drain(d);
    }
    for (int i = 0; i < BACKLOG_CONNS; i++) {
        close(conns[i]);
    }
    json_t *s = dw_server_stats(&c, "w");
    assert_int_equal(dw_stat(s, "dispatched"), BACKLOG_CONNS);
    json_decref(s);
    dh_close(&sub);
    dw_wait_clients(&c, 1);
    dh_expect_fd_count(d, &c, before - 1);
    dh_close(&c);
}

static int setup_low_nofile(void **state)
{
    dh_daemon_t *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    dh_daemon_init(d, NULL);
    d->nofile = EMFILE_NOFILE;
    dh_daemon_start(d);
    *state = d;
    return 0;
}

static void expect_code(dh_client_t *c, const char *op, const char *args, const char *code)
{
    json_t *r = dh_call(c, op, args, NULL, NULL);
    dh_assert_error(r, code);
    json_decref(r);
}

static int count_closed(const int *conns, int n)
{
    int closed = 0;
    for (int i = 0; i < n; i++) {
        struct pollfd p = { .fd = conns[i], .events = POLLIN };
        closed += poll(&p, 1, 0) == 1;
    }
    return closed;
}

/* More connections than the daemon has fds for: it holds what fits, its next accept
 * fails (an 'error' event, EMFILE), and it pauses accepting while the rest wait in the
 * kernel's backlog. Returns how many it holds. */
static json_int_t exhaust(dh_client_t *c, dh_client_t *ev, int port, int *conns)
{
    for (int i = 0; i < EMFILE_CONNS; i++) {
        conns[i] = dh_tcp_connect(NULL, port);
    }
    json_t *e = dh_event(ev, "error", NULL);
    assert_string_equal(json_string_value(json_object_get(e, "code")), "EMFILE");
    json_decref(e);
    json_t *s = dw_server_stats(c, "w");
    json_int_t held = dw_stat(s, "queued");
    json_decref(s);
    return held;
}

/* Takes `want` connections of "w" as a subscriber; how many came. */
static int take_all(dh_client_t *c, json_int_t want)
{
    json_decref(dh_call(c, "server.subscribe", "{\"name\":\"w\",\"maxPending\":256}", NULL, NULL));
    int got = 0;
    while (got < want) {
        int fds[NB_PROTO_FDS_MAX];
        size_t nfds = 0;
        json_t *m = dh_read(c, fds, &nfds);
        assert_non_null(m);
        json_decref(m);
        for (size_t i = 0; i < nfds; i++) {
            close(fds[i]);
            got++;
        }
    }
    json_decref(dh_call(c, "server.unsubscribe", "{\"name\":\"w\"}", NULL, NULL));
    return got;
}

/* Out of fds, the daemon answers what needs a new fd with EMFILE, keeps serving, does not
 * spin, and recovers as soon as the fds it holds are handed over. */
static void test_descriptor_exhaustion(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t c, ev;
    dh_connect(&c, d);
    dh_connect(&ev, d);
    json_decref(dh_call(&ev, "events.subscribe", "{\"events\":[\"error\"]}", NULL, NULL));
    int port = dw_create_dispatch(&c, "w", 511);
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    json_decref(dh_reply(&c, dh_send(&c, "fd.store", "{\"name\":\"keep\"}", &p[0], 1), NULL, NULL));
    int before = dh_daemon_fd_count(d);
    int conns[EMFILE_CONNS];
    json_int_t held = exhaust(&c, &ev, port, conns);
    assert_true(held < EMFILE_CONNS);
    assert_int_equal(count_closed(conns, EMFILE_CONNS), 0);
    assert_true(dh_daemon_fd_count(d) >= EMFILE_NOFILE); /* (and any inherited above it) */
    expect_code(&c, "server.create", "{\"name\":\"x\",\"host\":\"127.0.0.1\",\"port\":0}",
                "EMFILE");
    /* A sanity bound on CPU, not a speed test: connections wait in the backlog of a daemon
     * that cannot accept them; a loop that spins would burn the whole second. */
    long hz = sysconf(_SC_CLK_TCK), t0 = dh_daemon_cpu_ticks(d);
    struct timespec w0, w1;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    for (int i = 0; i < 20; i++) {
        poll(NULL, 0, 50);
        dh_notify_drain(d);
    }
    clock_gettime(CLOCK_MONOTONIC, &w1);
    long used = dh_daemon_cpu_ticks(d) - t0;
    double wall = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) * 1e-9;
    fprintf(stderr,
            "faults: exhausted at %d fds: %lld connections held, %ld ticks of CPU in %.2f s\n",
            EMFILE_NOFILE, (long long)held, used, wall);
    assert_true((double)used < 0.25 * wall * (double)hz + 2);
    /* A reply that hands an fd over takes the reserve's slot. */
    close(dh_call_fd(&c, "fd.retrieve", "{\"name\":\"keep\"}"));
    /* Recovery: as the held connections are handed over, those waiting are accepted and
     * handed over too; none was lost. */
    assert_int_equal(take_all(&c, EMFILE_CONNS), EMFILE_CONNS);
    for (int i = 0; i < EMFILE_CONNS; i++) {
        close(conns[i]);
    }
    dh_client_t late;
    dh_connect(&late, d);
    json_decref(dh_call(&late, "fd.remove", "{\"name\":\"keep\"}", NULL, NULL));
    dh_call_ok(&late, "server.create", "{\"name\":\"x\",\"host\":\"127.0.0.1\",\"port\":0}");
    dh_close(&late);
    json_decref(dh_call(&c, "server.close", "{\"name\":\"x\"}", NULL, NULL));
    close(p[0]);
    close(p[1]);
    dh_close(&ev);
    dh_expect_fd_count(d, &c, before - 2);
    dh_close(&c);
}

static int setup_small_output(void **state)
{
    dh_daemon_t *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    dh_daemon_init(d, NULL);
    d->extra_args[0] = "--client-output-max";
    d->extra_args[1] = FLOOD_OUTPUT_MAX;
    dh_daemon_start(d);
    *state = d;
    return 0;
}

/* A client that pipelines requests and never reads is cut off at --client-output-max,
 * while another client is answered between each of its bursts; the daemon's memory does
 * not follow the flood. */
static void test_flood_cut_off_at_output_cap(void **state)
{
    dh_daemon_t *d = *state;
    dh_client_t flood, good;
    dh_connect(&flood, d);
    dh_connect(&good, d);
    int before = dh_daemon_fd_count(d);
    long rss0 = dh_daemon_rss_kb(d);
    const char line[] = "{\"id\":1,\"op\":\"server.list\"}\n";
    char buf[256 * (sizeof(line) - 1)];
    for (size_t i = 0; i < 256; i++) {
        memcpy(buf + i * (sizeof(line) - 1), line, sizeof(line) - 1);
    }
    fcntl(flood.fd, F_SETFL, O_NONBLOCK);
    size_t sent = 0;
    int answered = 0;
    for (bool cut = false; !cut;) {
        struct pollfd p = { .fd = flood.fd, .events = POLLOUT };
        assert_int_equal(poll(&p, 1, DH_DEADLINE_MS), 1);
        ssize_t r = send(flood.fd, buf, sizeof(buf), MSG_NOSIGNAL);
        cut = r < 0 && (errno == EPIPE || errno == ECONNRESET);
        assert_true(r > 0 || cut || errno == EAGAIN);
        sent += r > 0 ? (size_t)r : 0;
        dh_notify_drain(d);
        dh_call_ok(&good, "server.list", NULL);
        answered++;
        assert_true(sent < 64 * 1024 * 1024);
    }
    long rss1 = dh_daemon_rss_kb(d);
    fprintf(stderr,
            "faults: flood cut off after %zu bytes of requests; %d calls of another "
            "client answered meanwhile; daemon RSS %ld -> %ld KiB\n",
            sent, answered, rss0, rss1);
    assert_true(!RSS_MEANINGFUL || rss1 - rss0 < 16 * 1024);
    dh_close(&flood);
    dw_wait_clients(&good, 1);
    dh_expect_fd_count(d, &good, before - 1);
    dh_close(&good);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_subscriber_killed_during_dispatch, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_client_killed_holding, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_backlog_to_slow_subscriber, dh_fixture_setup,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_descriptor_exhaustion, setup_low_nofile,
                                        dh_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_flood_cut_off_at_output_cap, setup_small_output,
                                        dh_fixture_teardown),
    };
    return cmocka_run_group_tests_name("daemon_faults", tests, NULL, NULL);
}
