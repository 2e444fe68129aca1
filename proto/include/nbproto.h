/* nbproto.h: netbroker's control protocol (proto/PROTOCOL.md is the normative text):
 * constants, error codes, the line reader and writer with fd passing, and the envelope. */
#ifndef NBPROTO_H
#define NBPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define NB_PROTO_VERSION       1
#define NB_PROTO_LINE_MAX      (64 * 1024)
#define NB_PROTO_FDS_MAX       16
#define NB_PROTO_SOCKET_NAME   "control.sock"
#define NB_PROTO_SYSTEM_RUNDIR "/run/netbroker"

/* Largest request id: 2^53 - 1, the largest integer every JSON implementation holds
 * exactly (RFC 8259 section 6), so a JavaScript client can echo it. */
#define NB_PROTO_ID_MAX INT64_C(9007199254740991)
/* Writer defaults: what a peer that does not read may make us hold for it. */
#define NB_PROTO_QUEUE_BYTES_MAX (1024 * 1024)
#define NB_PROTO_QUEUE_FDS_MAX   256
/* Longest operation or event name. */
#define NB_PROTO_NAME_MAX          64
#define NB_PROTO_ERROR_MESSAGE_MAX 192

/* ---- Error codes --------------------------------------------------------------------
 * Calls return 0, a count, or a negative code: -errno, or one of the codes below. The
 * wire carries names ("EACCES", "ERR_PROTO_PARSE"); the numbers are this library's own and
 * sit at -6000 and below so that they never meet libnetcore's NC_ERR_* (-5001..-5099).
 * Names that Node also uses mean what they mean in Node. */
#define NB_PROTO_ERR_MAP(XX)                                                                       \
    XX(ERR_PROTO_PARSE, -6001, "Message is not one JSON object")                                   \
    XX(ERR_PROTO_UTF8, -6002, "Message is not valid UTF-8")                                        \
    XX(ERR_PROTO_TOO_LARGE, -6003, "Message line is longer than the limit")                        \
    XX(ERR_PROTO_FDS, -6004, "File descriptors do not match the message")                          \
    XX(ERR_PROTO_HELLO, -6005, "The first request must be hello, and only the first")              \
    XX(ERR_PROTO_VERSION, -6006, "Unsupported protocol version")                                   \
    XX(ERR_UNKNOWN_OP, -6007, "Unknown operation")                                                 \
    XX(ERR_NOT_FOUND, -6008, "No such object")                                                     \
    XX(ERR_INVALID_ARG_TYPE, -6009, "Invalid argument type")                                       \
    XX(ERR_INVALID_ARG_VALUE, -6010, "Invalid argument value")                                     \
    XX(ERR_OUT_OF_RANGE, -6011, "Value out of range")                                              \
    XX(ERR_MISSING_ARGS, -6012, "Missing arguments")                                               \
    XX(ERR_PROTO_FD_COUNT, -6013, "Wrong number of file descriptors for the operation")            \
    XX(ERR_SOCKET_BAD_PORT, -6014, "Port should be >= 0 and < 65536")                              \
    XX(ERR_CONFIG, -6015, "The configuration is invalid")                                          \
    XX(UNKNOWN, -6099, "Unknown error")

typedef enum {
#define NB_PROTO_XX(name, value, msg) NB_PROTO_##name = (value),
    NB_PROTO_ERR_MAP(NB_PROTO_XX)
#undef NB_PROTO_XX
} nb_proto_err_t;

/* The wire name of a code: a table name, an errno name ("EACCES" for -EACCES), or
 * "UNKNOWN". Never NULL. */
const char *nb_proto_err_name(int code);
/* A human message for a code. Never NULL. */
const char *nb_proto_strerror(int code);
/* The code for a wire name: the table's, -errno for an errno name, NB_PROTO_UNKNOWN for
 * anything else (a name from a newer peer, or from libnetcore that proto has no number
 * for). NULL gives NB_PROTO_UNKNOWN. */
int nb_proto_err_from_name(const char *name);

/* A rejected line or request, as the reply to it needs it. */
typedef struct nb_proto_error_s {
    int code;   /* NB_PROTO_* code (negative) */
    bool fatal; /* the stream is out of step: answer, then close the connection */
    int64_t id; /* the request's id when it could be read, else -1 (reply "id": null) */
    char message[NB_PROTO_ERROR_MESSAGE_MAX];
} nb_proto_error_t;

/* Limits of a reader or a writer; a zero field takes the default. */
typedef struct nb_proto_limits_s {
    size_t line_max;        /* bytes of a line before its '\n'; NB_PROTO_LINE_MAX */
    size_t queue_bytes_max; /* writer: bytes queued and unsent; NB_PROTO_QUEUE_BYTES_MAX */
    size_t queue_fds_max;   /* writer: fds queued and unsent; NB_PROTO_QUEUE_FDS_MAX */
} nb_proto_limits_t;

/* ---- Reader: bytes and fds in, messages out -----------------------------------------
 * Feed it what each recvmsg returned (nb_proto_reader_read does that itself), then call
 * nb_proto_reader_next until it returns 0 before feeding again. A message takes the fds it
 * declares with "fds": n from those that arrived with the chunk holding its line's first
 * byte (PROTOCOL.md "File descriptors"). Every fd the reader holds and has not handed out
 * is closed on every error and by nb_proto_reader_free. */
typedef struct nb_proto_reader_s nb_proto_reader_t;

/* One message. The caller owns json (a reference) and fds[0..nfds). */
typedef struct nb_proto_msg_s {
    json_t *json;
    int fds[NB_PROTO_FDS_MAX];
    size_t nfds;
} nb_proto_msg_t;

/* limits may be NULL. Returns 0, -EINVAL (a line_max of more than 64 MiB), -ENOMEM. */
int nb_proto_reader_new(const nb_proto_limits_t *limits, nb_proto_reader_t **ret);
/* Closes every fd the reader still holds. NULL is fine. */
void nb_proto_reader_free(nb_proto_reader_t *r);
/* Adds one received chunk: the bytes and the fds of one recvmsg. The reader owns
 * fds[0..nfds) from the call on, whatever it returns. Returns 0; -EBUSY (fds closed,
 * nothing added) while a complete line is still waiting for nb_proto_reader_next; the
 * reader's fatal code once it has failed; -ENOMEM; -EINVAL for bad arguments. A protocol
 * error this chunk causes is returned by nb_proto_reader_next, after the lines before it. */
int nb_proto_reader_feed(nb_proto_reader_t *r,
                         const void *data,
                         size_t len,
                         const int *fds,
                         size_t nfds);
/* One recvmsg on a socket (MSG_DONTWAIT, MSG_CMSG_CLOEXEC), fed to the reader. Returns the
 * bytes read (> 0), 0 at end of stream, -EAGAIN when nothing is there, -EBUSY or the fatal
 * code as for feed (nothing read), or -errno. Truncated ancillary data (MSG_CTRUNC), more
 * than NB_PROTO_FDS_MAX fds, or fds without data close every fd that arrived and make the
 * next nb_proto_reader_next return ERR_PROTO_FDS, fatal. Except when we were out of fds
 * (MSG_CTRUNC with fewer than NB_PROTO_FDS_MAX fds): the message that declares them is
 * then -EMFILE, not fatal, and the others go on (PROTOCOL.md 11). */
int nb_proto_reader_read(nb_proto_reader_t *r, int sockfd);
/* The next complete message. Returns 1 and fills *ret_msg; 0 when no complete line is
 * buffered; or a negative NB_PROTO_* code with *ret_err filled (*ret_msg untouched): then
 * if ret_err->fatal every later call returns the same error, else the bad line is gone and
 * the next call goes on with the following one. */
int nb_proto_reader_next(nb_proto_reader_t *r, nb_proto_msg_t *ret_msg, nb_proto_error_t *ret_err);
/* Bytes of an incomplete line held (a peer that closes with this > 0 cut a line short). */
size_t nb_proto_reader_pending(const nb_proto_reader_t *r);
/* Drops a message the caller will not use: its json and its fds. NULL is fine. */
void nb_proto_msg_clear(nb_proto_msg_t *msg);

/* ---- Writer: whole messages queued, sent with sendmsg -------------------------------
 * Messages leave in the order pushed and never interleave; a message's fds ride on the
 * sendmsg that carries its first byte. */
typedef struct nb_proto_writer_s nb_proto_writer_t;

/* limits may be NULL. Returns 0, -ENOMEM. */
int nb_proto_writer_new(const nb_proto_limits_t *limits, nb_proto_writer_t **ret);
/* Closes the fds of every unsent message. NULL is fine. */
void nb_proto_writer_free(nb_proto_writer_t *w);
/* Queues msg (an object) as one compact line, first setting its "fds" member to nfds, or
 * removing it when nfds is 0. The writer sends duplicates of fds[0..nfds): the caller's
 * fds stay the caller's. Nothing is queued on error: -EINVAL (not an object, more than
 * NB_PROTO_FDS_MAX fds), NB_PROTO_ERR_PROTO_TOO_LARGE (the line exceeds line_max),
 * -ENOBUFS (the queue limit: the peer is not reading; cut it off), -EBADF, -EMFILE,
 * -ENOMEM. */
int nb_proto_writer_push(nb_proto_writer_t *w, json_t *msg, const int *fds, size_t nfds);
/* As push, for a line already serialised: len bytes, the last one '\n' and no other '\n'.
 * The caller vouches that the line declares nfds fds. */
int nb_proto_writer_push_line(nb_proto_writer_t *w,
                              const char *line,
                              size_t len,
                              const int *fds,
                              size_t nfds);
/* Sends what the socket takes (MSG_DONTWAIT, MSG_NOSIGNAL). Returns 0 when the queue is
 * empty, -EAGAIN when the socket is full (call again when it is writable; the queue keeps
 * its place), or -errno (-EPIPE, -ECONNRESET...) leaving the queue as it was. */
int nb_proto_writer_flush(nb_proto_writer_t *w, int sockfd);
/* Bytes queued and not yet sent. */
size_t nb_proto_writer_queued(const nb_proto_writer_t *w);

/* ---- Envelope -----------------------------------------------------------------------
 * Builders return 0 and a new reference in *ret, or -EINVAL / -ENOMEM. Those that take a
 * json_t * argument steal it, on error too, like jansson's *_new functions. */

/* {"id":id,"ok":true,"result":result}; result NULL gives {}. */
int nb_proto_reply_ok(int64_t id, json_t *result, json_t **ret);
/* {"id":id,"ok":false,"error":{"code":code,"message":message}}; id < 0 gives "id": null
 * (the request's id was unreadable); message NULL gives the table's message for code. */
int nb_proto_reply_error(int64_t id, const char *code, const char *message, json_t **ret);
/* The reply to a line or request the reader or nb_proto_request_parse rejected. */
int nb_proto_reply_from_error(const nb_proto_error_t *err, json_t **ret);
/* {"event":name, ...fields}; fields NULL gives no other member. -EINVAL when name is not
 * a valid name or fields holds "event", "id", "ok" or "fds". */
int nb_proto_event_new(const char *name, json_t *fields, json_t **ret);
/* {"id":id,"op":op,"args":args}; args NULL leaves "args" out. */
int nb_proto_request_new(int64_t id, const char *op, json_t *args, json_t **ret);

/* A request that passed envelope validation. Borrowed from the message it came from. */
typedef struct nb_proto_request_s {
    int64_t id;
    const char *op;
    json_t *args; /* the "args" object, or NULL when absent */
    size_t nfds;  /* the "fds" member, 0 when absent */
} nb_proto_request_t;

/* Checks the request envelope (PROTOCOL.md "Requests"): returns 0 and fills *ret_req, or a
 * negative NB_PROTO_* code with *ret_err filled (never fatal; id -1 when the id itself is
 * at fault). Whether op names an operation that exists, and its arguments, are checked next
 * by nb_proto_request_validate (nbproto_ops.h). */
int nb_proto_request_parse(const json_t *msg,
                           nb_proto_request_t *ret_req,
                           nb_proto_error_t *ret_err);
/* True when s is an operation or event name: 1..NB_PROTO_NAME_MAX bytes of [a-z0-9._-],
 * starting with a letter. */
bool nb_proto_name_valid(const char *s);

/* ---- Fast paths: a message without a jansson tree -----------------------------------
 * For the messages sent and received most often (a 'connection' event and its fd, short
 * replies), what the calls above cost besides the system calls is the jansson tree built,
 * serialised, parsed and freed (README "Control protocol codec and fd passing"). These
 * calls give the same bytes on the wire and the same verdicts without one. */

/* Stack room of a line builder: a line that outgrows it moves to the heap. */
#define NB_PROTO_LINE_SMALL 512

/* A line built member by member, as compact JSON: the same bytes jansson's JSON_COMPACT
 * dump of the same object gives (same escapes, members in the order added). Errors are
 * sticky and reported by nb_proto_line_end: -EINVAL (a string or key that is not UTF-8,
 * a NULL string, a top-level "fds" member, which end writes, close without open, an
 * invalid event name or reply id), -ENOMEM. Keep it where it was begun (it points into
 * itself) and nb_proto_line_free it whatever happened. */
typedef struct nb_proto_line_s {
    char *buf; /* small, or the heap once the line outgrew it */
    size_t len;
    size_t cap;
    int err;
    int depth; /* objects open: 1 for the message itself */
    bool comma;
    char small[NB_PROTO_LINE_SMALL];
} nb_proto_line_t;

/* "{"; or {"event":name; or {"id":id,"ok":true,"result":{ (closed by end). */
void nb_proto_line_begin(nb_proto_line_t *l);
void nb_proto_line_event(nb_proto_line_t *l, const char *name);
void nb_proto_line_reply_ok(nb_proto_line_t *l, int64_t id);
/* Members of the innermost open object. */
void nb_proto_line_str(nb_proto_line_t *l, const char *key, const char *value);
void nb_proto_line_int(nb_proto_line_t *l, const char *key, int64_t value);
void nb_proto_line_bool(nb_proto_line_t *l, const char *key, bool value);
void nb_proto_line_null(nb_proto_line_t *l, const char *key);
/* Any jansson value, dumped as JSON_COMPACT would (scalars without jansson's dumper). */
void nb_proto_line_json(nb_proto_line_t *l, const char *key, const json_t *value);
/* Every member of obj, in its order. */
void nb_proto_line_members(nb_proto_line_t *l, const json_t *obj);
/* "key":{ ... }: members go into the nested object until close. */
void nb_proto_line_open(nb_proto_line_t *l, const char *key);
void nb_proto_line_close(nb_proto_line_t *l);
/* Closes what is open, adds "fds":nfds when nfds > 0 (as nb_proto_writer_push does), and
 * the '\n'. Returns 0 with the line (borrowed from l, '\n' included) or the first error. */
int nb_proto_line_end(nb_proto_line_t *l, size_t nfds, const char **ret_line, size_t *ret_len);
/* Frees what the line took from the heap; l may then be begun again. NULL is fine. */
void nb_proto_line_free(nb_proto_line_t *l);

/* As nb_proto_writer_push_line followed by nb_proto_writer_flush, with the same results
 * (0: all sent; -EAGAIN: something is queued, flush when the socket is writable; push's
 * errors with nothing queued; flush's errors with the queue as flush leaves it), only
 * cheaper: when nothing is queued the line goes to sendmsg straight from the caller's
 * buffer with the caller's fds, neither copied nor duplicated, and only what the socket
 * did not take is queued (with duplicates of the fds if none of it went). The caller's fds
 * stay the caller's, as with push: a connection handed to a peer that dies unsent can go
 * to another. */
int nb_proto_writer_send_line(nb_proto_writer_t *w,
                              int sockfd,
                              const char *line,
                              size_t len,
                              const int *fds,
                              size_t nfds);

/* The members of a message's top level that receivers look at first. */
typedef struct nb_proto_head_s {
    const char *event; /* "event" when a string, else NULL: event_len bytes, not NUL-ended */
    size_t event_len;
    bool has_id;  /* "id" is an integer (id holds it) */
    bool id_null; /* "id" is null */
    int64_t id;
    int ok; /* "ok": 1 true, 0 false, -1 absent or not a boolean */
} nb_proto_head_t;

/* A message read without building its tree when the line is plain JSON (json_fast.c says
 * which), else with it. The line is borrowed from the reader until its next feed or read;
 * json, when not NULL, is owned as in nb_proto_msg_t; fds are the caller's. */
typedef struct nb_proto_lazy_s {
    const char *line; /* without its '\n' */
    size_t len;
    json_t *json; /* a plain line's: NULL until nb_proto_lazy_json; any other's: built */
    bool compact; /* plain, and no whitespace outside strings */
    nb_proto_head_t head;
    int fds[NB_PROTO_FDS_MAX];
    size_t nfds;
} nb_proto_lazy_t;

/* As nb_proto_reader_next, with the same verdicts, errors and fds, into a lazy message.
 * head is filled either way; event points into the line or into json. */
int nb_proto_reader_next_lazy(nb_proto_reader_t *r,
                              nb_proto_lazy_t *ret_msg,
                              nb_proto_error_t *ret_err);
/* The message's tree, parsed on first use (while the line is still valid): borrowed from
 * msg, freed by nb_proto_lazy_clear. NULL only when out of memory. */
json_t *nb_proto_lazy_json(nb_proto_lazy_t *msg);
/* Drops the tree, if any, and closes the fds still in msg. NULL is fine. */
void nb_proto_lazy_clear(nb_proto_lazy_t *msg);

#endif
