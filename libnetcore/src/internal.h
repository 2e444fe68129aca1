/* internal.h: what libnetcore's files share and nobody else sees. */
#ifndef NC_INTERNAL_H
#define NC_INTERNAL_H

#include "netcore.h"

#include <stdarg.h>
#include <stddef.h>
#include <sys/un.h>

#define NC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The value of an ASCII hex digit, or -1: shared by isIP, URL hosts and hex decoding. */
static inline int nc__hex_value(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Fills *err (when not NULL) with a Node-style error: code, no syscall/address, a
 * printf-formatted message. Returns code, so that `return nc__error(err, r, ...)` reads
 * as one step. */
int nc__error(nc_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Frees what err owns (an aggregate's errors) and leaves err itself as it is: for an
 * error about to be freed or recycled, where nc_error_clear's reset would be wasted. */
void nc__error_free_nested(nc_error_t *err);

/* The family check of Node's SocketAddress constructor, which BlockList reuses: "ipv4" or
 * "ipv6" after JS toLowerCase() (which can only matter for ASCII letters here); NULL
 * means "ipv4". Returns AF_INET/AF_INET6, or ERR_INVALID_ARG_VALUE with Node's message
 * for `what` ("The property 'options.family' is invalid. Received 'foo'"). */
int nc__family_parse(const char *family, const char *what, nc_error_t *err);

/* util.inspect(string) as Node 20 prints it with default options: the quote strEscape()
 * picks (' then " then `), its escapes, long text split at newlines into '...' + '...'.
 * NUL-terminated; cut short, at a character boundary, when size is too small. Bytes that
 * are not UTF-8 read as U+FFFD. */
void nc__inspect_string(char *buf, size_t size, const char *s, size_t len);

/* Node's ERR_INVALID_ARG_VALUE(name, value, reason) for a string value, message and all:
 * "The property 'options.family' is invalid. Received 'foo'" ("argument" for a name
 * without a dot; reason NULL means "is invalid"), the inspection cut at 128 UTF-16 units
 * plus "..." as Node cuts it. Returns NC_ERR_INVALID_ARG_VALUE. */
int nc__error_arg_value(nc_error_t *err,
                        const char *name,
                        const char *reason,
                        const char *s,
                        size_t len);

/* Node's ERR_OUT_OF_RANGE(name, range, value) for an integer value: "The value of
 * \"prefix\" is out of range. It must be >= 0 && <= 32. Received 33", with Node's '_'
 * separators past 2**32 ("-1_099_511_627_776"). Returns NC_ERR_OUT_OF_RANGE. */
int nc__error_out_of_range(nc_error_t *err, const char *name, const char *range, int64_t value);

/* Literals by the grammar of Node's IPv4Reg and IPv6Reg (lib/internal/net.js), which
 * libuv's uv_inet_pton() and the WHATWG URL IPv6 parser accept alike: a dotted quad with
 * no leading zeros; an IPv6 literal without a zone id. No NUL, no allocation. They write
 * out (network order) and return true, or return false and leave out alone. */
bool nc__ip4_parse(const char *s, size_t len, uint8_t out[4]);
bool nc__ip6_parse(const char *s, size_t len, uint8_t out[16]);

/* SocketAddress.parse()'s reading of input (urlhost.c): the host and port of the URL
 * 'http://' + input, where the host must be an IPv4 address (in any WHATWG form: "127.1",
 * "0x7f.1", "0177.0.0.1", IDNA-mapped digits) or a bracketed IPv6 one, and port 80, the
 * scheme's default, reads as 0. Returns 0 with *ret set (flow label and scope 0), or
 * NC_ERR_INVALID_ADDRESS. */
int nc__url_socketaddress(const char *s, size_t len, nc_sockaddr_t *ret);

/* UTF-8 read as V8 reads it (WHATWG "UTF-8 decode", which Buffer.toString('utf8') and
 * StringDecoder both use): the character that starts s[0..len), len >= 1. Returns the
 * bytes it takes (1-4) with its code point in *ret_cp, or the length of one maximal
 * ill-formed subpart with U+FFFD. */
size_t nc__utf8_decode(const uint8_t *s, size_t len, uint32_t *ret_cp);
/* Writes the UTF-8 form of the scalar value cp to out; returns its length (1-4). */
size_t nc__utf8_encode(uint32_t cp, uint8_t out[4]);
/* ---- Objects, events and the per-loop deferred queue (emitter.c, loop.c) ---------- */

#include <uv.h>

#define nc__container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

typedef void (*nc__fn)(void);

typedef struct nc__listener_s {
    struct nc__listener_s *next;
    nc__fn fn;
    void *data;
    uint64_t added;   /* emitter generation when added */
    uint64_t removed; /* generation when removed, 0 while live */
    int event;
    bool once;
} nc__listener_t;

typedef struct nc__loop_s nc__loop_t;

typedef struct {
    nc__listener_t *head;
    nc__listener_t **tailp;
    uint64_t gen;
    uint16_t depth; /* emits in progress: removed nodes are freed when it is back to 0 */
    uint16_t nevents;
    /* Bit e set: event e may have a listener (set by on, made exact by each sweep). Most
     * events of a connection have none, and an emit that finds its bit clear is over
     * before it walks the list. */
    uint16_t may_have;
    bool dirty; /* some node is marked removed: the next sweep has work */
} nc__emitter_t;

typedef struct {
    nc__listener_t *cur;
    uint64_t gen;
    int event;
} nc__emit_iter_t;

/* Listener nodes come from and go back to lp's block cache: every accepted connection
 * gets a listener or two. */
void nc__emitter_init(nc__emitter_t *em, int nevents);
void nc__emitter_clear(nc__emitter_t *em, nc__loop_t *lp);
int nc__emitter_on(nc__emitter_t *em, nc__loop_t *lp, int event, nc__fn fn, void *data, bool once);
int nc__emitter_off(nc__emitter_t *em, nc__loop_t *lp, int event, nc__fn fn, void *data);
int nc__emitter_count(const nc__emitter_t *em, int event);
static inline bool nc__emitter_may_have(const nc__emitter_t *em, int event)
{
    return (em->may_have >> event) & 1u;
}
/* Typed emit loops: begin, then next until it returns false, then end. Inline: they
 * are the whole of every emit, and LTO's inlining of them across files came and went
 * with unrelated changes (40 instructions an echo when it went). */
static inline void nc__emit_begin(nc__emitter_t *em, int event, nc__emit_iter_t *it)
{
    em->depth++;
    it->cur = em->head;
    it->gen = em->gen;
    it->event = event;
}

static inline bool nc__emit_next(nc__emitter_t *em,
                                 nc__emit_iter_t *it,
                                 nc__fn *ret_fn,
                                 void **ret_data)
{
    /* Node copies the listener array before calling: a node added after the emit began
     * (added > gen) is skipped, one removed after it began (removed > gen) still runs. */
    for (nc__listener_t *l = it->cur; l != NULL; l = l->next) {
        if (l->event != it->event || l->added > it->gen ||
            (l->removed != 0 && l->removed <= it->gen)) {
            continue;
        }
        if (l->once && l->removed == 0) {
            l->removed = ++em->gen;
            em->dirty = true;
        }
        it->cur = l->next;
        *ret_fn = l->fn;
        *ret_data = l->data;
        return true;
    }
    it->cur = NULL;
    return false;
}

/* Frees the listeners marked removed and makes may_have exact again. */
void nc__emitter_sweep(nc__emitter_t *em, nc__loop_t *lp);
static inline void nc__emit_end(nc__emitter_t *em, nc__loop_t *lp)
{
    /* A sweep walks every listener: only worth it when an emit removed one. */
    if (--em->depth == 0 && em->dirty) {
        nc__emitter_sweep(em, lp);
    }
}
typedef struct nc__obj_s nc__obj_t;

/* What Server and Socket share: their loop's context, a memory refcount (owner, queued
 * ticks, open handles, emits in progress each hold one) and the emitter. */
struct nc__obj_s {
    nc__loop_t *lp;
    uv_loop_t *loop;
    unsigned refs;
    void (*finalize)(nc__obj_t *obj);
    nc__emitter_t em;
};

/* A deferred call, embedded in the object or request it belongs to: no allocation. */
typedef struct nc__tick_s {
    struct nc__tick_s *next;
    void (*fn)(struct nc__tick_s *t);
    nc__obj_t *obj;
    bool queued;
} nc__tick_t;

int nc__obj_init(nc__obj_t *obj, uv_loop_t *loop, int nevents, void (*finalize)(nc__obj_t *));
/* As nc__obj_init, on a loop context the caller already holds a reference to (which
 * passes to obj): an accepted socket takes its server's without the registry's lock. */
void nc__obj_init_on(nc__obj_t *obj,
                     nc__loop_t *lp,
                     uv_loop_t *loop,
                     int nevents,
                     void (*finalize)(nc__obj_t *));
void nc__obj_retain(nc__obj_t *obj);
void nc__obj_release(nc__obj_t *obj);

void nc__tick_init(nc__tick_t *t, nc__obj_t *obj, void (*fn)(nc__tick_t *));
/* Queues t (once; a queued tick is not queued again) and holds obj until it ran. */
void nc__tick_push(nc__tick_t *t);
/* Runs a queued t at once, out of its turn, where Node would have called it then and
 * there (its obj is held until it returned); nothing when t is not queued. */
void nc__tick_run_now(nc__tick_t *t);
/* Runs the queue dry: every libuv callback of libnetcore ends with it, as Node runs
 * process.nextTick callbacks after each callback from the loop. */
void nc__loop_drain(nc__loop_t *lp);
/* The loop's read buffer, shared by every socket of the loop (one read at a time). */
void nc__read_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);

/* A reference to loop's context (made on first use), or NULL without memory; another
 * reference to a context already held; and its release. */
nc__loop_t *nc__loop_acquire(uv_loop_t *loop);
nc__loop_t *nc__loop_hold(nc__loop_t *lp);
void nc__loop_release(nc__loop_t *lp);

/* The blocks every connection allocates, recycled per loop (loop.c says why). Each kind
 * always has the same size. get returns a zeroed block or NULL without memory. */
typedef enum {
    NC__BLOCK_SOCKET,
    NC__BLOCK_SOCKET_EXT,
    NC__BLOCK_LISTENER,
    NC__BLOCK_KINDS
} nc__block_t;
void *nc__block_get(nc__loop_t *lp, nc__block_t kind, size_t size);
/* As nc__block_get, but only the first `zeroed` bytes are zeroed: for a caller that sets
 * the rest itself before any read. */
void *nc__block_get_part(nc__loop_t *lp, nc__block_t kind, size_t size, size_t zeroed);
void nc__block_put(nc__loop_t *lp, nc__block_t kind, void *block);

/* ---- Addresses and errors of Server and Socket ------------------------------------ */

/* Fills ret from a sockaddr (IP or Unix); 0 or -EINVAL. */
int nc__address_from(const struct sockaddr *sa, socklen_t len, nc_address_t *ret);
/* Node's system error: "<syscall> <CODE> <addr>:<port>" (or "<addr>" when port <= 0),
 * with libuv's text after the code for listen, as uvExceptionWithHostPort has it. */
int nc__error_sys(nc_error_t *err, int code, const char *syscall, const char *addr, int port);
/* Builds a Unix address for path (abstract when path[0] is NUL); ERR_INVALID_ARG_VALUE
 * when it does not fit. */
int nc__unix_addr(const char *path, size_t len, struct sockaddr_un *ret, socklen_t *ret_len);
/* UV_TCP or UV_NAMED_PIPE for a TCP or Unix stream socket, else UV_UNKNOWN_HANDLE. */
uv_handle_type nc__fd_stream_type(int fd);
/* 4 or 6 for an IPv4 or IPv6 literal (no zone id), else 0. */
int nc__ip_family(const char *host);
/* A Unix path for messages: an abstract name's leading NUL shown as '@'. */
void nc__unix_display(const char *path, size_t len, char *buf, size_t size);
/* Sets SO_KEEPALIVE and, when enabling with a delay, TCP_KEEPIDLE (s), KEEPCNT, KEEPINTVL. */
int nc__tcp_keepalive(int fd, bool enable, unsigned delay_ms);

/* Node's DNSException for getaddrinfo's status: "getaddrinfo ENOTFOUND host" (EAI_NONAME
 * and EAI_NODATA read as ENOTFOUND), syscall and hostname. Returns the code (lookup.c). */
int nc__lookup_error(nc_error_t *err, int status, const char *host);

/* Server <-> Socket. */
int nc__socket_accepted(nc_server_t *server,
                        uv_stream_t *listener,
                        const nc_server_options_t *o,
                        nc_socket_t **ret);
void nc__server_connection_gone(nc_server_t *server);

/* Server <-> listen provider (listen_provider.c). nc__provider_ask returns NC__LISTEN_OWN
 * when no provider takes the listen (server.c then binds itself), 0 once asked. */
#define NC__LISTEN_OWN 1
int nc__provider_ask(nc_server_t *server,
                     unsigned listen_id,
                     const nc_listen_options_t *opts,
                     int backlog);
int nc__server_listen_own(nc_server_t *server,
                          const nc_listen_options_t *opts,
                          int backlog,
                          nc_error_t *err);
/* Whether listen attempt id is still the server's: no listen() or close() since. */
bool nc__server_listen_current(const nc_server_t *server, unsigned id);
/* Keeps the server alive for a pending request (true), or lets it go (false); returns
 * the server's loop. */
uv_loop_t *nc__server_hold(nc_server_t *server, bool hold);
/* Emits err (taken: it owns nothing) as 'error' on a later turn. */
void nc__server_error_later(nc_server_t *server, const nc_error_t *err);

#endif
