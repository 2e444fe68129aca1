/* netcore.h: node:net in C on libuv. The only public header of libnetcore.
 *
 * Conventions (see libnetcore/API.md for the node:net name of each function):
 * - Every call that can fail returns int: 0 (or a count, or a boolean 0/1) on success, a
 *   negative code on failure. Codes are -errno, libuv statuses passed through, or the
 *   Node-only NC_ERR_* codes below. nc_err_name() gives Node's err.code for any of them.
 * - Text inputs are a pointer and a length: control-protocol input may hold NUL bytes.
 * - Outputs are ret_* parameters, last, written only on success.
 * - An optional nc_error_t *ret_err receives Node's full error (code, message, ...) when a
 *   call fails; pass NULL when the code is enough.
 */
#ifndef NETCORE_H
#define NETCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <uv.h>

#if defined(NC_BUILDING)
#define NC_EXTERN __attribute__((visibility("default")))
#else
#define NC_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nc_error_s nc_error_t;
typedef struct nc_sockaddr_s nc_sockaddr_t;
typedef struct nc_socketaddress_options_s nc_socketaddress_options_t;
typedef struct nc_blocklist_s nc_blocklist_t;
typedef struct nc_address_s nc_address_t;
typedef struct nc_server_s nc_server_t;
typedef struct nc_server_options_s nc_server_options_t;
typedef struct nc_listen_options_s nc_listen_options_t;
typedef struct nc_socket_s nc_socket_t;
typedef struct nc_socket_options_s nc_socket_options_t;
typedef struct nc_connect_options_s nc_connect_options_t;
typedef struct nc_abort_controller_s nc_abort_controller_t;
typedef struct nc_abort_signal_s nc_abort_signal_t;

#define NC_VERSION_MAJOR 0
#define NC_VERSION_MINOR 1
#define NC_VERSION_PATCH 0
NC_EXTERN const char *nc_version_string(void);

/* ---- Errors ------------------------------------------------------------------------ */

/* Node-only error codes, -5000 and below, so that they never meet -errno or UV_* values.
 * XX(name, value, default message). The name is Node's err.code without its prefix. */
#define NC_ERR_MAP(XX)                                                                             \
    XX(ERR_INVALID_ARG_TYPE, -5001, "invalid argument type")                                       \
    XX(ERR_INVALID_ARG_VALUE, -5002, "invalid argument value")                                     \
    XX(ERR_OUT_OF_RANGE, -5003, "value out of range")                                              \
    XX(ERR_INVALID_ADDRESS, -5004, "Invalid socket address")                                       \
    XX(ERR_INVALID_ADDRESS_FAMILY, -5005, "invalid address family")                                \
    XX(ERR_INVALID_IP_ADDRESS, -5006, "invalid IP address")                                        \
    XX(ERR_SOCKET_BAD_PORT, -5007, "port should be >= 0 and < 65536")                              \
    XX(ERR_MISSING_ARGS, -5008, "missing arguments")                                               \
    XX(ERR_SERVER_ALREADY_LISTEN, -5009,                                                           \
       "Listen method has been called more than once without closing.")                            \
    XX(ERR_SERVER_NOT_RUNNING, -5010, "Server is not running.")                                    \
    XX(ERR_SOCKET_CLOSED, -5011, "Socket is closed")                                               \
    XX(ERR_SOCKET_CLOSED_BEFORE_CONNECTION, -5012,                                                 \
       "Socket closed before the connection was established")                                      \
    XX(ERR_SOCKET_CONNECTION_TIMEOUT, -5013, "Socket connection timeout")                          \
    XX(ERR_INVALID_HANDLE_TYPE, -5014, "This handle type cannot be sent")                          \
    XX(ERR_INVALID_FD_TYPE, -5015, "Unsupported fd type")                                          \
    XX(ERR_STREAM_DESTROYED, -5016, "Cannot call write after a stream was destroyed")              \
    XX(ERR_STREAM_WRITE_AFTER_END, -5017, "write after end")                                       \
    XX(ERR_UNKNOWN_ENCODING, -5018, "Unknown encoding")                                            \
    XX(ABORT_ERR, -5019, "The operation was aborted")                                              \
    XX(ERR_STREAM_PUSH_AFTER_EOF, -5020, "stream.push() after EOF")                                \
    XX(ERR_AGGREGATE, -5021, "All connection attempts failed")                                     \
    XX(ENOTFOUND, -5022, "getaddrinfo: name not found")

typedef enum {
#define NC_XX(name, value, msg) NC_##name = (value),
    NC_ERR_MAP(NC_XX)
#undef NC_XX
} nc_err_code_t;

/* Room for any address text libnetcore produces: an IPv6 literal with a zone id, or a
 * Unix socket path (sun_path is 108 bytes on Linux). */
#define NC_ADDRSTRLEN 128
/* Room for every message libnetcore produces: Node quotes up to 128 UTF-16 units of a
 * bad argument (ERR_INVALID_ARG_VALUE), up to 384 bytes in UTF-8. */
#define NC_ERROR_MESSAGE_MAX 512

/* Node's Error object: err.code is nc_err_name(code), err.errno is `code` itself for
 * system errors (Node's errno is negative too) and absent (0) for ERR_* codes. */
struct nc_error_s {
    int code;                           /* negative status, as returned by the call */
    const char *syscall;                /* static string ("connect"), or NULL */
    char address[NC_ADDRSTRLEN];        /* "" when the error has none */
    int port;                           /* -1 when the error has none */
    char message[NC_ERROR_MESSAGE_MAX]; /* Node's err.message */
    nc_error_t *errors;                 /* aggregate: one per failed attempt, owned */
    size_t nerrors;
};

/* Node's err.code for a status: "EADDRINUSE", "ERR_SOCKET_CLOSED", "EOF"... Never NULL:
 * an unknown status gives "UNKNOWN". */
NC_EXTERN const char *nc_err_name(int code);
/* A human message for a status (strerror for errno values, Node's text for ERR_*). */
NC_EXTERN const char *nc_strerror(int code);
/* Node's err.errno: the status for system errors, 0 for Node-only ERR_* codes and for an
 * aggregate (nerrors > 0), which has a code but no errno in Node. */
NC_EXTERN int nc_error_errno(const nc_error_t *err);
/* Frees what an error owns (the aggregate's members) and resets it to "no error". Safe on
 * a zeroed or already-cleared error and on NULL. */
NC_EXTERN void nc_error_clear(nc_error_t *err);

/* ---- isIP, isIPv4, isIPv6 ---------------------------------------------------------- */

/* Node: node-net.md "net.isIP(input)". 4 or 6 for a valid literal, else 0. Exactly
 * Node 20's answers: no leading zeros in IPv4, zone ids allowed in IPv6, NUL bytes and
 * trailing newlines make the input invalid. `s` may be NULL only when len is 0. No
 * allocation; linear in len. */
NC_EXTERN int nc_is_ip(const char *s, size_t len);
NC_EXTERN bool nc_is_ipv4(const char *s, size_t len);
NC_EXTERN bool nc_is_ipv6(const char *s, size_t len);

/* ---- SocketAddress ----------------------------------------------------------------- */

/* A plain value owned by the caller: an IPv4 or IPv6 address with port (and, for IPv6,
 * flowlabel and scope id). */
struct nc_sockaddr_s {
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } u;
};

/* Node: node-net.md "new net.SocketAddress([options])". Zeroed options give Node's
 * defaults: family "ipv4", address "127.0.0.1" (or "::" for ipv6), port 0, flowlabel 0.
 * As in Node the default address follows the family as written: "IPv4" gets "::", which
 * then fails. A port or flow label that is not an integer (Node 20 aborts on a string
 * port) cannot be expressed here. */
struct nc_socketaddress_options_s {
    const char *address; /* NULL: the family's default; NUL bytes make it invalid */
    size_t address_len;
    const char *family; /* NULL: "ipv4"; compared case-insensitively, as Node does */
    int64_t port;       /* 0..65535, else ERR_SOCKET_BAD_PORT */
    int64_t flowlabel;  /* 0..0xFFFFFFFF, else ERR_OUT_OF_RANGE; IPv4 drops it; IPv6
                           takes 0..0xFFFFF, and above that ERR_OUT_OF_RANGE (Node 20
                           aborts) */
};

/* Builds a SocketAddress, checking in Node's order with Node's err.code and message:
 * ERR_INVALID_ARG_VALUE (family), ERR_SOCKET_BAD_PORT, ERR_OUT_OF_RANGE (flowlabel),
 * ERR_INVALID_ADDRESS (address not of the family), then ERR_OUT_OF_RANGE for an IPv6 flow
 * label above 20 bits; -EINVAL for a NULL ret or a NULL address with a length. An IPv6
 * address may end in '%' and a zone id (scope id from if_nametoindex(), 0 when unknown,
 * as libuv does); unlike Node 20 the text before '%' is read whole, never cut at 39
 * bytes. *ret is written only on success. */
NC_EXTERN int nc_socketaddress_init(const nc_socketaddress_options_t *opts,
                                    nc_sockaddr_t *ret,
                                    nc_error_t *ret_err);
/* Node 22's SocketAddress.parse(): "host:port", "[v6]:port" or a bare host, parsed as the
 * WHATWG URL 'http://' + input parses its host and port: IPv4 in any URL form ("127.1",
 * "0x7f.1", "0177.0.0.1"), userinfo, path, query and fragment allowed, port 80 (http's
 * default) read as 0. Returns 0 (flow label and scope id 0), ERR_INVALID_ADDRESS where
 * Node returns undefined, or -EINVAL for a NULL ret or a NULL s with a length. */
NC_EXTERN int nc_socketaddress_parse(const char *s, size_t len, nc_sockaddr_t *ret);
/* The four properties. address writes NUL-terminated text into buf as Node's `address`
 * gives it (NC_ADDRSTRLEN is always enough) and returns its length, -ENOSPC, or -EINVAL
 * for NULL arguments or a family other than AF_INET/AF_INET6. family is "ipv4" or
 * "ipv6"; port is the port (-EINVAL for NULL); flowlabel is 0 for IPv4. */
NC_EXTERN int nc_socketaddress_address(const nc_sockaddr_t *sa, char *buf, size_t size);
NC_EXTERN const char *nc_socketaddress_family(const nc_sockaddr_t *sa);
NC_EXTERN int nc_socketaddress_port(const nc_sockaddr_t *sa);
NC_EXTERN uint32_t nc_socketaddress_flowlabel(const nc_sockaddr_t *sa);

/* ---- BlockList --------------------------------------------------------------------- */

/* Node: node-net.md "Class: net.BlockList". Refcounted, as a list shared by several
 * servers is: _new gives one reference (-EINVAL for a NULL ret, -ENOMEM), _ref adds one
 * and returns bl, _unref drops one and frees the list with the last; nc_blocklist_unref
 * (NULL) does nothing and every unref returns NULL. Not thread-safe (a check may rebuild
 * the index): use one list from one thread at a time, as any libuv object. */
NC_EXTERN int nc_blocklist_new(nc_blocklist_t **ret);
NC_EXTERN nc_blocklist_t *nc_blocklist_ref(nc_blocklist_t *bl);
NC_EXTERN nc_blocklist_t *nc_blocklist_unref(nc_blocklist_t *bl);

/* blockList.addAddress(address[, type]), .addRange(start, end[, type]),
 * .addSubnet(net, prefix[, type]) with text, which Node reads as
 * new SocketAddress({ address, family: type }): `type` is "ipv4" or "ipv6" (ASCII
 * case-insensitive; NULL means "ipv4"). Errors, in Node's order, with Node's messages:
 * ERR_INVALID_ARG_VALUE for a bad type ("The property 'options.family' is invalid.
 * Received 'ipv5'"); ERR_INVALID_ADDRESS for an address not of the type (a range's
 * start is read before its end); ERR_INVALID_ARG_VALUE for a range whose start is above
 * its end ("The argument 'start' must come before end. Received SocketAddress { ... }");
 * ERR_OUT_OF_RANGE for a prefix outside 0..32 (IPv4) or 0..128 (IPv6), checked after the
 * address ("The value of "prefix" is out of range. It must be >= 0 && <= 32. Received
 * 33"). -EINVAL for a NULL bl or a NULL text with a nonzero length, -ENOMEM. Returns 0
 * when the rule is added, in O(1) amortized (a later check folds it into the index). */
NC_EXTERN int nc_blocklist_add_address(nc_blocklist_t *bl,
                                       const char *address,
                                       size_t address_len,
                                       const char *type,
                                       nc_error_t *ret_err);
NC_EXTERN int nc_blocklist_add_range(nc_blocklist_t *bl,
                                     const char *start,
                                     size_t start_len,
                                     const char *end,
                                     size_t end_len,
                                     const char *type,
                                     nc_error_t *ret_err);
NC_EXTERN int nc_blocklist_add_subnet(nc_blocklist_t *bl,
                                      const char *net,
                                      size_t net_len,
                                      int64_t prefix,
                                      const char *type,
                                      nc_error_t *ret_err);
/* The same rules from SocketAddress values (Node accepts either); the port, flow label
 * and scope id play no part. A range may mix families, as in Node: it is refused only
 * when start and end compare (same family, or the IPv6 one IPv4-mapped) and start is
 * above end. Errors as above; -EINVAL for a NULL or non-IP address. */
NC_EXTERN int nc_blocklist_add_address_sa(nc_blocklist_t *bl, const nc_sockaddr_t *address);
NC_EXTERN int nc_blocklist_add_range_sa(nc_blocklist_t *bl,
                                        const nc_sockaddr_t *start,
                                        const nc_sockaddr_t *end,
                                        nc_error_t *ret_err);
NC_EXTERN int nc_blocklist_add_subnet_sa(nc_blocklist_t *bl,
                                         const nc_sockaddr_t *net,
                                         int64_t prefix,
                                         nc_error_t *ret_err);

/* blockList.check(address[, type]): 1 when a rule matches, else 0. As in Node, which
 * builds the SocketAddress inside try/catch, a bad type or an address not valid for the
 * type is 0, never an error. Node's cross-family matching is kept exactly: an IPv4 rule
 * also matches the IPv4-mapped IPv6 form of its addresses (::ffff:1.2.3.4), and an IPv6
 * rule matches an IPv4 address when it matches its mapped form, except that an IPv4
 * address never matches a range with an unmapped IPv6 bound (::-ffff:: holds
 * ::ffff:1.2.3.4 but not 1.2.3.4) and an unmapped IPv6 address never matches a range
 * with an IPv4 bound. Returns -EINVAL (only) for a NULL bl or a NULL text with a nonzero
 * length. Rules added since the index was built are scanned one by one, up to sqrt(n) of
 * them; one more and the check rebuilds the index (O(n) plus sorting the new rules, the
 * only time a check allocates). Otherwise a check costs about the same at 10 or 1,000,000
 * rules. */
NC_EXTERN int nc_blocklist_check(nc_blocklist_t *bl,
                                 const char *address,
                                 size_t address_len,
                                 const char *type,
                                 nc_error_t *ret_err);
/* The same for a SocketAddress value: -EINVAL for a NULL or non-IP address. */
NC_EXTERN int nc_blocklist_check_sa(nc_blocklist_t *bl, const nc_sockaddr_t *address);

/* blockList.rules: the number of rules (0 for NULL), and rule i in Node's order (newest
 * first) in Node's words, NUL-terminated: "Address: IPv4 1.2.3.4", "Range: IPv4
 * 10.0.0.1-10.0.0.10", "Subnet: IPv6 8592:757c:efae:4e45::/64". The family is the
 * address's (a range's start's), the address is printed as Node prints it (uv_inet_ntop:
 * no zone id, "::ffff:1.2.3.4" for a mapped one, a subnet's host bits kept). Duplicates
 * are listed as Node lists them. Returns the text's length, -ENOENT past the end, -ENOSPC
 * when buf is too small (NC_BLOCKLIST_RULE_MAX always suffices), -EINVAL for NULLs. */
#define NC_BLOCKLIST_RULE_MAX 128
NC_EXTERN size_t nc_blocklist_rule_count(const nc_blocklist_t *bl);
NC_EXTERN int nc_blocklist_rule(const nc_blocklist_t *bl, size_t i, char *buf, size_t size);

/* ---- Encodings --------------------------------------------------------------------- */

/* Node: buffer.md "Buffers and character encodings": what socket.setEncoding() and
 * socket.write(data, encoding) accept. Text on the C side is always UTF-8: write() takes
 * the string as UTF-8 bytes, and a decoder gives 'data' as UTF-8 text. */
typedef enum {
    NC_ENCODING_UTF8 = 0,  /* "utf8", "utf-8" */
    NC_ENCODING_UTF16LE,   /* "utf16le", "utf-16le", "ucs2", "ucs-2" */
    NC_ENCODING_LATIN1,    /* "latin1", "binary" */
    NC_ENCODING_ASCII,     /* "ascii" */
    NC_ENCODING_HEX,       /* "hex" */
    NC_ENCODING_BASE64,    /* "base64" */
    NC_ENCODING_BASE64URL, /* "base64url" */
} nc_encoding_t;

/* Node's normalizeEncoding(): the names above, ASCII case-insensitively ("UTF-8",
 * "Binary"). NULL or "" is utf8, as socket.setEncoding() with no argument and
 * socket.write(data, '') take it. Returns the nc_encoding_t value (>= 0), or
 * ERR_UNKNOWN_ENCODING with Node's message "Unknown encoding: <name>". */
NC_EXTERN int nc_encoding_parse(const char *name, size_t len, nc_error_t *ret_err);
/* Node's canonical name, as socket.readableEncoding and StringDecoder.encoding give it:
 * "utf8", "utf16le", "latin1", "ascii", "hex", "base64", "base64url". NULL for a value
 * that is not an nc_encoding_t. */
NC_EXTERN const char *nc_encoding_name(nc_encoding_t enc);

/* The bytes of Buffer.from(string, enc), `string` given as s[0..len) in UTF-8. Bytes that
 * are not UTF-8 are read as Buffer.toString('utf8') reads them: one U+FFFD per maximal
 * ill-formed subpart (WHATWG). Node's quirks are kept: latin1 and ascii (alike) keep the
 * low byte of each UTF-16 code unit, so an astral character gives two bytes; hex and
 * base64 look only at that low byte too ("\u0141\u0142" is hex "AB"); hex stops at the
 * first pair that is not two hex digits and drops an odd last digit; base64 and base64url
 * both accept either alphabet, skip any other character (whitespace included), stop at
 * the first '=', and turn a last group of 2 or 3 characters into 1 or 2 bytes.
 *
 * With buf NULL and size 0 nothing is written: a size query. Otherwise the bytes go to
 * buf (no NUL is added). Returns 0 and the exact length in *ret_len; -ENOSPC when size is
 * less than that length (buf then holds an unspecified prefix); -EINVAL for a bad enc or
 * a NULL pointer with a nonzero length. s may hold NUL bytes. */
NC_EXTERN int nc_encoding_encode(nc_encoding_t enc,
                                 const char *s,
                                 size_t len,
                                 void *buf,
                                 size_t size,
                                 size_t *ret_len);
/* A bound, computed in O(1), on the length nc_encoding_encode() gives for any len bytes
 * of input: 3*len for utf8, 2*len for utf16le, len for latin1 and ascii, len/2 for hex,
 * about 3*len/4 for base64 and base64url.
 * Saturates at SIZE_MAX; 0 for a bad enc. */
NC_EXTERN size_t nc_encoding_encode_max(nc_encoding_t enc, size_t len);

/* ---- StringDecoder ----------------------------------------------------------------- */

/* Node: string_decoder.md "Class: StringDecoder", the decoder socket.setEncoding()
 * installs. A plain value owned by the caller (no allocation, nothing to free); the
 * fields are private. Bytes go in, UTF-8 text comes out; a character split across writes
 * is held back until it is complete, exactly where Node holds it back (utf8: up to 3
 * bytes of a sequence; utf16le: an odd byte and a high surrogate; base64/base64url: the
 * 1-2 bytes of an incomplete 3-byte group). Each write's text is Node's string for that
 * write in UTF-8, with one difference that UTF-8 forces: Node can end a string with a
 * lone high surrogate (utf16le, after an odd-length write) whose low half opens the next
 * string; UTF-8 cannot hold half a character, so the decoder keeps that surrogate for the
 * next write. The texts joined are always Node's strings joined, in UTF-8. A surrogate
 * left unpaired becomes U+FFFD, as Buffer.from(string, 'utf8') makes it. */
typedef struct nc_string_decoder_s nc_string_decoder_t;
struct nc_string_decoder_s {
    nc_encoding_t encoding;
    uint8_t nbuffered;       /* bytes of an incomplete character held in buffered[] */
    uint8_t nmissing;        /* bytes it still lacks, as Node counts them */
    uint8_t buffered[4];     /* Node's kIncompleteCharactersEnd is 4 */
    uint16_t high_surrogate; /* utf16le: held for the next write; 0 when none */
};

/* Makes *dec a fresh decoder for enc. Returns 0, or -EINVAL for a NULL dec or a bad enc. */
NC_EXTERN int nc_string_decoder_init(nc_string_decoder_t *dec, nc_encoding_t enc);
/* The buffer size (NUL included) that nc_string_decoder_write() of len bytes needs in any
 * state of dec; len 0 gives what nc_string_decoder_end() needs. It depends only on the
 * encoding: 3*len + 10 for utf8, 3*((len + 3) / 2) + 4 for utf16le, 2*len + 1 for latin1
 * and hex, len + 1 for ascii, 4*((len + 4) / 3) + 1 for base64 and base64url. Saturates
 * at SIZE_MAX; 0 for a NULL or uninitialised decoder. */
NC_EXTERN size_t nc_string_decoder_max_size(const nc_string_decoder_t *dec, size_t len);
/* decoder.write(data): decodes data[0..len) (any bytes) into buf as NUL-terminated UTF-8
 * text; *ret_len gets its length without the NUL (the text may hold U+0000 as a NUL byte
 * when the input decodes to it). Returns 0; -ENOSPC, with nothing consumed, when size is
 * below nc_string_decoder_max_size(dec, len); -EINVAL for NULL pointers (data may be NULL
 * when len is 0) or an uninitialised decoder. */
NC_EXTERN int nc_string_decoder_write(nc_string_decoder_t *dec,
                                      const void *data,
                                      size_t len,
                                      char *buf,
                                      size_t size,
                                      size_t *ret_len);
/* decoder.end(): the text of whatever is held back, written as by _write (utf8: U+FFFD
 * per ill-formed subpart of an incomplete sequence; utf16le: a trailing odd byte is
 * dropped and a lone surrogate is U+FFFD; base64: the last group with '=' padding,
 * base64url without), then the decoder is fresh again for more writes, as Node's is.
 * Errors as nc_string_decoder_write() with len 0. */
NC_EXTERN int nc_string_decoder_end(nc_string_decoder_t *dec,
                                    char *buf,
                                    size_t size,
                                    size_t *ret_len);
/* ---- AbortController, AbortSignal ------------------------------------------------- */

/* Node: globals.md "Class: AbortController", the `signal` option of server.listen() and
 * new net.Socket() / net.connect(). No loop is involved: abort() calls the signal's
 * listeners at once, in the order they were added, each once. A listener added after the
 * abort is never called (as addEventListener on an aborted signal). The reason is a status
 * code; 0 stands for Node's default reason, a DOMException AbortError (ABORT_ERR). */
typedef void (*nc_abort_cb)(nc_abort_signal_t *signal, void *data);

/* A controller with a fresh signal; the controller holds one reference to the signal.
 * Errors: -EINVAL, -ENOMEM. */
NC_EXTERN int nc_abort_controller_new(nc_abort_controller_t **ret);
/* controller.signal, borrowed (nc_abort_signal_ref to keep it past the controller). */
NC_EXTERN nc_abort_signal_t *nc_abort_controller_signal(nc_abort_controller_t *controller);
/* controller.abort(reason): a no-op when already aborted. */
NC_EXTERN void nc_abort_controller_abort(nc_abort_controller_t *controller, int reason);
/* Frees the controller and lets go of its signal reference. NULL is a no-op. */
NC_EXTERN void nc_abort_controller_free(nc_abort_controller_t *controller);
/* AbortSignal.abort(reason): a signal aborted from birth, with one reference. */
NC_EXTERN int nc_abort_signal_new_aborted(int reason, nc_abort_signal_t **ret);
NC_EXTERN nc_abort_signal_t *nc_abort_signal_ref(nc_abort_signal_t *signal);
/* Returns NULL; unref(NULL) does nothing. */
NC_EXTERN nc_abort_signal_t *nc_abort_signal_unref(nc_abort_signal_t *signal);
NC_EXTERN bool nc_abort_signal_aborted(const nc_abort_signal_t *signal);
/* signal.reason: NC_ABORT_ERR for the default reason, or the code given to abort(); 0
 * while not aborted. */
NC_EXTERN int nc_abort_signal_reason(const nc_abort_signal_t *signal);
/* addEventListener('abort', cb, { once: true }): 0, -EINVAL or -ENOMEM. */
NC_EXTERN int nc_abort_signal_add(nc_abort_signal_t *signal, nc_abort_cb cb, void *data);
/* removeEventListener: the first listener with cb and data; 0 or -ENOENT. */
NC_EXTERN int nc_abort_signal_remove(nc_abort_signal_t *signal, nc_abort_cb cb, void *data);

/* ---- Events ------------------------------------------------------------------------ */

/* Node: events.md "Class: EventEmitter", shared by Server and Socket.
 * - Several listeners per event, called in the order they were added; a once-listener is
 *   removed before it is called.
 * - As in Node, emit works on the listeners present when it started: a listener added
 *   during an emit is not called by it; a listener removed during an emit is still called
 *   by that emit (Node copies the array), so its data must stay valid until the emit
 *   returns. Removing during an emit never frees memory that the emit still walks.
 * - No event fires inside the call that caused it: events caused by a call are deferred
 *   to a per-loop queue drained after the current libuv callback, like process.nextTick.
 * - Each event has its own argument struct, passed as `arg` (NULL where Node passes
 *   nothing); the listener casts it to the type the event documents.
 * - An 'error' with no listener is dropped (Node would throw); 'close' still follows.
 * _on/_once return 0, -EINVAL (NULL cb, unknown event) or -ENOMEM. _off removes the most
 * recently added listener with the same cb and data (as Node's removeListener) and returns
 * 0, or -ENOENT. listener_count returns the number of listeners of the event. */

/* Node's address() object, also used for local/remote addresses. For a Unix socket,
 * `address` holds the path (an abstract name starts with a NUL byte, so use
 * address_len), port is -1 and family is NULL. */
struct nc_address_s {
    char address[NC_ADDRSTRLEN];
    size_t address_len;
    int port;
    const char *family; /* "IPv4", "IPv6" or NULL */
};

/* ---- Server ------------------------------------------------------------------------ */

/* Node: node-net.md "Class: net.Server". Events and their `arg`:
 *   NC_SERVER_LISTENING  NULL          once bound, a later turn after listen
 *   NC_SERVER_CONNECTION nc_server_connection_t  a new socket, borrowed: the server
 *                        keeps it alive until its 'close'; nc_socket_retain to keep it
 *   NC_SERVER_CLOSE      NULL          after close() once every connection has ended
 *   NC_SERVER_ERROR      nc_error_t    listen/accept failures; no 'close' follows
 *   NC_SERVER_DROP       nc_server_drop_t  a connection refused by maxConnections */
typedef enum {
    NC_SERVER_LISTENING,
    NC_SERVER_CONNECTION,
    NC_SERVER_CLOSE,
    NC_SERVER_ERROR,
    NC_SERVER_DROP,
    NC_SERVER_EVENT_COUNT
} nc_server_event_t;

typedef struct {
    nc_socket_t *socket;
} nc_server_connection_t;

/* Node 20's 'drop' data: filled for TCP servers (has_address), empty for Unix ones. */
typedef struct {
    bool has_address;
    nc_address_t local;
    nc_address_t remote;
} nc_server_drop_t;

typedef void (*nc_server_event_cb)(nc_server_t *server, const void *arg, void *data);
/* server.close(cb): status 0, or ERR_SERVER_NOT_RUNNING if it was not open. */
typedef void (*nc_server_close_cb)(nc_server_t *server, int status, void *data);
typedef void (*nc_server_connections_cb)(nc_server_t *server, int status, int count, void *data);

/* Node: node-net.md "net.createServer([options][, connectionListener])". Zeroed options
 * are Node's defaults. keep_alive_initial_delay is in milliseconds. high_water_mark 0
 * means 16384; it becomes the accepted sockets' writable highWaterMark. */
struct nc_server_options_s {
    bool allow_half_open;
    bool pause_on_connect;
    bool no_delay;
    bool keep_alive;
    unsigned keep_alive_initial_delay;
    size_t high_water_mark;
};

/* Node: node-net.md "server.listen(options[, callback])". With `path` set it is an IPC
 * server on that path (path_len bytes; a leading NUL byte names an abstract socket),
 * else a TCP server on host:port. host NULL listens on '::' (dual stack), or '0.0.0.0'
 * where IPv6 cannot be bound. A host that is not an IP literal is looked up first
 * (getaddrinfo off the loop thread, as Node's dns.lookup) and the server listens on the
 * first address; a failed lookup is emitted as 'error' ("getaddrinfo ENOTFOUND name").
 * backlog 0 means 511; any other value goes to listen(2) as Node 20 passes it (a negative
 * one means the system's maximum). */
struct nc_listen_options_s {
    int port;
    const char *host;
    const char *path;
    size_t path_len;
    int backlog;
    /* Node's cluster option: false (the default) lets an installed listen provider hand
     * the server its listening fd (nc_set_listen_provider); true always binds here. */
    bool exclusive;
    bool ipv6_only;
    bool readable_all;
    bool writable_all;
    /* Node: "server.listen(options)" `signal`: abort() closes the server, as close()
     * does; an already-aborted signal closes it on the next turn, before 'listening'
     * (which then never comes). Borrowed during the call; the server keeps a reference
     * until its 'close'. */
    nc_abort_signal_t *signal;
};

/* A new server with one reference, owned by the caller. It is freed once the caller
 * called nc_server_release and it is not listening and its 'close' (if any) was emitted.
 * opts may be NULL. Errors: -EINVAL, -ENOMEM. */
NC_EXTERN int nc_server_new(uv_loop_t *loop, const nc_server_options_t *opts, nc_server_t **ret);
/* The owner lets go. A listening server lives on until nc_server_close completes. */
NC_EXTERN void nc_server_release(nc_server_t *server);

NC_EXTERN int nc_server_on(nc_server_t *server,
                           nc_server_event_t event,
                           nc_server_event_cb cb,
                           void *data);
NC_EXTERN int nc_server_once(nc_server_t *server,
                             nc_server_event_t event,
                             nc_server_event_cb cb,
                             void *data);
NC_EXTERN int nc_server_off(nc_server_t *server,
                            nc_server_event_t event,
                            nc_server_event_cb cb,
                            void *data);
NC_EXTERN int nc_server_listener_count(nc_server_t *server, nc_server_event_t event);

/* Starts listening; opts NULL is Node's listen() with no arguments (port 0, default host).
 * Thrown errors are returned (and described in *ret_err when not NULL):
 * ERR_SERVER_ALREADY_LISTEN, ERR_SOCKET_BAD_PORT, ERR_INVALID_ARG_VALUE (host not an IP
 * literal, path empty or holding a NUL byte), ERR_MISSING_ARGS, uv_pipe_chmod's error.
 * A path longer than sun_path is cut to fit, as libuv does for Node; address() still
 * shows it as given (up to NC_ADDRSTRLEN - 1 bytes). Bind and listen failures
 * (EADDRINUSE, EACCES) are emitted as 'error' with Node's message, e.g.
 * "listen EADDRINUSE: address already in use :::8080"; the server may listen again. */
NC_EXTERN int nc_server_listen(nc_server_t *server,
                               const nc_listen_options_t *opts,
                               nc_error_t *ret_err);
/* Node: "server.listen(handle[, backlog][, callback])" with { fd }. fd must be a bound TCP
 * or Unix stream socket (ERR_INVALID_FD_TYPE otherwise); on success the server owns it
 * and closes it on close. backlog 0 means 511. A net.Socket as the handle: pass a dup of
 * nc_socket_fileno(), as an fd has one owner here. */
NC_EXTERN int nc_server_listen_fd(nc_server_t *server, int fd, int backlog, nc_error_t *ret_err);

/* Node: "server.close([callback])". Stops accepting; 'close' follows once every
 * connection has ended. cb (may be NULL) is a once-listener of 'close' that receives
 * ERR_SERVER_NOT_RUNNING when the server was not listening. Returns 0 or -ENOMEM. */
NC_EXTERN int nc_server_close(nc_server_t *server, nc_server_close_cb cb, void *data);
/* server.address(): 0, or -ENOTCONN where Node returns null. */
NC_EXTERN int nc_server_address(const nc_server_t *server, nc_address_t *ret);
NC_EXTERN bool nc_server_listening(const nc_server_t *server);
/* cb runs on a later turn with the number of open connections. */
NC_EXTERN int nc_server_get_connections(nc_server_t *server,
                                        nc_server_connections_cb cb,
                                        void *data);
/* server.maxConnections: a negative value means no limit (Node's undefined), and so does
 * 0, as Node 20 tests the value for truth. */
NC_EXTERN void nc_server_set_max_connections(nc_server_t *server, int max);
NC_EXTERN int nc_server_max_connections(const nc_server_t *server);
/* The listening fd (Node's server._handle.fd), borrowed; -EBADF when not listening. */
NC_EXTERN int nc_server_fileno(const nc_server_t *server);
/* Loop liveness only; memory is nc_server_release's business. */
NC_EXTERN void nc_server_ref(nc_server_t *server);
NC_EXTERN void nc_server_unref(nc_server_t *server);
/* Node: "server.listen(handle[, backlog])" where handle is another net.Server (its
 * _handle): this server listens on a duplicate of other's listening fd, so both accept
 * from the same kernel socket and each closes its own fd. ERR_SERVER_ALREADY_LISTEN,
 * ERR_INVALID_ARG_VALUE when other is not listening, -EINVAL, the dup error. */
NC_EXTERN int nc_server_listen_server(nc_server_t *server,
                                      nc_server_t *other,
                                      int backlog,
                                      nc_error_t *ret_err);

/* Node: the handle cluster's primary creates for a shared server (lib/net.js
 * _createServerHandle, then listen): binds and listens as nc_server_listen would, same
 * options and errors (returned, not emitted), but hands back the listening fd (CLOEXEC,
 * non-blocking) instead of accepting on it, so that other processes can accept (with
 * nc_server_listen_fd). The caller owns the fd and, for a Unix path, the file. */
NC_EXTERN int nc_listen_socket(const nc_listen_options_t *opts, int *ret_fd, nc_error_t *ret_err);

/* ---- Listen provider: Node cluster's shared handles, from any process -------------- */

/* Node: in a cluster worker, server.listen() with `exclusive: false` binds nothing: it
 * asks the primary, which owns the listening socket, and listens on the handle it gets
 * (lib/internal/cluster/child.js _getServer). A listen provider plays the primary for a
 * whole process: a broker's client, say, without libnetcore knowing of it.
 *
 * Once cb is installed, every nc_server_listen with exclusive false that would not throw
 * calls cb(opts, req, data) instead of binding: opts (the listen's options; strings valid
 * until the answer) and req belong to libnetcore. The provider answers exactly once,
 * inside cb or later on the server's loop thread, with nc_listen_request_done:
 *   status 0, fd: a bound (listening or not) TCP or Unix stream socket, taken in every
 *     case; the server listens on it as with nc_server_listen_fd ('listening' on a later
 *     turn; a wrong fd is 'error' ERR_INVALID_FD_TYPE);
 *   NC_LISTEN_DECLINED: "not mine": the server binds itself, as if exclusive were true;
 *   a negative code: 'error' as Node's listenOnPrimaryHandle has it, syscall "bind",
 *     e.g. "bind ECONNREFUSED 127.0.0.1:8080".
 * While the answer is pending the server is not listening; a listen() or close() meanwhile
 * drops the answer (its fd is closed). The server stays allocated until the answer, so
 * a provider that never answers leaks it. cb NULL uninstalls. Process-wide, like Node's
 * cluster.isWorker; installing is thread-safe, answering is the loop thread's job. */
#define NC_LISTEN_DECLINED 1
typedef struct nc_listen_request_s nc_listen_request_t;
typedef void (*nc_listen_provider_cb)(const nc_listen_options_t *opts,
                                      nc_listen_request_t *req,
                                      void *data);
NC_EXTERN void nc_set_listen_provider(nc_listen_provider_cb cb, void *data);
/* The loop of the server that asked, for a provider that answers asynchronously. */
NC_EXTERN uv_loop_t *nc_listen_request_loop(const nc_listen_request_t *req);
/* Answers req (freed by the call) as above; -EINVAL for a NULL req, status 0 with a
 * negative fd, or a positive status other than NC_LISTEN_DECLINED (req then stands). */
NC_EXTERN int nc_listen_request_done(nc_listen_request_t *req, int status, int fd);

/* ---- Socket ------------------------------------------------------------------------ */

/* Node: node-net.md "Class: net.Socket". Events and their `arg`:
 *   NC_SOCKET_CONNECT, NC_SOCKET_READY  NULL, once connected ('ready' right after)
 *   NC_SOCKET_DATA     nc_socket_data_t: bytes valid only during the call (they live
 *                      in a buffer shared by the loop), or NUL-terminated UTF-8 text
 *                      after nc_socket_set_encoding; adding a listener starts the flow
 *                      unless pause() was called. While not flowing nothing is read:
 *                      the bytes wait in the kernel, not in memory of ours
 *   NC_SOCKET_END      NULL, the peer ended its side
 *   NC_SOCKET_FINISH   NULL, our end() was flushed and shut down
 *   NC_SOCKET_DRAIN    NULL, the write queue emptied after write returned 0
 *   NC_SOCKET_ERROR    nc_error_t; 'close' follows
 *   NC_SOCKET_CLOSE    nc_socket_close_t, always last
 *   NC_SOCKET_TIMEOUT  NULL, idle for the setTimeout delay; nothing is closed
 *   NC_SOCKET_LOOKUP   nc_socket_lookup_t, after resolving a host name, before connecting
 *   NC_SOCKET_CONNECTION_ATTEMPT          nc_socket_attempt_t (error NULL), a TCP connect
 *                                         attempt starts
 *   NC_SOCKET_CONNECTION_ATTEMPT_FAILED   nc_socket_attempt_t, it failed (ECANCELED when
 *                                         destroyed during it, before 'close')
 *   NC_SOCKET_CONNECTION_ATTEMPT_TIMEOUT  nc_socket_attempt_t (error NULL), autoSelectFamily
 *                                         gave up on it after the attempt timeout */
typedef enum {
    NC_SOCKET_CONNECT,
    NC_SOCKET_READY,
    NC_SOCKET_DATA,
    NC_SOCKET_END,
    NC_SOCKET_FINISH,
    NC_SOCKET_DRAIN,
    NC_SOCKET_ERROR,
    NC_SOCKET_CLOSE,
    NC_SOCKET_TIMEOUT,
    NC_SOCKET_LOOKUP,
    NC_SOCKET_CONNECTION_ATTEMPT,
    NC_SOCKET_CONNECTION_ATTEMPT_FAILED,
    NC_SOCKET_CONNECTION_ATTEMPT_TIMEOUT,
    NC_SOCKET_EVENT_COUNT
} nc_socket_event_t;

typedef struct {
    const char *base;
    size_t len;
} nc_socket_data_t;

typedef struct {
    bool had_error;
} nc_socket_close_t;

/* Node's 'lookup' (err, address, family, host): error NULL on success. One per address
 * (autoSelectFamily asks for all of them), with what the lookup answered, before it is
 * checked: a custom lookup's bad answer is shown as given. Unlike Node, no 'lookup' comes
 * after a destroy() that happened during the lookup: 'close' is last. */
typedef struct {
    const nc_error_t *error;
    const char *address; /* NULL with an error */
    int family;          /* 4 or 6 from getaddrinfo; as answered by a custom lookup; 0 with
                            an error */
    const char *host;
} nc_socket_lookup_t;

/* 'connectionAttempt' (ip, port, family), 'connectionAttemptFailed' (ip, port, family,
 * error), 'connectionAttemptTimeout' (ip, port, family). As in Node an IPC connect has
 * its attempt events too: ip is then the path ('@' for an abstract name's NUL), port -1
 * and family 0 (Node's undefined). */
typedef struct {
    const char *ip;
    int port;
    int family; /* 4 or 6; 0 for a path */
    const nc_error_t *error;
} nc_socket_attempt_t;

typedef void (*nc_socket_event_cb)(nc_socket_t *socket, const void *arg, void *data);
/* A write's completion, called once: 0, or the error (ERR_STREAM_WRITE_AFTER_END,
 * ERR_SOCKET_CLOSED, a write error). destroy() before the connection was made gives a
 * write made meanwhile ERR_SOCKET_CLOSED_BEFORE_CONNECTION, as Node; a write the kernel
 * had not taken in full gets -ECANCELED where Node passes null (its onWriteComplete on a
 * destroyed stream), so that C can tell the bytes were not all sent. */
typedef void (*nc_socket_write_cb)(nc_socket_t *socket, int status, void *data);
/* onread's callback(nread, buf): buf is the onread_buffer; false stops reading. */
typedef bool (*nc_socket_onread_cb)(nc_socket_t *socket, size_t nread, void *buf, void *data);

/* Node: "new net.Socket([options])". has_fd wraps an existing TCP or Unix stream socket
 * (the socket owns it on success); readable/writable only matter with an fd, as in Node.
 * high_water_mark 0 means 16384. */
struct nc_socket_options_s {
    bool has_fd;
    int fd;
    bool allow_half_open;
    bool readable;
    bool writable;
    size_t high_water_mark;
    /* Node: `signal`: abort() destroys the socket with an AbortError (ABORT_ERR, "The
     * operation was aborted"); an already-aborted signal destroys it on the next turn.
     * Borrowed during the call; the socket keeps a reference until it is freed. */
    nc_abort_signal_t *signal;
    /* Node: `onread` { buffer, callback }: reads land in onread_buffer (onread_len
     * bytes, the caller's, valid until the socket is freed) and go to onread instead of
     * 'data'; reading starts once connected unless pause() was called. onread returning
     * false stops reading until resume(). Node's net.createServer() has no such option:
     * accepted sockets always emit 'data'. */
    void *onread_buffer;
    size_t onread_len;
    nc_socket_onread_cb onread;
    void *onread_data;
};

/* Node: "socket.connect(options[, connectListener])" with a custom `lookup` function.
 * Node's contract: lookup(hostname, { family, hints, all }, callback). libnetcore calls fn
 * on a later turn than the connect call; fn answers with nc_lookup_done(req, ...) exactly
 * once, inside fn or later (req stays valid until then, even if the socket was destroyed
 * meanwhile, in which case the answer is dropped). */
typedef struct nc_lookup_req_s nc_lookup_req_t;
typedef struct {
    int family; /* options.family as given: not validated, as Node passes it on */
    int hints;  /* options.hints, or AI_ADDRCONFIG when family is not 4/6 and hints is 0 */
    bool all;   /* true: answer every address (autoSelectFamily); false: one */
} nc_lookup_options_t;
typedef struct {
    const char *address; /* checked by the socket as Node checks it: must be an IP literal */
    int family;          /* must be 4 or 6 */
} nc_lookup_address_t;
typedef void (*nc_lookup_fn)(nc_lookup_req_t *req,
                             const char *hostname,
                             const nc_lookup_options_t *opts,
                             void *data);
/* The lookup's answer: err (NULL, or err->code 0, for success; else copied, message and
 * all, and the socket is destroyed with it after a 'lookup' event carrying it), or n
 * addresses (copied). With all false only addrs[0] is read. n 0 with all true is an
 * error (ERR_INVALID_IP_ADDRESS "Invalid IP address: undefined"; Node 20 throws a
 * TypeError there). Returns 0, or -EINVAL for a NULL req or addrs with n > 0. */
NC_EXTERN int nc_lookup_done(nc_lookup_req_t *req,
                             const nc_error_t *err,
                             const nc_lookup_address_t *addrs,
                             size_t n);

/* Node: "socket.connect(options[, connectListener])". `path` (path_len bytes, a leading
 * NUL for an abstract name) makes an IPC connection; else host and port. host is an IP
 * literal (connected on the next turn) or a name, looked up first ('lookup' follows) by
 * `lookup` or, when NULL, by getaddrinfo off the loop thread; NULL or "" means
 * "localhost", as in Node. Zeroed fields are Node's defaults. Delays in ms. */
struct nc_connect_options_s {
    int port; /* 0..65535, else ERR_SOCKET_BAD_PORT (Node accepts 0 too) */
    const char *host;
    int family; /* 0, 4 or 6; checked only when getaddrinfo resolves a name, as Node's
                   dns.lookup checks it */
    const char *path;
    size_t path_len;
    /* The socket's starting values, as the Socket constructor's options that Node 20's
     * net.createConnection passes on: they turn noDelay/keepAlive on, never off, unless
     * nc_socket_set_no_delay/_keep_alive already chose a value on this socket. */
    bool no_delay;
    bool keep_alive;
    unsigned keep_alive_initial_delay;
    /* Appended for connect in full. */
    const char *local_address; /* an IP literal, else ERR_INVALID_IP_ADDRESS */
    int local_port;            /* bound before connecting; a port the kernel does not give
                                  (outside 1..65535) is EADDRINUSE on 'bind', as Node */
    int hints;                 /* getaddrinfo ai_flags: AI_ADDRCONFIG, AI_V4MAPPED, AI_ALL
                                  only (ERR_INVALID_ARG_VALUE), checked for getaddrinfo */
    nc_lookup_fn lookup;       /* NULL: getaddrinfo */
    void *lookup_data;
    int auto_select_family; /* 0: nc_get_default_auto_select_family(), > 0 on, < 0 off */
    int64_t auto_select_family_attempt_timeout; /* 0: the default; 1..2**31-1 (below 10
                                                   means 10), else ERR_OUT_OF_RANGE */
    uint64_t timeout; /* nc_create_connection only, as net.createConnection: setTimeout */
};

/* A new socket with one reference, owned by the caller; it is freed once 'close' was
 * emitted and every reference was released. opts may be NULL. Errors: -EINVAL, -ENOMEM,
 * ERR_INVALID_FD_TYPE, the open error. */
NC_EXTERN int nc_socket_new(uv_loop_t *loop, const nc_socket_options_t *opts, nc_socket_t **ret);
NC_EXTERN nc_socket_t *nc_socket_retain(nc_socket_t *socket);
/* Lets go of a reference. NULL is a no-op. Returns NULL. A socket that is still open
 * stays open; release never closes. */
NC_EXTERN nc_socket_t *nc_socket_release(nc_socket_t *socket);

NC_EXTERN int nc_socket_on(nc_socket_t *socket,
                           nc_socket_event_t event,
                           nc_socket_event_cb cb,
                           void *data);
NC_EXTERN int nc_socket_once(nc_socket_t *socket,
                             nc_socket_event_t event,
                             nc_socket_event_cb cb,
                             void *data);
NC_EXTERN int nc_socket_off(nc_socket_t *socket,
                            nc_socket_event_t event,
                            nc_socket_event_cb cb,
                            void *data);
NC_EXTERN int nc_socket_listener_count(nc_socket_t *socket, nc_socket_event_t event);

/* Starts connecting; 'connect' or 'error' follows. After 'close' the socket connects
 * again, as Node's connect() after _undestroy(): a new handle, byte counters from zero,
 * listeners, encoding and onread kept, the timeout cleared. Thrown errors, in Node's
 * order: ERR_SOCKET_CLOSED (destroyed and 'close' not emitted yet, where Node 20 fails
 * later with EALREADY), -EALREADY (connecting or connected), ERR_INVALID_IP_ADDRESS
 * (local_address), ERR_SOCKET_BAD_PORT, ERR_OUT_OF_RANGE (attempt timeout), then for a
 * name resolved by getaddrinfo ERR_INVALID_ARG_VALUE (family, hints, a host over 255
 * bytes), and ERR_INVALID_ARG_VALUE for a path empty or holding a NUL byte (a longer path
 * is cut to fit sun_path, as libuv does for Node). Failures to resolve or connect are
 * emitted as 'error' with Node's message ("connect ECONNREFUSED 127.0.0.1:1",
 * "getaddrinfo ENOTFOUND name"; with autoSelectFamily and several addresses, one
 * aggregate error: code the first attempt's, message "", no errno, errors[] holding each
 * attempt's error). With autoSelectFamily (and family 0, no local_address) every address
 * is asked for, the families interleaved from the first one's, tried one at a time, each
 * but the last given the attempt timeout. */
NC_EXTERN int nc_socket_connect(nc_socket_t *socket,
                                const nc_connect_options_t *opts,
                                nc_error_t *ret_err);

/* Node: "net.createConnection(options[, connectListener])": a new socket (as nc_socket_new
 * with NULL options), setTimeout(opts->timeout) when not 0, then connect. On failure no
 * socket is left over. Errors as nc_socket_new and nc_socket_connect. */
NC_EXTERN int nc_create_connection(uv_loop_t *loop,
                                   const nc_connect_options_t *opts,
                                   nc_socket_t **ret,
                                   nc_error_t *ret_err);

/* Node: "net.getDefaultAutoSelectFamily()" (true in Node 20) and its setter, process-wide.
 * "net.getDefaultAutoSelectFamilyAttemptTimeout()" (250 ms) and its setter: 1..2**31-1,
 * below 10 means 10, else ERR_OUT_OF_RANGE with Node's message. Atomic: any thread. */
NC_EXTERN bool nc_get_default_auto_select_family(void);
NC_EXTERN void nc_set_default_auto_select_family(bool value);
NC_EXTERN int64_t nc_get_default_auto_select_family_attempt_timeout(void);
NC_EXTERN int nc_set_default_auto_select_family_attempt_timeout(int64_t value, nc_error_t *ret_err);
/* socket.autoSelectFamilyAttemptedAddresses: the count (0 where Node has no such
 * property: the family autoselection did not run) and entry i ("ip:port", borrowed until
 * the socket is freed), NULL past the end. */
NC_EXTERN size_t nc_socket_attempted_address_count(const nc_socket_t *socket);
NC_EXTERN const char *nc_socket_attempted_address(const nc_socket_t *socket, size_t i);

/* Node: "socket.write(data[, encoding][, callback])". Tries to write at once; what the
 * kernel does not take is copied and queued. Returns 1 when writableLength stays below
 * highWaterMark, 0 when the caller should wait for 'drain', or a negative error
 * (ERR_STREAM_WRITE_AFTER_END, ERR_STREAM_DESTROYED, ERR_SOCKET_CLOSED) which cb also
 * receives on a later turn. cb may be NULL. A peer that has gone makes the write fail
 * with EPIPE ('error', then 'close' with hadError): as Node does at startup, the first
 * libnetcore object sets SIGPIPE to SIG_IGN unless the program gave it a disposition of
 * its own. */
NC_EXTERN int nc_socket_write(nc_socket_t *socket,
                              const void *buf,
                              size_t len,
                              nc_socket_write_cb cb,
                              void *data);
/* Node: "socket.end([data])": writes buf (len may be 0) then half-closes. */
NC_EXTERN int nc_socket_end(nc_socket_t *socket, const void *buf, size_t len);
/* Node: "socket.destroy([error])". error 0 for none; a negative code is emitted as
 * 'error' (message nc_strerror) before 'close'. Idempotent. */
NC_EXTERN void nc_socket_destroy(nc_socket_t *socket, int error);
NC_EXTERN void nc_socket_destroy_soon(nc_socket_t *socket);
/* Node: "socket.resetAndDestroy()": RST instead of FIN. ERR_INVALID_HANDLE_TYPE on a Unix
 * socket. */
NC_EXTERN int nc_socket_reset_and_destroy(nc_socket_t *socket);
NC_EXTERN void nc_socket_pause(nc_socket_t *socket);
NC_EXTERN void nc_socket_resume(nc_socket_t *socket);
/* TCP only; a no-op elsewhere (as Node). Returns 0 or the setsockopt error. As Node, the
 * socket remembers the value: set with no handle (before connect, after destroy or
 * 'close') it is only kept, and every later TCP connect sets it once connected; a Unix
 * socket neither sets nor keeps it. A value set here wins over connect's options. */
NC_EXTERN int nc_socket_set_no_delay(nc_socket_t *socket, bool no_delay);
NC_EXTERN int nc_socket_set_keep_alive(nc_socket_t *socket, bool enable, unsigned initial_delay_ms);
/* Idle timeout in ms, 0 disables. 'timeout' fires once per idle period. */
NC_EXTERN void nc_socket_set_timeout(nc_socket_t *socket, uint64_t timeout_ms);
/* As Node, they act on the handle: with none (before connect, after destroy or 'close')
 * the call waits for the next 'connect', and a connect after 'close' starts ref'd. */
NC_EXTERN void nc_socket_ref(nc_socket_t *socket);
NC_EXTERN void nc_socket_unref(nc_socket_t *socket);

/* The socket's fd (Node's socket._handle.fd), borrowed; -EBADF without an open handle.
 * Not const: from then on the socket assumes the caller may hold a copy of the fd, and
 * ends it with shutdown(2) even when it is about to close (close sends no FIN while a
 * copy lives). */
NC_EXTERN int nc_socket_fileno(nc_socket_t *socket);
NC_EXTERN uint64_t nc_socket_bytes_read(const nc_socket_t *socket);
NC_EXTERN uint64_t nc_socket_bytes_written(const nc_socket_t *socket);
NC_EXTERN bool nc_socket_connecting(const nc_socket_t *socket);
NC_EXTERN bool nc_socket_destroyed(const nc_socket_t *socket);
NC_EXTERN bool nc_socket_pending(const nc_socket_t *socket);
NC_EXTERN bool nc_socket_readable(const nc_socket_t *socket);
NC_EXTERN bool nc_socket_writable(const nc_socket_t *socket);
/* "opening", "open", "readOnly", "writeOnly" or "closed". */
NC_EXTERN const char *nc_socket_ready_state(const nc_socket_t *socket);
NC_EXTERN size_t nc_socket_writable_length(const nc_socket_t *socket);
/* bufferSize: writableLength, or -ENOTCONN where Node gives undefined (no handle). */
NC_EXTERN int64_t nc_socket_buffer_size(const nc_socket_t *socket);
NC_EXTERN uint64_t nc_socket_timeout(const nc_socket_t *socket);
/* socket.address() and remoteAddress/remotePort/remoteFamily: 0, or -ENOTCONN (no open
 * handle), or -ENOTSUP for a Unix socket: Node's {} and undefined in both cases, as its
 * pipe handle has neither getsockname nor getpeername. As Node's socket._peername, the
 * remote address first answered is kept and answered again once the handle is gone
 * (address() gives -ENOTCONN then, Node's {}). */
NC_EXTERN int nc_socket_address(const nc_socket_t *socket, nc_address_t *ret);
NC_EXTERN int nc_socket_remote_address(const nc_socket_t *socket, nc_address_t *ret);

/* Node: "socket.setEncoding([encoding])": from now on 'data' gives NUL-terminated UTF-8
 * text (nc_socket_data_t.base[len] is NUL), decoded as Node's StringDecoder decodes: a
 * character split across reads is held back, and what is still held at the end is
 * flushed as a last 'data' before 'end'. NULL or "" means utf8. Errors (thrown in Node,
 * nothing changes): ERR_UNKNOWN_ENCODING "Unknown encoding: <name>", -EINVAL. */
NC_EXTERN int nc_socket_set_encoding(nc_socket_t *socket,
                                     const char *encoding,
                                     nc_error_t *ret_err);
/* Node: readable.isPaused(): pause() was called and resume() not since. */
NC_EXTERN bool nc_socket_is_paused(const nc_socket_t *socket);
/* socket.readableEncoding: "utf8", "hex"... or NULL (Node's null) before setEncoding. */
NC_EXTERN const char *nc_socket_readable_encoding(const nc_socket_t *socket);
/* Node: "socket.write(data, encoding[, callback])" with a string: str[0..len) is UTF-8
 * text, turned into bytes as Buffer.from(string, encoding) (NULL or "" is utf8), then
 * written as nc_socket_write. Thrown errors come first, with nothing written and no
 * callback: ERR_UNKNOWN_ENCODING, ERR_INVALID_ARG_TYPE for a NULL str (Node's undefined
 * chunk), -ENOMEM. Otherwise as nc_socket_write. */
NC_EXTERN int nc_socket_write_string(nc_socket_t *socket,
                                     const char *str,
                                     size_t len,
                                     const char *encoding,
                                     nc_socket_write_cb cb,
                                     void *data,
                                     nc_error_t *ret_err);
/* Node: "socket.end(data, encoding)": write_string then end. */
NC_EXTERN int nc_socket_end_string(nc_socket_t *socket,
                                   const char *str,
                                   size_t len,
                                   const char *encoding,
                                   nc_error_t *ret_err);

#ifdef __cplusplus
}
#endif
#endif /* NETCORE_H */
