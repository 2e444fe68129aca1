/* notify.c: what systemd hears (sd_notify, Type=notify): readiness, reloads, stopping,
 * and a one-line status. Without NOTIFY_SOCKET these do nothing. */
#include "daemon.h"

#include <stdio.h>

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
