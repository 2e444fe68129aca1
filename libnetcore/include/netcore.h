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

#define NC_VERSION_MAJOR 0
#define NC_VERSION_MINOR 1
#define NC_VERSION_PATCH 0
NC_EXTERN const char *nc_version_string(void);

/* ---- Errors ------------------------------------------------------------------------ */

/* Node-only error codes, -5000 and below, so that they never meet -errno or UV_* values.
 * XX(name, value, default message). The name is Node's err.code without its prefix. */
#define NC_ERR_MAP(XX)                                                                     \
    XX(ERR_INVALID_ARG_TYPE, -5001, "invalid argument type")                               \
    XX(ERR_INVALID_ARG_VALUE, -5002, "invalid argument value")                             \
    XX(ERR_OUT_OF_RANGE, -5003, "value out of range")                                      \
    XX(ERR_INVALID_ADDRESS, -5004, "Invalid socket address")                               \
    XX(ERR_INVALID_ADDRESS_FAMILY, -5005, "invalid address family")                        \
    XX(ERR_INVALID_IP_ADDRESS, -5006, "invalid IP address")                                \
    XX(ERR_SOCKET_BAD_PORT, -5007, "port should be >= 0 and < 65536")                      \
    XX(ERR_MISSING_ARGS, -5008, "missing arguments")                                       \
    XX(ERR_SERVER_ALREADY_LISTEN, -5009, "Listen method has been called more than once "   \
                                         "without closing.")                               \
    XX(ERR_SERVER_NOT_RUNNING, -5010, "Server is not running.")                            \
    XX(ERR_SOCKET_CLOSED, -5011, "Socket is closed")                                       \
    XX(ERR_SOCKET_CLOSED_BEFORE_CONNECTION, -5012, "Socket closed before the connection "  \
                                                   "was established")                      \
    XX(ERR_SOCKET_CONNECTION_TIMEOUT, -5013, "Socket connection timeout")                  \
    XX(ERR_INVALID_HANDLE_TYPE, -5014, "This handle type cannot be sent")                  \
    XX(ERR_INVALID_FD_TYPE, -5015, "Unsupported fd type")                                  \
    XX(ERR_STREAM_DESTROYED, -5016, "Cannot call write after a stream was destroyed")      \
    XX(ERR_STREAM_WRITE_AFTER_END, -5017, "write after end")                               \
    XX(ERR_UNKNOWN_ENCODING, -5018, "Unknown encoding")                                    \
    XX(ABORT_ERR, -5019, "The operation was aborted")                                      \
    XX(ERR_STREAM_PUSH_AFTER_EOF, -5020, "stream.push() after EOF")                        \
    XX(ERR_AGGREGATE, -5021, "All connection attempts failed")

typedef enum {
#define NC_XX(name, value, msg) NC_##name = (value),
    NC_ERR_MAP(NC_XX)
#undef NC_XX
} nc_err_code_t;

/* Room for any address text libnetcore produces: an IPv6 literal with a zone id, or a
 * Unix socket path (sun_path is 108 bytes on Linux). */
#define NC_ADDRSTRLEN 128
#define NC_ERROR_MESSAGE_MAX 256

/* Node's Error object: err.code is nc_err_name(code), err.errno is `code` itself for
 * system errors (Node's errno is negative too) and absent (0) for ERR_* codes. */
struct nc_error_s {
    int code;                            /* negative status, as returned by the call */
    const char *syscall;                 /* static string ("connect"), or NULL */
    char address[NC_ADDRSTRLEN];         /* "" when the error has none */
    int port;                            /* -1 when the error has none */
    char message[NC_ERROR_MESSAGE_MAX];  /* Node's err.message */
    nc_error_t *errors;                  /* aggregate: one per failed attempt, owned */
    size_t nerrors;
};

/* Node's err.code for a status: "EADDRINUSE", "ERR_SOCKET_CLOSED", "EOF"... Never NULL:
 * an unknown status gives "UNKNOWN". */
NC_EXTERN const char *nc_err_name(int code);
/* A human message for a status (strerror for errno values, Node's text for ERR_*). */
NC_EXTERN const char *nc_strerror(int code);
/* Node's err.errno: the status for system errors, 0 for Node-only ERR_* codes. */
NC_EXTERN int nc_error_errno(const nc_error_t *err);
/* Frees what an error owns (the aggregate's members) and resets it to "no error". Safe on
 * a zeroed or already-cleared error and on NULL. */
NC_EXTERN void nc_error_clear(nc_error_t *err);

/* ---- isIP, isIPv4, isIPv6 ---------------------------------------------------------- */

/* Node: node-net.md "net.isIP(input)". 4 or 6 for a valid literal, else 0. Exactly
 * Node 20's answers: no leading zeros in IPv4, zone ids allowed in IPv6, NUL bytes and
 * trailing newlines make the input invalid. `s` may be NULL only when len is 0. */
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
 * defaults: family "ipv4", address "127.0.0.1" (or "::" for ipv6), port 0, flowlabel 0. */
struct nc_socketaddress_options_s {
    const char *address; /* NULL: the family's default */
    size_t address_len;
    const char *family; /* NULL: "ipv4"; compared case-insensitively, as Node does */
    int64_t port;       /* 0..65535, else ERR_SOCKET_BAD_PORT */
    int64_t flowlabel;  /* 0..0xFFFFF, else ERR_OUT_OF_RANGE */
};

/* Builds a SocketAddress. Errors: ERR_INVALID_ARG_VALUE (family), ERR_SOCKET_BAD_PORT,
 * ERR_OUT_OF_RANGE (flowlabel), ERR_INVALID_ADDRESS (address not of the family). */
NC_EXTERN int nc_socketaddress_init(const nc_socketaddress_options_t *opts,
                                    nc_sockaddr_t *ret,
                                    nc_error_t *ret_err);
/* Node 22's SocketAddress.parse(): "host:port", "[v6]:port" or a bare host, parsed as a
 * WHATWG URL's host and port are. Returns 0, or ERR_INVALID_ADDRESS where Node returns
 * undefined. */
NC_EXTERN int nc_socketaddress_parse(const char *s, size_t len, nc_sockaddr_t *ret);
/* The four properties. address writes NUL-terminated text into buf (NC_ADDRSTRLEN is
 * always enough) and returns its length, or -ENOSPC. family is "ipv4" or "ipv6". */
NC_EXTERN int nc_socketaddress_address(const nc_sockaddr_t *sa, char *buf, size_t size);
NC_EXTERN const char *nc_socketaddress_family(const nc_sockaddr_t *sa);
NC_EXTERN int nc_socketaddress_port(const nc_sockaddr_t *sa);
NC_EXTERN uint32_t nc_socketaddress_flowlabel(const nc_sockaddr_t *sa);

/* ---- BlockList --------------------------------------------------------------------- */

/* Node: node-net.md "Class: net.BlockList". Refcounted: _new gives one reference,
 * nc_blocklist_unref(NULL) does nothing and every unref returns NULL. */
NC_EXTERN int nc_blocklist_new(nc_blocklist_t **ret);
NC_EXTERN nc_blocklist_t *nc_blocklist_ref(nc_blocklist_t *bl);
NC_EXTERN nc_blocklist_t *nc_blocklist_unref(nc_blocklist_t *bl);

/* `type` is "ipv4" or "ipv6" (case-insensitive as Node; NULL means "ipv4"); a bad type is
 * ERR_INVALID_ARG_VALUE, an address not of the type is ERR_INVALID_ADDRESS, a bad prefix
 * ERR_OUT_OF_RANGE. */
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
/* The same rules from SocketAddress values (Node accepts either). */
NC_EXTERN int nc_blocklist_add_address_sa(nc_blocklist_t *bl, const nc_sockaddr_t *address);
NC_EXTERN int nc_blocklist_add_range_sa(nc_blocklist_t *bl,
                                        const nc_sockaddr_t *start,
                                        const nc_sockaddr_t *end,
                                        nc_error_t *ret_err);
NC_EXTERN int nc_blocklist_add_subnet_sa(nc_blocklist_t *bl,
                                         const nc_sockaddr_t *net,
                                         int64_t prefix,
                                         nc_error_t *ret_err);

/* 1 when a rule matches, 0 when none does or the address is not valid for `type` (as
 * Node, which returns false), ERR_INVALID_ARG_VALUE for a bad type. IPv4 rules match
 * IPv4-mapped IPv6 addresses and the reverse. Does not depend on the number of rules
 * linearly: an index is rebuilt on the first check after rules change. */
NC_EXTERN int nc_blocklist_check(nc_blocklist_t *bl,
                                 const char *address,
                                 size_t address_len,
                                 const char *type,
                                 nc_error_t *ret_err);
NC_EXTERN int nc_blocklist_check_sa(nc_blocklist_t *bl, const nc_sockaddr_t *address);

/* blockList.rules: the number of rules, and rule i in Node's order (newest first) in
 * Node's words ("Address: IPv4 1.2.3.4", "Range: IPv4 a-b", "Subnet: IPv6 ::/64"),
 * NUL-terminated. Returns the text's length, -ENOENT past the end, -ENOSPC if buf is
 * too small (NC_BLOCKLIST_RULE_MAX always suffices). */
#define NC_BLOCKLIST_RULE_MAX 128
NC_EXTERN size_t nc_blocklist_rule_count(const nc_blocklist_t *bl);
NC_EXTERN int nc_blocklist_rule(const nc_blocklist_t *bl, size_t i, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* NETCORE_H */
