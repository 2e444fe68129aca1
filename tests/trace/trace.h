/* trace.h: the C half of the trace harness. A scenario drives libnetcore objects that
 * the tracer created and named; every event of every traced object becomes one line of
 * that object's story, in the canonical form that tests/trace/trace.js prints for Node:
 *
 *   <object>: <event> [details]
 *
 * Canonical form (the same on both sides, see tests/trace/README.md):
 * - objects are printed one after the other, sorted by name, each with its own events in
 *   the order they happened: the order between two objects of one process is up to
 *   epoll, the order within one object is what Node fixes;
 * - consecutive 'data' events of one object are one line with their byte total, so that
 *   how the kernel splits the bytes does not matter;
 * - a port reads <port:NAME>, NAME being the traced server listening on it or the traced
 *   socket whose local port it is (<port> when neither); the scenario's temp dir reads
 *   <tmp>; an abstract name reads @name.
 */
#ifndef NB_TRACE_H
#define NB_TRACE_H

#include <stdbool.h>
#include <stddef.h>

#include "netcore.h"

typedef struct tr_s tr_t;
typedef void (*tr_sock_fn)(tr_t *t, nc_socket_t *s);

/* A scenario: builds its objects, starts them and returns; the tracer runs the loop. */
typedef void (*tr_scenario_fn)(tr_t *t);
#define TR_SCENARIO(name)                                                                          \
    void tr_scenario_##name(tr_t *t);                                                              \
    void tr_scenario_##name(tr_t *t)

uv_loop_t *tr_loop(tr_t *t);

/* A traced server or socket, owned by the tracer (released after the run). Its every
 * event is logged under `name`; accepted sockets are traced as conn1, conn2, ... in the
 * order of the servers' 'connection' events. The tracer's listeners come first, so a
 * scenario's listener sees its event already logged. NULL opts are Node's defaults. */
nc_server_t *tr_server(tr_t *t, const char *name, const nc_server_options_t *opts);
nc_socket_t *tr_socket(tr_t *t, const char *name, const nc_socket_options_t *opts);
/* The name an object was traced under ("?" for an unknown one). */
const char *tr_name(const tr_t *t, const void *obj);

/* The traced object named `name` (a server or a socket), or NULL. */
void *tr_object(const tr_t *t, const char *name);

/* A line in an object's story (obj is a traced server or socket). */
void tr_log(tr_t *t, const void *obj, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The outcome of a call that Node would throw from: nothing when r >= 0, else
 * "<what> threw CODE: message" (err may be NULL: nc_strerror gives the message). */
void tr_threw(tr_t *t, const void *obj, const char *what, int r, const nc_error_t *err);
/* A port as a line shows it: the tracer turns it into its <port:NAME> form on output. */
const char *tr_port(tr_t *t, int port);

/* A path in the scenario's temp dir ("s.sock"), or an abstract name when name starts
 * with '@' ("@srv": a NUL byte, then a name unique to this process). The text lives as
 * long as t; *ret_len is its length (an abstract name holds a NUL byte). */
const char *tr_path(tr_t *t, const char *name, size_t *ret_len);

/* server.listen(port, host) / listen(path): a thrown error is logged (tr_threw). */
void tr_listen(tr_t *t, nc_server_t *s, const char *host, int port);
void tr_listen_path(tr_t *t, nc_server_t *s, const char *name);
/* socket.connect() to where s listens (its port on 127.0.0.1 or ::1, or its path). */
void tr_connect(tr_t *t, nc_socket_t *c, nc_server_t *s);

/* The common story: server "server" listens on host (NULL: 127.0.0.1) port 0, or on the
 * temp path or abstract name `path`; client "client" connects to it once it listens; the
 * server closes on its first 'connection' (its 'close' then waits for conn1). p must
 * outlive the run (a static). */
typedef struct {
    nc_server_options_t server;
    nc_socket_options_t client;
    const char *host;         /* NULL: 127.0.0.1 */
    const char *path;         /* NULL: TCP */
    tr_sock_fn on_connection; /* the server side, in 'connection' */
    tr_sock_fn on_connect;    /* the client side, in 'connect' */
} tr_pair_t;
void tr_pair(tr_t *t, const tr_pair_t *p);

/* The decoding story: a tr_pair whose client calls setEncoding(encoding) on 'connect'
 * and logs the text it received, at 'end', as the hex of its UTF-8 bytes; the server
 * side writes chunks[0] at once and each next chunk on a 'data' event of the client, the
 * last one with end(). Each chunk must complete a character, so that it gives a 'data'
 * event. f must outlive the run (a static). */
typedef struct {
    const char *base;
    size_t len;
} tr_bytes_t;
#define TR_BYTES(lit)                                                                              \
    {                                                                                              \
        lit, sizeof(lit) - 1                                                                       \
    }
typedef struct {
    const char *encoding;
    const tr_bytes_t *chunks;
    size_t n;
} tr_feed_t;
void tr_feed(tr_t *t, const tr_feed_t *f);

/* Stops a scenario that cannot go on (setup failed): the trace shows it. */
void tr_fail(tr_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
