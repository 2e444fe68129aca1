/* connect_autoselect_all_fail: a custom lookup answers ::1 and 127.0.0.1 for a name, on a
 * port nobody listens on (a closed server's): one attempt per address, each failure
 * reported, then one AggregateError (code of the first attempt, empty message) holding
 * both errors, and close(hadError=true). */
#include "trace.h"

static int port;

static void lookup(nc_lookup_req_t *req, const char *host, const nc_lookup_options_t *o, void *data)
{
    tr_t *t = data;
    tr_log(t, tr_object(t, "client"), "lookup(%s) hints=%d all=%d", host, o->hints, o->all);
    nc_lookup_address_t a[] = { { "::1", 6 }, { "127.0.0.1", 4 } };
    nc_lookup_done(req, NULL, a, 2);
}

static void on_error(nc_socket_t *c, const void *arg, void *data)
{
    const nc_error_t *e = arg;
    tr_log(data, c, "errors=%zu", e->nerrors);
    for (size_t i = 0; i < e->nerrors; i++) {
        tr_log(data, c, "errors[%zu] %s %s %s", i, nc_err_name(e->errors[i].code),
               e->errors[i].syscall, e->errors[i].address);
    }
}

static void server_closed(nc_server_t *s, const void *arg, void *data)
{
    (void)s;
    (void)arg;
    tr_t *t = data;
    nc_socket_t *c = tr_socket(t, "client", NULL);
    nc_socket_on(c, NC_SOCKET_ERROR, on_error, t);
    nc_connect_options_t co = {
        .port = port, .host = "h.test", .lookup = lookup, .lookup_data = t
    };
    nc_error_t err = { .port = -1 };
    tr_threw(t, c, "connect", nc_socket_connect(c, &co, &err), &err);
}

static void listening(nc_server_t *s, const void *arg, void *data)
{
    (void)arg;
    (void)data;
    nc_address_t a;
    nc_server_address(s, &a);
    port = a.port;
    nc_server_close(s, NULL, NULL);
}

TR_SCENARIO(connect_autoselect_all_fail)
{
    nc_server_t *s = tr_server(t, "server", NULL);
    nc_server_on(s, NC_SERVER_LISTENING, listening, t);
    nc_server_on(s, NC_SERVER_CLOSE, server_closed, t);
    tr_listen(t, s, "127.0.0.1", 0);
}
