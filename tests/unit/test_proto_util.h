/* test_proto_util.h: what the proto tests share: counting this process's fds (every test
 * ends with as many as it started with), socket pairs, raw SCM_RIGHTS sends, telling
 * which file an fd refers to, and running out of fds. Include after <cmocka.h>. */
#ifndef TEST_PROTO_UTIL_H
#define TEST_PROTO_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* Our soft RLIMIT_NOFILE as the kernel applies it, read from limits_fd (/proc/self/limits,
 * opened while fds were there to open it), or -1. */
static inline long kernel_soft_nofile(int limits_fd)
{
    char text[4096];
    ssize_t n = pread(limits_fd, text, sizeof(text) - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    const char *line = strstr(text, "Max open files");
    return line != NULL ? strtol(line + strlen("Max open files"), NULL, 10) : -1;
}

/* Lowers our RLIMIT_NOFILE so that exactly `room` more fds can be opened (0 or 1): the
 * lowest free fd is the only one below the limit. Returns false (limit restored) when the
 * kernel does not apply it, as under valgrind, which keeps RLIMIT_NOFILE to itself (while
 * its own wrappers refuse fds above it, SCM_RIGHTS still installs them). */
static inline bool leave_room(struct rlimit *was, int room)
{
    /* Kept far above the limit, so that closing it later leaves no room below. */
    int opened = open("/proc/self/limits", O_RDONLY | O_CLOEXEC);
    assert_true(opened >= 0);
    int limits_fd = fcntl(opened, F_DUPFD_CLOEXEC, 512);
    assert_true(limits_fd >= 512);
    close(opened);
    int lowest = dup(0);
    assert_true(lowest >= 0);
    close(lowest);
    long soft = (long)lowest + room;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, was), 0);
    struct rlimit low = { .rlim_cur = (rlim_t)soft, .rlim_max = was->rlim_max };
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    bool enforced = kernel_soft_nofile(limits_fd) == soft;
    close(limits_fd);
    if (!enforced) {
        assert_int_equal(setrlimit(RLIMIT_NOFILE, was), 0);
        fprintf(stderr, "RLIMIT_NOFILE is not the kernel's here (valgrind?): skipped\n");
    }
    return enforced;
}

#endif
