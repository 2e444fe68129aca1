/* listen_path_cut_length: a Unix path longer than sun_path is truncated to fit, as libuv
 * does for Node: how long is the name on disk? */
#include "trace.h"

#include <dirent.h>
#include <string.h>

static char name[101];

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    DIR *d = opendir(tr_path(t, "", NULL));
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] != '.') {
            tr_log(t, s, "on disk: a name of %zu bytes", strlen(e->d_name));
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    nc_server_close(s, NULL, NULL);
}

TR_SCENARIO(listen_path_cut_length)
{
    memset(name, 'x', sizeof(name) - 1);
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    tr_listen_path(t, s, name);
}
