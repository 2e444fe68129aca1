/* netbrokerd: the broker daemon. This is its lifecycle shell: options, the embedded
 * default configuration, logging with sd-daemon priorities, readiness and a clean exit
 * on SIGTERM/SIGINT. Named servers and the control socket arrive with issue 5. */
#include "nbproto.h"
#include "netcore.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>
#include <systemd/sd-daemon.h>
#include <uv.h>

/* What netbrokerd runs on when given no --config: no servers, root-only access. */
static const char default_config[] = "{\n"
                                     "  \"servers\": {},\n"
                                     "  \"access\": [ { \"uid\": 0, \"allow\": [\"*\"] } ]\n"
                                     "}\n";

static int arg_log_level = LOG_INFO;
static const char *arg_config = NULL;

static void log_at(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_at(int level, const char *fmt, ...)
{
    if (level > arg_log_level) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "<%d>", level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int parse_log_level(const char *s)
{
    static const char *const names[] = { "emerg",   "alert",  "crit", "err",
                                         "warning", "notice", "info", "debug" };
    for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
        if (strcmp(s, names[i]) == 0) {
            return i;
        }
    }
    return -EINVAL;
}

static void usage(FILE *out)
{
    fputs("Usage: netbrokerd [--config FILE] [--log-level LEVEL] [--help] [--version]\n"
          "\n"
          "  --config FILE      JSON configuration (default: the embedded one)\n"
          "  --log-level LEVEL  emerg..debug (default: info)\n",
          out);
}

static int parse_args(int argc, char **argv)
{
    static const struct option options[] = {
        { "config", required_argument, NULL, 'c' },
        { "log-level", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:l:hV", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            arg_config = optarg;
            break;
        case 'l':
            arg_log_level = parse_log_level(optarg);
            if (arg_log_level < 0) {
                fprintf(stderr, "netbrokerd: unknown log level '%s'\n", optarg);
                return -EINVAL;
            }
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
    return 1;
}

static json_t *load_config(void)
{
    json_error_t jerr;
    json_t *config = arg_config != NULL ? json_load_file(arg_config, 0, &jerr)
                                        : json_loads(default_config, 0, &jerr);
    if (config == NULL) {
        log_at(LOG_ERR, "%s:%d:%d: %s", arg_config != NULL ? arg_config : "<embedded>", jerr.line,
               jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(config)) {
        log_at(LOG_ERR, "%s: the configuration must be a JSON object",
               arg_config != NULL ? arg_config : "<embedded>");
        json_decref(config);
        return NULL;
    }
    return config;
}

static void on_stop_signal(uv_signal_t *handle, int signum)
{
    log_at(LOG_NOTICE, "received %s, stopping", strsignal(signum));
    sd_notify(0, "STOPPING=1");
    uv_stop(handle->loop);
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
    uv_loop_t loop;
    uv_signal_t sigterm, sigint;

    int r = parse_args(argc, argv);
    if (r <= 0) {
        return r == 0 ? EXIT_SUCCESS : 2;
    }
    json_t *config = load_config();
    if (config == NULL) {
        return EXIT_FAILURE;
    }
    uv_loop_init(&loop);
    uv_signal_init(&loop, &sigterm);
    uv_signal_init(&loop, &sigint);
    uv_signal_start(&sigterm, on_stop_signal, SIGTERM);
    uv_signal_start(&sigint, on_stop_signal, SIGINT);

    log_at(LOG_INFO, "netbrokerd %s running on %s configuration (%zu servers)", nc_version_string(),
           arg_config != NULL ? arg_config : "the embedded",
           json_object_size(json_object_get(config, "servers")));
    sd_notify(0, "READY=1");
    uv_run(&loop, UV_RUN_DEFAULT);

    uv_walk(&loop, close_walk, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    r = uv_loop_close(&loop);
    json_decref(config);
    log_at(LOG_INFO, "stopped");
    return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
