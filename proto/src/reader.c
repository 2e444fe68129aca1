/* reader.c: the read side of the framing. Turns received chunks into lines, lines into
 * JSON objects, and gives each object the fds it declares (PROTOCOL.md "File descriptors").
 *
 * Each chunk (one recvmsg, or one feed) gets a sequence number, and so does every fd that
 * came with it. Linux delivers a sendmsg's fds with the recvmsg that returns the first
 * byte of that sendmsg (and may glue earlier bytes in front of it, never later sendmsgs'
 * fds behind it), and a sender attaches a line's fds to the sendmsg that starts with that
 * line. So a line may take only fds that carry the number of the chunk holding its first
 * byte; an fd that no such line takes can never be placed and breaks the stream. */
#include "internal.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one recvmsg asks for: big enough that a burst of pipelined requests costs few
 * system calls, small enough that a reader is cheap when idle (the buffer grows on use). */
#define READ_CHUNK (64 * 1024)
/* Fds of the line being assembled plus those of the newest chunk: each at most
 * NB_PROTO_FDS_MAX, older ones are rejected when that chunk is fed. */
#define FIFO_MAX (2 * NB_PROTO_FDS_MAX)
/* The slot of descriptors that a chunk lost because the receiver had no free descriptor
 * (MSG_CTRUNC with room left in the control buffer): the line that claims that chunk's
 * fds is answered EMFILE instead of breaking the stream (PROTOCOL.md 11). */
#define LOST_FD (-1)

struct fd_slot {
    int fd;       /* or LOST_FD */
    uint64_t seq; /* the chunk it arrived with */
};

struct nb_proto_reader_s {
    char *buf;
    size_t cap;
    size_t start;      /* first byte of the line being assembled */
    size_t scan;       /* buf[start..scan) holds no '\n' */
    size_t len;        /* bytes held */
    size_t line_max;   /* bytes before the '\n' */
    uint64_t seq;      /* number of the newest chunk */
    uint64_t head_seq; /* chunk of buf[start], meaningful while start < len */
    struct fd_slot fifo[FIFO_MAX];
    size_t nfifo;
    int pending; /* a fatal error found while feeding, due after the complete lines */
    bool failed; /* the stream is broken: next() repeats `error` */
    nb_proto_error_t error;
};

static void reader_fail(nb_proto_reader_t *r, int code, int64_t id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fifo_close_all(nb_proto_reader_t *r);
/* Turns a line into what a next() call hands out (ret): 1, or an error code. */
typedef int (
    *deliver_fn)(nb_proto_reader_t *r, const char *line, size_t len, uint64_t line_seq, void *ret);
static int deliver(nb_proto_reader_t *r,
                   const char *line,
                   size_t len,
                   uint64_t line_seq,
                   void *ret);
static int deliver_lazy(nb_proto_reader_t *r,
                        const char *line,
                        size_t len,
                        uint64_t line_seq,
                        void *ret);
static bool line_buffered(nb_proto_reader_t *r);
static int reserve(nb_proto_reader_t *r, size_t want);

int nb_proto_reader_new(const nb_proto_limits_t *limits, nb_proto_reader_t **ret)
{
    nb_proto_reader_t *r;
    size_t line_max = limits != NULL ? limits->line_max : 0;

    if (ret == NULL || line_max > NB_PROTO_LINE_MAX_CEILING) {
        return -EINVAL;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return -ENOMEM;
    }
    r->line_max = line_max != 0 ? line_max : NB_PROTO_LINE_MAX;
    *ret = r;
    return 0;
}

void nb_proto_reader_free(nb_proto_reader_t *r)
{
    if (r == NULL) {
        return;
    }
    fifo_close_all(r);
    free(r->buf);
    free(r);
}

void nb_proto_msg_clear(nb_proto_msg_t *msg)
{
    if (msg == NULL) {
        return;
    }
    json_decref(msg->json);
    msg->json = NULL;
    nb_proto__close_fds(msg->fds, msg->nfds);
    msg->nfds = 0;
}

size_t nb_proto_reader_pending(const nb_proto_reader_t *r)
{
    return r != NULL && !r->failed ? r->len - r->start : 0;
}

static void fifo_close_all(nb_proto_reader_t *r)
{
    for (size_t i = 0; i < r->nfifo; i++) {
        nb_proto__close_fds(&r->fifo[i].fd, 1);
    }
    r->nfifo = 0;
}

static void reader_fail(nb_proto_reader_t *r, int code, int64_t id, const char *fmt, ...)
{
    va_list ap;

    if (r->failed) {
        return;
    }
    r->failed = true;
    r->error.code = code;
    r->error.fatal = true;
    r->error.id = id;
    va_start(ap, fmt);
    (void)vsnprintf(r->error.message, sizeof(r->error.message), fmt, ap);
    va_end(ap);
    nb_proto__utf8_trim(r->error.message);
    fifo_close_all(r);
    free(r->buf);
    r->buf = NULL;
    r->cap = r->start = r->scan = r->len = 0;
}

void nb_proto__reader_fail(nb_proto_reader_t *r, int code, const char *message)
{
    reader_fail(r, code, -1, "%s", message);
}

/* The first '\n' not yet looked at, or NULL (and the buffer may be NULL while empty). */
static const char *find_nl(const nb_proto_reader_t *r)
{
    return r->scan < r->len ? memchr(r->buf + r->scan, '\n', r->len - r->scan) : NULL;
}

/* True when a complete line waits for next(); remembers how far it looked. */
static bool line_buffered(nb_proto_reader_t *r)
{
    if (find_nl(r) != NULL) {
        return true;
    }
    r->scan = r->len;
    return false;
}

/* Moves the partial line to the front and makes room for `want` more bytes. */
static int reserve(nb_proto_reader_t *r, size_t want)
{
    if (r->start == r->len && r->cap > 2 * READ_CHUNK) {
        /* Idle after a long line: an idle connection should not keep its high-water mark. */
        free(r->buf);
        r->buf = NULL;
        r->cap = 0;
        r->start = r->scan = r->len = 0;
    }
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->scan -= r->start;
        r->start = 0;
    }
    if (want > SIZE_MAX / 2 - r->len) {
        return -ENOMEM;
    }
    if (r->len + want > r->cap) {
        /* Doubling keeps a line fed a byte at a time from costing a copy per byte. */
        size_t cap = r->cap * 2 > r->len + want ? r->cap * 2 : r->len + want;
        /* cap >= r->len + want > r->cap: never 0 (the analyzer does not follow that). */
        char *nbuf = realloc(r->buf, cap); /* NOLINT(clang-analyzer-optin.portability.UnixAPI) */
        if (nbuf == NULL) {
            return -ENOMEM;
        }
        r->buf = nbuf;
        r->cap = cap;
    }
    return 0;
}

static char *read_space(nb_proto_reader_t *r, size_t *ret_len)
{
    if (reserve(r, READ_CHUNK) < 0) {
        return NULL;
    }
    *ret_len = r->cap - r->len;
    return r->buf + r->len;
}

/* Checks that the reader may take a new chunk. Errors leave fds to the caller. */
static int reader_ready(nb_proto_reader_t *r)
{
    if (r->failed) {
        return r->error.code;
    }
    if (r->pending != 0 || line_buffered(r)) {
        return -EBUSY;
    }
    return 0;
}

int nb_proto__reader_prepare(nb_proto_reader_t *r, char **ret_space, size_t *ret_room)
{
    int rc = reader_ready(r);
    if (rc < 0) {
        return rc;
    }
    char *space = read_space(r, ret_room);
    if (space == NULL) {
        return -ENOMEM;
    }
    *ret_space = space;
    return 0;
}

/* Between chunks: fds older than the line being assembled (any, when none is) can never
 * be taken. Reporting them now rather than at the next line names the culprit sooner. */
static bool fds_orphaned(nb_proto_reader_t *r)
{
    uint64_t floor = r->start < r->len ? r->head_seq : r->seq + 1;

    if (r->nfifo > 0 && r->fifo[0].seq < floor) {
        reader_fail(r, NB_PROTO_ERR_PROTO_FDS, -1, "%s",
                    "file descriptors arrived that no message declared");
        return true;
    }
    return false;
}

/* Fds that no line can take any more: older than the line being assembled (or than this
 * chunk when no line is being assembled), or riding a chunk that starts no line. */
static bool fds_misplaced(nb_proto_reader_t *r, const char *data, size_t len, size_t nfds)
{
    bool partial = r->start < r->len;
    uint64_t floor = partial ? r->head_seq : r->seq;

    if (r->nfifo > 0 && r->fifo[0].seq < floor) {
        reader_fail(r, NB_PROTO_ERR_PROTO_FDS, -1, "%s",
                    "file descriptors arrived that no message declared");
        return true;
    }
    if (nfds == 0) {
        return false;
    }
    if (nfds > NB_PROTO_FDS_MAX || len == 0) {
        reader_fail(r, NB_PROTO_ERR_PROTO_FDS, -1, "%zu file descriptors arrived with %zu bytes",
                    nfds, len);
        return true;
    }
    /* A line starts in this chunk at byte 0, or after a '\n' that is not its last byte. */
    if (partial && (len < 2 || memchr(data, '\n', len - 1) == NULL)) {
        reader_fail(r, NB_PROTO_ERR_PROTO_FDS, -1, "%s",
                    "file descriptors arrived in the middle of a line");
        return true;
    }
    return false;
}

int nb_proto__reader_absorb(nb_proto_reader_t *r,
                            size_t len,
                            const int *fds,
                            size_t nfds,
                            bool lost)
{
    const char *data = len > 0 ? r->buf + r->len : "";

    r->seq++;
    if (r->start == r->len) {
        r->head_seq = r->seq;
    }
    /* A chunk that lost fds is placed as one that carried them: the same line must start
     * in it, or nobody can be told what was lost. */
    if (fds_misplaced(r, data, len, nfds + (lost ? 1 : 0))) {
        nb_proto__close_fds(fds, nfds);
        return 0;
    }
    /* Left now: fds of the line being assembled (one chunk's, at most 16), plus these (a
     * chunk that lost some kept at most 15, so its marker fits). */
    assert(r->nfifo + nfds + (lost ? 1 : 0) <= FIFO_MAX);
    for (size_t i = 0; i < nfds + (lost ? 1 : 0); i++) {
        r->fifo[r->nfifo].fd = i < nfds ? fds[i] : LOST_FD;
        r->fifo[r->nfifo].seq = r->seq;
        r->nfifo++;
    }
    const char *nl = len > 0 ? memrchr(data, '\n', len) : NULL;
    size_t tail = nl != NULL ? (size_t)(nl - r->buf) + 1 : r->start;
    r->len += len;
    if (r->len - tail > r->line_max) {
        /* No '\n' can save this line now: drop its bytes, keep the lines before it. */
        r->pending = NB_PROTO_ERR_PROTO_TOO_LARGE;
        r->len = tail;
    }
    return 0;
}

int nb_proto_reader_feed(nb_proto_reader_t *r,
                         const void *data,
                         size_t len,
                         const int *fds,
                         size_t nfds)
{
    int rc;

    if (r == NULL || (data == NULL && len > 0) || (fds == NULL && nfds > 0)) {
        if (fds != NULL) {
            nb_proto__close_fds(fds, nfds);
        }
        return -EINVAL;
    }
    rc = reader_ready(r);
    if (rc == 0 && len == 0 && nfds == 0) {
        return 0;
    }
    if (rc == 0) {
        rc = reserve(r, len);
    }
    if (rc < 0) {
        nb_proto__close_fds(fds, nfds);
        return rc;
    }
    if (len > 0) {
        memcpy(r->buf + r->len, data, len);
    }
    return nb_proto__reader_absorb(r, len, fds, nfds, false);
}

static int reader_next(nb_proto_reader_t *r, deliver_fn fn, void *ret, nb_proto_error_t *ret_err)
{
    if (!r->failed) {
        const char *nl = find_nl(r);
        if (nl == NULL) {
            r->scan = r->len;
            if (r->pending != 0) {
                reader_fail(r, r->pending, -1, "line longer than %zu bytes", r->line_max);
            } else if (!fds_orphaned(r)) {
                return 0;
            }
        } else {
            const char *line = r->buf + r->start;
            size_t llen = (size_t)(nl - line);
            uint64_t line_seq = r->head_seq;

            r->start = r->scan = (size_t)(nl - r->buf) + 1;
            /* The first '\n' after a feed is in the newest chunk, so all that follows is. */
            r->head_seq = r->seq;
            if (llen > r->line_max) {
                reader_fail(r, NB_PROTO_ERR_PROTO_TOO_LARGE, -1, "line of %zu bytes, limit %zu",
                            llen, r->line_max);
            } else {
                int rc = fn(r, line, llen, line_seq, ret);
                if (rc > 0 || !r->failed) {
                    if (rc < 0) {
                        *ret_err = r->error;
                    }
                    return rc;
                }
            }
        }
    }
    *ret_err = r->error;
    return r->error.code;
}

int nb_proto_reader_next(nb_proto_reader_t *r, nb_proto_msg_t *ret_msg, nb_proto_error_t *ret_err)
{
    if (r == NULL || ret_msg == NULL || ret_err == NULL) {
        return -EINVAL;
    }
    return reader_next(r, deliver, ret_msg, ret_err);
}

int nb_proto_reader_next_lazy(nb_proto_reader_t *r,
                              nb_proto_lazy_t *ret_msg,
                              nb_proto_error_t *ret_err)
{
    if (r == NULL || ret_msg == NULL || ret_err == NULL) {
        return -EINVAL;
    }
    return reader_next(r, deliver_lazy, ret_msg, ret_err);
}

/* A line rejected before its fd count is known. When fds that arrived with (or before)
 * its first byte are still unclaimed, nobody can tell whether they were this line's:
 * every later association would be a guess, so the stream ends here. */
static int line_error(nb_proto_reader_t *r,
                      uint64_t line_seq,
                      int code,
                      int64_t id,
                      const char *what)
{
    if (r->nfifo > 0 && r->fifo[0].seq <= line_seq) {
        reader_fail(r, code, id, "%s; file descriptors it may carry cannot be placed", what);
        return code;
    }
    nb_proto__error_set(&r->error, code, false, id, "%s", what);
    return code;
}

/* The line that claims a chunk whose fds were partly lost: it is answered EMFILE, alone
 * (the fds that did arrive are closed), and the stream goes on. */
static int fds_lost(nb_proto_reader_t *r, size_t avail, size_t n, int64_t id)
{
    size_t got = 0;
    for (size_t i = 0; i < avail; i++) {
        got += r->fifo[i].fd != LOST_FD;
        nb_proto__close_fds(&r->fifo[i].fd, 1);
    }
    r->nfifo -= avail;
    memmove(r->fifo, r->fifo + avail, r->nfifo * sizeof(r->fifo[0]));
    nb_proto__error_set(&r->error, -EMFILE, false, id,
                        "Too many open files: the receiver took %zu of the message's %zu file "
                        "descriptors",
                        got, n);
    return -EMFILE;
}

/* Hands the line its fds. The FIFO is ordered by chunk, so those of this line's chunk are
 * at its head once older ones are known to be orphans. Returns 0 or an error code: fatal
 * (ERR_PROTO_FDS, the reader failed) or -EMFILE (this line alone). */
static int take_fds(nb_proto_reader_t *r, uint64_t line_seq, size_t n, int64_t id, int *ret_fds)
{
    size_t avail = 0;
    bool lost = false;

    if (r->nfifo > 0 && r->fifo[0].seq < line_seq) {
        reader_fail(r, NB_PROTO_ERR_PROTO_FDS, id, "%s",
                    "file descriptors arrived that no message declared");
        return NB_PROTO_ERR_PROTO_FDS;
    }
    while (avail < r->nfifo && r->fifo[avail].seq == line_seq) {
        lost = lost || r->fifo[avail].fd == LOST_FD;
        avail++;
    }
    if (lost && n > 0) {
        return fds_lost(r, avail, n, id);
    }
    if (n > avail) {
        reader_fail(r, NB_PROTO_ERR_PROTO_FDS, id,
                    "message declares %zu file descriptors, %zu arrived with its first byte", n,
                    avail);
        return NB_PROTO_ERR_PROTO_FDS;
    }
    for (size_t i = 0; i < n; i++) {
        ret_fds[i] = r->fifo[i].fd;
    }
    r->nfifo -= n;
    memmove(r->fifo, r->fifo + n, r->nfifo * sizeof(r->fifo[0]));
    return 0;
}

static int deliver(nb_proto_reader_t *r, const char *line, size_t len, uint64_t line_seq, void *ret)
{
    json_error_t jerr;
    nb_proto_msg_t msg = { .json = NULL };

    if (nb_proto__utf8_prefix(line, len) != len) {
        return line_error(r, line_seq, NB_PROTO_ERR_PROTO_UTF8, -1, "message is not valid UTF-8");
    }
    msg.json = nb_proto__json_parse_fast(line, len);
    if (msg.json == NULL) {
        msg.json = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    }
    if (msg.json == NULL) {
        /* Our own check ran first; jansson's UTF-8 verdict is kept should they differ. */
        int code = json_error_code(&jerr) == json_error_invalid_utf8 ? NB_PROTO_ERR_PROTO_UTF8
                                                                     : NB_PROTO_ERR_PROTO_PARSE;
        char what[NB_PROTO_ERROR_MESSAGE_MAX];
        (void)snprintf(what, sizeof(what), "invalid JSON at byte %d: %s", jerr.position, jerr.text);
        return line_error(r, line_seq, code, -1, what);
    }
    if (!json_is_object(msg.json)) {
        json_decref(msg.json);
        return line_error(r, line_seq, NB_PROTO_ERR_PROTO_PARSE, -1,
                          "message is not a JSON object");
    }
    int64_t id = nb_proto__msg_id(msg.json);
    const json_t *fdsv = json_object_get(msg.json, "fds");
    json_int_t n = 0;
    if (fdsv != NULL) {
        n = json_is_integer(fdsv) ? json_integer_value(fdsv) : -1;
        if (n < 0 || n > NB_PROTO_FDS_MAX) {
            json_decref(msg.json);
            return line_error(r, line_seq, NB_PROTO_ERR_PROTO_FDS, id,
                              "\"fds\" must be an integer from 0 to 16");
        }
    }
    int rc = take_fds(r, line_seq, (size_t)n, id, msg.fds);
    if (rc < 0) {
        json_decref(msg.json);
        return rc;
    }
    msg.nfds = (size_t)n;
    *(nb_proto_msg_t *)ret = msg;
    return 1;
}

static void head_from_json(const json_t *msg, nb_proto_head_t *h)
{
    const json_t *event = json_object_get(msg, "event");
    const json_t *id = json_object_get(msg, "id");
    const json_t *ok = json_object_get(msg, "ok");

    *h = (nb_proto_head_t){ .ok = json_is_boolean(ok) ? json_is_true(ok) : -1 };
    if (json_is_string(event)) {
        h->event = json_string_value(event);
        h->event_len = json_string_length(event);
    }
    h->has_id = json_is_integer(id);
    h->id = h->has_id ? (int64_t)json_integer_value(id) : 0;
    h->id_null = json_is_null(id);
}

/* A plain line is checked by the scanner and handed out as it is; any other goes through
 * deliver, whose verdicts and messages are the reference. */
static int deliver_lazy(nb_proto_reader_t *r,
                        const char *line,
                        size_t len,
                        uint64_t line_seq,
                        void *ret)
{
    nb_proto_lazy_t *out = ret;
    nb_proto__scan_top_t top;
    nb_proto_msg_t msg;

    if (nb_proto__json_scan(line, len, &top)) {
        const nb_proto_head_t *h = &top.head;
        int64_t id = h->has_id && h->id >= 0 && h->id <= NB_PROTO_ID_MAX ? h->id : -1;
        if (top.fds_seen && (top.fds < 0 || top.fds > NB_PROTO_FDS_MAX)) {
            return line_error(r, line_seq, NB_PROTO_ERR_PROTO_FDS, id,
                              "\"fds\" must be an integer from 0 to 16");
        }
        size_t n = top.fds_seen ? (size_t)top.fds : 0;
        int rc = take_fds(r, line_seq, n, id, out->fds);
        if (rc < 0) {
            return rc;
        }
        out->line = line;
        out->len = len;
        out->json = NULL;
        out->compact = top.compact;
        out->head = top.head;
        out->nfds = n;
        return 1;
    }
    int rc = deliver(r, line, len, line_seq, &msg);
    if (rc != 1) {
        return rc;
    }
    out->line = line;
    out->len = len;
    out->json = msg.json;
    out->compact = false;
    head_from_json(msg.json, &out->head);
    memcpy(out->fds, msg.fds, msg.nfds * sizeof(int));
    out->nfds = msg.nfds;
    return 1;
}

json_t *nb_proto_lazy_json(nb_proto_lazy_t *msg)
{
    if (msg == NULL) {
        return NULL;
    }
    if (msg->json == NULL && msg->line != NULL) {
        /* The scanner accepted the line, so the fast parser builds it (or runs out of
         * memory). */
        msg->json = nb_proto__json_parse_fast(msg->line, msg->len);
    }
    return msg->json;
}

void nb_proto_lazy_clear(nb_proto_lazy_t *msg)
{
    if (msg == NULL) {
        return;
    }
    json_decref(msg->json);
    msg->json = NULL;
    msg->line = NULL;
    msg->len = 0;
    nb_proto__close_fds(msg->fds, msg->nfds);
    msg->nfds = 0;
}

/* RFC 3629 section 4, byte by byte: the second byte's range depends on the first, which
 * is what rules out overlong forms, surrogates and code points above U+10FFFF. */
size_t nb_proto__utf8_prefix(const char *buf, size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        unsigned char lo = 0x80, hi = 0xBF;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            return i;
        }
        if (len - i - 1 < n || s[i + 1] < lo || s[i + 1] > hi) {
            return i;
        }
        for (size_t k = 2; k <= n; k++) {
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) {
                return i;
            }
        }
        i += n + 1;
    }
    return i;
}
