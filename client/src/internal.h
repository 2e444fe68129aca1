/* internal.h: what libnetbroker's files share. */
#ifndef NB_CLIENT_INTERNAL_H
#define NB_CLIENT_INTERNAL_H

#include "netbroker.h"

#include <stdarg.h>

#include <jansson.h>

/* Fills *err (when not NULL) with code, its wire name and a formatted message; returns
 * code. */
int nb__client_fail(nb_client_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A CLOCK_MONOTONIC deadline in ms timeout_ms from now; -1 (none) when timeout_ms < 0. */
int64_t nb__deadline(int timeout_ms);
/* Takes the first queued message that match() accepts. Returns 1, or 0 when none does. */
int nb__client_take(nb_client_t *c,
                    bool (*match)(const nb_client_msg_t *, const void *),
                    const void *arg,
                    nb_client_msg_t *ret);
/* Reads and polls until a message match() accepts arrives or the deadline passes:
 * 0 with *ret, -ETIMEDOUT, or the transport's error. */
int nb__client_wait(nb_client_t *c,
                    bool (*match)(const nb_client_msg_t *, const void *),
                    const void *arg,
                    int64_t deadline,
                    nb_client_msg_t *ret);

/* nb_client_send and nb_client_call with args as a jansson object, which they steal. */
int nb__client_send_json(nb_client_t *c,
                         const char *op,
                         json_t *args,
                         const int *fds,
                         size_t nfds,
                         int64_t *ret_id,
                         nb_client_error_t *err);
int nb__client_call_json(nb_client_t *c,
                         const char *op,
                         json_t *args,
                         const int *fds,
                         size_t nfds,
                         int timeout_ms,
                         nb_client_msg_t *ret_reply,
                         nb_client_error_t *err);

#endif
