/* test_proto_fdpass.c: the reader on real AF_UNIX stream sockets with real SCM_RIGHTS:
 * however the sender splits its sendmsgs and however the receiver's recvmsgs cut the
 * stream, each message gets its own fds; truncated fds (MSG_CTRUNC) are an error that
 * leaks nothing: a stream error when the peer sent too many, EMFILE for that message alone
 * when the receiver was out of fds. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "nbproto.h"
#include "test_proto_util.h"

/* Message 2 declares two fds and message 3 one. */
static const char *const lines[] = {
    "{\"id\":1,\"op\":\"a\"}\n",
    "{\"id\":2,\"op\":\"b\",\"fds\":2,\"args\":{\"s\":\"\xc3\xa9\xe2\x82\xac\"}}\n",
    "{\"id\":3,\"op\":\"c\",\"fds\":1}\n",
    "{\"id\":4,\"op\":\"d\"}\n",
};
#define NLINES 4

static nb_proto_reader_t *new_reader(void)
{
    nb_proto_reader_t *r = NULL;
    assert_int_equal(nb_proto_reader_new(NULL, &r), 0);
    return r;
}

/* Takes every complete message out of r, checking ids and fds against files[]; returns
 * how many messages have been seen in all. */
static int drain(nb_proto_reader_t *r, int seen, const int files[3])
{
    nb_proto_msg_t m;
    nb_proto_error_t e;
    int rc;

    while ((rc = nb_proto_reader_next(r, &m, &e)) == 1) {
        seen++;
        assert_int_equal(json_integer_value(json_object_get(m.json, "id")), seen);
        if (seen == 2) {
            assert_int_equal(m.nfds, 2);
            assert_true(same_file(m.fds[0], files[0]) && same_file(m.fds[1], files[1]));
        } else if (seen == 3) {
            assert_int_equal(m.nfds, 1);
            assert_true(same_file(m.fds[0], files[2]));
        } else {
            assert_int_equal(m.nfds, 0);
        }
        nb_proto_msg_clear(&m);
    }
    if (rc != 0) {
        fail_msg("reader error %d: %s", rc, e.message);
    }
    return seen;
}

/* The sender follows the rule (each line's fds on the sendmsg that starts with that line)
 * but also cuts the stream at byte `cut`, wherever it falls. */
static void send_cut(int sock, size_t cut, const int files[3])
{
    size_t off = 0;
    for (int i = 0; i < NLINES; i++) {
        size_t len = strlen(lines[i]);
        const int *fds = i == 1 ? files : i == 2 ? files + 2 : NULL;
        size_t nfds = i == 1 ? 2 : i == 2 ? 1 : 0;
        if (cut > off && cut < off + len) {
            send_raw(sock, lines[i], cut - off, fds, nfds);
            send_raw(sock, lines[i] + (cut - off), len - (cut - off), NULL, 0);
        } else {
            send_raw(sock, lines[i], len, fds, nfds);
        }
        off += len;
    }
}

static size_t stream_len(void)
{
    size_t n = 0;
    for (int i = 0; i < NLINES; i++) {
        n += strlen(lines[i]);
    }
    return n;
}

/* One recvmsg of at most `max` bytes, its data and fds fed to the reader: the cuts are the
 * kernel's, as a reader with a small buffer would see them. */
static void recv_feed(nb_proto_reader_t *r, int sock, size_t max)
{
    char buf[512];
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * NB_PROTO_FDS_MAX)];
    } control;
    struct iovec iov = { .iov_base = buf, .iov_len = max < sizeof(buf) ? max : sizeof(buf) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    int fds[NB_PROTO_FDS_MAX];
    size_t nfds = 0;

    mh.msg_control = control.buf;
    mh.msg_controllen = sizeof(control.buf);
    ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    assert_true(n > 0);
    assert_int_equal(mh.msg_flags & MSG_CTRUNC, 0);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        memcpy(fds + nfds, CMSG_DATA(c), k * sizeof(int));
        nfds += k;
    }
    assert_int_equal(nb_proto_reader_feed(r, buf, (size_t)n, fds, nfds), 0);
}

/* How the stream of lines[] is cut on its way from sender to reader. */
enum split {
    SPLIT_SENDER,     /* sendmsgs cut at byte n, then read(2)s until all is in */
    SPLIT_RECEIVER,   /* every recvmsg at most n bytes */
    SPLIT_FIRST_READ, /* a first recvmsg of at most n bytes, then read(2)s */
};

/* For every n from `from` to `to`, a fresh pair carries the stream cut as `how` says with n;
 * every message arrives in order with its own fds. */
static void every_split(enum split how, size_t from, size_t to)
{
    int files[3];
    make_files(files, 3);
    for (size_t n = from; n <= to; n++) {
        int sv[2];
        make_pair(sv, 0);
        nb_proto_reader_t *r = new_reader();
        send_cut(sv[0], how == SPLIT_SENDER ? n : 0, files);
        int seen = 0;
        if (how == SPLIT_FIRST_READ) {
            recv_feed(r, sv[1], n);
            seen = drain(r, seen, files);
        }
        while (seen < NLINES) {
            if (how == SPLIT_RECEIVER) {
                recv_feed(r, sv[1], n);
            } else {
                assert_true(nb_proto_reader_read(r, sv[1]) > 0);
            }
            seen = drain(r, seen, files);
        }
        if (how == SPLIT_SENDER) {
            assert_int_equal(nb_proto_reader_read(r, sv[1]), -EAGAIN);
        }
        nb_proto_reader_free(r);
        close_all(sv, 2);
    }
    close_all(files, 3);
}

/* Every byte the sender can cut the stream at. */
static void test_fdpass_every_sender_split(void **state)
{
    (void)state;
    every_split(SPLIT_SENDER, 0, stream_len() - 1);
}

/* Every receive size from 1 byte up: each recvmsg ends wherever the size or the kernel
 * (which stops after the chunk that carries fds) says. */
static void test_fdpass_every_receiver_split(void **state)
{
    (void)state;
    every_split(SPLIT_RECEIVER, 1, stream_len());
}

/* A first read of every size, then whatever is left in one go. */
static void test_fdpass_first_read_sizes(void **state)
{
    (void)state;
    every_split(SPLIT_FIRST_READ, 1, stream_len());
}

/* Linux glues bytes sent before a chunk with fds in front of it in one recvmsg: the fds
 * still go to the line that starts that chunk, not to the first line of the read. */
static void test_fdpass_glued_before_fds(void **state)
{
    (void)state;
    int sv[2], fd[1];
    nb_proto_reader_t *r = new_reader();
    nb_proto_msg_t m;
    nb_proto_error_t e;

    make_pair(sv, 0);
    make_files(fd, 1);
    send_raw(sv[0], "{\"id\":1}\n", 9, NULL, 0);
    send_raw(sv[0], "{\"id\":2,\"fds\":1}\n", 17, fd, 1);
    int n = nb_proto_reader_read(r, sv[1]);
    assert_true(n == 9 || n == 26);
    if (n == 9) {
        assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
        nb_proto_msg_clear(&m);
        assert_int_equal(nb_proto_reader_read(r, sv[1]), 17);
    } else {
        assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
        assert_int_equal(m.nfds, 0);
        nb_proto_msg_clear(&m);
    }
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
    assert_int_equal(m.nfds, 1);
    assert_true(same_file(m.fds[0], fd[0]));
    nb_proto_msg_clear(&m);
    nb_proto_reader_free(r);
    close_all(sv, 2);
    close(fd[0]);
}

static void test_fdpass_sixteen_fds(void **state)
{
    (void)state;
    int sv[2], fds[16];
    nb_proto_reader_t *r = new_reader();
    nb_proto_msg_t m;
    nb_proto_error_t e;

    make_pair(sv, 0);
    make_files(fds, 16);
    send_raw(sv[0], "{\"id\":1,\"fds\":16}\n", 18, fds, 16);
    assert_int_equal(nb_proto_reader_read(r, sv[1]), 18);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
    assert_int_equal(m.nfds, 16);
    for (int i = 0; i < 16; i++) {
        assert_true(same_file(m.fds[i], fds[i]));
        assert_int_equal(fcntl(m.fds[i], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    }
    nb_proto_msg_clear(&m);
    nb_proto_reader_free(r);
    close_all(sv, 2);
    close_all(fds, 16);
}

/* 20 fds where 16 fit: the kernel sets MSG_CTRUNC and drops 4; the 16 that arrived are
 * closed; the stream is dead. */
static void test_fdpass_ctrunc(void **state)
{
    (void)state;
    int sv[2], fds[20];
    nb_proto_reader_t *r = new_reader();
    nb_proto_msg_t m;
    nb_proto_error_t e;

    make_pair(sv, 0);
    make_files(fds, 20);
    send_raw(sv[0], "{\"id\":1,\"fds\":20}\n", 18, fds, 20);
    send_raw(sv[0], "{\"id\":2}\n", 9, NULL, 0);
    close_all(fds, 20);
    int before = count_fds();
    assert_int_equal(nb_proto_reader_read(r, sv[1]), 18);
    assert_int_equal(count_fds(), before);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), NB_PROTO_ERR_PROTO_FDS);
    assert_true(e.fatal);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), NB_PROTO_ERR_PROTO_FDS);
    assert_int_equal(nb_proto_reader_read(r, sv[1]), NB_PROTO_ERR_PROTO_FDS);
    nb_proto_reader_free(r);
    close_all(sv, 2);
}

/* A line that declares fds the sendmsg did not carry. */
static void test_fdpass_declared_not_sent(void **state)
{
    (void)state;
    int sv[2];
    nb_proto_reader_t *r = new_reader();
    nb_proto_msg_t m;
    nb_proto_error_t e;

    make_pair(sv, 0);
    send_raw(sv[0], "{\"id\":9,\"fds\":1}\n", 17, NULL, 0);
    assert_int_equal(nb_proto_reader_read(r, sv[1]), 17);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), NB_PROTO_ERR_PROTO_FDS);
    assert_int_equal(e.id, 9);
    assert_true(e.fatal);
    nb_proto_reader_free(r);
    close_all(sv, 2);
}

/* Fds sent with a line that declares none, then another line: the extra fd is closed. */
static void test_fdpass_undeclared_fds(void **state)
{
    (void)state;
    int sv[2], fd[1];
    nb_proto_reader_t *r = new_reader();
    nb_proto_msg_t m;
    nb_proto_error_t e;

    make_pair(sv, 0);
    make_files(fd, 1);
    send_raw(sv[0], "{\"id\":1}\n", 9, fd, 1);
    close(fd[0]);
    send_raw(sv[0], "{\"id\":2}\n", 9, NULL, 0);
    assert_int_equal(nb_proto_reader_read(r, sv[1]), 9);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
    nb_proto_msg_clear(&m);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), NB_PROTO_ERR_PROTO_FDS);
    nb_proto_reader_free(r);
    close_all(sv, 2);
}

static void test_fdpass_eof_and_eagain(void **state)
{
    (void)state;
    int sv[2], pipefd[2];
    nb_proto_reader_t *r = new_reader();
    nb_proto_msg_t m;
    nb_proto_error_t e;

    make_pair(sv, 0);
    assert_int_equal(nb_proto_reader_read(r, sv[1]), -EAGAIN);
    send_raw(sv[0], "{\"id\":1}\n{\"id\"", 14, NULL, 0);
    close(sv[0]);
    assert_int_equal(nb_proto_reader_read(r, sv[1]), 14);
    assert_int_equal(nb_proto_reader_read(r, sv[1]), -EBUSY);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
    nb_proto_msg_clear(&m);
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 0);
    assert_int_equal(nb_proto_reader_read(r, sv[1]), 0);
    assert_int_equal(nb_proto_reader_pending(r), 5);
    close(sv[1]);
    assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
    assert_int_equal(nb_proto_reader_read(r, pipefd[0]), -ENOTSOCK);
    close_all(pipefd, 2);
    nb_proto_reader_free(r);
}

/* Out of fds: the recvmsg that carries a message's three fds installs `room` of them and
 * sets MSG_CTRUNC. That message alone is answered EMFILE (with its id, not fatal); the
 * message read before it in the same recvmsg, the one sent after it on its sendmsg, and a
 * later message with an fd all go through; nothing leaks. */
static void out_of_fds(int room, bool lazy)
{
    int sv[2], fds[3];
    nb_proto_reader_t *r = new_reader();
    nb_proto_msg_t m;
    nb_proto_lazy_t lm;
    nb_proto_error_t e;
    static const char first[] = "{\"id\":1}\n";
    static const char lost[] = "{\"id\":2,\"fds\":3}\n{\"id\":3}\n";
    static const char later[] = "{\"id\":4,\"fds\":1}\n";

    make_pair(sv, 0);
    make_files(fds, 3);
    send_raw(sv[0], first, strlen(first), NULL, 0);
    send_raw(sv[0], lost, strlen(lost), fds, 3);
    send_raw(sv[0], later, strlen(later), fds, 1);
    close_all(fds + 1, 2);
    int before = count_fds();
    struct rlimit was;
    if (!leave_room(&was, room)) {
        nb_proto_reader_free(r);
        close_all(sv, 2);
        close(fds[0]);
        skip();
    }
    int n = nb_proto_reader_read(r, sv[1]);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
    assert_int_equal(n, (int)(strlen(first) + strlen(lost)));
    assert_int_equal(count_fds(), before + room); /* what the kernel installed: held */
    for (int64_t id = 1; id <= 3; id++) {
        int rc = lazy ? nb_proto_reader_next_lazy(r, &lm, &e) : nb_proto_reader_next(r, &m, &e);
        if (id == 2) {
            assert_int_equal(rc, -EMFILE);
            assert_int_equal(e.id, 2);
            assert_false(e.fatal);
            assert_int_equal(count_fds(), before);
            continue;
        }
        assert_int_equal(rc, 1);
        if (lazy) {
            assert_int_equal(lm.head.id, id);
            assert_int_equal(lm.nfds, 0);
            nb_proto_lazy_clear(&lm);
        } else {
            assert_int_equal(json_integer_value(json_object_get(m.json, "id")), id);
            assert_int_equal(m.nfds, 0);
            nb_proto_msg_clear(&m);
        }
    }
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 0);
    assert_int_equal(nb_proto_reader_read(r, sv[1]), (int)strlen(later));
    assert_int_equal(nb_proto_reader_next(r, &m, &e), 1);
    assert_int_equal(m.nfds, 1);
    assert_true(same_file(m.fds[0], fds[0]));
    nb_proto_msg_clear(&m);
    close(fds[0]);
    nb_proto_reader_free(r);
    close_all(sv, 2);
}

static void test_fdpass_out_of_fds_none(void **state)
{
    (void)state;
    out_of_fds(0, false);
}

static void test_fdpass_out_of_fds_some(void **state)
{
    (void)state;
    out_of_fds(1, false);
}

static void test_fdpass_out_of_fds_lazy(void **state)
{
    (void)state;
    out_of_fds(1, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FD_TEST(test_fdpass_every_sender_split), FD_TEST(test_fdpass_every_receiver_split),
        FD_TEST(test_fdpass_first_read_sizes),   FD_TEST(test_fdpass_glued_before_fds),
        FD_TEST(test_fdpass_sixteen_fds),        FD_TEST(test_fdpass_ctrunc),
        FD_TEST(test_fdpass_declared_not_sent),  FD_TEST(test_fdpass_undeclared_fds),
        FD_TEST(test_fdpass_eof_and_eagain),     FD_TEST(test_fdpass_out_of_fds_none),
        FD_TEST(test_fdpass_out_of_fds_some),    FD_TEST(test_fdpass_out_of_fds_lazy),
    };
    return cmocka_run_group_tests_name("proto_fdpass", tests, NULL, NULL);
}
