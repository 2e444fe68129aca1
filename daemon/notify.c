/* notify.c: what systemd hears (sd_notify, Type=notify): readiness, reloads, stopping,
 * and a one-line status. Without NOTIFY_SOCKET these do nothing. */
#include "daemon.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

/* STATUS= goes out when it changed, at most once per this many ms: a burst of
 * connections costs systemd one message, not one per connection. */
#define STATUS_INTERVAL_MS 1000
#define STATUS_MAX         160

typedef struct nb_status_s nb_status_t;
static void on_status_later(uv_timer_t *t);

struct nb_status_s {
    uv_prepare_t check; /* after each loop turn's work: did the status change? */
    uv_timer_t later;   /* a change within the interval goes out at its end */
    char sent[STATUS_MAX];
    uint64_t sent_at;
    bool pending;
};

/* The figures: servers, the connections they hold (queued or handed over, not
 * yet taken) and their subscribers; then control clients and stored fds. */
static void status_text(const nb_daemon_t *d, char *buf, size_t size)
{
    size_t held = 0, subs = 0;
    for (const nb_srv_t *s = d->servers; s != NULL; s = s->next) {
        held += s->held;
        subs += s->nsubs;
    }
    snprintf(buf, size,
             "%zu servers, %zu connections, %zu subscribers, %zu clients, %zu stored fds",
             d->nservers, held, subs, d->nclients, d->nstored);
}

/* sd_notify blocks while systemd's queue for this service is full (net.unix.max_dgram_qlen
 * datagrams, 10 by default), and with it the whole loop. A status line or a watchdog ping
 * is not worth that: these go out without waiting, and one that finds the queue full is
 * dropped (the next change or ping says the same). Returns 0 or a negative errno. */
static int notify_optional(const char *msg)
{
    const char *e = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    size_t n = e != NULL ? strlen(e) : 0;
    if (n == 0 || n >= sizeof(sun.sun_path) || (e[0] != '/' && e[0] != '@')) {
        return -EAFNOSUPPORT;
    }
    memcpy(sun.sun_path, e, n);
    if (sun.sun_path[0] == '@') {
        sun.sun_path[0] = '\0'; /* an abstract name */
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -errno;
    }
    ssize_t r = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&sun,
                       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
    int err = r < 0 ? -errno : 0;
    close(fd);
    return err;
}

static void status(const nb_daemon_t *d, const char *state)
{
    char text[STATUS_MAX];
    status_text(d, text, sizeof(text));
    sd_notifyf(0, "%s\nSTATUS=%s", state, text);
    if (d->status != NULL) {
        snprintf(d->status->sent, sizeof(d->status->sent), "%s", text);
        d->status->sent_at = uv_now(d->loop);
    }
}

void nb_notify_ready(const nb_daemon_t *d)
{
    status(d, "READY=1");
}

void nb_notify_reloading(const nb_daemon_t *d)
{
    /* MONOTONIC_USEC: what Type=notify-reload (systemd 253) asks RELOADING=1 to carry. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char state[64];
    snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
    status(d, state);
}

void nb_notify_stopping(const nb_daemon_t *d)
{
    status(d, "STOPPING=1");
}

static void status_check(nb_daemon_t *d)
{
    char text[STATUS_MAX];
    nb_status_t *st = d->status;
    status_text(d, text, sizeof(text));
    if (strcmp(text, st->sent) == 0 || st->pending) {
        return;
    }
    uint64_t now = uv_now(d->loop);
    if (now - st->sent_at >= STATUS_INTERVAL_MS) {
        char msg[STATUS_MAX + 8];
        snprintf(msg, sizeof(msg), "STATUS=%s", text);
        if (notify_optional(msg) < 0) {
            /* Not sent: try again in an interval, even if nothing else happens by then. */
            st->pending = true;
            uv_timer_start(&st->later, on_status_later, STATUS_INTERVAL_MS, 0);
            return;
        }
        snprintf(st->sent, sizeof(st->sent), "%s", text);
        st->sent_at = now;
    } else {
        st->pending = true;
        uv_timer_start(&st->later, on_status_later, st->sent_at + STATUS_INTERVAL_MS - now, 0);
    }
}

static void on_status_later(uv_timer_t *t)
{
    nb_daemon_t *d = t->data;
    d->status->pending = false;
    d->status->sent_at = 0; /* the interval is over */
    status_check(d);
}

static void on_status_check(uv_prepare_t *p)
{
    status_check(p->data);
}

void nb_notify_status_start(nb_daemon_t *d)
{
    const char *e = getenv("NOTIFY_SOCKET");
    if (e == NULL || e[0] == '\0' || (d->status = calloc(1, sizeof(*d->status))) == NULL) {
        return;
    }
    status_text(d, d->status->sent, sizeof(d->status->sent));
    uv_prepare_init(d->loop, &d->status->check);
    uv_timer_init(d->loop, &d->status->later);
    d->status->check.data = d->status->later.data = d;
    uv_prepare_start(&d->status->check, on_status_check);
    /* Neither keeps the daemon running: stopping is the listeners' and clients' business. */
    uv_unref((uv_handle_t *)&d->status->check);
    uv_unref((uv_handle_t *)&d->status->later);
}

static void status_closed(uv_handle_t *h)
{
    free(h->data);
}

void nb_notify_status_stop(nb_daemon_t *d)
{
    if (d->status != NULL) {
        uv_close((uv_handle_t *)&d->status->check, NULL);
        d->status->later.data = d->status; /* the last close callback frees it all */
        uv_close((uv_handle_t *)&d->status->later, status_closed);
        d->status = NULL;
    }
}

int nb_notify_fdstore(const char *name, int fd)
{
    char msg[NB_PROTO_FD_NAME_MAX + 48];
    snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
    int r = sd_pid_notify_with_fds(0, 0, msg, &fd, 1);
    if (r < 0) {
        nb_log(LOG_WARNING, "fd '%s' not mirrored into systemd's fd store: %s, ignoring", name,
               strerror(-r));
    }
    return r < 0 ? r : 0;
}

void nb_notify_fdstore_remove(const char *name)
{
    char msg[NB_PROTO_FD_NAME_MAX + 48];
    snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", name);
    sd_notify(0, msg);
}

int nb_notify_adopt(nb_daemon_t *d)
{
    char **names = NULL;
    nb_activation_check_pid();
    int n = sd_listen_fds_with_names(1, &names);
    if (n < 0) {
        nb_log(LOG_WARNING, "LISTEN_FDS: %s, ignoring", strerror(-n));
        return 0;
    }
    for (int i = 0; i < n; i++) {
        int fd = SD_LISTEN_FDS_START + i;
        const char *name = names != NULL ? names[i] : NULL;
        if (name != NULL && strncmp(name, "nb-", 3) == 0) {
            nb_handover_adopt_fd(d, name, fd); /* the daemon's own entries (handover.c) */
        } else if (name != NULL && nb_activation_owns(name, fd)) {
            nb_activation_adopt(d, name, fd); /* a socket unit's */
        } else if (name == NULL || !nb_proto_fd_name_valid(name) ||
                   nb_fdstore_adopt(d, name, fd) < 0) {
            nb_log(LOG_WARNING, "inherited fd %d ('%s') not adopted, closed", fd,
                   name != NULL ? name : "");
            close(fd);
        } else {
            nb_log(LOG_INFO, "fd '%s' taken back from systemd's fd store", name);
        }
    }
    if (names != NULL) {
        for (int i = 0; i < n; i++) {
            free(names[i]);
        }
        free(names);
    }
    nb_handover_restore(d);
    return n;
}

static void watchdog_closed(uv_handle_t *h)
{
    free(h);
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    (void)notify_optional("WATCHDOG=1");
}

void nb_notify_watchdog_start(nb_daemon_t *d)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
        return;
    }
    if ((d->watchdog = malloc(sizeof(*d->watchdog))) == NULL) {
        return;
    }
    /* Twice per interval, as sd_watchdog_enabled(3) advises: a late turn is no miss. */
    uint64_t ms = usec / 2000 > 0 ? usec / 2000 : 1;
    uv_timer_init(d->loop, d->watchdog);
    uv_timer_start(d->watchdog, on_watchdog, ms, ms);
    nb_log(LOG_INFO, "watchdog every %llu ms", (unsigned long long)ms);
}

void nb_notify_watchdog_stop(nb_daemon_t *d)
{
    if (d->watchdog != NULL) {
        uv_close((uv_handle_t *)d->watchdog, watchdog_closed);
        d->watchdog = NULL;
    }
}
