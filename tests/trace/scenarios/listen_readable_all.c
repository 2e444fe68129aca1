/* listen_readable_all: Unix paths with readableAll, writableAll and both: the socket
 * file gets read, write or both for everyone on top of what the umask left ('listening'
 * comes with the mode already set). A server without either keeps the umask's mode. */
#include "trace.h"

#include <sys/stat.h>

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    nc_address_t a;
    struct stat st;
    if (nc_server_address(s, &a) < 0 || stat(a.address, &st) < 0) {
        tr_fail(data, "stat of %s's path failed", tr_name(data, s));
        return;
    }
    tr_log(data, s, "mode=%o", (unsigned)(st.st_mode & 07777));
    nc_server_close(s, NULL, NULL);
}

static void start(tr_t *t, const char *name, bool readable_all, bool writable_all)
{
    nc_server_t *s = tr_server(t, name, NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_listen_options_t lo = { .readable_all = readable_all, .writable_all = writable_all };
    lo.path = tr_path(t, name, &lo.path_len);
    nc_error_t err = { .port = -1 };
    tr_threw(t, s, "listen", nc_server_listen(s, &lo, &err), &err);
}

TR_SCENARIO(listen_readable_all)
{
    umask(027);
    start(t, "both", true, true);
    start(t, "neither", false, false);
    start(t, "readable", true, false);
    start(t, "writable", false, true);
}
