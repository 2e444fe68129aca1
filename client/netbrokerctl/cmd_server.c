/* cmd_server.c: `status`, `server list|show|create|set|close`, `reload`, `shutdown`. */
#include "ctl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* A command-line option that becomes one member of a request's args. */
typedef enum { OPT_INT, OPT_INT_OR_NONE, OPT_BOOL, OPT_STRING } opt_kind_t;
typedef struct {
    const char *flag;
    const char *key;
    opt_kind_t kind;
} opt_t;

static const opt_t create_opts[] = {
    { "--host", "host", OPT_STRING },
    { "--port", "port", OPT_INT },
    { "--path", "path", OPT_STRING },
    { "--backlog", "backlog", OPT_INT },
    { "--exclusive", "exclusive", OPT_BOOL },
    { "--ipv6-only", "ipv6Only", OPT_BOOL },
    { "--readable-all", "readableAll", OPT_BOOL },
    { "--writable-all", "writableAll", OPT_BOOL },
    { "--mode", "mode", OPT_STRING },
    { "--max-connections", "maxConnections", OPT_INT_OR_NONE },
    { "--queue-limit", "queueLimit", OPT_INT },
    { "--queue-timeout", "queueTimeout", OPT_INT },
};

static const opt_t set_opts[] = {
    { "--max-connections", "maxConnections", OPT_INT_OR_NONE },
    { "--queue-limit", "queueLimit", OPT_INT },
    { "--queue-timeout", "queueTimeout", OPT_INT },
};

static const char *const server_keys[] = {
    "name",       "mode",         "listening",   "address",   "port",
    "family",     "path",         "backlog",     "exclusive", "maxConnections",
    "queueLimit", "queueTimeout", "connections", "queued",    "subscribers",
};

/* Reads argv[from..] as options of the table into *args (created); "--block RULE" adds a
 * blocklist rule when allow_block. Returns CTL_EXIT_OK or a usage error. */
static int parse_opts(const opt_t *opts,
                      size_t n,
                      bool allow_block,
                      int argc,
                      char **argv,
                      int from,
                      json_t *args)
{
    for (int i = from; i < argc; i++) {
        const opt_t *o = NULL;
        long long v;
        for (size_t k = 0; k < n; k++) {
            if (strcmp(argv[i], opts[k].flag) == 0) {
                o = &opts[k];
            }
        }
        if (allow_block && strcmp(argv[i], "--block") == 0 && i + 1 < argc) {
            json_t *rule = ctl_rule_parse(argv[++i]);
            json_t *list = json_object_get(args, "blocklist");
            if (rule == NULL) {
                return CTL_EXIT_USAGE;
            }
            if (list == NULL) {
                json_object_set_new(args, "blocklist", list = json_array());
            }
            json_array_append_new(list, rule);
            continue;
        }
        if (o == NULL) {
            return ctl_fail(CTL_EXIT_USAGE, "unknown option '%s'", argv[i]);
        }
        if (o->kind == OPT_BOOL) {
            json_object_set_new(args, o->key, json_true());
            continue;
        }
        if (i + 1 >= argc) {
            return ctl_fail(CTL_EXIT_USAGE, "option '%s' needs a value", o->flag);
        }
        const char *val = argv[++i];
        if (o->kind == OPT_STRING) {
            json_object_set_new(args, o->key, json_string(val));
        } else if (o->kind == OPT_INT_OR_NONE && strcmp(val, "none") == 0) {
            json_object_set_new(args, o->key, json_null());
        } else if (ctl_parse_int(val, LLONG_MIN, LLONG_MAX, &v)) {
            json_object_set_new(args, o->key, json_integer(v));
        } else {
            return ctl_fail(CTL_EXIT_USAGE, "option '%s' takes an integer%s, not '%s'", o->flag,
                            o->kind == OPT_INT_OR_NONE ? " or 'none'" : "", val);
        }
    }
    return CTL_EXIT_OK;
}

/* "127.0.0.1:8080", "[::]:8080", a path, or "-". */
static const char *where(const json_t *server, char *buf, size_t size)
{
    const char *path = json_string_value(json_object_get(server, "path"));
    const char *addr = json_string_value(json_object_get(server, "address"));
    const json_t *port = json_object_get(server, "port");
    if (path != NULL) {
        return path;
    }
    if (addr == NULL || !json_is_integer(port)) {
        return "-";
    }
    snprintf(buf, size, strchr(addr, ':') != NULL ? "[%s]:%lld" : "%s:%lld", addr,
             (long long)json_integer_value(port));
    return buf;
}

static void print_servers(const ctl_t *ctl, const json_t *servers, const json_t *stats)
{
    static const char *const headers[] = { "NAME",     "MODE",        "LISTENING",
                                           "ADDRESS",  "CONNECTIONS", "SUBSCRIBERS",
                                           "ACCEPTED", "DROPPED",     "BLOCKED" };
    ctl_table_t *t = ctl_table_new(headers, 9);
    size_t i, k;
    json_t *s, *st;
    json_array_foreach(servers, i, s)
    {
        char b[9][64];
        const json_t *counters = NULL; /* ctl_cell shows "-" without them */
        json_array_foreach(stats, k, st)
        {
            if (json_equal(json_object_get(st, "name"), json_object_get(s, "name"))) {
                counters = st;
            }
        }
        const char *row[] = {
            ctl_cell(s, "name", b[0], 64),
            ctl_cell(s, "mode", b[1], 64),
            ctl_cell(s, "listening", b[2], 64),
            where(s, b[3], 64),
            ctl_cell(s, "connections", b[4], 64),
            ctl_cell(s, "subscribers", b[5], 64),
            ctl_cell(counters, "accepted", b[6], 64),
            ctl_cell(counters, "dropped", b[7], 64),
            ctl_cell(counters, "blocked", b[8], 64),
        };
        ctl_table_add(t, row);
    }
    ctl_table_print(t, ctl->colour, stdout);
    ctl_table_free(t);
}

static int run_status(ctl_t *ctl, int argc, char **argv)
{
    json_t *list = NULL, *stats = NULL;
    if (ctl_wants_help(&ctl_cmd_status, argc, argv)) {
        return CTL_EXIT_OK;
    }
    if (argc > 1) {
        return ctl_usage(&ctl_cmd_status);
    }
    int r = ctl_call(ctl, "server.list", NULL, &list, NULL);
    if (r == CTL_EXIT_OK) {
        r = ctl_call(ctl, "stats", NULL, &stats, NULL);
    }
    if (r != CTL_EXIT_OK) {
        json_decref(list);
        return r;
    }
    char path[256] = "";
    if (ctl->control == NULL) {
        nb_client_default_path(path, sizeof(path));
    }
    json_t *doc = json_pack(
        "{s:s, s:i, s:s, s:O, s:O, s:O, s:O}", "daemon", nb_client_daemon(ctl->client), "protocol",
        nb_client_protocol_version(ctl->client), "control",
        ctl->control != NULL ? ctl->control : path, "uptime", json_object_get(stats, "uptime"),
        "clients", json_object_get(stats, "clients"), "fds", json_object_get(stats, "fds"),
        "servers", json_object_get(list, "servers"));
    if (ctl->json) {
        json_object_set(doc, "stats", json_object_get(stats, "servers"));
        ctl_print_json(doc);
    } else if (!ctl->quiet) {
        long long up = json_integer_value(json_object_get(stats, "uptime")) / 1000;
        printf("%s, protocol %d\ncontrol socket: %s\nuptime: %lldh %02lldm %02llds\n"
               "clients: %lld, stored fds: %lld\n\n",
               nb_client_daemon(ctl->client), nb_client_protocol_version(ctl->client),
               json_string_value(json_object_get(doc, "control")), up / 3600, up / 60 % 60, up % 60,
               (long long)json_integer_value(json_object_get(stats, "clients")),
               (long long)json_integer_value(json_object_get(stats, "fds")));
        print_servers(ctl, json_object_get(list, "servers"), json_object_get(stats, "servers"));
    }
    json_decref(doc);
    json_decref(list);
    json_decref(stats);
    return CTL_EXIT_OK;
}

/* Prints one server (create, show, set), as fields or JSON. */
static void print_server(const ctl_t *ctl, const json_t *server)
{
    char rule[160];
    size_t i;
    json_t *r;
    if (ctl->json) {
        ctl_print_json(server);
        return;
    }
    if (ctl->quiet) {
        return;
    }
    ctl_print_fields(server, server_keys, sizeof(server_keys) / sizeof(server_keys[0]), stdout);
    json_array_foreach(json_object_get(server, "blocklist"), i, r)
    {
        printf("%s %s\n", i == 0 ? "     blocklist:" : "               ",
               ctl_rule_text(r, rule, sizeof(rule)));
    }
}

static int run_server_op(ctl_t *ctl, const char *op, json_t *args, bool prints)
{
    json_t *result = NULL;
    int r = ctl_call(ctl, op, args, &result, NULL);
    if (r == CTL_EXIT_OK && prints) {
        print_server(ctl, result);
    } else if (r == CTL_EXIT_OK && ctl->json) {
        ctl_print_json(result);
    }
    json_decref(result);
    return r;
}

static int run_server(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_wants_help(&ctl_cmd_server, argc, argv)) {
        return CTL_EXIT_OK;
    }
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "list") == 0 && argc == 2) {
        json_t *list = NULL;
        int r = ctl_call(ctl, "server.list", NULL, &list, NULL);
        if (r == CTL_EXIT_OK && ctl->json) {
            ctl_print_json(json_object_get(list, "servers"));
        } else if (r == CTL_EXIT_OK && !ctl->quiet) {
            print_servers(ctl, json_object_get(list, "servers"), NULL);
        }
        json_decref(list);
        return r;
    }
    if (argc < 3) {
        return ctl_usage(&ctl_cmd_server);
    }
    json_t *args = json_pack("{s:s}", "name", argv[2]);
    int r = CTL_EXIT_OK;
    if (strcmp(sub, "show") == 0 && argc == 3) {
        return run_server_op(ctl, "server.info", args, true);
    }
    if (strcmp(sub, "close") == 0 && argc == 3) {
        return run_server_op(ctl, "server.close", args, false);
    }
    if (strcmp(sub, "create") == 0) {
        r = parse_opts(create_opts, sizeof(create_opts) / sizeof(create_opts[0]), true, argc, argv,
                       3, args);
        return r == CTL_EXIT_OK ? run_server_op(ctl, "server.create", args, true)
                                : (json_decref(args), r);
    }
    if (strcmp(sub, "set") == 0) {
        r = parse_opts(set_opts, sizeof(set_opts) / sizeof(set_opts[0]), false, argc, argv, 3,
                       args);
        return r == CTL_EXIT_OK ? run_server_op(ctl, "server.set", args, true)
                                : (json_decref(args), r);
    }
    json_decref(args);
    return ctl_usage(&ctl_cmd_server);
}

static int run_simple(ctl_t *ctl, const ctl_command_t *cmd, const char *op, int argc, char **argv)
{
    json_t *result = NULL;
    if (ctl_wants_help(cmd, argc, argv)) {
        return CTL_EXIT_OK;
    }
    if (argc > 1) {
        return ctl_usage(cmd);
    }
    int r = ctl_call(ctl, op, NULL, &result, NULL);
    if (r == CTL_EXIT_OK && ctl->json) {
        ctl_print_json(result);
    } else if (r == CTL_EXIT_OK && !ctl->quiet) {
        const char *const keys[] = { "added", "changed", "removed" };
        ctl_print_fields(result, keys, 3, stdout);
    }
    json_decref(result);
    return r;
}

static int run_reload(ctl_t *ctl, int argc, char **argv)
{
    return run_simple(ctl, &ctl_cmd_reload, "daemon.reload", argc, argv);
}

static int run_shutdown(ctl_t *ctl, int argc, char **argv)
{
    return run_simple(ctl, &ctl_cmd_shutdown, "daemon.shutdown", argc, argv);
}

const ctl_command_t ctl_cmd_status = {
    "status",
    "the daemon, its servers and their counters",
    run_status,
    "Usage: netbrokerctl status\n"
    "\n"
    "Shows the daemon's version, uptime and control socket, then each server with its\n"
    "state, connections, subscribers and counters.\n",
};

const ctl_command_t ctl_cmd_server = {
    "server",
    "list, show, create, set or close named servers",
    run_server,
    "Usage: netbrokerctl server list\n"
    "       netbrokerctl server show NAME\n"
    "       netbrokerctl server create NAME (--port PORT [--host HOST] | --path PATH)\n"
    "                   [--mode acquire|dispatch] [--backlog N] [--exclusive] [--ipv6-only]\n"
    "                   [--readable-all] [--writable-all] [--max-connections N|none]\n"
    "                   [--queue-limit N] [--queue-timeout MS] [--block RULE]...\n"
    "       netbrokerctl server set NAME [--max-connections N|none] [--queue-limit N]\n"
    "                   [--queue-timeout MS]\n"
    "       netbrokerctl server close NAME\n"
    "\n"
    "A RULE is an address (10.0.0.1), a range (10.0.0.1-10.0.0.9) or a subnet\n"
    "(10.0.0.0/8, 2001:db8::/32).\n",
};

const ctl_command_t ctl_cmd_reload = {
    "reload",
    "re-read the daemon's configuration",
    run_reload,
    "Usage: netbrokerctl reload\n"
    "\n"
    "Asks the daemon to read its configuration again and apply the difference; prints the\n"
    "servers added, changed and removed.\n",
};

const ctl_command_t ctl_cmd_shutdown = {
    "shutdown",
    "stop the daemon",
    run_shutdown,
    "Usage: netbrokerctl shutdown\n"
    "\n"
    "Stops the daemon as SIGTERM does: handoffs in flight finish, then it exits.\n",
};
