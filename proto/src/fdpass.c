/* fdpass.c: the receiving half of SCM_RIGHTS. One recvmsg into the reader's buffer, every
 * fd that arrived collected, and every one of them closed when the chunk cannot be used. */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* Room for NB_PROTO_FDS_MAX fds and no more, so that a peer sending more gets
 * MSG_CTRUNC rather than a pile of descriptors in our table. */
union fd_control {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * NB_PROTO_FDS_MAX)];
};

/* Gathers the fds of every SCM_RIGHTS (and SCM_PIDFD, should SO_PASSPIDFD ever be set on
 * the socket) message into fds[]. Returns how many there were; any beyond `max` are closed
 * at once and still counted, so the caller sees the excess. */
static size_t collect_fds(struct msghdr *mh, int *fds, size_t max)
{
    size_t n = 0;

    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
        bool rights = c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS;
#ifdef SCM_PIDFD
        rights = rights || (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_PIDFD);
#endif
        if (!rights || c->cmsg_len < CMSG_LEN(0)) {
            continue;
        }
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char *p = CMSG_DATA(c);
        for (size_t i = 0; i < count; i++, n++) {
            int fd;
            /* CMSG_DATA need not be aligned for int. */
            memcpy(&fd, p + i * sizeof(int), sizeof(int));
            if (n < max) {
                fds[n] = fd;
            } else {
                nb_proto__close_fds(&fd, 1);
            }
        }
    }
    return n;
}

int nb_proto_reader_read(nb_proto_reader_t *r, int sockfd)
{
    union fd_control control;
    struct iovec iov;
    struct msghdr mh;
    int fds[NB_PROTO_FDS_MAX];
    char *space;
    ssize_t n;
    int rc;

    if (r == NULL || sockfd < 0) {
        return -EINVAL;
    }
    rc = nb_proto__reader_prepare(r, &space, &iov.iov_len);
    if (rc < 0) {
        return rc;
    }
    iov.iov_base = space;
    do {
        memset(&mh, 0, sizeof(mh));
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof(control.buf);
        n = recvmsg(sockfd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
    size_t nfds = collect_fds(&mh, fds, NB_PROTO_FDS_MAX);
    size_t kept = nfds < NB_PROTO_FDS_MAX ? nfds : NB_PROTO_FDS_MAX;
    bool truncated = (mh.msg_flags & MSG_CTRUNC) != 0;
    if ((truncated && nfds >= NB_PROTO_FDS_MAX) || nfds > NB_PROTO_FDS_MAX) {
        /* The control buffer was full: the peer sent more than a message may carry. The
         * fds that did arrive belong to a message we cannot complete, and every later
         * association would be off. */
        nb_proto__close_fds(fds, kept);
        nb_proto__reader_fail(r, NB_PROTO_ERR_PROTO_FDS,
                              "more file descriptors than 16 in one message (truncated)");
        return n > 0 ? (int)n : 0;
    }
    if (n == 0) {
        if (nfds > 0 || truncated) {
            nb_proto__close_fds(fds, kept);
            nb_proto__reader_fail(r, NB_PROTO_ERR_PROTO_FDS, "file descriptors without data");
        }
        return 0;
    }
    /* Truncated with room left: the kernel stopped at a descriptor it could not install
     * (we are out of fds, EMFILE/ENFILE). The line they were sent with gets EMFILE. */
    rc = nb_proto__reader_absorb(r, (size_t)n, fds, nfds, truncated);
    return rc < 0 ? rc : (int)n;
}
