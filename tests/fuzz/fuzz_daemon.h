/* fuzz_daemon.h: how the two daemon targets end one input's daemon: its loop run out and
 * closed, what startup allocated freed, and every fd the input made given back. */
#ifndef FUZZ_DAEMON_H
#define FUZZ_DAEMON_H

#include <stdlib.h>

#include <jansson.h>
#include <uv.h>

#include "daemon.h"
#include "fuzz_check.h"

/* Called once the servers and connections are closed; before is fuzz_count_fds() at the
 * input's start. */
static inline void fuzz_daemon_end(nb_daemon_t *d,
                                   uv_loop_t *loop,
                                   uv_timer_t *deadline,
                                   int before)
{
    uv_close((uv_handle_t *)deadline, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(loop) == 0);
    nb_acl_clear(&d->acl);
    nc_blocklist_unref(d->global_bl);
    json_decref(d->global_rules);
    json_decref(d->config);
    free(d->handover);
    CHECK(fuzz_count_fds() == before);
}

#endif
