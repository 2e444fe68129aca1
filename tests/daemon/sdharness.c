/* sdharness.c: systemd's side of socket activation, sd_notify and the fd store, for the
 * daemon tests (see sdharness.h). */
#include "sdharness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
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

#include <jansson.h>

/* The most fds one datagram can carry (SCM_MAX_FD). */
#define DATAGRAM_FDS_MAX 253

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sdh_init(sdh_t *h)
{
    memset(h, 0, sizeof(*h));
    h->notify_fd = -1;
    h->pid = -1;
    h->exit_status = -1;
    h->first_gap = -1;
    for (size_t i = 0; i < SDH_CHILDREN_MAX; i++) {
        h->children[i].pidfd = -1;
    }
    strcpy(h->dir, "/tmp/nb-sdh-XXXXXX");
    if (mkdtemp(h->dir) == NULL) {
        return -errno;
    }
    chmod(h->dir, 0711); /* other uids may reach sockets the test puts here */
    snprintf(h->notify_path, sizeof(h->notify_path), "%s/notify", h->dir);
    snprintf(h->log_path, sizeof(h->log_path), "%s/stderr", h->dir);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    strcpy(sun.sun_path, h->notify_path);
    int one = 1;
    h->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (h->notify_fd < 0 || bind(h->notify_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
        setsockopt(h->notify_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
        return -errno;
    }
    /* Room for bursts of STATUS= and FDSTORE=1 while the test is busy elsewhere. */
    int size = 4 * 1024 * 1024;
    setsockopt(h->notify_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    return 0;
}

static sdh_child_t *child_of(sdh_t *h, pid_t pid)
{
    for (size_t i = 0; pid > 0 && i < SDH_CHILDREN_MAX; i++) {
        if (h->children[i].pid == pid) {
            return &h->children[i];
        }
    }
    return NULL;
}

/* Collects an exited (or killed) child; returns its wait status. */
static int reap(sdh_t *h, sdh_child_t *c)
{
    int status = 0;
    if (waitpid(c->pid, &status, 0) == c->pid) {
        h->exit_status = status;
    }
    close(c->pidfd);
    if (c->pid == h->pid) {
        h->pid = -1;
    }
    c->pid = 0;
    c->pidfd = -1;
    return status;
}

void sdh_store_clear(sdh_t *h)
{
    for (size_t i = 0; i < h->nstore; i++) {
        close(h->store_fds[i]);
        free(h->store_names[i]);
    }
    h->nstore = 0;
    h->state_held = false;
}

void sdh_free(sdh_t *h)
{
    for (size_t i = 0; i < SDH_CHILDREN_MAX; i++) {
        if (h->children[i].pid > 0) {
            kill(h->children[i].pid, SIGKILL);
            reap(h, &h->children[i]);
        }
    }
    if (h->notify_fd >= 0) {
        close(h->notify_fd);
    }
    sdh_store_clear(h);
    for (size_t i = 0; i < h->nmsgs; i++) {
        free(h->msgs[i].text);
    }
    free(h->msgs);
    if (h->dir[0] != '\0') {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "sdharness: could not remove '%s'\n", h->dir);
        }
    }
    memset(h, 0, sizeof(*h));
    h->notify_fd = h->pid = -1;
}

/* In the child: fds[i] to 3+i (copies first, above the target range, so that a source
 * inside it is not overwritten), every other fd from 3 on closed, as systemd leaves it. */
static int child_fds(const int fds[], size_t n)
{
    int tmp[SDH_STORE_MAX];
    if (n > SDH_STORE_MAX) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if ((tmp[i] = fcntl(fds[i], F_DUPFD, 3 + (int)n)) < 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (dup2(tmp[i], 3 + (int)i) < 0) {
            return -1;
        }
    }
    return (int)syscall(SYS_close_range, 3 + (unsigned)n, ~0U, 0);
}

static void child_env(const sdh_t *h, const char *const names[], size_t n)
{
    char buf[64];
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDNAMES");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    unsetenv("FDSTORE");
    setenv("NOTIFY_SOCKET", h->notify_path, 1);
    if (h->fdstore_max > 0) {
        snprintf(buf, sizeof(buf), "%u", h->fdstore_max);
        setenv("FDSTORE", buf, 1);
    }
    if (n > 0) {
        snprintf(buf, sizeof(buf), "%zu", n);
        setenv("LISTEN_FDS", buf, 1);
        snprintf(buf, sizeof(buf), "%d", h->listen_pid != 0 ? (int)h->listen_pid : (int)getpid());
        setenv("LISTEN_PID", buf, 1);
    }
    if (n > 0 && names != NULL) {
        static char joined[SDH_STORE_MAX * (SDH_NAME_MAX + 1)]; /* in the child: its own */
        size_t len = 0;
        for (size_t i = 0; i < n && len < sizeof(joined); i++) {
            len += (size_t)snprintf(joined + len, sizeof(joined) - len, "%s%s", i > 0 ? ":" : "",
                                    names[i]);
        }
        setenv("LISTEN_FDNAMES", joined, 1);
    }
    if (h->watchdog_usec > 0) {
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)h->watchdog_usec);
        setenv("WATCHDOG_USEC", buf, 1);
        snprintf(buf, sizeof(buf), "%d", (int)getpid());
        setenv("WATCHDOG_PID", buf, 1);
    }
}

int sdh_start(sdh_t *h, char *const argv[], const int fds[], const char *const names[], size_t n)
{
    sdh_child_t *c = NULL;
    for (size_t i = 0; c == NULL && i < SDH_CHILDREN_MAX; i++) {
        c = h->children[i].pid == 0 ? &h->children[i] : NULL;
    }
    if (c == NULL) {
        return -EBUSY;
    }
    if (n > SDH_STORE_MAX) {
        return -E2BIG;
    }
    int r = sdh_pump(h);
    if (r < 0) {
        return r;
    }
    h->next = h->nmsgs;
    pid_t pid = fork();
    if (pid < 0) {
        return -errno;
    }
    if (pid == 0) {
        int log = open(h->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (log < 0 || dup2(log, STDERR_FILENO) < 0 || child_fds(fds, n) < 0) {
            _exit(126);
        }
        child_env(h, names, n);
        execv(argv[0], argv);
        _exit(127);
    }
    c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (c->pidfd < 0) {
        r = -errno;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return r;
    }
    c->pid = h->pid = pid;
    return 0;
}

int sdh_start_from_store(sdh_t *h, char *const argv[])
{
    const int *fds;
    const char *const *names;
    size_t n = sdh_stored_fds(h, &fds, &names);
    return sdh_start(h, argv, fds, names, n);
}

int sdh_signal(sdh_t *h, int sig)
{
    if (h->pid <= 0) {
        return -ECHILD;
    }
    return kill(h->pid, sig) < 0 ? -errno : 0;
}

/* The value of the line "key=value" in text, its length in *ret_len. */
static const char *line_value(const char *text, const char *key, size_t *ret_len)
{
    size_t klen = strlen(key);
    for (const char *p = text; *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            *ret_len = len - klen - 1;
            return p + klen + 1;
        }
        p += len + (end != NULL);
    }
    return NULL;
}

/* systemd's test (same_fd()): the same open file description by kcmp(); where kcmp() is
 * not there, the same inode opened the same way (the two ends of a pipe share an inode
 * and differ in their access mode). */
static bool same_file(int a, int b)
{
    pid_t self = getpid();
    long r = syscall(SYS_kcmp, self, self, KCMP_FILE, a, b);
    if (r >= 0) {
        return r == 0;
    }
    struct stat sa, sb;
    return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino && fcntl(a, F_GETFL) == fcntl(b, F_GETFL);
}

/* FDSTORE=1: each fd joins the store under FDNAME= ("stored" without one), unless the
 * same file is there already (systemd keeps one entry per open file). */
static void store_fds(sdh_t *h, const char *text, const int *fds, size_t nfds)
{
    size_t len = 0;
    const char *name = line_value(text, "FDNAME", &len);
    if (name == NULL) {
        name = "stored";
        len = strlen(name);
    }
    for (size_t i = 0; i < nfds; i++) {
        bool known = false;
        for (size_t j = 0; j < h->nstore && !known; j++) {
            known = same_file(h->store_fds[j], fds[i]);
        }
        if (known || h->nstore == SDH_STORE_MAX || len > SDH_NAME_MAX) {
            close(fds[i]);
            continue;
        }
        h->store_fds[h->nstore] = fds[i];
        h->store_names[h->nstore++] = strndup(name, len);
    }
}

/* Every entry called name (len bytes) goes. */
static void remove_named(sdh_t *h, const char *name, size_t len)
{
    for (size_t j = 0; j < h->nstore;) {
        if (strlen(h->store_names[j]) == len && strncmp(h->store_names[j], name, len) == 0) {
            close(h->store_fds[j]);
            free(h->store_names[j]);
            h->nstore--;
            h->store_fds[j] = h->store_fds[h->nstore];
            h->store_names[j] = h->store_names[h->nstore];
        } else {
            j++;
        }
    }
}

/* FDSTOREREMOVE=1 with FDNAME=: every entry of that name goes. */
static void store_remove(sdh_t *h, const char *text)
{
    size_t len = 0;
    const char *name = line_value(text, "FDNAME", &len);
    if (name != NULL) {
        remove_named(h, name, len);
    }
}

void sdh_store_remove(sdh_t *h, const char *name)
{
    remove_named(h, name, strlen(name));
}

int sdh_store_add(sdh_t *h, const char *name, int fd)
{
    if (h->nstore == SDH_STORE_MAX || strlen(name) > SDH_NAME_MAX) {
        return -ENOSPC;
    }
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    char *dup = strdup(name);
    if (copy < 0 || dup == NULL) {
        int r = copy < 0 ? -errno : -ENOMEM;
        if (copy >= 0) {
            close(copy);
        }
        free(dup);
        return r;
    }
    h->store_fds[h->nstore] = copy;
    h->store_names[h->nstore++] = dup;
    return 0;
}

/* A whole state document in fd: what a restart would read. */
static bool whole_state(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > (16 << 20)) {
        return false;
    }
    char *buf = malloc((size_t)st.st_size);
    bool whole = buf != NULL && pread(fd, buf, (size_t)st.st_size, 0) == st.st_size;
    json_error_t err;
    json_t *doc = whole ? json_loadb(buf, (size_t)st.st_size, 0, &err) : NULL;
    whole = json_is_object(doc) && json_integer_value(json_object_get(doc, "version")) >= 1;
    json_decref(doc);
    free(buf);
    return whole;
}

int sdh_store_holds_state(const sdh_t *h)
{
    if (h->state_name == NULL) {
        return -EINVAL;
    }
    size_t len = strlen(h->state_name);
    for (size_t i = 0; i < h->nstore; i++) {
        const char *n = h->store_names[i];
        if (strncmp(n, h->state_name, len) == 0 && (n[len] == '\0' || n[len] == '.') &&
            whole_state(h->store_fds[i])) {
            return 1;
        }
    }
    return 0;
}

/* After a message that changed the store: a state lost is a gap (see sdh_t). */
static void check_state(sdh_t *h, size_t msg)
{
    if (h->state_name == NULL) {
        return;
    }
    if (sdh_store_holds_state(h) > 0) {
        h->state_held = true;
    } else if (h->state_held) {
        h->state_gaps++;
        if (h->first_gap < 0) {
            h->first_gap = (long)msg;
        }
    }
}

static int has_line(const char *text, const char *want)
{
    size_t wlen = strlen(want);
    for (const char *p = text; *p != '\0';) {
        if (strncmp(p, want, wlen) == 0) {
            return 1;
        }
        const char *end = strchr(p, '\n');
        if (end == NULL) {
            break;
        }
        p = end + 1;
    }
    return 0;
}

static void record(sdh_t *h, const char *text, pid_t pid, int *fds, size_t nfds)
{
    sdh_msg_t *msgs = realloc(h->msgs, (h->nmsgs + 1) * sizeof(*msgs));
    if (msgs == NULL) {
        abort(); /* a test harness out of memory: nothing sensible to go on with */
    }
    h->msgs = msgs;
    h->msgs[h->nmsgs++] = (sdh_msg_t){ .text = strdup(text), .pid = pid, .nfds = nfds };
    if (has_line(text, "FDSTORE=1")) {
        store_fds(h, text, fds, nfds);
    } else {
        for (size_t i = 0; i < nfds; i++) {
            close(fds[i]);
        }
    }
    if (has_line(text, "FDSTOREREMOVE=1")) {
        store_remove(h, text);
    }
    if (has_line(text, "FDSTORE=1") || has_line(text, "FDSTOREREMOVE=1")) {
        check_state(h, h->nmsgs - 1);
        if (h->on_store != NULL) {
            h->on_store(h, h->nmsgs - 1, h->on_store_data);
        }
    }
}

/* One datagram; 1 read, 0 none waiting. */
static int read_one(sdh_t *h)
{
    char buf[SDH_DATAGRAM_MAX + 1];
    union {
        char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * DATAGRAM_FDS_MAX)];
        struct cmsghdr align;
    } u;
    struct iovec iov = { buf, sizeof(buf) - 1 };
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)
    };
    ssize_t n = recvmsg(h->notify_fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0) {
        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
    }
    buf[n] = '\0';
    int fds[DATAGRAM_FDS_MAX];
    size_t nfds = 0;
    pid_t pid = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds, CMSG_DATA(cm), nfds * sizeof(int));
        } else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cred;
            memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
            pid = cred.pid;
        }
    }
    record(h, buf, pid, fds, nfds);
    return 1;
}

int sdh_pump(sdh_t *h)
{
    int n = 0, r;
    while ((r = read_one(h)) > 0) {
        n++;
    }
    return r < 0 ? r : n;
}

int sdh_find_message(const sdh_t *h, const char *want, size_t from)
{
    for (size_t i = from; i < h->nmsgs; i++) {
        if (has_line(h->msgs[i].text, want)) {
            return (int)i;
        }
    }
    return -ENOENT;
}

const char *sdh_message_value(const sdh_t *h, size_t i, const char *key, size_t *ret_len)
{
    return i < h->nmsgs ? line_value(h->msgs[i].text, key, ret_len) : NULL;
}

int sdh_wait_message(sdh_t *h, const char *want, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int r = sdh_pump(h);
        if (r < 0) {
            return r;
        }
        int i = sdh_find_message(h, want, h->next);
        if (i >= 0) {
            h->next = (size_t)i + 1;
            return i;
        }
        sdh_child_t *c = child_of(h, h->pid);
        if (c == NULL) {
            return -ECHILD;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            return -ETIMEDOUT;
        }
        struct pollfd p[2] = { { .fd = h->notify_fd, .events = POLLIN },
                               { .fd = c->pidfd, .events = POLLIN } };
        if (poll(p, 2, (int)left) > 0 && (p[1].revents & POLLIN) != 0) {
            reap(h, c); /* what it sent before it died is queued already: read on the next turn */
        }
    }
}

size_t sdh_stored_fds(const sdh_t *h, const int **ret_fds, const char *const **ret_names)
{
    *ret_fds = h->store_fds;
    *ret_names = (const char *const *)h->store_names;
    return h->nstore;
}

int sdh_stored_fd(const sdh_t *h, const char *name)
{
    for (size_t i = 0; i < h->nstore; i++) {
        if (strcmp(h->store_names[i], name) == 0) {
            return h->store_fds[i];
        }
    }
    return -ENOENT;
}

int sdh_wait_pid(sdh_t *h, pid_t pid, int timeout_ms)
{
    sdh_child_t *c = child_of(h, pid);
    if (c == NULL) {
        return -ECHILD;
    }
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        struct pollfd p[2] = { { .fd = c->pidfd, .events = POLLIN },
                               { .fd = h->notify_fd, .events = POLLIN } };
        if (left <= 0 || poll(p, 2, (int)left) < 0) {
            return -ETIMEDOUT;
        }
        sdh_pump(h); /* a full queue must not block the child's last messages */
        if ((p[0].revents & POLLIN) != 0) {
            int status = reap(h, c);
            sdh_pump(h);
            return status;
        }
    }
}

int sdh_wait_exit(sdh_t *h, int timeout_ms)
{
    return sdh_wait_pid(h, h->pid, timeout_ms);
}

int sdh_stop(sdh_t *h, int timeout_ms)
{
    int r = sdh_signal(h, SIGTERM);
    return r < 0 ? r : sdh_wait_exit(h, timeout_ms);
}

int sdh_pid_fd_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    if (dir == NULL) {
        return -errno;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        n += e->d_name[0] != '.';
    }
    closedir(dir);
    return n;
}

bool sdh_pid_holds_inode(pid_t pid, uint64_t inode)
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

uint64_t sdh_fd_inode(int fd)
{
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static char *read_log(const sdh_t *h)
{
    FILE *in = fopen(h->log_path, "r");
    if (in == NULL) {
        return NULL;
    }
    size_t size = 0, cap = 0;
    char *buf = NULL;
    for (;;) {
        if (size + 4096 + 1 > cap) {
            cap = (cap + 4096) * 2;
            char *p = realloc(buf, cap);
            if (p == NULL) {
                break;
            }
            buf = p;
        }
        size_t n = fread(buf + size, 1, 4096, in);
        size += n;
        if (n == 0) {
            break;
        }
    }
    fclose(in);
    if (buf != NULL) {
        buf[size] = '\0';
    }
    return buf;
}

void sdh_dump_log(const sdh_t *h)
{
    enum { TAIL = 32768 }; /* the end tells why: under load the debug lines run long */
    char *log = read_log(h);
    const char *from = log != NULL ? log : "";
    size_t len = strlen(from);
    from += len > TAIL ? len - TAIL : 0;
    fprintf(stderr, "--- %s ---\n%s--- end ---\n", h->log_path, from);
    free(log);
}

int sdh_log_contains(const sdh_t *h, const char *text)
{
    char *log = read_log(h);
    int r = log != NULL && strstr(log, text) != NULL;
    free(log);
    return r;
}
