/* offline.c: `blocklist check --rules FILE`: netbrokerctl may not link libnetcore, so it
 * runs `netbrokerd --check-rules FILE ADDRESS`, which answers with the daemon's own rule
 * validation and BlockList: one implementation for the online and offline checks. */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ANSWER_MAX 65536

/* Where netbrokerd is: $NETBROKERD, next to netbrokerctl, in ../sbin from it (the
 * installed layout: bin/ and sbin/), then PATH. Execs the first that runs. */
static void exec_daemon(char *const *args)
{
    char self[PATH_MAX], path[PATH_MAX + 32];
    const char *env = getenv("NETBROKERD");
    if (env != NULL && *env != '\0') {
        execv(env, args);
        return; /* an explicit choice that fails is reported, not replaced */
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        const char *dir = dirname(self);
        snprintf(path, sizeof(path), "%s/netbrokerd", dir);
        execv(path, args);
        snprintf(path, sizeof(path), "%s/../sbin/netbrokerd", dir);
        execv(path, args);
    }
    execvp("netbrokerd", args);
}

/* Runs netbrokerd and reads its answer (one JSON document) into buf; its exit status in
 * *ret_status (-1: it could not be run). */
static int run_daemon(const char *file, const char *address, char *buf, int *ret_status)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        return -errno;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int r = -errno;
        close(p[0]);
        close(p[1]);
        return r;
    }
    if (pid == 0) {
        char *const args[] = { "netbrokerd", "--check-rules", (char *)file, (char *)address, NULL };
        if (dup2(p[1], STDOUT_FILENO) >= 0) {
            exec_daemon(args);
        }
        _exit(127);
    }
    close(p[1]);
    size_t len = 0;
    ssize_t n;
    while (len < ANSWER_MAX - 1 &&
           ((n = read(p[0], buf + len, ANSWER_MAX - 1 - len)) > 0 || (n < 0 && errno == EINTR))) {
        len += n > 0 ? (size_t)n : 0;
    }
    buf[len] = '\0';
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    *ret_status = WIFEXITED(st) && WEXITSTATUS(st) != 127 ? WEXITSTATUS(st) : -1;
    return 0;
}

int ctl_check_offline(const char *file, const char *address, json_t **ret_result)
{
    char *buf = malloc(ANSWER_MAX);
    int status = -1;
    if (buf == NULL) {
        return ctl_fail(CTL_EXIT_UNREACHABLE, "out of memory");
    }
    int r = run_daemon(file, address, buf, &status);
    json_t *doc = r == 0 && status >= 0 ? json_loads(buf, 0, NULL) : NULL;
    free(buf);
    if (r < 0) {
        return ctl_fail(CTL_EXIT_UNREACHABLE, "cannot run netbrokerd: %s", strerror(-r));
    }
    if (doc == NULL) {
        return ctl_fail(CTL_EXIT_UNREACHABLE,
                        "cannot run netbrokerd --check-rules (looked in $NETBROKERD, next to "
                        "netbrokerctl, in ../sbin and in PATH)");
    }
    json_t *err = json_object_get(doc, "error");
    if (err != NULL) {
        r = ctl_fail(status == CTL_EXIT_USAGE ? CTL_EXIT_USAGE : CTL_EXIT_FAILED, "%s",
                     json_string_value(json_object_get(err, "message")));
        json_decref(doc);
        return r;
    }
    *ret_result = doc;
    return CTL_EXIT_OK;
}
