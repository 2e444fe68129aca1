/* connect_autoselect_fallback: a custom lookup answers ::1 (nobody listens there) and
 * 127.0.0.1 (the server): the ::1 attempt fails, the 127.0.0.1 one connects; the client
 * ends and reads its autoSelectFamilyAttemptedAddresses at 'close'. */
#include "trace.h"

#include <string.h>

static void lookup(nc_lookup_req_t *req, const char *host, const nc_lookup_options_t *o, void *data)
{
    (void)host;
    (void)o;
    (void)data;
    nc_lookup_address_t a[] = { { "::1", 6 }, { "127.0.0.1", 4 } };
    nc_lookup_done(req, NULL, a, 2);
}

static void on_connect(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_socket_end(c, NULL, 0);
}

static void on_close(nc_socket_t *c, const void *arg, void *data)
{
    (void)arg;
    size_t n = nc_socket_attempted_address_count(c);
    tr_log(data, c, "attempted=%zu", n);
    for (size_t i = 0; i < n; i++) {
        const char *a = nc_socket_attempted_address(c, i);
        tr_log(data, c, "attempted[%zu] %.*s", i, (int)(strrchr(a, ':') - a), a);
    }
}

static void on_connection(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_server_close(s, NULL, NULL);
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    tr_t *t = data;
    nc_address_t a;
    nc_server_address(s, &a);
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_socket_on(c, NC_SOCKET_CONNECT, on_connect, t);
    nc_socket_on(c, NC_SOCKET_CLOSE, on_close, t);
    nc_connect_options_t co = { .port = a.port, .host = "h.test", .lookup = lookup };
    nc_error_t err = { .port = -1 };
    tr_threw(t, c, "connect", nc_socket_connect(c, &co, &err), &err);
}

TR_SCENARIO(connect_autoselect_fallback)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CONNECTION, on_connection, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
