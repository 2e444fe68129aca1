/* abort.c: AbortController and AbortSignal: a refcounted signal with once-listeners that
 * abort() calls synchronously, as Node's EventTarget dispatches 'abort'. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>

typedef struct abort_listener_s {
    struct abort_listener_s *next;
    nc_abort_cb cb;
    void *data;
    bool removed; /* called or removed while a dispatch walks the list */
} abort_listener_t;

struct nc_abort_signal_s {
    unsigned refs;
    bool aborted;
    int reason;
    unsigned depth; /* dispatches in progress: removed nodes are freed after them */
    abort_listener_t *head;
};

struct nc_abort_controller_s {
    nc_abort_signal_t *signal;
};

static int signal_new(nc_abort_signal_t **ret)
{
    nc_abort_signal_t *sig = calloc(1, sizeof(*sig));
    if (sig == NULL) {
        return -ENOMEM;
    }
    sig->refs = 1;
    *ret = sig;
    return 0;
}

static void free_listeners(nc_abort_signal_t *sig, bool all)
{
    abort_listener_t **pp = &sig->head;
    while (*pp != NULL) {
        abort_listener_t *l = *pp;
        if (all || l->removed) {
            *pp = l->next;
            free(l);
        } else {
            pp = &l->next;
        }
    }
}

nc_abort_signal_t *nc_abort_signal_ref(nc_abort_signal_t *sig)
{
    if (sig != NULL) {
        sig->refs++;
    }
    return sig;
}

nc_abort_signal_t *nc_abort_signal_unref(nc_abort_signal_t *sig)
{
    if (sig != NULL && --sig->refs == 0) {
        free_listeners(sig, true);
        free(sig);
    }
    return NULL;
}

int nc_abort_signal_new_aborted(int reason, nc_abort_signal_t **ret)
{
    if (ret == NULL) {
        return -EINVAL;
    }
    nc_abort_signal_t *sig;
    int r = signal_new(&sig);
    if (r < 0) {
        return r;
    }
    sig->aborted = true;
    sig->reason = reason != 0 ? reason : NC_ABORT_ERR;
    *ret = sig;
    return 0;
}

bool nc_abort_signal_aborted(const nc_abort_signal_t *sig)
{
    return sig != NULL && sig->aborted;
}

int nc_abort_signal_reason(const nc_abort_signal_t *sig)
{
    return sig != NULL ? sig->reason : 0;
}

int nc_abort_signal_add(nc_abort_signal_t *sig, nc_abort_cb cb, void *data)
{
    if (sig == NULL || cb == NULL) {
        return -EINVAL;
    }
    abort_listener_t *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return -ENOMEM;
    }
    l->cb = cb;
    l->data = data;
    /* Node: a listener added to an aborted signal is never called. */
    l->removed = sig->aborted;
    abort_listener_t **pp = &sig->head;
    while (*pp != NULL) {
        pp = &(*pp)->next;
    }
    *pp = l;
    if (sig->depth == 0) {
        free_listeners(sig, false);
    }
    return 0;
}

int nc_abort_signal_remove(nc_abort_signal_t *sig, nc_abort_cb cb, void *data)
{
    if (sig == NULL) {
        return -EINVAL;
    }
    for (abort_listener_t *l = sig->head; l != NULL; l = l->next) {
        if (!l->removed && l->cb == cb && l->data == data) {
            l->removed = true;
            if (sig->depth == 0) {
                free_listeners(sig, false);
            }
            return 0;
        }
    }
    return -ENOENT;
}

/* Calls each listener present when the abort began, once, in order; a listener removed
 * meanwhile (by an earlier one) is skipped, as EventTarget skips it. */
static void signal_abort(nc_abort_signal_t *sig, int reason)
{
    if (sig->aborted) {
        return;
    }
    sig->aborted = true;
    sig->reason = reason != 0 ? reason : NC_ABORT_ERR;
    sig->refs++;
    sig->depth++;
    abort_listener_t *last = NULL;
    for (abort_listener_t *l = sig->head; l != NULL; l = l->next) {
        last = l;
    }
    for (abort_listener_t *l = sig->head; l != NULL; l = l->next) {
        if (!l->removed) {
            l->removed = true;
            l->cb(sig, l->data);
        }
        if (l == last) {
            break;
        }
    }
    sig->depth--;
    if (sig->depth == 0) {
        free_listeners(sig, false);
    }
    nc_abort_signal_unref(sig);
}

int nc_abort_controller_new(nc_abort_controller_t **ret)
{
    if (ret == NULL) {
        return -EINVAL;
    }
    nc_abort_controller_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return -ENOMEM;
    }
    int r = signal_new(&c->signal);
    if (r < 0) {
        free(c);
        return r;
    }
    *ret = c;
    return 0;
}

nc_abort_signal_t *nc_abort_controller_signal(nc_abort_controller_t *c)
{
    return c != NULL ? c->signal : NULL;
}

void nc_abort_controller_abort(nc_abort_controller_t *c, int reason)
{
    if (c != NULL) {
        signal_abort(c->signal, reason);
    }
}

void nc_abort_controller_free(nc_abort_controller_t *c)
{
    if (c != NULL) {
        nc_abort_signal_unref(c->signal);
        free(c);
    }
}
