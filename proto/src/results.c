/* results.c: what the daemon sends back (PROTOCOL.md section 9): each operation's result
 * and each event, as schemas that are open (receivers ignore members they do not know) but
 * check the members they name; and the checks a client runs on replies and events. */
#include "internal.h"
#include "nbproto_ops.h"

#include <errno.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define REQ      NB_PROTO_F_REQUIRED
#define NUL      NB_PROTO_F_NULLABLE
#define STR(n, fl)                                                                                 \
    {                                                                                              \
        .name = (n), .type = NB_PROTO_T_STRING, .flags = (fl), .max = INT64_MAX                    \
    }
#define CHK(n, fl, c)                                                                              \
    {                                                                                              \
        .name = (n), .type = NB_PROTO_T_STRING, .flags = (fl), .check = (c)                        \
    }
#define INT(n, fl, hi)                                                                             \
    {                                                                                              \
        .name = (n), .type = NB_PROTO_T_INT, .flags = (fl), .max = (hi)                            \
    }
#define CNT(n, fl) INT(n, fl, INT64_MAX)
#define BOOL(n, fl)                                                                                \
    {                                                                                              \
        .name = (n), .type = NB_PROTO_T_BOOL, .flags = (fl)                                        \
    }
#define ENUM(n, fl, v)                                                                             \
    {                                                                                              \
        .name = (n), .type = NB_PROTO_T_ENUM, .flags = (fl), .values = (v)                         \
    }
#define OBJ(n, fl, s)                                                                              \
    {                                                                                              \
        .name = (n), .type = NB_PROTO_T_OBJECT, .flags = (fl), .sub = (s)                          \
    }
#define ARR(n, fl, s)                                                                              \
    {                                                                                              \
        .name = (n), .type = NB_PROTO_T_ARRAY, .flags = (fl), .max = INT64_MAX, .sub = (s)         \
    }
#define OPEN(var, w, fs)                                                                           \
    const nb_proto_schema_t var = {                                                                \
        .what = (w), .fields = (fs), .nfields = COUNT(fs), .open = true                            \
    }

static const char *const family_values[] = { "IPv4", "IPv6", NULL };

/* Node's server.address(): { port, family, address }, or the path of a Unix server. */
#define ADDRESS_FIELDS                                                                             \
    STR("address", 0), INT("port", 0, 65535), ENUM("family", 0, family_values), STR("path", 0)
#define PEER_FIELDS                                                                                \
    STR("remoteAddress", 0), INT("remotePort", 0, 65535), ENUM("remoteFamily", 0, family_values),  \
        STR("localAddress", 0), INT("localPort", 0, 65535)

const nb_proto_schema_t nb_proto__result_empty = { .what = "result", .open = true };

static const nb_proto_field_t hello_fields[] = {
    INT("version", REQ, INT64_C(2147483647)),
    { .name = "capabilities",
      .type = NB_PROTO_T_ARRAY,
      .flags = REQ,
      .max = 1024,
      .check = NB_PROTO_V_NAME },
    STR("daemon", 0),
};
OPEN(nb_proto__result_hello, "result", hello_fields);

/* A server as server.info describes it; mode is a string, not an enum, so that a client
 * meets a newer daemon's modes without failing. */
static const nb_proto_field_t server_fields[] = {
    CHK("name", REQ, NB_PROTO_V_SERVER_NAME),
    STR("mode", REQ),
    BOOL("listening", REQ),
    ADDRESS_FIELDS,
    CNT("backlog", 0),
    BOOL("exclusive", 0),
    { .name = "maxConnections", .type = NB_PROTO_T_INT, .flags = NUL, .max = INT64_MAX },
    CNT("queueLimit", 0),
    CNT("queueTimeout", 0),
    CNT("connections", 0),
    CNT("queued", 0),
    CNT("subscribers", 0),
    ARR("blocklist", 0, &nb_proto_schema_rule),
    ARR("access", 0, &nb_proto_schema_access),
};
OPEN(nb_proto__result_server, "result", server_fields);

static const nb_proto_field_t server_list_fields[] = {
    ARR("servers", REQ, &nb_proto__result_server),
};
OPEN(nb_proto__result_server_list, "result", server_list_fields);

static const nb_proto_field_t acquire_fields[] = {
    CHK("name", REQ, NB_PROTO_V_SERVER_NAME),
    ADDRESS_FIELDS,
};
OPEN(nb_proto__result_acquire, "result", acquire_fields);

static const nb_proto_field_t connect_fields[] = {
    PEER_FIELDS,
    STR("path", 0),
    { .name = "attempted", .type = NB_PROTO_T_ARRAY, .max = INT64_MAX },
};
OPEN(nb_proto__result_connect, "result", connect_fields);

static const nb_proto_field_t rules_fields[] = {
    ARR("rules", REQ, &nb_proto_schema_rule),
};
OPEN(nb_proto__result_rules, "result", rules_fields);

static const nb_proto_field_t check_fields[] = { BOOL("blocked", REQ),
                                                 OBJ("rule", 0, &nb_proto_schema_rule) };
OPEN(nb_proto__result_check, "result", check_fields);

/* A stored fd as fd.list describes it. */
static const nb_proto_field_t fd_fields[] = {
    CHK("name", REQ, NB_PROTO_V_FD_NAME),
    STR("type", 0),
    CNT("uid", 0),
    CNT("storedAt", 0),
    { .name = "expiresAt", .type = NB_PROTO_T_INT, .flags = NUL, .max = INT64_MAX },
};
OPEN(nb_proto__result_fd, "result", fd_fields);

static const nb_proto_field_t fd_list_fields[] = { ARR("fds", REQ, &nb_proto__result_fd) };
OPEN(nb_proto__result_fd_list, "result", fd_list_fields);

static const nb_proto_field_t server_stats_fields[] = {
    CHK("name", REQ, NB_PROTO_V_SERVER_NAME),
    CNT("accepted", 0),
    CNT("dispatched", 0),
    CNT("dropped", 0),
    CNT("blocked", 0),
    CNT("queued", 0),
    CNT("subscribers", 0),
};
static OPEN(server_stats, "result", server_stats_fields);
static const nb_proto_field_t stats_fields[] = { CNT("uptime", REQ),
                                                 CNT("clients", 0),
                                                 CNT("fds", 0),
                                                 ARR("servers", REQ, &server_stats),
                                                 CNT("bytesRead", 0),
                                                 CNT("bytesWritten", 0),
                                                 CNT("connectionBytesRead", 0),
                                                 CNT("connectionBytesWritten", 0) };
OPEN(nb_proto__result_stats, "result", stats_fields);

static const nb_proto_field_t reload_fields[] = {
    { .name = "added", .type = NB_PROTO_T_ARRAY, .max = INT64_MAX },
    { .name = "changed", .type = NB_PROTO_T_ARRAY, .max = INT64_MAX },
    { .name = "removed", .type = NB_PROTO_T_ARRAY, .max = INT64_MAX },
};
OPEN(nb_proto__result_reload, "result", reload_fields);

static const nb_proto_field_t takeover_begin_fields[] = {
    INT("version", REQ, INT64_C(2147483647)),
    CNT("items", REQ),
    ARR("blocklist", REQ, &nb_proto_schema_rule),
};
OPEN(nb_proto__result_takeover_begin, "result", takeover_begin_fields);

static const nb_proto_field_t tk_connection_fields[] = { CHK("server", REQ, NB_PROTO_V_SERVER_NAME),
                                                         PEER_FIELDS };
static OPEN(tk_connection, "result", tk_connection_fields);
static const nb_proto_field_t takeover_next_fields[] = {
    BOOL("done", REQ),
    STR("kind", 0),
    { .name = "server",
      .type = NB_PROTO_T_OBJECT,
      .flags = REQ,
      .sub = &nb_proto__result_server,
      .when = "kind",
      .when_is = "server" },
    { .name = "fd",
      .type = NB_PROTO_T_OBJECT,
      .flags = REQ,
      .sub = &nb_proto__result_fd,
      .when = "kind",
      .when_is = "fd" },
    { .name = "connection",
      .type = NB_PROTO_T_OBJECT,
      .flags = REQ,
      .sub = &tk_connection,
      .when = "kind",
      .when_is = "connection" },
};
OPEN(nb_proto__result_takeover_next, "result", takeover_next_fields);

/* ---- Events -------------------------------------------------------------------------- */
static const nb_proto_field_t listening_fields[] = { CHK("server", REQ, NB_PROTO_V_SERVER_NAME),
                                                     ADDRESS_FIELDS };
static const nb_proto_field_t connection_fields[] = { CHK("server", REQ, NB_PROTO_V_SERVER_NAME),
                                                      PEER_FIELDS };
/* Node's 'drop' data, plus why: a reason a client does not know is still a drop. */
static const nb_proto_field_t drop_fields[] = { CHK("server", REQ, NB_PROTO_V_SERVER_NAME),
                                                STR("reason", REQ), PEER_FIELDS,
                                                ENUM("localFamily", 0, family_values) };
static const nb_proto_field_t close_fields[] = { CHK("server", REQ, NB_PROTO_V_SERVER_NAME) };
static const nb_proto_field_t error_fields[] = { CHK("server", 0, NB_PROTO_V_SERVER_NAME),
                                                 STR("code", REQ), STR("message", REQ) };
static OPEN(ev_listening, "listening", listening_fields);
static OPEN(ev_connection, "connection", connection_fields);
static OPEN(ev_drop, "drop", drop_fields);
static OPEN(ev_close, "close", close_fields);
static OPEN(ev_error, "error", error_fields);

/* The names come from the X-macro list alone, as the operations' do. */
#define NB_PROTO_XX(id, name) static const char evname_##id[] = name;
NB_PROTO_EVENT_MAP(NB_PROTO_XX)
#undef NB_PROTO_XX

#define EV(id_, s, lo, hi)                                                                         \
    [NB_PROTO_EVENT_##id_] = { .id = NB_PROTO_EVENT_##id_,                                         \
                               .name = evname_##id_,                                               \
                               .fields = &(s),                                                     \
                               .fds_min = (lo),                                                    \
                               .fds_max = (hi) }
static const nb_proto_event_t events[NB_PROTO_EVENT_COUNT] = {
    EV(LISTENING, ev_listening, 0, 0),
    /* One fd when it is a dispatched connection, none in the events stream. */
    EV(CONNECTION, ev_connection, 0, 1),
    EV(DROP, ev_drop, 0, 0),
    EV(CLOSE, ev_close, 0, 0),
    EV(ERROR, ev_error, 0, 0),
};

const nb_proto_event_t *nb_proto_event_get(int id)
{
    return id >= 0 && id < NB_PROTO_EVENT_COUNT ? &events[id] : NULL;
}

const nb_proto_event_t *nb_proto_event_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < COUNT(events); i++) {
        if (strcmp(events[i].name, name) == 0) {
            return &events[i];
        }
    }
    return NULL;
}

/* ---- Checks of what a client receives ------------------------------------------------ */
static bool only_members(const json_t *obj, const char *const *allowed)
{
    const char *key;
    const json_t *v;

    json_object_foreach((json_t *)obj, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++) {
            ok = strcmp(key, allowed[i]) == 0;
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

static int check_error_object(const json_t *error, size_t nfds, nb_proto_error_t *err)
{
    static const char *const members[] = { "code", "message", NULL };
    const json_t *code = json_object_get(error, "code");

    if (!json_is_object(error) || !only_members(error, members) || !json_is_string(code) ||
        json_string_length(code) == 0 || !json_is_string(json_object_get(error, "message"))) {
        return nb_proto__fail(err, NB_PROTO_ERR_PROTO_PARSE, "%s",
                              "\"error\" must hold exactly \"code\" and \"message\", strings");
    }
    if (nfds != 0) {
        return nb_proto__fail(err, NB_PROTO_ERR_PROTO_FD_COUNT,
                              "a failure reply carries %zu file descriptors", nfds);
    }
    return 0;
}

static int check_reply(const nb_proto_op_t *op,
                       const json_t *reply,
                       size_t nfds,
                       nb_proto_error_t *err)
{
    static const char *const members[] = { "id", "ok", "result", "error", "fds", NULL };
    const json_t *id = json_object_get(reply, "id"), *ok = json_object_get(reply, "ok");
    const json_t *result = json_object_get(reply, "result");

    if (!json_is_object(reply) || !only_members(reply, members) || !json_is_boolean(ok) ||
        !(json_is_null(id) || (json_is_integer(id) && json_integer_value(id) >= 0 &&
                               json_integer_value(id) <= NB_PROTO_ID_MAX))) {
        return nb_proto__fail(err, NB_PROTO_ERR_PROTO_PARSE, "%s",
                              "a reply holds \"id\", \"ok\" and \"result\" or \"error\" only");
    }
    if (!json_is_true(ok)) {
        if (result != NULL) {
            return nb_proto__fail(err, NB_PROTO_ERR_PROTO_PARSE, "%s",
                                  "a failure reply has no \"result\"");
        }
        return check_error_object(json_object_get(reply, "error"), nfds, err);
    }
    if (!json_is_object(result) || json_object_get(reply, "error") != NULL) {
        return nb_proto__fail(err, NB_PROTO_ERR_PROTO_PARSE, "%s",
                              "a success reply has a \"result\" object and no \"error\"");
    }
    if (nfds < op->fds_out_min || nfds > op->fds_out_max) {
        return nb_proto__fail(err, NB_PROTO_ERR_PROTO_FD_COUNT,
                              "a %s result carries %u to %u file descriptors, not %zu", op->name,
                              (unsigned)op->fds_out_min, (unsigned)op->fds_out_max, nfds);
    }
    return nb_proto__validate(op->result, result, "result", NULL, err);
}

int nb_proto_reply_validate(nb_proto_op_id_t op,
                            const json_t *reply,
                            size_t nfds,
                            nb_proto_error_t *ret_err)
{
    const nb_proto_op_t *o = nb_proto_op_get((int)op);

    if (o == NULL || ret_err == NULL) {
        return -EINVAL;
    }
    int rc = check_reply(o, reply, nfds, ret_err);
    if (rc < 0) {
        ret_err->id = nb_proto__msg_id(reply);
    }
    return rc;
}

int nb_proto_event_validate(const json_t *event,
                            size_t nfds,
                            const nb_proto_event_t **ret_event,
                            nb_proto_error_t *ret_err)
{
    const json_t *name = json_object_get(event, "event");
    const nb_proto_event_t *ev;

    if (ret_err == NULL) {
        return -EINVAL;
    }
    if (!json_is_object(event) || !json_is_string(name) ||
        !nb_proto_name_valid(json_string_value(name)) || json_object_get(event, "id") != NULL ||
        json_object_get(event, "ok") != NULL) {
        return nb_proto__fail(ret_err, NB_PROTO_ERR_PROTO_PARSE, "%s",
                              "an event has an \"event\" name and no \"id\" or \"ok\"");
    }
    ev = nb_proto_event_find(json_string_value(name));
    if (ev != NULL && (nfds < ev->fds_min || nfds > ev->fds_max)) {
        return nb_proto__fail(ret_err, NB_PROTO_ERR_PROTO_FD_COUNT,
                              "a %s event carries %u to %u file descriptors, not %zu", ev->name,
                              (unsigned)ev->fds_min, (unsigned)ev->fds_max, nfds);
    }
    if (ev != NULL) {
        int rc = nb_proto__validate(ev->fields, event, ev->name, NULL, ret_err);
        if (rc < 0) {
            return rc;
        }
    }
    if (ret_event != NULL) {
        *ret_event = ev;
    }
    return 0;
}
