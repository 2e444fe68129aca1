/* listen_socket.c: a listening socket nobody in this process accepts on, the handle
 * Node's cluster primary creates and shares with its workers. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define NC_DEFAULT_BACKLOG 511

static int tcp_socket(const char *host, int port, bool v6only, int *ret_fd)
{
    struct sockaddr_storage ss;
    int family = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
    int r = family == AF_INET6 ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss)
                               : uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
    if (r < 0) {
        return r;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -errno;
    }
    int on = 1;
    /* As uv_tcp_bind: SO_REUSEADDR always, IPV6_V6ONLY only when asked. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (family == AF_INET6) {
        int v6 = v6only ? 1 : 0;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof(v6));
    }
    socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    *ret_fd = fd;
    return 0;
}

static int listen_tcp(const nc_listen_options_t *o, int *ret_fd, nc_error_t *err)
{
    if (o->port < 0 || o->port > 65535) {
        return nc__error(err, NC_ERR_SOCKET_BAD_PORT,
                         "options.port should be >= 0 and < 65536. Received type number (%d).",
                         o->port);
    }
    if (o->host != NULL && nc__ip_family(o->host) == 0) {
        return nc__error(err, NC_ERR_INVALID_ARG_VALUE,
                         "The argument 'host' must be an IP address");
    }
    const char *host = o->host != NULL ? o->host : "::";
    int r = tcp_socket(host, o->port, o->ipv6_only, ret_fd);
    if (r < 0 && o->host == NULL) {
        /* Node: no host means '::', or '0.0.0.0' where IPv6 cannot be bound. */
        host = "0.0.0.0";
        r = tcp_socket(host, o->port, false, ret_fd);
    }
    if (r < 0) {
        return nc__error_sys(err, r, "listen", host, o->port);
    }
    return 0;
}

static int listen_pipe(const nc_listen_options_t *o, int *ret_fd, nc_error_t *err)
{
    struct sockaddr_un un;
    socklen_t len;
    if (nc__unix_addr(o->path, o->path_len, &un, &len) < 0) {
        return nc__error(err, NC_ERR_INVALID_ARG_VALUE,
                         "The argument 'path' must fit in sun_path (%zu bytes)",
                         sizeof(un.sun_path) - 1);
    }
    char shown[sizeof(un.sun_path) + 1];
    nc__unix_display(o->path, o->path_len, shown, sizeof(shown));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return nc__error_sys(err, -errno, "listen", shown, -1);
    }
    if (bind(fd, (const struct sockaddr *)&un, len) < 0) {
        int r = -errno;
        close(fd);
        return nc__error_sys(err, r, "listen", shown, -1);
    }
    if (un.sun_path[0] != '\0' && (o->readable_all || o->writable_all)) {
        /* As uv_pipe_chmod: add read and/or write for everyone. */
        struct stat st;
        mode_t add = (o->readable_all ? 0444 : 0) | (o->writable_all ? 0222 : 0);
        if (stat(un.sun_path, &st) < 0 || chmod(un.sun_path, (st.st_mode & 07777) | add) < 0) {
            int r = -errno;
            unlink(un.sun_path);
            close(fd);
            return nc__error_sys(err, r, "uv_pipe_chmod", NULL, -1);
        }
    }
    *ret_fd = fd;
    return 0;
}

int nc_listen_socket(const nc_listen_options_t *opts, int *ret_fd, nc_error_t *err)
{
    if (opts == NULL || ret_fd == NULL) {
        return -EINVAL;
    }
    if (opts->backlog < 0) {
        return nc__error(err, NC_ERR_OUT_OF_RANGE, "backlog must be >= 0");
    }
    int fd = -1;
    int r = opts->path != NULL ? listen_pipe(opts, &fd, err) : listen_tcp(opts, &fd, err);
    if (r < 0) {
        return r;
    }
    if (listen(fd, opts->backlog > 0 ? opts->backlog : NC_DEFAULT_BACKLOG) < 0) {
        r = -errno;
        if (opts->path != NULL && opts->path[0] != '\0') {
            unlink(opts->path);
        }
        close(fd);
        return nc__error_sys(err, r, "listen", opts->path != NULL ? opts->path : opts->host,
                             opts->port);
    }
    *ret_fd = fd;
    return 0;
}
