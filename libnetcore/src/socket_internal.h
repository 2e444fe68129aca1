/* socket_internal.h: the net.Socket object, shared by socket.c (life cycle, connect,
 * read, destroy) and socket_write.c (write, end, drain, finish). */
#ifndef NC_SOCKET_INTERNAL_H
#define NC_SOCKET_INTERNAL_H

#include "internal.h"

#define NC_DEFAULT_HIGH_WATER_MARK 16384 /* Node 20's writable highWaterMark */

typedef struct nc__wreq_s nc__wreq_t;
typedef struct nc__conn_s nc__conn_t;

/* What a socket needs only to connect, to report an error, to time out, to end, to
 * decode text or to read into the caller's buffer: made on first need (nc__socket_ext),
 * so that an idle accepted connection holds none of it (issue 3: at most 512 bytes of
 * heap per idle connection). Sockets made by nc_socket_new have it from the start. */
typedef struct {
    uint64_t timeout_ms;
    nc__wreq_t *pending; /* written while connecting */
    nc__wreq_t **pending_tail;
    nc_connect_options_t copts;
    socklen_t peer_len; /* of `peer` below: 0 until a connect sets it */
    nc_error_t err;
    char **attempted; /* autoSelectFamilyAttemptedAddresses */
    size_t nattempted;
    nc__tick_t t_connect, t_end, t_autoend, t_error, t_close, t_drain, t_finish;
    nc__tick_t t_wfail; /* destroys after a failed write's callback (socket_write.c) */
    /* setEncoding (socket_read.c): the text buffer 'data' points into. */
    char *text;
    size_t text_size;
    /* onread (socket_read.c): the caller's buffer. */
    void *onread_buf;
    size_t onread_len;
    void *onread_data;
    /* The `signal` option: aborting it destroys the socket with ABORT_ERR. */
    nc_abort_signal_t *signal;
    nc__tick_t t_abort;
    socklen_t peer_memo_len;
    /* Node's kSetKeepAliveInitialDelay (socket_props.c), in ms; and whether setNoDelay /
     * setKeepAlive were called, after which connect's options no longer change them. */
    unsigned keep_alive_delay;
    bool no_delay_set, keep_alive_set;
    /* ref() (1) or unref() (-1) made with no handle, for the next 'connect'; 0: none. */
    signed char ref_at_connect;
    /* From here on the ext is not zeroed when made (nc__socket_ext): each field is
     * written before it is read, and says what guards it. That is over a third of the
     * ext, which every churned connection makes once. */
    uv_connect_t creq;                 /* filled by uv_tcp_connect / uv_pipe_connect */
    uv_shutdown_t sreq;                /* filled by uv_shutdown */
    uv_timer_t timer;                  /* s->timer_inited */
    struct sockaddr_storage peer;      /* peer_len; a literal host copies it in first */
    char peer_text[NC_ADDRSTRLEN];     /* written with peer, before any connect */
    nc_string_decoder_t dec;           /* s->decoding */
    struct sockaddr_storage peer_memo; /* s->peer_memo: Node's socket._peername
                                        * (socket_props.c), kept once the handle is gone */
} nc__socket_ext_t;

struct nc_socket_s {
    nc__obj_t obj;
    union {
        uv_handle_t h;
        uv_stream_t s;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } u;
    nc__socket_ext_t *x;        /* NULL until first needed (accepted sockets) */
    nc__conn_t *conn;           /* a TCP connect in progress (connect_internal.h) */
    nc_server_t *server;        /* accepted by it; held until finalize */
    nc_socket_onread_cb onread; /* read into x->onread_buf instead of 'data' */
    /* Flags are bits: every byte counts against the idle-connection budget. */
    bool lib_owned : 1; /* accepted: the library lets go after 'close' */
    bool has_handle : 1, is_tcp : 1, timer_inited : 1;
    bool connecting : 1, connected : 1, destroyed : 1, had_error : 1, close_emitted : 1;
    bool r_enabled : 1, w_enabled : 1; /* Node's readable/writable options */
    bool eof : 1, end_emitted : 1;     /* readable side */
    bool ending : 1, shutdown_sent : 1, finished : 1, destroy_soon : 1;
    bool reading : 1, unref : 1, reset : 1, reset_on_connect : 1;
    bool allow_half_open : 1;
    bool no_delay : 1, keep_alive : 1; /* Node's kSetNoDelay, kSetKeepAlive (socket_props.c) */
    bool need_drain : 1;
    bool decoding : 1;       /* setEncoding was called: x->dec decodes */
    bool onread_stopped : 1; /* the onread callback returned false */
    bool peer_memo : 1;      /* x->peer_memo holds the remote address */
    bool has_pending : 1;    /* x->pending holds writes made while connecting */
    bool write_failed : 1;   /* a write failed: x->err holds it, t_wfail destroys */
    /* The fd may have a copy outside the library: it came as the fd option or was lent by
     * nc_socket_fileno. close() sends no FIN while a copy lives, so end() must always
     * shutdown(2) such a socket (socket_write.c nc__socket_maybe_shutdown). */
    bool fd_lent : 1;
    signed char flowing; /* Node's readableFlowing: -1 null, 0 false, 1 true */
    unsigned inflight;
    size_t hwm, wlen;
    uint64_t bytes_read, bytes_written;
};

/* The socket's ext part, made now if it does not exist yet; NULL when memory runs out. */
nc__socket_ext_t *nc__socket_ext(nc_socket_t *s);
/* Where to describe the socket's error before nc__socket_destroy(s, true): the ext's
 * err, or NULL when it cannot be made (the nc__error* helpers accept NULL). */
nc_error_t *nc__socket_err(nc_socket_t *s);

int nc__socket_handle_init(nc_socket_t *s, bool tcp, int family);
void nc__socket_update_reading(nc_socket_t *s);
void nc__socket_tick_connect(nc__tick_t *t);
void nc__socket_emit(nc_socket_t *s, nc_socket_event_t ev, const void *arg);
/* Node's destroy(err): 'error' on a later turn when had_error (s->x->err filled), then
 * 'close' once the handle closed. Without memory for the ext part the 'error' is left
 * out and 'close' still reports hadError. */
void nc__socket_destroy(nc_socket_t *s, bool had_error);
void nc__socket_timer_refresh(nc_socket_t *s);
/* After connecting: flush what was written meanwhile, and end() if asked. */
void nc__socket_flush_pending(nc_socket_t *s);
void nc__socket_maybe_shutdown(nc_socket_t *s);
void nc__socket_cancel_pending(nc_socket_t *s);
void nc__socket_tick_finish(nc__tick_t *t);
void nc__socket_tick_drain(nc__tick_t *t);
void nc__socket_tick_write_failed(nc__tick_t *t);
/* socket_read.c: hands n read bytes to onread or 'data' (decoded when setEncoding was
 * called); at EOF, flushes what the decoder still holds as a last 'data'. */
void nc__socket_deliver(nc_socket_t *s, char *base, size_t n);
void nc__socket_flush_text(nc_socket_t *s);
void nc__socket_onread_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
/* Node's _undestroy() for connect() after 'close': the state of a new socket. */
void nc__socket_undestroy(nc_socket_t *s);
/* Stops a TCP connect in progress (its lookup, attempts and timer); no-op without one. */
void nc__socket_connect_stop(nc_socket_t *s);
/* socket_props.c: connect's no_delay/keep_alive options, for values no setter chose; and
 * once connected, the remembered values put on the handle (Node's afterConnect) and a
 * ref()/unref() that waited for 'connect'. */
void nc__socket_sockopts_from(nc_socket_t *s, const nc_connect_options_t *o);
void nc__socket_sockopts_apply(nc_socket_t *s);

#endif
