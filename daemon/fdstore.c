/* fdstore.c: fds parked under a name (PROTOCOL.md 9.6), kept across the storing
 * client's restart, each with an optional expiry after which the daemon closes it. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

int64_t nb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

nb_stored_t *nb_fdstore_find(nb_daemon_t *d, const char *name)
{
    for (nb_stored_t *s = d->stored; s != NULL; s = s->next) {
        if (strcmp(s->name, name) == 0) {
            return s;
        }
    }
    return NULL;
}

static void timer_closed(uv_handle_t *h)
{
    free(h);
}

void nb_fdstore_remove(nb_stored_t *s)
{
    nb_stored_t **pp = &s->d->stored;
    while (*pp != s) {
        pp = &(*pp)->next;
    }
    *pp = s->next;
    s->d->nstored--;
    if (s->timer != NULL) {
        uv_close((uv_handle_t *)s->timer, timer_closed);
    }
    close(s->fd);
    free(s);
}

/* Mirrored as nb-fd.NAME: the nb- prefix tells the daemon's own entries from the sockets
 * of socket units when systemd hands them back. */
static void mirror_name(const nb_stored_t *s, char *buf, size_t size)
{
    snprintf(buf, size, "nb-fd.%s", s->name);
}

void nb_fdstore_forget(nb_stored_t *s)
{
    char name[NB_PROTO_FD_NAME_MAX + 8];
    mirror_name(s, name, sizeof(name));
    nb_daemon_t *d = s->d;
    nb_notify_fdstore_remove(name);
    nb_fdstore_remove(s);
    nb_handover_changed(d);
}

static void on_expire(uv_timer_t *t)
{
    nb_stored_t *s = t->data;
    nb_log(LOG_INFO, "stored fd '%s' expired, closed", s->name);
    nb_fdstore_forget(s);
}

static void link_stored(nb_daemon_t *d, nb_stored_t *s)
{
    s->next = d->stored;
    d->stored = s;
    d->nstored++;
}

int nb_fdstore_adopt(nb_daemon_t *d, const char *name, int fd)
{
    /* who stored it and when was not kept (no state came with it) */
    return nb_fdstore_restore(d, name, fd, d->self_uid, nb_now_ms(), -1);
}

int nb_fdstore_restore(nb_daemon_t *d,
                       const char *name,
                       int fd,
                       uid_t uid,
                       int64_t stored_at,
                       int64_t expires_at)
{
    if (nb_fdstore_find(d, name) != NULL || d->nstored >= NB_STORED_FDS_MAX ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        return -EEXIST;
    }
    nb_stored_t *s = calloc(1, sizeof(*s));
    if (s == NULL || (expires_at >= 0 && (s->timer = malloc(sizeof(*s->timer))) == NULL)) {
        free(s);
        return -ENOMEM;
    }
    if (s->timer != NULL) {
        /* The expiry is a time: what is left of it runs on (none left: next turn). */
        int64_t left = expires_at - nb_now_ms();
        uv_timer_init(d->loop, s->timer);
        s->timer->data = s;
        uv_timer_start(s->timer, on_expire, left > 0 ? (uint64_t)left : 0, 0);
    }
    s->d = d;
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->fd = fd;
    s->uid = uid;
    s->stored_at = stored_at;
    s->expires_at = expires_at;
    link_stored(d, s);
    return 0;
}

int nb_fdstore_put(nb_daemon_t *d,
                   const nb_proto_fd_store_args_t *a,
                   uid_t uid,
                   int fd,
                   nb_stored_t **ret)
{
    nb_stored_t *old = nb_fdstore_find(d, a->name);
    if (old != NULL && !a->replace) {
        return -EEXIST;
    }
    if (old == NULL && d->nstored >= NB_STORED_FDS_MAX) {
        return -EMFILE;
    }
    nb_stored_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return -ENOMEM;
    }
    if (a->timeout != NB_PROTO_UNSET) {
        if ((s->timer = malloc(sizeof(*s->timer))) == NULL) {
            free(s);
            return -ENOMEM;
        }
        uv_timer_init(d->loop, s->timer);
        s->timer->data = s;
        uv_timer_start(s->timer, on_expire, (uint64_t)a->timeout, 0);
    }
    if (old != NULL) {
        nb_fdstore_forget(old);
    }
    s->d = d;
    snprintf(s->name, sizeof(s->name), "%s", a->name);
    s->fd = fd;
    s->uid = uid;
    s->stored_at = nb_now_ms();
    s->expires_at = a->timeout != NB_PROTO_UNSET ? s->stored_at + a->timeout : -1;
    link_stored(d, s);
    char mirror[NB_PROTO_FD_NAME_MAX + 8];
    mirror_name(s, mirror, sizeof(mirror));
    nb_notify_fdstore(mirror, s->fd);
    nb_handover_changed(d);
    *ret = s;
    return 0;
}

json_t *nb_fdstore_describe(const nb_stored_t *s)
{
    struct stat st;
    const char *type = "other";
    if (fstat(s->fd, &st) == 0) {
        type = S_ISSOCK(st.st_mode)   ? "socket"
               : S_ISFIFO(st.st_mode) ? "fifo"
               : S_ISREG(st.st_mode)  ? "file"
                                      : "other";
    }
    return json_pack("{s:s,s:s,s:I,s:I,s:o}", "name", s->name, "type", type, "uid",
                     (json_int_t)s->uid, "storedAt", (json_int_t)s->stored_at, "expiresAt",
                     s->expires_at < 0 ? json_null() : json_integer(s->expires_at));
}

void nb_fdstore_clear(nb_daemon_t *d)
{
    nb_stored_t *next;
    for (nb_stored_t *s = d->stored; s != NULL; s = next) {
        next = s->next;
        nb_fdstore_remove(s);
    }
}
