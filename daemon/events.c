/* events.c: the live event streams of events.subscribe (PROTOCOL.md 9.7, 10): one
 * subscription per scope (a server, or every server) per client, each with its event mask,
 * delivered only for servers the client may read. */
#include "daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct nb_evsub_s {
    nb_evsub_t *next;
    char server[NB_PROTO_SERVER_NAME_MAX + 1]; /* "": every server */
    uint32_t mask;
};

static nb_evsub_t **find(nb_client_t *c, const char *server)
{
    const char *name = server != NULL ? server : "";
    nb_evsub_t **pp = &c->evsubs;
    while (*pp != NULL && strcmp((*pp)->server, name) != 0) {
        pp = &(*pp)->next;
    }
    return pp;
}

int nb_events_subscribe(nb_client_t *c, const char *server, uint32_t mask)
{
    nb_evsub_t **pp = find(c, server);
    if (*pp == NULL) {
        if ((*pp = calloc(1, sizeof(**pp))) == NULL) {
            return -ENOMEM;
        }
        snprintf((*pp)->server, sizeof((*pp)->server), "%s", server != NULL ? server : "");
        c->d->nevsubs++;
    }
    (*pp)->mask = mask; /* again on the same scope replaces the set (9.7.1) */
    return 0;
}

void nb_events_unsubscribe(nb_client_t *c, const char *server)
{
    nb_evsub_t **pp = find(c, server);
    nb_evsub_t *e = *pp;
    if (e != NULL) {
        *pp = e->next;
        free(e);
        c->d->nevsubs--;
    }
}

void nb_events_client_gone(nb_client_t *c)
{
    while (c->evsubs != NULL) {
        nb_evsub_t *e = c->evsubs;
        c->evsubs = e->next;
        free(e);
        c->d->nevsubs--;
    }
}

static bool wants(const nb_client_t *c, nb_proto_event_id_t ev, const nb_srv_t *srv)
{
    for (const nb_evsub_t *e = c->evsubs; e != NULL; e = e->next) {
        if ((e->mask & (1u << ev)) != 0 &&
            (e->server[0] == '\0' || (srv != NULL && strcmp(e->server, srv->name) == 0))) {
            return true;
        }
    }
    return false;
}

void nb_events_emit(nb_daemon_t *d, nb_proto_event_id_t ev, const nb_srv_t *srv, json_t *fields)
{
    if (d->nevsubs == 0) {
        json_decref(fields); /* nobody listens: the common case of a busy dispatch */
        return;
    }
    json_t *msg = NULL;
    nb_client_t *next;
    for (nb_client_t *c = d->clients; c != NULL; c = next) {
        next = c->next; /* a send may cut this client off and unlink it */
        if (c->dead || c->evsubs == NULL || !wants(c, ev, srv) ||
            (srv != NULL && !nb_acl_allows(d, c, NB_PROTO_RIGHT_READ, srv->name, srv))) {
            continue;
        }
        if (msg == NULL) {
            json_t *copy = fields != NULL ? json_deep_copy(fields) : json_object();
            if (srv != NULL) {
                json_object_set_new(copy, "server", json_string(srv->name));
            }
            if (nb_proto_event_new(nb_proto_event_get(ev)->name, copy, &msg) < 0) {
                break;
            }
        }
        nb_client_send(c, msg, NULL, 0, NULL);
    }
    json_decref(msg);
    json_decref(fields);
}
