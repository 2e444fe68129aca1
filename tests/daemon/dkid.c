/* dkid.c: the cmocka-free control client of forked test children (dkid.h). */
#include "dkid.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#define DK_DEADLINE_MS 10000

int dk_connect(dk_t *k, const char *control)
{
    memset(k, 0, sizeof(*k));
    k->next_id = 1;
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", control);
    k->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (k->fd < 0 || connect(k->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
        nb_proto_reader_new(NULL, &k->reader) < 0 || nb_proto_writer_new(NULL, &k->writer) < 0) {
        return -1;
    }
    return dk_call(k, "hello", "{\"version\":1}", -1, NULL, NULL, 0) == 1 ? 0 : -1;
}

void dk_close(dk_t *k)
{
    if (k->fd >= 0) {
        close(k->fd);
    }
    nb_proto_reader_free(k->reader);
    nb_proto_writer_free(k->writer);
    k->fd = -1;
    k->reader = NULL;
    k->writer = NULL;
}

/* The next message, any kind; NULL at the end of the stream, on error or at the deadline
 * (deadline_ms < 0: none). Its fds go to msg_fds (at most NB_PROTO_FDS_MAX). */
static json_t *next_msg(dk_t *k, int *msg_fds, size_t *nfds, int deadline_ms)
{
    for (;;) {
        nb_proto_msg_t msg;
        nb_proto_error_t err;
        int r = nb_proto_reader_next(k->reader, &msg, &err);
        if (r < 0) {
            return NULL;
        }
        if (r == 1) {
            memcpy(msg_fds, msg.fds, msg.nfds * sizeof(int));
            *nfds = msg.nfds;
            return msg.json;
        }
        struct pollfd p = { .fd = k->fd, .events = POLLIN };
        if (poll(&p, 1, deadline_ms) != 1) {
            return NULL;
        }
        r = nb_proto_reader_read(k->reader, k->fd);
        if (r == 0 || (r < 0 && r != -EAGAIN)) {
            return NULL;
        }
    }
}

static void close_all(const int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        close(fds[i]);
    }
}

static int send_request(dk_t *k, int64_t id, const char *op, const char *args, int send_fd)
{
    char line[4096];
    int n = snprintf(line, sizeof(line), "{\"id\":%lld,\"op\":\"%s\"%s%s%s}\n", (long long)id, op,
                     args != NULL ? ",\"args\":" : "", args != NULL ? args : "",
                     send_fd >= 0 ? ",\"fds\":1" : "");
    if (n <= 0 || (size_t)n >= sizeof(line) ||
        nb_proto_writer_push_line(k->writer, line, (size_t)n, &send_fd, send_fd >= 0) < 0) {
        return -1;
    }
    /* Control replies are small: the socket takes them whole. */
    return nb_proto_writer_flush(k->writer, k->fd) == 0 ? 0 : -1;
}

int dk_call(dk_t *k,
            const char *op,
            const char *args,
            int send_fd,
            int *ret_fd,
            char *code,
            size_t size)
{
    int64_t id = k->next_id++;
    if (ret_fd != NULL) {
        *ret_fd = -1;
    }
    if (send_request(k, id, op, args, send_fd) < 0) {
        return -1;
    }
    for (;;) {
        int fds[NB_PROTO_FDS_MAX];
        size_t nfds = 0;
        json_t *m = next_msg(k, fds, &nfds, DK_DEADLINE_MS);
        if (m == NULL) {
            return -1;
        }
        json_t *jid = json_object_get(m, "id");
        if (jid == NULL || json_integer_value(jid) != id) {
            close_all(fds, nfds); /* an event */
            json_decref(m);
            continue;
        }
        int ok = json_is_true(json_object_get(m, "ok"));
        if (ok) {
            char *text = json_dumps(json_object_get(m, "result"), JSON_COMPACT | JSON_SORT_KEYS);
            snprintf(k->result, sizeof(k->result), "%s", text != NULL ? text : "");
            free(text);
        } else {
            json_t *e = json_object_get(m, "error");
            const char *msg = json_string_value(json_object_get(e, "message"));
            snprintf(k->message, sizeof(k->message), "%s", msg != NULL ? msg : "");
            if (code != NULL) {
                snprintf(code, size, "%s", json_string_value(json_object_get(e, "code")));
            }
        }
        if (ok && ret_fd != NULL && nfds > 0) {
            *ret_fd = fds[0];
            close_all(fds + 1, nfds - 1);
        } else {
            close_all(fds, nfds);
        }
        json_decref(m);
        return ok;
    }
}

int dk_next_fd(dk_t *k, int deadline_ms)
{
    for (;;) {
        int fds[NB_PROTO_FDS_MAX];
        size_t nfds = 0;
        json_t *m = next_msg(k, fds, &nfds, deadline_ms);
        if (m == NULL) {
            return -1;
        }
        json_decref(m);
        if (nfds > 0) {
            close_all(fds + 1, nfds - 1);
            return fds[0];
        }
    }
}

/* Requests whose replies the caller never reads; sent whole (blocking). */
static int stall_with(dk_t *k, int n)
{
    static const char line[] = "{\"id\":0,\"op\":\"server.list\"}\n";
    size_t len = sizeof(line) - 1;
    for (int i = 0; i < n; i++) {
        for (size_t off = 0; off < len;) {
            ssize_t w = send(k->fd, line + off, len - off, MSG_NOSIGNAL);
            if (w <= 0) {
                return -1;
            }
            off += (size_t)w;
        }
    }
    return 0;
}

int dk_serve(const char *control,
             const char *server,
             int max_pending,
             char tag,
             int ready_fd,
             int stall)
{
    dk_t k;
    char args[256];
    snprintf(args, sizeof(args), "{\"name\":\"%s\",\"maxPending\":%d}", server, max_pending);
    char code[64] = "";
    if (dk_connect(&k, control) < 0) {
        fprintf(stderr, "subscriber %d: cannot connect and say hello: %s\n", (int)getpid(),
                strerror(errno));
        return 2;
    }
    if (dk_call(&k, "server.subscribe", args, -1, NULL, code, sizeof(code)) != 1 ||
        (stall > 0 && stall_with(&k, stall) < 0) || write(ready_fd, "r", 1) != 1) {
        fprintf(stderr, "subscriber %d: cannot subscribe (%s) or stall: %s\n", (int)getpid(), code,
                strerror(errno));
        return 2;
    }
    while (stall > 0) {
        pause(); /* until SIGKILL */
    }
    int fd;
    while ((fd = dk_next_fd(&k, -1)) >= 0) {
        ssize_t w = send(fd, &tag, 1, MSG_NOSIGNAL);
        close(fd);
        if (w != 1 && errno != EPIPE && errno != ECONNRESET) {
            return 2;
        }
    }
    dk_close(&k);
    return 0;
}
