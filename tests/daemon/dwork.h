/* dwork.h: dispatch servers, subscriber processes and counters for the fault and load
 * tests (dwork.c). */
#ifndef DWORK_H
#define DWORK_H

#include <sys/types.h>

#include <jansson.h>

#include "dhelp.h"

/* ASan's quarantine keeps freed memory resident (256 MiB by default): under it the RSS
 * bounds are printed, not checked. gcc defines __SANITIZE_ADDRESS__; clang answers
 * __has_feature(address_sanitizer). */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_MEANINGFUL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_MEANINGFUL 0
#endif
#endif
#ifndef RSS_MEANINGFUL
#define RSS_MEANINGFUL 1
#endif

/* The stats entry of one server (a new reference), and one of its counters. */
json_t *dw_server_stats(dh_client_t *c, const char *name);
json_int_t dw_stat(json_t *s, const char *key);
/* The daemon's count of control clients. */
json_int_t dw_clients(dh_client_t *c);
/* Asks until the daemon counts `want` control clients (one that died is seen on a later
 * turn of its loop). */
void dw_wait_clients(dh_client_t *c, json_int_t want);
/* A dispatch server on 127.0.0.1:0 whose connections wait without limit (queueLimit
 * 65535, no queueTimeout) and with the given listen backlog; its port. */
int dw_create_dispatch(dh_client_t *c, const char *name, int backlog);
/* Forks a subscriber (dkid.h dk_serve with these arguments) and waits until it is
 * subscribed; its pid. */
pid_t dw_fork_subscriber(const dh_daemon_t *d,
                         const char *server,
                         int max_pending,
                         char tag,
                         int stall);
/* The parent's side of a child forked with pipe p that writes one byte once it is ready:
 * closes the child's end, waits for that byte within the deadline, closes p[0]. */
void dw_wait_ready(int p[2]);
/* What the client end of a dispatched connection saw: the tag of the subscriber that
 * served it, or 'E' when it was closed unserved. A connection still waiting at the
 * deadline fails the test: that is a lost one. */
char dw_outcome(int fd);

#endif
