/* dwork.c: what the fault and load tests share: a dispatch server, subscriber processes
 * (dkid.h dk_serve) forked and waited for, the daemon's counters, and the outcome of one
 * dispatched connection as its client end sees it. cmocka asserts: parent side only. */
#include "dwork.h"

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "dkid.h"

json_t *dw_server_stats(dh_client_t *c, const char *name)
{
    char args[128];
    snprintf(args, sizeof(args), "{\"server\":\"%s\"}", name);
    json_t *r = dh_call(c, "stats", args, NULL, NULL);
    json_t *s = json_incref(json_array_get(json_object_get(dh_ok(r), "servers"), 0));
    json_decref(r);
    return s;
}

json_int_t dw_stat(json_t *s, const char *key)
{
    return json_integer_value(json_object_get(s, key));
}

json_int_t dw_clients(dh_client_t *c)
{
    json_t *r = dh_call(c, "stats", NULL, NULL, NULL);
    json_int_t n = json_integer_value(json_object_get(dh_ok(r), "clients"));
    json_decref(r);
    return n;
}

void dw_wait_clients(dh_client_t *c, json_int_t want)
{
    for (int i = 0; dw_clients(c) != want; i++) {
        assert_true(i < 100000);
    }
}

int dw_create_dispatch(dh_client_t *c, const char *name, int backlog)
{
    char args[256];
    snprintf(args, sizeof(args),
             "{\"name\":\"%s\",\"host\":\"127.0.0.1\",\"port\":0,\"mode\":\"dispatch\","
             "\"queueTimeout\":0,\"queueLimit\":65535,\"backlog\":%d}",
             name, backlog);
    json_t *r = dh_call(c, "server.create", args, NULL, NULL);
    int port = (int)json_integer_value(json_object_get(dh_ok(r), "port"));
    json_decref(r);
    return port;
}

pid_t dw_fork_subscriber(const dh_daemon_t *d,
                         const char *server,
                         int max_pending,
                         char tag,
                         int stall)
{
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        _exit(dk_serve(d->control, server, max_pending, tag, p[1], stall));
    }
    dw_wait_ready(p);
    return pid;
}

void dw_wait_ready(int p[2])
{
    close(p[1]);
    char b;
    struct pollfd pf = { .fd = p[0], .events = POLLIN };
    assert_int_equal(poll(&pf, 1, DH_DEADLINE_MS), 1);
    assert_int_equal(read(p[0], &b, 1), 1);
    close(p[0]);
}

char dw_outcome(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, DH_DEADLINE_MS) != 1) {
        fail_msg("a connection was neither served nor closed within %d ms", DH_DEADLINE_MS);
    }
    char b;
    ssize_t n = recv(fd, &b, 1, 0);
    return n == 1 ? b : 'E';
}
