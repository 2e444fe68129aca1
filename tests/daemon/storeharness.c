/* storeharness.c: systemd's fd store and notify socket, played with real sockets. */
#include "storeharness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sh_init(sh_t *h, const char *config)
{
    memset(h, 0, sizeof(*h));
    strcpy(h->dir, "/tmp/nb-store-XXXXXX");
    assert_non_null(mkdtemp(h->dir));
    snprintf(h->control, sizeof(h->control), "%s/run/control.sock", h->dir);
    snprintf(h->notify_path, sizeof(h->notify_path), "%s/notify", h->dir);
    snprintf(h->log_path, sizeof(h->log_path), "%s/stderr", h->dir);
    if (config != NULL) {
        snprintf(h->config, sizeof(h->config), "%s/config.json", h->dir);
        FILE *out = fopen(h->config, "w");
        assert_non_null(out);
        fputs(config, out);
        fclose(out);
    }
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    strcpy(sun.sun_path, h->notify_path);
    h->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    assert_true(h->notify_fd >= 0);
    assert_int_equal(bind(h->notify_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    h->pid = -1;
}

static bool same_file(int a, int b)
{
    struct stat sa, sb;
    /* the two ends of a pipe share an inode: the access mode tells them apart */
    return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino &&
           (fcntl(a, F_GETFL) & O_ACCMODE) == (fcntl(b, F_GETFL) & O_ACCMODE);
}

static void store_remove(sh_t *h, const char *name)
{
    size_t k = 0;
    for (size_t i = 0; i < h->nstore; i++) {
        if (strcmp(h->store[i].name, name) == 0) {
            close(h->store[i].fd);
        } else {
            h->store[k++] = h->store[i];
        }
    }
    h->nstore = k;
}

/* systemd keeps a file stored twice once (it compares the files, not the names). */
static void store_add(sh_t *h, const char *name, int fd)
{
    for (size_t i = 0; i < h->nstore; i++) {
        if (same_file(h->store[i].fd, fd)) {
            close(fd);
            return;
        }
    }
    assert_true(h->nstore < SH_STORE_MAX);
    sh_entry_t *e = &h->store[h->nstore++];
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->fd = fd;
}

static void handle(sh_t *h, char *msg, int fd)
{
    char *fdname = strstr(msg, "FDNAME=");
    char name[300] = "stored";
    if (fdname != NULL) {
        snprintf(name, sizeof(name), "%.*s", (int)strcspn(fdname + 7, "\n"), fdname + 7);
    }
    if (strstr(msg, "FDSTOREREMOVE=1") != NULL) {
        store_remove(h, name);
    } else if (strstr(msg, "FDSTORE=1") != NULL && fd >= 0) {
        store_add(h, name, fd);
        fd = -1;
    }
    h->ready += strstr(msg, "READY=1") != NULL;
    h->stopping += strstr(msg, "STOPPING=1") != NULL;
    if (fd >= 0) {
        close(fd);
    }
}

/* One message, if one is queued: 1, else 0. */
static int read_one(sh_t *h)
{
    char buf[2048];
    struct iovec iov = { buf, sizeof(buf) - 1 };
    union {
        char b[CMSG_SPACE(sizeof(int) * 16)];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)
    };
    ssize_t n = recvmsg(h->notify_fd, &mh, MSG_CMSG_CLOEXEC);
    if (n < 0) {
        assert_true(errno == EAGAIN);
        return 0;
    }
    buf[n] = '\0';
    int fds[16], nfds = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds, CMSG_DATA(cm), (size_t)nfds * sizeof(int));
        }
    }
    handle(h, buf, nfds > 0 ? fds[0] : -1);
    for (int i = 1; i < nfds; i++) {
        close(fds[i]); /* the daemon stores one at a time */
    }
    return 1;
}

void sh_pump(sh_t *h)
{
    while (read_one(h) == 1) {
    }
}

/* Waits for the notify socket or fd (may be -1) within the deadline. */
static void wait_io(sh_t *h, int fd, int64_t until, const char *what)
{
    struct pollfd p[2] = { { .fd = h->notify_fd, .events = POLLIN },
                           { .fd = fd, .events = POLLIN } };
    int64_t left = until - now_ms();
    if (left <= 0 || poll(p, fd >= 0 ? 2 : 1, (int)left) <= 0) {
        sh_dump_log(h);
        fail_msg("%s: nothing within %d ms", what, SH_DEADLINE_MS);
    }
}

void sh_wait_ready(sh_t *h, unsigned count)
{
    int64_t until = now_ms() + SH_DEADLINE_MS;
    for (sh_pump(h); h->ready < count; sh_pump(h)) {
        wait_io(h, -1, until, "READY=1");
    }
}

int sh_wait_exit(sh_t *h, pid_t pid)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status = 0;
    assert_true(pidfd >= 0);
    int64_t until = now_ms() + SH_DEADLINE_MS;
    for (;;) {
        sh_pump(h);
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        if (poll(&p, 1, 0) == 1) {
            break;
        }
        wait_io(h, pidfd, until, "daemon exit");
    }
    close(pidfd);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    sh_pump(h); /* what it said last */
    if (pid == h->pid) {
        h->pid = -1;
    }
    return status;
}

static void child_exec(sh_t *h, bool takeover)
{
    int log = open(h->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    dup2(log, STDERR_FILENO);
    setenv("NOTIFY_SOCKET", h->notify_path, 1);
    if (h->no_fdstore) {
        unsetenv("FDSTORE");
    } else {
        setenv("FDSTORE", "64", 1);
    }
    unsetenv("LISTEN_FDS");
    if (!takeover && h->nstore > 0) {
        /* What systemd does: the stored fds from 3 on, in order, named. */
        int tmp[SH_STORE_MAX];
        char names[SH_STORE_MAX * 301] = "", num[32];
        for (size_t i = 0; i < h->nstore; i++) {
            tmp[i] = fcntl(h->store[i].fd, F_DUPFD_CLOEXEC, 3 + SH_STORE_MAX);
        }
        for (size_t i = 0; i < h->nstore; i++) {
            dup2(tmp[i], 3 + (int)i); /* without CLOEXEC: they cross the exec */
            strcat(names, i > 0 ? ":" : "");
            strcat(names, h->store[i].name);
        }
        snprintf(num, sizeof(num), "%d", (int)getpid());
        setenv("LISTEN_PID", num, 1);
        snprintf(num, sizeof(num), "%zu", h->nstore);
        setenv("LISTEN_FDS", num, 1);
        setenv("LISTEN_FDNAMES", names, 1);
    }
    const char *argv[12] = { "netbrokerd", "--control", h->control, "--log-level",
                             h->log_level != NULL ? h->log_level : "debug" };
    int n = 5;
    if (h->config[0] != '\0') {
        argv[n++] = "--config";
        argv[n++] = h->config;
    }
    if (takeover) {
        argv[n++] = "--takeover";
    }
    argv[n] = NULL;
    execv(NETBROKERD_PATH, (char *const *)argv);
    _exit(127);
}

pid_t sh_spawn(sh_t *h, bool takeover)
{
    sh_pump(h);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_exec(h, takeover);
    }
    h->pid = pid;
    return pid;
}

void sh_start(sh_t *h)
{
    unsigned before = h->ready;
    sh_spawn(h, false);
    sh_wait_ready(h, before + 1);
}

int sh_store_fd(const sh_t *h, const char *name)
{
    for (size_t i = 0; i < h->nstore; i++) {
        if (strcmp(h->store[i].name, name) == 0) {
            return h->store[i].fd;
        }
    }
    return -1;
}

uint64_t sh_store_inode(const sh_t *h, const char *name)
{
    struct stat st;
    int fd = sh_store_fd(h, name);
    return fd >= 0 && fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

bool sh_pid_holds_inode(pid_t pid, uint64_t inode)
{
    char dir[64], path[400], link[128], want[64];
    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
    snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)inode);
    DIR *dp = opendir(dir);
    bool found = false;
    struct dirent *e;
    while (dp != NULL && !found && (e = readdir(dp)) != NULL) {
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        ssize_t n = readlink(path, link, sizeof(link) - 1);
        if (n > 0) {
            link[n] = '\0';
            found = strcmp(link, want) == 0;
        }
    }
    if (dp != NULL) {
        closedir(dp);
    }
    return found;
}

int sh_pid_fd_count(pid_t pid)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        n += e->d_name[0] != '.';
    }
    closedir(dp);
    return n;
}

void sh_dump_log(const sh_t *h)
{
    char buf[32768];
    FILE *in = fopen(h->log_path, "r");
    if (in == NULL) {
        return;
    }
    /* the end tells why: under load the debug lines run long */
    if (fseek(in, 0, SEEK_END) == 0 && ftell(in) > (long)sizeof(buf) - 1) {
        fseek(in, -(long)sizeof(buf) + 1, SEEK_END);
    } else {
        rewind(in);
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, in);
    buf[n] = '\0';
    fclose(in);
    fprintf(stderr, "--- netbrokerd stderr ---\n%s--- end ---\n", buf);
}

bool sh_log_contains(const sh_t *h, const char *text)
{
    FILE *in = fopen(h->log_path, "r");
    char line[1024];
    bool found = false;
    while (in != NULL && !found && fgets(line, sizeof(line), in) != NULL) {
        found = strstr(line, text) != NULL;
    }
    if (in != NULL) {
        fclose(in);
    }
    return found;
}

void sh_cleanup(sh_t *h)
{
    if (h->pid > 0) {
        kill(h->pid, SIGKILL);
        waitpid(h->pid, NULL, 0);
        sh_dump_log(h);
    }
    for (size_t i = 0; i < h->nstore; i++) {
        close(h->store[i].fd);
    }
    h->nstore = 0;
    close(h->notify_fd);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
    assert_int_equal(system(cmd), 0);
}
