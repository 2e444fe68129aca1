/* ctl.h: what netbrokerctl's files share: options, the connection, output and exit
 * codes. */
#ifndef NB_CTL_H
#define NB_CTL_H

#include "netbroker.h"

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* Exit codes (netbrokerctl(1) "EXIT STATUS"): s6's spirit, plus the distinct kinds an
 * operator acts on differently. */
enum {
    CTL_EXIT_OK = 0,
    CTL_EXIT_REFUSED = 1,       /* the access rules refused the request */
    CTL_EXIT_NOT_FOUND = 2,     /* no such server or stored fd (or no right to see it) */
    CTL_EXIT_FAILED = 3,        /* the daemon tried and the operation failed */
    CTL_EXIT_USAGE = 100,       /* bad command line (also arguments the protocol refuses) */
    CTL_EXIT_UNREACHABLE = 111, /* the daemon cannot be reached, or the link broke */
};

typedef struct {
    const char *control; /* --control, or NULL for the default path */
    bool json;
    bool quiet;
    bool colour;
    int timeout_ms;
    nb_client_t *client; /* opened on first use */
} ctl_t;

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(ctl_t *ctl, int argc, char **argv);
    const char *usage; /* the text of `netbrokerctl NAME --help` */
} ctl_command_t;

/* Connects (once) and says hello; on failure prints why and returns the exit code. */
int ctl_connect(ctl_t *ctl);
/* A blocking request. Returns CTL_EXIT_OK with *ret_result (a new reference to the
 * reply's "result") and the reply's fds moved to ret_fds (may be NULL when none are
 * expected), or prints the error as an operator can act on it and returns its exit code. */
int ctl_call(ctl_t *ctl, const char *op, json_t *args, json_t **ret_result, int *ret_fd);
/* As ctl_call, with one fd sent along. */
int ctl_call_with_fd(ctl_t *ctl, const char *op, json_t *args, int fd, json_t **ret_result);
/* The exit code for a call's error code. */
int ctl_exit_code(int code);
/* Prints "netbrokerctl: " and a message on stderr; returns code. */
int ctl_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the command's usage on stderr and returns CTL_EXIT_USAGE. */
int ctl_usage(const ctl_command_t *cmd);
/* --help among argv[1..]: prints usage on stdout and returns true. */
bool ctl_wants_help(const ctl_command_t *cmd, int argc, char **argv);
/* Strict integer parsing: true and *ret for a whole decimal integer in [min, max]. */
bool ctl_parse_int(const char *s, long long min, long long max, long long *ret);

/* ---- Output (output.c) -------------------------------------------------------------- */

/* Prints v as one JSON document on stdout (--json). */
void ctl_print_json(const json_t *v);
/* A table: column headers, then rows of strings; columns are aligned, the header bold
 * when colour is on. */
typedef struct ctl_table_s ctl_table_t;
ctl_table_t *ctl_table_new(const char *const *headers, size_t ncols);
void ctl_table_add(ctl_table_t *t, const char *const *cells);
void ctl_table_print(ctl_table_t *t, bool colour, FILE *out);
void ctl_table_free(ctl_table_t *t);
/* Text for a JSON member for a table cell: strings as they are, numbers in decimal,
 * booleans yes/no, null and absent "-". Uses buf for numbers. */
const char *ctl_cell(const json_t *obj, const char *key, char *buf, size_t size);
/* Prints "key: value" lines for an object's members, aligned. */
void ctl_print_fields(const json_t *obj, const char *const *keys, size_t n, FILE *out);

/* ---- Offline check (offline.c) -------------------------------------------------------- */

/* blocklist.check's result for address against a rules file, from `netbrokerd
 * --check-rules` (a JSON array of rules or a configuration's "blocklist"). Returns
 * CTL_EXIT_OK with *ret_result, or prints why and returns CTL_EXIT_USAGE (bad file, bad
 * rule, bad address) or CTL_EXIT_UNREACHABLE (netbrokerd cannot be run). */
int ctl_check_offline(const char *file, const char *address, json_t **ret_result);

/* ---- Rules (rules.c): "1.2.3.4", "10.0.0.1-10.0.0.9", "10.0.0.0/8" ------------------ */

/* The protocol's rule object for text, or NULL with a message printed. */
json_t *ctl_rule_parse(const char *text);
/* The text form of a rule object, into buf. */
const char *ctl_rule_text(const json_t *rule, char *buf, size_t size);

/* ---- exec.c ------------------------------------------------------------------------- */

/* Replaces this process with cmd, passing fds[0..n) as fds 3.. the way systemd passes
 * sockets: LISTEN_FDS=n, LISTEN_PID=this pid (which exec keeps), LISTEN_FDNAMES=names
 * joined by ':'. Every other fd of ours is CLOEXEC. Returns only on failure, with an
 * exit code. */
int ctl_exec_with_fds(const int *fds, const char *const *names, size_t n, char **cmd);

/* ---- Commands ------------------------------------------------------------------------ */
extern const ctl_command_t ctl_cmd_status, ctl_cmd_server, ctl_cmd_blocklist, ctl_cmd_fd,
    ctl_cmd_watch, ctl_cmd_connect, ctl_cmd_exec, ctl_cmd_reload, ctl_cmd_shutdown;

#endif
