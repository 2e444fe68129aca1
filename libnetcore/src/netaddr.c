/* netaddr.c: the address and error plumbing Server and Socket share: sockaddr to Node's
 * address objects, Node's system-error messages, Unix paths, keepalive options. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netinet/tcp.h>

int nc__address_from(const struct sockaddr *sa, socklen_t len, nc_address_t *ret)
{
    nc_address_t a = { .port = -1 };
    if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        int r = sa->sa_family == AF_INET ? uv_ip4_name(in4, a.address, sizeof(a.address))
                                         : uv_ip6_name(in6, a.address, sizeof(a.address));
        if (r < 0) {
            return r;
        }
        a.address_len = strlen(a.address);
        a.port = ntohs(sa->sa_family == AF_INET ? in4->sin_port : in6->sin6_port);
        a.family = sa->sa_family == AF_INET ? "IPv4" : "IPv6";
    } else if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        size_t off = offsetof(struct sockaddr_un, sun_path);
        size_t n = len > off ? (size_t)len - off : 0;
        /* A filesystem name comes NUL-terminated, an abstract one is exactly n bytes. */
        if (n > 0 && un->sun_path[0] != '\0') {
            n = strnlen(un->sun_path, n);
        }
        if (n >= sizeof(a.address)) {
            return -EINVAL;
        }
        memcpy(a.address, un->sun_path, n);
        a.address[n] = '\0';
        a.address_len = n;
    } else {
        return -EINVAL;
    }
    *ret = a;
    return 0;
}

int nc__error_sys(nc_error_t *err, int code, const char *syscall, const char *addr, int port)
{
    if (err == NULL) {
        return code;
    }
    /* Node: listen errors come from uvExceptionWithHostPort, with libuv's text ("listen
     * EADDRINUSE: address already in use :::80"); the others from exceptionWithHostPort
     * or errnoException, without it ("connect ECONNREFUSED 127.0.0.1:80", "read
     * ECONNRESET"). */
    char head[128];
    if (strcmp(syscall, "listen") == 0) {
        snprintf(head, sizeof(head), "%s %s: %s", syscall, nc_err_name(code), nc_strerror(code));
    } else {
        snprintf(head, sizeof(head), "%s %s", syscall, nc_err_name(code));
    }
    if (addr != NULL && port > 0) {
        nc__error(err, code, "%s %s:%d", head, addr, port);
    } else if (addr != NULL && addr[0] != '\0') {
        nc__error(err, code, "%s %s", head, addr);
    } else {
        nc__error(err, code, "%s", head);
    }
    err->syscall = syscall;
    if (addr != NULL) {
        snprintf(err->address, sizeof(err->address), "%s", addr);
    }
    /* Node: `if (port) ex.port = port`: a port 0 error has no port. */
    err->port = port != 0 ? port : -1;
    return code;
}

int nc__unix_addr(const char *path, size_t len, struct sockaddr_un *ret, socklen_t *ret_len)
{
    struct sockaddr_un un;
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    /* A filesystem path needs its NUL; an abstract name may fill sun_path. */
    bool abstract = len > 0 && path[0] == '\0';
    if (len == 0 || (!abstract && memchr(path, '\0', len) != NULL)) {
        return NC_ERR_INVALID_ARG_VALUE;
    }
    /* Node: libuv's uv_pipe_bind and uv_pipe_connect cut a longer name to fit. */
    if (len > sizeof(un.sun_path) - (abstract ? 0 : 1)) {
        len = sizeof(un.sun_path) - (abstract ? 0 : 1);
    }
    memcpy(un.sun_path, path, len);
    *ret = un;
    *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (abstract ? 0 : 1));
    return 0;
}

int nc__tcp_keepalive(int fd, bool enable, unsigned delay_ms)
{
    /* Node: node-net.md "socket.setKeepAlive([enable][, initialDelay])": SO_KEEPALIVE,
     * TCP_KEEPIDLE=initialDelay (0 leaves it unchanged), TCP_KEEPCNT=10,
     * TCP_KEEPINTVL=1. libuv 1.44 sets only the first two, so all are set here. */
    int on = enable ? 1 : 0;
    if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) != 0) {
        return -errno;
    }
    if (!enable) {
        return 0;
    }
    int idle = (int)(delay_ms / 1000);
    int cnt = 10;
    int intvl = 1;
    if (idle > 0 && setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) != 0) {
        return -errno;
    }
    if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) != 0) {
        return -errno;
    }
    return 0;
}

int nc__ip_family(const char *host)
{
    /* Node decides "literal or name?" with net.isIP(host). */
    return nc_is_ip(host, strlen(host));
}

uv_handle_type nc__fd_stream_type(int fd)
{
    /* uv_guess_handle calls a FIFO a named pipe: only stream sockets qualify here. */
    int type = 0, domain = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
        return UV_UNKNOWN_HANDLE;
    }
    len = sizeof(domain);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) {
        return UV_UNKNOWN_HANDLE;
    }
    if (domain == AF_INET || domain == AF_INET6) {
        return UV_TCP;
    }
    return domain == AF_UNIX ? UV_NAMED_PIPE : UV_UNKNOWN_HANDLE;
}

void nc__unix_display(const char *path, size_t len, char *buf, size_t size)
{
    /* Messages show an abstract name with '@' for its NUL, as ss(8) does. */
    bool abstract = len > 0 && path[0] == '\0';
    snprintf(buf, size, "%s%.*s", abstract ? "@" : "", (int)(len - abstract), path + abstract);
}
