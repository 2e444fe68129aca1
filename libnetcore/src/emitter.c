/* emitter.c: Node's EventEmitter for every libnetcore object: ordered listeners, once,
 * removal at any time, and emits that see the listeners present when they began. */
#include "internal.h"

#include <errno.h>

/* may_have has a bit per event. */
_Static_assert(NC_SOCKET_EVENT_COUNT <= 16 && NC_SERVER_EVENT_COUNT <= 16,
               "nc__emitter_t.may_have holds one bit per event");

void nc__emitter_init(nc__emitter_t *em, int nevents)
{
    em->head = NULL;
    em->tailp = &em->head;
    em->gen = 0;
    em->depth = 0;
    em->nevents = (uint16_t)nevents; /* a handful: uint16_t keeps the struct small */
    em->may_have = 0;
    em->dirty = false;
}

void nc__emitter_clear(nc__emitter_t *em, nc__loop_t *lp)
{
    nc__listener_t *l = em->head;
    while (l != NULL) {
        nc__listener_t *next = l->next;
        nc__block_put(lp, NC__BLOCK_LISTENER, l);
        l = next;
    }
    em->head = NULL;
    em->tailp = &em->head;
    em->may_have = 0;
}

int nc__emitter_on(nc__emitter_t *em, nc__loop_t *lp, int event, nc__fn fn, void *data, bool once)
{
    if (fn == NULL || event < 0 || event >= em->nevents) {
        return -EINVAL;
    }
    /* Every field is set just below: no zeroing needed. */
    nc__listener_t *l = nc__block_get_part(lp, NC__BLOCK_LISTENER, sizeof(*l), 0);
    if (l == NULL) {
        return -ENOMEM;
    }
    *l = (nc__listener_t){ .fn = fn, .data = data, .event = event, .once = once };
    l->added = ++em->gen;
    *em->tailp = l;
    em->tailp = &l->next;
    em->may_have |= (uint16_t)(1u << event);
    return 0;
}

int nc__emitter_off(nc__emitter_t *em, nc__loop_t *lp, int event, nc__fn fn, void *data)
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
        nc__emitter_sweep(em, lp);
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

void nc__emitter_sweep(nc__emitter_t *em, nc__loop_t *lp)
{
    nc__listener_t **pp = &em->head;
    uint16_t may_have = 0;
    while (*pp != NULL) {
        nc__listener_t *l = *pp;
        if (l->removed != 0) {
            *pp = l->next;
            nc__block_put(lp, NC__BLOCK_LISTENER, l);
        } else {
            may_have |= (uint16_t)(1u << l->event);
            pp = &l->next;
        }
    }
    em->tailp = pp;
    em->may_have = may_have;
    em->dirty = false;
}
