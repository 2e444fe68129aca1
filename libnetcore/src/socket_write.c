/* socket_write.c: the writable side of net.Socket: write (try at once, queue the rest),
 * writableLength and 'drain', end() with its shutdown and 'finish'. */
#include "socket_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct nc__wreq_s {
    uv_write_t req;
    nc__tick_t tick; /* completes on a later turn when the write finished at once */
    nc__wreq_t *next;
    nc_socket_t *s;
    nc_socket_write_cb cb;
    void *data;
    size_t len; /* what this write added to writableLength */
    size_t nbuf;
    int status;
    char buf[];
};

static void on_write(uv_write_t *req, int status);
static void tick_wreq(nc__tick_t *t);
static void on_connect_flush(nc_socket_t *s, const void *arg, void *data);

static nc__wreq_t *wreq_new(nc_socket_t *s,
                            const void *buf,
                            size_t n,
                            nc_socket_write_cb cb,
                            void *data)
{
    nc__wreq_t *w = malloc(sizeof(*w) + n);
    if (w == NULL) {
        return NULL;
    }
    memset(w, 0, sizeof(*w));
    nc__tick_init(&w->tick, &s->obj, tick_wreq);
    w->s = s;
    w->cb = cb;
    w->data = data;
    w->nbuf = n;
    if (n > 0) {
        memcpy(w->buf, buf, n);
    }
    return w;
}

/* Node: afterWrite: the callback, then 'drain' once the queue emptied, unless end()
 * was called meanwhile (Writable's afterWrite checks !state.ending). */
static void after_write(nc_socket_t *s, nc_socket_write_cb cb, void *data, int status)
{
    if (cb != NULL) {
        cb(s, status, data);
    }
    if (s->need_drain && s->wlen == 0 && !s->destroyed && !s->ending && status >= 0) {
        s->need_drain = false;
        nc__socket_emit(s, NC_SOCKET_DRAIN, NULL);
    }
}

static void tick_wreq(nc__tick_t *t)
{
    nc__wreq_t *w = nc__container_of(t, nc__wreq_t, tick);
    nc_socket_t *s = w->s;
    nc_socket_write_cb cb = w->cb;
    void *data = w->data;
    int status = w->status;
    free(w);
    after_write(s, cb, data, status);
}

void nc__socket_tick_drain(nc__tick_t *t)
{
    nc_socket_t *s = nc__container_of(t->obj, nc_socket_t, obj);
    after_write(s, NULL, NULL, 0);
}

/* Node: onwriteError calls the write's callback, then errorOrDestroy: the socket is
 * destroyed after the callback (a tick queued behind it), not inside write() or before
 * the callback. Meanwhile nothing more is written or shut down (state.errored). */
static void write_failed(nc_socket_t *s, int r)
{
    if (s->destroyed || s->write_failed) {
        return;
    }
    nc_error_t *err = nc__socket_err(s);
    nc__error_sys(err, r, "write", NULL, -1);
    if (err == NULL) {
        nc__socket_destroy(s, true);
        return;
    }
    s->write_failed = true;
    nc__tick_push(&s->x->t_wfail);
}

void nc__socket_tick_write_failed(nc__tick_t *t)
{
    nc_socket_t *s = nc__container_of(t->obj, nc_socket_t, obj);
    if (!s->destroyed && s->write_failed) {
        nc__socket_destroy(s, true);
    }
}

/* Nothing is queued in libuv: the bytes go straight to the kernel. send() rather than
 * libuv's write(): MSG_NOSIGNAL turns a vanished peer into EPIPE instead of a SIGPIPE that
 * kills the program (Node ignores SIGPIPE), and it skips the VFS layer that write() goes
 * through. Returns the bytes taken (0 when the kernel's buffer is full) or an error. */
static ssize_t try_send(nc_socket_t *s, const char *buf, size_t len)
{
    uv_os_fd_t fd;
    if (uv_fileno((const uv_handle_t *)&s->u.s, &fd) == 0) {
        ssize_t n;
        do {
            n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        } while (n < 0 && errno == EINTR);
        if (n >= 0 || errno != ENOTSOCK) {
            return n >= 0 ? n : errno == EAGAIN ? 0 : -errno;
        }
    }
    uv_buf_t b = { .base = (char *)buf, .len = len };
    ssize_t n = uv_try_write(&s->u.s, &b, 1);
    return n == UV_EAGAIN || n == UV_ENOSYS ? 0 : n;
}

/* What follows try_send (which took n bytes, or failed with n < 0; n is 0 when it was not
 * tried): the rest copied into a request (w, or a new one) for libuv to write, or the
 * completion deferred. Returns 0 or a negative error; the callback always runs later. */
static int submit_tried(nc_socket_t *s,
                        const char *buf,
                        size_t len,
                        ssize_t n,
                        nc__wreq_t *w,
                        nc_socket_write_cb cb,
                        void *data)
{
    if (n < 0 || (size_t)n == len) {
        s->wlen -= len;
        int status = n < 0 ? (int)n : 0;
        if (w == NULL && (cb != NULL || status < 0)) {
            w = wreq_new(s, NULL, 0, cb, data);
        }
        if (w != NULL) {
            w->status = status;
            nc__tick_push(&w->tick);
        } else if (s->need_drain) {
            nc__tick_push(&s->x->t_drain); /* need_drain made the ext */
        }
        if (status < 0) {
            write_failed(s, status);
        }
        return status;
    }
    size_t rest = len - (size_t)n;
    if (w == NULL) {
        w = wreq_new(s, buf + n, rest, cb, data);
        if (w == NULL) {
            s->wlen -= len;
            write_failed(s, -ENOMEM);
            return -ENOMEM;
        }
    } else if (n > 0) {
        memmove(w->buf, w->buf + n, rest);
    }
    w->len = len;
    w->req.data = w;
    uv_buf_t b = uv_buf_init(w->buf, (unsigned)rest);
    int r = uv_write(&w->req, &s->u.s, &b, 1, on_write);
    if (r < 0) {
        s->wlen -= len;
        w->status = r;
        nc__tick_push(&w->tick);
        write_failed(s, r);
        return r;
    }
    s->inflight++;
    nc__obj_retain(&s->obj);
    return 0;
}

/* Hands len bytes to the kernel: try_send first when nothing is queued, then
 * submit_tried. */
static int submit(nc_socket_t *s,
                  const char *buf,
                  size_t len,
                  nc__wreq_t *w,
                  nc_socket_write_cb cb,
                  void *data)
{
    ssize_t n = s->inflight == 0 && len > 0 ? try_send(s, buf, len) : 0;
    return submit_tried(s, buf, len, n, w, cb, data);
}

static void on_write(uv_write_t *req, int status)
{
    nc__wreq_t *w = req->data;
    nc_socket_t *s = w->s;
    s->inflight--;
    s->wlen -= w->len;
    if (status < 0 && status != UV_ECANCELED) {
        write_failed(s, status);
    }
    nc_socket_write_cb cb = w->cb;
    void *data = w->data;
    free(w);
    nc__socket_timer_refresh(s);
    after_write(s, cb, data, status);
    nc__socket_maybe_shutdown(s);
    nc__loop_drain(s->obj.lp);
    nc__obj_release(&s->obj);
}

/* Node: _write's errors: the callback gets err on a later tick; errorOrDestroy. */
static int write_refused(nc_socket_t *s, int err, nc_socket_write_cb cb, void *data)
{
    if (cb != NULL) {
        nc__wreq_t *w = wreq_new(s, NULL, 0, cb, data);
        if (w != NULL) {
            w->status = err;
            nc__tick_push(&w->tick);
        }
    }
    if (!s->destroyed && !s->write_failed) {
        nc__error(nc__socket_err(s), err, "%s", nc_strerror(err));
        nc__socket_destroy(s, true);
    }
    return err;
}

int nc_socket_write(nc_socket_t *s, const void *buf, size_t len, nc_socket_write_cb cb, void *data)
{
    if (s == NULL || (buf == NULL && len > 0) || len > UINT32_MAX) {
        return -EINVAL;
    }
    if (s->ending) {
        return write_refused(s, NC_ERR_STREAM_WRITE_AFTER_END, cb, data);
    }
    if (s->destroyed || s->write_failed) {
        return write_refused(s, NC_ERR_STREAM_DESTROYED, cb, data);
    }
    if (!s->connecting && !s->connected) {
        /* Node: _writeGeneric without a handle fails with ERR_SOCKET_CLOSED. */
        return write_refused(s, NC_ERR_SOCKET_CLOSED, cb, data);
    }
    s->wlen += len;
    s->bytes_written += len;
    if (s->connecting || s->has_pending) {
        /* Connecting, or in a 'connect' listener before the writes made while
         * connecting went out: behind them, as in Node. */
        nc__wreq_t *w = wreq_new(s, buf, len, cb, data);
        if (w == NULL) {
            s->wlen -= len;
            return -ENOMEM;
        }
        if (!s->has_pending) {
            /* Node: the first write while connecting adds once('connect') to send it:
             * 'connect' listeners added before see it pending, those added after see
             * it sent. Without memory for it, nc__connect_done sends after them all. */
            nc_socket_once(s, NC_SOCKET_CONNECT, on_connect_flush, NULL);
        }
        *s->x->pending_tail = w; /* connect() made the ext */
        s->x->pending_tail = &w->next;
        s->has_pending = true;
    } else {
        nc__socket_timer_refresh(s);
        ssize_t n = s->inflight == 0 && len > 0 ? try_send(s, buf, len) : 0;
        if ((size_t)n == len && cb == NULL && !s->need_drain) {
            s->wlen -= len; /* the common case (an echo's): done, nothing to defer */
        } else {
            submit_tried(s, buf, len, n, NULL, cb, data);
        }
    }
    /* Node 20 compares after the write was tried: a chunk the kernel took at once no
     * longer counts, one it took in part counts whole until its callback. */
    bool ok = s->wlen < s->hwm;
    if (!ok && !s->need_drain) {
        /* 'drain' is deferred through the ext's tick: make it now, or fail the socket. */
        if (nc__socket_ext(s) == NULL) {
            write_failed(s, -ENOMEM);
        }
        s->need_drain = true;
    }
    return ok && !s->destroyed && !s->write_failed; /* Node: && !state.errored */
}

void nc__socket_flush_pending(nc_socket_t *s)
{
    nc__socket_ext_t *x = s->x;
    while (x != NULL && x->pending != NULL) {
        nc__wreq_t *w = x->pending;
        x->pending = w->next;
        if (x->pending == NULL) {
            x->pending_tail = &x->pending;
            s->has_pending = false;
        }
        if (s->destroyed) {
            /* Destroyed by an earlier 'connect' listener: Node's _writeGeneric finds no
             * handle and calls back with ERR_SOCKET_CLOSED, then and there. */
            s->wlen -= w->nbuf;
            w->status = NC_ERR_SOCKET_CLOSED;
            nc__tick_push(&w->tick);
            nc__tick_run_now(&w->tick);
            continue;
        }
        submit(s, w->buf, w->nbuf, w, w->cb, w->data);
        /* Node: the pending write goes out in a 'connect' listener, long after its
         * _write call, so a write the kernel takes at once completes there and then
         * (afterWriteDispatched, state.sync false): its callback before 'ready'. */
        if (w->tick.queued) {
            nc__tick_run_now(&w->tick);
        }
    }
}

static void on_connect_flush(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc__socket_flush_pending(s);
}

void nc__socket_cancel_pending(nc_socket_t *s)
{
    nc__socket_ext_t *x = s->x;
    if (x == NULL) {
        return;
    }
    /* Node's onClose removes the pending write's 'connect' listener too. */
    nc_socket_off(s, NC_SOCKET_CONNECT, on_connect_flush, NULL);
    s->has_pending = false;
    while (x->pending != NULL) {
        nc__wreq_t *w = x->pending;
        x->pending = w->next;
        s->wlen -= w->nbuf;
        if (w->cb != NULL && s->obj.refs > 0 && !s->close_emitted) {
            /* Only writes made while connecting wait here (Node: the pending write's
             * callback gets ERR_SOCKET_CLOSED_BEFORE_CONNECTION). */
            w->status = NC_ERR_SOCKET_CLOSED_BEFORE_CONNECTION;
            nc__tick_push(&w->tick);
        } else {
            free(w);
        }
    }
    x->pending_tail = &x->pending;
}

static void finish(nc_socket_t *s)
{
    s->finished = true;
    nc__socket_emit(s, NC_SOCKET_FINISH, NULL);
    if (s->destroyed) {
        return;
    }
    /* Node: autoDestroy once the readable side has ended too; destroySoon on 'finish'. */
    if (s->end_emitted || !s->r_enabled || s->destroy_soon) {
        nc__socket_destroy(s, false);
    }
}

void nc__socket_tick_finish(nc__tick_t *t)
{
    nc_socket_t *s = nc__container_of(t->obj, nc_socket_t, obj);
    if (!s->destroyed && !s->finished) {
        finish(s);
    }
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    nc_socket_t *s = req->data;
    (void)status; /* Node: afterShutdown ignores the status */
    if (!s->destroyed) {
        finish(s);
    }
    nc__loop_drain(s->obj.lp);
    nc__obj_release(&s->obj);
}

void nc__socket_maybe_shutdown(nc_socket_t *s)
{
    if (!s->ending || s->shutdown_sent || s->destroyed || !s->connected || s->inflight > 0 ||
        s->has_pending || s->write_failed) {
        return;
    }
    nc__socket_ext_t *x = nc__socket_ext(s);
    if (x == NULL) {
        nc__socket_destroy(s, true);
        return;
    }
    s->shutdown_sent = true;
    /* After the peer's FIN the socket closes as soon as 'finish' is out (Node's
     * autoDestroy), and a close with nothing unread sends the same FIN that shutdown(2)
     * would: so an fd that only the library holds skips the system call. A copy of the fd
     * elsewhere would keep the FIN back, hence fd_lent. */
    if (!s->w_enabled || (s->eof && !s->fd_lent)) {
        nc__tick_push(&x->t_finish);
        return;
    }
    x->sreq.data = s;
    int r = uv_shutdown(&x->sreq, &s->u.s, on_shutdown);
    if (r == 0) {
        nc__obj_retain(&s->obj);
    } else if (r == UV_ENOTCONN) {
        nc__tick_push(&x->t_finish);
    } else {
        nc__error_sys(&x->err, r, "shutdown", NULL, -1);
        nc__socket_destroy(s, true);
    }
}

int nc_socket_end(nc_socket_t *s, const void *buf, size_t len)
{
    if (s == NULL) {
        return -EINVAL;
    }
    if (len > 0) {
        int r = nc_socket_write(s, buf, len, NULL, NULL);
        if (r < 0) {
            return r;
        }
    }
    if (s->ending || s->destroyed) {
        return 0;
    }
    s->ending = true;
    nc__socket_maybe_shutdown(s);
    return 0;
}

/* Node: Writable.write checks the encoding first (ERR_UNKNOWN_ENCODING), then the chunk
 * (ERR_INVALID_ARG_TYPE), both thrown; then Buffer.from(chunk, encoding). */
static int encode_string(const char *str,
                         size_t len,
                         const char *encoding,
                         char **ret,
                         size_t *ret_len,
                         nc_error_t *err)
{
    int enc = nc_encoding_parse(encoding, encoding != NULL ? strlen(encoding) : 0, err);
    if (enc < 0) {
        return enc;
    }
    if (str == NULL) {
        return nc__error(err, NC_ERR_INVALID_ARG_TYPE,
                         "The \"chunk\" argument must be of type string or an instance of "
                         "Buffer, TypedArray, or DataView. Received undefined");
    }
    size_t n;
    nc_encoding_encode((nc_encoding_t)enc, str, len, NULL, 0, &n);
    char *buf = malloc(n > 0 ? n : 1);
    if (buf == NULL) {
        return nc__error(err, -ENOMEM, "%s", nc_strerror(-ENOMEM));
    }
    nc_encoding_encode((nc_encoding_t)enc, str, len, buf, n, &n);
    *ret = buf;
    *ret_len = n;
    return 0;
}

int nc_socket_write_string(nc_socket_t *s,
                           const char *str,
                           size_t len,
                           const char *encoding,
                           nc_socket_write_cb cb,
                           void *data,
                           nc_error_t *err)
{
    if (s == NULL) {
        return -EINVAL;
    }
    char *buf = NULL;
    size_t n = 0;
    int r = encode_string(str, len, encoding, &buf, &n, err);
    if (r != 0) {
        return r;
    }
    r = nc_socket_write(s, buf, n, cb, data);
    free(buf); /* what the kernel did not take was copied */
    return r;
}

int nc_socket_end_string(nc_socket_t *s,
                         const char *str,
                         size_t len,
                         const char *encoding,
                         nc_error_t *err)
{
    if (s == NULL) {
        return -EINVAL;
    }
    char *buf = NULL;
    size_t n = 0;
    int r = encode_string(str, len, encoding, &buf, &n, err);
    if (r != 0) {
        return r;
    }
    r = nc_socket_end(s, buf, n);
    free(buf);
    return r;
}
