/* emitter.c: Node's EventEmitter for every libnetcore object: ordered listeners, once,
 * removal at any time, and emits that see the listeners present when they began. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>

static void sweep(nc__emitter_t *em);

void nc__emitter_init(nc__emitter_t *em, int nevents)
{
    em->head = NULL;
    em->tailp = &em->head;
    em->gen = 0;
    em->depth = 0;
    em->nevents = (uint16_t)nevents; /* a handful: uint16_t keeps the struct small */
    em->dirty = false;
}

void nc__emitter_clear(nc__emitter_t *em)
{
    nc__listener_t *l = em->head;
    while (l != NULL) {
        nc__listener_t *next = l->next;
        free(l);
        l = next;
    }
    em->head = NULL;
    em->tailp = &em->head;
}

int nc__emitter_on(nc__emitter_t *em, int event, nc__fn fn, void *data, bool once)
{
    if (fn == NULL || event < 0 || event >= em->nevents) {
        return -EINVAL;
    }
    /* malloc, not calloc: glibc's calloc skips its per-thread cache, and every accepted
     * socket gets a listener or two. */
    nc__listener_t *l = malloc(sizeof(*l));
    if (l == NULL) {
        return -ENOMEM;
    }
    *l = (nc__listener_t){ .fn = fn, .data = data, .event = event, .once = once };
    l->added = ++em->gen;
    *em->tailp = l;
    em->tailp = &l->next;
    return 0;
}

int nc__emitter_off(nc__emitter_t *em, int event, nc__fn fn, void *data)
{
    /* Node's removeListener takes the most recently added match. */
    nc__listener_t *found = NULL;
    for (nc__listener_t *l = em->head; l != NULL; l = l->next) {
        if (l->removed == 0 && l->event == event && l->fn == fn && l->data == data) {
            found = l;
        }
    }
    if (found == NULL) {
        return -ENOENT;
    }
    found->removed = ++em->gen;
    em->dirty = true;
    if (em->depth == 0) {
        sweep(em);
    }
    return 0;
}

int nc__emitter_count(const nc__emitter_t *em, int event)
{
    int n = 0;
    for (const nc__listener_t *l = em->head; l != NULL; l = l->next) {
        n += (l->removed == 0 && l->event == event);
    }
    return n;
}

void nc__emit_begin(nc__emitter_t *em, int event, nc__emit_iter_t *it)
{
    em->depth++;
    it->cur = em->head;
    it->gen = em->gen;
    it->event = event;
}

bool nc__emit_next(nc__emitter_t *em, nc__emit_iter_t *it, nc__fn *ret_fn, void **ret_data)
{
    /* Node copies the listener array before calling: a node added after the emit began
     * (added > gen) is skipped, one removed after it began (removed > gen) still runs. */
    for (nc__listener_t *l = it->cur; l != NULL; l = l->next) {
        if (l->event != it->event || l->added > it->gen ||
            (l->removed != 0 && l->removed <= it->gen)) {
            continue;
        }
        if (l->once && l->removed == 0) {
            l->removed = ++em->gen;
            em->dirty = true;
        }
        it->cur = l->next;
        *ret_fn = l->fn;
        *ret_data = l->data;
        return true;
    }
    it->cur = NULL;
    return false;
}

void nc__emit_end(nc__emitter_t *em)
{
    /* A sweep walks every listener: only worth it when an emit removed one. */
    if (--em->depth == 0 && em->dirty) {
        sweep(em);
    }
}

static void sweep(nc__emitter_t *em)
{
    nc__listener_t **pp = &em->head;
    while (*pp != NULL) {
        nc__listener_t *l = *pp;
        if (l->removed != 0) {
            *pp = l->next;
            free(l);
        } else {
            pp = &l->next;
        }
    }
    em->tailp = pp;
    em->dirty = false;
}
