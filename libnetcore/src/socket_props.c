/* socket_props.c: net.Socket's options and properties: setNoDelay, setKeepAlive,
 * setTimeout, ref/unref, byte counters, states and addresses. */
#include "socket_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static void on_timer(uv_timer_t *t)
{
    nc_socket_t *s = nc__container_of(t->data, nc_socket_t, obj);
    nc__obj_retain(&s->obj);
    nc__socket_emit(s, NC_SOCKET_TIMEOUT, NULL);
    nc__loop_drain(s->obj.lp);
    nc__obj_release(&s->obj);
}

void nc__socket_timer_refresh(nc_socket_t *s)
{
    if (s->timer_inited && s->x->timeout_ms > 0 && !s->destroyed) {
        uv_timer_start(&s->x->timer, on_timer, s->x->timeout_ms, 0);
    }
}

void nc_socket_set_timeout(nc_socket_t *s, uint64_t timeout_ms)
{
    if (s == NULL || s->destroyed || (timeout_ms == 0 && s->x == NULL)) {
        return;
    }
    nc__socket_ext_t *x = nc__socket_ext(s);
    if (x == NULL) {
        nc_socket_destroy(s, -ENOMEM);
        return;
    }
    x->timeout_ms = timeout_ms;
    if (timeout_ms == 0) {
        if (s->timer_inited) {
            uv_timer_stop(&x->timer);
        }
        return;
    }
    if (!s->timer_inited) {
        uv_timer_init(s->obj.loop, &x->timer);
        x->timer.data = &s->obj;
        /* Node's socket timeouts are unref'd timers: they never keep the loop alive. */
        uv_unref((uv_handle_t *)&x->timer);
        s->timer_inited = true;
        nc__obj_retain(&s->obj); /* released by the timer's close callback */
    }
    nc__socket_timer_refresh(s);
}

uint64_t nc_socket_timeout(const nc_socket_t *s)
{
    return s == NULL || s->x == NULL ? 0 : s->x->timeout_ms;
}

/* Node keeps what setNoDelay/setKeepAlive were given on the socket (kSetNoDelay,
 * kSetKeepAlive, kSetKeepAliveInitialDelay): with no handle (before connect(), and from
 * destroy() on, as Node drops _handle at once) the value is only remembered, and
 * afterConnect puts it on the handle of every later connect. Node: node-net.md
 * "socket.setNoDelay()". */
static bool no_handle(const nc_socket_t *s)
{
    return !s->has_handle || s->destroyed;
}

int nc_socket_set_no_delay(nc_socket_t *s, bool no_delay)
{
    if (s == NULL) {
        return -EINVAL;
    }
    if (!no_handle(s) && !s->is_tcp) {
        return 0; /* Node: a Pipe handle has no setNoDelay, so nothing is remembered */
    }
    s->no_delay = no_delay;
    if (s->x != NULL) {
        s->x->no_delay_set = true;
    }
    /* Connecting without a socket yet (a name being looked up): libuv keeps the flag
     * for the socket it makes, and nc__socket_sockopts_apply sets it once connected. */
    return no_handle(s) ? 0 : uv_tcp_nodelay(&s->u.tcp, no_delay ? 1 : 0);
}

int nc_socket_set_keep_alive(nc_socket_t *s, bool enable, unsigned initial_delay_ms)
{
    if (s == NULL) {
        return -EINVAL;
    }
    if (!no_handle(s) && !s->is_tcp) {
        return 0; /* Node: a Pipe handle has no setKeepAlive either */
    }
    s->keep_alive = enable;
    /* An accepted socket without the ext part keeps the flag only: its delay matters
     * again only if it connects after 'close', and the ext is not worth its heap. */
    if (s->x != NULL) {
        s->x->keep_alive_delay = initial_delay_ms;
        s->x->keep_alive_set = true;
    }
    uv_os_fd_t fd;
    if (no_handle(s) || uv_fileno(&s->u.h, &fd) < 0) {
        return 0; /* set once connected (nc__socket_sockopts_apply) */
    }
    return nc__tcp_keepalive(fd, enable, initial_delay_ms);
}

void nc__socket_sockopts_from(nc_socket_t *s, const nc_connect_options_t *o)
{
    /* Node 20 reads noDelay/keepAlive/keepAliveInitialDelay only in the Socket
     * constructor, which net.createConnection feeds with its options; socket.connect()
     * ignores them (nodejs/node#59823, the documentation fixed by #61179). The options
     * count here as the constructor's would: they turn a value on, never off, and a
     * value a setter chose on this socket, before connect or in an earlier life, stays. */
    if (o->no_delay && !s->x->no_delay_set) {
        s->no_delay = true;
    }
    if (o->keep_alive && !s->x->keep_alive_set) {
        s->keep_alive = true;
        s->x->keep_alive_delay = o->keep_alive_initial_delay;
    }
}

/* Node: ref()/unref() act on the handle. With none (before connect(), from destroy() on)
 * they wait for the next 'connect' (once('connect', this.unref)): a connecting handle
 * stays ref'd until then, and the handle of a connect after 'close' starts ref'd. */
static void set_ref(nc_socket_t *s, bool ref)
{
    if (no_handle(s)) {
        nc__socket_ext_t *x = nc__socket_ext(s);
        if (x != NULL) {
            x->ref_at_connect = ref ? 1 : -1;
        }
        return;
    }
    s->unref = !ref;
    if (ref) {
        uv_ref(&s->u.h);
    } else {
        uv_unref(&s->u.h);
    }
}

void nc__socket_sockopts_apply(nc_socket_t *s)
{
    if (s->x->ref_at_connect != 0) {
        bool ref = s->x->ref_at_connect > 0;
        s->x->ref_at_connect = 0;
        set_ref(s, ref);
    }
    /* Node: afterConnect sets what is on, on a TCP handle only. */
    uv_os_fd_t fd;
    if (!s->is_tcp || uv_fileno(&s->u.h, &fd) < 0) {
        return;
    }
    if (s->no_delay) {
        uv_tcp_nodelay(&s->u.tcp, 1);
    }
    if (s->keep_alive) {
        nc__tcp_keepalive(fd, true, s->x->keep_alive_delay);
    }
}

void nc_socket_ref(nc_socket_t *s)
{
    if (s != NULL) {
        set_ref(s, true);
    }
}

void nc_socket_unref(nc_socket_t *s)
{
    if (s != NULL) {
        set_ref(s, false);
    }
}

uint64_t nc_socket_bytes_read(const nc_socket_t *s)
{
    return s == NULL ? 0 : s->bytes_read;
}

uint64_t nc_socket_bytes_written(const nc_socket_t *s)
{
    return s == NULL ? 0 : s->bytes_written;
}

bool nc_socket_connecting(const nc_socket_t *s)
{
    return s != NULL && s->connecting;
}

bool nc_socket_destroyed(const nc_socket_t *s)
{
    return s != NULL && s->destroyed;
}

bool nc_socket_pending(const nc_socket_t *s)
{
    /* Node: !this._handle || this.connecting */
    return s != NULL && (!s->has_handle || s->destroyed || s->connecting);
}

bool nc_socket_readable(const nc_socket_t *s)
{
    /* Node's Readable getter: not destroyed, no error, 'end' not emitted. */
    return s != NULL && s->r_enabled && !s->destroyed && !s->end_emitted;
}

bool nc_socket_writable(const nc_socket_t *s)
{
    return s != NULL && s->w_enabled && !s->destroyed && !s->ending;
}

const char *nc_socket_ready_state(const nc_socket_t *s)
{
    if (s == NULL) {
        return "closed";
    }
    if (s->connecting) {
        return "opening";
    }
    bool r = nc_socket_readable(s), w = nc_socket_writable(s);
    if (r && w) {
        return "open";
    }
    if (r) {
        return "readOnly";
    }
    return w ? "writeOnly" : "closed";
}

size_t nc_socket_writable_length(const nc_socket_t *s)
{
    return s == NULL ? 0 : s->wlen;
}

int64_t nc_socket_buffer_size(const nc_socket_t *s)
{
    if (s == NULL || !s->has_handle || s->destroyed) {
        return -ENOTCONN;
    }
    return (int64_t)s->wlen;
}

static int sock_name(const nc_socket_t *s, bool peer, struct sockaddr_storage *ss, socklen_t *len)
{
    uv_os_fd_t fd;
    if (!s->has_handle || s->destroyed || uv_fileno(&s->u.h, &fd) < 0) {
        return -ENOTCONN;
    }
    if (!s->is_tcp) {
        return -ENOTSUP; /* Node's Pipe handle has neither getsockname nor getpeername */
    }
    *len = sizeof(*ss);
    int r = peer ? getpeername(fd, (struct sockaddr *)ss, len)
                 : getsockname(fd, (struct sockaddr *)ss, len);
    return r == 0 ? 0 : -errno;
}

int nc_socket_address(const nc_socket_t *s, nc_address_t *ret)
{
    if (s == NULL || ret == NULL) {
        return -EINVAL;
    }
    struct sockaddr_storage ss;
    socklen_t len;
    int r = sock_name(s, false, &ss, &len);
    return r < 0 ? r : nc__address_from((struct sockaddr *)&ss, len, ret);
}

int nc_socket_remote_address(const nc_socket_t *cs, nc_address_t *ret)
{
    if (cs == NULL || ret == NULL) {
        return -EINVAL;
    }
    /* Node's _getpeername keeps its first answer in socket._peername and gives it
     * again once the handle is gone (address() has no such memo). The memo is ours to
     * write through a const pointer, as Node's getter writes its field. */
    nc_socket_t *s = (nc_socket_t *)cs;
    if (s->peer_memo) {
        return nc__address_from((struct sockaddr *)&s->x->peer_memo, s->x->peer_memo_len, ret);
    }
    struct sockaddr_storage ss;
    socklen_t len;
    int r = sock_name(s, true, &ss, &len);
    if (r < 0) {
        return r;
    }
    r = nc__address_from((struct sockaddr *)&ss, len, ret);
    if (r == 0 && nc__socket_ext(s) != NULL) {
        memcpy(&s->x->peer_memo, &ss, sizeof(ss));
        s->x->peer_memo_len = len;
        s->peer_memo = true;
    }
    return r;
}

int nc_socket_fileno(nc_socket_t *s)
{
    uv_os_fd_t fd;
    if (s == NULL || !s->has_handle || s->destroyed || uv_fileno(&s->u.h, &fd) < 0) {
        return -EBADF;
    }
    s->fd_lent = true;
    return fd;
}
