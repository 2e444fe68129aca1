/* requests.h: what the operation handlers share (requests.c, requests_srv.c). */
#ifndef NB_REQUESTS_H
#define NB_REQUESTS_H

#include "daemon.h"

/* One request being run: the scope objects the access check found. */
typedef struct {
    const nb_proto_op_t *op;
    int64_t id;
    const nb_proto_request_t *req;
    const nb_proto_args_t *args;
    int *fds; /* set an entry to -1 to keep that fd */
    size_t nfds;
    nb_srv_t *srv;
    nb_stored_t *stored;
} nb_req_t;

typedef void (*nb_handler_fn)(nb_client_t *c, nb_req_t *x);

json_t *nb_sorted_by_name(json_t *arr);
/* Resolves host, then runs server.create again with its first address. */
int nb_resolve_start(nb_client_t *c, nb_req_t *x, const char *host);

void nb_op_server_create(nb_client_t *c, nb_req_t *x);
void nb_op_server_list(nb_client_t *c, nb_req_t *x);
void nb_op_server_info(nb_client_t *c, nb_req_t *x);
void nb_op_server_set(nb_client_t *c, nb_req_t *x);
void nb_op_server_close(nb_client_t *c, nb_req_t *x);
void nb_op_server_acquire(nb_client_t *c, nb_req_t *x);
void nb_op_server_subscribe(nb_client_t *c, nb_req_t *x);
void nb_op_server_unsubscribe(nb_client_t *c, nb_req_t *x);
void nb_op_socket_connect(nb_client_t *c, nb_req_t *x);
void nb_op_blocklist_change(nb_client_t *c, nb_req_t *x);
void nb_op_blocklist_list(nb_client_t *c, nb_req_t *x);
void nb_op_blocklist_check(nb_client_t *c, nb_req_t *x);

#endif
