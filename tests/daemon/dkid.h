/* dkid.h: a control client for forked child processes of the daemon tests (subscribers
 * killed on purpose, clients running as other uids). Unlike dhelp's client it never
 * calls cmocka: a child that fails returns an error and _exits with a status that the
 * parent checks, instead of jumping back into the parent's test runner. */
#ifndef DKID_H
#define DKID_H

#include <stddef.h>
#include <stdint.h>

#include "nbproto.h"

typedef struct {
    int fd;
    nb_proto_reader_t *reader;
    nb_proto_writer_t *writer;
    int64_t next_id;
    char message[NB_PROTO_ERROR_MESSAGE_MAX]; /* of the last error reply */
    char result[4096]; /* the last success's result, compact JSON with sorted keys */
} dk_t;

/* Connects to the control socket and says hello. 0, or -1. */
int dk_connect(dk_t *k, const char *control);
void dk_close(dk_t *k);
/* Sends {"id":n,"op":op,"args":args} (args JSON text or NULL) with send_fd (-1: none) and
 * waits for its reply; events met meanwhile are dropped with their fds. Returns 1 for a
 * success (its fd, if any, in *ret_fd, else -1), 0 for an error reply (its code copied to
 * code), -1 when the connection failed or the deadline passed. */
int dk_call(dk_t *k,
            const char *op,
            const char *args,
            int send_fd,
            int *ret_fd,
            char *code,
            size_t size);
/* The fd of the next event that carries one (a dispatched connection); -1 at the end of
 * the stream or the deadline (ms; < 0: none). */
int dk_next_fd(dk_t *k, int deadline_ms);
/* A dispatch subscriber's whole life: subscribes to server, writes one byte to ready_fd,
 * then writes tag to each connection it is given and closes it, until the daemon closes
 * the control connection. Returns the exit status for the child: 0, or 2 on failure.
 * With stall > 0 it first pipelines that many server.list requests and then never reads
 * again: the replies fill its socket, and what the daemon dispatches to it waits in the
 * daemon's output (pending), until it dies. */
int dk_serve(const char *control,
             const char *server,
             int max_pending,
             char tag,
             int ready_fd,
             int stall);

#endif
