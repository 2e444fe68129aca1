/* internal.h: what proto's files share and nobody else sees. */
#ifndef NBPROTO_INTERNAL_H
#define NBPROTO_INTERNAL_H

#include "nbproto.h"
#include "nbproto_ops.h"

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
/* The object buf[0..len) holds, as json_loadb(buf, len, JSON_REJECT_DUPLICATES) would
 * build it, when the text is plain JSON (json_fast.c says which); NULL for anything else,
 * errors included, which json_loadb must then judge. buf must be valid UTF-8. */
json_t *nb_proto__json_parse_fast(const char *buf, size_t len);
/* What nb_proto__json_scan notes of a message's top level. */
typedef struct {
    nb_proto_head_t head;
    bool fds_seen; /* an "fds" member is there */
    int64_t fds;   /* its value when an integer, else -1 */
    bool compact;  /* no whitespace outside strings */
} nb_proto__scan_top_t;
/* True when buf[0..len) is valid UTF-8 and an object that nb_proto__json_parse_fast would
 * build (so that json_loadb would accept it), with *ret filled; false for anything else. */
bool nb_proto__json_scan(const char *buf, size_t len, nb_proto__scan_top_t *ret);
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
/* Feeds a chunk that recvmsg already wrote into the reader's buffer (see reader.c); lost:
 * the kernel could not give us all of its fds (we had no free descriptor). */
int nb_proto__reader_absorb(nb_proto_reader_t *r,
                            size_t len,
                            const int *fds,
                            size_t nfds,
                            bool lost);
/* Room for the next recvmsg at the end of the reader's buffer. Returns 0, the reader's
 * fatal code, -EBUSY while a complete line waits for next(), or -ENOMEM. */
int nb_proto__reader_prepare(nb_proto_reader_t *r, char **ret_space, size_t *ret_room);
/* Marks the stream broken by the transport (truncated fds): closes what the reader holds. */
void nb_proto__reader_fail(nb_proto_reader_t *r, int code, const char *message);
/* 4 or 6 when s is an IPv4 or IPv6 literal (no zone), else 0. */
int nb_proto__ip_family(const char *s);
/* An IP literal, an IPv6 literal with a zone, or a DNS name. */
bool nb_proto__host_valid(const char *s);
/* An absolute path of at most NB_PROTO_PATH_MAX bytes, or "@" and an abstract name. */
bool nb_proto__path_valid(const char *s);
/* Fills err as a non-fatal error without an id (the caller sets it) and returns code. */
int nb_proto__fail(nb_proto_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Checks obj (NULL: no members) against s, decoding into out when out is not NULL and
 * s->size > 0; path names obj in messages. Returns 0 or a code with err filled. */
int nb_proto__validate(const nb_proto_schema_t *s,
                       const json_t *obj,
                       const char *path,
                       void *out,
                       nb_proto_error_t *err);
/* Result schemas (results.c), named by the operation table (ops.c). */
extern const nb_proto_schema_t nb_proto__result_empty, nb_proto__result_hello,
    nb_proto__result_server, nb_proto__result_server_list, nb_proto__result_acquire,
    nb_proto__result_connect, nb_proto__result_rules, nb_proto__result_check, nb_proto__result_fd,
    nb_proto__result_fd_list, nb_proto__result_stats, nb_proto__result_reload,
    nb_proto__result_takeover_begin, nb_proto__result_takeover_next;

#endif
