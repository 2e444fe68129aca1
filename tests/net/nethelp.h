/* nethelp.h: what the net tests share: a fixture owning its loop, a temp dir and a
 * deadline; an event log compared with Node's order; fd counting. */
#ifndef NB_TEST_NETHELP_H
#define NB_TEST_NETHELP_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <uv.h>

#include "netcore.h"

#define NH_DEADLINE_MS 5000

typedef struct {
    uv_loop_t loop;
    uv_timer_t deadline;
    int fds_before;
    char dir[64];
    char log[2048];
    int count; /* free for tests */
    void *user;
} nh_fixture_t;

int nh_setup(void **state);
int nh_teardown(void **state);
int nh_count_fds(void);
/* Appends " word" to the log (printf-style). */
void nh_log(nh_fixture_t *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs the loop until it has nothing left; the deadline fails the test meanwhile. */
void nh_run(nh_fixture_t *fx);
/* A path in the fixture's temp dir. */
void nh_path(nh_fixture_t *fx, const char *name, char *buf, size_t size);
/* Listens on 127.0.0.1:0 and runs the loop until 'listening'; returns the port. */
/* Listens and runs the loop until 'listening' or 'error' (with a host the bind comes a
 * turn later, as Node's lookupAndListen); 0 once listening. Other listeners of those
 * events run as usual. */
int nh_listen_wait(nh_fixture_t *fx, nc_server_t *server, const nc_listen_options_t *lo);
int nh_listen_local(nh_fixture_t *fx, nc_server_t *server);
int nh_sockopt(int fd, int level, int name);

#endif
