/* nbproto_ops.h: the operations of the protocol (PROTOCOL.md section 9). One table describes
 * each operation's arguments, result, fds and access right, and each event's members; one
 * validator reads that table for every operation, decodes arguments into the typed structs
 * below for the daemon, and builds requests from those structs for the client. */
#ifndef NBPROTO_OPS_H
#define NBPROTO_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "nbproto.h"

/* Integer argument not given (and without a default). */
#define NB_PROTO_UNSET INT64_MIN
/* Integer argument given as null: "no limit" where the argument allows null. */
#define NB_PROTO_NULL (INT64_MIN + 1)

/* Server names: 1..64 bytes of [A-Za-z0-9._-], not starting with '.' or '-'. */
#define NB_PROTO_SERVER_NAME_MAX 64
/* Stored fd names, as systemd's FDNAME: 1..255 bytes of printable ASCII, no ':'. */
#define NB_PROTO_FD_NAME_MAX 255
/* Unix socket paths: sun_path less its terminating NUL; "@name" is abstract. */
#define NB_PROTO_PATH_MAX 107
/* Rules in one blocklist argument. */
#define NB_PROTO_RULES_MAX 1024

/* ---- Operations -------------------------------------------------------------------- */
#define NB_PROTO_OP_MAP(XX)                                                                        \
    XX(HELLO, "hello")                                                                             \
    XX(SERVER_CREATE, "server.create")                                                             \
    XX(SERVER_LIST, "server.list")                                                                 \
    XX(SERVER_INFO, "server.info")                                                                 \
    XX(SERVER_SET, "server.set")                                                                   \
    XX(SERVER_CLOSE, "server.close")                                                               \
    XX(SERVER_ACQUIRE, "server.acquire")                                                           \
    XX(SERVER_SUBSCRIBE, "server.subscribe")                                                       \
    XX(SERVER_UNSUBSCRIBE, "server.unsubscribe")                                                   \
    XX(SOCKET_CONNECT, "socket.connect")                                                           \
    XX(BLOCKLIST_ADD, "blocklist.add")                                                             \
    XX(BLOCKLIST_REMOVE, "blocklist.remove")                                                       \
    XX(BLOCKLIST_LIST, "blocklist.list")                                                           \
    XX(BLOCKLIST_CHECK, "blocklist.check")                                                         \
    XX(FD_STORE, "fd.store")                                                                       \
    XX(FD_RETRIEVE, "fd.retrieve")                                                                 \
    XX(FD_LIST, "fd.list")                                                                         \
    XX(FD_REMOVE, "fd.remove")                                                                     \
    XX(EVENTS_SUBSCRIBE, "events.subscribe")                                                       \
    XX(EVENTS_UNSUBSCRIBE, "events.unsubscribe")                                                   \
    XX(STATS, "stats")                                                                             \
    XX(DAEMON_RELOAD, "daemon.reload")                                                             \
    XX(DAEMON_SHUTDOWN, "daemon.shutdown")                                                         \
    XX(TAKEOVER_BEGIN, "takeover.begin")                                                           \
    XX(TAKEOVER_NEXT, "takeover.next")                                                             \
    XX(TAKEOVER_COMMIT, "takeover.commit")                                                         \
    XX(TAKEOVER_ABORT, "takeover.abort")

typedef enum {
#define NB_PROTO_XX(id, name) NB_PROTO_OP_##id,
    NB_PROTO_OP_MAP(NB_PROTO_XX)
#undef NB_PROTO_XX
        NB_PROTO_OP_COUNT
} nb_proto_op_id_t;

#define NB_PROTO_EVENT_MAP(XX)                                                                     \
    XX(LISTENING, "listening")                                                                     \
    XX(CONNECTION, "connection")                                                                   \
    XX(DROP, "drop")                                                                               \
    XX(CLOSE, "close")                                                                             \
    XX(ERROR, "error")

typedef enum {
#define NB_PROTO_XX(id, name) NB_PROTO_EVENT_##id,
    NB_PROTO_EVENT_MAP(NB_PROTO_XX)
#undef NB_PROTO_XX
        NB_PROTO_EVENT_COUNT
} nb_proto_event_id_t;

/* Access rights (PROTOCOL.md 9.2). The first four are per server and may appear in a
 * server's "access" rules; a bit mask of them is 1u << right. */
typedef enum {
    NB_PROTO_RIGHT_READ,
    NB_PROTO_RIGHT_ACQUIRE,
    NB_PROTO_RIGHT_SUBSCRIBE,
    NB_PROTO_RIGHT_MANAGE,
    NB_PROTO_RIGHT_CREATE,
    NB_PROTO_RIGHT_CONNECT,
    NB_PROTO_RIGHT_FD,
    NB_PROTO_RIGHT_ADMIN,
    NB_PROTO_RIGHT_NONE, /* any peer that passed hello */
} nb_proto_right_t;

/* What the right of an operation is checked against. */
typedef enum {
    NB_PROTO_SCOPE_DAEMON, /* the daemon as a whole */
    NB_PROTO_SCOPE_SERVER, /* the server named by the scope argument */
    NB_PROTO_SCOPE_FD,     /* the stored fd named by the scope argument */
} nb_proto_scope_t;

/* ---- Schemas ------------------------------------------------------------------------ */
typedef enum {
    NB_PROTO_T_BOOL,   /* JSON true/false; stored as bool */
    NB_PROTO_T_INT,    /* JSON integer (not 1.0); stored as int64_t */
    NB_PROTO_T_STRING, /* stored as const char *, borrowed from the message */
    NB_PROTO_T_ENUM,   /* JSON string among values[]; stored as int (index, -1 absent) */
    NB_PROTO_T_OBJECT, /* stored as const json_t *, borrowed; members as sub describes */
    NB_PROTO_T_ARRAY,  /* of sub objects: const json_t *; of enum strings: uint32_t mask */
} nb_proto_type_t;

/* Checks of a string beyond its type (the framing already guarantees UTF-8, no NUL). */
typedef enum {
    NB_PROTO_V_NONE,        /* length min..max bytes */
    NB_PROTO_V_SERVER_NAME, /* NB_PROTO_SERVER_NAME_MAX rule */
    NB_PROTO_V_FD_NAME,     /* NB_PROTO_FD_NAME_MAX rule */
    NB_PROTO_V_HOST,        /* an IP literal (IPv6 may carry %zone) or a DNS name */
    NB_PROTO_V_IP,          /* an IPv4 or IPv6 literal, no zone */
    NB_PROTO_V_PATH,        /* absolute Unix socket path, or "@name" (abstract) */
    NB_PROTO_V_NAME,        /* an operation or event name (nb_proto_name_valid) */
    NB_PROTO_V_FAMILY,      /* integer: 0, 4 or 6 (Node's "family") */
} nb_proto_check_t;

#define NB_PROTO_F_REQUIRED 0x1u /* absent is ERR_MISSING_ARGS (when its "when" holds) */
#define NB_PROTO_F_NULLABLE 0x2u /* null is a value: NB_PROTO_NULL / NULL */
#define NB_PROTO_F_DEFAULT  0x4u /* absent means `def` */

typedef struct nb_proto_schema_s nb_proto_schema_t;

typedef struct nb_proto_field_s {
    const char *name;
    nb_proto_type_t type;
    unsigned flags;
    int64_t min, max; /* INT: value; STRING: bytes; ARRAY: elements */
    int range_code;   /* code for an INT outside min..max; 0: ERR_OUT_OF_RANGE */
    nb_proto_check_t check;
    const char *const *values;    /* ENUM, ARRAY of enum: NULL-terminated */
    const nb_proto_schema_t *sub; /* OBJECT, ARRAY of objects */
    const char *when;             /* allowed only when sibling `when` is present... */
    const char *when_is;          /* ...and, unless NULL, is this string */
    int64_t def;                  /* with NB_PROTO_F_DEFAULT: of BOOL/INT/ENUM/enum mask */
    size_t offset;                /* in the decoded struct (schemas with size > 0) */
} nb_proto_field_t;

struct nb_proto_schema_s {
    const char *what; /* "args", "result", "rule"... for documentation */
    const nb_proto_field_t *fields;
    size_t nfields;
    bool open;                 /* unknown members are ignored, not refused */
    const char *const *one_of; /* exactly one of these members, NULL-terminated */
    size_t size;               /* size of the decoded struct; 0: not decoded */
    /* Checks between members that the table cannot say; may complete *decoded. Returns 0
     * or a code with err filled (err->id is set by the caller). */
    int (*check)(const json_t *obj, void *decoded, const char *path, nb_proto_error_t *err);
};

/* One operation. */
typedef struct nb_proto_op_s {
    nb_proto_op_id_t id;
    const char *name;
    const nb_proto_schema_t *args;    /* never NULL: an empty schema for no arguments */
    const nb_proto_schema_t *result;  /* open: clients ignore unknown members */
    uint8_t fds_in;                   /* exact fds a request carries */
    uint8_t fds_out_min, fds_out_max; /* fds a success reply carries */
    nb_proto_right_t right;           /* needed on the scope object */
    nb_proto_scope_t scope;
    const char *scope_arg;         /* the argument naming the scope object, or NULL */
    nb_proto_right_t global_right; /* when scope_arg is optional and absent */
} nb_proto_op_t;

typedef struct nb_proto_event_s {
    nb_proto_event_id_t id;
    const char *name;
    const nb_proto_schema_t *fields; /* open */
    uint8_t fds_min, fds_max;
} nb_proto_event_t;

/* ---- Decoded arguments --------------------------------------------------------------
 * Filled by nb_proto_request_validate: every value is checked, defaults are filled in, and
 * strings and json_t pointers are borrowed from the request's message. */
typedef enum { NB_PROTO_MODE_ACQUIRE, NB_PROTO_MODE_DISPATCH } nb_proto_mode_t;
typedef enum {
    NB_PROTO_RULE_ADDRESS,
    NB_PROTO_RULE_RANGE,
    NB_PROTO_RULE_SUBNET
} nb_proto_rule_kind_t;
typedef enum { NB_PROTO_IPV4, NB_PROTO_IPV6 } nb_proto_ip_type_t;

typedef struct {
    int64_t version;
} nb_proto_hello_args_t;

typedef struct {
    const char *name;
    const char *host;        /* NULL: Node's default ("::", else "0.0.0.0") */
    int64_t port;            /* NB_PROTO_UNSET when path is given */
    const char *path;        /* NULL when port is given */
    int64_t backlog;         /* 511 */
    bool exclusive;          /* false */
    bool ipv6_only;          /* false */
    bool readable_all;       /* false */
    bool writable_all;       /* false */
    int mode;                /* nb_proto_mode_t, NB_PROTO_MODE_ACQUIRE */
    int64_t max_connections; /* NB_PROTO_NULL: no limit (default) */
    int64_t queue_limit;     /* 128 */
    int64_t queue_timeout;   /* ms, 5000; 0: none */
    const json_t *blocklist; /* array of rules, or NULL */
    const json_t *access;    /* array of access rules, or NULL */
} nb_proto_server_create_args_t;

/* server.set: NB_PROTO_UNSET / NULL pointers mean "leave as it is". */
typedef struct {
    const char *name;
    int64_t max_connections; /* NB_PROTO_NULL removes the limit */
    int64_t queue_limit;
    int64_t queue_timeout;
    const json_t *blocklist; /* replaces the server's rules */
    const json_t *access;    /* replaces the server's access rules */
} nb_proto_server_set_args_t;

/* server.info, server.close, server.acquire, server.unsubscribe. */
typedef struct {
    const char *name;
} nb_proto_server_args_t;

typedef struct {
    const char *name;
    int64_t max_pending; /* 16 */
} nb_proto_server_subscribe_args_t;

typedef struct {
    const char *host; /* NULL: "localhost" (Node's default) when port is given */
    int64_t port;
    const char *path;
    const char *local_address;
    int64_t local_port;
    int64_t family;                             /* 0 */
    bool auto_select_family;                    /* true */
    int64_t auto_select_family_attempt_timeout; /* 250 */
    int64_t timeout;                            /* 30000 */
    bool no_delay;                              /* false */
    bool keep_alive;                            /* false */
    int64_t keep_alive_initial_delay;           /* 0 */
} nb_proto_socket_connect_args_t;

/* blocklist.add, blocklist.remove. */
typedef struct {
    const char *server; /* NULL: the global list */
    const json_t *rules;
} nb_proto_blocklist_rules_args_t;

/* blocklist.list, events.unsubscribe, stats: an optional server. */
typedef struct {
    const char *server;
} nb_proto_scope_args_t;

typedef struct {
    const char *server;
    const char *address;
    int type; /* nb_proto_ip_type_t; absent: the address's own */
} nb_proto_blocklist_check_args_t;

typedef struct {
    const char *name;
    int64_t timeout; /* ms; NB_PROTO_UNSET: no expiry */
    bool replace;    /* false */
} nb_proto_fd_store_args_t;

typedef struct {
    const char *name;
    bool remove; /* false */
} nb_proto_fd_retrieve_args_t;

/* fd.remove. */
typedef struct {
    const char *name;
} nb_proto_fd_args_t;

typedef struct {
    const char *server; /* NULL: every server */
    uint32_t events;    /* mask of 1u << nb_proto_event_id_t; default all */
} nb_proto_events_subscribe_args_t;

/* One blocklist rule (nb_proto_schema_rule). */
typedef struct {
    int kind;            /* nb_proto_rule_kind_t */
    const char *address; /* kind address */
    const char *start;   /* kind range */
    const char *end;
    const char *net; /* kind subnet */
    int64_t prefix;
    int type; /* nb_proto_ip_type_t, from the addresses when absent */
} nb_proto_rule_t;

/* One access rule (nb_proto_schema_access). */
typedef struct {
    int64_t uid; /* NB_PROTO_UNSET when gid is given */
    int64_t gid;
    uint32_t allow; /* mask of 1u << nb_proto_right_t, per-server rights only */
} nb_proto_access_t;

/* Room for any operation's arguments. */
typedef union {
    nb_proto_hello_args_t hello;
    nb_proto_server_create_args_t server_create;
    nb_proto_server_set_args_t server_set;
    nb_proto_server_args_t server;
    nb_proto_server_subscribe_args_t server_subscribe;
    nb_proto_socket_connect_args_t socket_connect;
    nb_proto_blocklist_rules_args_t blocklist_rules;
    nb_proto_scope_args_t scope;
    nb_proto_blocklist_check_args_t blocklist_check;
    nb_proto_fd_store_args_t fd_store;
    nb_proto_fd_retrieve_args_t fd_retrieve;
    nb_proto_fd_args_t fd;
    nb_proto_events_subscribe_args_t events_subscribe;
} nb_proto_args_t;

extern const nb_proto_schema_t nb_proto_schema_rule;
extern const nb_proto_schema_t nb_proto_schema_access;

/* True when s is a server name (PROTOCOL.md 9.1). */
bool nb_proto_server_name_valid(const char *s);
/* True when s is a stored fd's name (PROTOCOL.md 9.1). */
bool nb_proto_fd_name_valid(const char *s);

/* ---- Lookup ------------------------------------------------------------------------- */
/* The operation called name, or NULL. */
const nb_proto_op_t *nb_proto_op_find(const char *name);
/* The operation id (0..NB_PROTO_OP_COUNT-1), or NULL. */
const nb_proto_op_t *nb_proto_op_get(int id);
const nb_proto_event_t *nb_proto_event_find(const char *name);
const nb_proto_event_t *nb_proto_event_get(int id);
/* "read", "acquire"... never NULL ("none"). */
const char *nb_proto_right_name(nb_proto_right_t right);
/* The capabilities a daemon of this version offers: an array of every operation's name.
 * Returns 0 and a new reference, or -ENOMEM. */
int nb_proto_capabilities(json_t **ret);

/* ---- Validation (daemon side) --------------------------------------------------------
 * After nb_proto_request_parse: finds req->op, checks the fds the request carries, then
 * its args against the operation's table, in that order (PROTOCOL.md 9.1). Returns 0 with
 * *ret_op set and, when ret_args is not NULL, the arguments decoded into *ret_args (the
 * operation's struct: any member of nb_proto_args_t). On failure returns the code and fills
 * *ret_err (id = req->id, never fatal): ERR_UNKNOWN_OP, ERR_PROTO_FD_COUNT,
 * ERR_MISSING_ARGS, ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, ERR_SOCKET_BAD_PORT,
 * ERR_INVALID_ARG_VALUE. -EINVAL for NULL req or ret_err. */
int nb_proto_request_validate(const nb_proto_request_t *req,
                              const nb_proto_op_t **ret_op,
                              void *ret_args,
                              nb_proto_error_t *ret_err);
/* Validates obj against schema and, when schema->size > 0 and ret is not NULL, decodes it
 * into *ret (for the elements of a validated "blocklist" or "access" array). path names obj
 * in messages ("args.blocklist[0]"; NULL: "value"). Returns 0 or a code with *ret_err filled (id
 * -1). */
int nb_proto_decode(const nb_proto_schema_t *schema,
                    const json_t *obj,
                    const char *path,
                    void *ret,
                    nb_proto_error_t *ret_err);

/* ---- Building (client side) ---------------------------------------------------------- */
/* Sets every member of the op's args struct to "not given": NB_PROTO_UNSET, NULL, -1, 0
 * for masks, and booleans to their defaults. -EINVAL for an unknown op or NULL. */
int nb_proto_args_init(nb_proto_op_id_t op, void *args);
/* Builds {"id":id,"op":..,"args":{..}} from an args struct (NULL for an op without
 * arguments), leaving out members not given or equal to their defaults, then validates it
 * as the daemon would. Returns 0 and a new reference in *ret; a validation code with
 * *ret_err filled (nothing built); -EINVAL; -ENOMEM. ret_err may be NULL. */
int nb_proto_request_build(int64_t id,
                           nb_proto_op_id_t op,
                           const void *args,
                           json_t **ret,
                           nb_proto_error_t *ret_err);

/* ---- Results and events (client side) ----------------------------------------------- */
/* Checks a reply to a request for op: the envelope (id, ok, result or error with exactly
 * code and message), the result's required members and the types of those it knows, and
 * that nfds matches the operation (0 on a failure reply). Returns 0 or a code with
 * *ret_err filled (ERR_PROTO_PARSE for the envelope, the argument codes for the result
 * with paths "result.x", ERR_PROTO_FD_COUNT). */
int nb_proto_reply_validate(nb_proto_op_id_t op,
                            const json_t *reply,
                            size_t nfds,
                            nb_proto_error_t *ret_err);
/* Checks an event. A name that is not a known event is valid (clients ignore it) and
 * gives *ret_event NULL; a known one is checked as its table says. Returns 0 or a code. */
int nb_proto_event_validate(const json_t *event,
                            size_t nfds,
                            const nb_proto_event_t **ret_event,
                            nb_proto_error_t *ret_err);

#endif
