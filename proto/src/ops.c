/* ops.c: the table of operations (PROTOCOL.md section 9): each one's arguments as a schema
 * with the C struct they decode into, its fds, its access right, and its result schema.
 * schema.c does all the checking; nothing here is specific to one operation except the two
 * cross-member rules that a table cannot say (a blocklist rule's addresses agree with its
 * type; a checked address agrees with its type). */
#include "internal.h"
#include "nbproto_ops.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#define INT32_LIM INT64_C(2147483647)
/* uid_t and gid_t values less (uid_t)-1, which means "no change" to chown(2). */
#define ID_LIM INT64_C(4294967294)

#define AT(st, m)     .offset = offsetof(st, m)
#define DEF(v)        .flags = NB_PROTO_F_DEFAULT, .def = (v)
#define COUNT(a)      (sizeof(a) / sizeof((a)[0]))
#define SCHEMA(w, fs) .what = (w), .fields = (fs), .nfields = COUNT(fs)

static const char *const mode_values[] = { "acquire", "dispatch", NULL };
static const char *const kind_values[] = { "address", "range", "subnet", NULL };
static const char *const type_values[] = { "ipv4", "ipv6", NULL };
static const char *const right_values[] = { "read", "acquire", "subscribe", "manage", NULL };
static const char *const event_values[] = { "listening", "connection", "drop",
                                            "close",     "error",      NULL };
static const char *const port_or_path[] = { "port", "path", NULL };
static const char *const uid_or_gid[] = { "uid", "gid", NULL };

static const char *const right_names[] = { "read",    "acquire", "subscribe", "manage", "create",
                                           "connect", "fd",      "admin",     "none" };

/* ---- Blocklist rules and access rules ------------------------------------------------ */

/* The rule's addresses are all of one family, that of "type" when given (Node would take
 * 'ipv4' as the default and then refuse an IPv6 address: the protocol infers it); a range
 * runs upwards; a subnet's prefix fits its family. */
static int rule_check(const json_t *obj, void *decoded, const char *path, nb_proto_error_t *err)
{
    static const char *const addr_members[] = { "address", "start", "end", "net" };
    unsigned char a[sizeof(struct in6_addr)], b[sizeof(struct in6_addr)];
    const json_t *type = json_object_get(obj, "type");
    int family = 0;

    if (type != NULL) {
        family = strcmp(json_string_value(type), "ipv6") == 0 ? 6 : 4;
    }
    for (size_t i = 0; i < COUNT(addr_members); i++) {
        const json_t *v = json_object_get(obj, addr_members[i]);
        int f = v != NULL ? nb_proto__ip_family(json_string_value(v)) : 0;
        if (f != 0 && family != 0 && f != family) {
            return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_VALUE,
                                  "The property '%s.%s' must be an IPv%d address. Received '%s'",
                                  path, addr_members[i], family, json_string_value(v));
        }
        family = f != 0 ? f : family;
    }
    const json_t *start = json_object_get(obj, "start"), *end = json_object_get(obj, "end");
    int af = family == 6 ? AF_INET6 : AF_INET;
    if (start != NULL && end != NULL && inet_pton(af, json_string_value(start), a) == 1 &&
        inet_pton(af, json_string_value(end), b) == 1 && memcmp(a, b, family == 6 ? 16 : 4) > 0) {
        return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_VALUE,
                              "The property '%s.start' must come before '%s.end'", path, path);
    }
    const json_t *prefix = json_object_get(obj, "prefix");
    if (prefix != NULL && family == 4 && json_integer_value(prefix) > 32) {
        return nb_proto__fail(err, NB_PROTO_ERR_OUT_OF_RANGE,
                              "The value of \"%s.prefix\" is out of range. It must be >= 0 && "
                              "<= 32. Received %" JSON_INTEGER_FORMAT,
                              path, json_integer_value(prefix));
    }
    if (decoded != NULL) {
        ((nb_proto_rule_t *)decoded)->type = family == 6 ? NB_PROTO_IPV6 : NB_PROTO_IPV4;
    }
    return 0;
}

#define RULE_IP(m, n, k)                                                                           \
    {                                                                                              \
        .name = (n), .type = NB_PROTO_T_STRING, .flags = NB_PROTO_F_REQUIRED,                      \
        .check = NB_PROTO_V_IP, .when = "kind", .when_is = (k), AT(nb_proto_rule_t, m)             \
    }
static const nb_proto_field_t rule_fields[] = {
    { .name = "kind",
      .type = NB_PROTO_T_ENUM,
      .flags = NB_PROTO_F_REQUIRED,
      .values = kind_values,
      AT(nb_proto_rule_t, kind) },
    RULE_IP(address, "address", "address"),
    RULE_IP(start, "start", "range"),
    RULE_IP(end, "end", "range"),
    RULE_IP(net, "net", "subnet"),
    { .name = "prefix",
      .type = NB_PROTO_T_INT,
      .flags = NB_PROTO_F_REQUIRED,
      .max = 128,
      .when = "kind",
      .when_is = "subnet",
      AT(nb_proto_rule_t, prefix) },
    { .name = "type", .type = NB_PROTO_T_ENUM, .values = type_values, AT(nb_proto_rule_t, type) },
};
const nb_proto_schema_t nb_proto_schema_rule = { SCHEMA("a blocklist rule", rule_fields),
                                                 .size = sizeof(nb_proto_rule_t),
                                                 .check = rule_check };

static const nb_proto_field_t access_fields[] = {
    { .name = "uid", .type = NB_PROTO_T_INT, .max = ID_LIM, AT(nb_proto_access_t, uid) },
    { .name = "gid", .type = NB_PROTO_T_INT, .max = ID_LIM, AT(nb_proto_access_t, gid) },
    { .name = "allow",
      .type = NB_PROTO_T_ARRAY,
      .flags = NB_PROTO_F_REQUIRED,
      .min = 1,
      .max = 4,
      .values = right_values,
      AT(nb_proto_access_t, allow) },
};
const nb_proto_schema_t nb_proto_schema_access = { SCHEMA("an access rule", access_fields),
                                                   .one_of = uid_or_gid,
                                                   .size = sizeof(nb_proto_access_t) };

/* ---- Arguments, one schema per operation --------------------------------------------- */

static const nb_proto_field_t hello_fields[] = {
    { .name = "version",
      .type = NB_PROTO_T_INT,
      .flags = NB_PROTO_F_REQUIRED,
      .min = 1,
      .max = INT32_LIM,
      AT(nb_proto_hello_args_t, version) },
};

#define SC(m)         AT(nb_proto_server_create_args_t, m)
#define DISPATCH_ONLY .when = "mode", .when_is = "dispatch"
static const nb_proto_field_t server_create_fields[] = {
    { .name = "name",
      .type = NB_PROTO_T_STRING,
      .flags = NB_PROTO_F_REQUIRED,
      .check = NB_PROTO_V_SERVER_NAME,
      SC(name) },
    { .name = "host",
      .type = NB_PROTO_T_STRING,
      .check = NB_PROTO_V_HOST,
      .when = "port",
      SC(host) },
    { .name = "port",
      .type = NB_PROTO_T_INT,
      .max = 65535,
      .range_code = NB_PROTO_ERR_SOCKET_BAD_PORT,
      SC(port) },
    { .name = "path", .type = NB_PROTO_T_STRING, .check = NB_PROTO_V_PATH, SC(path) },
    { .name = "backlog", .type = NB_PROTO_T_INT, .max = INT32_LIM, DEF(511), SC(backlog) },
    { .name = "exclusive", .type = NB_PROTO_T_BOOL, DEF(0), SC(exclusive) },
    { .name = "ipv6Only", .type = NB_PROTO_T_BOOL, DEF(0), .when = "port", SC(ipv6_only) },
    { .name = "readableAll", .type = NB_PROTO_T_BOOL, DEF(0), .when = "path", SC(readable_all) },
    { .name = "writableAll", .type = NB_PROTO_T_BOOL, DEF(0), .when = "path", SC(writable_all) },
    { .name = "mode",
      .type = NB_PROTO_T_ENUM,
      .values = mode_values,
      DEF(NB_PROTO_MODE_ACQUIRE),
      SC(mode) },
    { .name = "maxConnections",
      .type = NB_PROTO_T_INT,
      .flags = NB_PROTO_F_NULLABLE | NB_PROTO_F_DEFAULT,
      .def = NB_PROTO_NULL,
      .max = INT32_LIM,
      DISPATCH_ONLY,
      SC(max_connections) },
    { .name = "queueLimit",
      .type = NB_PROTO_T_INT,
      .max = 65535,
      DEF(128),
      DISPATCH_ONLY,
      SC(queue_limit) },
    { .name = "queueTimeout",
      .type = NB_PROTO_T_INT,
      .max = 3600000,
      DEF(5000),
      DISPATCH_ONLY,
      SC(queue_timeout) },
    { .name = "blocklist",
      .type = NB_PROTO_T_ARRAY,
      .max = NB_PROTO_RULES_MAX,
      .sub = &nb_proto_schema_rule,
      DISPATCH_ONLY,
      SC(blocklist) },
    { .name = "access",
      .type = NB_PROTO_T_ARRAY,
      .max = 64,
      .sub = &nb_proto_schema_access,
      SC(access) },
};

#define SS(m) AT(nb_proto_server_set_args_t, m)
static const nb_proto_field_t server_set_fields[] = {
    { .name = "name",
      .type = NB_PROTO_T_STRING,
      .flags = NB_PROTO_F_REQUIRED,
      .check = NB_PROTO_V_SERVER_NAME,
      SS(name) },
    { .name = "maxConnections",
      .type = NB_PROTO_T_INT,
      .flags = NB_PROTO_F_NULLABLE,
      .max = INT32_LIM,
      SS(max_connections) },
    { .name = "queueLimit", .type = NB_PROTO_T_INT, .max = 65535, SS(queue_limit) },
    { .name = "queueTimeout", .type = NB_PROTO_T_INT, .max = 3600000, SS(queue_timeout) },
    { .name = "blocklist",
      .type = NB_PROTO_T_ARRAY,
      .max = NB_PROTO_RULES_MAX,
      .sub = &nb_proto_schema_rule,
      SS(blocklist) },
    { .name = "access",
      .type = NB_PROTO_T_ARRAY,
      .max = 64,
      .sub = &nb_proto_schema_access,
      SS(access) },
};

static const nb_proto_field_t server_fields[] = {
    { .name = "name",
      .type = NB_PROTO_T_STRING,
      .flags = NB_PROTO_F_REQUIRED,
      .check = NB_PROTO_V_SERVER_NAME,
      AT(nb_proto_server_args_t, name) },
};

static const nb_proto_field_t server_subscribe_fields[] = {
    { .name = "name",
      .type = NB_PROTO_T_STRING,
      .flags = NB_PROTO_F_REQUIRED,
      .check = NB_PROTO_V_SERVER_NAME,
      AT(nb_proto_server_subscribe_args_t, name) },
    { .name = "maxPending",
      .type = NB_PROTO_T_INT,
      .min = 1,
      .max = 256,
      DEF(16),
      AT(nb_proto_server_subscribe_args_t, max_pending) },
};

#define CN(m) AT(nb_proto_socket_connect_args_t, m)
static const nb_proto_field_t socket_connect_fields[] = {
    { .name = "host",
      .type = NB_PROTO_T_STRING,
      .check = NB_PROTO_V_HOST,
      .when = "port",
      CN(host) },
    { .name = "port",
      .type = NB_PROTO_T_INT,
      .min = 1,
      .max = 65535,
      .range_code = NB_PROTO_ERR_SOCKET_BAD_PORT,
      CN(port) },
    { .name = "path", .type = NB_PROTO_T_STRING, .check = NB_PROTO_V_PATH, CN(path) },
    { .name = "localAddress",
      .type = NB_PROTO_T_STRING,
      .check = NB_PROTO_V_IP,
      .when = "port",
      CN(local_address) },
    { .name = "localPort",
      .type = NB_PROTO_T_INT,
      .max = 65535,
      .range_code = NB_PROTO_ERR_SOCKET_BAD_PORT,
      .when = "port",
      CN(local_port) },
    { .name = "family",
      .type = NB_PROTO_T_INT,
      .max = 6,
      .check = NB_PROTO_V_FAMILY,
      DEF(0),
      .when = "port",
      CN(family) },
    { .name = "autoSelectFamily",
      .type = NB_PROTO_T_BOOL,
      DEF(1),
      .when = "port",
      CN(auto_select_family) },
    { .name = "autoSelectFamilyAttemptTimeout",
      .type = NB_PROTO_T_INT,
      .min = 1,
      .max = INT32_LIM,
      DEF(250),
      .when = "port",
      CN(auto_select_family_attempt_timeout) },
    { .name = "timeout",
      .type = NB_PROTO_T_INT,
      .min = 1,
      .max = INT32_LIM,
      DEF(30000),
      CN(timeout) },
    { .name = "noDelay", .type = NB_PROTO_T_BOOL, DEF(0), .when = "port", CN(no_delay) },
    { .name = "keepAlive", .type = NB_PROTO_T_BOOL, DEF(0), .when = "port", CN(keep_alive) },
    { .name = "keepAliveInitialDelay",
      .type = NB_PROTO_T_INT,
      .max = INT32_LIM,
      DEF(0),
      .when = "port",
      CN(keep_alive_initial_delay) },
};

#define OPT_SERVER(st)                                                                             \
    {                                                                                              \
        .name = "server", .type = NB_PROTO_T_STRING, .check = NB_PROTO_V_SERVER_NAME,              \
        AT(st, server)                                                                             \
    }
static const nb_proto_field_t blocklist_rules_fields[] = {
    OPT_SERVER(nb_proto_blocklist_rules_args_t),
    { .name = "rules",
      .type = NB_PROTO_T_ARRAY,
      .flags = NB_PROTO_F_REQUIRED,
      .min = 1,
      .max = NB_PROTO_RULES_MAX,
      .sub = &nb_proto_schema_rule,
      AT(nb_proto_blocklist_rules_args_t, rules) },
};

static const nb_proto_field_t scope_fields[] = { OPT_SERVER(nb_proto_scope_args_t) };

/* The address is of the type given, or gives the type. */
static int check_check(const json_t *obj, void *decoded, const char *path, nb_proto_error_t *err)
{
    const char *addr = json_string_value(json_object_get(obj, "address"));
    const json_t *type = json_object_get(obj, "type");
    int family = nb_proto__ip_family(addr);

    if (type != NULL && (strcmp(json_string_value(type), "ipv6") == 0 ? 6 : 4) != family) {
        return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_VALUE,
                              "The property '%s.address' must be an address of type '%s'. "
                              "Received '%s'",
                              path, json_string_value(type), addr);
    }
    if (decoded != NULL) {
        ((nb_proto_blocklist_check_args_t *)decoded)->type =
            family == 6 ? NB_PROTO_IPV6 : NB_PROTO_IPV4;
    }
    return 0;
}

static const nb_proto_field_t blocklist_check_fields[] = {
    OPT_SERVER(nb_proto_blocklist_check_args_t),
    { .name = "address",
      .type = NB_PROTO_T_STRING,
      .flags = NB_PROTO_F_REQUIRED,
      .check = NB_PROTO_V_IP,
      AT(nb_proto_blocklist_check_args_t, address) },
    { .name = "type",
      .type = NB_PROTO_T_ENUM,
      .values = type_values,
      AT(nb_proto_blocklist_check_args_t, type) },
};

#define FD_NAME(st)                                                                                \
    {                                                                                              \
        .name = "name", .type = NB_PROTO_T_STRING, .flags = NB_PROTO_F_REQUIRED,                   \
        .check = NB_PROTO_V_FD_NAME, AT(st, name)                                                  \
    }
static const nb_proto_field_t fd_store_fields[] = {
    FD_NAME(nb_proto_fd_store_args_t),
    { .name = "timeout",
      .type = NB_PROTO_T_INT,
      .min = 1,
      .max = INT32_LIM,
      AT(nb_proto_fd_store_args_t, timeout) },
    { .name = "replace", .type = NB_PROTO_T_BOOL, DEF(0), AT(nb_proto_fd_store_args_t, replace) },
};
static const nb_proto_field_t fd_retrieve_fields[] = {
    FD_NAME(nb_proto_fd_retrieve_args_t),
    { .name = "remove", .type = NB_PROTO_T_BOOL, DEF(0), AT(nb_proto_fd_retrieve_args_t, remove) },
};
static const nb_proto_field_t fd_fields[] = { FD_NAME(nb_proto_fd_args_t) };

static const nb_proto_field_t events_subscribe_fields[] = {
    OPT_SERVER(nb_proto_events_subscribe_args_t),
    { .name = "events",
      .type = NB_PROTO_T_ARRAY,
      .min = 1,
      .max = 5,
      .values = event_values,
      DEF((1u << NB_PROTO_EVENT_COUNT) - 1),
      AT(nb_proto_events_subscribe_args_t, events) },
};

/* hello alone ignores members it does not know: a newer client's hello must reach an older
 * daemon and come back with the version they share (PROTOCOL.md 6). */
static const nb_proto_schema_t args_hello = { SCHEMA("hello", hello_fields), .open = true,
                                              .size = sizeof(nb_proto_hello_args_t) };
static const nb_proto_schema_t args_server_create = { SCHEMA("server.create", server_create_fields),
                                                      .one_of = port_or_path,
                                                      .size =
                                                          sizeof(nb_proto_server_create_args_t) };
static const nb_proto_schema_t args_server_set = { SCHEMA("server.set", server_set_fields),
                                                   .size = sizeof(nb_proto_server_set_args_t) };
#define ARGS(var, what, fs, st)                                                                    \
    static const nb_proto_schema_t var = { SCHEMA(what, fs), .size = sizeof(st) }
ARGS(args_server_info, "server.info", server_fields, nb_proto_server_args_t);
ARGS(args_server_close, "server.close", server_fields, nb_proto_server_args_t);
ARGS(args_server_acquire, "server.acquire", server_fields, nb_proto_server_args_t);
ARGS(args_server_subscribe,
     "server.subscribe",
     server_subscribe_fields,
     nb_proto_server_subscribe_args_t);
ARGS(args_server_unsubscribe, "server.unsubscribe", server_fields, nb_proto_server_args_t);
ARGS(args_blocklist_add, "blocklist.add", blocklist_rules_fields, nb_proto_blocklist_rules_args_t);
ARGS(args_blocklist_remove,
     "blocklist.remove",
     blocklist_rules_fields,
     nb_proto_blocklist_rules_args_t);
ARGS(args_blocklist_list, "blocklist.list", scope_fields, nb_proto_scope_args_t);
ARGS(args_fd_store, "fd.store", fd_store_fields, nb_proto_fd_store_args_t);
ARGS(args_fd_retrieve, "fd.retrieve", fd_retrieve_fields, nb_proto_fd_retrieve_args_t);
ARGS(args_fd_remove, "fd.remove", fd_fields, nb_proto_fd_args_t);
ARGS(args_events_subscribe,
     "events.subscribe",
     events_subscribe_fields,
     nb_proto_events_subscribe_args_t);
ARGS(args_events_unsubscribe, "events.unsubscribe", scope_fields, nb_proto_scope_args_t);
ARGS(args_stats, "stats", scope_fields, nb_proto_scope_args_t);
static const nb_proto_schema_t args_socket_connect = {
    SCHEMA("socket.connect", socket_connect_fields), .one_of = port_or_path,
    .size = sizeof(nb_proto_socket_connect_args_t)
};
static const nb_proto_schema_t args_blocklist_check = {
    SCHEMA("blocklist.check", blocklist_check_fields), .check = check_check,
    .size = sizeof(nb_proto_blocklist_check_args_t)
};
/* Operations without arguments still refuse unknown ones. */
#define NO_ARGS(var, w) static const nb_proto_schema_t var = { .what = (w) }
NO_ARGS(args_server_list, "server.list");
NO_ARGS(args_fd_list, "fd.list");
NO_ARGS(args_daemon_reload, "daemon.reload");
NO_ARGS(args_daemon_shutdown, "daemon.shutdown");
NO_ARGS(args_takeover_begin, "takeover.begin");
NO_ARGS(args_takeover_next, "takeover.next");
NO_ARGS(args_takeover_commit, "takeover.commit");
NO_ARGS(args_takeover_abort, "takeover.abort");

/* ---- The operations ------------------------------------------------------------------ */
#define R(x) NB_PROTO_RIGHT_##x
/* The names come from the X-macro list alone, so the enum and the strings cannot part. */
#define NB_PROTO_XX(id, name) static const char opname_##id[] = name;
NB_PROTO_OP_MAP(NB_PROTO_XX)
#undef NB_PROTO_XX

#define OP(id_, var, res, in, omin, omax, right_, scope_, sarg, global)                            \
    [NB_PROTO_OP_##id_] = { .id = NB_PROTO_OP_##id_,                                               \
                            .name = opname_##id_,                                                  \
                            .args = &(var),                                                        \
                            .result = &(res),                                                      \
                            .fds_in = (in),                                                        \
                            .fds_out_min = (omin),                                                 \
                            .fds_out_max = (omax),                                                 \
                            .right = (right_),                                                     \
                            .scope = NB_PROTO_SCOPE_##scope_,                                      \
                            .scope_arg = (sarg),                                                   \
                            .global_right = (global) }

/* clang-format off */
static const nb_proto_op_t ops[NB_PROTO_OP_COUNT] = {
    OP(HELLO, args_hello, nb_proto__result_hello, 0, 0, 0, R(NONE), DAEMON, NULL, R(NONE)),
    OP(SERVER_CREATE, args_server_create, nb_proto__result_server, 0, 0, 0, R(CREATE), SERVER, "name", R(NONE)),
    OP(SERVER_LIST, args_server_list, nb_proto__result_server_list, 0, 0, 0, R(READ), SERVER, NULL, R(NONE)),
    OP(SERVER_INFO, args_server_info, nb_proto__result_server, 0, 0, 0, R(READ), SERVER, "name", R(NONE)),
    OP(SERVER_SET, args_server_set, nb_proto__result_server, 0, 0, 0, R(MANAGE), SERVER, "name", R(NONE)),
    OP(SERVER_CLOSE, args_server_close, nb_proto__result_empty, 0, 0, 0, R(MANAGE), SERVER, "name", R(NONE)),
    OP(SERVER_ACQUIRE, args_server_acquire, nb_proto__result_acquire, 0, 1, 1, R(ACQUIRE), SERVER, "name", R(NONE)),
    OP(SERVER_SUBSCRIBE, args_server_subscribe, nb_proto__result_empty, 0, 0, 0, R(SUBSCRIBE), SERVER, "name", R(NONE)),
    OP(SERVER_UNSUBSCRIBE, args_server_unsubscribe, nb_proto__result_empty, 0, 0, 0, R(SUBSCRIBE), SERVER, "name", R(NONE)),
    OP(SOCKET_CONNECT, args_socket_connect, nb_proto__result_connect, 0, 1, 1, R(CONNECT), DAEMON, NULL, R(NONE)),
    OP(BLOCKLIST_ADD, args_blocklist_add, nb_proto__result_rules, 0, 0, 0, R(MANAGE), SERVER, "server", R(ADMIN)),
    OP(BLOCKLIST_REMOVE, args_blocklist_remove, nb_proto__result_rules, 0, 0, 0, R(MANAGE), SERVER, "server", R(ADMIN)),
    OP(BLOCKLIST_LIST, args_blocklist_list, nb_proto__result_rules, 0, 0, 0, R(READ), SERVER, "server", R(ADMIN)),
    OP(BLOCKLIST_CHECK, args_blocklist_check, nb_proto__result_check, 0, 0, 0, R(READ), SERVER, "server", R(ADMIN)),
    OP(FD_STORE, args_fd_store, nb_proto__result_fd, 1, 0, 0, R(FD), FD, "name", R(NONE)),
    OP(FD_RETRIEVE, args_fd_retrieve, nb_proto__result_fd, 0, 1, 1, R(FD), FD, "name", R(NONE)),
    OP(FD_LIST, args_fd_list, nb_proto__result_fd_list, 0, 0, 0, R(FD), FD, NULL, R(NONE)),
    OP(FD_REMOVE, args_fd_remove, nb_proto__result_empty, 0, 0, 0, R(FD), FD, "name", R(NONE)),
    OP(EVENTS_SUBSCRIBE, args_events_subscribe, nb_proto__result_empty, 0, 0, 0, R(READ), SERVER, "server", R(NONE)),
    OP(EVENTS_UNSUBSCRIBE, args_events_unsubscribe, nb_proto__result_empty, 0, 0, 0, R(NONE), SERVER, "server", R(NONE)),
    OP(STATS, args_stats, nb_proto__result_stats, 0, 0, 0, R(READ), SERVER, "server", R(NONE)),
    OP(DAEMON_RELOAD, args_daemon_reload, nb_proto__result_reload, 0, 0, 0, R(ADMIN), DAEMON, NULL, R(NONE)),
    OP(DAEMON_SHUTDOWN, args_daemon_shutdown, nb_proto__result_empty, 0, 0, 0, R(ADMIN), DAEMON, NULL, R(NONE)),
    OP(TAKEOVER_BEGIN, args_takeover_begin, nb_proto__result_takeover_begin, 0, 0, 0, R(ADMIN), DAEMON, NULL, R(NONE)),
    OP(TAKEOVER_NEXT, args_takeover_next, nb_proto__result_takeover_next, 0, 0, 1, R(ADMIN), DAEMON, NULL, R(NONE)),
    OP(TAKEOVER_COMMIT, args_takeover_commit, nb_proto__result_empty, 0, 0, 0, R(ADMIN), DAEMON, NULL, R(NONE)),
    OP(TAKEOVER_ABORT, args_takeover_abort, nb_proto__result_empty, 0, 0, 0, R(ADMIN), DAEMON, NULL, R(NONE)),
};
/* clang-format on */

const nb_proto_op_t *nb_proto_op_get(int id)
{
    if (id < 0 || id >= NB_PROTO_OP_COUNT) {
        return NULL;
    }
    return &ops[id];
}

const nb_proto_op_t *nb_proto_op_find(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (int i = 0; i < NB_PROTO_OP_COUNT; i++) {
        if (strcmp(ops[i].name, name) == 0) {
            return &ops[i];
        }
    }
    return NULL;
}

const char *nb_proto_right_name(nb_proto_right_t right)
{
    if ((unsigned)right >= COUNT(right_names)) {
        return "none";
    }
    return right_names[right];
}

int nb_proto_capabilities(json_t **ret)
{
    json_t *caps = json_array();

    if (ret == NULL) {
        return -EINVAL;
    }
    for (int i = 0; caps != NULL && i < NB_PROTO_OP_COUNT; i++) {
        if (json_array_append_new(caps, json_string(ops[i].name)) < 0) {
            json_decref(caps);
            caps = NULL;
        }
    }
    if (caps == NULL) {
        return -ENOMEM;
    }
    *ret = caps;
    return 0;
}
