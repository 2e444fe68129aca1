/* cmd_fd.c: `blocklist add|remove|list|check` and `fd list|store|retrieve|remove`. */
#include "ctl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Takes "--server NAME" at argv[*i] into args. */
static bool take_server(int argc, char **argv, int *i, json_t *args)
{
    if (strcmp(argv[*i], "--server") == 0 && *i + 1 < argc) {
        json_object_set_new(args, "server", json_string(argv[*i + 1]));
        *i += 1;
        return true;
    }
    return false;
}

static void print_rules(const ctl_t *ctl, const json_t *result)
{
    char text[160];
    size_t i;
    json_t *r;
    if (ctl->json) {
        ctl_print_json(json_object_get(result, "rules"));
        return;
    }
    if (ctl->quiet) {
        return;
    }
    json_array_foreach(json_object_get(result, "rules"), i, r)
    {
        puts(ctl_rule_text(r, text, sizeof(text)));
    }
}

static int blocklist_rules(ctl_t *ctl, const char *op, int argc, char **argv)
{
    json_t *args = json_pack("{s:[]}", "rules");
    json_t *result = NULL;
    for (int i = 2; i < argc; i++) {
        if (take_server(argc, argv, &i, args)) {
            continue;
        }
        json_t *rule = ctl_rule_parse(argv[i]);
        if (rule == NULL) {
            json_decref(args);
            return CTL_EXIT_USAGE;
        }
        json_array_append_new(json_object_get(args, "rules"), rule);
    }
    if (json_array_size(json_object_get(args, "rules")) == 0 && strcmp(op, "blocklist.list") != 0) {
        json_decref(args);
        return ctl_usage(&ctl_cmd_blocklist);
    }
    if (strcmp(op, "blocklist.list") == 0) {
        json_object_del(args, "rules");
    }
    int r = ctl_call(ctl, op, args, &result, NULL);
    if (r == CTL_EXIT_OK) {
        print_rules(ctl, result);
    }
    json_decref(result);
    return r;
}

static void print_check(const ctl_t *ctl, const json_t *result)
{
    char text[160];
    json_t *rule = json_object_get(result, "rule");
    if (ctl->json) {
        ctl_print_json(result);
    } else if (!ctl->quiet && json_is_true(json_object_get(result, "blocked"))) {
        printf("blocked%s%s\n", rule != NULL ? " by " : "",
               rule != NULL ? ctl_rule_text(rule, text, sizeof(text)) : "");
    } else if (!ctl->quiet) {
        puts("not blocked");
    }
}

/* check [--server NAME | --rules FILE] ADDRESS: the daemon's lists, or a rules file's
 * (offline: no daemon needed, the same answer). */
static int blocklist_check(ctl_t *ctl, int argc, char **argv)
{
    json_t *args = json_object();
    json_t *result = NULL;
    const char *rules = NULL;
    for (int i = 2; i < argc; i++) {
        if (take_server(argc, argv, &i, args)) {
            continue;
        }
        if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc && rules == NULL) {
            rules = argv[++i];
            continue;
        }
        if (json_object_get(args, "address") != NULL) {
            json_decref(args);
            return ctl_usage(&ctl_cmd_blocklist);
        }
        json_object_set_new(args, "address", json_string(argv[i]));
    }
    const char *address = json_string_value(json_object_get(args, "address"));
    if (address == NULL || (rules != NULL && json_object_get(args, "server") != NULL)) {
        json_decref(args);
        return ctl_usage(&ctl_cmd_blocklist);
    }
    int r = rules != NULL ? ctl_check_offline(rules, address, &result)
                          : ctl_call(ctl, "blocklist.check", json_incref(args), &result, NULL);
    json_decref(args);
    if (r == CTL_EXIT_OK) {
        print_check(ctl, result);
    }
    json_decref(result);
    return r;
}

static int run_blocklist(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_wants_help(&ctl_cmd_blocklist, argc, argv)) {
        return CTL_EXIT_OK;
    }
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "add") == 0) {
        return blocklist_rules(ctl, "blocklist.add", argc, argv);
    }
    if (strcmp(sub, "remove") == 0) {
        return blocklist_rules(ctl, "blocklist.remove", argc, argv);
    }
    if (strcmp(sub, "list") == 0) {
        return blocklist_rules(ctl, "blocklist.list", argc, argv);
    }
    if (strcmp(sub, "check") == 0) {
        return blocklist_check(ctl, argc, argv);
    }
    return ctl_usage(&ctl_cmd_blocklist);
}

static void print_fds(const ctl_t *ctl, const json_t *fds)
{
    static const char *const headers[] = { "NAME", "TYPE", "UID", "STORED", "EXPIRES" };
    ctl_table_t *t = ctl_table_new(headers, 5);
    size_t i;
    json_t *f;
    json_array_foreach(fds, i, f)
    {
        char b[5][64];
        const char *row[] = { ctl_cell(f, "name", b[0], 64), ctl_cell(f, "type", b[1], 64),
                              ctl_cell(f, "uid", b[2], 64), ctl_cell(f, "storedAt", b[3], 64),
                              ctl_cell(f, "expiresAt", b[4], 64) };
        ctl_table_add(t, row);
    }
    ctl_table_print(t, ctl->colour, stdout);
    ctl_table_free(t);
}

static int fd_store(ctl_t *ctl, int argc, char **argv)
{
    json_t *args = json_pack("{s:s}", "name", argv[2]);
    long long fd = STDIN_FILENO, v;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc &&
            ctl_parse_int(argv[i + 1], 0, INT_MAX, &fd)) {
            i++;
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc &&
                   ctl_parse_int(argv[i + 1], 1, INT_MAX, &v)) {
            json_object_set_new(args, "timeout", json_integer(v));
            i++;
        } else if (strcmp(argv[i], "--replace") == 0) {
            json_object_set_new(args, "replace", json_true());
        } else {
            json_decref(args);
            return ctl_usage(&ctl_cmd_fd);
        }
    }
    json_t *result = NULL;
    int r = ctl_call_with_fd(ctl, "fd.store", args, (int)fd, &result);
    if (r == CTL_EXIT_OK && ctl->json) {
        ctl_print_json(result);
    }
    json_decref(result);
    return r;
}

static int fd_retrieve(ctl_t *ctl, int argc, char **argv)
{
    json_t *args = json_pack("{s:s}", "name", argv[2]);
    int i = 3, fd = -1;
    if (i < argc && strcmp(argv[i], "--remove") == 0) {
        json_object_set_new(args, "remove", json_true());
        i++;
    }
    if (i + 1 >= argc || strcmp(argv[i], "--") != 0) {
        json_decref(args);
        return ctl_usage(&ctl_cmd_fd);
    }
    int r = ctl_call(ctl, "fd.retrieve", args, NULL, &fd);
    if (r != CTL_EXIT_OK) {
        return r;
    }
    const char *name = argv[2];
    nb_client_close(ctl->client);
    ctl->client = NULL;
    return ctl_exec_with_fds(&fd, &name, 1, argv + i + 1);
}

static int run_fd(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_wants_help(&ctl_cmd_fd, argc, argv)) {
        return CTL_EXIT_OK;
    }
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "list") == 0 && argc == 2) {
        json_t *result = NULL;
        int r = ctl_call(ctl, "fd.list", NULL, &result, NULL);
        if (r == CTL_EXIT_OK && ctl->json) {
            ctl_print_json(json_object_get(result, "fds"));
        } else if (r == CTL_EXIT_OK && !ctl->quiet) {
            print_fds(ctl, json_object_get(result, "fds"));
        }
        json_decref(result);
        return r;
    }
    if (argc < 3) {
        return ctl_usage(&ctl_cmd_fd);
    }
    if (strcmp(sub, "store") == 0) {
        return fd_store(ctl, argc, argv);
    }
    if (strcmp(sub, "retrieve") == 0) {
        return fd_retrieve(ctl, argc, argv);
    }
    if (strcmp(sub, "remove") == 0 && argc == 3) {
        return ctl_call(ctl, "fd.remove", json_pack("{s:s}", "name", argv[2]), NULL, NULL);
    }
    return ctl_usage(&ctl_cmd_fd);
}

const ctl_command_t ctl_cmd_blocklist = {
    "blocklist",
    "add, remove, list or check blocked addresses",
    run_blocklist,
    "Usage: netbrokerctl blocklist add [--server NAME] RULE...\n"
    "       netbrokerctl blocklist remove [--server NAME] RULE...\n"
    "       netbrokerctl blocklist list [--server NAME]\n"
    "       netbrokerctl blocklist check [--server NAME] ADDRESS\n"
    "       netbrokerctl blocklist check --rules FILE ADDRESS\n"
    "\n"
    "Without --server these act on the global list, which applies to every dispatch\n"
    "server and to outbound connections. A RULE is an address (10.0.0.1), a range\n"
    "(10.0.0.1-10.0.0.9) or a subnet (10.0.0.0/8, 2001:db8::/32); IPv4 rules also match\n"
    "IPv4-mapped IPv6 peers, as in Node's BlockList.\n"
    "\n"
    "check --rules tests rules before applying them, without a daemon: FILE is a JSON\n"
    "array of rules ([{\"kind\":\"subnet\",\"net\":\"10.0.0.0\",\"prefix\":8}], the protocol's\n"
    "rule objects) or a configuration file, whose \"blocklist\" is checked. netbrokerd\n"
    "answers (--check-rules), found in $NETBROKERD, next to netbrokerctl, in ../sbin or\n"
    "in PATH. A bad file or rule exits 100.\n",
};

const ctl_command_t ctl_cmd_fd = {
    "fd",
    "park fds in the broker and take them back",
    run_fd,
    "Usage: netbrokerctl fd list\n"
    "       netbrokerctl fd store NAME [--fd N] [--timeout MS] [--replace]\n"
    "       netbrokerctl fd retrieve NAME [--remove] -- PROGRAM [ARGS...]\n"
    "       netbrokerctl fd remove NAME\n"
    "\n"
    "store parks fd N (default 0, standard input) under NAME, optionally closed by the\n"
    "broker after MS milliseconds. retrieve runs PROGRAM with the parked fd as fd 3, with\n"
    "LISTEN_FDS=1, LISTEN_PID and LISTEN_FDNAMES=NAME, as systemd would pass it.\n",
};
