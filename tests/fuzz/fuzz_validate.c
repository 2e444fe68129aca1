/* fuzz_validate.c: the request, reply and event validators (nbproto_ops.h) on arbitrary
 * JSON text, and the round trip a valid request promises: its decoded arguments rebuild
 * with nb_proto_request_build into a request that validates to the same arguments. */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "nbproto.h"
#include "nbproto_ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_field(const nb_proto_field_t *f, const void *a, const void *b)
{
    const char *pa = (const char *)a + f->offset;
    const char *pb = (const char *)b + f->offset;
    const char *sa;
    const char *sb;
    const json_t *ja;
    const json_t *jb;

    switch (f->type) {
    case NB_PROTO_T_BOOL:
        return memcmp(pa, pb, sizeof(bool)) == 0;
    case NB_PROTO_T_INT:
        return memcmp(pa, pb, sizeof(int64_t)) == 0;
    case NB_PROTO_T_ENUM:
        return memcmp(pa, pb, sizeof(int)) == 0;
    case NB_PROTO_T_STRING:
        memcpy(&sa, pa, sizeof(sa));
        memcpy(&sb, pb, sizeof(sb));
        return sa == sb || (sa != NULL && sb != NULL && strcmp(sa, sb) == 0);
    default:
        if (f->type == NB_PROTO_T_ARRAY && f->values != NULL) {
            return memcmp(pa, pb, sizeof(uint32_t)) == 0;
        }
        memcpy(&ja, pa, sizeof(ja));
        memcpy(&jb, pb, sizeof(jb));
        return ja == jb || (ja != NULL && jb != NULL && json_equal(ja, jb));
    }
}

/* req validated to op and args: rebuild it and validate the result again. */
static void round_trip(const nb_proto_request_t *req,
                       const nb_proto_op_t *op,
                       const nb_proto_args_t *args)
{
    json_t *built = NULL;
    nb_proto_request_t req2;
    const nb_proto_op_t *op2 = NULL;
    nb_proto_args_t args2;
    nb_proto_error_t err;
    int rc =
        nb_proto_request_build(req->id, op->id, op->args->nfields > 0 ? args : NULL, &built, &err);

    if (rc != 0) {
        fprintf(stderr, "rebuild of %s failed: %s\n", op->name, err.message);
    }
    CHECK(rc == 0);
    CHECK(nb_proto_request_parse(built, &req2, &err) == 0);
    /* The fds ride beside the line: the rebuilt request carries what the first one did. */
    req2.nfds = req->nfds;
    memset(&args2, 0, sizeof(args2));
    rc = nb_proto_request_validate(&req2, &op2, &args2, &err);
    if (rc != 0) {
        fprintf(stderr, "rebuilt %s refused: %s\n", op->name, err.message);
    }
    CHECK(rc == 0 && op2 == op && req2.id == req->id);
    for (size_t i = 0; i < op->args->nfields; i++) {
        if (!same_field(&op->args->fields[i], args, &args2)) {
            fprintf(stderr, "%s: args.%s differs after the round trip\n", op->name,
                    op->args->fields[i].name);
            CHECK(0);
        }
    }
    json_decref(built);
}

static void check_request(const json_t *msg)
{
    nb_proto_request_t req;
    const nb_proto_op_t *op = NULL;
    nb_proto_args_t args;
    nb_proto_error_t err;
    int rc = nb_proto_request_parse(msg, &req, &err);

    if (rc != 0) {
        CHECK(rc < 0 && err.code == rc && !err.fatal);
        return;
    }
    memset(&args, 0, sizeof(args));
    rc = nb_proto_request_validate(&req, &op, &args, &err);
    if (rc != 0) {
        CHECK(rc < 0 && err.code == rc && err.id == req.id);
        CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL);
        return;
    }
    CHECK(op != NULL && strcmp(op->name, req.op) == 0);
    round_trip(&req, op, &args);
}

/* Replies and events: every operation's reply check on the same text. */
static void check_replies(const json_t *msg, size_t nfds)
{
    nb_proto_error_t err;
    const nb_proto_event_t *ev = NULL;
    int rc;

    for (int i = 0; i < NB_PROTO_OP_COUNT; i++) {
        rc = nb_proto_reply_validate((nb_proto_op_id_t)i, msg, nfds, &err);
        CHECK(rc <= 0);
        CHECK(rc == 0 || err.code == rc);
    }
    rc = nb_proto_event_validate(msg, nfds, &ev, &err);
    CHECK(rc <= 0);
    CHECK(rc == 0 || err.code == rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    /* As the reader loads a line. */
    json_t *msg = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    const json_t *fds;
    size_t nfds = 0;

    if (msg == NULL) {
        return 0;
    }
    fds = json_object_get(msg, "fds");
    if (json_is_integer(fds) && json_integer_value(fds) >= 0 &&
        json_integer_value(fds) <= NB_PROTO_FDS_MAX) {
        nfds = (size_t)json_integer_value(fds);
    }
    check_request(msg);
    check_replies(msg, nfds);
    json_decref(msg);
    return 0;
}
