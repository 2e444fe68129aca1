/* internal.h: what proto's files share and nobody else sees. */
#ifndef NBPROTO_INTERNAL_H
#define NBPROTO_INTERNAL_H

#include "nbproto.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define NB_PROTO_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* The most a reader accepts as line_max: a bound on what one peer may make us buffer. */
#define NB_PROTO_LINE_MAX_CEILING (64 * 1024 * 1024)

/* Closes fds[0..n), keeping errno as it was: a close error on an fd we are giving up on
 * has nothing left to tell. */
void nb_proto__close_fds(const int *fds, size_t n);
/* The length of the longest prefix of buf[0..len) that is UTF-8 as RFC 3629 defines it
 * (no overlong forms, no surrogates, nothing above U+10FFFF): len when all of it is. */
size_t nb_proto__utf8_prefix(const char *buf, size_t len);
/* Cuts a NUL-terminated message at its first invalid byte: a message that snprintf cut
 * inside a character, or that quotes a peer's bytes, must still be a JSON string. */
void nb_proto__utf8_trim(char *s);
/* Fills an error. */
void nb_proto__error_set(nb_proto_error_t *err,
                         int code,
                         bool fatal,
                         int64_t id,
                         const char *fmt,
                         ...) __attribute__((format(printf, 5, 6)));
/* The "id" of a message when it is a valid request id, else -1. */
int64_t nb_proto__msg_id(const json_t *msg);
/* Feeds a chunk that recvmsg already wrote into the reader's buffer (see reader.c). */
int nb_proto__reader_absorb(nb_proto_reader_t *r, size_t len, const int *fds, size_t nfds);
/* Room for the next recvmsg at the end of the reader's buffer. Returns 0, the reader's
 * fatal code, -EBUSY while a complete line waits for next(), or -ENOMEM. */
int nb_proto__reader_prepare(nb_proto_reader_t *r, char **ret_space, size_t *ret_room);
/* Marks the stream broken by the transport (truncated fds): closes what the reader holds. */
void nb_proto__reader_fail(nb_proto_reader_t *r, int code, const char *message);

#endif
