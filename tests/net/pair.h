/* pair.h: a client socket and a server, both tracked: every event of each is logged as
 * "cli:<event>" or "srv:<event>" so that a test can compare per-socket orders. */
#ifndef NB_TEST_PAIR_H
#define NB_TEST_PAIR_H

#include "nethelp.h"

#include <stdbool.h>

typedef struct pair_s pair_t;

typedef struct {
    pair_t *p;
    const char *name;
} trk_t;

typedef void (*scen_fn)(pair_t *p, nc_socket_t *s);

struct pair_s {
    nh_fixture_t *fx;
    nc_server_t *srv;
    nc_socket_t *cli;
    nc_socket_t *conn;
    trk_t tc, ts;
    scen_fn on_conn;    /* server side, in 'connection' */
    scen_fn on_connect; /* client side, in 'connect' */
    char srv_data[64];
    size_t srv_bytes;
    const char *last_base;
    bool same_base;
    int drains, timeouts;
    char path[128];
    size_t path_len;
};

/* Logs every event of s under t->name ('data' too when data is true). */
void track(nc_socket_t *s, trk_t *t, bool data);
/* The events of one socket, in order, without the prefix: "connect ready end". */
const char *only(const nh_fixture_t *fx, const char *name);
void pair_init(nh_fixture_t *fx, pair_t *p, const nc_server_options_t *so);
/* Runs the scenario over TCP or a Unix path (p->path), to the end of every socket, and
 * releases the server and the client. */
void pair_run(pair_t *p, bool unix_path);
void cli_end_hello(pair_t *p, nc_socket_t *s);
/* A write callback that logs "<name>:wcb:<status>"; data is a trk_t. */
void log_wcb(nc_socket_t *s, int status, void *data);

#endif
