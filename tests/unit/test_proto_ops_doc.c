/* test_proto_ops_doc.c: proto/PROTOCOL.md against proto's operation table, so that the
 * normative text and the code cannot drift. Every argument and member table of sections 9
 * and 10 must list exactly the table's members, with their types, required flags and
 * defaults; every example request must pass (or fail with exactly the code and message its
 * reply shows); every example reply and event must pass the client's validators; and every
 * operation and event must have a table and a successful example. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nbproto.h"
#include "nbproto_ops.h"

#ifndef NB_PROTOCOL_MD
#error "NB_PROTOCOL_MD must name proto/PROTOCOL.md"
#endif

#define MAX_IDS 256

typedef enum { CTX_NONE, CTX_OP, CTX_SCHEMA, CTX_EVENT } ctx_kind_t;

/* What the walk through the document has seen. */
typedef struct {
    ctx_kind_t kind;
    const nb_proto_op_t *op;
    const nb_proto_event_t *event;
    const nb_proto_schema_t *args;    /* for an "| argument |" table here */
    const nb_proto_schema_t *members; /* for an "| member |" table here */
    int lineno;
    /* Per op / event: seen an args table, a member table, a good example. */
    bool op_args[NB_PROTO_OP_COUNT], op_members[NB_PROTO_OP_COUNT], op_ok[NB_PROTO_OP_COUNT];
    bool ev_members[NB_PROTO_EVENT_COUNT], ev_example[NB_PROTO_EVENT_COUNT];
    int schemas_seen;
    /* Requests of the current example block, by id, waiting for their reply. */
    struct {
        bool pending;
        int rc;
        const nb_proto_op_t *op;
        char message[NB_PROTO_ERROR_MESSAGE_MAX];
    } req[MAX_IDS];
    int examples, rows, errors;
    const char *path;
} doc_t;

static void doc_fail(const doc_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void doc_fail(const doc_t *d, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s:%d: %s\n", d->path, d->lineno, buf);
    ((doc_t *)d)->errors++;
}

/* The first `quoted` token of a heading, into buf. */
static bool first_code(const char *line, char *buf, size_t size)
{
    const char *a = strchr(line, '`'), *b = a != NULL ? strchr(a + 1, '`') : NULL;

    if (b == NULL || (size_t)(b - a - 1) >= size) {
        return false;
    }
    memcpy(buf, a + 1, (size_t)(b - a - 1));
    buf[b - a - 1] = '\0';
    return true;
}

static void on_heading(doc_t *d, const char *line)
{
    char code[80];

    d->kind = CTX_NONE;
    d->args = d->members = NULL;
    if (!first_code(line, code, sizeof(code))) {
        return;
    }
    if (strstr(line, "Schema `") != NULL) {
        d->kind = CTX_SCHEMA;
        d->schemas_seen++;
        if (strcmp(code, "rule") == 0) {
            d->args = &nb_proto_schema_rule;
        } else if (strcmp(code, "access") == 0) {
            d->args = &nb_proto_schema_access;
        } else if (strcmp(code, "server") == 0) {
            d->members = nb_proto_op_get(NB_PROTO_OP_SERVER_INFO)->result;
        } else if (strcmp(code, "fd") == 0) {
            d->members = nb_proto_op_get(NB_PROTO_OP_FD_STORE)->result;
        } else {
            doc_fail(d, "unknown schema '%s'", code);
            d->kind = CTX_NONE;
        }
    } else if (strstr(line, "Event `") != NULL) {
        d->kind = CTX_EVENT;
        d->event = nb_proto_event_find(code);
        if (d->event == NULL) {
            doc_fail(d, "'%s' is not an event of the table", code);
            d->kind = CTX_NONE;
            return;
        }
        d->members = d->event->fields;
    } else if ((d->op = nb_proto_op_find(code)) != NULL) {
        d->kind = CTX_OP;
        d->args = d->op->args;
        d->members = d->op->result;
    }
}

/* Splits "| a | b | c |" into trimmed cells; returns their number. */
static int split_row(char *line, char **cells, int max)
{
    int n = 0;
    char *p = line + 1, *bar;

    while (n < max && (bar = strchr(p, '|')) != NULL) {
        *bar = '\0';
        while (*p == ' ') {
            p++;
        }
        for (char *e = bar - 1; e >= p && *e == ' '; e--) {
            *e = '\0';
        }
        cells[n++] = p;
        p = bar + 1;
    }
    return n;
}

static const char *type_text(const nb_proto_field_t *f)
{
    switch (f->type) {
    case NB_PROTO_T_BOOL:
        return "boolean";
    case NB_PROTO_T_INT:
        return (f->flags & NB_PROTO_F_NULLABLE) ? "integer or null" : "integer";
    case NB_PROTO_T_STRING:
    case NB_PROTO_T_ENUM:
        return "string";
    case NB_PROTO_T_OBJECT:
        return "object";
    default:
        return "array";
    }
}

/* How the document writes a member's default. */
static void default_text(const nb_proto_field_t *f, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!(f->flags & NB_PROTO_F_DEFAULT)) {
        return;
    }
    if (f->type == NB_PROTO_T_BOOL) {
        (void)snprintf(buf, size, "`%s`", f->def != 0 ? "true" : "false");
    } else if (f->type == NB_PROTO_T_ENUM) {
        (void)snprintf(buf, size, "`\"%s\"`", f->values[f->def]);
    } else if (f->type == NB_PROTO_T_ARRAY) {
        (void)snprintf(buf, size, "all");
    } else if (f->def == NB_PROTO_NULL) {
        (void)snprintf(buf, size, "`null`");
    } else {
        (void)snprintf(buf, size, "`%lld`", (long long)f->def);
    }
}

static const nb_proto_field_t *schema_field(const nb_proto_schema_t *s, const char *name)
{
    for (size_t i = 0; i < s->nfields; i++) {
        if (strcmp(s->fields[i].name, name) == 0) {
            return &s->fields[i];
        }
    }
    return NULL;
}

static void check_row(doc_t *d, const nb_proto_schema_t *s, char *line, bool args, bool *seen)
{
    char *cells[6], name[80], def[64];
    int n = split_row(line, cells, 6);
    const nb_proto_field_t *f;

    if (n < (args ? 5 : 4) || !first_code(cells[0], name, sizeof(name))) {
        doc_fail(d, "malformed table row");
        return;
    }
    f = schema_field(s, name);
    if (f == NULL) {
        doc_fail(d, "'%s' is not a member of %s in proto's table", name, s->what);
        return;
    }
    seen[f - s->fields] = true;
    d->rows++;
    if (strcmp(cells[1], type_text(f)) != 0) {
        doc_fail(d, "'%s' has type '%s' here, '%s' in the table", name, cells[1], type_text(f));
    }
    bool required = (f->flags & NB_PROTO_F_REQUIRED) && f->when == NULL;
    if ((strcmp(cells[2], "yes") == 0) != required) {
        doc_fail(d, "'%s' required '%s' here, %s in the table", name, cells[2],
                 required ? "yes" : "not always");
    }
    default_text(f, def, sizeof(def));
    if (args && strcmp(cells[3], def) != 0) {
        doc_fail(d, "'%s' default '%s' here, '%s' in the table", name, cells[3], def);
    }
}

/* Reads the rows of a table that starts at the current line. */
static void check_table(doc_t *d, FILE *in, const char *header)
{
    bool args = strncmp(header, "| argument |", 12) == 0;
    const nb_proto_schema_t *s = args ? d->args : d->members;
    bool seen[64] = { false };
    char line[4096];

    /* Tables outside sections 9 and 10 (the envelope's, the rights) describe no schema. */
    if (s == NULL && d->kind != CTX_NONE) {
        doc_fail(d, "a table of %s where there are none", args ? "arguments" : "members");
    }
    assert_true(s == NULL || s->nfields <= 64);
    while (fgets(line, sizeof(line), in) != NULL && line[0] == '|') {
        d->lineno++;
        if (s != NULL && strncmp(line, "| `", 3) == 0) {
            check_row(d, s, line, args, seen);
        }
    }
    d->lineno++;
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->nfields; i++) {
        if (!seen[i]) {
            doc_fail(d, "the table above lacks '%s'", s->fields[i].name);
        }
    }
    if (d->kind == CTX_OP) {
        (args ? d->op_args : d->op_members)[d->op->id] = true;
    } else if (d->kind == CTX_EVENT) {
        d->ev_members[d->event->id] = true;
    }
}

static int64_t fds_of(const json_t *msg)
{
    const json_t *fds = json_object_get(msg, "fds");
    return fds != NULL ? (int64_t)json_integer_value(fds) : 0;
}

static void example_request(doc_t *d, const json_t *msg)
{
    nb_proto_request_t req;
    nb_proto_error_t err = { .code = 0 };
    const nb_proto_op_t *op = NULL;

    if (nb_proto_request_parse(msg, &req, &err) != 0) {
        doc_fail(d, "example request has a bad envelope: %s", err.message);
        return;
    }
    if (req.id >= MAX_IDS || d->req[req.id].pending) {
        doc_fail(d, "example ids must be unique and below %d", MAX_IDS);
        return;
    }
    d->req[req.id].pending = true;
    d->req[req.id].rc = nb_proto_request_validate(&req, &op, NULL, &err);
    d->req[req.id].op = op;
    memcpy(d->req[req.id].message, err.message, sizeof(err.message));
    if (d->req[req.id].rc < 0 && err.id != req.id) {
        doc_fail(d, "error id %lld for request %lld", (long long)err.id, (long long)req.id);
    }
}

/* The codes that nb_proto_request_validate gives: an example reply with one of them must
 * be the validator's own answer; any other code is the daemon's, for a valid request. */
static bool validator_code(int code)
{
    return code == NB_PROTO_ERR_UNKNOWN_OP || code == NB_PROTO_ERR_PROTO_FD_COUNT ||
           code == NB_PROTO_ERR_MISSING_ARGS || code == NB_PROTO_ERR_INVALID_ARG_TYPE ||
           code == NB_PROTO_ERR_INVALID_ARG_VALUE || code == NB_PROTO_ERR_OUT_OF_RANGE ||
           code == NB_PROTO_ERR_SOCKET_BAD_PORT;
}

/* The capabilities the example of hello shows are those the code offers. */
static void check_capabilities(doc_t *d, const json_t *reply, const nb_proto_op_t *op)
{
    json_t *caps = NULL;

    if (op->id != NB_PROTO_OP_HELLO) {
        return;
    }
    assert_int_equal(nb_proto_capabilities(&caps), 0);
    if (!json_equal(caps, json_object_get(json_object_get(reply, "result"), "capabilities"))) {
        doc_fail(d, "the capabilities differ from nb_proto_capabilities()");
    }
    json_decref(caps);
}

static void example_reply(doc_t *d, const json_t *msg)
{
    json_int_t id = json_integer_value(json_object_get(msg, "id"));
    nb_proto_error_t err = { .code = 0 };

    if (id < 0 || id >= MAX_IDS || !d->req[id].pending) {
        doc_fail(d, "a reply to no request above it");
        return;
    }
    d->req[id].pending = false;
    if (json_is_true(json_object_get(msg, "ok"))) {
        if (d->req[id].rc != 0) {
            doc_fail(d, "reply ok, but the request fails: %s", d->req[id].message);
            return;
        }
        if (d->kind == CTX_OP && d->req[id].op != d->op) {
            doc_fail(d, "example of %s under the heading of %s", d->req[id].op->name, d->op->name);
        }
        d->op_ok[d->req[id].op->id] = true;
        check_capabilities(d, msg, d->req[id].op);
    } else {
        const json_t *e = json_object_get(msg, "error");
        int code = nb_proto_err_from_name(json_string_value(json_object_get(e, "code")));
        int want = validator_code(code) ? code : 0;
        if (d->req[id].rc != want) {
            doc_fail(d, "reply %s, the validator says %s: %s",
                     json_string_value(json_object_get(e, "code")),
                     nb_proto_err_name(d->req[id].rc), d->req[id].message);
        }
        if (want != 0 &&
            strcmp(json_string_value(json_object_get(e, "message")), d->req[id].message) != 0) {
            doc_fail(d, "message here differs from the validator's: %s", d->req[id].message);
        }
    }
    if (d->req[id].op != NULL &&
        nb_proto_reply_validate(d->req[id].op->id, msg, (size_t)fds_of(msg), &err) != 0) {
        doc_fail(d, "reply refused by nb_proto_reply_validate: %s", err.message);
    }
}

static void example_event(doc_t *d, const json_t *msg)
{
    const nb_proto_event_t *ev = NULL;
    nb_proto_error_t err;

    if (nb_proto_event_validate(msg, (size_t)fds_of(msg), &ev, &err) != 0) {
        doc_fail(d, "event refused by nb_proto_event_validate: %s", err.message);
        return;
    }
    if (ev == NULL) {
        doc_fail(d, "an event the table does not know");
        return;
    }
    d->ev_example[ev->id] = true;
}

static void example_line(doc_t *d, char *line)
{
    char *end = strrchr(line, '}');
    json_error_t jerr;
    json_t *msg;

    if ((line[0] != 'C' && line[0] != 'D') || line[1] != ' ' || end == NULL) {
        doc_fail(d, "example lines are 'C {json}' or 'D {json}'");
        return;
    }
    end[1] = '\0';
    msg = json_loads(line + 2, JSON_REJECT_DUPLICATES, &jerr);
    if (msg == NULL) {
        doc_fail(d, "example is not JSON: %s", jerr.text);
        return;
    }
    d->examples++;
    if (line[0] == 'C') {
        example_request(d, msg);
    } else if (json_object_get(msg, "event") != NULL) {
        example_event(d, msg);
    } else {
        example_reply(d, msg);
    }
    json_decref(msg);
}

static void check_block(doc_t *d, FILE *in)
{
    char line[8192];

    while (fgets(line, sizeof(line), in) != NULL) {
        d->lineno++;
        if (strncmp(line, "```", 3) == 0) {
            for (int i = 0; i < MAX_IDS; i++) {
                if (d->req[i].pending) {
                    doc_fail(d, "request %d above has no reply", i);
                    d->req[i].pending = false;
                }
            }
            return;
        }
        example_line(d, line);
    }
    doc_fail(d, "unterminated example block");
}

/* Everything the table has must be in the document. */
static void check_complete(doc_t *d)
{
    for (int i = 0; i < NB_PROTO_OP_COUNT; i++) {
        const nb_proto_op_t *op = nb_proto_op_get(i);
        if (op->args->nfields > 0 && !d->op_args[i]) {
            doc_fail(d, "no argument table for %s", op->name);
        }
        /* Results that are schema `server` or `fd` are checked in that schema's section. */
        bool shared = op->result == nb_proto_op_get(NB_PROTO_OP_SERVER_INFO)->result ||
                      op->result == nb_proto_op_get(NB_PROTO_OP_FD_STORE)->result;
        if (op->result->nfields > 0 && !shared && !d->op_members[i]) {
            doc_fail(d, "no result table for %s", op->name);
        }
        if (!d->op_ok[i]) {
            doc_fail(d, "no successful example of %s", op->name);
        }
    }
    for (int i = 0; i < NB_PROTO_EVENT_COUNT; i++) {
        if (!d->ev_members[i] || !d->ev_example[i]) {
            doc_fail(d, "no table or example of event %s", nb_proto_event_get(i)->name);
        }
    }
    if (d->schemas_seen != 4) {
        doc_fail(d, "%d schema sections, not 4", d->schemas_seen);
    }
}

/* Walks the document at path; returns the errors found (each printed to stderr). */
static int check_document(const char *path, doc_t *d)
{
    FILE *in = fopen(path, "r");
    char line[8192];

    assert_non_null(in);
    memset(d, 0, sizeof(*d));
    d->path = path;
    while (fgets(line, sizeof(line), in) != NULL) {
        d->lineno++;
        if (line[0] == '#') {
            on_heading(d, line);
        } else if (strncmp(line, "| argument |", 12) == 0 || strncmp(line, "| member |", 10) == 0) {
            check_table(d, in, line);
        } else if (strncmp(line, "```nbproto", 10) == 0) {
            check_block(d, in);
        }
    }
    fclose(in);
    check_complete(d);
    return d->errors;
}

static void test_doc_matches_table(void **state)
{
    (void)state;
    doc_t *d = malloc(sizeof(*d));

    assert_non_null(d);
    assert_int_equal(check_document(NB_PROTOCOL_MD, d), 0);
    /* A floor, so that a parser that silently stops reading cannot pass. */
    assert_true(d->rows >= 140);
    assert_true(d->examples >= 100);
    print_message("PROTOCOL.md: %d table rows, %d example lines\n", d->rows, d->examples);
    free(d);
}

/* Copies PROTOCOL.md with the first occurrence of `from` replaced by `to`, then checks
 * the copy: the checker must find exactly the drift it was given. */
static int check_mutated(const char *from, const char *to)
{
    char path[] = "/tmp/nbproto-doc-XXXXXX";
    FILE *in = fopen(NB_PROTOCOL_MD, "r");
    int fd = mkstemp(path);
    FILE *out = fdopen(fd, "w");
    char line[8192];
    bool done = false;
    doc_t *d = malloc(sizeof(*d));

    assert_non_null(in);
    assert_non_null(out);
    assert_non_null(d);
    while (fgets(line, sizeof(line), in) != NULL) {
        char *p = done ? NULL : strstr(line, from);
        if (p != NULL) {
            fprintf(out, "%.*s%s%s", (int)(p - line), line, to, p + strlen(from));
            done = true;
        } else {
            fputs(line, out);
        }
    }
    fclose(in);
    fclose(out);
    assert_true(done);
    int errors = check_document(path, d);
    unlink(path);
    free(d);
    return errors;
}

static void test_doc_checker_catches_drift(void **state)
{
    (void)state;
    /* A default, a type, a required flag, a member, a message, a result, an example. */
    assert_int_equal(check_mutated("| `backlog` | integer | no | `511` |",
                                   "| `backlog` | integer | no | `512` |"),
                     1);
    assert_int_equal(check_mutated("| `maxPending` | integer |", "| `maxPending` | string |"), 1);
    assert_int_equal(check_mutated("| `version` | integer | yes |", "| `version` | integer | no |"),
                     1);
    assert_int_equal(check_mutated("| `queueLimit` | integer | no | `128`",
                                   "| `queueLimt` | integer | no | `128`"),
                     2);
    assert_int_equal(check_mutated("of type integer. Received type string ('80')\"}",
                                   "of type integer. Received '80'\"}"),
                     1);
    assert_int_equal(check_mutated("\"result\":{\"blocked\":true,", "\"result\":{"), 1);
    assert_int_equal(check_mutated("\"takeover.next\",\"takeover.commit\",",
                                   "\"takeover.commit\",\"takeover.next\","),
                     1);
    assert_int_equal(check_mutated("{\"id\":62,\"op\":\"daemon.shutdown\"}",
                                   "{\"id\":62,\"op\":\"daemon.stop\"}"),
                     2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_matches_table),
        cmocka_unit_test(test_doc_checker_catches_drift),
    };
    return cmocka_run_group_tests_name("proto_ops_doc", tests, NULL, NULL);
}
