/* bench_dispatch_cpu.c: what one dispatched connection costs in CPU time, end to end: a
 * netbrokerd with one dispatch server on 127.0.0.1, one libnetbroker subscriber that takes
 * each connection with nb_client_next_connection, and a connector in the same process
 * (connect, take, close both). Reports the daemon's CPU time (from /proc/PID/stat) and
 * this process's (subscriber and connector) per connection, and the wall time. CPU time
 * is what the code costs whatever else runs on the machine, so two builds can be compared
 * on a busy one: run each build's binary in turn, several times.
 * Usage: bench_dispatch_cpu [CONNECTIONS [NETBROKERD]] (default 20000, this build's). */
#include "netbroker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t daemon_pid;

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_dispatch_cpu: %s: %s\n", what, why);
    if (daemon_pid > 0) {
        kill(daemon_pid, SIGKILL);
    }
    exit(1);
}

/* utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat). */
static double proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long ut = 0, st = 0;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL || fgets(buf, sizeof(buf), f) == NULL) {
        die("read", path);
    }
    fclose(f);
    /* After the command's ')': state is field 3, utime 14, stime 15. */
    const char *p = strrchr(buf, ')');
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) {
        die("parse", path);
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static nb_client_t *start_daemon(const char *daemon, const char *sock)
{
    nb_client_t *c = NULL;
    nb_client_error_t err = { 0 };

    daemon_pid = fork();
    if (daemon_pid == 0) {
        execl(daemon, "netbrokerd", "--control", sock, "--log-level", "warning", (char *)NULL);
        _exit(127);
    }
    /* Until the control socket answers: up to 10 s. */
    for (int i = 0; i < 500 && nb_client_open(sock, 1000, &c, &err) < 0; i++) {
        usleep(20000);
    }
    if (c == NULL) {
        die("connect to netbrokerd", err.message);
    }
    return c;
}

static int dispatch_server(nb_client_t *c)
{
    nb_client_msg_t reply;
    nb_client_error_t err;
    if (nb_client_call(c, "server.create",
                       "{\"name\":\"b\",\"host\":\"127.0.0.1\",\"port\":0,\"mode\":\"dispatch\"}",
                       NULL, 0, 10000, &reply, &err) < 0 ||
        nb_client_subscribe(c, "b", 256, 10000, &err) < 0) {
        die("server.create", err.message);
    }
    const char *p = strstr(reply.json, "\"port\":");
    int port = p != NULL ? atoi(p + 7) : 0;
    nb_client_msg_clear(&reply);
    return port;
}

static void churn(nb_client_t *c, int port, int n)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < n; i++) {
        nb_client_connection_t conn;
        nb_client_error_t err;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
            die("connect", strerror(errno));
        }
        if (nb_client_next_connection(c, 10000, &conn, &err) < 0) {
            die("next_connection", err.message);
        }
        close(conn.fd);
        close(fd);
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    const char *daemon = argc > 2 ? argv[2] : NETBROKERD_PATH;
    char dir[] = "/tmp/nb-bench-dispatch.XXXXXX", sock[128];

    if (n <= 0 || mkdtemp(dir) == NULL) {
        fprintf(stderr, "usage: bench_dispatch_cpu [CONNECTIONS [NETBROKERD]]\n");
        return 100;
    }
    snprintf(sock, sizeof(sock), "%s/control.sock", dir);
    nb_client_t *c = start_daemon(daemon, sock);
    int port = dispatch_server(c);
    churn(c, port, n / 10 + 1); /* warm up */
    double d0 = proc_cpu_s(daemon_pid), s0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    double w0 = clock_s(CLOCK_MONOTONIC);
    churn(c, port, n);
    double w = clock_s(CLOCK_MONOTONIC) - w0;
    double d = proc_cpu_s(daemon_pid) - d0, s = clock_s(CLOCK_PROCESS_CPUTIME_ID) - s0;
    printf("dispatch, %d connections: netbrokerd %.1f us CPU/conn, subscriber+connector "
           "%.1f us CPU/conn, wall %.1f us/conn\n",
           n, d / n * 1e6, s / n * 1e6, w / n * 1e6);
    nb_client_close(c);
    kill(daemon_pid, SIGTERM);
    waitpid(daemon_pid, NULL, 0);
    unlink(sock);
    rmdir(dir);
    return 0;
}
