/* exec.c: `netbrokerctl exec`: start a program with broker-owned sockets passed the way
 * systemd passes them, so that a socket-activated service runs unchanged with netbroker
 * as its activator (sd_listen_fds(3)). */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SD_LISTEN_FDS_START 3
#define EXEC_FDS_MAX        64

/* Moves every fd above the range 3..3+n first, so that placing one never overwrites
 * another that has not been placed yet. */
static int place_fds(const int *fds, size_t n)
{
    int high[EXEC_FDS_MAX];
    for (size_t i = 0; i < n; i++) {
        high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, SD_LISTEN_FDS_START + (int)n);
        if (high[i] < 0) {
            return -errno;
        }
        close(fds[i]);
    }
    for (size_t i = 0; i < n; i++) {
        int target = SD_LISTEN_FDS_START + (int)i;
        /* dup2 leaves the new fd without FD_CLOEXEC: exactly these are inherited. */
        if (dup2(high[i], target) < 0) {
            return -errno;
        }
        close(high[i]);
    }
    return 0;
}

int ctl_exec_with_fds(const int *fds, const char *const *names, size_t n, char **cmd)
{
    char count[16], pid[16];
    size_t names_len = 1;

    if (n > EXEC_FDS_MAX) {
        return ctl_fail(CTL_EXIT_USAGE, "at most %d sockets can be passed", EXEC_FDS_MAX);
    }
    for (size_t i = 0; i < n; i++) {
        names_len += strlen(names[i]) + 1;
    }
    char *joined = calloc(1, names_len);
    if (joined == NULL) {
        return ctl_fail(CTL_EXIT_FAILED, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            strcat(joined, ":");
        }
        strcat(joined, names[i]);
    }
    int r = place_fds(fds, n);
    if (r < 0) {
        free(joined);
        return ctl_fail(CTL_EXIT_FAILED, "cannot place the sockets: %s", strerror(-r));
    }
    snprintf(count, sizeof(count), "%zu", n);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    setenv("LISTEN_FDS", count, 1);
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDNAMES", joined, 1);
    free(joined);
    fflush(NULL);
    execvp(cmd[0], cmd);
    return ctl_fail(errno == ENOENT ? CTL_EXIT_USAGE : CTL_EXIT_FAILED, "cannot run '%s': %s",
                    cmd[0], strerror(errno));
}

/* "--server NAME[:FDNAME]" acquires a listener; "--fd NAME" takes a stored fd. */
static int gather(ctl_t *ctl, int argc, char **argv, int *fds, const char **names, size_t *n)
{
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        bool server = strcmp(argv[i], "--server") == 0;
        if ((!server && strcmp(argv[i], "--fd") != 0) || i + 1 >= argc || *n == EXEC_FDS_MAX) {
            return -ctl_usage(&ctl_cmd_exec);
        }
        char *spec = argv[++i];
        char *colon = server ? strchr(spec, ':') : NULL;
        if (colon != NULL) {
            *colon = '\0';
        }
        names[*n] = colon != NULL ? colon + 1 : spec;
        json_t *args = json_pack("{s:s}", "name", spec);
        int fd = -1;
        int r = ctl_call(ctl, server ? "server.acquire" : "fd.retrieve", args, NULL, &fd);
        if (r != CTL_EXIT_OK) {
            return -r;
        }
        fds[(*n)++] = fd;
    }
    if (i + 1 >= argc || *n == 0) {
        return -ctl_usage(&ctl_cmd_exec);
    }
    return i + 1;
}

static int run_exec(ctl_t *ctl, int argc, char **argv)
{
    int fds[EXEC_FDS_MAX];
    const char *names[EXEC_FDS_MAX];
    size_t n = 0;

    if (ctl_wants_help(&ctl_cmd_exec, argc, argv)) {
        return CTL_EXIT_OK;
    }
    int cmd = gather(ctl, argc, argv, fds, names, &n);
    if (cmd < 0) {
        for (size_t i = 0; i < n; i++) {
            close(fds[i]);
        }
        return -cmd;
    }
    /* The control connection is CLOEXEC, but close it now: the program has no business
     * with it, and the daemon sees this client leave at once. */
    nb_client_close(ctl->client);
    ctl->client = NULL;
    return ctl_exec_with_fds(fds, names, n, argv + cmd);
}

const ctl_command_t ctl_cmd_exec = {
    "exec",
    "run a program with broker-owned sockets, systemd-style",
    run_exec,
    "Usage: netbrokerctl exec (--server NAME[:FDNAME] | --fd NAME)... -- PROGRAM [ARGS...]\n"
    "\n"
    "Acquires each named server's listening socket (acquire mode) and takes each stored\n"
    "fd, then replaces itself with PROGRAM, the sockets as fds 3, 4, ... in the order\n"
    "given, with LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES set as systemd sets them\n"
    "(FDNAME defaults to the server's name). No other fd is inherited.\n",
};
