/* connect_internal.h: the state of one TCP socket.connect() while it is in progress,
 * shared by connect.c (options, one attempt), lookup.c (the name lookup) and
 * autoselect.c (autoSelectFamily's attempts). */
#ifndef NC_CONNECT_INTERNAL_H
#define NC_CONNECT_INTERNAL_H

#include "socket_internal.h"

#include <netdb.h>

/* One address to try, with the port set. */
typedef struct {
    struct sockaddr_storage sa;
    char ip[NC_ADDRSTRLEN];
    int family; /* 4 or 6 */
} nc__dest_t;

struct nc_lookup_req_s {
    nc__conn_t *conn;
    bool all;
};

typedef struct nc__attempt_s nc__attempt_t;

/* Freed once the socket let go of it and nothing of it is in flight: each of the socket
 * link, a lookup awaiting its answer and each open handle holds a reference. */
struct nc__conn_s {
    nc_socket_t *s; /* NULL once the socket let go */
    unsigned refs;
    char host[256];    /* the name to look up, "" for an IP literal */
    nc__dest_t target; /* the IP literal */
    int port;
    int family;
    int hints;
    bool auto_select;
    uint64_t attempt_timeout;
    bool has_local;
    struct sockaddr_storage local; /* local_address (any address when only a port) */
    char local_ip[NC_ADDRSTRLEN];
    int local_port;
    nc_lookup_fn lookup;
    void *lookup_data;
    nc_lookup_req_t req;
    uv_getaddrinfo_t greq;
    nc__dest_t *dests; /* autoSelectFamily: the interleaved addresses */
    size_t ndests, current;
    nc_error_t *errors; /* one per failed attempt */
    size_t nerrors;
    uv_timer_t timer;
    bool timer_inited;
    nc__attempt_t *attempt; /* the attempt in progress */
};

void nc__conn_retain(nc__conn_t *c);
void nc__conn_release(nc__conn_t *c);

/* lookup.c: starts the lookup of c->host; its answer goes to nc__connect_single or
 * nc__autoselect_start. Returns 0 or the thrown error (bad family or hints). */
int nc__lookup_check(const nc__conn_t *c, nc_error_t *err);
void nc__lookup_start(nc__conn_t *c);

/* connect.c: Node's internalConnect, one attempt on the socket's own handle. */
void nc__connect_single(nc_socket_t *s, const nc__dest_t *d);
/* The attempt succeeded, or the whole connect failed (status < 0, s->err filled). */
void nc__connect_done(nc_socket_t *s, int status);
/* Fills d from an IP literal of family 4 or 6 and the port; 0 or -EINVAL. */
int nc__dest_init(nc__dest_t *d, const char *ip, int family, int port);
/* 'connectionAttempt*' events. */
void nc__emit_attempt(nc_socket_t *s,
                      nc_socket_event_t ev,
                      const nc__dest_t *d,
                      int port,
                      const nc_error_t *err);
/* Node's checkBindError and bind to c's local address for family; 0 or the error with
 * *err filled ("bind EADDRINUSE 0.0.0.0:70000"). */
int nc__connect_bind(nc__conn_t *c, uv_tcp_t *tcp, int family, nc_error_t *err);
/* The connect error with Node's " - Local (ip:port)" detail when a local address and
 * port were both given. */
void nc__connect_error(nc__conn_t *c, nc_error_t *err, int status, const nc__dest_t *d);

/* The error of a connect that failed at once, with Node's " - Local (getsockname)". */
void nc__connect_error_sync(uv_tcp_t *tcp,
                            nc_error_t *err,
                            int status,
                            const nc__dest_t *d,
                            int port);

/* autoselect.c: Node's lookupAndConnectMultiple after the lookup: takes dests. */
void nc__autoselect_start(nc__conn_t *c, nc__dest_t *dests, size_t n);
void nc__autoselect_abort(nc__conn_t *c);

#endif
