/* socket_internal.h: the net.Socket object, shared by socket.c (life cycle, connect,
 * read, destroy) and socket_write.c (write, end, drain, finish). */
#ifndef NC_SOCKET_INTERNAL_H
#define NC_SOCKET_INTERNAL_H

#include "internal.h"

#define NC_DEFAULT_HIGH_WATER_MARK 16384 /* Node 20's writable highWaterMark */

typedef struct nc__wreq_s nc__wreq_t;
typedef struct nc__conn_s nc__conn_t;

struct nc_socket_s {
    nc__obj_t obj;
    union {
        uv_handle_t h;
        uv_stream_t s;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } u;
    uv_connect_t creq;
    nc__conn_t *conn; /* a TCP connect in progress (connect_internal.h) */
    char **attempted; /* autoSelectFamilyAttemptedAddresses */
    size_t nattempted;
    uv_shutdown_t sreq;
    uv_timer_t timer;
    nc_server_t *server; /* accepted by it; held until finalize */
    bool lib_owned;      /* accepted: the library lets go after 'close' */
    bool has_handle, is_tcp, timer_inited;
    bool connecting, connected, destroyed, had_error, close_emitted;
    bool r_enabled, w_enabled; /* Node's readable/writable options */
    bool eof, end_emitted;     /* readable side */
    bool ending, shutdown_sent, finished, destroy_soon;
    bool reading, unref, reset, reset_on_connect;
    signed char flowing; /* Node's readableFlowing: -1 null, 0 false, 1 true */
    bool allow_half_open;
    size_t hwm, wlen;
    bool need_drain;
    unsigned inflight;
    uint64_t bytes_read, bytes_written, timeout_ms;
    nc__wreq_t *pending; /* written while connecting */
    nc__wreq_t **pending_tail;
    nc_connect_options_t copts;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    char peer_text[NC_ADDRSTRLEN];
    nc_error_t err;
    nc__tick_t t_connect, t_end, t_autoend, t_error, t_close, t_drain, t_finish;
    /* setEncoding (socket_read.c): the decoder and the text buffer 'data' points into. */
    bool decoding;
    nc_string_decoder_t dec;
    char *text;
    size_t text_size;
    /* onread (socket_read.c); onread_stopped: the callback returned false. */
    void *onread_buf;
    size_t onread_len;
    nc_socket_onread_cb onread;
    void *onread_data;
    bool onread_stopped;
    /* The `signal` option: aborting it destroys the socket with ABORT_ERR. */
    nc_abort_signal_t *signal;
    nc__tick_t t_abort;
};

int nc__socket_handle_init(nc_socket_t *s, bool tcp, int family);
void nc__socket_update_reading(nc_socket_t *s);
void nc__socket_tick_connect(nc__tick_t *t);
void nc__socket_emit(nc_socket_t *s, nc_socket_event_t ev, const void *arg);
/* Node's destroy(err): 'error' on a later turn when had_error (s->err filled), then
 * 'close' once the handle closed. */
void nc__socket_destroy(nc_socket_t *s, bool had_error);
void nc__socket_timer_refresh(nc_socket_t *s);
/* After connecting: flush what was written meanwhile, and end() if asked. */
void nc__socket_flush_pending(nc_socket_t *s);
void nc__socket_maybe_shutdown(nc_socket_t *s);
void nc__socket_cancel_pending(nc_socket_t *s);
void nc__socket_tick_finish(nc__tick_t *t);
void nc__socket_tick_drain(nc__tick_t *t);
/* socket_read.c: hands n read bytes to onread or 'data' (decoded when setEncoding was
 * called); at EOF, flushes what the decoder still holds as a last 'data'. */
void nc__socket_deliver(nc_socket_t *s, char *base, size_t n);
void nc__socket_flush_text(nc_socket_t *s);
void nc__socket_onread_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
/* Node's _undestroy() for connect() after 'close': the state of a new socket. */
void nc__socket_undestroy(nc_socket_t *s);
/* Stops a TCP connect in progress (its lookup, attempts and timer); no-op without one. */
void nc__socket_connect_stop(nc_socket_t *s);

#endif
