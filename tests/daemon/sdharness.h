/* sdharness.h: plays systemd's part for a service under test, with real sockets: owns a
 * NOTIFY_SOCKET (a datagram socket in a temp dir, SO_PASSCRED), starts the service the way
 * systemd does (fds at 3.. with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID set in the child,
 * $FDSTORE when the service has a store, every other fd closed), records every sd_notify
 * message, and keeps the fds that come with FDSTORE=1 as an fd store (FDSTOREREMOVE=1
 * honoured), so that a test can start the service again with them. Several children may
 * run at once (a daemon and the one taking over from it). No cmocka in here: every call
 * returns 0 (or a count, an index) or a negative errno, and every wait has a timeout. */
#ifndef SDHARNESS_H
#define SDHARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SDH_STORE_MAX    256 /* fds kept in the harness's fd store */
#define SDH_NAME_MAX     255 /* FDNAME= and LISTEN_FDNAMES entries, as systemd's limit */
#define SDH_DATAGRAM_MAX 4096
#define SDH_CHILDREN_MAX 4 /* children running (or not yet reaped) at once */

/* One datagram read from NOTIFY_SOCKET. */
typedef struct {
    char *text;  /* as sent, NUL-terminated ("READY=1\nSTATUS=...") */
    pid_t pid;   /* the sender, from SCM_CREDENTIALS */
    size_t nfds; /* fds it carried: kept in the store with FDSTORE=1, closed otherwise */
} sdh_msg_t;

typedef struct {
    pid_t pid; /* 0: a free slot */
    int pidfd;
} sdh_child_t;

typedef struct sdh_s {
    char dir[64]; /* private temp dir: notify socket, child's stderr; free for the test */
    char notify_path[128];
    char log_path[128]; /* the children's stderr (appended to across starts) */
    int notify_fd;
    pid_t pid;       /* the child started last, while it runs (the service's main pid); -1 */
    int exit_status; /* wait status of the last child reaped, -1 none */
    sdh_child_t children[SDH_CHILDREN_MAX];
    /* Set between sdh_init and sdh_start; they apply to every later start. */
    uint64_t watchdog_usec; /* > 0: WATCHDOG_USEC and WATCHDOG_PID set */
    pid_t listen_pid;       /* != 0: LISTEN_PID says this instead of the child's pid */
    unsigned fdstore_max;   /* > 0: $FDSTORE says it (FileDescriptorStoreMax=); 0: unset */
    /* Every message of every start, oldest first; sdh_wait_message advances `next`. */
    sdh_msg_t *msgs;
    size_t nmsgs, next;
    /* The fd store: what FDSTORE=1 left and FDSTOREREMOVE=1 did not take away. */
    int store_fds[SDH_STORE_MAX];
    char *store_names[SDH_STORE_MAX];
    size_t nstore;
    /* The service's state document in the store, checked after every FDSTORE=1 and
     * FDSTOREREMOVE=1 as systemd sees them, in order: held when an entry named state_name,
     * or state_name followed by '.', holds a whole JSON object with a "version" (a sealed
     * memfd read from offset 0). Once the store has held one, a message after which it
     * holds none is a gap: a SIGKILL right then would lose the state. NULL: not checked. */
    const char *state_name;
    bool state_held;
    size_t state_gaps;
    long first_gap; /* index in msgs of the first gap; -1: none */
    /* Called after each message that changed the store (a test's snapshots). */
    void (*on_store)(struct sdh_s *h, size_t msg, void *data);
    void *on_store_data;
} sdh_t;

/* Makes the temp dir and binds the notify socket. */
int sdh_init(sdh_t *h);
/* Kills the children still running (SIGKILL), closes the notify socket and every stored
 * fd, frees the messages, removes the temp dir. Accepts a half-built harness. */
void sdh_free(sdh_t *h);

/* Reads the messages waiting, then forks and execs argv (argv[0] is the path, argv
 * NULL-terminated) with stderr appended to log_path, NOTIFY_SOCKET set, and fds[0..n) at
 * 3..3+n with LISTEN_FDS=n, LISTEN_FDNAMES=names joined by ':' (names NULL: none set) and
 * LISTEN_PID; fds stay the caller's (the child gets copies). The child becomes h->pid;
 * one started before keeps running. The cursor moves past every message read so far: a
 * wait sees only what comes after the start. Returns 0 or a negative errno; -EBUSY when
 * SDH_CHILDREN_MAX children run. */
int sdh_start(sdh_t *h, char *const argv[], const int fds[], const char *const names[], size_t n);
/* sdh_start with every fd of the store under its name: how systemd starts a service
 * again. */
int sdh_start_from_store(sdh_t *h, char *const argv[]);
/* Sends sig to the child started last. */
int sdh_signal(sdh_t *h, int sig);
/* Reads the datagrams waiting, without blocking. Returns how many were read. */
int sdh_pump(sdh_t *h);
/* Waits for a message, at or after the cursor, with a line starting with want
 * ("READY=1", "STATUS=", "FDSTORE=1"); moves the cursor past it and returns its index in
 * msgs. -ETIMEDOUT after timeout_ms, -ECHILD when the child started last exited without
 * sending it. */
int sdh_wait_message(sdh_t *h, const char *want, int timeout_ms);
/* Index of the first message at or after from with a line starting with want, or
 * -ENOENT; reads nothing. */
int sdh_find_message(const sdh_t *h, const char *want, size_t from);
/* The value of key ("STATUS") in message i, or NULL; points into the message's text up to
 * its end of line: copy with "%.*s" and the length in *ret_len. */
const char *sdh_message_value(const sdh_t *h, size_t i, const char *key, size_t *ret_len);
/* The stored fds and their names, borrowed (valid until the next pump or free): what
 * systemd would pass to the next start of the service. Returns how many. */
size_t sdh_stored_fds(const sdh_t *h, const int **ret_fds, const char *const **ret_names);
/* The fd stored under name (the first one, borrowed), or -ENOENT. */
int sdh_stored_fd(const sdh_t *h, const char *name);
/* Closes every stored fd: a service stopped for good loses its store (and with it the
 * state it held: no gap). */
void sdh_store_clear(sdh_t *h);
/* Whether the store holds a whole state under state_name (see sdh_t); -EINVAL without a
 * state_name. */
int sdh_store_holds_state(const sdh_t *h);
/* Adds a copy of fd to the store under name, as FDSTORE=1 would (a test that writes the
 * store of an older version itself). Returns 0 or a negative errno. */
int sdh_store_add(sdh_t *h, const char *name, int fd);
/* Drops every entry called name, as FDSTOREREMOVE=1 would. */
void sdh_store_remove(sdh_t *h, const char *name);

/* Waits for child pid (one this harness started) to exit by itself, reading messages
 * meanwhile, then reads its last ones; returns its wait status. -ETIMEDOUT (it still
 * runs), -ECHILD (not a child of the harness, or reaped already). */
int sdh_wait_pid(sdh_t *h, pid_t pid, int timeout_ms);
/* sdh_wait_pid for the child started last. */
int sdh_wait_exit(sdh_t *h, int timeout_ms);
/* SIGTERM, then sdh_wait_exit. */
int sdh_stop(sdh_t *h, int timeout_ms);
/* Copies the end of the children's stderr to ours (on failure). */
void sdh_dump_log(const sdh_t *h);
/* True when the children's stderr contains text so far. */
int sdh_log_contains(const sdh_t *h, const char *text);

/* What a process holds, from /proc: how many fds (or a negative errno), and whether one
 * of them is the socket with this inode. */
int sdh_pid_fd_count(pid_t pid);
bool sdh_pid_holds_inode(pid_t pid, uint64_t inode);
/* The inode of the file fd refers to; 0 when fd is not open. */
uint64_t sdh_fd_inode(int fd);

#endif
