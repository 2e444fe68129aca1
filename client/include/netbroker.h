/* netbroker.h: libnetbroker, the client side of netbroker's control protocol
 * (proto/PROTOCOL.md). It needs only libc (and, privately, jansson): no event loop of its
 * own, so that any loop can drive it through nb_client_fileno(), and a blocking API with
 * a deadline on every call for programs that have none.
 *
 * Conventions: calls return 0 (or a count) on success and a negative code on failure:
 * -errno for transport and system errors and for the daemon's errno-named codes (EACCES,
 * EADDRINUSE...), NB_CLIENT_ERR_* for the protocol's own codes. When an
 * nb_client_error_t is given it receives the wire code's name and the daemon's message.
 * Received fds are CLOEXEC and belong to the caller once a call hands them out. */
#ifndef NETBROKER_H
#define NETBROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(NB_BUILDING)
#define NB_EXTERN __attribute__((visibility("default")))
#else
#define NB_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nb_client_s nb_client_t;

#define NB_CLIENT_FDS_MAX 16

/* The protocol's own codes (PROTOCOL.md section 5.2), as calls return them: the same
 * numbers as proto's table (client.c checks that at compile time). Any other negative
 * code is -errno. */
#define NB_CLIENT_ERR_PROTO_PARSE       (-6001)
#define NB_CLIENT_ERR_PROTO_UTF8        (-6002)
#define NB_CLIENT_ERR_PROTO_TOO_LARGE   (-6003)
#define NB_CLIENT_ERR_PROTO_FDS         (-6004)
#define NB_CLIENT_ERR_PROTO_HELLO       (-6005)
#define NB_CLIENT_ERR_PROTO_VERSION     (-6006)
#define NB_CLIENT_ERR_UNKNOWN_OP        (-6007)
#define NB_CLIENT_ERR_NOT_FOUND         (-6008)
#define NB_CLIENT_ERR_INVALID_ARG_TYPE  (-6009)
#define NB_CLIENT_ERR_INVALID_ARG_VALUE (-6010)
#define NB_CLIENT_ERR_OUT_OF_RANGE      (-6011)
#define NB_CLIENT_ERR_MISSING_ARGS      (-6012)
#define NB_CLIENT_ERR_PROTO_FD_COUNT    (-6013)
#define NB_CLIENT_ERR_SOCKET_BAD_PORT   (-6014)
#define NB_CLIENT_ERR_CONFIG            (-6015)
#define NB_CLIENT_ERR_UNKNOWN           (-6099) /* a code name this library does not know */

/* A failed call: the wire code ("EACCES", "ERR_NOT_FOUND") and the daemon's message, or
 * this library's own words for a transport failure. */
typedef struct nb_client_error_s {
    int code;
    char name[64];
    char message[512];
} nb_client_error_t;

typedef enum {
    NB_CLIENT_MSG_REPLY = 1,
    NB_CLIENT_MSG_EVENT = 2,
} nb_client_msg_kind_t;

/* A reply or an event as received. json is the whole message as compact JSON text (for
 * programs that want every field); fds are owned by the message until the caller takes
 * them (set the slot to -1) or nb_client_msg_clear closes them. */
typedef struct nb_client_msg_s {
    nb_client_msg_kind_t kind;
    int64_t id;              /* replies */
    bool ok;                 /* replies */
    char event[64];          /* events: the event's name */
    char *json;              /* malloc'd, NUL-terminated */
    nb_client_error_t error; /* replies with ok false */
    int fds[NB_CLIENT_FDS_MAX];
    size_t nfds;
} nb_client_msg_t;

/* An accepted connection dispatched by the daemon. */
typedef struct nb_client_connection_s {
    int fd; /* the caller's: never read by the broker */
    char server[72];
    char remote_address[64]; /* "" for a Unix server */
    int remote_port;         /* -1 when absent */
    char remote_family[8];   /* "IPv4", "IPv6" or "" */
    char local_address[64];
    int local_port;
} nb_client_connection_t;

NB_EXTERN const char *nb_client_version(void);

/* The control socket a client connects to when given none, as DESIGN.md says:
 * $NETBROKER_SOCKET if set, /run/netbroker/control.sock for root, else
 * $XDG_RUNTIME_DIR/netbroker/control.sock. Writes a NUL-terminated path into buf and
 * returns its length; -ENOSPC if it does not fit, -ENOENT if no path can be derived
 * (not root, no NETBROKER_SOCKET and no XDG_RUNTIME_DIR). */
NB_EXTERN int nb_client_default_path(char *buf, size_t size);

/* ---- Connection --------------------------------------------------------------------- */

/* Connects to path (NULL: nb_client_default_path) and says hello, all within timeout_ms
 * (< 0: no deadline). Returns 0 and a client; -ENOENT/-ECONNREFUSED/-EACCES when the
 * daemon cannot be reached, -ETIMEDOUT, or the hello's error. */
NB_EXTERN int nb_client_open(const char *path,
                             int timeout_ms,
                             nb_client_t **ret,
                             nb_client_error_t *ret_err);
/* As nb_client_open, on a control connection the caller already has (a stream socket
 * connected to netbrokerd, inherited or made by socketpair): says hello on it within
 * timeout_ms. Takes fd on success only; every call sends and receives with MSG_DONTWAIT,
 * so the fd's own blocking mode does not matter. -EBADF when fd < 0. */
NB_EXTERN int nb_client_adopt_fd(int fd,
                                 int timeout_ms,
                                 nb_client_t **ret,
                                 nb_client_error_t *ret_err);
/* Closes the connection and every fd still held in queued messages. NULL is fine. */
NB_EXTERN void nb_client_close(nb_client_t *c);
/* The socket to poll: POLLIN always, POLLOUT when nb_client_wants_write() is true. */
NB_EXTERN int nb_client_fileno(const nb_client_t *c);
NB_EXTERN bool nb_client_wants_write(const nb_client_t *c);
/* The protocol version agreed in hello, and whether the daemon offers an operation. */
NB_EXTERN int nb_client_protocol_version(const nb_client_t *c);
NB_EXTERN bool nb_client_has_capability(const nb_client_t *c, const char *op);
/* The daemon's name and version as its hello said ("netbrokerd 0.1.0"), or "". */
NB_EXTERN const char *nb_client_daemon(const nb_client_t *c);

/* ---- Non-blocking calls -------------------------------------------------------------
 * send writes a request ({"op":op,"args":args_json}; args_json NULL for none) with
 * fds[0..nfds) as far as the socket takes it, and queues the rest (with duplicates of the
 * fds if none of it went); the fds stay the caller's either way; process() writes and reads
 * what is ready without blocking; next() hands out the next reply or event received.
 * send and process both read what has arrived into the queue, so drain next() after
 * either before you wait on the fd again: a reply already queued makes no fd readable. */
NB_EXTERN int nb_client_send(nb_client_t *c,
                             const char *op,
                             const char *args_json,
                             const int *fds,
                             size_t nfds,
                             int64_t *ret_id,
                             nb_client_error_t *ret_err);
/* Returns 0, or a negative code when the connection is lost (-EPIPE, -ECONNRESET, or
 * NB_CLIENT_ERR_PROTO_PARSE for a reply that breaks the protocol): the client is then unusable but
 * must still be closed. */
NB_EXTERN int nb_client_process(nb_client_t *c);
/* Returns 1 and fills *ret, or 0 when nothing is waiting. */
NB_EXTERN int nb_client_next(nb_client_t *c, nb_client_msg_t *ret);
/* Frees a message's text and closes the fds still in it. NULL is fine. */
NB_EXTERN void nb_client_msg_clear(nb_client_msg_t *msg);

/* ---- Blocking calls -----------------------------------------------------------------
 * Sends a request and waits up to timeout_ms (< 0: forever) for its reply; events that
 * arrive meanwhile are kept for nb_client_next() and nb_client_next_connection(). Returns
 * 0 and the reply in *ret_reply (ok true); the daemon's error code with *ret_err filled;
 * -ETIMEDOUT; or a transport error. ret_reply may be NULL when only success matters. A
 * reply whose fds this process had no free descriptor for fails with -EMFILE (name
 * "EMFILE"), and the connection goes on (PROTOCOL.md 11). */
NB_EXTERN int nb_client_call(nb_client_t *c,
                             const char *op,
                             const char *args_json,
                             const int *fds,
                             size_t nfds,
                             int timeout_ms,
                             nb_client_msg_t *ret_reply,
                             nb_client_error_t *ret_err);

/* ---- The common jobs ---------------------------------------------------------------- */

/* A dup of a named acquire-mode server's listening fd, to accept on (libnetcore:
 * nc_server_listen_fd; Node: server.listen({fd})). */
NB_EXTERN int nb_client_acquire(nb_client_t *c,
                                const char *server,
                                int timeout_ms,
                                int *ret_fd,
                                nb_client_error_t *ret_err);
/* Asks for a dispatch-mode server's connections (max_pending 0: the daemon's default). */
NB_EXTERN int nb_client_subscribe(nb_client_t *c,
                                  const char *server,
                                  int max_pending,
                                  int timeout_ms,
                                  nb_client_error_t *ret_err);
/* Waits up to timeout_ms for the next dispatched connection. -ETIMEDOUT when none came. */
NB_EXTERN int nb_client_next_connection(nb_client_t *c,
                                        int timeout_ms,
                                        nb_client_connection_t *ret,
                                        nb_client_error_t *ret_err);
/* Asks the broker to connect to host:port (happy eyeballs in the broker) and returns the
 * connected fd. */
NB_EXTERN int nb_client_connect_tcp(nb_client_t *c,
                                    const char *host,
                                    int port,
                                    int timeout_ms,
                                    int *ret_fd,
                                    nb_client_error_t *ret_err);
/* Parks a duplicate of fd in the broker under name (expire_ms 0: never expires; replace:
 * replace an fd already stored there). The caller keeps its own fd. */
NB_EXTERN int nb_client_fd_store(nb_client_t *c,
                                 const char *name,
                                 int fd,
                                 int expire_ms,
                                 bool replace,
                                 int timeout_ms,
                                 nb_client_error_t *ret_err);
/* Takes back a duplicate of the fd parked under name; remove also drops it from the
 * broker. */
NB_EXTERN int nb_client_fd_retrieve(nb_client_t *c,
                                    const char *name,
                                    bool remove,
                                    int timeout_ms,
                                    int *ret_fd,
                                    nb_client_error_t *ret_err);

#ifdef __cplusplus
}
#endif
#endif
