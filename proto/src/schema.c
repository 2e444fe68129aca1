/* schema.c: the one validator behind every operation. It checks a JSON object against a
 * schema table (types, ranges, names, conditional and exclusive members, unknown members),
 * decodes it into the table's C struct, and builds an object back from such a struct.
 * Messages follow the wording of Node's errors, naming the member by its path. */
#include "internal.h"
#include "nbproto_ops.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* "args.blocklist[1023].prefix" and the like, with room to spare. */
#define PATH_LEN 96
/* Node quotes at most 25 characters of a received string, then "...". */
#define QUOTE_MAX 25

static int check_value(const nb_proto_field_t *f,
                       const json_t *v,
                       const char *path,
                       char *out,
                       nb_proto_error_t *err);

int nb_proto__fail(nb_proto_error_t *err, int code, const char *fmt, ...)
{
    va_list ap;

    err->code = code;
    err->fatal = false;
    err->id = -1;
    va_start(ap, fmt);
    (void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    nb_proto__utf8_trim(err->message);
    return code;
}

/* Paths are for messages: one cut short still names the member well enough. They are
 * joined by hand, not with snprintf: a path is made for every member of every request, and
 * formatting them was most of the validator's time (tests/bench/bench_proto). The result
 * is snprintf's, cut at PATH_LEN - 1 bytes. */
static size_t path_put(char *buf, size_t used, const char *s, size_t n)
{
    size_t room = PATH_LEN - 1 - used;

    n = n < room ? n : room;
    memcpy(buf + used, s, n);
    return used + n;
}

static void join(char *buf, const char *path, const char *name)
{
    size_t used = path_put(buf, 0, path, strlen(path));

    used = path_put(buf, used, ".", 1);
    used = path_put(buf, used, name, strlen(name));
    buf[used] = '\0';
}

/* path[i] */
static void path_index(char *buf, const char *path, size_t i)
{
    char digits[24];
    size_t n = sizeof(digits);

    digits[--n] = ']';
    do {
        digits[--n] = (char)('0' + i % 10);
        i /= 10;
    } while (i > 0);
    digits[--n] = '[';
    size_t used = path_put(buf, 0, path, strlen(path));
    used = path_put(buf, used, digits + n, sizeof(digits) - n);
    buf[used] = '\0';
}

/* What Node's determineSpecificType says of a received value. */
static const char *received(const json_t *v, char *buf, size_t size)
{
    switch (json_typeof(v)) {
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        size_t cut = nb_proto__utf8_prefix(s, len < QUOTE_MAX ? len : QUOTE_MAX);
        (void)snprintf(buf, size, "type string ('%.*s%s')", (int)cut, s, cut < len ? "..." : "");
        break;
    }
    case JSON_INTEGER:
        (void)snprintf(buf, size, "type number (%" JSON_INTEGER_FORMAT ")", json_integer_value(v));
        break;
    case JSON_REAL:
        (void)snprintf(buf, size, "type number (%.17g)", json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        (void)snprintf(buf, size, "type boolean (%s)", json_is_true(v) ? "true" : "false");
        break;
    case JSON_ARRAY:
        (void)snprintf(buf, size, "an instance of Array");
        break;
    case JSON_OBJECT:
        (void)snprintf(buf, size, "an instance of Object");
        break;
    default:
        (void)snprintf(buf, size, "null");
        break;
    }
    return buf;
}

static const char *type_name(nb_proto_type_t t)
{
    static const char *const names[] = {
        "boolean", "integer", "string", "string", "object", "array"
    };
    return names[t];
}

static int fail_type(nb_proto_error_t *err,
                     const nb_proto_field_t *f,
                     const char *path,
                     const json_t *v)
{
    char got[64];
    return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_TYPE,
                          "The \"%s\" property must be of type %s%s. Received %s", path,
                          type_name(f->type), (f->flags & NB_PROTO_F_NULLABLE) ? " or null" : "",
                          received(v, got, sizeof(got)));
}

/* The rule a string check enforces, for its message. */
static const char *check_rule(nb_proto_check_t c)
{
    switch (c) {
    case NB_PROTO_V_SERVER_NAME:
        return "a server name (1 to 64 of A-Z a-z 0-9 . _ -, not starting with . or -)";
    case NB_PROTO_V_FD_NAME:
        return "an fd name (1 to 255 printable ASCII characters, no ':')";
    case NB_PROTO_V_HOST:
        return "an IP address or a host name";
    case NB_PROTO_V_IP:
        return "an IPv4 or IPv6 address";
    case NB_PROTO_V_PATH:
        return "an absolute path of at most 107 bytes, or '@' and an abstract name";
    case NB_PROTO_V_NAME:
        return "a name (a-z 0-9 . _ -, starting with a letter)";
    default:
        return "valid";
    }
}

static bool string_ok(nb_proto_check_t c, const char *s)
{
    switch (c) {
    case NB_PROTO_V_SERVER_NAME:
        return nb_proto_server_name_valid(s);
    case NB_PROTO_V_FD_NAME:
        return nb_proto_fd_name_valid(s);
    case NB_PROTO_V_HOST:
        return nb_proto__host_valid(s);
    case NB_PROTO_V_IP:
        return nb_proto__ip_family(s) != 0;
    case NB_PROTO_V_PATH:
        return nb_proto__path_valid(s);
    case NB_PROTO_V_NAME:
        return nb_proto_name_valid(s);
    default:
        return true;
    }
}

static int fail_range(nb_proto_error_t *err,
                      const nb_proto_field_t *f,
                      const char *path,
                      const json_t *v)
{
    char got[64];

    if (f->range_code == NB_PROTO_ERR_SOCKET_BAD_PORT) {
        /* Node's validatePort wording: "options.port should be >= 0 and < 65536." */
        return nb_proto__fail(err, f->range_code,
                              "%s should be %s 0 and < %" PRId64 ". Received %s.", path,
                              f->min > 0 ? ">" : ">=", f->max + 1, received(v, got, sizeof(got)));
    }
    return nb_proto__fail(err, f->range_code != 0 ? f->range_code : NB_PROTO_ERR_OUT_OF_RANGE,
                          "The value of \"%s\" is out of range. It must be >= %" PRId64
                          " && <= %" PRId64 ". Received %" JSON_INTEGER_FORMAT,
                          path, f->min, f->max, json_integer_value(v));
}

static int check_int(const nb_proto_field_t *f,
                     const json_t *v,
                     const char *path,
                     char *out,
                     nb_proto_error_t *err)
{
    if (!json_is_integer(v)) {
        return fail_type(err, f, path, v);
    }
    int64_t n = (int64_t)json_integer_value(v);
    if (f->check == NB_PROTO_V_FAMILY && n != 0 && n != 4 && n != 6) {
        return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_VALUE,
                              "The property '%s' must be one of: 0, 4, 6. Received %" PRId64, path,
                              n);
    }
    if (n < f->min || n > f->max) {
        return fail_range(err, f, path, v);
    }
    if (out != NULL) {
        memcpy(out + f->offset, &n, sizeof(n));
    }
    return 0;
}

static int check_string(const nb_proto_field_t *f,
                        const json_t *v,
                        const char *path,
                        char *out,
                        nb_proto_error_t *err)
{
    char got[64];

    if (!json_is_string(v)) {
        return fail_type(err, f, path, v);
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len || !string_ok(f->check, s)) {
        return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_VALUE,
                              "The property '%s' must be %s. Received %s", path,
                              check_rule(f->check), received(v, got, sizeof(got)));
    }
    if (f->check == NB_PROTO_V_NONE && ((int64_t)len < f->min || (int64_t)len > f->max)) {
        return nb_proto__fail(err, NB_PROTO_ERR_OUT_OF_RANGE,
                              "The value of \"%s.length\" is out of range. It must be >= %" PRId64
                              " && <= %" PRId64 ". Received %zu",
                              path, f->min, f->max, len);
    }
    if (out != NULL) {
        memcpy(out + f->offset, &s, sizeof(s));
    }
    return 0;
}

/* The index of s in f->values, or -1. */
static int enum_index(const nb_proto_field_t *f, const char *s)
{
    for (int i = 0; f->values[i] != NULL; i++) {
        if (strcmp(f->values[i], s) == 0) {
            return i;
        }
    }
    return -1;
}

static int fail_enum(nb_proto_error_t *err,
                     const nb_proto_field_t *f,
                     const char *path,
                     const json_t *v)
{
    char list[96] = "", got[64];
    size_t used = 0;

    for (size_t i = 0; f->values[i] != NULL && used < sizeof(list); i++) {
        int n =
            snprintf(list + used, sizeof(list) - used, "%s'%s'", i > 0 ? ", " : "", f->values[i]);
        used += n > 0 ? (size_t)n : 0;
    }
    return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_VALUE,
                          "The property '%s' must be one of: %s. Received %s", path, list,
                          received(v, got, sizeof(got)));
}

static int check_enum(const nb_proto_field_t *f,
                      const json_t *v,
                      const char *path,
                      char *out,
                      nb_proto_error_t *err)
{
    if (!json_is_string(v)) {
        return fail_type(err, f, path, v);
    }
    int idx = enum_index(f, json_string_value(v));
    if (idx < 0 || strlen(json_string_value(v)) != json_string_length(v)) {
        return fail_enum(err, f, path, v);
    }
    if (out != NULL) {
        memcpy(out + f->offset, &idx, sizeof(idx));
    }
    return 0;
}

/* One element of an array: an object of f->sub, a string of f->values (its bit added to
 * *mask), or a string checked by f->check. */
static int check_element(const nb_proto_field_t *f,
                         const json_t *e,
                         const char *path,
                         uint32_t *mask,
                         nb_proto_error_t *err)
{
    char got[64];

    if (f->sub != NULL) {
        if (!json_is_object(e)) {
            return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_TYPE,
                                  "The \"%s\" property must be of type object. Received %s", path,
                                  received(e, got, sizeof(got)));
        }
        return nb_proto__validate(f->sub, e, path, NULL, err);
    }
    if (!json_is_string(e)) {
        return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_TYPE,
                              "The \"%s\" property must be of type string. Received %s", path,
                              received(e, got, sizeof(got)));
    }
    if (f->values != NULL) {
        int idx = enum_index(f, json_string_value(e));
        if (idx < 0) {
            return fail_enum(err, f, path, e);
        }
        *mask |= UINT32_C(1) << idx;
        return 0;
    }
    if (!string_ok(f->check, json_string_value(e))) {
        return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_VALUE,
                              "The property '%s' must be %s. Received %s", path,
                              check_rule(f->check), received(e, got, sizeof(got)));
    }
    return 0;
}

static int check_array(const nb_proto_field_t *f,
                       const json_t *v,
                       const char *path,
                       char *out,
                       nb_proto_error_t *err)
{
    char epath[PATH_LEN];
    uint32_t mask = 0;
    size_t i, n;
    const json_t *e;

    if (!json_is_array(v)) {
        return fail_type(err, f, path, v);
    }
    n = json_array_size(v);
    if ((int64_t)n < f->min || (int64_t)n > f->max) {
        return nb_proto__fail(err, NB_PROTO_ERR_OUT_OF_RANGE,
                              "The value of \"%s.length\" is out of range. It must be >= %" PRId64
                              " && <= %" PRId64 ". Received %zu",
                              path, f->min, f->max, n);
    }
    json_array_foreach(v, i, e)
    {
        path_index(epath, path, i);
        int rc = check_element(f, e, epath, &mask, err);
        if (rc < 0) {
            return rc;
        }
    }
    if (out != NULL && f->values != NULL) {
        memcpy(out + f->offset, &mask, sizeof(mask));
    } else if (out != NULL) {
        memcpy(out + f->offset, &v, sizeof(v));
    }
    return 0;
}

static int check_value(const nb_proto_field_t *f,
                       const json_t *v,
                       const char *path,
                       char *out,
                       nb_proto_error_t *err)
{
    switch (f->type) {
    case NB_PROTO_T_BOOL:
        if (!json_is_boolean(v)) {
            return fail_type(err, f, path, v);
        }
        if (out != NULL) {
            bool b = json_is_true(v);
            memcpy(out + f->offset, &b, sizeof(b));
        }
        return 0;
    case NB_PROTO_T_INT:
        return check_int(f, v, path, out, err);
    case NB_PROTO_T_STRING:
        return check_string(f, v, path, out, err);
    case NB_PROTO_T_ENUM:
        return check_enum(f, v, path, out, err);
    case NB_PROTO_T_OBJECT:
        if (!json_is_object(v)) {
            return fail_type(err, f, path, v);
        }
        if (out != NULL) {
            memcpy(out + f->offset, &v, sizeof(v));
        }
        return f->sub != NULL ? nb_proto__validate(f->sub, v, path, NULL, err) : 0;
    default:
        return check_array(f, v, path, out, err);
    }
}

/* The member's value when it is absent (def) or null (NB_PROTO_NULL), per its type. */
static void store_absent(const nb_proto_field_t *f, char *out, bool null)
{
    bool has = (f->flags & NB_PROTO_F_DEFAULT) != 0;
    const void *p = NULL;
    bool b = has && f->def != 0;
    int64_t n = null ? NB_PROTO_NULL : has ? f->def : NB_PROTO_UNSET;
    int idx = has ? (int)f->def : -1;
    uint32_t mask = has ? (uint32_t)f->def : 0;

    if (out == NULL) {
        return;
    }
    switch (f->type) {
    case NB_PROTO_T_BOOL:
        memcpy(out + f->offset, &b, sizeof(b));
        break;
    case NB_PROTO_T_INT:
        memcpy(out + f->offset, &n, sizeof(n));
        break;
    case NB_PROTO_T_ENUM:
        memcpy(out + f->offset, &idx, sizeof(idx));
        break;
    default:
        /* An array of enum strings is a mask; any other array, or an object, a pointer. */
        if (f->type == NB_PROTO_T_ARRAY && f->values != NULL) {
            memcpy(out + f->offset, &mask, sizeof(mask));
        } else {
            memcpy(out + f->offset, &p, sizeof(p));
        }
        break;
    }
}

/* Whether f may appear: its `when` sibling is present, and is `when_is` if that is set. */
static bool condition_holds(const nb_proto_field_t *f, const json_t *obj)
{
    const json_t *s;

    if (f->when == NULL) {
        return true;
    }
    s = json_object_get(obj, f->when);
    if (s == NULL || json_is_null(s)) {
        return false;
    }
    return f->when_is == NULL ||
           (json_is_string(s) && strcmp(json_string_value(s), f->when_is) == 0);
}

static int check_field(const nb_proto_field_t *f,
                       const json_t *obj,
                       const char *path,
                       char *out,
                       nb_proto_error_t *err)
{
    char fpath[PATH_LEN], wpath[PATH_LEN];
    const json_t *v = json_object_get(obj, f->name);
    bool applies = condition_holds(f, obj);

    if (v == NULL && !(applies && (f->flags & NB_PROTO_F_REQUIRED))) {
        /* The common case of an optional member left out: no path to make. */
        store_absent(f, out, false);
        return 0;
    }
    join(fpath, path, f->name);
    if (v != NULL && !applies) {
        join(wpath, path, f->when);
        if (f->when_is != NULL) {
            return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_VALUE,
                                  "The property '%s' is only allowed when '%s' is '%s'", fpath,
                                  wpath, f->when_is);
        }
        return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_VALUE,
                              "The property '%s' is only allowed with '%s'", fpath, wpath);
    }
    if (v == NULL) {
        return nb_proto__fail(err, NB_PROTO_ERR_MISSING_ARGS,
                              "The \"%s\" argument must be specified", fpath);
    }
    if (json_is_null(v) && (f->flags & NB_PROTO_F_NULLABLE)) {
        store_absent(f, out, true);
        return 0;
    }
    return check_value(f, v, fpath, out, err);
}

static const nb_proto_field_t *field_find(const nb_proto_schema_t *s, const char *name)
{
    for (size_t i = 0; i < s->nfields; i++) {
        if (strcmp(s->fields[i].name, name) == 0) {
            return &s->fields[i];
        }
    }
    return NULL;
}

/* Unknown members are refused so that a misspelt option fails instead of being ignored. */
static int check_unknown(const nb_proto_schema_t *s,
                         const json_t *obj,
                         const char *path,
                         nb_proto_error_t *err)
{
    const char *key;
    const json_t *v;

    if (s->open) {
        return 0;
    }
    json_object_foreach((json_t *)obj, key, v)
    {
        if (field_find(s, key) == NULL) {
            return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_VALUE,
                                  "The property '%s.%.64s' is not accepted by %s", path, key,
                                  s->what);
        }
    }
    return 0;
}

static int check_one_of(const nb_proto_schema_t *s,
                        const json_t *obj,
                        const char *path,
                        nb_proto_error_t *err)
{
    const char *first = NULL, *second = NULL;

    if (s->one_of == NULL) {
        return 0;
    }
    for (size_t i = 0; s->one_of[i] != NULL; i++) {
        const json_t *v = json_object_get(obj, s->one_of[i]);
        if (v != NULL && !json_is_null(v)) {
            second = first != NULL ? s->one_of[i] : NULL;
            first = first != NULL ? first : s->one_of[i];
            if (second != NULL) {
                return nb_proto__fail(err, NB_PROTO_ERR_INVALID_ARG_VALUE,
                                      "The properties '%s.%s' and '%s.%s' are mutually exclusive",
                                      path, first, path, second);
            }
        }
    }
    if (first == NULL) {
        /* Node: 'The "port" or "path" argument must be specified' */
        return nb_proto__fail(err, NB_PROTO_ERR_MISSING_ARGS,
                              "The \"%s.%s\" or \"%s.%s\" argument must be specified", path,
                              s->one_of[0], path, s->one_of[1] != NULL ? s->one_of[1] : "");
    }
    return 0;
}

int nb_proto__validate(const nb_proto_schema_t *s,
                       const json_t *obj,
                       const char *path,
                       void *out,
                       nb_proto_error_t *err)
{
    char *o = s->size > 0 ? out : NULL;
    int rc = check_unknown(s, obj, path, err);

    for (size_t i = 0; rc == 0 && i < s->nfields; i++) {
        rc = check_field(&s->fields[i], obj, path, o, err);
    }
    if (rc == 0) {
        rc = check_one_of(s, obj, path, err);
    }
    if (rc == 0 && s->check != NULL) {
        rc = s->check(obj, o, path, err);
    }
    return rc;
}

/* Room for any struct a schema decodes into. */
typedef union {
    nb_proto_args_t args;
    nb_proto_rule_t rule;
    nb_proto_access_t access;
} decoded_t;

int nb_proto_decode(const nb_proto_schema_t *schema,
                    const json_t *obj,
                    const char *path,
                    void *ret,
                    nb_proto_error_t *ret_err)
{
    decoded_t buf;
    int rc;

    if (schema == NULL || ret_err == NULL || schema->size > sizeof(buf)) {
        return -EINVAL;
    }
    if (path == NULL) {
        path = "value";
    }
    if (!json_is_object(obj)) {
        return nb_proto__fail(ret_err, NB_PROTO_ERR_INVALID_ARG_TYPE, "\"%s\" must be an object",
                              path);
    }
    memset(&buf, 0, sizeof(buf));
    rc = nb_proto__validate(schema, obj, path, &buf, ret_err);
    if (rc == 0 && ret != NULL && schema->size > 0) {
        memcpy(ret, &buf, schema->size);
    }
    return rc;
}

int nb_proto_request_validate(const nb_proto_request_t *req,
                              const nb_proto_op_t **ret_op,
                              void *ret_args,
                              nb_proto_error_t *ret_err)
{
    const nb_proto_op_t *op;
    decoded_t buf;
    int rc;

    if (req == NULL || ret_err == NULL) {
        return -EINVAL;
    }
    op = nb_proto_op_find(req->op);
    if (op == NULL) {
        rc = nb_proto__fail(ret_err, NB_PROTO_ERR_UNKNOWN_OP, "Unknown operation '%.64s'",
                            req->op != NULL ? req->op : "");
    } else if (req->nfds != op->fds_in) {
        rc = nb_proto__fail(ret_err, NB_PROTO_ERR_PROTO_FD_COUNT,
                            "%s takes %u file descriptors, the request carries %zu", op->name,
                            (unsigned)op->fds_in, req->nfds);
    } else {
        memset(&buf, 0, sizeof(buf));
        /* No "args" member is an empty object: json_object_get(NULL, ...) finds nothing. */
        rc = nb_proto__validate(op->args, req->args, "args", &buf, ret_err);
    }
    if (rc != 0 || op == NULL) { /* op NULL has failed already: for the analyzer */
        ret_err->id = req->id;
        return rc;
    }
    if (ret_args != NULL) {
        memcpy(ret_args, &buf, op->args->size);
    }
    if (ret_op != NULL) {
        *ret_op = op;
    }
    return 0;
}
