/* test_proto_ops_util.h: what the operation tests share: a request line parsed and
 * validated as the daemon would. Include after <cmocka.h> and nbproto_ops.h. */
#ifndef TEST_PROTO_OPS_UTIL_H
#define TEST_PROTO_OPS_UTIL_H

/* Parses text as a request line and validates it; returns the code, err filled. The
 * decoded args borrow from the message: with keep, the caller gets it to free later. */
static inline int run_keep(const char *text,
                           nb_proto_args_t *args,
                           nb_proto_error_t *err,
                           json_t **keep)
{
    json_error_t jerr;
    json_t *msg = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    nb_proto_request_t req;
    int rc;

    if (msg == NULL) {
        fail_msg("test request is not JSON: %s: %s", text, jerr.text);
    }
    rc = nb_proto_request_parse(msg, &req, err);
    if (rc == 0) {
        rc = nb_proto_request_validate(&req, NULL, args, err);
    }
    if (keep != NULL) {
        *keep = msg;
    } else {
        json_decref(msg);
    }
    return rc;
}

static inline int run(const char *text, nb_proto_args_t *args, nb_proto_error_t *err)
{
    return run_keep(text, args, err, NULL);
}

#endif
