/* build.c: requests from C structs (the client side of schema.c): the same tables that
 * decode a request in the daemon say which members to write, and the request is validated
 * before it leaves, so a client cannot send what the daemon would refuse. */
#include "internal.h"
#include "nbproto_ops.h"

#include <errno.h>
#include <string.h>

static size_t values_count(const char *const *values)
{
    size_t n = 0;
    while (values[n] != NULL) {
        n++;
    }
    return n;
}

/* j, or NULL with *rc set when making it failed: only an invalid (not UTF-8) string or a
 * lack of memory does that. */
static json_t *made(json_t *j, int code, int *rc)
{
    *rc = j == NULL ? code : 0;
    return j;
}

/* The value f has in args as JSON, or NULL with *rc 0 when it is to be left out (not given,
 * or its default), or NULL with *rc < 0 when it cannot be written. */
static json_t *scalar_value(const nb_proto_field_t *f, const char *args, int *rc)
{
    bool has_def = (f->flags & NB_PROTO_F_DEFAULT) != 0;
    bool b;
    int64_t n;
    int idx;
    const char *s;

    *rc = 0;
    switch (f->type) {
    case NB_PROTO_T_BOOL:
        memcpy(&b, args + f->offset, sizeof(b));
        return b == (has_def && f->def != 0) ? NULL : made(json_boolean(b), -ENOMEM, rc);
    case NB_PROTO_T_INT:
        memcpy(&n, args + f->offset, sizeof(n));
        if (n == NB_PROTO_UNSET || (has_def && n == f->def)) {
            return NULL;
        }
        return made(n == NB_PROTO_NULL ? json_null() : json_integer((json_int_t)n), -ENOMEM, rc);
    case NB_PROTO_T_STRING:
        memcpy(&s, args + f->offset, sizeof(s));
        return s == NULL ? NULL : made(json_string(s), -EINVAL, rc);
    default:
        memcpy(&idx, args + f->offset, sizeof(idx));
        if (idx < 0 || (has_def && idx == f->def)) {
            return NULL;
        }
        if ((size_t)idx >= values_count(f->values)) {
            *rc = -EINVAL;
            return NULL;
        }
        return made(json_string(f->values[idx]), -ENOMEM, rc);
    }
}

/* An enum mask as the array of its names, in table order. */
static json_t *mask_value(const nb_proto_field_t *f, uint32_t mask, int *rc)
{
    size_t n = values_count(f->values);
    json_t *a;

    *rc = 0;
    if (((f->flags & NB_PROTO_F_DEFAULT) && mask == (uint32_t)f->def) || mask == 0) {
        return NULL;
    }
    if (n < 32 && (mask >> n) != 0) {
        *rc = -EINVAL;
        return NULL;
    }
    a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++) {
        if ((mask & (UINT32_C(1) << i)) != 0 &&
            json_array_append_new(a, json_string(f->values[i])) < 0) {
            json_decref(a);
            a = NULL;
        }
    }
    *rc = a == NULL ? -ENOMEM : 0;
    return a;
}

static json_t *field_value(const nb_proto_field_t *f, const char *args, int *rc)
{
    const json_t *j;
    uint32_t mask;

    if (f->type == NB_PROTO_T_ARRAY && f->values != NULL) {
        memcpy(&mask, args + f->offset, sizeof(mask));
        return mask_value(f, mask, rc);
    }
    if (f->type == NB_PROTO_T_ARRAY || f->type == NB_PROTO_T_OBJECT) {
        *rc = 0;
        memcpy(&j, args + f->offset, sizeof(j));
        /* Shared, not copied: jansson values are refcounted and the request only reads it. */
        return j == NULL ? NULL : json_incref((json_t *)j);
    }
    return scalar_value(f, args, rc);
}

/* The "args" object for args (NULL when there is nothing to say). */
static int build_args(const nb_proto_schema_t *s, const char *args, json_t **ret)
{
    json_t *obj = json_object();
    int rc = obj == NULL ? -ENOMEM : 0;

    for (size_t i = 0; rc == 0 && i < s->nfields; i++) {
        json_t *v = field_value(&s->fields[i], args, &rc);
        if (v != NULL && json_object_set_new(obj, s->fields[i].name, v) < 0) {
            rc = -ENOMEM;
        }
    }
    if (rc < 0 || json_object_size(obj) == 0) {
        json_decref(obj);
        obj = NULL;
    }
    *ret = obj;
    return rc;
}

int nb_proto_args_init(nb_proto_op_id_t op, void *args)
{
    const nb_proto_op_t *o = nb_proto_op_get((int)op);

    if (o == NULL || args == NULL) {
        return -EINVAL;
    }
    for (size_t i = 0; i < o->args->nfields; i++) {
        const nb_proto_field_t *f = &o->args->fields[i];
        char *p = (char *)args + f->offset;
        bool b = (f->flags & NB_PROTO_F_DEFAULT) != 0 && f->def != 0;
        int64_t n = NB_PROTO_UNSET;
        int idx = -1;
        const void *ptr = NULL;
        uint32_t mask = (f->flags & NB_PROTO_F_DEFAULT) != 0 ? (uint32_t)f->def : 0;

        if (f->type == NB_PROTO_T_BOOL) {
            memcpy(p, &b, sizeof(b));
        } else if (f->type == NB_PROTO_T_INT) {
            memcpy(p, &n, sizeof(n));
        } else if (f->type == NB_PROTO_T_ENUM) {
            memcpy(p, &idx, sizeof(idx));
        } else if (f->type == NB_PROTO_T_ARRAY && f->values != NULL) {
            memcpy(p, &mask, sizeof(mask));
        } else {
            memcpy(p, &ptr, sizeof(ptr));
        }
    }
    return 0;
}

int nb_proto_request_build(int64_t id,
                           nb_proto_op_id_t op,
                           const void *args,
                           json_t **ret,
                           nb_proto_error_t *ret_err)
{
    const nb_proto_op_t *o = nb_proto_op_get((int)op);
    nb_proto_error_t local;
    nb_proto_args_t blank;
    nb_proto_request_t req;
    json_t *obj = NULL, *msg = NULL;
    int rc;

    if (o == NULL || ret == NULL) {
        return -EINVAL;
    }
    if (args == NULL) {
        (void)nb_proto_args_init(op, &blank);
        args = &blank;
    }
    rc = build_args(o->args, args, &obj);
    if (rc == 0) {
        rc = nb_proto_request_new(id, o->name, obj, &msg);
    } else {
        json_decref(obj);
    }
    if (rc < 0) {
        return rc;
    }
    req = (nb_proto_request_t){ .id = id, .op = o->name, .args = obj, .nfds = o->fds_in };
    rc = nb_proto_request_validate(&req, NULL, NULL, ret_err != NULL ? ret_err : &local);
    if (rc < 0) {
        json_decref(msg);
        return rc;
    }
    *ret = msg;
    return 0;
}
