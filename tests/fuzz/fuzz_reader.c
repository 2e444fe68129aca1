/* fuzz_reader.c: the protocol's line reader (nbproto.h nb_proto_reader_*) fed arbitrary
 * bytes in arbitrary chunks, with real fds riding on some chunks, then drained. Every fd
 * handed to the reader must end up either in a message (which we close) or closed by the
 * reader: after each run none of them may still be open, and /dev/null's must be.
 * A second reader gets the same chunks (with fds of its own) and is drained with
 * nb_proto_reader_next_lazy: each of its results must be the first one's (the same code,
 * error, fds count and message). */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "nbproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every fd dup'ed in one run, to check that each is closed at its end; past this many a
 * run's chunks carry no more fds (the open-file limit is 1024). */
#define DUPS_MAX 512

typedef struct {
    int devnull;
    int dups[DUPS_MAX];
    size_t ndups;
} fd_track_t;

static fd_track_t track = { .devnull = -1 };

/* One header byte per chunk: the low 5 bits pick the chunk's length from a table that
 * favours 1-byte and short chunks, bits 5-6 its fds (0, 1, 2 or NB_PROTO_FDS_MAX + 1, the
 * last one over the limit), bit 7 whether to drain before the next feed (if not, the next
 * feed may meet -EBUSY). */
static const size_t chunk_len[32] = { 0,   1,   1,   1,   2,   2,   3,    3,    4,     5,       7,
                                      8,   11,  13,  16,  17,  24,  31,   32,   48,    64,      100,
                                      127, 128, 200, 255, 256, 511, 1000, 4096, 70000, SIZE_MAX };
static const size_t chunk_fds[4] = { 0, 1, 2, NB_PROTO_FDS_MAX + 1 };

static int dup_tracked(void)
{
    int fd = fcntl(track.devnull, F_DUPFD_CLOEXEC, 3);

    CHECK(fd >= 0);
    CHECK(track.ndups < DUPS_MAX);
    track.dups[track.ndups++] = fd;
    return fd;
}

/* The lazy reader's next result, checked against the tree reader's (rc, msg, err). */
static void check_lazy(nb_proto_reader_t *lr,
                       int rc,
                       const nb_proto_msg_t *msg,
                       const nb_proto_error_t *err)
{
    nb_proto_lazy_t lazy;
    nb_proto_error_t lerr;
    int lrc = nb_proto_reader_next_lazy(lr, &lazy, &lerr);

    CHECK(lrc == rc);
    if (rc == 1) {
        CHECK(lazy.nfds == msg->nfds);
        CHECK(json_equal(nb_proto_lazy_json(&lazy), msg->json));
        nb_proto_lazy_clear(&lazy);
    } else if (rc < 0) {
        CHECK(lerr.code == err->code && lerr.fatal == err->fatal && lerr.id == err->id);
        CHECK(strcmp(lerr.message, err->message) == 0);
    }
}

/* Takes messages until the reader has no complete line or has failed for good. */
static void drain(nb_proto_reader_t *r, nb_proto_reader_t *lr)
{
    for (;;) {
        nb_proto_msg_t msg;
        nb_proto_error_t err;
        int rc = nb_proto_reader_next(r, &msg, &err);

        check_lazy(lr, rc, &msg, &err);
        if (rc == 1) {
            CHECK(msg.json != NULL && json_is_object(msg.json));
            CHECK(msg.nfds <= NB_PROTO_FDS_MAX);
            nb_proto_msg_clear(&msg);
            continue;
        }
        if (rc == 0 || err.fatal) {
            return;
        }
        CHECK(rc < 0 && err.code == rc);
    }
}

static void run(const uint8_t *data, size_t size, size_t line_max)
{
    nb_proto_limits_t limits = { .line_max = line_max };
    nb_proto_reader_t *r = NULL, *lr = NULL;
    size_t pos = 0;

    CHECK(nb_proto_reader_new(&limits, &r) == 0);
    CHECK(nb_proto_reader_new(&limits, &lr) == 0);
    while (pos < size) {
        uint8_t h = data[pos++];
        size_t len = chunk_len[h & 31];
        size_t nfds = chunk_fds[(h >> 5) & 3];
        int fds[NB_PROTO_FDS_MAX + 1], lfds[NB_PROTO_FDS_MAX + 1];

        if (len > size - pos) {
            len = size - pos;
        }
        if (2 * nfds > DUPS_MAX - track.ndups) {
            nfds = 0;
        }
        for (size_t i = 0; i < nfds; i++) {
            fds[i] = dup_tracked();
            lfds[i] = dup_tracked();
        }
        int rc = nb_proto_reader_feed(r, data + pos, len, fds, nfds);
        CHECK(nb_proto_reader_feed(lr, data + pos, len, lfds, nfds) == rc);
        pos += len;
        if ((h & 0x80) == 0) {
            drain(r, lr);
        }
    }
    drain(r, lr);
    CHECK(nb_proto_reader_pending(r) == nb_proto_reader_pending(lr));
    nb_proto_reader_free(r);
    nb_proto_reader_free(lr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A small line limit half of the time, so that oversized lines are reached. */
    size_t line_max = size > 0 && (data[0] & 1) != 0 ? 64 : 0;

    if (track.devnull < 0) {
        track.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        CHECK(track.devnull >= 0);
    }
    track.ndups = 0;
    run(size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0, line_max);
    for (size_t i = 0; i < track.ndups; i++) {
        /* Still open: the reader leaked it. */
        CHECK(fcntl(track.dups[i], F_GETFD) == -1);
    }
    CHECK(fcntl(track.devnull, F_GETFD) != -1); /* the reader closed an fd not its own */
    return 0;
}
