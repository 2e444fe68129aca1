/* connfix.h: the fixture of the connect tests: servers on 127.0.0.1 that destroy what
 * they accept, a ::1 listener whose full accept queue drops SYNs, a free port, a client
 * whose events are logged as tests/net/connect_orders.js prints Node's, and a custom
 * lookup function answering from a table. */
#ifndef NB_TEST_CONNFIX_H
#define NB_TEST_CONNFIX_H

#include "nethelp.h"

#include <stdbool.h>

typedef struct {
    nh_fixture_t *fx;
    nc_server_t *srv;    /* 127.0.0.1:port, destroys what it accepts */
    nc_server_t *srv_bh; /* 127.0.0.1:bh_port */
    int port, bh_port, free_port;
    int bh_fd, filler_fd; /* ::1:bh_port, its accept queue full */
    nc_socket_t *cli;
    bool destroy_on_connect, destroy_on_attempt, destroy_in_lookup;
    nc_error_t err;
    const nc_error_t *agg_src;
    char attempted[256];
    int seen_remote_port;
    /* the custom lookup */
    nc_lookup_address_t answers[4];
    size_t nanswers;
    nc_error_t lookup_err;
    bool answer_error;
    nc_lookup_options_t seen;
    int lookups;
    nc_lookup_req_t *pending;
    uv_timer_t later;
} ctx_t;

bool have_ipv6(void);
/* A port nothing listens on, on 127.0.0.1 (and most likely ::1). */
int free_port(void);
/* Servers on 127.0.0.1:port (and with bh the ::1 listener plus 127.0.0.1:bh_port). */
void ctx_init(nh_fixture_t *fx, ctx_t *c, bool bh);
void ctx_done(ctx_t *c);
/* Logs every event of s into the fixture's log; s becomes c->cli. */
void track_client(ctx_t *c, nc_socket_t *s);
/* The custom lookup: answers c->answers (or c->lookup_err) at once, or after destroying
 * the client when destroy_in_lookup is set. */
void my_lookup(nc_lookup_req_t *req, const char *host, const nc_lookup_options_t *o, void *data);
void answers(ctx_t *c, const char *a0, int f0, const char *a1, int f1);
/* Connects a new tracked client to h.test:port through my_lookup and runs the loop dry. */
void run_lookup(ctx_t *c, nc_connect_options_t *co, int port);

#define NEED_IPV6()                                                                                \
    do {                                                                                           \
        if (!have_ipv6()) {                                                                        \
            print_message("no IPv6 loopback (::1) on this host\n");                                \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

#endif
