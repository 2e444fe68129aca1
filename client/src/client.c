/* client.c: libnetbroker's connection set-up. */
#include "netbroker.h"

#include "nbproto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *nb_client_version(void)
{
    return "0.1.0";
}

int nb_client_default_path(char *buf, size_t size)
{
    const char *env = getenv("NETBROKER_SOCKET");
    int n;

    if (buf == NULL) {
        return -EINVAL;
    }
    if (env != NULL && env[0] != '\0') {
        n = snprintf(buf, size, "%s", env);
    } else if (geteuid() == 0) {
        n = snprintf(buf, size, "%s/%s", NB_PROTO_SYSTEM_RUNDIR, NB_PROTO_SOCKET_NAME);
    } else {
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        if (xdg == NULL || xdg[0] == '\0') {
            return -ENOENT;
        }
        n = snprintf(buf, size, "%s/netbroker/%s", xdg, NB_PROTO_SOCKET_NAME);
    }
    if (n < 0 || (size_t)n >= size) {
        return -ENOSPC;
    }
    return n;
}
