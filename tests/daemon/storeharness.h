/* storeharness.h: plays systemd's part for a netbrokerd with an fd store, with real
 * sockets: owns NOTIFY_SOCKET, records what FDSTORE=1 gives (by FDNAME, duplicates of the
 * same file kept once, as systemd does), honours FDSTOREREMOVE=1, and starts the daemon
 * again with the stored fds in LISTEN_FDS/LISTEN_FDNAMES and $FDSTORE set. Every wait has
 * a deadline; nothing sleeps. */
#ifndef STOREHARNESS_H
#define STOREHARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SH_STORE_MAX   64
#define SH_DEADLINE_MS 20000

typedef struct {
    char name[300];
    int fd;
} sh_entry_t;

typedef struct {
    char dir[64];
    char control[128];
    char config[128];
    char notify_path[128];
    char log_path[128];
    int notify_fd;
    pid_t pid; /* the daemon the harness started last */
    sh_entry_t store[SH_STORE_MAX];
    size_t nstore;
    unsigned ready, stopping; /* READY=1 and STOPPING=1 heard so far */
    const char *log_level;    /* --log-level: "debug" unless set */
    bool no_fdstore;          /* a service without an fd store: $FDSTORE unset */
} sh_t;

/* A temp dir, its notify socket; config (JSON text or NULL) goes to a --config file. */
void sh_init(sh_t *h, const char *config);
/* Starts netbrokerd (--takeover when takeover) with the store's fds from 3 on, and
 * returns its pid without waiting. */
pid_t sh_spawn(sh_t *h, bool takeover);
/* sh_spawn, then waits for its READY=1. */
void sh_start(sh_t *h);
/* Reads notify messages (recording the store) until READY=1 number `count` was heard. */
void sh_wait_ready(sh_t *h, unsigned count);
/* Reads every notify message already queued, without waiting. */
void sh_pump(sh_t *h);
/* Waits (reading notify messages meanwhile) for pid's exit; returns its wait status. */
int sh_wait_exit(sh_t *h, pid_t pid);
/* The stored fd called name (borrowed), or -1. */
int sh_store_fd(const sh_t *h, const char *name);
/* The inode of the stored fd called name, or 0. */
uint64_t sh_store_inode(const sh_t *h, const char *name);
/* True when process pid holds a socket with this inode. */
bool sh_pid_holds_inode(pid_t pid, uint64_t inode);
int sh_pid_fd_count(pid_t pid);
void sh_dump_log(const sh_t *h);
/* True when the daemons' stderr (all of them, appended) holds text. */
bool sh_log_contains(const sh_t *h, const char *text);
/* Kills what still runs, closes the store, removes the temp dir. */
void sh_cleanup(sh_t *h);

#endif
