/* writer.c: the write side of the framing. A queue of whole lines, each with the fds it
 * declares, drained with sendmsg so that a line's fds ride on the sendmsg that starts with
 * its first byte (PROTOCOL.md "File descriptors"), and bounded so that a peer that does not
 * read cannot make us hold more than the limit. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Lines gathered into one sendmsg: enough to drain a burst of replies in one call. */
#define IOV_BATCH 64
/* Stack room for serialising a message in push: larger messages are dumped twice. */
#define DUMP_SMALL 2048

struct out_msg {
    struct out_msg *next;
    size_t len;  /* bytes of the line, '\n' included */
    size_t off;  /* bytes already sent */
    size_t nfds; /* fds still to send: 0 once the first byte went */
    int fds[NB_PROTO_FDS_MAX];
    char data[];
};

struct nb_proto_writer_s {
    struct out_msg *head;
    struct out_msg **tailp;
    size_t queued_bytes;
    size_t queued_fds;
    size_t line_max;
    size_t bytes_max;
    size_t fds_max;
};

static void out_msg_free(struct out_msg *m);
static int enqueue(nb_proto_writer_t *w, struct out_msg *m, const int *fds, size_t nfds);
static void consume(nb_proto_writer_t *w, size_t n);

int nb_proto_writer_new(const nb_proto_limits_t *limits, nb_proto_writer_t **ret)
{
    nb_proto_limits_t l = { 0 };
    nb_proto_writer_t *w;

    if (ret == NULL) {
        return -EINVAL;
    }
    if (limits != NULL) {
        l = *limits;
    }
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return -ENOMEM;
    }
    w->tailp = &w->head;
    w->line_max = l.line_max != 0 ? l.line_max : NB_PROTO_LINE_MAX;
    w->bytes_max = l.queue_bytes_max != 0 ? l.queue_bytes_max : NB_PROTO_QUEUE_BYTES_MAX;
    w->fds_max = l.queue_fds_max != 0 ? l.queue_fds_max : NB_PROTO_QUEUE_FDS_MAX;
    *ret = w;
    return 0;
}

static void out_msg_free(struct out_msg *m)
{
    nb_proto__close_fds(m->fds, m->nfds);
    free(m);
}

void nb_proto_writer_free(nb_proto_writer_t *w)
{
    if (w == NULL) {
        return;
    }
    while (w->head != NULL) {
        struct out_msg *m = w->head;
        w->head = m->next;
        out_msg_free(m);
    }
    free(w);
}

size_t nb_proto_writer_queued(const nb_proto_writer_t *w)
{
    return w != NULL ? w->queued_bytes : 0;
}

/* Checks the limits, then duplicates the caller's fds into m and links it. m is freed on
 * error. */
static int enqueue(nb_proto_writer_t *w, struct out_msg *m, const int *fds, size_t nfds)
{
    /* queued_* never exceed their maxima, so the subtractions cannot wrap. */
    if (m->len > w->bytes_max - w->queued_bytes || nfds > w->fds_max - w->queued_fds) {
        free(m);
        return -ENOBUFS;
    }
    for (size_t i = 0; i < nfds; i++) {
        /* A duplicate, so the caller may close its fd whatever becomes of the message. */
        int fd = fds[i] >= 0 ? fcntl(fds[i], F_DUPFD_CLOEXEC, 3) : -1;
        if (fd < 0) {
            int err = fds[i] >= 0 ? -errno : -EBADF;
            out_msg_free(m);
            return err;
        }
        m->fds[m->nfds++] = fd;
    }
    m->next = NULL;
    *w->tailp = m;
    w->tailp = &m->next;
    w->queued_bytes += m->len;
    w->queued_fds += m->nfds;
    return 0;
}

static struct out_msg *out_msg_new(size_t len)
{
    struct out_msg *m = malloc(sizeof(*m) + len);
    if (m != NULL) {
        m->len = len;
        m->off = 0;
        m->nfds = 0;
    }
    return m;
}

int nb_proto_writer_push(nb_proto_writer_t *w, json_t *msg, const int *fds, size_t nfds)
{
    const size_t flags = JSON_COMPACT;
    struct out_msg *m;
    int rc;

    if (w == NULL || !json_is_object(msg) || nfds > NB_PROTO_FDS_MAX || (fds == NULL && nfds > 0)) {
        return -EINVAL;
    }
    if (nfds > 0) {
        rc = json_object_set_new(msg, "fds", json_integer((json_int_t)nfds));
        if (rc < 0) {
            return -ENOMEM;
        }
    } else {
        /* Absent already is fine: the result does not matter. */
        (void)json_object_del(msg, "fds");
    }
    /* Serialised once into `small` when it fits, as most messages do, rather than once to
     * learn the length and again into the queue: the dump is most of push's cost. */
    char small[DUMP_SMALL];
    size_t len = json_dumpb(msg, small, sizeof(small), flags);
    if (len == 0) {
        return -ENOMEM;
    }
    if (len > w->line_max) {
        return NB_PROTO_ERR_PROTO_TOO_LARGE;
    }
    m = out_msg_new(len + 1);
    if (m == NULL) {
        return -ENOMEM;
    }
    if (len <= sizeof(small)) {
        memcpy(m->data, small, len);
    } else if (json_dumpb(msg, m->data, len, flags) != len) {
        free(m);
        return -ENOMEM;
    }
    /* jansson escapes control characters inside strings: the only '\n' is ours. */
    m->data[len] = '\n';
    return enqueue(w, m, fds, nfds);
}

int nb_proto_writer_push_line(nb_proto_writer_t *w,
                              const char *line,
                              size_t len,
                              const int *fds,
                              size_t nfds)
{
    struct out_msg *m;

    if (w == NULL || line == NULL || len == 0 || line[len - 1] != '\n' ||
        memchr(line, '\n', len - 1) != NULL || nfds > NB_PROTO_FDS_MAX ||
        (fds == NULL && nfds > 0)) {
        return -EINVAL;
    }
    if (len - 1 > w->line_max) {
        return NB_PROTO_ERR_PROTO_TOO_LARGE;
    }
    m = out_msg_new(len);
    if (m == NULL) {
        return -ENOMEM;
    }
    memcpy(m->data, line, len);
    return enqueue(w, m, fds, nfds);
}

/* Drops n sent bytes from the head of the queue. */
static void consume(nb_proto_writer_t *w, size_t n)
{
    w->queued_bytes -= n;
    while (n > 0 && w->head != NULL) {
        struct out_msg *m = w->head;
        size_t left = m->len - m->off;
        if (n < left) {
            m->off += n;
            return;
        }
        n -= left;
        w->head = m->next;
        if (w->head == NULL) {
            w->tailp = &w->head;
        }
        free(m);
    }
}

/* One sendmsg: the head's unsent bytes (with its fds if none of it went yet), then whole
 * lines after it up to the next one that carries fds, which must start a sendmsg. */
static ssize_t send_batch(nb_proto_writer_t *w, int sockfd, bool *ret_fds_sent)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * NB_PROTO_FDS_MAX)];
    } control;
    struct iovec iov[IOV_BATCH];
    struct msghdr mh = { .msg_iov = iov };
    struct out_msg *head = w->head;
    ssize_t n;

    iov[0].iov_base = head->data + head->off;
    iov[0].iov_len = head->len - head->off;
    mh.msg_iovlen = 1;
    for (struct out_msg *m = head->next; m != NULL && m->nfds == 0 && mh.msg_iovlen < IOV_BATCH;
         m = m->next) {
        iov[mh.msg_iovlen].iov_base = m->data;
        iov[mh.msg_iovlen].iov_len = m->len;
        mh.msg_iovlen++;
    }
    *ret_fds_sent = head->nfds > 0;
    if (head->nfds > 0) {
        memset(&control, 0, sizeof(control));
        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * head->nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * head->nfds);
        memcpy(CMSG_DATA(c), head->fds, sizeof(int) * head->nfds);
    }
    do {
        n = sendmsg(sockfd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
}

int nb_proto_writer_flush(nb_proto_writer_t *w, int sockfd)
{
    if (w == NULL || sockfd < 0) {
        return -EINVAL;
    }
    while (w->head != NULL) {
        bool fds_sent;
        ssize_t n = send_batch(w, sockfd, &fds_sent);
        if (n < 0) {
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        }
        if (n == 0) {
            /* A stream socket takes at least a byte or says why not; never spin. */
            return -EAGAIN;
        }
        if (fds_sent && n > 0) {
            /* The kernel holds its own references now; ours go, never to be sent twice. */
            struct out_msg *head = w->head;
            nb_proto__close_fds(head->fds, head->nfds);
            w->queued_fds -= head->nfds;
            head->nfds = 0;
        }
        consume(w, (size_t)n);
    }
    return 0;
}

/* One sendmsg of a whole line and its fds, straight from the caller's memory. */
static ssize_t send_direct(int sockfd, const char *line, size_t len, const int *fds, size_t nfds)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * NB_PROTO_FDS_MAX)];
    } control;
    struct iovec iov = { .iov_base = (char *)line, .iov_len = len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    if (nfds > 0) {
        memset(&control, 0, CMSG_SPACE(sizeof(int) * nfds));
        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    do {
        n = sendmsg(sockfd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
}

int nb_proto_writer_send_line(nb_proto_writer_t *w,
                              int sockfd,
                              const char *line,
                              size_t len,
                              const int *fds,
                              size_t nfds)
{
    int rc;

    if (w == NULL || sockfd < 0 || line == NULL || len == 0 || line[len - 1] != '\n' ||
        memchr(line, '\n', len - 1) != NULL || nfds > NB_PROTO_FDS_MAX ||
        (fds == NULL && nfds > 0)) {
        return -EINVAL;
    }
    if (w->head != NULL) {
        rc = nb_proto_writer_push_line(w, line, len, fds, nfds);
        return rc < 0 ? rc : nb_proto_writer_flush(w, sockfd);
    }
    /* push_line's refusals first, so that nothing goes out that it would refuse. */
    if (len - 1 > w->line_max) {
        return NB_PROTO_ERR_PROTO_TOO_LARGE;
    }
    if (len > w->bytes_max || nfds > w->fds_max) {
        return -ENOBUFS;
    }
    for (size_t i = 0; i < nfds; i++) {
        if (fds[i] < 0) {
            return -EBADF;
        }
    }
    ssize_t n = send_direct(sockfd, line, len, fds, nfds);
    if (n == (ssize_t)len) {
        return 0;
    }
    if (n > 0) {
        /* The fds went with the first byte: the rest is bytes only. Only -ENOMEM can fail
         * here, part of the line gone: a broken stream, which the caller cuts off as it
         * does on any error. */
        rc = nb_proto_writer_push_line(w, line, len, NULL, 0);
        if (rc == 0) {
            consume(w, (size_t)n);
        }
        return rc < 0 ? rc : -EAGAIN;
    }
    int err = n < 0 ? errno : EAGAIN;
    if (err == EBADF) {
        return -EBADF; /* one of the caller's fds, as push's duplicate would find */
    }
    /* Queued as push would have queued it; flush then says what the socket said. */
    rc = nb_proto_writer_push_line(w, line, len, fds, nfds);
    if (rc < 0) {
        return rc;
    }
    return err == EAGAIN || err == EWOULDBLOCK ? -EAGAIN : nb_proto_writer_flush(w, sockfd);
}
