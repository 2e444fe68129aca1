/* control.c: the control socket (a Unix listener the daemon accepts on itself) and each
 * client's connection: peer credentials, the proto reader and writer with their limits, hello
 * first, and cutting off one client without touching the others. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

/* Reads per readiness callback: a client that floods cannot starve the others. */
#define READS_PER_TURN 16
/* Replies held for one sendmsg at most: far below the writer's limit, which a client that
 * pipelines and reads must never reach. */
#define BATCH_BYTES (64 * 1024)
/* Control connections accepted per readiness before the loop serves the others. */
#define ACCEPTS_PER_TURN 16
/* After an accept that failed for want of fds or memory: new clients wait in the kernel's
 * backlog meanwhile, and the loop does not spin on a readable listener. */
#define ACCEPT_BACKOFF_MS 100
#define CONTROL_BACKLOG   511

/* The control listener. The daemon accepts on it itself, as dispatch does, rather than
 * through a libuv or libnetcore server: out of fds, libuv accepts and closes every waiting
 * connection (its uv__emfile_trick), so a new client would see its connection closed
 * unanswered. Here accepting pauses instead, and clients wait in the backlog until fds
 * free up (PROTOCOL.md 11). */
struct nb_control_s {
    uv_poll_t poll;
    uv_timer_t backoff;
    nb_daemon_t *d;
    int fd;
    int open_handles; /* freed when both handles have closed */
    bool exhausted;   /* an accept found no fd; logged once, until one succeeds */
};

static void on_control_readable(uv_poll_t *p, int status, int events);
static void control_accepted(nb_daemon_t *d, int fd);
static void on_poll(uv_poll_t *handle, int status, int events);
static void client_closed(uv_handle_t *handle);
static void drain_done_if_empty(nb_daemon_t *d);
static int client_flush(nb_client_t *c);
static int client_flushed(nb_client_t *c, int r);
static void client_read_some(nb_client_t *c);

/* One fd held in reserve, libuv's trick for accept (uv__emfile_trick) applied to
 * handoffs: a daemon out of fds closes it to duplicate the fd of a reply or a dispatch,
 * so that handing over, which is what frees the daemon's fds, never waits for a free
 * slot. It is taken again once something was sent. */
static void reserve_refill(nb_daemon_t *d)
{
    if (!d->reserve_held && !d->stopping) {
        d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        d->reserve_held = d->reserve_fd >= 0;
    }
}

static void reserve_release(nb_daemon_t *d)
{
    if (d->reserve_held) {
        close(d->reserve_fd);
        d->reserve_held = false;
    }
}

/* The directory of the socket: created 0755 if absent; it must be a real directory (no
 * symlink followed), owned by us, writable by nobody else. */
static int safe_dir(const char *path)
{
    char dir[NB_PROTO_PATH_MAX + 1];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir) {
        return 0;
    }
    *slash = '\0';
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        nb_log(LOG_ERR, "cannot create '%s': %s", dir, strerror(errno));
        return -errno;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int r = -errno;
        nb_log(LOG_ERR, "control directory '%s' is not a directory: %s", dir, strerror(-r));
        if (fd >= 0) {
            close(fd);
        }
        return r;
    }
    close(fd);
    if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
        nb_log(LOG_ERR, "control directory '%s' is not ours alone (uid %u, mode %04o)", dir,
               (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        return -EPERM;
    }
    return 0;
}

/* A socket file left by a daemon that died is removed; a live daemon's, or anything
 * that is not a socket (a planted symlink included), is refused. */
static int clear_stale(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        return errno == ENOENT ? 0 : -errno;
    }
    if (!S_ISSOCK(st.st_mode)) {
        nb_log(LOG_ERR, "'%s' exists and is not a socket, refusing it", path);
        return -EEXIST;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
    int live = fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof(un)) == 0;
    if (fd >= 0) {
        close(fd);
    }
    if (live) {
        nb_log(LOG_ERR, "another daemon answers on '%s'", path);
        return -EADDRINUSE;
    }
    return unlink(path) < 0 ? -errno : 0;
}

static void control_handle_closed(uv_handle_t *h)
{
    struct nb_control_s *ctl = h->data;
    if (--ctl->open_handles == 0) {
        free(ctl);
    }
}

static void control_close(struct nb_control_s *ctl)
{
    uv_close((uv_handle_t *)&ctl->poll, control_handle_closed);
    uv_close((uv_handle_t *)&ctl->backoff, control_handle_closed);
}

static void handle_free(uv_handle_t *h)
{
    free(h);
}

/* libuv opens a spare fd of its own (for uv__emfile_trick) with a loop's first stream,
 * which the control server used to be. A stream made and dropped here opens it at start,
 * as before, so that the daemon's fd count does not grow by one at its first
 * socket.connect or listening server, long after a supervisor took its measure. */
static void libuv_spare_open(nb_daemon_t *d)
{
    uv_pipe_t *p = malloc(sizeof(*p));
    if (p != NULL && uv_pipe_init(d->loop, p, 0) == 0) {
        uv_close((uv_handle_t *)p, handle_free);
    } else {
        free(p);
    }
}

/* Takes fd on success only. uv_poll_init makes it non-blocking, so a connection that goes
 * between readiness and accept4 costs an EAGAIN, not a stalled loop. */
static int control_listen(nb_daemon_t *d, int fd)
{
    if (listen(fd, CONTROL_BACKLOG) < 0) {
        int r = -errno;
        nb_log(LOG_ERR, "control socket '%s': %s", d->control_path, strerror(-r));
        return r;
    }
    struct nb_control_s *ctl = calloc(1, sizeof(*ctl));
    if (ctl == NULL) {
        return -ENOMEM;
    }
    int r = uv_poll_init(d->loop, &ctl->poll, fd);
    if (r < 0) {
        free(ctl);
        return r;
    }
    uv_timer_init(d->loop, &ctl->backoff);
    ctl->open_handles = 2;
    ctl->d = d;
    ctl->fd = fd;
    ctl->poll.data = ctl->backoff.data = ctl;
    if ((r = uv_poll_start(&ctl->poll, UV_READABLE, on_control_readable)) < 0) {
        control_close(ctl);
        return r;
    }
    d->control = ctl;
    libuv_spare_open(d);
    return 0;
}

static void on_control_backoff(uv_timer_t *t)
{
    struct nb_control_s *ctl = t->data;
    uv_poll_start(&ctl->poll, UV_READABLE, on_control_readable);
}

/* Out of fds or memory for one accept: accepting pauses for ACCEPT_BACKOFF_MS while the
 * clients wait in the backlog; anything else breaks the control socket. */
static void control_accept_failed(nb_daemon_t *d, int code)
{
    struct nb_control_s *ctl = d->control;
    if (code != -EMFILE && code != -ENFILE && code != -ENOBUFS && code != -ENOMEM) {
        nb_log(LOG_ERR, "control socket: accept: %s", strerror(-code));
        nb_daemon_stop(d, "control socket failed");
        return;
    }
    if (!ctl->exhausted) {
        /* Once per shortage: the retries that follow every 100 ms would flood both. */
        ctl->exhausted = true;
        nb_log(LOG_WARNING, "control socket: accept: %s, new clients wait", strerror(-code));
        char msg[128];
        snprintf(msg, sizeof(msg), "control socket: accept %s", nc_strerror(code));
        nb_events_emit(d, NB_PROTO_EVENT_ERROR, NULL,
                       json_pack("{s:s,s:s}", "code", nc_err_name(code), "message", msg));
    }
    uv_poll_stop(&ctl->poll);
    uv_timer_start(&ctl->backoff, on_control_backoff, ACCEPT_BACKOFF_MS, 0);
}

static void on_control_readable(uv_poll_t *p, int status, int events)
{
    (void)events;
    struct nb_control_s *ctl = p->data;
    nb_daemon_t *d = ctl->d;
    if (status < 0) {
        control_accept_failed(d, status);
        return;
    }
    for (int i = 0; i < ACCEPTS_PER_TURN && d->control == ctl; i++) {
        int fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            }
            if (errno != ECONNABORTED && errno != EINTR && errno != EPROTO) {
                control_accept_failed(d, -errno);
                return;
            }
            continue; /* that client went before we took it; the next one */
        }
        if (ctl->exhausted) {
            ctl->exhausted = false;
            nb_log(LOG_INFO, "control socket: accepting again");
        }
        control_accepted(d, fd);
    }
}

int nb_control_start(nb_daemon_t *d, const char *path)
{
    if (strlen(path) > NB_PROTO_PATH_MAX || path[0] != '/') {
        nb_log(LOG_ERR, "control path '%s' must be absolute and at most %d bytes", path,
               NB_PROTO_PATH_MAX);
        return -EINVAL;
    }
    snprintf(d->control_path, sizeof(d->control_path), "%s", path);
    reserve_refill(d);
    int r, passed = nb_activation_control_fd(d, path);
    if (passed >= 0) {
        /* The control socket systemd passed (netbrokerd.socket): its file, mode and group
         * are the socket unit's, and it stays when the daemon stops, so that clients
         * queue meanwhile. */
        d->control_passed = true;
        if ((r = control_listen(d, passed)) < 0) {
            close(passed);
            return r;
        }
        nb_log(LOG_INFO, "control socket '%s' passed by systemd", d->control_path);
        return 0;
    }
    if ((r = safe_dir(path)) < 0 || (r = clear_stale(path)) < 0) {
        return r;
    }
    nc_listen_options_t lo = { .path = path, .path_len = strlen(path) };
    nc_error_t err = { 0 };
    int fd;
    /* The socket is born 0660: no moment where others could connect. Bound by hand (not
     * by libuv, which unlinks on close) so that a takeover can keep the path. */
    mode_t old = umask(0117);
    r = nc_listen_socket(&lo, &fd, &err);
    umask(old);
    if (r < 0) {
        nb_log(LOG_ERR, "control socket '%s': %s", path, err.message);
        return r;
    }
    if ((r = control_listen(d, fd)) < 0) {
        close(fd);
    }
    return r;
}

int nb_control_start_fd(nb_daemon_t *d, const char *path, int fd)
{
    snprintf(d->control_path, sizeof(d->control_path), "%s", path);
    return control_listen(d, fd);
}

int nb_control_fileno(const nb_daemon_t *d)
{
    return d->control != NULL ? d->control->fd : -EBADF;
}

void nb_control_stop(nb_daemon_t *d)
{
    reserve_release(d);
    if (d->control != NULL) {
        /* Closed handles no longer watch the fd, so it may go now. */
        control_close(d->control);
        close(d->control->fd);
        d->control = NULL;
        if (!d->keep_paths && !d->control_passed) {
            unlink(d->control_path);
        }
    }
}

/* The peer's supplementary groups, looked up off the loop thread: getpwuid_r and
 * getgrouplist go through NSS (files, LDAP, sssd) and may block for as long as those
 * take. The connection is not read until they are known, so every request is checked
 * against the whole set, as PROTOCOL.md 9.1.6 says rules match it. */
typedef struct {
    uv_work_t req;
    nb_daemon_t *d;
    uint64_t client; /* by id: the client may be cut off meanwhile (the daemon stops) */
    uid_t uid;
    gid_t gid;
    gid_t groups[NB_GROUPS_MAX];
    int ngroups;
} groups_work_t;

static void groups_lookup(uv_work_t *req)
{
    groups_work_t *w = req->data;
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(w->uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL) {
        int n = NB_GROUPS_MAX;
        if (getgrouplist(pw.pw_name, w->gid, w->groups, &n) >= 0) {
            w->ngroups = n;
        }
    }
}

/* Adds the groups not yet listed, up to NB_GROUPS_MAX. */
static void add_groups(nb_client_t *c, const gid_t *groups, int n)
{
    for (int i = 0; i < n && c->ngroups < NB_GROUPS_MAX; i++) {
        bool known = false;
        for (int k = 0; k < c->ngroups && !known; k++) {
            known = c->groups[k] == groups[i];
        }
        if (!known) {
            c->groups[c->ngroups++] = groups[i];
        }
    }
}

static void groups_known(uv_work_t *req, int status)
{
    groups_work_t *w = req->data;
    nb_client_t *c = nb_client_find(w->d, w->client);
    if (c != NULL && !c->dead && !c->draining) {
        if (status == 0) {
            add_groups(c, w->groups, w->ngroups);
        }
        c->poll_events = UV_READABLE | UV_DISCONNECT;
        uv_poll_start(&c->poll, c->poll_events, on_poll);
    }
    free(w);
}

/* SO_PEERCRED now (a plain getsockopt), the groups off the loop; then reading starts. */
static int client_credentials(nb_client_t *c)
{
    struct ucred cr;
    socklen_t len = sizeof(cr);
    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0) {
        c->pid = cr.pid;
        c->uid = cr.uid;
        c->gid = cr.gid;
    }
    c->groups[0] = c->gid;
    c->ngroups = 1;
    /* The groups the kernel gives the peer's process (SO_PEERGROUPS: what setgroups set),
     * then, off the loop, those of its uid in the group database. */
    gid_t peer[NB_GROUPS_MAX];
    socklen_t plen = sizeof(peer);
    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, peer, &plen) == 0) {
        add_groups(c, peer, (int)(plen / sizeof(gid_t)));
    }
    groups_work_t *w = malloc(sizeof(*w));
    if (w == NULL) {
        return -ENOMEM;
    }
    *w = (groups_work_t){ .d = c->d, .client = c->id, .uid = c->uid, .gid = c->gid };
    w->groups[0] = c->gid;
    w->ngroups = 1;
    w->req.data = w;
    int r = uv_queue_work(c->d->loop, &w->req, groups_lookup, groups_known);
    if (r < 0) {
        free(w);
    }
    return r;
}

static int client_new(nb_daemon_t *d, int fd, nb_client_t **ret)
{
    nb_client_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return -ENOMEM;
    }
    c->d = d;
    c->fd = fd;
    c->id = ++d->next_client_id;
    /* PROTOCOL.md 7: what a client that does not read can make the daemon hold. */
    nb_proto_limits_t limits = { .queue_bytes_max = d->client_output_max };
    int r = nb_proto_reader_new(NULL, &c->reader);
    if (r == 0) {
        r = nb_proto_writer_new(&limits, &c->writer);
    }
    if (r == 0) {
        r = uv_poll_init(d->loop, &c->poll, fd);
    }
    if (r < 0) {
        nb_proto_reader_free(c->reader);
        nb_proto_writer_free(c->writer);
        free(c);
        return r;
    }
    c->poll.data = c;
    c->next = d->clients;
    if (d->clients != NULL) {
        d->clients->prev = c;
    }
    d->clients = c;
    d->nclients++;
    *ret = c;
    return 0;
}

/* A new control client: read with recvmsg (fds) and written with sendmsg by the daemon. */
static void control_accepted(nb_daemon_t *d, int fd)
{
    nb_client_t *c;
    if (d->stopping || d->nclients >= NB_CLIENTS_MAX || client_new(d, fd, &c) < 0) {
        nb_log(LOG_WARNING, "control connection refused (%zu clients), ignoring", d->nclients);
        close(fd);
        return;
    }
    if (client_credentials(c) < 0) {
        nb_client_kill(c, "out of memory");
        return;
    }
    nb_log(LOG_DEBUG, "client %llu connected (pid %d, uid %u)", (unsigned long long)c->id,
           (int)c->pid, (unsigned)c->uid);
}

nb_client_t *nb_client_find(nb_daemon_t *d, uint64_t id)
{
    for (nb_client_t *c = d->clients; c != NULL; c = c->next) {
        if (c->id == id) {
            return c;
        }
    }
    return NULL;
}

void nb_client_kill(nb_client_t *c, const char *why)
{
    if (c->dead) {
        return;
    }
    c->dead = true;
    nb_log(LOG_DEBUG, "client %llu gone: %s", (unsigned long long)c->id, why);
    nb_daemon_t *d = c->d;
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        d->clients = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    d->nclients--;
    /* A last try at what is queued (a stream error's reply), then the fd goes. */
    nb_proto_writer_flush(c->writer, c->fd);
    nb_dispatch_sent(c);
    nb_dispatch_client_gone(c);
    nb_events_client_gone(c);
    nb_outbound_client_gone(c);
    nb_handover_client_gone(c);
    uv_poll_stop(&c->poll);
    uv_close((uv_handle_t *)&c->poll, client_closed);
    drain_done_if_empty(d);
}

static void drain_timer_closed(uv_handle_t *h)
{
    free(h);
}

static void drain_done_if_empty(nb_daemon_t *d)
{
    if (d->drain_timer != NULL && d->nclients == 0) {
        uv_close((uv_handle_t *)d->drain_timer, drain_timer_closed);
        d->drain_timer = NULL;
    }
}

static void on_drain_deadline(uv_timer_t *t)
{
    nb_daemon_t *d = t->data;
    nb_log(LOG_WARNING, "%zu clients did not take their output in time, closing them", d->nclients);
    while (d->clients != NULL) {
        nb_client_kill(d->clients, "stop deadline");
    }
}

void nb_control_drain(nb_daemon_t *d, uint64_t deadline_ms)
{
    nb_client_t *next;
    for (nb_client_t *c = d->clients; c != NULL; c = next) {
        next = c->next;
        c->draining = true;
        if (nb_proto_writer_queued(c->writer) == 0) {
            nb_client_kill(c, "daemon stopping");
        } else {
            c->poll_events = UV_WRITABLE | UV_DISCONNECT;
            uv_poll_start(&c->poll, c->poll_events, on_poll);
        }
    }
    if (d->clients != NULL && (d->drain_timer = malloc(sizeof(*d->drain_timer))) != NULL) {
        uv_timer_init(d->loop, d->drain_timer);
        d->drain_timer->data = d;
        uv_timer_start(d->drain_timer, on_drain_deadline, deadline_ms, 0);
    }
}

static void client_closed(uv_handle_t *handle)
{
    nb_client_t *c = handle->data;
    close(c->fd);
    nb_proto_reader_free(c->reader);
    nb_proto_writer_free(c->writer);
    free(c);
}

uint64_t nb_client_sent(const nb_client_t *c)
{
    return c->pushed - nb_proto_writer_queued(c->writer);
}

static int client_flush(nb_client_t *c)
{
    uint64_t before = nb_client_sent(c);
    int r = nb_proto_writer_flush(c->writer, c->fd);
    c->d->bytes_written += nb_client_sent(c) - before;
    return client_flushed(c, r);
}

/* What follows a flush (or a send_line, which ends with one) that returned r. */
static int client_flushed(nb_client_t *c, int r)
{
    nb_dispatch_sent(c);
    reserve_refill(c->d);
    if (r < 0 && r != -EAGAIN) {
        nb_client_kill(c, strerror(-r));
        return r;
    }
    /* nb_dispatch_sent may have queued more for this very client (the next connection),
     * and a nested flush may have met a full socket: what is left now decides, not r. */
    bool left = nb_proto_writer_queued(c->writer) > 0;
    if (c->draining && !left) {
        nb_client_kill(c, "daemon stopping, output delivered");
        return 0;
    }
    int want = (c->draining ? 0 : UV_READABLE) | UV_DISCONNECT | (left ? UV_WRITABLE : 0);
    if (want != c->poll_events && !c->dead) {
        c->poll_events = want;
        uv_poll_start(&c->poll, want, on_poll);
    }
    return 0;
}

int nb_client_send(nb_client_t *c, json_t *msg, const int *fds, size_t nfds, uint64_t *ret_start)
{
    if (c->dead) {
        return -EPIPE;
    }
    json_object_del(msg, "fds");
    if (nfds > 0) {
        json_object_set_new(msg, "fds", json_integer((json_int_t)nfds));
    }
    char *text = json_dumps(msg, JSON_COMPACT);
    if (text == NULL) {
        return -ENOMEM;
    }
    size_t len = strlen(text);
    text[len] = '\n'; /* jansson's NUL becomes the line's end; the length says where */
    int r = nb_client_send_line(c, text, len + 1, fds, nfds, ret_start);
    free(text);
    return r;
}

/* The line straight to the socket (direct: nothing queued before it), or to the queue. */
static int send_or_queue(nb_client_t *c,
                         bool direct,
                         const char *line,
                         size_t len,
                         const int *fds,
                         size_t nfds)
{
    return direct ? nb_proto_writer_send_line(c->writer, c->fd, line, len, fds, nfds)
                  : nb_proto_writer_push_line(c->writer, line, len, fds, nfds);
}

int nb_client_send_line(nb_client_t *c,
                        const char *line,
                        size_t len,
                        const int *fds,
                        size_t nfds,
                        uint64_t *ret_start)
{
    if (c->dead) {
        return -EPIPE;
    }
    /* Pipelined requests: one sendmsg for the replies to all the lines of a read, but a
     * line carrying fds goes at once (a dispatch must not wait for a batch), straight from
     * the caller's buffer with the caller's fds when nothing is queued before it. */
    bool hold = c->batching && nfds == 0 && nb_proto_writer_queued(c->writer) < BATCH_BYTES;
    bool direct = !hold && nb_proto_writer_queued(c->writer) == 0;
    uint64_t before = nb_client_sent(c);
    int r = send_or_queue(c, direct, line, len, fds, nfds);
    if ((r == -EMFILE || r == -ENFILE) && c->d->reserve_held) {
        /* The reserve's slot takes the duplicate: handing over is what frees fds. */
        reserve_release(c->d);
        r = send_or_queue(c, direct, line, len, fds, nfds);
    }
    if (r == -EMFILE || r == -ENFILE) {
        /* No fd for the duplicate, and nothing sent or queued: the daemon's shortage,
         * not the client's fault; the caller answers with an error or retries later. */
        return r;
    }
    /* The stream offsets below must count exactly the lines sent or queued: with an empty
     * queue before it, a line is in the queue afterwards or went out whole (0). */
    if (direct ? r != 0 && nb_proto_writer_queued(c->writer) == 0 : r < 0) {
        /* -ENOBUFS: the peer does not read what it asked for; it alone is cut off. */
        nb_client_kill(c, r == -ENOBUFS ? "output limit reached" : strerror(-r));
        return r;
    }
    if (ret_start != NULL) {
        *ret_start = c->pushed;
    }
    c->pushed += len;
    c->d->bytes_written += nb_client_sent(c) - before; /* what a direct send took */
    if (hold) {
        return 0;
    }
    return direct ? client_flushed(c, r) : client_flush(c);
}

static void client_request(nb_client_t *c, nb_proto_msg_t *msg)
{
    nb_proto_request_t req;
    nb_proto_error_t err;
    const nb_proto_op_t *op;
    nb_proto_args_t args;
    int r = nb_proto_request_parse(msg->json, &req, &err);
    if (r == 0 && !c->hello && strcmp(req.op, "hello") != 0) {
        /* PROTOCOL.md 6.5: nothing before hello; the connection waits for it. */
        err = (nb_proto_error_t){ .code = NB_PROTO_ERR_PROTO_HELLO, .id = req.id };
        snprintf(err.message, sizeof(err.message), "The first request must be hello");
        r = err.code;
    }
    if (r == 0) {
        r = nb_proto_request_validate(&req, &op, &args, &err);
    }
    if (r != 0) {
        json_t *reply;
        if (nb_proto_reply_from_error(&err, &reply) == 0) {
            nb_client_send(c, reply, NULL, 0, NULL);
            json_decref(reply);
        }
        nb_proto_msg_clear(msg);
        return;
    }
    nb_request_run(c, op, &req, &args, msg->fds, msg->nfds);
    msg->nfds = 0; /* the handler took them */
    nb_proto_msg_clear(msg);
}

/* Takes every complete line; a stream error is answered, then the client is cut off. */
static void client_drain(nb_client_t *c)
{
    for (;;) {
        nb_proto_msg_t msg;
        nb_proto_error_t err;
        int r = nb_proto_reader_next(c->reader, &msg, &err);
        if (r == 0 || c->dead) {
            if (r == 1) {
                nb_proto_msg_clear(&msg);
            }
            return;
        }
        if (r < 0) {
            json_t *reply;
            if (nb_proto_reply_from_error(&err, &reply) == 0) {
                nb_client_send(c, reply, NULL, 0, NULL);
                json_decref(reply);
            }
            if (err.fatal) {
                nb_client_kill(c, err.message);
                return;
            }
            continue;
        }
        client_request(c, &msg);
    }
}

static void client_readable(nb_client_t *c)
{
    c->batching = true;
    client_read_some(c);
    c->batching = false;
    if (!c->dead) {
        client_flush(c);
    }
}

static void client_read_some(nb_client_t *c)
{
    for (int i = 0; i < READS_PER_TURN && !c->dead; i++) {
        int r = nb_proto_reader_read(c->reader, c->fd);
        if (r == -EAGAIN) {
            return;
        }
        if (r == 0) {
            nb_client_kill(c, "end of stream");
            return;
        }
        if (r > 0) {
            c->bytes_read += (uint64_t)r;
            c->d->bytes_read += (uint64_t)r;
        }
        if (r < 0 && r != -EBUSY) {
            client_drain(c); /* a fatal framing error is answered before the cut */
            nb_client_kill(c, nb_proto_strerror(r));
            return;
        }
        client_drain(c);
    }
}

static void on_poll(uv_poll_t *handle, int status, int events)
{
    nb_client_t *c = handle->data;
    if (c->dead) {
        return;
    }
    if (status < 0) {
        nb_client_kill(c, uv_strerror(status));
        return;
    }
    if (events & UV_WRITABLE) {
        if (client_flush(c) < 0) {
            return;
        }
    }
    if ((events & (UV_READABLE | UV_DISCONNECT)) && !c->draining) {
        client_readable(c);
    } else if ((events & UV_DISCONNECT) && !c->dead) {
        nb_client_kill(c, "gone while draining");
    }
}
