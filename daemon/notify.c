/* notify.c: what systemd hears (sd_notify, Type=notify): readiness, reloads, stopping,
 * and a one-line status. Without NOTIFY_SOCKET these do nothing. */
#include "daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

static void status(const nb_daemon_t *d, const char *state)
{
    sd_notifyf(0, "%s\nSTATUS=%zu servers, %zu clients, %zu stored fds", state, d->nservers,
               d->nclients, d->nstored);
}

void nb_notify_ready(const nb_daemon_t *d)
{
    status(d, "READY=1");
}

void nb_notify_reloading(const nb_daemon_t *d)
{
    status(d, "RELOADING=1");
}

void nb_notify_stopping(const nb_daemon_t *d)
{
    status(d, "STOPPING=1");
}

void nb_notify_fdstore(const char *name, int fd)
{
    char msg[NB_PROTO_FD_NAME_MAX + 48];
    snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
    int r = sd_pid_notify_with_fds(0, 0, msg, &fd, 1);
    if (r < 0) {
        nb_log(LOG_WARNING, "fd '%s' not mirrored into systemd's fd store: %s, ignoring", name,
               strerror(-r));
    }
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
            continue;
        }
        if (name == NULL || !nb_proto_fd_name_valid(name) || nb_fdstore_adopt(d, name, fd) < 0) {
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
    sd_notify(0, "WATCHDOG=1");
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
