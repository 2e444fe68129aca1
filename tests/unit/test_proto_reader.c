/* test_proto_reader.c: the line reader fed directly: every split of a stream, fds handed
 * to the right message, and every kind of bad line, with no fd leaked on any path. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nbproto.h"
#include "test_proto_util.h"

/* Four messages; the second declares two fds, the third one. The second holds multi-byte
 * characters so that splits fall inside them too. */
static const char stream[] =
    "{\"id\":1,\"op\":\"a\"}\n"
    "{\"id\":2,\"op\":\"b\",\"fds\":2,\"args\":{\"s\":\"\xc3\xa9\xe2\x82\xac"
    "\xf0\x9f\x98\x80\"}}\n"
    "{\"id\":3,\"op\":\"c\",\"fds\":1}\n"
    "{\"id\":4,\"op\":\"d\"}\n";

static nb_proto_reader_t *reader_new_limit(size_t line_max)
{
    nb_proto_limits_t limits = { .line_max = line_max };
    nb_proto_reader_t *r = NULL;
    assert_int_equal(nb_proto_reader_new(&limits, &r), 0);
    return r;
}

static void feed(nb_proto_reader_t *r, const char *s, const int *fds, size_t nfds)
{
    assert_int_equal(nb_proto_reader_feed(r, s, strlen(s), fds, nfds), 0);
}

static int dup_fd(int fd)
{
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    assert_true(d >= 0);
    return d;
}

static int64_t msg_id(const nb_proto_msg_t *m)
{
    return (int64_t)json_integer_value(json_object_get(m->json, "id"));
}

/* Feeds `stream` cut at cuts[0..ncuts) (increasing, inside the stream); the fds of a line
 * go with the chunk holding its first byte, as the kernel delivers them. Checks that the
 * four messages come out in order, each with its own fds. */
static void check_split(const size_t *cuts, size_t ncuts, const int files[3])
{
    const size_t len = sizeof(stream) - 1;
    const char *b = strstr(stream, "{\"id\":2");
    const char *c = strstr(stream, "{\"id\":3");
    nb_proto_reader_t *r = reader_new_limit(0);
    int64_t want = 1;
    size_t from = 0;

    for (size_t k = 0; k <= ncuts; k++) {
        size_t to = k < ncuts ? cuts[k] : len;
        int fds[3];
        size_t nfds = 0;
        if ((size_t)(b - stream) >= from && (size_t)(b - stream) < to) {
            fds[nfds++] = dup_fd(files[0]);
            fds[nfds++] = dup_fd(files[1]);
        }
        if ((size_t)(c - stream) >= from && (size_t)(c - stream) < to) {
            fds[nfds++] = dup_fd(files[2]);
        }
        assert_int_equal(nb_proto_reader_feed(r, stream + from, to - from, fds, nfds), 0);
        nb_proto_msg_t m;
        nb_proto_error_t e;
        int rc;
        while ((rc = nb_proto_reader_next(r, &m, &e)) == 1) {
            assert_int_equal(msg_id(&m), want);
            assert_int_equal(m.nfds, want == 2 ? 2 : want == 3 ? 1 : 0);
            if (want == 2) {
                assert_true(same_file(m.fds[0], files[0]) && same_file(m.fds[1], files[1]));
            } else if (want == 3) {
                assert_true(same_file(m.fds[0], files[2]));
            }
            nb_proto_msg_clear(&m);
            want++;
        }
        assert_int_equal(rc, 0);
        from = to;
    }
    assert_int_equal(want, 5);
    assert_int_equal(nb_proto_reader_pending(r), 0);
    nb_proto_reader_free(r);
}

static void test_reader_every_split(void **state)
{
    (void)state;
    int files[3];
    make_files(files, 3);
    for (size_t i = 1; i < sizeof(stream) - 1; i++) {
        check_split(&i, 1, files);
    }
    close_all(files, 3);
}

static void test_reader_every_pair_of_splits(void **state)
{
    (void)state;
    int files[3];
    make_files(files, 3);
    for (size_t i = 1; i < sizeof(stream) - 1; i++) {
        for (size_t j = i + 1; j < sizeof(stream) - 1; j++) {
            size_t cuts[2] = { i, j };
            check_split(cuts, 2, files);
        }
    }
    close_all(files, 3);
}

static void test_reader_one_byte_at_a_time(void **state)
{
    (void)state;
    int files[3];
    size_t cuts[sizeof(stream)];
    make_files(files, 3);
    for (size_t i = 1; i < sizeof(stream) - 1; i++) {
        cuts[i - 1] = i;
    }
    check_split(cuts, sizeof(stream) - 2, files);
    close_all(files, 3);
}

static void test_reader_many_messages_one_feed(void **state)
{
    (void)state;
    nb_proto_reader_t *r = reader_new_limit(0);
    char *big = malloc(1000 * 32);
    size_t len = 0;
    nb_proto_msg_t m;
    nb_proto_error_t e;

    assert_non_null(big);
    for (int i = 0; i < 1000; i++) {
        len += (size_t)sprintf(big + len, "{\"id\":%d}\n", i);
    }
    assert_int_equal(nb_proto_reader_feed(r, big, len, NULL, 0), 0);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
        assert_int_equal(msg_id(&m), i);
        nb_proto_msg_clear(&m);
    }
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 0);
    free(big);
    nb_proto_reader_free(r);
}

/* Feeding again before the complete lines are taken is refused, and the fds fed with the
 * refused chunk are closed rather than lost. */
static void test_reader_busy(void **state)
{
    (void)state;
    nb_proto_reader_t *r = reader_new_limit(0);
    int fd[1];
    nb_proto_msg_t m;
    nb_proto_error_t e;

    feed(r, "{\"id\":1}\n{\"id\"", NULL, 0);
    make_files(fd, 1);
    assert_int_equal(nb_proto_reader_feed(r, ":2}\n", 4, fd, 1), -EBUSY);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
    nb_proto_msg_clear(&m);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 0);
    assert_int_equal(nb_proto_reader_pending(r), 5);
    feed(r, ":2}\n", NULL, 0);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
    assert_int_equal(msg_id(&m), 2);
    nb_proto_msg_clear(&m);
    nb_proto_reader_free(r);
}

static void expect_error(nb_proto_reader_t *r, int code, bool fatal, int64_t id)
{
    nb_proto_msg_t m;
    nb_proto_error_t e;
    assert_int_equal(nb_proto_reader_next(r, &m, &e), code);
    assert_int_equal(e.code, code);
    assert_int_equal(e.fatal, fatal);
    assert_int_equal(e.id, id);
    assert_true(strlen(e.message) > 0);
}

static void expect_id(nb_proto_reader_t *r, int64_t id)
{
    nb_proto_msg_t m;
    nb_proto_error_t e;
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
    assert_int_equal(msg_id(&m), id);
    nb_proto_msg_clear(&m);
}

/* A line of exactly the limit passes; one byte more fails, whether its '\n' has come or
 * not; lines before it are delivered first; the error then sticks. */
static void test_reader_line_limit(void **state)
{
    (void)state;
    const char *ok16 = "{\"id\":1,\"x\":\"\"}\n"; /* 15 bytes + '\n' */
    nb_proto_reader_t *r = reader_new_limit(15);

    feed(r, ok16, NULL, 0);
    expect_id(r, 1);
    feed(r, "{\"id\":2,\"x\":\"a\"}\n", NULL, 0);
    expect_error(r, NB_PROTO_ERR_PROTO_TOO_LARGE, true, -1);
    expect_error(r, NB_PROTO_ERR_PROTO_TOO_LARGE, true, -1);
    assert_int_equal(nb_proto_reader_feed(r, "{}\n", 3, NULL, 0), NB_PROTO_ERR_PROTO_TOO_LARGE);
    nb_proto_reader_free(r);

    /* No '\n' yet: known too large as soon as the 16th byte arrives. */
    r = reader_new_limit(15);
    feed(r, "{\"id\":3}\n{\"id\":4,\"x\":\"abcd", NULL, 0);
    expect_id(r, 3);
    expect_error(r, NB_PROTO_ERR_PROTO_TOO_LARGE, true, -1);
    nb_proto_reader_free(r);

    r = reader_new_limit(15);
    feed(r, "{\"id\":5,\"x\":\"\"", NULL, 0);
    nb_proto_msg_t m;
    nb_proto_error_t e;
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 0);
    feed(r, " ", NULL, 0);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 0);
    feed(r, " ", NULL, 0);
    expect_error(r, NB_PROTO_ERR_PROTO_TOO_LARGE, true, -1);
    nb_proto_reader_free(r);
}

static void test_reader_default_limit(void **state)
{
    (void)state;
    size_t n = NB_PROTO_LINE_MAX;
    char *line = malloc(n + 2);
    nb_proto_reader_t *r = reader_new_limit(0);

    assert_non_null(line);
    memset(line, ' ', n + 2);
    memcpy(line, "{\"id\":1}", 8);
    line[n] = '\n';
    assert_int_equal(nb_proto_reader_feed(r, line, n + 1, NULL, 0), 0);
    expect_id(r, 1);
    line[n] = ' ';
    line[n + 1] = '\n';
    assert_int_equal(nb_proto_reader_feed(r, line, n + 2, NULL, 0), 0);
    expect_error(r, NB_PROTO_ERR_PROTO_TOO_LARGE, true, -1);
    nb_proto_reader_free(r);
    free(line);

    nb_proto_limits_t huge = { .line_max = (size_t)1 << 40 };
    assert_int_equal(nb_proto_reader_new(&huge, &r), -EINVAL);
}

/* A configured limit above the default; the reader gives back its big buffer once the long
 * line is gone, and goes on with small ones, fed empty chunks in between. */
static void test_reader_big_line_then_small(void **state)
{
    (void)state;
    size_t n = 300 * 1024;
    char *line = malloc(n + 1);
    nb_proto_reader_t *r = reader_new_limit(1024 * 1024);
    nb_proto_msg_t m;
    nb_proto_error_t e;

    assert_non_null(line);
    memset(line, ' ', n);
    memcpy(line, "{\"id\":1}", 8);
    line[n] = '\n';
    for (size_t off = 0; off < n + 1; off += 4096) {
        size_t k = n + 1 - off < 4096 ? n + 1 - off : 4096;
        assert_int_equal(nb_proto_reader_feed(r, line + off, k, NULL, 0), 0);
        assert_int_equal(nb_proto_reader_next(r, &m, &e), off + k == n + 1 ? 1 : 0);
    }
    nb_proto_msg_clear(&m);
    assert_int_equal(nb_proto_reader_feed(r, "", 0, NULL, 0), 0);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 0);
    feed(r, "{\"id\":2}\n", NULL, 0);
    expect_id(r, 2);
    free(line);
    nb_proto_reader_free(r);
}

/* Bad lines without fds are rejected alone and the stream goes on. */
static void test_reader_bad_lines(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        int code;
    } cases[] = {
        { "{\"id\":1,}\n", NB_PROTO_ERR_PROTO_PARSE },
        { "\n", NB_PROTO_ERR_PROTO_PARSE },
        { "[1,2]\n", NB_PROTO_ERR_PROTO_PARSE },
        { "7\n", NB_PROTO_ERR_PROTO_PARSE },
        { "\"s\"\n", NB_PROTO_ERR_PROTO_PARSE },
        { "{}{}\n", NB_PROTO_ERR_PROTO_PARSE },
        { "{\"id\":1,\"id\":2}\n", NB_PROTO_ERR_PROTO_PARSE },
        { "{\"s\":\"\\u0000\"}\n", NB_PROTO_ERR_PROTO_PARSE },
        { "{\"id\":99999999999999999999}\n", NB_PROTO_ERR_PROTO_PARSE },
        { "{\"s\":\"\xff\"}\n", NB_PROTO_ERR_PROTO_UTF8 },
        { "{\"s\":\"\xc0\x80\"}\n", NB_PROTO_ERR_PROTO_UTF8 },
        { "{\"s\":\"\xed\xa0\x80\"}\n", NB_PROTO_ERR_PROTO_UTF8 },
        { "{\"s\":\"\xf4\x90\x80\x80\"}\n", NB_PROTO_ERR_PROTO_UTF8 },
        { "{\"s\":\"\xe2\x82\"}\n", NB_PROTO_ERR_PROTO_UTF8 },
        { "\xe2\x82{}\n", NB_PROTO_ERR_PROTO_UTF8 },
        { "{\"a\":1,,\xff}\n", NB_PROTO_ERR_PROTO_UTF8 },
        { "{\"id\":7,\"fds\":-1}\n", NB_PROTO_ERR_PROTO_FDS },
        { "{\"id\":7,\"fds\":17}\n", NB_PROTO_ERR_PROTO_FDS },
        { "{\"id\":7,\"fds\":\"1\"}\n", NB_PROTO_ERR_PROTO_FDS },
        { "{\"id\":7,\"fds\":1.0}\n", NB_PROTO_ERR_PROTO_FDS },
    };
    nb_proto_reader_t *r = reader_new_limit(0);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        feed(r, cases[i].line, NULL, 0);
        int64_t id = cases[i].code == NB_PROTO_ERR_PROTO_FDS ? 7 : -1;
        expect_error(r, cases[i].code, false, id);
        feed(r, "{\"id\":8,\"s\":\"\xc3\xa9\xf0\x9f\x98\x80\"}\n", NULL, 0);
        expect_id(r, 8);
    }
    nb_proto_reader_free(r);
}

/* A bad line whose chunk brought fds: they may have been its own, so nothing after it can
 * be trusted. The fds are closed, the error is fatal. */
static void test_reader_bad_line_with_fds(void **state)
{
    (void)state;
    const char *lines[] = { "{\"id\":1,\"fds\":1\n", "{\"id\":1,\"fds\":99}\n",
                            "{\"s\":\"\xff\",\"fds\":1}\n" };
    for (size_t i = 0; i < 3; i++) {
        nb_proto_reader_t *r = reader_new_limit(0);
        int fd[1];
        make_files(fd, 1);
        feed(r, lines[i], fd, 1);
        nb_proto_msg_t m;
        nb_proto_error_t e;
        int rc = nb_proto_reader_next(r, &m, &e);
        assert_true(rc < 0);
        assert_true(e.fatal);
        assert_int_equal(nb_proto_reader_next(r, &m, &e), rc);
        nb_proto_reader_free(r);
    }
}

static void test_reader_fds_count_too_large(void **state)
{
    (void)state;
    nb_proto_reader_t *r = reader_new_limit(0);
    int fds[2];

    make_files(fds, 2);
    feed(r, "{\"id\":5,\"fds\":3}\n", fds, 2);
    expect_error(r, NB_PROTO_ERR_PROTO_FDS, true, 5);
    nb_proto_reader_free(r);

    /* Declared, none sent. */
    r = reader_new_limit(0);
    feed(r, "{\"id\":6,\"fds\":1}\n", NULL, 0);
    expect_error(r, NB_PROTO_ERR_PROTO_FDS, true, 6);
    nb_proto_reader_free(r);
}

/* Fds that came with an earlier chunk cannot serve a line that starts later. */
static void test_reader_fds_too_early(void **state)
{
    (void)state;
    nb_proto_reader_t *r = reader_new_limit(0);
    int fd[1];

    make_files(fd, 1);
    feed(r, "{\"id\":1}\n", fd, 1);
    expect_id(r, 1);
    feed(r, "{\"id\":2,\"fds\":1}\n", NULL, 0);
    expect_error(r, NB_PROTO_ERR_PROTO_FDS, true, -1);
    nb_proto_reader_free(r);

    /* No line of that chunk claims it: caught once the last of them is complete. */
    r = reader_new_limit(0);
    make_files(fd, 1);
    feed(r, "{\"id\":1}\n{\"id\":2}\n{\"id\"", fd, 1);
    expect_id(r, 1);
    expect_id(r, 2);
    nb_proto_msg_t m;
    nb_proto_error_t e;
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 0);
    feed(r, ":3}\n", NULL, 0);
    expect_id(r, 3);
    expect_error(r, NB_PROTO_ERR_PROTO_FDS, true, -1);
    nb_proto_reader_free(r);
}

/* Fds riding a chunk that starts no line: no line can take them. */
static void test_reader_fds_mid_line(void **state)
{
    (void)state;
    nb_proto_reader_t *r = reader_new_limit(0);
    int fd[1];

    feed(r, "{\"id\":1,", NULL, 0);
    make_files(fd, 1);
    feed(r, "\"fds\":1}\n", fd, 1);
    expect_error(r, NB_PROTO_ERR_PROTO_FDS, true, -1);
    nb_proto_reader_free(r);

    /* More than 16 with one chunk, and fds with no byte. */
    int many[17];
    r = reader_new_limit(0);
    make_files(many, 17);
    feed(r, "{\"fds\":16}\n", many, 17);
    expect_error(r, NB_PROTO_ERR_PROTO_FDS, true, -1);
    nb_proto_reader_free(r);
    r = reader_new_limit(0);
    make_files(fd, 1);
    assert_int_equal(nb_proto_reader_feed(r, "", 0, fd, 1), 0);
    expect_error(r, NB_PROTO_ERR_PROTO_FDS, true, -1);
    nb_proto_reader_free(r);
}

/* Two lines starting in one chunk share its fds in order; a bad line in between would
 * make that ambiguous, a good one does not. */
static void test_reader_two_lines_share_chunk_fds(void **state)
{
    (void)state;
    nb_proto_reader_t *r = reader_new_limit(0);
    int fds[3], orig[3];
    nb_proto_msg_t m;
    nb_proto_error_t e;

    make_files(orig, 3);
    for (int i = 0; i < 3; i++) {
        fds[i] = dup_fd(orig[i]);
    }
    feed(r, "{\"id\":1,\"fds\":1}\n{\"id\":2}\n{\"id\":3,\"fds\":2}\n", fds, 3);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
    assert_true(m.nfds == 1 && same_file(m.fds[0], orig[0]));
    nb_proto_msg_clear(&m);
    expect_id(r, 2);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
    assert_true(m.nfds == 2 && same_file(m.fds[0], orig[1]) && same_file(m.fds[1], orig[2]));
    nb_proto_msg_clear(&m);
    nb_proto_reader_free(r);
    close_all(orig, 3);
}

/* Whatever the reader holds when freed is closed: fds of a partial line, of unread
 * complete lines. */
static void test_reader_free_closes(void **state)
{
    (void)state;
    nb_proto_reader_t *r = reader_new_limit(0);
    int fds[4];

    make_files(fds, 4);
    feed(r, "{\"fds\":2}\n{\"fds\":2", fds, 4);
    nb_proto_reader_free(r);

    r = reader_new_limit(0);
    make_files(fds, 2);
    feed(r, "{\"fds\":2", fds, 2);
    assert_int_equal(nb_proto_reader_pending(r), 8);
    nb_proto_reader_free(r);
    nb_proto_reader_free(NULL);
    nb_proto_msg_clear(NULL);
}

static void test_reader_bad_arguments(void **state)
{
    (void)state;
    nb_proto_reader_t *r = reader_new_limit(0);
    nb_proto_msg_t m;
    nb_proto_error_t e;
    int fd[1];

    assert_int_equal(nb_proto_reader_new(NULL, NULL), -EINVAL);
    make_files(fd, 1);
    assert_int_equal(nb_proto_reader_feed(NULL, "x", 1, fd, 1), -EINVAL);
    assert_int_equal(nb_proto_reader_feed(r, NULL, 1, NULL, 0), -EINVAL);
    assert_int_equal(nb_proto_reader_next(r, NULL, &e), -EINVAL);
    assert_int_equal(nb_proto_reader_next(r, &m, NULL), -EINVAL);
    assert_int_equal(nb_proto_reader_read(r, -1), -EINVAL);
    assert_int_equal(nb_proto_reader_pending(NULL), 0);
    nb_proto_reader_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FD_TEST(test_reader_every_split),
        FD_TEST(test_reader_every_pair_of_splits),
        FD_TEST(test_reader_one_byte_at_a_time),
        FD_TEST(test_reader_many_messages_one_feed),
        FD_TEST(test_reader_busy),
        FD_TEST(test_reader_line_limit),
        FD_TEST(test_reader_default_limit),
        FD_TEST(test_reader_big_line_then_small),
        FD_TEST(test_reader_bad_lines),
        FD_TEST(test_reader_bad_line_with_fds),
        FD_TEST(test_reader_fds_count_too_large),
        FD_TEST(test_reader_fds_too_early),
        FD_TEST(test_reader_fds_mid_line),
        FD_TEST(test_reader_two_lines_share_chunk_fds),
        FD_TEST(test_reader_free_closes),
        FD_TEST(test_reader_bad_arguments),
    };
    return cmocka_run_group_tests_name("proto_reader", tests, NULL, NULL);
}
