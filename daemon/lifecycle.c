/* lifecycle.c: the daemon's life apart from main(): reload, readiness once the
 * configuration settled, and the orderly stop. Kept out of main.c so that the daemon's
 * core links into tests (tests/fuzz/fuzz_dispatcher.c) without a main(). */
#include "daemon.h"

#include <syslog.h>

/* How long a stopping daemon waits for clients to take what was sent to them. */
#define DRAIN_DEADLINE_MS 5000

static int reload(nb_daemon_t *d, json_t **ret_diff, char *msg, size_t size);

/* SIGHUP and daemon.reload alike: RELOADING=1 first, READY=1 once the servers it changed
 * listen (or failed), also after a refused configuration. */
int nb_daemon_reload(nb_daemon_t *d, json_t **ret_diff, char *msg, size_t size)
{
    nb_notify_reloading(d);
    int r = reload(d, ret_diff, msg, size);
    nb_daemon_ready_when_settled(d);
    return r;
}

static int reload(nb_daemon_t *d, json_t **ret_diff, char *msg, size_t size)
{
    json_t *config = nb_config_load(d->config_path, msg, size);
    if (config == NULL) {
        nb_log(LOG_ERR, "reload refused, running state unchanged: %s", msg);
        return NB_PROTO_ERR_CONFIG;
    }
    int r = nb_config_apply(d, config, ret_diff, msg, size);
    if (r < 0) {
        json_decref(config);
        return r;
    }
    json_decref(d->config);
    d->config = config;
    nb_log(LOG_NOTICE, "configuration reloaded from %s",
           d->config_path != NULL ? d->config_path : "the embedded default");
    return 0;
}

void nb_daemon_ready_when_settled(nb_daemon_t *d)
{
    if (d->config_pending == 0) {
        nb_notify_ready(d);
    } else {
        d->ready_owed = true;
    }
}

void nb_daemon_stop(nb_daemon_t *d, const char *why)
{
    if (d->stopping || nb_handover_quiesce(d, why)) {
        return; /* stopping already, or once the queued connections are handed out */
    }
    d->stopping = true;
    nb_log(LOG_NOTICE, "%s, stopping", why);
    nb_notify_stopping(d);
    nb_control_stop(d);
    /* Listeners close and each queued connection gets its drop; what was already handed
     * to a client (a connection in its output) still reaches it before it is closed. */
    while (d->servers != NULL) {
        nb_srv_close(d->servers);
    }
    nb_fdstore_clear(d);
    nb_outbound_cancel_all(d);
    nb_resolve_cancel_all(d);
    nb_notify_watchdog_stop(d);
    nb_handover_free(d);
    nb_notify_status_stop(d);
    nb_control_drain(d, DRAIN_DEADLINE_MS);
    if (d->on_stop != NULL) {
        d->on_stop(d);
    }
}
