/* dhelp.h: a real netbrokerd for integration tests: started in a temp dir with its control
 * socket there and NOTIFY_SOCKET on a socket the fixture owns, stopped with SIGTERM and
 * checked for a clean exit; and a control client speaking the protocol with proto's
 * reader and writer. Every wait has a deadline; nothing sleeps. */
#ifndef DHELP_H
#define DHELP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "nbproto.h"
#include "sdharness.h"

#define DH_DEADLINE_MS    10000
#define DH_SD_DEADLINE_MS 20000 /* waits on sdharness.c: starts and restarts under load */
#define DH_ARGV_MAX       10

typedef struct {
    char dir[64];
    char control[128];
    char config[128];
    char notify_path[128];
    char log_path[128];
    int notify_fd;
    pid_t pid;
    int listen_fd; /* >= 0: passed as LISTEN_FDS=1 named listen_name (systemd's fd store) */
    char listen_name[64];
    unsigned long nofile;      /* > 0: the daemon's RLIMIT_NOFILE (soft and hard) */
    const char *extra_args[4]; /* more options for netbrokerd, NULL-terminated */
} dh_daemon_t;

typedef struct dh_client_s dh_client_t;
struct dh_client_s {
    int fd;
    nb_proto_reader_t *reader;
    nb_proto_writer_t *writer;
    int64_t next_id;
    json_t *events; /* events read while waiting for a reply, oldest first */
    int event_fds[64];
    size_t nevent_fds;
};

/* cmocka fixtures: a started daemon on the embedded configuration as *state, and its
 * stop (asserting a clean exit when it still runs), cleanup and free. */
int dh_fixture_setup(void **state);
int dh_fixture_teardown(void **state);

/* Makes the temp dir and notify socket; config (JSON text or NULL) is written to a file
 * passed with --config. */
void dh_daemon_init(dh_daemon_t *d, const char *config);
void dh_daemon_start(dh_daemon_t *d);
/* SIGTERM, then asserts exit status 0 within the deadline. */
void dh_daemon_stop(dh_daemon_t *d);
/* Waits for the exit (asserting status 0) of a daemon told to stop already. */
void dh_daemon_wait_exit(dh_daemon_t *d);
/* Kills a daemon still running (test failure) and removes the temp dir. */
void dh_daemon_cleanup(dh_daemon_t *d);
void dh_daemon_dump_log(const dh_daemon_t *d);
/* Reads notify datagrams until one contains want; returns the fd it carried or -1. */
int dh_notify_take(dh_daemon_t *d, const char *want);
/* Reads and forgets every notify datagram waiting (closing their fds), as systemd would:
 * the daemon's sd_notify blocks once the socket's queue is full (10 datagrams), so a
 * long test (STATUS= changes go out once a second) or one that stores many fds calls
 * this as it goes. */
void dh_notify_drain(const dh_daemon_t *d);
void dh_daemon_write_config(dh_daemon_t *d, const char *config);
int dh_daemon_fd_count(const dh_daemon_t *d);
int dh_self_fd_count(void);
/* The daemon's fds without FD_CLOEXEC (those it inherited at exec: stdio, a harness's). */
int dh_daemon_inheritable_count(const dh_daemon_t *d);
/* Waits until the daemon holds exactly `want` fds: a close still on its way finishes
 * within a few of c's round trips; a leaked fd fails the test at the deadline, with the
 * daemon's fd table printed. */
void dh_expect_fd_count(const dh_daemon_t *d, dh_client_t *c, int want);

/* netbrokerd's command line (NETBROKERD_PATH): --control control, --log-level log_level
 * ("debug" when NULL), --config config when config is neither NULL nor "", --takeover
 * when takeover; NULL-terminated, the strings borrowed. */
void dh_daemon_argv(char *argv[DH_ARGV_MAX],
                    const char *control,
                    const char *config,
                    const char *log_level,
                    bool takeover);

/* Writes text to path whole or not at all (a temp file renamed over it). */
void dh_write_file(const char *path, const char *text);

/* netbrokerd under sdharness.c: its paths in the harness's temp dir, and its command lines
 * for a start and for a takeover. */
typedef struct {
    sdh_t h;
    char control[128]; /* <dir>/run/control.sock */
    char config[128];  /* <dir>/config.json; "" without a configuration */
    char *argv[DH_ARGV_MAX];
    char *takeover_argv[DH_ARGV_MAX];
} dh_sd_daemon_t;

/* Sets up the harness; config (JSON text or NULL) goes to the --config file; log_level as
 * dh_daemon_argv's. The harness's options (fdstore_max, ...) are the caller's to set. */
void dh_sd_daemon_init(dh_sd_daemon_t *d, const char *config, const char *log_level);
/* Dumps the stderr of a daemon still running (the test failed), then frees the harness;
 * fails the test when the fd store lost its whole state at any message (a state gap,
 * sdharness.h: every test on the harness checks it). */
void dh_sd_daemon_free(dh_sd_daemon_t *d);
/* Fails the test at once when there was a state gap so far. */
void dh_sd_expect_no_state_gap(const sdh_t *h);
/* Starts netbrokerd as systemd would (the store's fds passed) and waits for its READY=1. */
void dh_sd_start(dh_sd_daemon_t *d);
/* Starts `netbrokerd --takeover` (nothing passed) and returns its pid, without waiting. */
pid_t dh_sd_spawn_takeover(dh_sd_daemon_t *d);

/* cmocka's side of sdharness.c: each wait fails the test at DH_SD_DEADLINE_MS with the
 * children's stderr. The next message with a line starting with want (its index); the
 * wait status of child pid once it exits; SIGTERM to the child started last and its exit
 * with status 0; a text its stderr must hold. */
int dh_sd_expect(sdh_t *h, const char *want);
int dh_sd_expect_exit(sdh_t *h, pid_t pid);
void dh_sd_expect_clean_exit(sdh_t *h);
void dh_sd_expect_log(const sdh_t *h, const char *text);

/* Connects (without hello) / connects and says hello. */
void dh_connect_raw(dh_client_t *c, const dh_daemon_t *d);
void dh_connect(dh_client_t *c, const dh_daemon_t *d);
/* The same to a control socket at path (a daemon the fixture did not start). */
void dh_connect_path(dh_client_t *c, const char *path);
void dh_connect_raw_path(dh_client_t *c, const char *path);
void dh_close(dh_client_t *c);
/* Sends raw bytes. */
void dh_send_raw(dh_client_t *c, const void *buf, size_t len);
/* Sends {"id":n,"op":op,"args":args} (args JSON text or NULL) with fds; returns the id. */
int64_t dh_send(dh_client_t *c, const char *op, const char *args, const int *fds, size_t nfds);
/* Reads messages until the reply with this id; events met are queued. Returns the reply
 * (a reference); its fds go to ret_fds (may be NULL when none are expected). */
json_t *dh_reply(dh_client_t *c, int64_t id, int *ret_fds, size_t *ret_nfds);
/* One request, its reply. */
json_t *dh_call(dh_client_t *c, const char *op, const char *args, int *ret_fds, size_t *ret_nfds);
/* Asserts the reply is a success and returns its result (borrowed from reply). */
json_t *dh_ok(json_t *reply);
/* One request that must succeed; its reply is dropped. */
void dh_call_ok(dh_client_t *c, const char *op, const char *args);
/* One request that must succeed and hand over exactly one fd: that fd, the caller's. */
int dh_call_fd(dh_client_t *c, const char *op, const char *args);
/* Asks server.info (each reply a success) until the daemon holds `want` queued
 * connections of server name: it accepts on its own turn. */
void dh_wait_queued(dh_client_t *c, const char *name, json_int_t want);
/* dh_call on c to a daemon under sdharness.c, reading what the daemon told systemd before
 * and after, as systemd does, so that the daemon never waits on a full notify socket. */
json_t *dh_sd_call(dh_sd_daemon_t *d,
                   dh_client_t *c,
                   const char *op,
                   const char *args,
                   int *ret_fds,
                   size_t *ret_nfds);
/* dh_sd_call that must succeed; its reply is dropped. */
void dh_sd_call_ok(dh_sd_daemon_t *d, dh_client_t *c, const char *op, const char *args);
/* Asserts the reply failed with code. */
void dh_assert_error(json_t *reply, const char *code);
/* The next event called name (queued or read now), with its fd when it carries one. */
json_t *dh_event(dh_client_t *c, const char *name, int *ret_fd);
/* Reads one message, any kind; NULL at end of stream. */
json_t *dh_read(dh_client_t *c, int *fds, size_t *nfds);
/* True when the daemon closed the connection (reads until end of stream). */
bool dh_wait_closed(dh_client_t *c);

/* server.subscribe to name, asserting success. */
void dh_subscribe(dh_client_t *c, const char *name);
/* The next 'connection' event of sub is the connection whose client end is peer: the fd
 * it carries answers "x" and is closed, and peer reads the "x" within the deadline. peer
 * stays the caller's. */
void dh_expect_dispatch(dh_client_t *sub, int peer);
/* The daemon's CPU time so far (utime + stime of /proc/PID/stat), in clock ticks. */
long dh_daemon_cpu_ticks(const dh_daemon_t *d);
/* The daemon's resident set (VmRSS), in KiB. */
long dh_daemon_rss_kb(const dh_daemon_t *d);
/* Waits for a child process to exit within the deadline; returns its wait status. */
int dh_wait_child(pid_t pid);
/* dh_wait_child, then asserts the child exited (not killed) with code. */
void dh_expect_child_exit(pid_t pid, int code);

/* Asserts that the peer closed fd (end of stream, no data) within the deadline. */
void dh_expect_eof(int fd);
/* A TCP connection to 127.0.0.1:port, from source address src (NULL: any). */
int dh_tcp_connect(const char *src, int port);
int dh_local_port(int fd);

#endif
