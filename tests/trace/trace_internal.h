/* trace_internal.h: the tracer's state, shared by trace.c (lines and output),
 * trace_events.c (the listeners) and trace_main.c (the run). */
#ifndef NB_TRACE_INTERNAL_H
#define NB_TRACE_INTERNAL_H

#include "trace.h"

#include <stdint.h>

#define TR_MAX_OBJS  64
#define TR_MAX_PATHS 16
#define TR_PATH_LEN  128
#define TR_LINE_MAX  768
#define TR_RING      8
#define TR_RING_LEN  24

typedef struct {
    char name[32];
    void *ptr;
    bool is_server;
    char *text; /* the object's lines, each ending in '\n' */
    size_t len, cap;
    uint64_t pending; /* bytes of the current run of 'data' */
    bool has_pending;
} tr_obj_t;

struct tr_s {
    uv_loop_t loop;
    uv_timer_t deadline;
    bool recording;
    char dir[64];
    char abstract_prefix[48];
    tr_obj_t objs[TR_MAX_OBJS];
    int nobj;
    int conns;
    int ports[TR_MAX_OBJS];
    char port_names[TR_MAX_OBJS][32];
    int nports;
    char paths[TR_MAX_PATHS][TR_PATH_LEN];
    size_t path_lens[TR_MAX_PATHS];
    int npaths;
    char ring[TR_RING][TR_RING_LEN];
    int ringi;
    const tr_pair_t *pair;
};

tr_obj_t *tr__find(const tr_t *t, const void *ptr);
tr_obj_t *tr__add(tr_t *t, const char *name, void *ptr, bool is_server);
void tr__put(tr_t *t, tr_obj_t *o, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tr__data(tr_t *t, tr_obj_t *o, size_t len);
void tr__name_port(tr_t *t, int port, const char *name);
/* Address text as lines show it: an abstract name's NUL as '@'. */
void tr__text(const char *s, size_t len, char *buf, size_t size);
void tr__print(tr_t *t);

#endif
