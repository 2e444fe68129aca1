/* handover.h: what handover.c (the state, systemd's fd store) and takeover.c (the state
 * over the control socket) share. */
#ifndef NB_HANDOVER_H
#define NB_HANDOVER_H

#include "daemon.h"

/* Enough for every server and parked fd the daemon may hold, and a state. */
#define NB_HANDOVER_INHERITED_MAX (NB_SERVERS_MAX + NB_STORED_FDS_MAX + 4)

typedef struct {
    char name[NB_PROTO_FD_NAME_MAX + 8];
    int fd; /* -1: taken */
} nb_inherited_t;

/* One takeover item (PROTOCOL.md 9.9.2): its result and the duplicate fd it carries. */
typedef struct {
    json_t *result;
    int fd;
} nb_tk_item_t;

typedef enum { TK_NONE, TK_ITEMS, TK_COMMITTED } nb_tk_phase_t;

typedef struct nb_handover_s {
    bool fdstore; /* NOTIFY_SOCKET: systemd keeps what the daemon stores */
    uv_timer_t *sync;
    nb_inherited_t inherited[NB_HANDOVER_INHERITED_MAX];
    size_t ninherited;
    /* stopping */
    uv_timer_t *quiesce;
    uint64_t quiesce_until;
    bool quiesced;
    bool taken_over; /* the final done went out: exit without dropping or unlinking */
    /* the running daemon's side of a takeover */
    nb_tk_phase_t phase;
    uint64_t client;
    nb_tk_item_t *items;
    size_t nitems, next;
    /* The state in systemd's fd store (handover.c): the name holding the newest (an index
     * in its names, -1: none), its generation, and names that may hold something else. */
    int state_name;
    uint64_t generation;
    unsigned state_stale;
    /* the previous daemon's global rules, until the configuration is applied */
    json_t *rules, *config_rules;
} nb_handover_t;

nb_handover_t *nb_handover_get(nb_daemon_t *d);
/* The state document: {"version","blocklist","servers":[...],"fds":[...]}. */
json_t *nb_handover_state(nb_daemon_t *d);
/* One server's state: schema server with every policy member, its options as first
 * given ("spec"), "fromConfig" and its counters. */
json_t *nb_handover_server_state(const nb_srv_t *srv);
/* A server from its state on a listening fd (owned on success); msg on failure. */
int nb_handover_import_server(nb_daemon_t *d, const json_t *st, int fd, char *msg, size_t size);
/* A parked fd from its state (schema fd); fd owned on success. */
int nb_handover_import_fd(nb_daemon_t *d, const json_t *st, int fd);
/* The global rules into o ("blocklist", and "configBlocklist": the configuration's, which
 * they started from); kept from o until nb_handover_config_applied. */
void nb_handover_blocklist_export(const nb_daemon_t *d, json_t *o);
void nb_handover_blocklist_import(nb_daemon_t *d, const json_t *o);
/* Where the state is in systemd's fd store, into a takeover.begin result ("stateStore",
 * PROTOCOL.md 9.9.1) and from it, so that the new daemon replaces the old one's state
 * without a moment with none. */
void nb_handover_store_export(const nb_daemon_t *d, json_t *o);
void nb_handover_store_import(nb_daemon_t *d, const json_t *o);
/* Ends the running side of a takeover: items and their fds released. */
void nb_takeover_clear(nb_daemon_t *d);

#endif
