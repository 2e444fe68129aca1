/* loop.c: what libnetcore keeps per uv_loop_t: the deferred queue (Node's
 * process.nextTick) and the read buffer its sockets share. Objects hold the context;
 * the last one to go closes its handles, so uv_loop_close() succeeds afterwards. */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Node reads into 64 KiB chunks; one per loop suffices because reads on a loop never
 * overlap and 'data' listeners must copy what they keep. */
#define NC_READ_BUFFER_SIZE 65536

/* Every connection allocates a socket, a listener or two and, once it ends or fails, the
 * socket's ext (about 1.9 KiB, past glibc's per-thread cache): under connection churn
 * malloc and free were a third of libnetcore's instructions per connection. Freed blocks
 * of those kinds wait here, a few dozen of each at most, for the next connection of the
 * loop. Not under AddressSanitizer, which has to see every free to catch a use after it. */
#if defined(__SANITIZE_ADDRESS__)
#define NC_BLOCK_CACHE_MAX 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NC_BLOCK_CACHE_MAX 0
#endif
#endif
#ifndef NC_BLOCK_CACHE_MAX
#define NC_BLOCK_CACHE_MAX 64
#endif

typedef struct nc__free_block_s {
    struct nc__free_block_s *next;
} nc__free_block_t;

struct nc__loop_s {
    nc__loop_t *next; /* registry */
    uv_loop_t *loop;
    unsigned refs;
    uv_idle_t idle;   /* active (and so ref'd) only while ticks wait: keeps the loop alive */
    uv_check_t check; /* drains right after the poll phase; unref'd */
    nc__tick_t *head;
    nc__tick_t **tailp;
    bool draining;
    int closing; /* handles whose close callback has yet to run */
    char *read_buffer;
    struct {
        nc__free_block_t *head;
        unsigned count;
    } blocks[NC__BLOCK_KINDS];
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static nc__loop_t *registry;

static void on_idle(uv_idle_t *h);
static void on_check(uv_check_t *h);
static void lp_close_cb(uv_handle_t *h);

/* Node ignores SIGPIPE at startup, so that a write to a peer that has gone fails with
 * EPIPE ('error') instead of killing the process. libnetcore's own sends say
 * MSG_NOSIGNAL, but a write queued in libuv goes out through writev(), which raises it:
 * the first libnetcore object does what Node does, unless the program chose a
 * disposition of its own. */
static void ignore_sigpipe(void)
{
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL &&
        !(sa.sa_flags & SA_SIGINFO)) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
    }
}

static nc__loop_t *lp_get(uv_loop_t *loop)
{
    static pthread_once_t sigpipe_once = PTHREAD_ONCE_INIT;
    pthread_once(&sigpipe_once, ignore_sigpipe);
    pthread_mutex_lock(&registry_lock);
    nc__loop_t *lp = registry;
    while (lp != NULL && lp->loop != loop) {
        lp = lp->next;
    }
    if (lp == NULL && (lp = calloc(1, sizeof(*lp))) != NULL) {
        lp->loop = loop;
        lp->tailp = &lp->head;
        uv_idle_init(loop, &lp->idle);
        uv_check_init(loop, &lp->check);
        uv_check_start(&lp->check, on_check);
        uv_unref((uv_handle_t *)&lp->check);
        lp->idle.data = lp;
        lp->check.data = lp;
        lp->next = registry;
        registry = lp;
    }
    if (lp != NULL) {
        lp->refs++;
    }
    pthread_mutex_unlock(&registry_lock);
    return lp;
}

static void lp_put(nc__loop_t *lp)
{
    if (--lp->refs > 0) {
        return;
    }
    pthread_mutex_lock(&registry_lock);
    for (nc__loop_t **pp = &registry; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == lp) {
            *pp = lp->next;
            break;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    /* libuv runs close callbacks in no promised order: free after the last one. */
    lp->closing = 2;
    uv_close((uv_handle_t *)&lp->idle, lp_close_cb);
    uv_close((uv_handle_t *)&lp->check, lp_close_cb);
}

static void lp_close_cb(uv_handle_t *h)
{
    nc__loop_t *lp = h->data;
    if (--lp->closing > 0) {
        return;
    }
    free(lp->read_buffer);
    for (int k = 0; k < NC__BLOCK_KINDS; k++) {
        while (lp->blocks[k].head != NULL) {
            nc__free_block_t *b = lp->blocks[k].head;
            lp->blocks[k].head = b->next;
            free(b);
        }
    }
    free(lp);
}

nc__loop_t *nc__loop_acquire(uv_loop_t *loop)
{
    return lp_get(loop);
}

nc__loop_t *nc__loop_hold(nc__loop_t *lp)
{
    lp->refs++;
    return lp;
}

void nc__loop_release(nc__loop_t *lp)
{
    lp_put(lp);
}

void *nc__block_get_part(nc__loop_t *lp, nc__block_t kind, size_t size, size_t zeroed)
{
    nc__free_block_t *b = lp->blocks[kind].head;
    if (b == NULL) {
        b = malloc(size);
    } else {
        lp->blocks[kind].head = b->next;
        lp->blocks[kind].count--;
    }
    if (b != NULL) {
        memset(b, 0, zeroed);
    }
    return b;
}

void *nc__block_get(nc__loop_t *lp, nc__block_t kind, size_t size)
{
    return nc__block_get_part(lp, kind, size, size);
}

void nc__block_put(nc__loop_t *lp, nc__block_t kind, void *block)
{
#if NC_BLOCK_CACHE_MAX > 0
    if (lp->blocks[kind].count < NC_BLOCK_CACHE_MAX) {
        nc__free_block_t *b = block;
        b->next = lp->blocks[kind].head;
        lp->blocks[kind].head = b;
        lp->blocks[kind].count++;
        return;
    }
#else
    (void)lp;
    (void)kind;
#endif
    free(block);
}

int nc__obj_init(nc__obj_t *obj, uv_loop_t *loop, int nevents, void (*finalize)(nc__obj_t *))
{
    nc__loop_t *lp = lp_get(loop);
    if (lp == NULL) {
        return -ENOMEM;
    }
    nc__obj_init_on(obj, lp, loop, nevents, finalize);
    return 0;
}

void nc__obj_init_on(nc__obj_t *obj,
                     nc__loop_t *lp,
                     uv_loop_t *loop,
                     int nevents,
                     void (*finalize)(nc__obj_t *))
{
    obj->lp = lp;
    obj->loop = loop;
    obj->refs = 1;
    obj->finalize = finalize;
    nc__emitter_init(&obj->em, nevents);
}

void nc__obj_retain(nc__obj_t *obj)
{
    obj->refs++;
}

void nc__obj_release(nc__obj_t *obj)
{
    if (--obj->refs > 0) {
        return;
    }
    nc__loop_t *lp = obj->lp;
    obj->finalize(obj); /* which clears the emitter: it may own listener data */
    lp_put(lp);
}

void nc__tick_init(nc__tick_t *t, nc__obj_t *obj, void (*fn)(nc__tick_t *))
{
    t->next = NULL;
    t->fn = fn;
    t->obj = obj;
    t->queued = false;
}

void nc__tick_push(nc__tick_t *t)
{
    if (t->queued) {
        return;
    }
    nc__loop_t *lp = t->obj->lp;
    t->queued = true;
    t->next = NULL;
    nc__obj_retain(t->obj);
    *lp->tailp = t;
    lp->tailp = &t->next;
    if (!uv_is_active((uv_handle_t *)&lp->idle)) {
        uv_idle_start(&lp->idle, on_idle);
    }
}

void nc__tick_run_now(nc__tick_t *t)
{
    if (!t->queued) {
        return;
    }
    nc__loop_t *lp = t->obj->lp;
    nc__tick_t **pp = &lp->head;
    while (*pp != t) {
        pp = &(*pp)->next;
    }
    *pp = t->next;
    if (lp->tailp == &t->next) {
        lp->tailp = pp;
    }
    t->queued = false;
    nc__obj_t *obj = t->obj;
    t->fn(t);
    nc__obj_release(obj);
}

void nc__loop_drain(nc__loop_t *lp)
{
    /* Every libuv callback ends here; most find the queue empty (an echo's read and its
     * write defer nothing), so that case costs two loads. */
    if (lp->draining || lp->head == NULL) {
        return;
    }
    lp->draining = true;
    lp->refs++; /* the last object may go inside a tick */
    nc__tick_t *t;
    while ((t = lp->head) != NULL) {
        lp->head = t->next;
        if (lp->head == NULL) {
            lp->tailp = &lp->head;
        }
        t->queued = false;
        nc__obj_t *obj = t->obj;
        t->fn(t);
        nc__obj_release(obj);
    }
    uv_idle_stop(&lp->idle);
    lp->draining = false;
    lp_put(lp);
}

static void on_idle(uv_idle_t *h)
{
    nc__loop_drain(h->data);
}

static void on_check(uv_check_t *h)
{
    nc__loop_drain(h->data);
}

void nc__read_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    nc__obj_t *obj = handle->data;
    nc__loop_t *lp = obj->lp;
    if (lp->read_buffer == NULL) {
        lp->read_buffer = malloc(NC_READ_BUFFER_SIZE);
    }
    /* A NULL base makes libuv report UV_ENOBUFS, which the read callback turns into
     * Node's read error. */
    buf->base = lp->read_buffer;
    buf->len = lp->read_buffer != NULL ? NC_READ_BUFFER_SIZE : 0;
}
