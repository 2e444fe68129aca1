/* daemon.h: the state netbrokerd's modules share: the daemon, its control clients, its
 * named servers and the connections it holds, and each module's entry points. */
#ifndef NB_DAEMON_H
#define NB_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <uv.h>

#include "nbproto.h"
#include "nbproto_ops.h"
#include "netcore.h"

typedef struct nb_daemon_s nb_daemon_t;
typedef struct nb_client_s nb_client_t;
typedef struct nb_srv_s nb_srv_t;
typedef struct nb_conn_s nb_conn_t;
typedef struct nb_sub_s nb_sub_t;
typedef struct nb_evsub_s nb_evsub_t;
typedef struct nb_stored_s nb_stored_t;
typedef struct nb_acl_rule_s nb_acl_rule_t;
typedef struct nb_resolve_s nb_resolve_t;

/* Limits of what a peer can make the daemon hold. */
#define NB_CLIENTS_MAX      1024
#define NB_STORED_FDS_MAX   1024
#define NB_SERVERS_MAX      1024
#define NB_GROUPS_MAX       64
#define NB_ACCESS_RULES_MAX 64

/* ---- log.c --------------------------------------------------------------------------- */
void nb_log_set_level(int level);
int nb_log_level_parse(const char *s);
void nb_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- acl.c: who may do what ---------------------------------------------------------- */
/* A configuration rule: peers (uid or gid), rights (mask of 1u << nb_proto_right_t), and
 * the server or fd names it covers (fnmatch patterns; none: every name). */
struct nb_acl_rule_s {
    int64_t uid; /* NB_PROTO_UNSET when gid is given */
    int64_t gid;
    uint32_t rights;
    char **names;
    size_t nnames;
};

typedef struct {
    nb_acl_rule_t *rules;
    size_t nrules;
} nb_acl_t;

/* Parses the "access" array of a configuration; on error fills msg (key and reason). */
int nb_acl_parse(const json_t *arr, nb_acl_t *ret, char *msg, size_t size);
void nb_acl_clear(nb_acl_t *acl);
/* True when the client holds `right` on the object called name (NULL: the daemon), from
 * the daemon's rules, the server's own access rules (srv may be NULL), and the defaults
 * (root and the daemon's own uid hold everything). manage implies read, acquire and
 * subscribe. */
bool nb_acl_allows(const nb_daemon_t *d,
                   const nb_client_t *c,
                   nb_proto_right_t right,
                   const char *name,
                   const nb_srv_t *srv);

/* ---- control.c: the control socket and its clients ----------------------------------- */
struct nb_client_s {
    nb_daemon_t *d;
    nb_client_t *next, *prev;
    uint64_t id;
    int fd;
    uv_poll_t poll;
    int poll_events;
    nb_proto_reader_t *reader;
    nb_proto_writer_t *writer;
    pid_t pid;
    uid_t uid;
    gid_t gid;
    gid_t groups[NB_GROUPS_MAX];
    int ngroups;
    bool hello;
    bool dead;           /* cut off: unlinked, its memory goes on a later turn */
    bool draining;       /* the daemon stops: no more input, closed once its output left */
    bool batching;       /* replies to a read's requests are flushed together after it */
    uint64_t pushed;     /* bytes ever queued to the writer: what dispatch measures */
    uint64_t bytes_read; /* bytes ever read from the client (stats) */
    size_t nsubs;        /* dispatch subscriptions */
    nb_evsub_t *evsubs;
};

/* Opens the control socket at path (its directory created with safe modes), or listens
 * on the one systemd passed for it (nb_activation_control_fd). */
int nb_control_start(nb_daemon_t *d, const char *path);
/* The same on a listening socket handed over by the daemon it takes over (fd owned on
 * success). */
int nb_control_start_fd(nb_daemon_t *d, const char *path, int fd);
/* The control listener's fd, borrowed, or -EBADF. */
int nb_control_fileno(const nb_daemon_t *d);
/* Stops accepting control connections (the path is removed unless d->keep_paths). */
void nb_control_stop(nb_daemon_t *d);
/* Shutdown: every client stops being read and is closed once what was queued for it
 * (replies, handed-over connections) has left, or at the deadline. */
void nb_control_drain(nb_daemon_t *d, uint64_t deadline_ms);
/* Queues msg (a reference is taken) with fds (duplicated) for the client and flushes.
 * *ret_start, when not NULL, is the offset of the line's first byte in the client's
 * stream. Returns 0, or a negative code after which the client has been cut off. */
int nb_client_send(nb_client_t *c, json_t *msg, const int *fds, size_t nfds, uint64_t *ret_start);
/* As nb_client_send, for a line already serialised (len bytes, '\n' last, declaring nfds
 * fds: a line built by nb_proto_line_*). fds stay the caller's: when nothing is queued the
 * line and fds go straight to the socket, else duplicates are queued. */
int nb_client_send_line(nb_client_t *c,
                        const char *line,
                        size_t len,
                        const int *fds,
                        size_t nfds,
                        uint64_t *ret_start);
/* Bytes of the client's stream the kernel took: lines starting below this were sent,
 * fds and all. */
uint64_t nb_client_sent(const nb_client_t *c);
/* Cuts a client off: its subscriptions end and pending dispatches go back to their
 * queues; the memory goes on a later turn. */
void nb_client_kill(nb_client_t *c, const char *why);
nb_client_t *nb_client_find(nb_daemon_t *d, uint64_t id);

/* ---- requests.c, requests_srv.c: one handler per operation --------------------------- */
/* Runs one validated request; the reply is sent before it returns or, for server.create,
 * when the listener is up. fds are the request's (the handler owns them). */
void nb_request_run(nb_client_t *c,
                    const nb_proto_op_t *op,
                    const nb_proto_request_t *req,
                    const nb_proto_args_t *args,
                    int *fds,
                    size_t nfds);
/* Reply helpers: each consumes result. nb_reply_ok returns 0, or a negative code when
 * the reply did not go: -EMFILE/-ENFILE (no fd for a duplicate: the client was answered
 * with that error instead) or the code after which the client was cut off. */
int nb_reply_ok(nb_client_t *c, int64_t id, json_t *result, const int *fds, size_t nfds);
void nb_reply_err(nb_client_t *c, int64_t id, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same with the wire name of the code ("ERR_IP_BLOCKED", a libnetcore name). */
void nb_reply_err_named(nb_client_t *c, int64_t id, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- registry.c: named servers ---------------------------------------------------------- */
struct nb_conn_s {
    nb_conn_t *next;
    nb_srv_t *srv;
    int fd; /* accepted, never read; closed once handed over */
    uint64_t queued_at;
    uint64_t start;     /* pending: offset of its event line in the subscriber's stream */
    nc_sockaddr_t peer; /* from accept4; family AF_UNSPEC for a Unix connection */
};

struct nb_sub_s {
    nb_sub_t *next;
    nb_client_t *client;
    int64_t max_pending;
    nb_conn_t *pending; /* pushed to the client's writer, not yet sent */
    size_t npending;
};

struct nb_srv_s {
    nb_srv_t *next;
    nb_daemon_t *d;
    char name[NB_PROTO_SERVER_NAME_MAX + 1];
    json_t *spec; /* the listen options as given: compared on reload */
    bool from_config;
    bool config_pending; /* from the configuration, not listening (or failed) yet */
    int mode;            /* nb_proto_mode_t */
    nc_listen_options_t lo;
    char host[NC_ADDRSTRLEN];
    char path[NB_PROTO_PATH_MAX + 2];
    bool listening;
    bool closing;
    int fd;              /* the listening fd the daemon holds (dispatch: and accepts on) */
    uv_poll_t *poll;     /* dispatch mode: readiness of fd */
    uv_timer_t *backoff; /* dispatch mode: accepting again after EMFILE and the like */
    nc_sockaddr_t local; /* the listener's address: every connection's local address... */
    bool local_fixed;    /* ...when it is bound to one address (not a wildcard) */
    uint64_t owner;      /* exclusive acquire: the client holding it, 0 none */
    nc_address_t address;
    int64_t max_connections; /* < 0: no limit */
    int64_t queue_limit;
    int64_t queue_timeout;
    json_t *blocklist_rules; /* array of rules, as listed */
    nc_blocklist_t *blocklist;
    nb_acl_rule_t access[NB_ACCESS_RULES_MAX];
    size_t naccess;
    json_t *access_json;
    nb_conn_t *queue, *queue_tail;
    size_t nqueued;
    size_t held; /* queued + pending: what maxConnections counts */
    nb_sub_t *subs;
    size_t nsubs;
    size_t rr;
    bool running;  /* nb_dispatch_run is on the stack */
    bool fd_retry; /* a handoff found no fd: the queue waits for the timer's retry */
    uv_timer_t *timer;
    uint64_t accepted, dispatched, dropped, blocked;
    bool own_path; /* a Unix path it bound or adopted: removed when it closes */
    bool fdstored; /* its listener is in systemd's fd store (handover.c) */
    bool adopted;  /* listens on a socket systemd passed (activation.c): a reload keeps it */
};

/* Creates and starts a server from validated arguments (host an IP address: resolve.c
 * looks names up first). On success the server is in the registry, bound and listening.
 * Returns 0 or a code with msg filled. */
int nb_srv_create(nb_daemon_t *d,
                  const nb_proto_server_create_args_t *a,
                  const json_t *spec,
                  nb_srv_t **ret,
                  char *msg,
                  size_t size);
/* The same on a listening fd handed over (fd store, takeover) instead of a new bind: the
 * server owns fd on success; on failure the caller keeps it. */
int nb_srv_adopt(nb_daemon_t *d,
                 const nb_proto_server_create_args_t *a,
                 const json_t *spec,
                 int fd,
                 nb_srv_t **ret,
                 char *msg,
                 size_t size);
nb_srv_t *nb_srv_find(nb_daemon_t *d, const char *name);
/* Handover: a dispatch server stops accepting (its listener lives on in a duplicate), and
 * accepts again (fd, a duplicate of its listener, is owned on success). */
void nb_srv_stop_accepting(nb_srv_t *srv);
int nb_srv_resume_accepting(nb_srv_t *srv, int fd);
/* The listening fd, borrowed, or -EBADF. */
int nb_srv_fileno(const nb_srv_t *srv);
/* Closes the server: queued connections dropped (reason close), subscribers told. */
void nb_srv_close(nb_srv_t *srv);
/* schema `server`. */
json_t *nb_srv_describe(const nb_srv_t *srv);
/* Applies policy: maxConnections, queueLimit, queueTimeout, blocklist, access. */
int nb_srv_set_blocklist(nb_srv_t *srv, const json_t *rules, char *msg, size_t size);
int nb_srv_set_access(nb_srv_t *srv, const json_t *rules, char *msg, size_t size);
/* A BlockList from validated rules (schema `rule`), and the rules as listed (with type). */
int nb_blocklist_build(const json_t *rules,
                       nc_blocklist_t **ret_bl,
                       json_t **ret_listed,
                       char *msg,
                       size_t size);
/* The first rule of list (as listed) that blocks the address, borrowed, or NULL: each
 * rule alone in a list of its own, so that the answer is the BlockList's own. */
json_t *nb_blocklist_first_match(const json_t *list, const char *address, const char *type);
/* netbrokerd --check-rules FILE ADDRESS (checkrules.c): blocklist.check offline; the
 * process's exit status. */
int nb_check_rules(const char *file, const char *address);

/* ---- dispatch.c: accepted connections to subscribers ------------------------------- */
/* Starts accepting on srv->fd (listening): several connections per readiness, each
 * checked and queued, never read. Returns 0 or a negative code. */
int nb_dispatch_start(nb_srv_t *srv);
/* Stops accepting; the handles go on a later turn. srv->fd stays the caller's. */
void nb_dispatch_stop(nb_srv_t *srv);
void nb_dispatch_run(nb_srv_t *srv);
int nb_dispatch_subscribe(nb_srv_t *srv, nb_client_t *c, int64_t max_pending);
void nb_dispatch_unsubscribe(nb_srv_t *srv, nb_client_t *c);
/* The client's stream advanced: connections it was sent are handed over. */
void nb_dispatch_sent(nb_client_t *c);
/* Every subscription of the client ends; its pending connections are queued again. */
void nb_dispatch_client_gone(nb_client_t *c);
/* Drops every queued connection with reason; for close and shutdown. */
void nb_dispatch_drop_all(nb_srv_t *srv, const char *reason);
void nb_conn_drop(nb_conn_t *conn, const char *reason);
/* Takeover: the queued connections went to the next daemon; ours close without a drop. */
void nb_dispatch_forget_queue(nb_srv_t *srv);
/* Handover: a connection the previous daemon had queued joins the queue (fd taken on
 * success; fields: the peer members of its connection event, NULL: from the socket). */
int nb_dispatch_adopt(nb_srv_t *srv, int fd, const json_t *fields);
/* Handover: accepting pauses (the listener stays open, its poll stops) and resumes. */
void nb_dispatch_pause(nb_srv_t *srv);
void nb_dispatch_resume(nb_srv_t *srv);
/* A connection's address members (remote and local address, port, family) as a new JSON
 * object: for the events stream and a takeover's items, never on the dispatch path. */
json_t *nb_conn_fields(const nb_conn_t *conn);

/* ---- events.c ------------------------------------------------------------------------- */
/* Sends {"event":name,"server":srv,...fields} to every client subscribed to it that may
 * read the server. Consumes fields (may be NULL). */
void nb_events_emit(nb_daemon_t *d, nb_proto_event_id_t ev, const nb_srv_t *srv, json_t *fields);
int nb_events_subscribe(nb_client_t *c, const char *server, uint32_t mask);
void nb_events_unsubscribe(nb_client_t *c, const char *server);
void nb_events_client_gone(nb_client_t *c);

/* ---- fdstore.c ------------------------------------------------------------------------ */
struct nb_stored_s {
    nb_stored_t *next;
    nb_daemon_t *d;
    char name[NB_PROTO_FD_NAME_MAX + 1];
    int fd;
    uid_t uid;
    int64_t stored_at;
    int64_t expires_at; /* -1: never */
    uv_timer_t *timer;
};

int nb_fdstore_put(nb_daemon_t *d,
                   const nb_proto_fd_store_args_t *a,
                   uid_t uid,
                   int fd,
                   nb_stored_t **ret);
nb_stored_t *nb_fdstore_find(nb_daemon_t *d, const char *name);
/* Forgets and closes a stored fd; `forget` also drops systemd's mirror of it (not at
 * shutdown: the mirror is what survives the restart). */
void nb_fdstore_remove(nb_stored_t *s);
void nb_fdstore_forget(nb_stored_t *s);
/* An fd inherited from systemd's fd store, stored under its name (CLOEXEC set). */
int nb_fdstore_adopt(nb_daemon_t *d, const char *name, int fd);
/* The same with what the state kept: owner, times (expires_at < 0: never). */
int nb_fdstore_restore(nb_daemon_t *d,
                       const char *name,
                       int fd,
                       uid_t uid,
                       int64_t stored_at,
                       int64_t expires_at);
json_t *nb_fdstore_describe(const nb_stored_t *s);
void nb_fdstore_clear(nb_daemon_t *d);

/* ---- config.c ----------------------------------------------------------------------- */
/* Reads and checks the configuration (path NULL: the embedded one). Returns a new
 * reference or NULL with msg naming the file, the key and the reason. */
json_t *nb_config_load(const char *path, char *msg, size_t size);
/* Applies a checked configuration: rules, then servers added, changed, removed.
 * ret_diff (may be NULL) receives {"added":[],"changed":[],"removed":[]}. */
int nb_config_apply(nb_daemon_t *d, json_t *config, json_t **ret_diff, char *msg, size_t size);

/* ---- outbound.c: socket.connect ----------------------------------------------------- */
/* Ends every connect in flight (the daemon stops): each is answered ABORT_ERR. */
void nb_outbound_cancel_all(nb_daemon_t *d);
/* Ends the connects the client asked for (it went away). */
void nb_outbound_client_gone(nb_client_t *c);

/* ---- resolve.c: server.create with a host name ---------------------------------------- */
/* Cancels the lookups not yet started (the daemon stops). */
void nb_resolve_cancel_all(nb_daemon_t *d);

/* ---- notify.c: systemd's readiness protocol ----------------------------------------- */
void nb_notify_ready(const nb_daemon_t *d);
void nb_notify_reloading(const nb_daemon_t *d);
void nb_notify_stopping(const nb_daemon_t *d);
/* Mirrors a stored fd into systemd's fd store (FDSTORE=1, FDNAME=name), or drops it
 * there; nothing without NOTIFY_SOCKET. The first returns 0, or a negative errno when
 * the message did not go out (logged). */
int nb_notify_fdstore(const char *name, int fd);
void nb_notify_fdstore_remove(const char *name);
/* Takes back the fds systemd passed (LISTEN_FDS, LISTEN_FDNAMES) into the fd store: a
 * restart keeps what clients parked. Returns how many came. */
int nb_notify_adopt(nb_daemon_t *d);
/* WATCHDOG=1 at half the interval systemd asks for (WATCHDOG_USEC), from the loop: a
 * loop that hangs stops the pings. */
void nb_notify_watchdog_start(nb_daemon_t *d);
void nb_notify_watchdog_stop(nb_daemon_t *d);
/* STATUS= (servers, connections, subscribers, clients, stored fds) whenever it changes, at
 * most once a second; nothing without NOTIFY_SOCKET. */
void nb_notify_status_start(nb_daemon_t *d);
void nb_notify_status_stop(nb_daemon_t *d);

/* ---- the daemon ----------------------------------------------------------------------- */
struct nb_daemon_s {
    uv_loop_t *loop;
    struct nb_control_s *control; /* control.c: the control listener, accepting */
    char control_path[NB_PROTO_PATH_MAX + 1];
    nb_client_t *clients;
    size_t nclients;
    uint64_t next_client_id;
    nb_srv_t *servers;
    size_t nservers;
    nb_stored_t *stored;
    size_t nstored;
    nb_acl_t acl;
    uid_t self_uid;
    uint64_t started_ms;
    bool stopping;
    const char *config_path;
    json_t *config;
    nc_blocklist_t *global_bl;
    json_t *global_rules;
    uv_timer_t *drain_timer;
    struct outbound_s *outbound; /* socket.connect in flight */
    size_t nevsubs;              /* event subscriptions of all clients */
    uv_timer_t *watchdog;
    nb_resolve_t *resolving;        /* server.create waiting for a host name */
    size_t config_pending;          /* configured servers not yet listening or failed */
    bool ready_owed;                /* READY=1 goes out once config_pending is 0 */
    bool keep_paths;                /* stopping with the listeners handed over: paths stay */
    bool dispatch_held;             /* a takeover holds every queue for the next daemon */
    struct nb_handover_s *handover; /* handover.c's state (fd store, takeover) */
    bool control_passed;            /* systemd's control socket: its file is the unit's */
    struct nb_passed_s *passed;     /* activation.c: sockets systemd passed, not yet taken */
    struct nb_status_s *status;     /* notify.c: the STATUS= last sent, and its rate limit */
    uint64_t bytes_read;            /* control plane, every client since the start (stats) */
    uint64_t bytes_written;
    /* Called once by nb_daemon_stop, last (may be NULL): main() closes its signal
     * handlers there; the daemon's core has no handle of main()'s. */
    void (*on_stop)(nb_daemon_t *d);
    size_t client_output_max; /* unsent bytes per client (--client-output-max); 0: proto's */
    int reserve_fd;           /* spare fd for a handoff when out of fds (control.c), */
    bool reserve_held;        /* when this is true */
};

/* Stops the daemon: no more accepting, queued handoffs finished, then exit 0. */
void nb_daemon_stop(nb_daemon_t *d, const char *why);
/* Sends READY=1 now, or once every configured server listens or has failed (a host binds
 * on a later turn, as in Node). */
void nb_daemon_ready_when_settled(nb_daemon_t *d);
/* A configured server settled (listening, failed, or closed before either). */
void nb_config_settled(nb_srv_t *srv);
/* daemon.reload and SIGHUP. */
int nb_daemon_reload(nb_daemon_t *d, json_t **ret_diff, char *msg, size_t size);
int64_t nb_now_ms(void);

/* ---- handover.c: restarts that drop nothing (fd store, --takeover) ------------------- */
/* The daemon's state changed: the copy in systemd's fd store is rewritten on this turn's
 * end (nothing without NOTIFY_SOCKET). */
void nb_handover_changed(nb_daemon_t *d);
/* A server closes: its listener leaves systemd's fd store unless the daemon stops. */
void nb_handover_srv_closed(nb_srv_t *srv);
/* nb_notify_adopt's `nb-*` names: nb-state, nb-srv.NAME, nb-fd.NAME. Takes fd. */
void nb_handover_adopt_fd(nb_daemon_t *d, const char *name, int fd);
/* After the inherited fds: restores servers and parked fds from nb-state and closes what
 * does not fit. */
void nb_handover_restore(nb_daemon_t *d);
/* After the configuration's first apply: the previous daemon's runtime global rules stay
 * where the configuration's are those they started from. */
void nb_handover_config_applied(nb_daemon_t *d);
/* --takeover: takes the running daemon's state and fds over its control socket at path
 * and starts the control server on the listener it hands over. */
int nb_handover_takeover(nb_daemon_t *d, const char *path);
/* Stopping: true when the stop is deferred until the queued connections are handed out
 * (listeners live on in systemd's fd store); nb_daemon_stop is then called again. */
bool nb_handover_quiesce(nb_daemon_t *d, const char *why);
/* True when op (with args) may not run now: a takeover froze the state. */
bool nb_handover_frozen(const nb_daemon_t *d, const nb_proto_op_t *op, const nb_proto_args_t *args);
/* After a request ran: one that changed the state has it saved. */
void nb_handover_after_request(nb_daemon_t *d,
                               const nb_proto_op_t *op,
                               const nb_proto_args_t *args);
/* The takeover operations (PROTOCOL.md 9.9) and the end of a daemon's life. */
void nb_handover_op(nb_client_t *c, const nb_proto_op_t *op, int64_t id);
void nb_handover_client_gone(nb_client_t *c);
void nb_handover_free(nb_daemon_t *d);
/* ---- activation.c: sockets passed by socket units (LISTEN_FDNAMES) ------------------ */
typedef struct nb_passed_s nb_passed_t;
/* Logs when LISTEN_FDS is meant for another pid (sd_listen_fds then adopts nothing). */
void nb_activation_check_pid(void);
/* True when a passed fd is activation's to adopt: a socket under a name that is not one
 * of the daemon's own fd store entries ("nb-..."). */
bool nb_activation_owns(const char *name, int fd);
/* Takes fd: kept for the control socket or the server of that name when it is a listening
 * stream socket (AF_UNIX, AF_INET, AF_INET6) under a name not seen yet; otherwise logged
 * and closed. */
void nb_activation_adopt(nb_daemon_t *d, const char *name, int fd);
/* The passed control socket: the one named "control", else the AF_UNIX one bound to path;
 * the caller owns it. -ENOENT when none. */
int nb_activation_control_fd(nb_daemon_t *d, const char *path);
/* Adds to config's "servers" an entry (server.create's defaults) for each passed socket
 * it does not name, and keeps the entry of each adopted server it no longer names. */
void nb_activation_amend(nb_daemon_t *d, json_t *config);
/* The passed socket of srv's name, for srv to listen on instead of binding (the caller
 * owns it; srv->adopted and, for a path, srv->path are set); -ENOENT none, -EAFNOSUPPORT
 * when its family does not fit srv's options (logged and closed). */
int nb_activation_take(nb_daemon_t *d, nb_srv_t *srv);
/* True when entry's mode is that of the adopted srv: then only its policy changes. */
bool nb_activation_same_mode(const nb_srv_t *srv, const json_t *entry);
/* Before an adopted server closes for a mode change: a duplicate of its listener waits
 * for the server that replaces it. */
void nb_activation_keep(nb_srv_t *srv);
/* Closes (and logs) every passed socket no server took. */
void nb_activation_clear(nb_daemon_t *d);

#endif
