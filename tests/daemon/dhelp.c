/* dhelp.c: the real-daemon fixture and the protocol client of the daemon tests. */
#include "dhelp.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

void dh_write_file(const char *path, const char *text)
{
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    FILE *out = fopen(tmp, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
    assert_int_equal(rename(tmp, path), 0); /* whole or not at all */
}

void dh_daemon_write_config(dh_daemon_t *d, const char *config)
{
    dh_write_file(d->config, config);
}

void dh_daemon_init(dh_daemon_t *d, const char *config)
{
    memset(d, 0, sizeof(*d));
    strcpy(d->dir, "/tmp/nb-daemon-XXXXXX");
    assert_non_null(mkdtemp(d->dir));
    chmod(d->dir, 0711); /* other uids reach the control dir (access tests) */
    snprintf(d->control, sizeof(d->control), "%s/run/control.sock", d->dir);
    snprintf(d->notify_path, sizeof(d->notify_path), "%s/notify", d->dir);
    snprintf(d->log_path, sizeof(d->log_path), "%s/stderr", d->dir);
    if (config != NULL) {
        snprintf(d->config, sizeof(d->config), "%s/config.json", d->dir);
        dh_daemon_write_config(d, config);
    }
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    strcpy(sun.sun_path, d->notify_path);
    d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(d->notify_fd >= 0);
    assert_int_equal(bind(d->notify_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    d->pid = -1;
    d->listen_fd = -1;
}

void dh_daemon_dump_log(const dh_daemon_t *d)
{
    char buf[16384];
    FILE *in = fopen(d->log_path, "r");
    if (in == NULL) {
        return;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, in);
    buf[n] = '\0';
    fclose(in);
    fprintf(stderr, "--- netbrokerd stderr ---\n%s--- end ---\n", buf);
}

/* One datagram from the notify socket into buf (NUL-terminated) and the fds it carried
 * (4 at most) into fds; its length, or -1 when none is waiting (flags MSG_DONTWAIT). */
static ssize_t notify_recv(int sock, char buf[1024], int flags, int fds[4], size_t *ret_nfds)
{
    struct iovec iov = { buf, 1023 };
    union {
        char b[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)
    };
    size_t nfds = 0;
    ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);
    if (n < 0) {
        return -1;
    }
    buf[n] = '\0';
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_type == SCM_RIGHTS) {
            size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds + nfds, CMSG_DATA(cm), k * sizeof(int));
            nfds += k;
        }
    }
    *ret_nfds = nfds;
    return n;
}

int dh_notify_take(dh_daemon_t *d, const char *want)
{
    char buf[1024];
    struct pollfd p = { .fd = d->notify_fd, .events = POLLIN };
    for (;;) {
        if (poll(&p, 1, DH_DEADLINE_MS) <= 0) {
            dh_daemon_dump_log(d);
            fail_msg("no '%s' from netbrokerd within %d ms", want, DH_DEADLINE_MS);
        }
        int fds[4];
        size_t nfds = 0;
        assert_true(notify_recv(d->notify_fd, buf, 0, fds, &nfds) > 0);
        bool found = strstr(buf, want) != NULL;
        for (size_t i = found ? 1 : 0; i < nfds; i++) {
            close(fds[i]);
        }
        if (found) {
            return nfds > 0 ? fds[0] : -1;
        }
    }
}

void dh_notify_drain(const dh_daemon_t *d)
{
    char buf[1024];
    int fds[4];
    size_t nfds = 0;
    while (notify_recv(d->notify_fd, buf, MSG_DONTWAIT, fds, &nfds) >= 0) {
        for (size_t i = 0; i < nfds; i++) {
            close(fds[i]);
        }
    }
}

static void wait_notify(dh_daemon_t *d, const char *want)
{
    assert_int_equal(dh_notify_take(d, want), -1);
}

void dh_daemon_argv(char *argv[DH_ARGV_MAX],
                    const char *control,
                    const char *config,
                    const char *log_level,
                    bool takeover)
{
    size_t n = 0;
    argv[n++] = NETBROKERD_PATH;
    argv[n++] = "--control";
    argv[n++] = (char *)control;
    argv[n++] = "--log-level";
    argv[n++] = (char *)(log_level != NULL ? log_level : "debug");
    if (config != NULL && config[0] != '\0') {
        argv[n++] = "--config";
        argv[n++] = (char *)config;
    }
    if (takeover) {
        argv[n++] = "--takeover";
    }
    argv[n] = NULL;
}

void dh_sd_daemon_init(dh_sd_daemon_t *d, const char *config, const char *log_level)
{
    memset(d, 0, sizeof(*d));
    assert_int_equal(sdh_init(&d->h), 0);
    d->h.state_name = "nb-state"; /* nb-state, or nb-state.N (handover.c) */
    snprintf(d->control, sizeof(d->control), "%s/run/control.sock", d->h.dir);
    if (config != NULL) {
        snprintf(d->config, sizeof(d->config), "%s/config.json", d->h.dir);
        dh_write_file(d->config, config);
    }
    dh_daemon_argv(d->argv, d->control, d->config, log_level, false);
    dh_daemon_argv(d->takeover_argv, d->control, d->config, log_level, true);
}

void dh_sd_expect_no_state_gap(const sdh_t *h)
{
    if (h->state_gaps > 0) {
        fail_msg("%zu times the fd store held no whole state, first after message %ld: '%s'",
                 h->state_gaps, h->first_gap, h->msgs[h->first_gap].text);
    }
}

void dh_sd_daemon_free(dh_sd_daemon_t *d)
{
    if (d->h.pid > 0) {
        sdh_dump_log(&d->h);
    }
    size_t gaps = d->h.state_gaps;
    char first[256] = "";
    if (gaps > 0) {
        snprintf(first, sizeof(first), "%s", d->h.msgs[d->h.first_gap].text);
    }
    sdh_free(&d->h);
    if (gaps > 0) {
        fail_msg("%zu times the fd store held no whole state, first after '%s'", gaps, first);
    }
}

void dh_sd_start(dh_sd_daemon_t *d)
{
    assert_int_equal(sdh_start_from_store(&d->h, d->argv), 0);
    dh_sd_expect(&d->h, "READY=1");
}

pid_t dh_sd_spawn_takeover(dh_sd_daemon_t *d)
{
    assert_int_equal(sdh_start(&d->h, d->takeover_argv, NULL, NULL, 0), 0);
    return d->h.pid;
}

int dh_sd_expect(sdh_t *h, const char *want)
{
    int i = sdh_wait_message(h, want, DH_SD_DEADLINE_MS);
    if (i < 0) {
        sdh_dump_log(h);
        fail_msg("no '%s' from netbrokerd (%s)", want, strerror(-i));
    }
    return i;
}

int dh_sd_expect_exit(sdh_t *h, pid_t pid)
{
    int status = sdh_wait_pid(h, pid, DH_SD_DEADLINE_MS);
    if (status < 0) {
        sdh_dump_log(h);
        fail_msg("netbrokerd %d did not exit (%s)", (int)pid, strerror(-status));
    }
    return status;
}

void dh_sd_expect_clean_exit(sdh_t *h)
{
    assert_int_equal(sdh_signal(h, SIGTERM), 0);
    int status = dh_sd_expect_exit(h, h->pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        sdh_dump_log(h);
        fail_msg("netbrokerd exited with status 0x%x", status);
    }
}

void dh_sd_expect_log(const sdh_t *h, const char *text)
{
    if (!sdh_log_contains(h, text)) {
        sdh_dump_log(h);
        fail_msg("netbrokerd did not log '%s'", text);
    }
}

void dh_daemon_start(dh_daemon_t *d)
{
    d->pid = fork();
    assert_true(d->pid >= 0);
    if (d->pid == 0) {
        int log = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(log, STDERR_FILENO);
        close(log);
        setenv("NOTIFY_SOCKET", d->notify_path, 1);
        if (d->listen_fd >= 0) {
            /* What systemd does for a service with an fd store: fds from 3 on. */
            dup2(d->listen_fd, 3);
            fcntl(3, F_SETFD, 0);
            char pid[32];
            snprintf(pid, sizeof(pid), "%d", (int)getpid());
            setenv("LISTEN_PID", pid, 1);
            setenv("LISTEN_FDS", "1", 1);
            setenv("LISTEN_FDNAMES", d->listen_name, 1);
        }
        if (d->nofile > 0) {
            struct rlimit rl = { .rlim_cur = d->nofile, .rlim_max = d->nofile };
            if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
                _exit(126);
            }
        }
        char *argv[DH_ARGV_MAX + 4];
        dh_daemon_argv(argv, d->control, d->config, NULL, false);
        size_t n = 0;
        while (argv[n] != NULL) {
            n++;
        }
        for (size_t i = 0; i < 4 && d->extra_args[i] != NULL; i++) {
            argv[n++] = (char *)d->extra_args[i];
        }
        argv[n] = NULL;
        execv(argv[0], argv);
        _exit(127);
    }
    wait_notify(d, "READY=1");
}

void dh_daemon_wait_exit(dh_daemon_t *d)
{
    int status = 0;
    int pidfd = (int)syscall(SYS_pidfd_open, d->pid, 0);
    assert_true(pidfd >= 0);
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    int r = poll(&p, 1, DH_DEADLINE_MS);
    close(pidfd);
    if (r != 1) {
        dh_daemon_dump_log(d);
        fail_msg("netbrokerd did not exit within %d ms", DH_DEADLINE_MS);
    }
    assert_int_equal(waitpid(d->pid, &status, 0), d->pid);
    d->pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        dh_daemon_dump_log(d);
        fail_msg("netbrokerd exited with status 0x%x", status);
    }
}

void dh_daemon_stop(dh_daemon_t *d)
{
    assert_int_equal(kill(d->pid, SIGTERM), 0);
    dh_daemon_wait_exit(d);
}

void dh_daemon_cleanup(dh_daemon_t *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGKILL);
        waitpid(d->pid, NULL, 0);
        dh_daemon_dump_log(d);
    }
    close(d->notify_fd);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
    assert_int_equal(system(cmd), 0);
}

int dh_daemon_fd_count(const dh_daemon_t *d)
{
    int n = sdh_pid_fd_count(d->pid);
    assert_true(n >= 0);
    return n;
}

int dh_daemon_inheritable_count(const dh_daemon_t *d)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int)d->pid);
    DIR *dir = opendir(path);
    assert_non_null(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char file[320], line[128];
        snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
        FILE *in = fopen(file, "r");
        if (in == NULL) {
            continue; /* closed meanwhile */
        }
        unsigned long flags = 0;
        while (fgets(line, sizeof(line), in) != NULL) {
            sscanf(line, "flags: %lo", &flags);
        }
        fclose(in);
        n += (flags & O_CLOEXEC) == 0;
    }
    closedir(dir);
    return n;
}

long dh_daemon_cpu_ticks(const dh_daemon_t *d)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)d->pid);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    size_t n = fread(buf, 1, sizeof(buf) - 1, in);
    fclose(in);
    buf[n] = '\0';
    /* Fields after the command name, which may hold spaces: state is field 3, utime 14. */
    char *p = strrchr(buf, ')');
    assert_non_null(p);
    unsigned long utime = 0, stime = 0;
    int got = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime);
    assert_int_equal(got, 2);
    return (long)(utime + stime);
}

long dh_daemon_rss_kb(const dh_daemon_t *d)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)d->pid);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    long kb = -1;
    while (fgets(line, sizeof(line), in) != NULL) {
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) {
            break;
        }
    }
    fclose(in);
    assert_true(kb > 0);
    return kb;
}

int dh_wait_child(pid_t pid)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    assert_true(pidfd >= 0);
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    int r = poll(&p, 1, DH_DEADLINE_MS);
    close(pidfd);
    if (r != 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("child %d did not exit within %d ms", (int)pid, DH_DEADLINE_MS);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

void dh_expect_child_exit(pid_t pid, int code)
{
    int status = dh_wait_child(pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), code);
}

int dh_self_fd_count(void)
{
    int n = sdh_pid_fd_count(getpid());
    assert_true(n > 0);
    return n - 1; /* less the directory's own */
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dh_expect_fd_count(const dh_daemon_t *d, dh_client_t *c, int want)
{
    int64_t deadline = now_ms() + DH_DEADLINE_MS;
    int n;
    while ((n = dh_daemon_fd_count(d)) != want && now_ms() < deadline) {
        json_decref(dh_call(c, "stats", NULL, NULL, NULL));
    }
    if (n != want) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "ls -l /proc/%d/fd >&2", (int)d->pid);
        assert_int_equal(system(cmd), 0);
        fail_msg("netbrokerd holds %d fds, expected %d", n, want);
    }
}

void dh_connect_raw_path(dh_client_t *c, const char *path)
{
    memset(c, 0, sizeof(*c));
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    assert_true(strlen(path) < sizeof(sun.sun_path));
    memcpy(sun.sun_path, path, strlen(path) + 1);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c->fd >= 0);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(nb_proto_reader_new(NULL, &c->reader), 0);
    assert_int_equal(nb_proto_writer_new(NULL, &c->writer), 0);
    c->events = json_array();
    c->next_id = 1;
}

void dh_connect_raw(dh_client_t *c, const dh_daemon_t *d)
{
    dh_connect_raw_path(c, d->control);
}

void dh_connect_path(dh_client_t *c, const char *path)
{
    dh_connect_raw_path(c, path);
    json_t *r = dh_call(c, "hello", "{\"version\":1}", NULL, NULL);
    assert_int_equal(json_integer_value(json_object_get(dh_ok(r), "version")), 1);
    json_decref(r);
}

void dh_connect(dh_client_t *c, const dh_daemon_t *d)
{
    dh_connect_path(c, d->control);
}

void dh_close(dh_client_t *c)
{
    close(c->fd);
    nb_proto_reader_free(c->reader);
    nb_proto_writer_free(c->writer);
    json_decref(c->events);
    for (size_t i = 0; i < c->nevent_fds; i++) {
        close(c->event_fds[i]);
    }
    c->fd = -1;
}

void dh_send_raw(dh_client_t *c, const void *buf, size_t len)
{
    assert_int_equal(send(c->fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

int64_t dh_send(dh_client_t *c, const char *op, const char *args, const int *fds, size_t nfds)
{
    int64_t id = c->next_id++;
    size_t size = strlen(op) + (args != NULL ? strlen(args) : 0) + 96;
    char *line = malloc(size);
    assert_non_null(line);
    int n = snprintf(line, size, "{\"id\":%lld,\"op\":\"%s\"%s%s%s}\n", (long long)id, op,
                     args != NULL ? ",\"args\":" : "", args != NULL ? args : "",
                     nfds > 0 ? ",\"fds\":1" : "");
    assert_true(n > 0 && (size_t)n < size);
    assert_true(nfds <= 1);
    assert_int_equal(nb_proto_writer_push_line(c->writer, line, (size_t)n, fds, nfds), 0);
    free(line);
    assert_int_equal(nb_proto_writer_flush(c->writer, c->fd), 0);
    return id;
}

json_t *dh_read(dh_client_t *c, int *fds, size_t *nfds)
{
    for (;;) {
        nb_proto_msg_t msg;
        nb_proto_error_t err;
        int r = nb_proto_reader_next(c->reader, &msg, &err);
        assert_true(r >= 0);
        if (r == 1) {
            if (fds != NULL) {
                memcpy(fds, msg.fds, msg.nfds * sizeof(int));
                *nfds = msg.nfds;
            } else {
                assert_int_equal(msg.nfds, 0);
            }
            return msg.json;
        }
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        if (poll(&p, 1, DH_DEADLINE_MS) != 1) {
            fail_msg("no message from netbrokerd within %d ms", DH_DEADLINE_MS);
        }
        r = nb_proto_reader_read(c->reader, c->fd);
        if (r == 0 || r == -ECONNRESET) {
            return NULL;
        }
        assert_true(r > 0 || r == -EAGAIN);
    }
}

json_t *dh_reply(dh_client_t *c, int64_t id, int *ret_fds, size_t *ret_nfds)
{
    for (;;) {
        int fds[NB_PROTO_FDS_MAX];
        size_t nfds = 0;
        json_t *m = dh_read(c, fds, &nfds);
        if (m == NULL) {
            fail_msg("connection closed while waiting for reply %lld", (long long)id);
        }
        if (json_object_get(m, "event") != NULL) {
            if (nfds == 1) {
                json_object_set_new(m, "_fd", json_integer(fds[0]));
                assert_true(c->nevent_fds < 64);
                c->event_fds[c->nevent_fds++] = fds[0];
            }
            json_array_append_new(c->events, m);
            continue;
        }
        assert_int_equal(json_integer_value(json_object_get(m, "id")), id);
        if (ret_fds != NULL) {
            memcpy(ret_fds, fds, nfds * sizeof(int));
            *ret_nfds = nfds;
        } else {
            assert_int_equal(nfds, 0);
        }
        return m;
    }
}

json_t *dh_call(dh_client_t *c, const char *op, const char *args, int *ret_fds, size_t *ret_nfds)
{
    return dh_reply(c, dh_send(c, op, args, NULL, 0), ret_fds, ret_nfds);
}

json_t *dh_ok(json_t *reply)
{
    if (!json_is_true(json_object_get(reply, "ok"))) {
        char *s = json_dumps(reply, 0);
        fail_msg("expected success, got %s", s);
    }
    return json_object_get(reply, "result");
}

void dh_call_ok(dh_client_t *c, const char *op, const char *args)
{
    json_t *r = dh_call(c, op, args, NULL, NULL);
    dh_ok(r);
    json_decref(r);
}

int dh_call_fd(dh_client_t *c, const char *op, const char *args)
{
    int fds[1];
    size_t nfds = 0;
    json_t *r = dh_call(c, op, args, fds, &nfds);
    dh_ok(r);
    json_decref(r);
    assert_int_equal(nfds, 1);
    return fds[0];
}

void dh_wait_queued(dh_client_t *c, const char *name, json_int_t want)
{
    char args[128];
    snprintf(args, sizeof(args), "{\"name\":\"%s\"}", name);
    for (;;) {
        json_t *r = dh_call(c, "server.info", args, NULL, NULL);
        json_int_t queued = json_integer_value(json_object_get(dh_ok(r), "queued"));
        json_decref(r);
        if (queued == want) {
            return;
        }
    }
}

json_t *dh_sd_call(dh_sd_daemon_t *d,
                   dh_client_t *c,
                   const char *op,
                   const char *args,
                   int *ret_fds,
                   size_t *ret_nfds)
{
    sdh_pump(&d->h);
    json_t *r = dh_call(c, op, args, ret_fds, ret_nfds);
    sdh_pump(&d->h);
    return r;
}

void dh_sd_call_ok(dh_sd_daemon_t *d, dh_client_t *c, const char *op, const char *args)
{
    json_t *r = dh_sd_call(d, c, op, args, NULL, NULL);
    dh_ok(r);
    json_decref(r);
}

void dh_assert_error(json_t *reply, const char *code)
{
    json_t *err = json_object_get(reply, "error");
    if (!json_is_false(json_object_get(reply, "ok")) ||
        strcmp(json_string_value(json_object_get(err, "code")), code) != 0) {
        char *s = json_dumps(reply, 0);
        fail_msg("expected %s, got %s", code, s);
    }
}

static void forget_fd(dh_client_t *c, int fd)
{
    for (size_t i = 0; i < c->nevent_fds; i++) {
        if (c->event_fds[i] == fd) {
            c->event_fds[i] = c->event_fds[--c->nevent_fds];
            return;
        }
    }
}

json_t *dh_event(dh_client_t *c, const char *name, int *ret_fd)
{
    for (;;) {
        size_t i;
        json_t *e;
        json_array_foreach(c->events, i, e)
        {
            if (strcmp(json_string_value(json_object_get(e, "event")), name) == 0) {
                json_incref(e);
                json_array_remove(c->events, i);
                json_t *fd = json_object_get(e, "_fd");
                if (fd != NULL) {
                    forget_fd(c, (int)json_integer_value(fd));
                    assert_non_null(ret_fd);
                    *ret_fd = (int)json_integer_value(fd);
                }
                return e;
            }
        }
        int fds[NB_PROTO_FDS_MAX];
        size_t nfds = 0;
        json_t *m = dh_read(c, fds, &nfds);
        assert_non_null(m);
        assert_non_null(json_object_get(m, "event"));
        if (nfds == 1) {
            json_object_set_new(m, "_fd", json_integer(fds[0]));
            c->event_fds[c->nevent_fds++] = fds[0];
        }
        json_array_append_new(c->events, m);
    }
}

bool dh_wait_closed(dh_client_t *c)
{
    for (;;) {
        int fds[NB_PROTO_FDS_MAX];
        size_t nfds = 0;
        json_t *m = dh_read(c, fds, &nfds);
        if (m == NULL) {
            return true;
        }
        for (size_t i = 0; i < nfds; i++) {
            close(fds[i]);
        }
        json_decref(m);
    }
}

void dh_subscribe(dh_client_t *c, const char *name)
{
    char args[128];
    snprintf(args, sizeof(args), "{\"name\":\"%s\"}", name);
    dh_call_ok(c, "server.subscribe", args);
}

void dh_expect_dispatch(dh_client_t *sub, int peer)
{
    int fd = -1;
    json_t *e = dh_event(sub, "connection", &fd);
    assert_int_equal(json_integer_value(json_object_get(e, "remotePort")), dh_local_port(peer));
    json_decref(e);
    assert_int_equal(send(fd, "x", 1, MSG_NOSIGNAL), 1);
    close(fd);
    char b = 0;
    struct pollfd p = { .fd = peer, .events = POLLIN };
    assert_int_equal(poll(&p, 1, DH_DEADLINE_MS), 1);
    assert_int_equal(read(peer, &b, 1), 1);
    assert_int_equal(b, 'x');
}

void dh_expect_eof(int fd)
{
    char b;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    assert_int_equal(poll(&p, 1, DH_DEADLINE_MS), 1);
    assert_int_equal(recv(fd, &b, 1, 0), 0);
}

int dh_tcp_connect(const char *src, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    if (src != NULL) {
        struct sockaddr_in sa = { .sin_family = AF_INET };
        inet_pton(AF_INET, src, &sa.sin_addr);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
    return fd;
}

int dh_local_port(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    return ntohs(sa.sin_port);
}

int dh_fixture_setup(void **state)
{
    dh_daemon_t *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    dh_daemon_init(d, NULL);
    dh_daemon_start(d);
    *state = d;
    return 0;
}

int dh_fixture_teardown(void **state)
{
    dh_daemon_t *d = *state;
    if (d->pid > 0) {
        dh_daemon_stop(d);
    }
    dh_daemon_cleanup(d);
    free(d);
    return 0;
}
