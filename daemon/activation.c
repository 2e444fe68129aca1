/* activation.c: the sockets systemd passes by name (socket units, FileDescriptorName=):
 * "control" (or the one bound to the control path) becomes the control socket, every
 * other one the named server of its name, with the policy the configuration gives that
 * name. Each waits in d->passed until its server takes it instead of binding. */
#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

struct nb_passed_s {
    nb_passed_t *next;
    int fd;
    int family;
    char name[256]; /* LISTEN_FDNAMES allows 255 bytes; a server name is checked later */
};

static const char *family_name(int family)
{
    return family == AF_UNIX ? "AF_UNIX" : family == AF_INET ? "AF_INET" : "AF_INET6";
}

/* Why fd cannot be a listener, or NULL when it is a listening stream socket of a family
 * the daemon serves. */
static const char *unfit(int fd, int *ret_family)
{
    int type = 0, family = 0;
    socklen_t len = sizeof(type);
    if (sd_is_socket(fd, AF_UNSPEC, 0, -1) <= 0) {
        return "not a socket";
    }
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM) {
        return type == SOCK_DGRAM ? "a datagram socket" : "not a stream socket";
    }
    len = sizeof(family);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0 ||
        (family != AF_UNIX && family != AF_INET && family != AF_INET6)) {
        return "not an AF_UNIX, AF_INET or AF_INET6 socket";
    }
    if (sd_is_socket(fd, family, SOCK_STREAM, 1) <= 0) {
        return "a stream socket that does not listen";
    }
    *ret_family = family;
    return NULL;
}

void nb_activation_check_pid(void)
{
    const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
    if (fds != NULL && pid != NULL && strtol(pid, NULL, 10) != (long)getpid()) {
        /* sd_listen_fds will say 0: the fds are someone else's, and left alone. */
        nb_log(LOG_WARNING,
               "LISTEN_FDS=%s is for pid %s, not this one (%d): none adopted, ignoring", fds, pid,
               (int)getpid());
    }
}

bool nb_activation_owns(const char *name, int fd)
{
    return strncmp(name, "nb-", 3) != 0 && sd_is_socket(fd, AF_UNSPEC, 0, -1) > 0;
}

void nb_activation_adopt(nb_daemon_t *d, const char *name, int fd)
{
    int family = 0;
    const char *why = unfit(fd, &family);
    for (nb_passed_t *p = d->passed; p != NULL && why == NULL; p = p->next) {
        why = strcmp(p->name, name) == 0 ? "a second socket of that name" : NULL;
    }
    if (why == NULL && strlen(name) >= sizeof(d->passed->name)) {
        why = "its name is too long";
    }
    nb_passed_t *p = why == NULL ? calloc(1, sizeof(*p)) : NULL;
    if (p == NULL) {
        nb_log(LOG_ERR, "socket '%s' (fd %d) from systemd is %s: closed, ignoring", name, fd,
               why != NULL ? why : "beyond memory");
        close(fd);
        return;
    }
    /* Ours now: no child inherits it; and non-blocking like every listener we make. */
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    p->fd = fd;
    p->family = family;
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->next = d->passed;
    d->passed = p;
    nb_log(LOG_INFO, "socket '%s' (%s) from systemd", name, family_name(family));
}

static int take(nb_daemon_t *d, nb_passed_t *p)
{
    nb_passed_t **pp = &d->passed;
    while (*pp != p) {
        pp = &(*pp)->next;
    }
    *pp = p->next;
    int fd = p->fd;
    free(p);
    return fd;
}

static nb_passed_t *find(nb_daemon_t *d, const char *name)
{
    for (nb_passed_t *p = d->passed; p != NULL; p = p->next) {
        if (strcmp(p->name, name) == 0) {
            return p;
        }
    }
    return NULL;
}

static bool bound_to(int fd, const char *path)
{
    struct sockaddr_un un;
    socklen_t len = sizeof(un);
    memset(&un, 0, sizeof(un));
    return getsockname(fd, (struct sockaddr *)&un, &len) == 0 && un.sun_family == AF_UNIX &&
           strncmp(un.sun_path, path, sizeof(un.sun_path)) == 0;
}

int nb_activation_control_fd(nb_daemon_t *d, const char *path)
{
    nb_passed_t *p = find(d, "control");
    for (nb_passed_t *q = d->passed; p == NULL && q != NULL; q = q->next) {
        p = q->family == AF_UNIX && bound_to(q->fd, path) ? q : NULL;
    }
    if (p == NULL) {
        return -ENOENT;
    }
    if (p->family != AF_UNIX) {
        nb_log(LOG_ERR, "socket 'control' from systemd is %s, not AF_UNIX: closed, ignoring",
               family_name(p->family));
        close(take(d, p));
        return -ENOENT;
    }
    return take(d, p);
}

/* The family a server's options ask for: AF_UNIX for a path, that of an IP host, and
 * AF_UNSPEC (either IP family) for a port alone. */
static int wanted_family(const nb_srv_t *srv)
{
    if (srv->lo.path != NULL) {
        return AF_UNIX;
    }
    int v = srv->lo.host != NULL ? nc_is_ip(srv->lo.host, strlen(srv->lo.host)) : 0;
    return v == 4 ? AF_INET : v == 6 ? AF_INET6 : AF_UNSPEC;
}

int nb_activation_take(nb_daemon_t *d, nb_srv_t *srv)
{
    nb_passed_t *p = find(d, srv->name);
    if (p == NULL) {
        return -ENOENT;
    }
    int want = wanted_family(srv);
    bool fits = want == p->family || (want == AF_UNSPEC && p->family != AF_UNIX);
    if (!fits) {
        nb_log(LOG_ERR,
               "socket '%s' from systemd is %s, the configuration's server '%s' wants %s: "
               "closed, the server binds as configured",
               p->name, family_name(p->family), srv->name, want == AF_UNIX ? "a path" : "IP");
        close(take(d, p));
        return -EAFNOSUPPORT;
    }
    int fd = take(d, p);
    struct sockaddr_un un;
    socklen_t len = sizeof(un);
    memset(&un, 0, sizeof(un));
    if (want == AF_UNIX && getsockname(fd, (struct sockaddr *)&un, &len) == 0) {
        /* server.info shows where it really listens; an abstract name as "@name". */
        memcpy(srv->path, un.sun_path, sizeof(un.sun_path));
        srv->path[sizeof(un.sun_path)] = '\0';
    }
    srv->adopted = true;
    nb_log(LOG_INFO, "server '%s' listens on the socket systemd passed", srv->name);
    return fd;
}

/* A configuration entry for a passed socket the configuration does not name: its
 * address, and the defaults of server.create for everything else. */
static json_t *entry_for(int fd, int family)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        return NULL;
    }
    if (family == AF_UNIX) {
        /* sun_path need not end in a NUL; an abstract name is shown "@name". */
        char shown[sizeof(((struct sockaddr_un *)&ss)->sun_path) + 1] = "";
        memcpy(shown, ((struct sockaddr_un *)&ss)->sun_path, sizeof(shown) - 1);
        if (shown[0] == '\0' && shown[1] != '\0') {
            shown[0] = '@';
        }
        return shown[0] != '\0' ? json_pack("{s:s}", "path", shown) : NULL;
    }
    char host[INET6_ADDRSTRLEN];
    const void *addr = family == AF_INET ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
                                         : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
    uint16_t port = family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                      : ((struct sockaddr_in6 *)&ss)->sin6_port;
    inet_ntop(family, addr, host, sizeof(host));
    return json_pack("{s:s,s:i}", "host", host, "port", (int)ntohs(port));
}

static void amend_passed(nb_daemon_t *d, json_t *servers)
{
    nb_passed_t *next;
    for (nb_passed_t *p = d->passed; p != NULL; p = next) {
        next = p->next;
        if (json_object_get(servers, p->name) != NULL) {
            continue;
        }
        json_t *entry = nb_proto_server_name_valid(p->name) ? entry_for(p->fd, p->family) : NULL;
        if (entry == NULL) {
            nb_log(LOG_ERR,
                   "socket '%s' from systemd: not a server name, or no address: "
                   "closed, ignoring",
                   p->name);
            close(take(d, p));
            continue;
        }
        nb_log(LOG_NOTICE,
               "socket '%s' from systemd: the configuration has no server '%s', it gets "
               "server.create's defaults (mode acquire, root only)",
               p->name, p->name);
        json_object_set_new(servers, p->name, entry);
    }
}

void nb_activation_amend(nb_daemon_t *d, json_t *config)
{
    json_t *servers = json_object_get(config, "servers");
    if (servers == NULL) {
        json_object_set_new(config, "servers", servers = json_object());
    }
    amend_passed(d, servers);
    /* A reload never closes what systemd passed: a server that no longer appears keeps
     * its listener and the policy it had. */
    for (nb_srv_t *s = d->servers; s != NULL; s = s->next) {
        if (s->adopted && s->spec != NULL && json_object_get(servers, s->name) == NULL) {
            nb_log(LOG_NOTICE,
                   "server '%s' listens on a socket systemd passed: kept, though "
                   "the configuration no longer names it",
                   s->name);
            json_object_set_new(servers, s->name, json_deep_copy(s->spec));
        }
    }
}

bool nb_activation_same_mode(const nb_srv_t *srv, const json_t *entry)
{
    const char *mode = json_string_value(json_object_get(entry, "mode"));
    bool dispatch = mode != NULL && strcmp(mode, "dispatch") == 0;
    return dispatch == (srv->mode == NB_PROTO_MODE_DISPATCH);
}

void nb_activation_keep(nb_srv_t *srv)
{
    int fd = srv->fd; /* both modes hold the listening fd */
    nb_passed_t *p = calloc(1, sizeof(*p));
    if (fd < 0 || p == NULL || (p->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
        nb_log(LOG_ERR, "server '%s': the socket systemd passed is lost to the mode change",
               srv->name);
        free(p);
        return;
    }
    struct sockaddr_storage ss = { 0 };
    socklen_t len = sizeof(ss);
    p->family = getsockname(p->fd, (struct sockaddr *)&ss, &len) == 0 ? ss.ss_family : AF_UNIX;
    snprintf(p->name, sizeof(p->name), "%s", srv->name);
    p->next = srv->d->passed;
    srv->d->passed = p;
}

void nb_activation_clear(nb_daemon_t *d)
{
    while (d->passed != NULL) {
        nb_log(LOG_WARNING, "socket '%s' from systemd: no server took it, closed, ignoring",
               d->passed->name);
        close(take(d, d->passed));
    }
}
