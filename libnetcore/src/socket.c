/* socket.c: net.Socket's life cycle: creation (new, fd, accepted), reading, the end of
 * the readable side, pause/resume, destroy and 'close'. */
#include "socket_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void socket_finalize(nc__obj_t *obj);
static void tick_end(nc__tick_t *t);
static void tick_autoend(nc__tick_t *t);
static void tick_error(nc__tick_t *t);
static void tick_close(nc__tick_t *t);
static void on_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf);
static void tick_abort(nc__tick_t *t);
static void on_abort(nc_abort_signal_t *sig, void *data);

/* A socket on loop, whose context the caller may already hold (lp, or NULL). */
static nc_socket_t *socket_alloc(uv_loop_t *loop, nc__loop_t *lp, size_t hwm)
{
    lp = lp != NULL ? nc__loop_hold(lp) : nc__loop_acquire(loop);
    if (lp == NULL) {
        return NULL;
    }
    nc_socket_t *s = nc__block_get(lp, NC__BLOCK_SOCKET, sizeof(*s));
    if (s == NULL) {
        nc__loop_release(lp);
        return NULL;
    }
    nc__obj_init_on(&s->obj, lp, loop, NC_SOCKET_EVENT_COUNT, socket_finalize);
    s->hwm = hwm != 0 ? hwm : NC_DEFAULT_HIGH_WATER_MARK;
    s->flowing = -1;
    s->r_enabled = true;
    s->w_enabled = true;
    return s;
}

nc__socket_ext_t *nc__socket_ext(nc_socket_t *s)
{
    if (s->x != NULL) {
        return s->x;
    }
    nc__socket_ext_t *x = nc__block_get_part(s->obj.lp, NC__BLOCK_SOCKET_EXT, sizeof(*x),
                                             offsetof(nc__socket_ext_t, creq));
    if (x == NULL) {
        return NULL;
    }
    x->err.port = -1;
    x->pending_tail = &x->pending;
    nc__tick_init(&x->t_connect, &s->obj, nc__socket_tick_connect);
    nc__tick_init(&x->t_end, &s->obj, tick_end);
    nc__tick_init(&x->t_autoend, &s->obj, tick_autoend);
    nc__tick_init(&x->t_error, &s->obj, tick_error);
    nc__tick_init(&x->t_close, &s->obj, tick_close);
    nc__tick_init(&x->t_drain, &s->obj, nc__socket_tick_drain);
    nc__tick_init(&x->t_wfail, &s->obj, nc__socket_tick_write_failed);
    nc__tick_init(&x->t_finish, &s->obj, nc__socket_tick_finish);
    nc__tick_init(&x->t_abort, &s->obj, tick_abort);
    s->x = x;
    return x;
}

nc_error_t *nc__socket_err(nc_socket_t *s)
{
    nc__socket_ext_t *x = nc__socket_ext(s);
    return x != NULL ? &x->err : NULL;
}

/* Initialises the handle (TCP for tcp, else a pipe); it holds a reference until closed. */
int nc__socket_handle_init(nc_socket_t *s, bool tcp, int family)
{
    int r = tcp ? uv_tcp_init_ex(s->obj.loop, &s->u.tcp, (unsigned)family)
                : uv_pipe_init(s->obj.loop, &s->u.pipe, 0);
    if (r < 0) {
        return r;
    }
    s->u.h.data = &s->obj;
    s->has_handle = true;
    s->is_tcp = tcp;
    nc__obj_retain(&s->obj);
    if (s->unref) {
        uv_unref(&s->u.h);
    }
    return 0;
}

static void handle_closed(uv_handle_t *h)
{
    nc_socket_t *s = nc__container_of(h->data, nc_socket_t, obj);
    /* Node: the handle's close callback emits 'close' (net.js Socket._destroy). */
    s->close_emitted = true;
    nc_socket_close_t ev = { .had_error = s->had_error };
    nc__socket_emit(s, NC_SOCKET_CLOSE, &ev);
    if (s->lib_owned) {
        s->lib_owned = false;
        nc__obj_release(&s->obj);
    }
    nc__loop_drain(s->obj.lp);
    nc__obj_release(&s->obj);
}

static void timer_closed(uv_handle_t *h)
{
    nc_socket_t *s = nc__container_of(h->data, nc_socket_t, obj);
    s->timer_inited = false; /* a reconnected socket may set a timeout again */
    nc__obj_release(&s->obj);
}

static int open_fd(nc_socket_t *s, const nc_socket_options_t *o)
{
    uv_handle_type type = nc__fd_stream_type(o->fd);
    if (type != UV_TCP && type != UV_NAMED_PIPE) {
        return NC_ERR_INVALID_FD_TYPE;
    }
    int r = nc__socket_handle_init(s, type == UV_TCP, AF_UNSPEC);
    if (r < 0) {
        return r;
    }
    r = type == UV_TCP ? uv_tcp_open(&s->u.tcp, o->fd) : uv_pipe_open(&s->u.pipe, o->fd);
    if (r < 0) {
        return r;
    }
    /* Node: node-net.md "new net.Socket([options])": readable and writable default to
     * false when an fd is passed. */
    s->connected = true;
    s->fd_lent = true;
    s->r_enabled = o->readable;
    s->w_enabled = o->writable;
    return 0;
}

static bool options_valid(const nc_socket_options_t *o)
{
    if (o == NULL) {
        return true;
    }
    if (o->has_fd && o->fd < 0) {
        return false;
    }
    return o->onread == NULL ||
           (o->onread_buffer != NULL && o->onread_len > 0 && o->onread_len <= UINT32_MAX);
}

/* Node: addClientAbortSignalOption: an aborted signal destroys on the next tick, else
 * abort() destroys at once. */
static int add_signal(nc_socket_t *s, nc_abort_signal_t *sig)
{
    if (nc_abort_signal_aborted(sig)) {
        nc__tick_push(&s->x->t_abort);
    } else {
        int r = nc_abort_signal_add(sig, on_abort, s);
        if (r < 0) {
            return r;
        }
    }
    s->x->signal = nc_abort_signal_ref(sig);
    return 0;
}

static void abort_socket(nc_socket_t *s)
{
    if (!s->destroyed) {
        nc__error(&s->x->err, NC_ABORT_ERR, "%s", nc_strerror(NC_ABORT_ERR));
        nc__socket_destroy(s, true);
    }
}

static void tick_abort(nc__tick_t *t)
{
    abort_socket(nc__container_of(t->obj, nc_socket_t, obj));
}

static void on_abort(nc_abort_signal_t *sig, void *data)
{
    (void)sig;
    nc_socket_t *s = data;
    nc__obj_retain(&s->obj);
    abort_socket(s);
    nc__obj_release(&s->obj);
}

int nc_socket_new(uv_loop_t *loop, const nc_socket_options_t *opts, nc_socket_t **ret)
{
    if (loop == NULL || ret == NULL || !options_valid(opts)) {
        return -EINVAL;
    }
    nc_socket_t *s = socket_alloc(loop, NULL, opts != NULL ? opts->high_water_mark : 0);
    if (s == NULL) {
        return -ENOMEM;
    }
    if (nc__socket_ext(s) == NULL) {
        nc__obj_release(&s->obj);
        return -ENOMEM;
    }
    if (opts != NULL) {
        s->allow_half_open = opts->allow_half_open;
        s->onread = opts->onread;
        s->x->onread_buf = opts->onread_buffer;
        s->x->onread_len = opts->onread_len;
        s->x->onread_data = opts->onread_data;
        if (opts->signal != NULL && add_signal(s, opts->signal) < 0) {
            nc__obj_release(&s->obj);
            return -ENOMEM;
        }
        if (opts->has_fd) {
            int r = open_fd(s, opts);
            if (r < 0) {
                /* The fd stays the caller's: detach it before closing the handle. */
                s->lib_owned = true;
                s->close_emitted = true;
                if (s->has_handle) {
                    s->destroyed = true;
                    uv_close(&s->u.h, handle_closed);
                } else {
                    nc__obj_release(&s->obj);
                }
                return r;
            }
        }
    }
    *ret = s;
    return 0;
}

int nc__socket_accepted(nc_server_t *server,
                        uv_stream_t *listener,
                        const nc_server_options_t *o,
                        nc_socket_t **ret)
{
    nc_socket_t *s = socket_alloc(listener->loop, ((nc__obj_t *)server)->lp, o->high_water_mark);
    if (s == NULL) {
        return -ENOMEM;
    }
    bool tcp = listener->type == UV_TCP;
    int r = nc__socket_handle_init(s, tcp, AF_UNSPEC);
    if (r == 0) {
        r = uv_accept(listener, &s->u.s);
    }
    s->lib_owned = true;
    if (r < 0) {
        nc__socket_destroy(s, false);
        return r;
    }
    s->connected = true;
    s->allow_half_open = o->allow_half_open;
    /* Node: pauseOnConnect leaves readableFlowing false until resume(). */
    s->flowing = o->pause_on_connect ? 0 : -1;
    /* Node: onconnection sets the socket's kSetNoDelay/kSetKeepAlive too. */
    s->no_delay = tcp && o->no_delay;
    s->keep_alive = tcp && o->keep_alive;
    if (tcp && o->no_delay) {
        uv_tcp_nodelay(&s->u.tcp, 1);
    }
    if (tcp && o->keep_alive) {
        uv_os_fd_t fd;
        if (uv_fileno(&s->u.h, &fd) == 0) {
            nc__tcp_keepalive(fd, true, o->keep_alive_initial_delay);
        }
    }
    s->server = server;
    nc__obj_retain((nc__obj_t *)server);
    *ret = s;
    return 0;
}

nc_socket_t *nc_socket_retain(nc_socket_t *s)
{
    if (s != NULL) {
        nc__obj_retain(&s->obj);
    }
    return s;
}

nc_socket_t *nc_socket_release(nc_socket_t *s)
{
    if (s != NULL) {
        nc__obj_release(&s->obj);
    }
    return NULL;
}

static void socket_finalize(nc__obj_t *obj)
{
    nc_socket_t *s = nc__container_of(obj, nc_socket_t, obj);
    nc__socket_cancel_pending(s);
    if (s->server != NULL) {
        nc__obj_release((nc__obj_t *)s->server);
    }
    nc__emitter_clear(&obj->em, obj->lp);
    nc__socket_ext_t *x = s->x;
    if (x != NULL) {
        if (x->signal != NULL) {
            nc_abort_signal_remove(x->signal, on_abort, s);
            nc_abort_signal_unref(x->signal);
        }
        free(x->text);
        nc__error_free_nested(&x->err);
        for (size_t i = 0; i < x->nattempted; i++) {
            free(x->attempted[i]);
        }
        free(x->attempted);
        nc__block_put(obj->lp, NC__BLOCK_SOCKET_EXT, x);
    }
    nc__block_put(obj->lp, NC__BLOCK_SOCKET, s);
}

void nc__socket_emit(nc_socket_t *s, nc_socket_event_t ev, const void *arg)
{
    nc__emit_iter_t it;
    nc__fn fn;
    void *data;
    if (!nc__emitter_may_have(&s->obj.em, (int)ev)) {
        return;
    }
    nc__obj_retain(&s->obj);
    nc__emit_begin(&s->obj.em, (int)ev, &it);
    while (nc__emit_next(&s->obj.em, &it, &fn, &data)) {
        ((nc_socket_event_cb)fn)(s, arg, data);
    }
    nc__emit_end(&s->obj.em, s->obj.lp);
    nc__obj_release(&s->obj);
}

int nc_socket_on(nc_socket_t *s, nc_socket_event_t event, nc_socket_event_cb cb, void *data)
{
    if (s == NULL) {
        return -EINVAL;
    }
    int r = nc__emitter_on(&s->obj.em, s->obj.lp, (int)event, (nc__fn)cb, data, false);
    /* Node: adding a 'data' listener resumes a stream that was not paused explicitly. */
    if (r == 0 && event == NC_SOCKET_DATA && s->flowing == -1) {
        nc_socket_resume(s);
    }
    return r;
}

int nc_socket_once(nc_socket_t *s, nc_socket_event_t event, nc_socket_event_cb cb, void *data)
{
    if (s == NULL) {
        return -EINVAL;
    }
    int r = nc__emitter_on(&s->obj.em, s->obj.lp, (int)event, (nc__fn)cb, data, true);
    if (r == 0 && event == NC_SOCKET_DATA && s->flowing == -1) {
        nc_socket_resume(s);
    }
    return r;
}

int nc_socket_off(nc_socket_t *s, nc_socket_event_t event, nc_socket_event_cb cb, void *data)
{
    return s == NULL ? -EINVAL
                     : nc__emitter_off(&s->obj.em, s->obj.lp, (int)event, (nc__fn)cb, data);
}

int nc_socket_listener_count(nc_socket_t *s, nc_socket_event_t event)
{
    return s == NULL ? -EINVAL : nc__emitter_count(&s->obj.em, (int)event);
}

void nc__socket_update_reading(nc_socket_t *s)
{
    /* Node: with onread, afterConnect's read(0) starts reading unless paused. */
    bool flow = s->onread != NULL ? s->flowing != 0 && !s->onread_stopped : s->flowing == 1;
    bool want = s->has_handle && s->connected && !s->destroyed && !s->eof && s->r_enabled && flow;
    if (want && !s->reading) {
        uv_alloc_cb alloc = s->onread != NULL ? nc__socket_onread_alloc : nc__read_alloc;
        if (uv_read_start(&s->u.s, alloc, on_read) == 0) {
            s->reading = true;
        }
    } else if (!want && s->reading) {
        uv_read_stop(&s->u.s);
        s->reading = false;
    }
}

static void on_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
    nc_socket_t *s = nc__container_of(h->data, nc_socket_t, obj);
    nc__obj_retain(&s->obj);
    if (nread > 0) {
        s->bytes_read += (uint64_t)nread;
        nc__socket_timer_refresh(s);
        nc__socket_deliver(s, buf->base, (size_t)nread);
    } else if (nread == UV_EOF && nc__socket_ext(s) != NULL) {
        s->eof = true;
        nc__socket_update_reading(s);
        nc__socket_flush_text(s);
        /* Node: push(null) emits 'end' on a later tick (endReadableNT). */
        nc__tick_push(&s->x->t_end);
    } else if (nread < 0) {
        /* An EOF lands here only when the ext for 'end' could not be made. */
        nc__error_sys(nc__socket_err(s), nread == UV_EOF ? -ENOMEM : (int)nread, "read", NULL, -1);
        nc__socket_destroy(s, true);
    }
    nc__loop_drain(s->obj.lp);
    nc__obj_release(&s->obj);
}

static void tick_end(nc__tick_t *t)
{
    nc_socket_t *s = nc__container_of(t->obj, nc_socket_t, obj);
    if (s->destroyed || s->end_emitted) {
        return;
    }
    s->end_emitted = true;
    nc__socket_emit(s, NC_SOCKET_END, NULL);
    if (s->destroyed) {
        return;
    }
    /* Node: endReadableNT ends the writable side unless allowHalfOpen, else destroys
     * once the writable side is done too. */
    if (!s->allow_half_open && s->w_enabled && !s->ending) {
        nc__tick_push(&s->x->t_autoend);
    } else if (s->finished || !s->w_enabled) {
        nc__socket_destroy(s, false);
    }
}

static void tick_autoend(nc__tick_t *t)
{
    nc_socket_t *s = nc__container_of(t->obj, nc_socket_t, obj);
    if (!s->destroyed) {
        nc_socket_end(s, NULL, 0);
    }
}

static void tick_error(nc__tick_t *t)
{
    nc_socket_t *s = nc__container_of(t->obj, nc_socket_t, obj);
    nc__socket_emit(s, NC_SOCKET_ERROR, &s->x->err);
}

static void tick_close(nc__tick_t *t)
{
    nc_socket_t *s = nc__container_of(t->obj, nc_socket_t, obj);
    s->close_emitted = true;
    /* Node emits this 'close' (no handle) without an argument: falsy. */
    nc_socket_close_t ev = { .had_error = false };
    nc__socket_emit(s, NC_SOCKET_CLOSE, &ev);
    if (s->lib_owned) {
        s->lib_owned = false;
        nc__obj_release(&s->obj);
    }
}

void nc__socket_destroy(nc_socket_t *s, bool had_error)
{
    if (s->destroyed) {
        return;
    }
    s->destroyed = true;
    s->connecting = false;
    s->had_error = had_error;
    if (s->timer_inited && !uv_is_closing((uv_handle_t *)&s->x->timer)) {
        /* The reference set_timeout took goes in timer_closed. */
        uv_close((uv_handle_t *)&s->x->timer, timer_closed);
    }
    if (!s->connected) {
        /* Connected, writes still pending: a 'connect' listener destroyed the socket
         * before theirs ran (nc__socket_flush_pending fails them then). */
        nc__socket_cancel_pending(s);
    }
    if (s->server != NULL) {
        nc__server_connection_gone(s->server);
    }
    if (had_error && s->x != NULL) {
        nc__tick_push(&s->x->t_error);
    }
    if (!s->has_handle) {
        /* Only sockets of nc_socket_new and connect() lack a handle: both made the ext. */
        nc__tick_push(&s->x->t_close);
    } else {
        uv_os_fd_t fd;
        if (s->reset && uv_fileno(&s->u.h, &fd) == 0) {
            /* RST instead of FIN: SO_LINGER with a zero timeout, then close. */
            struct linger l = { .l_onoff = 1, .l_linger = 0 };
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        }
        s->reading = false;
        uv_close(&s->u.h, handle_closed);
    }
    /* After the socket's own uv_close: libuv finishes closes newest first, so an attempt
     * cancelled here reports ECANCELED before 'close', as in Node. */
    nc__socket_connect_stop(s);
}

void nc_socket_destroy(nc_socket_t *s, int error)
{
    if (s == NULL || s->destroyed) {
        return;
    }
    if (error < 0) {
        nc__error(nc__socket_err(s), error, "%s", nc_strerror(error));
    }
    nc__socket_destroy(s, error < 0);
}

void nc_socket_destroy_soon(nc_socket_t *s)
{
    if (s == NULL || s->destroyed) {
        return;
    }
    /* Node: end() if still writable, then destroy at once if finished, else on 'finish'. */
    if (!s->ending) {
        nc_socket_end(s, NULL, 0);
    }
    if (s->finished) {
        nc__socket_destroy(s, false);
    } else {
        s->destroy_soon = true;
    }
}

static void reset_once_connected(nc_socket_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    /* Cleared when the socket was destroyed and connected again meanwhile. */
    if (s->reset_on_connect && !s->destroyed) {
        s->reset_on_connect = false;
        nc_socket_reset_and_destroy(s);
    }
}

int nc_socket_reset_and_destroy(nc_socket_t *s)
{
    if (s == NULL) {
        return -EINVAL;
    }
    if (s->has_handle && !s->is_tcp) {
        return NC_ERR_INVALID_HANDLE_TYPE;
    }
    if (s->connecting) {
        /* Node: once('connect', () => this._reset()): the listeners added before it
         * still see 'connect', and 'ready' follows the reset. */
        if (!s->reset_on_connect) {
            s->reset_on_connect = true;
            nc_socket_once(s, NC_SOCKET_CONNECT, reset_once_connected, NULL);
        }
        return 0;
    }
    if (!s->has_handle) {
        /* Node: no handle, so destroy with ERR_SOCKET_CLOSED. */
        nc_socket_destroy(s, NC_ERR_SOCKET_CLOSED);
        return 0;
    }
    s->reset = true;
    nc__socket_destroy(s, false);
    return 0;
}

void nc_socket_pause(nc_socket_t *s)
{
    if (s != NULL) {
        s->flowing = 0;
        nc__socket_update_reading(s);
    }
}

void nc_socket_resume(nc_socket_t *s)
{
    if (s != NULL) {
        s->flowing = 1;
        s->onread_stopped = false;
        nc__socket_update_reading(s);
    }
}

void nc__socket_undestroy(nc_socket_t *s)
{
    /* Node: connect() on a destroyed socket calls _undestroy(): a new handle, the
     * stream states of a new socket, byte counters from zero. Listeners, the encoding,
     * onread, the signal and a ref()/unref() waiting for 'connect' stay; destroy cleared
     * the timeout, as Node's _destroy clears its timer. */
    if (s->server != NULL) {
        nc__obj_release((nc__obj_t *)s->server);
        s->server = NULL;
    }
    s->has_handle = false;
    s->connecting = s->connected = s->destroyed = s->had_error = s->close_emitted = false;
    s->eof = s->end_emitted = false;
    s->ending = s->shutdown_sent = s->finished = s->destroy_soon = false;
    s->reading = s->reset = s->reset_on_connect = s->need_drain = false;
    s->onread_stopped = s->peer_memo = s->write_failed = s->fd_lent = false;
    s->bytes_read = s->bytes_written = 0;
    if (s->x == NULL) {
        return;
    }
    s->x->peer_len = 0;
    nc_error_clear(&s->x->err);
    s->x->err.port = -1;
    s->x->timeout_ms = 0;
    if (s->decoding) {
        nc_string_decoder_init(&s->x->dec, s->x->dec.encoding);
    }
}
