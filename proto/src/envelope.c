/* envelope.c: the shapes every message shares (PROTOCOL.md "Messages"): builders for
 * requests, replies and events, and the validation of a request's envelope. What each
 * operation's args hold is the operation's business, not this file's. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static const char *const envelope_members[] = { "id", "op", "args", "fds" };
static const char *const event_reserved[] = { "event", "id", "ok", "fds" };

static bool id_valid(int64_t id)
{
    return id >= 0 && id <= NB_PROTO_ID_MAX;
}

bool nb_proto_name_valid(const char *s)
{
    size_t n = 0;

    if (s == NULL || s[0] < 'a' || s[0] > 'z') {
        return false;
    }
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok || n >= NB_PROTO_NAME_MAX) {
            return false;
        }
    }
    return true;
}

/* Code names are Node's and errno's shape: capitals, digits, '_'. */
static bool code_valid(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) > NB_PROTO_NAME_MAX) {
        return false;
    }
    for (const char *p = s; *p != '\0'; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')) {
            return false;
        }
    }
    return true;
}

/* Sets key to value in obj, stealing value. Returns 0 or -ENOMEM. */
static int set_new(json_t *obj, const char *key, json_t *value)
{
    return json_object_set_new(obj, key, value) == 0 ? 0 : -ENOMEM;
}

int nb_proto_reply_ok(int64_t id, json_t *result, json_t **ret)
{
    json_t *reply;

    if (ret == NULL || !id_valid(id) || (result != NULL && !json_is_object(result))) {
        json_decref(result);
        return -EINVAL;
    }
    if (result == NULL) {
        result = json_object();
    }
    reply = json_object();
    if (reply == NULL || result == NULL || set_new(reply, "id", json_integer(id)) < 0 ||
        set_new(reply, "ok", json_true()) < 0) {
        json_decref(result);
        json_decref(reply);
        return -ENOMEM;
    }
    if (set_new(reply, "result", result) < 0) {
        json_decref(reply);
        return -ENOMEM;
    }
    *ret = reply;
    return 0;
}

int nb_proto_reply_error(int64_t id, const char *code, const char *message, json_t **ret)
{
    json_t *reply, *error;

    if (ret == NULL || id > NB_PROTO_ID_MAX || !code_valid(code)) {
        return -EINVAL;
    }
    if (message == NULL) {
        message = nb_proto_strerror(nb_proto_err_from_name(code));
    }
    if (nb_proto__utf8_prefix(message, strlen(message)) != strlen(message)) {
        return -EINVAL;
    }
    reply = json_object();
    error = json_object();
    if (reply == NULL || error == NULL ||
        set_new(reply, "id", id >= 0 ? json_integer(id) : json_null()) < 0 ||
        set_new(reply, "ok", json_false()) < 0 || set_new(error, "code", json_string(code)) < 0 ||
        set_new(error, "message", json_string(message)) < 0) {
        json_decref(error);
        json_decref(reply);
        return -ENOMEM;
    }
    if (set_new(reply, "error", error) < 0) {
        json_decref(reply);
        return -ENOMEM;
    }
    *ret = reply;
    return 0;
}

int nb_proto_reply_from_error(const nb_proto_error_t *err, json_t **ret)
{
    if (err == NULL) {
        return -EINVAL;
    }
    return nb_proto_reply_error(err->id, nb_proto_err_name(err->code), err->message, ret);
}

int nb_proto_event_new(const char *name, json_t *fields, json_t **ret)
{
    json_t *event;

    if (ret == NULL || !nb_proto_name_valid(name) || (fields != NULL && !json_is_object(fields))) {
        json_decref(fields);
        return -EINVAL;
    }
    for (size_t i = 0; fields != NULL && i < NB_PROTO_ARRAY_SIZE(event_reserved); i++) {
        if (json_object_get(fields, event_reserved[i]) != NULL) {
            json_decref(fields);
            return -EINVAL;
        }
    }
    event = json_object();
    if (event == NULL || set_new(event, "event", json_string(name)) < 0 ||
        (fields != NULL && json_object_update(event, fields) < 0)) {
        json_decref(fields);
        json_decref(event);
        return -ENOMEM;
    }
    json_decref(fields);
    *ret = event;
    return 0;
}

int nb_proto_request_new(int64_t id, const char *op, json_t *args, json_t **ret)
{
    json_t *req;

    if (ret == NULL || !id_valid(id) || !nb_proto_name_valid(op) ||
        (args != NULL && !json_is_object(args))) {
        json_decref(args);
        return -EINVAL;
    }
    req = json_object();
    if (req == NULL || set_new(req, "id", json_integer(id)) < 0 ||
        set_new(req, "op", json_string(op)) < 0) {
        json_decref(args);
        json_decref(req);
        return -ENOMEM;
    }
    if (args != NULL && set_new(req, "args", args) < 0) {
        json_decref(req);
        return -ENOMEM;
    }
    *ret = req;
    return 0;
}

/* The id member, checked first: every later error reply can then carry it. */
static int parse_id(const json_t *msg, int64_t *ret_id, nb_proto_error_t *err)
{
    const json_t *id = json_object_get(msg, "id");

    if (id == NULL) {
        nb_proto__error_set(err, NB_PROTO_ERR_MISSING_ARGS, false, -1, "%s",
                            "request has no \"id\"");
        return err->code;
    }
    if (!json_is_integer(id)) {
        nb_proto__error_set(err, NB_PROTO_ERR_INVALID_ARG_TYPE, false, -1, "%s",
                            "\"id\" must be an integer");
        return err->code;
    }
    json_int_t v = json_integer_value(id);
    if (v < 0 || v > NB_PROTO_ID_MAX) {
        nb_proto__error_set(err, NB_PROTO_ERR_OUT_OF_RANGE, false, -1,
                            "\"id\" must be from 0 to %" PRId64 ", got %" JSON_INTEGER_FORMAT,
                            NB_PROTO_ID_MAX, v);
        return err->code;
    }
    *ret_id = (int64_t)v;
    return 0;
}

static int parse_op(const json_t *msg, int64_t id, const char **ret_op, nb_proto_error_t *err)
{
    const json_t *op = json_object_get(msg, "op");

    if (op == NULL) {
        nb_proto__error_set(err, NB_PROTO_ERR_MISSING_ARGS, false, id, "%s",
                            "request has no \"op\"");
        return err->code;
    }
    if (!json_is_string(op)) {
        nb_proto__error_set(err, NB_PROTO_ERR_INVALID_ARG_TYPE, false, id, "%s",
                            "\"op\" must be a string");
        return err->code;
    }
    const char *name = json_string_value(op);
    /* A string with an embedded NUL would pass as its prefix: jansson counts it. */
    if (strlen(name) != json_string_length(op) || !nb_proto_name_valid(name)) {
        nb_proto__error_set(err, NB_PROTO_ERR_UNKNOWN_OP, false, id, "%s",
                            "\"op\" is not an operation name");
        return err->code;
    }
    *ret_op = name;
    return 0;
}

/* args, fds, and no member the envelope does not define. */
static int parse_rest(const json_t *msg, nb_proto_request_t *req, nb_proto_error_t *err)
{
    const json_t *args = json_object_get(msg, "args");
    const json_t *fds = json_object_get(msg, "fds");
    const char *key;
    const json_t *value;

    if (args != NULL && !json_is_object(args)) {
        nb_proto__error_set(err, NB_PROTO_ERR_INVALID_ARG_TYPE, false, req->id, "%s",
                            "\"args\" must be an object");
        return err->code;
    }
    if (fds != NULL && (!json_is_integer(fds) || json_integer_value(fds) < 0 ||
                        json_integer_value(fds) > NB_PROTO_FDS_MAX)) {
        nb_proto__error_set(err, NB_PROTO_ERR_PROTO_FDS, false, req->id, "%s",
                            "\"fds\" must be an integer from 0 to 16");
        return err->code;
    }
    json_object_foreach((json_t *)msg, key, value)
    {
        bool known = false;
        for (size_t i = 0; i < NB_PROTO_ARRAY_SIZE(envelope_members); i++) {
            known = known || strcmp(key, envelope_members[i]) == 0;
        }
        if (!known) {
            nb_proto__error_set(err, NB_PROTO_ERR_INVALID_ARG_VALUE, false, req->id,
                                "unknown request member \"%.64s\"", key);
            return err->code;
        }
    }
    req->args = (json_t *)args;
    req->nfds = fds != NULL ? (size_t)json_integer_value(fds) : 0;
    return 0;
}

int nb_proto_request_parse(const json_t *msg,
                           nb_proto_request_t *ret_req,
                           nb_proto_error_t *ret_err)
{
    nb_proto_request_t req = { .id = -1 };
    int rc;

    if (ret_req == NULL || ret_err == NULL) {
        return -EINVAL;
    }
    if (!json_is_object(msg)) {
        nb_proto__error_set(ret_err, NB_PROTO_ERR_PROTO_PARSE, false, -1, "%s",
                            "message is not a JSON object");
        return ret_err->code;
    }
    rc = parse_id(msg, &req.id, ret_err);
    if (rc == 0) {
        rc = parse_op(msg, req.id, &req.op, ret_err);
    }
    if (rc == 0) {
        rc = parse_rest(msg, &req, ret_err);
    }
    if (rc == 0) {
        *ret_req = req;
    }
    return rc;
}
