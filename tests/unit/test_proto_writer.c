/* test_proto_writer.c: the writer against real sockets: partial writes into a full
 * socket buffer resume where they stopped, lines never interleave, fds ride with their
 * line's first byte exactly once, and the queue limits answer -ENOBUFS. */
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

static nb_proto_writer_t *new_writer(size_t bytes_max, size_t fds_max)
{
    nb_proto_limits_t limits = { .queue_bytes_max = bytes_max, .queue_fds_max = fds_max };
    nb_proto_writer_t *w = NULL;
    assert_int_equal(nb_proto_writer_new(&limits, &w), 0);
    return w;
}

static json_t *message(int id, size_t pad)
{
    char *s = malloc(pad + 1);
    assert_non_null(s);
    memset(s, 'a' + id % 26, pad);
    s[pad] = '\0';
    json_t *m = json_pack("{s:i,s:s}", "id", id, "pad", s);
    free(s);
    assert_non_null(m);
    return m;
}

/* Takes every complete message out of r, checking that ids follow each other, that each
 * pad is intact (no interleaving) and that every third message has its fd. */
static int drain(nb_proto_reader_t *r, int seen, int file)
{
    nb_proto_msg_t m;
    nb_proto_error_t e;
    int rc;

    while ((rc = nb_proto_reader_next(r, &m, &e)) == 1) {
        int id = (int)json_integer_value(json_object_get(m.json, "id"));
        const char *pad = json_string_value(json_object_get(m.json, "pad"));
        assert_int_equal(id, seen);
        assert_non_null(pad);
        for (const char *p = pad; *p != '\0'; p++) {
            assert_int_equal(*p, 'a' + id % 26);
        }
        assert_int_equal(m.nfds, id % 3 == 0 ? 1 : 0);
        if (m.nfds == 1) {
            assert_true(same_file(m.fds[0], file));
        }
        nb_proto_msg_clear(&m);
        seen++;
    }
    if (rc != 0) {
        fail_msg("reader error %d: %s", rc, e.message);
    }
    return seen;
}

/* 300 lines of various sizes, every third with an fd, through a socket whose buffers
 * are as small as Linux allows: flush meets EAGAIN many times, the reader sees lines cut
 * anywhere, and still every line arrives whole, in order, with its fd. */
static void test_writer_partial_writes(void **state)
{
    (void)state;
    const int total = 300;
    int sv[2], file[1];
    int small = 1;
    nb_proto_writer_t *w = new_writer(0, 0);
    nb_proto_reader_t *r = NULL;
    int eagain = 0, cut_lines = 0, seen = 0;

    assert_int_equal(nb_proto_reader_new(NULL, &r), 0);
    make_pair(sv, SOCK_NONBLOCK);
    assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
    make_files(file, 1);
    for (int i = 0; i < total; i++) {
        json_t *m = message(i, (size_t)(i * 37) % 3000);
        assert_int_equal(nb_proto_writer_push(w, m, file, i % 3 == 0 ? 1 : 0), 0);
        json_decref(m);
    }
    while (seen < total) {
        int rc = nb_proto_writer_flush(w, sv[0]);
        if (rc == -EAGAIN) {
            eagain++;
        } else {
            assert_int_equal(rc, 0);
        }
        int n;
        while ((n = nb_proto_reader_read(r, sv[1])) > 0) {
            seen = drain(r, seen, file[0]);
            cut_lines += nb_proto_reader_pending(r) > 0;
        }
        assert_int_equal(n, -EAGAIN);
    }
    assert_true(eagain > 10);
    assert_true(cut_lines > 10);
    assert_int_equal(nb_proto_writer_queued(w), 0);
    nb_proto_writer_free(w);
    nb_proto_reader_free(r);
    close_all(sv, 2);
    close(file[0]);
}

/* With an fd line partly sent when the socket fills, the fd went with the first part: the
 * rest must follow without it, and the reader must see the fd exactly once. */
static void test_writer_fds_sent_once(void **state)
{
    (void)state;
    int sv[2], file[1], small = 1;
    nb_proto_writer_t *w = new_writer(0, 0);
    nb_proto_reader_t *r = NULL;
    int seen = 0;

    assert_int_equal(nb_proto_reader_new(NULL, &r), 0);
    make_pair(sv, SOCK_NONBLOCK);
    assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    make_files(file, 1);
    /* Line 0 carries the fd and is far bigger than the socket buffer. */
    json_t *m = message(0, 60000);
    assert_int_equal(nb_proto_writer_push(w, m, file, 1), 0);
    json_decref(m);
    m = message(1, 10);
    assert_int_equal(nb_proto_writer_push(w, m, NULL, 0), 0);
    json_decref(m);
    assert_int_equal(nb_proto_writer_flush(w, sv[0]), -EAGAIN);
    assert_true(nb_proto_writer_queued(w) > 0);
    while (seen < 2) {
        int rc = nb_proto_writer_flush(w, sv[0]);
        assert_true(rc == 0 || rc == -EAGAIN);
        while (nb_proto_reader_read(r, sv[1]) > 0) {
            seen = drain(r, seen, file[0]);
        }
    }
    nb_proto_writer_free(w);
    nb_proto_reader_free(r);
    close_all(sv, 2);
    close(file[0]);
}

/* A peer that does not read: pushes fail with -ENOBUFS at the byte limit, leave the queue
 * as it was, and succeed again once it drains. */
static void test_writer_queue_bytes_limit(void **state)
{
    (void)state;
    int sv[2];
    nb_proto_writer_t *w = new_writer(1000, 0);
    int pushed = 0;
    json_t *m = message(1, 80);

    make_pair(sv, SOCK_NONBLOCK);
    while (nb_proto_writer_push(w, m, NULL, 0) == 0) {
        pushed++;
    }
    size_t q = nb_proto_writer_queued(w);
    assert_int_equal(pushed, 1000 / 100);
    assert_true(q <= 1000 && q > 900);
    assert_int_equal(nb_proto_writer_push(w, m, NULL, 0), -ENOBUFS);
    assert_int_equal(nb_proto_writer_queued(w), q);
    assert_int_equal(nb_proto_writer_flush(w, sv[0]), 0);
    assert_int_equal(nb_proto_writer_queued(w), 0);
    assert_int_equal(nb_proto_writer_push(w, m, NULL, 0), 0);
    json_decref(m);
    nb_proto_writer_free(w);
    close_all(sv, 2);
}

/* The fd limit: the duplicates of a refused push are closed at once. */
static void test_writer_queue_fds_limit(void **state)
{
    (void)state;
    nb_proto_writer_t *w = new_writer(0, 4);
    int files[3];
    json_t *m = json_object();

    make_files(files, 3);
    assert_int_equal(nb_proto_writer_push(w, m, files, 3), 0);
    int before = count_fds();
    assert_int_equal(nb_proto_writer_push(w, m, files, 2), -ENOBUFS);
    assert_int_equal(count_fds(), before);
    assert_int_equal(nb_proto_writer_push(w, m, files, 1), 0);
    json_decref(m);
    nb_proto_writer_free(w);
    close_all(files, 3);
}

static void test_writer_push_checks(void **state)
{
    (void)state;
    nb_proto_writer_t *w = new_writer(0, 0);
    json_t *arr = json_array();
    json_t *obj = json_pack("{s:i,s:i}", "id", 1, "fds", 5);
    int files[17];
    int bad[1] = { 1000000 };
    char *big = malloc(NB_PROTO_LINE_MAX + 2);

    assert_non_null(big);
    make_files(files, 17);
    assert_int_equal(nb_proto_writer_push(w, arr, NULL, 0), -EINVAL);
    assert_int_equal(nb_proto_writer_push(w, obj, files, 17), -EINVAL);
    assert_int_equal(nb_proto_writer_push(w, obj, NULL, 1), -EINVAL);
    assert_int_equal(nb_proto_writer_push(w, obj, bad, 1), -EBADF);
    assert_int_equal(nb_proto_writer_queued(w), 0);
    /* push owns "fds": set to the count, or removed. */
    assert_int_equal(nb_proto_writer_push(w, obj, NULL, 0), 0);
    assert_null(json_object_get(obj, "fds"));
    assert_int_equal(nb_proto_writer_queued(w), strlen("{\"id\":1}\n"));
    assert_int_equal(nb_proto_writer_push(w, obj, files, 2), 0);
    assert_int_equal(json_integer_value(json_object_get(obj, "fds")), 2);
    memset(big, ' ', NB_PROTO_LINE_MAX + 2);
    big[0] = '{';
    big[NB_PROTO_LINE_MAX] = '}';
    big[NB_PROTO_LINE_MAX + 1] = '\n';
    assert_int_equal(nb_proto_writer_push_line(w, big, NB_PROTO_LINE_MAX + 2, NULL, 0),
                     NB_PROTO_ERR_PROTO_TOO_LARGE);
    assert_int_equal(nb_proto_writer_push_line(w, big + 1, NB_PROTO_LINE_MAX + 1, NULL, 0), 0);
    assert_int_equal(nb_proto_writer_push_line(w, "{}", 2, NULL, 0), -EINVAL);
    assert_int_equal(nb_proto_writer_push_line(w, "{}\n{}\n", 6, NULL, 0), -EINVAL);
    assert_int_equal(nb_proto_writer_push_line(w, "", 0, NULL, 0), -EINVAL);
    json_t *huge = json_object();
    big[NB_PROTO_LINE_MAX] = '\0';
    json_object_set_new(huge, "s", json_string(big));
    assert_int_equal(nb_proto_writer_push(w, huge, NULL, 0), NB_PROTO_ERR_PROTO_TOO_LARGE);
    json_decref(huge);
    free(big);
    json_decref(arr);
    json_decref(obj);
    nb_proto_writer_free(w); /* closes the two queued duplicates */
    nb_proto_writer_free(NULL);
    assert_int_equal(nb_proto_writer_new(NULL, NULL), -EINVAL);
    assert_int_equal(nb_proto_writer_flush(NULL, 0), -EINVAL);
    close_all(files, 17);
}

/* The caller's fds stay the caller's: closing them after push changes nothing sent. */
static void test_writer_dups_fds(void **state)
{
    (void)state;
    int sv[2], file[1], orig[1];
    nb_proto_writer_t *w = new_writer(0, 0);
    nb_proto_reader_t *r = NULL;
    nb_proto_msg_t m;
    nb_proto_error_t e;
    json_t *msg = json_pack("{s:i}", "id", 0);

    assert_int_equal(nb_proto_reader_new(NULL, &r), 0);
    make_pair(sv, 0);
    make_files(orig, 1);
    file[0] = fcntl(orig[0], F_DUPFD_CLOEXEC, 3);
    assert_int_equal(nb_proto_writer_push(w, msg, file, 1), 0);
    close(file[0]);
    assert_int_equal(nb_proto_writer_flush(w, sv[0]), 0);
    assert_true(nb_proto_reader_read(r, sv[1]) > 0);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
    assert_int_equal(m.nfds, 1);
    assert_true(same_file(m.fds[0], orig[0]));
    nb_proto_msg_clear(&m);
    json_decref(msg);
    nb_proto_writer_free(w);
    nb_proto_reader_free(r);
    close_all(sv, 2);
    close(orig[0]);
}

/* A vanished peer: -EPIPE and no SIGPIPE; the queue and its fds stay until freed. */
static void test_writer_peer_gone(void **state)
{
    (void)state;
    int sv[2], files[2];
    nb_proto_writer_t *w = new_writer(0, 0);
    json_t *msg = json_pack("{s:i}", "id", 0);

    make_pair(sv, 0);
    make_files(files, 2);
    assert_int_equal(nb_proto_writer_push(w, msg, files, 2), 0);
    close(sv[1]);
    size_t q = nb_proto_writer_queued(w);
    assert_int_equal(nb_proto_writer_flush(w, sv[0]), -EPIPE);
    assert_int_equal(nb_proto_writer_queued(w), q);
    json_decref(msg);
    nb_proto_writer_free(w);
    close(sv[0]);
    close_all(files, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FD_TEST(test_writer_partial_writes),    FD_TEST(test_writer_fds_sent_once),
        FD_TEST(test_writer_queue_bytes_limit), FD_TEST(test_writer_queue_fds_limit),
        FD_TEST(test_writer_push_checks),       FD_TEST(test_writer_dups_fds),
        FD_TEST(test_writer_peer_gone),
    };
    return cmocka_run_group_tests_name("proto_writer", tests, NULL, NULL);
}
