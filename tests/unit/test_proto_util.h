/* test_proto_util.h: what the proto tests share: counting this process's fds (every test
 * ends with as many as it started with), socket pairs, raw SCM_RIGHTS sends, and telling
 * which file an fd refers to. Include after <cmocka.h>. */
#ifndef TEST_PROTO_UTIL_H
#define TEST_PROTO_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Open descriptors, from /proc/self/fd (the directory's own fd not counted). */
static inline int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n - 1;
}

static int fds_at_start;

static inline int fdcount_setup(void **state)
{
    (void)state;
    fds_at_start = count_fds();
    return fds_at_start < 0 ? -1 : 0;
}

/* Fails the test when it leaked (or closed) a descriptor. */
static inline int fdcount_teardown(void **state)
{
    (void)state;
    int now = count_fds();
    if (now != fds_at_start) {
        fprintf(stderr, "fd count: %d before the test, %d after\n", fds_at_start, now);
        return -1;
    }
    return 0;
}

#define FD_TEST(f) cmocka_unit_test_setup_teardown(f, fdcount_setup, fdcount_teardown)

static inline void make_pair(int sv[2], int extra_flags)
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | extra_flags, 0, sv), 0);
}

/* One sendmsg of all of data, with fds[0..nfds) as SCM_RIGHTS (nfds up to 32). */
static inline void send_raw(int sock, const void *data, size_t len, const int *fds, size_t nfds)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 32)];
    } control;
    struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

    assert_true(nfds <= 32);
    if (nfds > 0) {
        memset(&control, 0, sizeof(control));
        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    assert_int_equal(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* n distinct open files to pass around: the read ends of pipes (write ends closed). */
static inline void make_files(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        close(p[1]);
        fds[i] = p[0];
    }
}

static inline void close_all(const int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        close(fds[i]);
    }
}

/* True when a and b are descriptors of the same open file's inode. */
static inline int same_file(int a, int b)
{
    struct stat sa, sb;
    if (fstat(a, &sa) != 0 || fstat(b, &sb) != 0) {
        return 0;
    }
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

#endif
