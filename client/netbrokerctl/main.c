/* netbrokerctl: the operator's command-line tool. main.c owns the global options, the
 * command table, the connection to the daemon and the mapping of errors to exit codes. */
#include "ctl.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const ctl_command_t *const commands[] = {
    &ctl_cmd_status,  &ctl_cmd_server, &ctl_cmd_blocklist, &ctl_cmd_fd,       &ctl_cmd_watch,
    &ctl_cmd_connect, &ctl_cmd_exec,   &ctl_cmd_reload,    &ctl_cmd_shutdown,
};

static void usage(FILE *out)
{
    fputs("Usage: netbrokerctl [OPTIONS] COMMAND [ARGS...]\n"
          "\n"
          "Talks to netbrokerd, the socket broker, over its control socket.\n"
          "\n"
          "Options:\n"
          "  -s, --control PATH   control socket (default: $NETBROKER_SOCKET, then\n"
          "                       /run/netbroker/control.sock for root,\n"
          "                       $XDG_RUNTIME_DIR/netbroker/control.sock otherwise)\n"
          "  -j, --json           print one JSON document instead of tables\n"
          "  -q, --quiet          print nothing on success\n"
          "  -t, --timeout MS     how long to wait for the daemon (default 5000)\n"
          "  -h, --help           this text; COMMAND --help for a command's\n"
          "  -V, --version        print the version\n"
          "\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        fprintf(out, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
    }
    fputs("\nExit status: 0 success, 1 refused by access rules, 2 not found, 3 operation\n"
          "failed, 100 usage error, 111 daemon unreachable. See netbrokerctl(1).\n",
          out);
}

int ctl_fail(int code, const char *fmt, ...)
{
    va_list ap;
    fputs("netbrokerctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int ctl_usage(const ctl_command_t *cmd)
{
    fprintf(stderr, "%s", cmd->usage);
    return CTL_EXIT_USAGE;
}

bool ctl_wants_help(const ctl_command_t *cmd, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            return false;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(cmd->usage, stdout);
            return true;
        }
    }
    return false;
}

bool ctl_parse_int(const char *s, long long min, long long max, long long *ret)
{
    char *end;
    if (s == NULL || *s == '\0') {
        return false;
    }
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return false;
    }
    *ret = v;
    return true;
}

int ctl_exit_code(int code)
{
    switch (code) {
    case -EACCES:
    case -EPERM:
        return CTL_EXIT_REFUSED;
    case NB_CLIENT_ERR_NOT_FOUND:
        return CTL_EXIT_NOT_FOUND;
    case NB_CLIENT_ERR_INVALID_ARG_TYPE:
    case NB_CLIENT_ERR_INVALID_ARG_VALUE:
    case NB_CLIENT_ERR_OUT_OF_RANGE:
    case NB_CLIENT_ERR_MISSING_ARGS:
    case NB_CLIENT_ERR_SOCKET_BAD_PORT:
        return CTL_EXIT_USAGE;
    case -ECONNRESET:
    case -EPIPE:
    case -ETIMEDOUT:
    case NB_CLIENT_ERR_PROTO_PARSE:
    case NB_CLIENT_ERR_PROTO_UTF8:
    case NB_CLIENT_ERR_PROTO_FDS:
    case NB_CLIENT_ERR_PROTO_VERSION:
        return CTL_EXIT_UNREACHABLE;
    default:
        return CTL_EXIT_FAILED;
    }
}

int ctl_connect(ctl_t *ctl)
{
    nb_client_error_t err;
    if (ctl->client != NULL) {
        return CTL_EXIT_OK;
    }
    int r = nb_client_open(ctl->control, ctl->timeout_ms, &ctl->client, &err);
    if (r < 0) {
        /* The library's message names the path and, for ENOENT/ECONNREFUSED, the likely
         * cause ("is netbrokerd running?"). */
        ctl_fail(0, "%s", err.message);
        return r == -EACCES ? CTL_EXIT_REFUSED : CTL_EXIT_UNREACHABLE;
    }
    return CTL_EXIT_OK;
}

static int call_fds(ctl_t *ctl,
                    const char *op,
                    json_t *args,
                    const int *fds,
                    size_t nfds,
                    json_t **ret_result,
                    int *ret_fd)
{
    nb_client_msg_t reply;
    nb_client_error_t err;
    char *text = args != NULL ? json_dumps(args, JSON_COMPACT) : NULL;
    json_decref(args);

    int r = ctl_connect(ctl);
    if (r != CTL_EXIT_OK) {
        free(text);
        return r;
    }
    r = nb_client_call(ctl->client, op, text, fds, nfds, ctl->timeout_ms, &reply, &err);
    free(text);
    if (r < 0) {
        return ctl_fail(ctl_exit_code(r), "%s: %s (%s)", op, err.message, err.name);
    }
    json_t *msg = json_loads(reply.json, 0, NULL);
    if (ret_result != NULL) {
        *ret_result = json_incref(json_object_get(msg, "result"));
    }
    if (ret_fd != NULL && reply.nfds == 1) {
        *ret_fd = reply.fds[0];
        reply.fds[0] = -1;
    }
    json_decref(msg);
    nb_client_msg_clear(&reply);
    return CTL_EXIT_OK;
}

int ctl_call(ctl_t *ctl, const char *op, json_t *args, json_t **ret_result, int *ret_fd)
{
    return call_fds(ctl, op, args, NULL, 0, ret_result, ret_fd);
}

int ctl_call_with_fd(ctl_t *ctl, const char *op, json_t *args, int fd, json_t **ret_result)
{
    return call_fds(ctl, op, args, &fd, 1, ret_result, NULL);
}

/* Global options come before the command; returns the index of the command, or a
 * negative exit code (-1 - code) when the process should end. */
static int parse_global(ctl_t *ctl, int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        long long v;
        if ((strcmp(a, "-s") == 0 || strcmp(a, "--control") == 0) && i + 1 < argc) {
            ctl->control = argv[++i];
        } else if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0) {
            ctl->json = true;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            ctl->quiet = true;
        } else if ((strcmp(a, "-t") == 0 || strcmp(a, "--timeout") == 0) && i + 1 < argc &&
                   ctl_parse_int(argv[i + 1], 1, INT_MAX, &v)) {
            ctl->timeout_ms = (int)v;
            i++;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return -1 - CTL_EXIT_OK;
        } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("netbrokerctl %s\n", nb_client_version());
            return -1 - CTL_EXIT_OK;
        } else {
            ctl_fail(0, "unknown or incomplete option '%s'", a);
            usage(stderr);
            return -1 - CTL_EXIT_USAGE;
        }
    }
    return i;
}

int main(int argc, char **argv)
{
    ctl_t ctl = { .timeout_ms = 5000 };
    const char *no_colour = getenv("NO_COLOR");

    ctl.colour = isatty(STDOUT_FILENO) && (no_colour == NULL || no_colour[0] == '\0');
    int i = parse_global(&ctl, argc, argv);
    if (i < 0) {
        return -1 - i;
    }
    if (i >= argc) {
        usage(stderr);
        return CTL_EXIT_USAGE;
    }
    for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
        if (strcmp(argv[i], commands[k]->name) == 0) {
            int r = commands[k]->run(&ctl, argc - i, argv + i);
            nb_client_close(ctl.client);
            return r;
        }
    }
    ctl_fail(0, "unknown command '%s'", argv[i]);
    usage(stderr);
    return CTL_EXIT_USAGE;
}
