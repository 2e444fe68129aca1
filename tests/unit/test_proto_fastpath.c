/* test_proto_fastpath.c: the calls that skip the jansson tree. The line builder writes
 * the bytes jansson's compact dump writes; nb_proto_writer_send_line behaves as push_line
 * then flush (fds in order, the caller's fds kept, nothing leaked on a full or a closed
 * socket); nb_proto_reader_next_lazy gives the verdicts, errors and fds that
 * nb_proto_reader_next gives, line for line. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nbproto.h"
#include "test_proto_util.h"

/* ---- line builder -------------------------------------------------------------------- */

/* The line of l, checked to equal jansson's compact dump of expect plus '\n'. */
static void assert_line_is(nb_proto_line_t *l, size_t nfds, json_t *expect)
{
    const char *line;
    size_t len;

    if (nfds > 0) {
        json_object_set_new(expect, "fds", json_integer((json_int_t)nfds));
    }
    char *want = json_dumps(expect, JSON_COMPACT);
    assert_non_null(want);
    assert_int_equal(nb_proto_line_end(l, nfds, &line, &len), 0);
    assert_int_equal(len, strlen(want) + 1);
    assert_memory_equal(line, want, len - 1);
    assert_int_equal(line[len - 1], '\n');
    free(want);
    json_decref(expect);
    nb_proto_line_free(l);
}

static void test_line_scalars_as_jansson(void **state)
{
    (void)state;
    /* Every byte below 0x20, quotes, backslashes, '/', DEL and UTF-8 of 2, 3 and 4 bytes. */
    char all[64];
    for (int i = 1; i < 0x20; i++) {
        all[i - 1] = (char)i;
    }
    strcpy(all + 0x1f, "\"\\/\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 x");
    nb_proto_line_t l;
    nb_proto_line_event(&l, "connection");
    nb_proto_line_str(&l, "s", all);
    nb_proto_line_str(&l, "empty", "");
    nb_proto_line_str(&l, "k\"ey\n", "v");
    nb_proto_line_int(&l, "zero", 0);
    nb_proto_line_int(&l, "min", INT64_MIN);
    nb_proto_line_int(&l, "max", INT64_MAX);
    nb_proto_line_int(&l, "neg", -42);
    nb_proto_line_bool(&l, "t", true);
    nb_proto_line_bool(&l, "f", false);
    nb_proto_line_null(&l, "n");
    json_t *want =
        json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:b,s:n}", "event", "connection", "s", all,
                  "empty", "", "k\"ey\n", "v", "zero", (json_int_t)0, "min", (json_int_t)INT64_MIN,
                  "max", (json_int_t)INT64_MAX, "neg", (json_int_t)-42, "t", 1, "f", 0, "n");
    assert_non_null(want);
    assert_line_is(&l, 3, want);
}

static void test_line_nested_and_json_values(void **state)
{
    (void)state;
    json_t *fields = json_pack("{s:s,s:i,s:f,s:[i,s,{s:b}],s:{}}", "remoteAddress", "::1",
                               "remotePort", 5000, "real", 1.5, "arr", 1, "two", "x", 0, "obj");
    nb_proto_line_t l;
    nb_proto_line_reply_ok(&l, 7);
    nb_proto_line_members(&l, fields);
    nb_proto_line_open(&l, "inner");
    nb_proto_line_open(&l, "deeper");
    nb_proto_line_close(&l);
    nb_proto_line_str(&l, "after", "y");
    /* end closes "inner" and "result" */
    json_t *want = json_pack("{s:i,s:b,s:{s:s,s:i,s:f,s:[i,s,{s:b}],s:{},s:{s:{},s:s}}}", "id", 7,
                             "ok", 1, "result", "remoteAddress", "::1", "remotePort", 5000, "real",
                             1.5, "arr", 1, "two", "x", 0, "obj", "inner", "deeper", "after", "y");
    assert_non_null(want);
    assert_line_is(&l, 0, want);
    json_decref(fields);
}

/* Past the stack buffer, the line moves to the heap intact. */
static void test_line_grows(void **state)
{
    (void)state;
    char big[3000];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    nb_proto_line_t l;
    nb_proto_line_begin(&l);
    nb_proto_line_str(&l, "a", big);
    nb_proto_line_str(&l, "b", big);
    assert_line_is(&l, 16, json_pack("{s:s,s:s}", "a", big, "b", big));
}

static void expect_line_error(nb_proto_line_t *l, int code)
{
    const char *line = NULL;
    size_t len = 0;
    assert_int_equal(nb_proto_line_end(l, 1, &line, &len), code);
    assert_null(line);
    nb_proto_line_free(l);
}

static void test_line_errors(void **state)
{
    (void)state;
    nb_proto_line_t l;

    nb_proto_line_begin(&l);
    nb_proto_line_str(&l, "bad", "\xc3\x28"); /* not UTF-8: json_string refuses it too */
    nb_proto_line_str(&l, "fine", "after the error, nothing is written");
    expect_line_error(&l, -EINVAL);
    nb_proto_line_begin(&l);
    nb_proto_line_int(&l, "fds", 1); /* end writes it */
    expect_line_error(&l, -EINVAL);
    nb_proto_line_begin(&l);
    nb_proto_line_close(&l);
    expect_line_error(&l, -EINVAL);
    nb_proto_line_begin(&l);
    nb_proto_line_str(&l, "s", NULL);
    expect_line_error(&l, -EINVAL);
    nb_proto_line_begin(&l);
    nb_proto_line_str(&l, "\xff", "key not UTF-8");
    expect_line_error(&l, -EINVAL);
    nb_proto_line_event(&l, "Not-A-Name");
    expect_line_error(&l, -EINVAL);
    nb_proto_line_reply_ok(&l, -1);
    expect_line_error(&l, -EINVAL);
    nb_proto_line_begin(&l);
    nb_proto_line_json(&l, "v", NULL);
    expect_line_error(&l, -EINVAL);
    nb_proto_line_begin(&l);
    nb_proto_line_members(&l, json_true()); /* not an object */
    expect_line_error(&l, -EINVAL);
    nb_proto_line_begin(&l);
    const char *line;
    size_t len;
    assert_int_equal(nb_proto_line_end(&l, NB_PROTO_FDS_MAX + 1, &line, &len), -EINVAL);
    nb_proto_line_free(&l);
}

/* A '\n' inside a string is escaped: the writer accepts the line as one line. */
static void test_line_is_one_line(void **state)
{
    (void)state;
    nb_proto_writer_t *w;
    nb_proto_line_t l;
    const char *line;
    size_t len;

    assert_int_equal(nb_proto_writer_new(NULL, &w), 0);
    nb_proto_line_event(&l, "x");
    nb_proto_line_str(&l, "m", "two\nlines\r\n");
    assert_int_equal(nb_proto_line_end(&l, 0, &line, &len), 0);
    assert_int_equal(nb_proto_writer_push_line(w, line, len, NULL, 0), 0);
    nb_proto_line_free(&l);
    nb_proto_writer_free(w);
}

/* ---- send_line ----------------------------------------------------------------------- */

typedef struct {
    int sv[2];
    nb_proto_writer_t *w;
    nb_proto_reader_t *r;
} pair_t;

static void pair_open(pair_t *p, size_t bytes_max)
{
    nb_proto_limits_t limits = { .queue_bytes_max = bytes_max };
    make_pair(p->sv, 0);
    assert_int_equal(nb_proto_writer_new(&limits, &p->w), 0);
    assert_int_equal(nb_proto_reader_new(NULL, &p->r), 0);
}

static void pair_close(pair_t *p)
{
    nb_proto_writer_free(p->w);
    nb_proto_reader_free(p->r);
    if (p->sv[0] >= 0) {
        close(p->sv[0]);
    }
    if (p->sv[1] >= 0) {
        close(p->sv[1]);
    }
}

/* The next lazy message, flushing and reading as needed; checks its "n" member and its
 * fds. */
static void expect_lazy(pair_t *p, int n, const int *files, size_t nfiles)
{
    nb_proto_lazy_t m;
    nb_proto_error_t e;
    int rc;

    while ((rc = nb_proto_reader_next_lazy(p->r, &m, &e)) == 0) {
        /* The rest of a line may still wait in the writer's queue. */
        rc = nb_proto_writer_flush(p->w, p->sv[0]);
        assert_true(rc == 0 || rc == -EAGAIN);
        struct pollfd pfd = { .fd = p->sv[1], .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 10000), 1);
        assert_true(nb_proto_reader_read(p->r, p->sv[1]) > 0);
    }
    assert_int_equal(rc, 1);
    json_t *tree = nb_proto_lazy_json(&m);
    assert_non_null(tree);
    assert_int_equal(json_integer_value(json_object_get(tree, "n")), n);
    assert_int_equal(m.nfds, nfiles);
    for (size_t i = 0; i < nfiles; i++) {
        assert_true(same_file(m.fds[i], files[i]));
    }
    nb_proto_lazy_clear(&m);
}

static int send_numbered(pair_t *p, int n, const int *fds, size_t nfds, size_t pad)
{
    nb_proto_line_t l;
    const char *line;
    size_t len;
    char *s = calloc(1, pad + 1);
    assert_non_null(s);
    memset(s, 'p', pad);
    nb_proto_line_event(&l, "t");
    nb_proto_line_int(&l, "n", n);
    nb_proto_line_str(&l, "pad", s);
    assert_int_equal(nb_proto_line_end(&l, nfds, &line, &len), 0);
    int rc = nb_proto_writer_send_line(p->w, p->sv[0], line, len, fds, nfds);
    nb_proto_line_free(&l);
    free(s);
    return rc;
}

/* An empty queue: the line leaves at once with the caller's fds, which stay open. */
static void test_send_line_direct(void **state)
{
    (void)state;
    pair_t p;
    int files[3];
    pair_open(&p, 0);
    make_files(files, 3);
    int before = count_fds();
    assert_int_equal(send_numbered(&p, 1, files, 3, 0), 0);
    assert_int_equal(nb_proto_writer_queued(p.w), 0);
    assert_int_equal(count_fds(), before); /* no duplicate kept */
    expect_lazy(&p, 1, files, 3);
    assert_int_equal(count_fds(), before);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(fcntl(files[i], F_GETFD), FD_CLOEXEC); /* still the caller's */
    }
    close_all(files, 3);
    pair_close(&p);
}

/* A full socket: lines larger than its buffer go out in part (the fds with the first
 * byte), the rest is queued, later lines queue behind with duplicates of their fds, and
 * all arrive in order with their fds as the receiver drains and the writer flushes. */
static void test_send_line_full_socket(void **state)
{
    (void)state;
    pair_t p;
    int files[2];
    int n = 0, rc;
    pair_open(&p, 64 * 1024 * 1024);
    make_files(files, 2);
    int sndbuf = 4096;
    assert_int_equal(setsockopt(p.sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
    while ((rc = send_numbered(&p, n, &files[n % 2], 1, 20000)) == 0) {
        n++;
        assert_true(n < 100000);
    }
    assert_int_equal(rc, -EAGAIN);
    assert_true(nb_proto_writer_queued(p.w) > 0);
    for (int k = 0; k < 3; k++) {
        n++;
        assert_int_equal(send_numbered(&p, n, &files[n % 2], 1, 20000), -EAGAIN);
    }
    for (int i = 0; i <= n; i++) {
        expect_lazy(&p, i, &files[i % 2], 1);
    }
    assert_int_equal(nb_proto_writer_queued(p.w), 0);
    close_all(files, 2);
    pair_close(&p);
}

/* Errors: nothing leaves, nothing is queued, no fd is left behind. */
static void test_send_line_errors(void **state)
{
    (void)state;
    pair_t p;
    int file;
    pair_open(&p, 100);
    make_files(&file, 1);
    const char line[] = "{\"event\":\"x\",\"fds\":1}\n";
    size_t len = sizeof(line) - 1;
    int bad = -1;

    assert_int_equal(nb_proto_writer_send_line(p.w, p.sv[0], line, len - 1, &file, 1), -EINVAL);
    assert_int_equal(nb_proto_writer_send_line(p.w, p.sv[0], "{}\n{}\n", 6, NULL, 0), -EINVAL);
    assert_int_equal(nb_proto_writer_send_line(p.w, p.sv[0], line, len, NULL, 1), -EINVAL);
    assert_int_equal(nb_proto_writer_send_line(p.w, -1, line, len, &file, 1), -EINVAL);
    assert_int_equal(nb_proto_writer_send_line(p.w, p.sv[0], line, len, &bad, 1), -EBADF);
    char big[200];
    memset(big, ' ', sizeof(big));
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    big[sizeof(big) - 1] = '\n';
    assert_int_equal(nb_proto_writer_send_line(p.w, p.sv[0], big, sizeof(big), NULL, 0), -ENOBUFS);
    int closed = dup(file);
    close(closed); /* a number that names nothing now */
    assert_int_equal(nb_proto_writer_send_line(p.w, p.sv[0], line, len, &closed, 1), -EBADF);
    assert_int_equal(nb_proto_writer_queued(p.w), 0);
    /* A peer gone: the socket's error, the line queued as push then flush would leave it,
     * and its duplicate closed by writer_free. */
    close(p.sv[1]);
    p.sv[1] = -1;
    assert_int_equal(nb_proto_writer_send_line(p.w, p.sv[0], line, len, &file, 1), -EPIPE);
    assert_int_equal(nb_proto_writer_queued(p.w), len);
    close(file);
    pair_close(&p);
}

/* ---- next_lazy ----------------------------------------------------------------------- */

/* Lines on both sides of the scanner's border: each must get from next_lazy exactly what
 * next gives (the message, or the error with its code, message, id and fatality). */
static const char *const lazy_lines[] = {
    "{\"event\":\"connection\",\"server\":\"web\",\"remotePort\":5000}",
    "{\"id\":7,\"ok\":true,\"result\":{\"a\":[1,2,{\"b\":null}],\"c\":{}}}",
    "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"ERR_PROTO_PARSE\",\"message\":\"x\"}}",
    " { \"id\" : 3 , \"ok\" : false } ",
    "{\"event\":\"caf\xc3\xa9\",\"s\":\"\xe2\x82\xac\"}",
    "{\"event\":\"esc\\n\",\"s\":\"\\u00e9\"}",
    "{\"a\":1,\"a\":2}",
    "{\"o\":{\"a\":1,\"a\":2}}",
    "{\"id\":1.5}",
    "{\"id\":12345678901234567890123}",
    "{\"id\":-0,\"ok\":1}",
    "{\"ok\":tru}",
    "{\"event\":\"x\"} trailing",
    "[1,2]",
    "\"str\"",
    "",
    "{\"s\":\"\xc3\x28\"}",
    "{\"s\":\"\xed\xa0\x80\"}",
    "{\"s\":\"tab\there\"}",
    "{\"fds\":\"1\"}",
    "{\"fds\":17}",
    "{\"fds\":-1,\"id\":4}",
    "{\"fds\":0,\"id\":9007199254740992}",
    "{\"event\":\"x\",\"fds\":0}",
    "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    "{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,\"k9\":1,"
    "\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,\"k16\":1,\"k17\":1,\"k18\":1,"
    "\"k19\":1,\"k20\":1,\"k21\":1,\"k22\":1,\"k23\":1,\"k24\":1,\"k25\":1,\"k26\":1,\"k27\":1,"
    "\"k28\":1,\"k29\":1,\"k30\":1,\"k31\":1,\"k32\":1,\"k33\":1,\"k33\":2}",
};

static void compare_heads(const nb_proto_lazy_t *lz, const json_t *tree)
{
    const json_t *event = json_object_get(tree, "event");
    const json_t *id = json_object_get(tree, "id");
    const json_t *ok = json_object_get(tree, "ok");

    assert_int_equal(lz->head.event != NULL, json_is_string(event));
    if (json_is_string(event)) {
        assert_int_equal(lz->head.event_len, json_string_length(event));
        assert_memory_equal(lz->head.event, json_string_value(event), lz->head.event_len);
    }
    assert_int_equal(lz->head.has_id, json_is_integer(id));
    if (json_is_integer(id)) {
        assert_int_equal(lz->head.id, json_integer_value(id));
    }
    assert_int_equal(lz->head.id_null, json_is_null(id));
    assert_int_equal(lz->head.ok, json_is_boolean(ok) ? json_is_true(ok) : -1);
}

static void compare_one(const char *text)
{
    nb_proto_reader_t *a, *b;
    nb_proto_msg_t m;
    nb_proto_lazy_t lz;
    nb_proto_error_t ea, eb;
    size_t len = strlen(text);

    assert_int_equal(nb_proto_reader_new(NULL, &a), 0);
    assert_int_equal(nb_proto_reader_new(NULL, &b), 0);
    assert_int_equal(nb_proto_reader_feed(a, text, len, NULL, 0), 0);
    assert_int_equal(nb_proto_reader_feed(a, "\n", 1, NULL, 0), 0);
    assert_int_equal(nb_proto_reader_feed(b, text, len, NULL, 0), 0);
    assert_int_equal(nb_proto_reader_feed(b, "\n", 1, NULL, 0), 0);
    int ra = nb_proto_reader_next(a, &m, &ea);
    int rb = nb_proto_reader_next_lazy(b, &lz, &eb);
    if (ra != rb) {
        fprintf(stderr, "line '%s': next %d, next_lazy %d\n", text, ra, rb);
    }
    assert_int_equal(ra, rb);
    if (ra == 1) {
        compare_heads(&lz, m.json);
        assert_true(json_equal(nb_proto_lazy_json(&lz), m.json));
        assert_int_equal(lz.nfds, m.nfds);
        nb_proto_msg_clear(&m);
        nb_proto_lazy_clear(&lz);
    } else {
        assert_int_equal(ea.code, eb.code);
        assert_int_equal(ea.fatal, eb.fatal);
        assert_int_equal(ea.id, eb.id);
        assert_string_equal(ea.message, eb.message);
    }
    nb_proto_reader_free(a);
    nb_proto_reader_free(b);
}

static void test_lazy_same_verdicts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(lazy_lines) / sizeof(lazy_lines[0]); i++) {
        compare_one(lazy_lines[i]);
    }
}

/* A plain line is handed out as it is (no tree), compact or not as it came. */
static void test_lazy_plain_line_borrowed(void **state)
{
    (void)state;
    nb_proto_reader_t *r;
    nb_proto_lazy_t lz;
    nb_proto_error_t e;
    const char text[] = "{\"event\":\"connection\",\"server\":\"web\"}\n{ \"id\": 2 }\n";

    assert_int_equal(nb_proto_reader_new(NULL, &r), 0);
    assert_int_equal(nb_proto_reader_feed(r, text, sizeof(text) - 1, NULL, 0), 0);
    assert_int_equal(nb_proto_reader_next_lazy(r, &lz, &e), 1);
    assert_null(lz.json);
    assert_true(lz.compact);
    assert_int_equal(lz.len, strchr(text, '\n') - text);
    assert_memory_equal(lz.line, text, lz.len);
    assert_int_equal(lz.head.event_len, strlen("connection"));
    nb_proto_lazy_clear(&lz);
    assert_int_equal(nb_proto_reader_next_lazy(r, &lz, &e), 1);
    assert_null(lz.json);
    assert_false(lz.compact);
    assert_true(lz.head.has_id);
    assert_int_equal(lz.head.id, 2);
    nb_proto_lazy_clear(&lz);
    assert_int_equal(nb_proto_reader_next_lazy(r, &lz, &e), 0);
    nb_proto_reader_free(r);
}

/* fds through the lazy path: taken in order, closed by clear, refused as next refuses. */
static void test_lazy_fds(void **state)
{
    (void)state;
    pair_t p;
    int files[3];
    pair_open(&p, 0);
    make_files(files, 3);
    const char two[] = "{\"n\":0,\"fds\":2}\n{\"n\":1}\n";
    send_raw(p.sv[0], two, sizeof(two) - 1, files, 2);
    expect_lazy(&p, 0, files, 2);
    expect_lazy(&p, 1, NULL, 0);
    /* Declares two, carries one: fatal, as for next, and the fd that came is closed. */
    send_raw(p.sv[0], two, sizeof(two) - 1, &files[2], 1);
    nb_proto_lazy_t lz;
    nb_proto_error_t e;
    assert_true(nb_proto_reader_read(p.r, p.sv[1]) > 0);
    assert_int_equal(nb_proto_reader_next_lazy(p.r, &lz, &e), NB_PROTO_ERR_PROTO_FDS);
    assert_true(e.fatal);
    close_all(files, 3);
    pair_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FD_TEST(test_line_scalars_as_jansson),
        FD_TEST(test_line_nested_and_json_values),
        FD_TEST(test_line_grows),
        FD_TEST(test_line_errors),
        FD_TEST(test_line_is_one_line),
        FD_TEST(test_send_line_direct),
        FD_TEST(test_send_line_full_socket),
        FD_TEST(test_send_line_errors),
        FD_TEST(test_lazy_same_verdicts),
        FD_TEST(test_lazy_plain_line_borrowed),
        FD_TEST(test_lazy_fds),
    };
    return cmocka_run_group_tests_name("proto_fastpath", tests, NULL, NULL);
}
