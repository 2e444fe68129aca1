/* netbrokerd: the broker daemon. main.c composes the modules: options, the
 * configuration, the control socket, signals (SIGTERM/SIGINT stop, SIGHUP reloads),
 * readiness for systemd, and a clean exit. */
#include "daemon.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static const char *arg_config = NULL;
static const char *arg_control = NULL;
static const char *arg_check_rules = NULL;
static size_t arg_client_output_max = 0;

/* --client-output-max: at least one whole line (PROTOCOL.md 2.6) must fit. */
#define CLIENT_OUTPUT_MIN ((size_t)NB_PROTO_LINE_MAX + 1)
#define CLIENT_OUTPUT_MAX ((size_t)1 << 30)
static bool arg_takeover = false;

typedef struct {
    nb_daemon_t d;
    uv_signal_t sigterm, sigint, sighup;
} app_t;

static void usage(FILE *out)
{
    fputs("Usage: netbrokerd [--config FILE] [--control PATH] [--log-level LEVEL]\n"
          "                  [--client-output-max BYTES] [--help] [--version]\n"
          "       netbrokerd --check-rules FILE ADDRESS\n"
          "\n"
          "  --config FILE      JSON configuration (default: the embedded one)\n"
          "  --control PATH     control socket (default: $NETBROKER_SOCKET, else\n"
          "                     /run/netbroker/control.sock for root,\n"
          "                     $XDG_RUNTIME_DIR/netbroker/control.sock otherwise)\n"
          "  --log-level LEVEL  emerg..debug (default: info)\n"
          "  --client-output-max BYTES\n"
          "                     unsent output the daemon holds for one client before\n"
          "                     it cuts that client off (65537..1073741824, default\n"
          "                     1048576)\n"
          "  --takeover         take the listeners, parked fds, policies and queued\n"
          "                     connections of the daemon running on the control path,\n"
          "                     which then exits 0 (an upgrade that drops nothing)\n"
          "  --check-rules FILE ADDRESS\n"
          "                     answer blocklist.check for ADDRESS against FILE's rules (a\n"
          "                     JSON array of rules, or a configuration's \"blocklist\") as\n"
          "                     one JSON document, without starting; exit 0, or 100 for a\n"
          "                     bad file or address (netbrokerctl blocklist check --rules)\n",
          out);
}

static int parse_size(const char *s, size_t min, size_t max, size_t *ret)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
        return -EINVAL;
    }
    *ret = (size_t)v;
    return 0;
}

static int parse_args(int argc, char **argv)
{
    static const struct option options[] = {
        { "config", required_argument, NULL, 'c' },
        { "control", required_argument, NULL, 's' },
        { "log-level", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "check-rules", required_argument, NULL, 'r' },
        { "client-output-max", required_argument, NULL, 'o' },
        { "takeover", no_argument, NULL, 't' },
        { NULL, 0, NULL, 0 },
    };
    int c, level;
    while ((c = getopt_long(argc, argv, "c:s:l:hV", options, NULL)) != -1) {
        switch (c) {
        case 'r':
            arg_check_rules = optarg;
            break;
        case 'o':
            if (parse_size(optarg, CLIENT_OUTPUT_MIN, CLIENT_OUTPUT_MAX, &arg_client_output_max) <
                0) {
                fprintf(stderr, "netbrokerd: --client-output-max must be %zu..%zu, not '%s'\n",
                        CLIENT_OUTPUT_MIN, CLIENT_OUTPUT_MAX, optarg);
                return -EINVAL;
            }
            break;
        case 't':
            arg_takeover = true;
            break;
        case 'c':
            arg_config = optarg;
            break;
        case 's':
            arg_control = optarg;
            break;
        case 'l':
            if ((level = nb_log_level_parse(optarg)) < 0) {
                fprintf(stderr, "netbrokerd: unknown log level '%s'\n", optarg);
                return -EINVAL;
            }
            nb_log_set_level(level);
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("netbrokerd %s (libnetcore %s, protocol %d)\n", nc_version_string(),
                   nc_version_string(), NB_PROTO_VERSION);
            return 0;
        default:
            usage(stderr);
            return -EINVAL;
        }
    }
    /* --check-rules takes exactly one ADDRESS. */
    if (arg_check_rules != NULL && optind != argc - 1) {
        usage(stderr);
        return -EINVAL;
    }
    return 1;
}

/* DESIGN.md "proto": --control, then NETBROKER_SOCKET, then the per-user default. */
static int control_path(char *buf, size_t size)
{
    const char *env = getenv("NETBROKER_SOCKET");
    const char *rt = getenv("XDG_RUNTIME_DIR");
    if (arg_control != NULL || (env != NULL && env[0] != '\0')) {
        snprintf(buf, size, "%s", arg_control != NULL ? arg_control : env);
    } else if (geteuid() == 0) {
        snprintf(buf, size, "%s/%s", NB_PROTO_SYSTEM_RUNDIR, NB_PROTO_SOCKET_NAME);
    } else if (rt != NULL && rt[0] == '/') {
        snprintf(buf, size, "%s/netbroker/%s", rt, NB_PROTO_SOCKET_NAME);
    } else {
        nb_log(LOG_ERR, "no control path: XDG_RUNTIME_DIR is unset; use --control");
        return -EINVAL;
    }
    return 0;
}

static void on_stop_signal(uv_signal_t *handle, int signum)
{
    char why[64];
    snprintf(why, sizeof(why), "received %s", strsignal(signum));
    nb_daemon_stop(handle->data, why);
}

/* The daemon stops: the signal handlers close so that the loop can end. */
static void close_signals(nb_daemon_t *d)
{
    app_t *app = (app_t *)d;
    uv_close((uv_handle_t *)&app->sigterm, NULL);
    uv_close((uv_handle_t *)&app->sigint, NULL);
    uv_close((uv_handle_t *)&app->sighup, NULL);
    /* Stopping already: another SIGTERM must not cut the handoffs still in flight. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
}

static void on_hup(uv_signal_t *handle, int signum)
{
    (void)signum;
    char msg[NB_PROTO_ERROR_MESSAGE_MAX];
    nb_daemon_t *d = handle->data;
    if (nb_handover_frozen(d, nb_proto_op_get(NB_PROTO_OP_DAEMON_RELOAD), NULL)) {
        nb_log(LOG_WARNING, "SIGHUP during a takeover, ignoring");
        return;
    }
    nb_daemon_reload(handle->data, NULL, msg, sizeof(msg));
}

static int start(app_t *app)
{
    nb_daemon_t *d = &app->d;
    char path[NB_PROTO_PATH_MAX + 1], msg[512];
    nb_notify_adopt(d); /* first: the fds systemd kept for us sit at 3 and up */
    d->config = nb_config_load(arg_config, msg, sizeof(msg));
    if (d->config == NULL) {
        nb_log(LOG_ERR, "%s", msg);
        return -EINVAL;
    }
    int r = control_path(path, sizeof(path));
    if (r < 0 ||
        (r = arg_takeover ? nb_handover_takeover(d, path) : nb_control_start(d, path)) < 0) {
        return r;
    }
    if ((r = nb_config_apply(d, d->config, NULL, msg, sizeof(msg))) < 0) {
        nb_log(LOG_ERR, "%s", msg);
        return r;
    }
    nb_handover_config_applied(d);
    uv_signal_t *sigs[] = { &app->sigterm, &app->sigint, &app->sighup };
    for (int i = 0; i < 3; i++) {
        uv_signal_init(d->loop, sigs[i]);
        sigs[i]->data = d;
    }
    uv_signal_start(&app->sigterm, on_stop_signal, SIGTERM);
    uv_signal_start(&app->sigint, on_stop_signal, SIGINT);
    uv_signal_start(&app->sighup, on_hup, SIGHUP);
    d->on_stop = close_signals;
    nb_log(LOG_INFO, "netbrokerd %s running on %s configuration (%zu servers), control '%s'",
           nc_version_string(), arg_config != NULL ? arg_config : "the embedded", d->nservers,
           path);
    nb_daemon_ready_when_settled(d);
    nb_notify_watchdog_start(d);
    nb_notify_status_start(d);
    return 0;
}

static void close_walk(uv_handle_t *handle, void *arg)
{
    (void)arg;
    if (!uv_is_closing(handle)) {
        uv_close(handle, NULL);
    }
}

int main(int argc, char **argv)
{
    static app_t app;
    uv_loop_t loop;
    int r = parse_args(argc, argv);
    if (r <= 0) {
        return r == 0 ? EXIT_SUCCESS : 2;
    }
    if (arg_check_rules != NULL) {
        return nb_check_rules(arg_check_rules, argv[argc - 1]);
    }
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&loop);
    nb_daemon_t *d = &app.d;
    d->loop = &loop;
    d->self_uid = geteuid();
    d->client_output_max = arg_client_output_max;
    d->config_path = arg_config;
    d->started_ms = uv_now(&loop);
    r = start(&app);
    if (r < 0) {
        d->stopping = true;
        nb_activation_clear(d);
        nb_fdstore_clear(d);
        nb_control_stop(d);
        while (d->servers != NULL) {
            nb_srv_close(d->servers);
        }
        nb_handover_free(d);
        uv_walk(&loop, close_walk, NULL);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    int lr = uv_loop_close(&loop);
    nb_acl_clear(&d->acl);
    nc_blocklist_unref(d->global_bl);
    json_decref(d->global_rules);
    json_decref(d->config);
    free(d->handover);
    if (r < 0) {
        return EXIT_FAILURE;
    }
    nb_log(LOG_INFO, "stopped");
    return lr == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
