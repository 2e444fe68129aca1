/* fuzz_config.c: the configuration loader (daemon/config.c) on arbitrary bytes, and what
 * a loaded configuration does to a running daemon state. Checks: a file is accepted, or
 * refused with a message naming the file and a reason; an accepted one, written out by
 * jansson and loaded again, gives the same configuration; applied to a fresh daemon state
 * (its servers bound to loopback or the temp dir only), applying it again changes nothing,
 * and reloading a refused file leaves the state as it was; once the servers are closed the
 * process holds the fds it held before. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "fuzz_check.h"
#include "fuzz_confine.h"
#include "fuzz_daemon.h"
#include "requests.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A server that has not settled by then never will: a hang, reported as a failure. */
#define DEADLINE_MS 5000

static struct {
    char dir[64];
    int memfd; /* the file the loader reads: /proc/self/fd/N, no disk involved */
    char path[64];
} env = { .memfd = -1 };

typedef struct {
    nb_daemon_t d;
    uv_loop_t loop;
    uv_timer_t deadline;
    bool timed_out;
} run_t;

static void cleanup_env(void)
{
    rmdir(env.dir);
}

static void setup_env(void)
{
    if (env.memfd >= 0) {
        return;
    }
    unsetenv("NOTIFY_SOCKET");
    if (getenv("FUZZ_CONFIG_LOG") == NULL) {
        nb_log_set_level(LOG_EMERG);
    }
    /* In run.sh's work directory (TMPDIR), so that a run that dies leaves nothing. */
    const char *tmp = getenv("TMPDIR");
    snprintf(env.dir, sizeof(env.dir), "%s/nb-fuzzc.XXXXXX",
             tmp != NULL && tmp[0] == '/' && strlen(tmp) < 44 ? tmp : "/tmp");
    CHECK(mkdtemp(env.dir) != NULL);
    env.memfd = memfd_create("config", MFD_CLOEXEC);
    CHECK(env.memfd >= 0);
    snprintf(env.path, sizeof(env.path), "/proc/self/fd/%d", env.memfd);
    /* libuv opens its process-wide signal pipe with the first loop, for good. */
    uv_loop_t warm;
    CHECK(uv_loop_init(&warm) == 0);
    CHECK(uv_loop_close(&warm) == 0);
    atexit(cleanup_env);
}

/* The configuration file's content becomes bytes. */
static void put_file(const void *data, size_t size)
{
    CHECK(ftruncate(env.memfd, 0) == 0);
    CHECK(pwrite(env.memfd, data, size, 0) == (ssize_t)size);
}

/* Loads the file; a refusal must name the file, then say why. */
static json_t *load(char *msg, size_t msize)
{
    msg[0] = '\0';
    json_t *config = nb_config_load(env.path, msg, msize);
    if (config == NULL) {
        size_t n = strlen(env.path);
        CHECK(strncmp(msg, env.path, n) == 0 && msg[n] == ':' && strlen(msg) > n + 2);
        if (getenv("FUZZ_CONFIG_LOG") != NULL) {
            fprintf(stderr, "refused: %s\n", msg);
        }
    } else {
        CHECK(json_is_object(config));
    }
    return config;
}

/* Written out and read back, an accepted configuration is the same configuration. */
static void check_round_trip(const json_t *config)
{
    char msg[512];
    char *text = json_dumps(config, JSON_COMPACT);
    CHECK(text != NULL);
    put_file(text, strlen(text));
    free(text);
    json_t *again = load(msg, sizeof(msg));
    if (again == NULL) {
        fprintf(stderr, "dumped configuration refused: %s\n", msg);
    }
    CHECK(again != NULL && json_equal(again, config));
    json_decref(again);
}

/* Servers bind 127.0.0.1 or ::1 on a free port, or a path in the temp dir, whatever the
 * input asks for. */
static void confine(json_t *config)
{
    const char *name;
    json_t *entry;
    size_t i = 0;
    json_object_foreach(json_object_get(config, "servers"), name, entry)
    {
        fuzz_confine_server(entry, env.dir, "c", i);
        i++;
    }
}

static void on_deadline(uv_timer_t *t)
{
    ((run_t *)t->data)->timed_out = true;
}

/* Runs the loop until every configured server listens or failed. */
static void settle(run_t *r)
{
    r->timed_out = false;
    uv_timer_start(&r->deadline, on_deadline, DEADLINE_MS, 0);
    while (r->d.config_pending > 0 && !r->timed_out) {
        uv_run(&r->loop, UV_RUN_ONCE);
    }
    uv_timer_stop(&r->deadline);
    CHECK(!r->timed_out);
}

/* What a configuration decides: the servers as described, the global rules, the access
 * rules. */
static json_t *snapshot(const nb_daemon_t *d)
{
    json_t *servers = json_array();
    json_t *acl = json_array();
    for (const nb_srv_t *s = d->servers; s != NULL; s = s->next) {
        json_array_append_new(servers, nb_srv_describe(s));
    }
    for (size_t i = 0; i < d->acl.nrules; i++) {
        const nb_acl_rule_t *a = &d->acl.rules[i];
        json_t *names = json_array();
        for (size_t k = 0; k < a->nnames; k++) {
            json_array_append_new(names, json_string(a->names[k]));
        }
        json_array_append_new(acl, json_pack("{s:I,s:I,s:I,s:o}", "uid", (json_int_t)a->uid, "gid",
                                             (json_int_t)a->gid, "rights", (json_int_t)a->rights,
                                             "names", names));
    }
    return json_pack("{s:o,s:O,s:o}", "servers", nb_sorted_by_name(servers), "blocklist",
                     d->global_rules, "access", acl);
}

static void daemon_start(run_t *r)
{
    CHECK(uv_loop_init(&r->loop) == 0);
    uv_timer_init(&r->loop, &r->deadline);
    r->deadline.data = r;
    r->d.loop = &r->loop;
    r->d.self_uid = geteuid();
    r->d.config_path = env.path;
}

/* Applying the configuration in force again changes nothing: no server changed or removed,
 * and only those that failed to listen (not in the registry) are tried again. */
static bool is_empty_diff(const json_t *diff, const json_t *state)
{
    size_t i;
    const json_t *name;
    json_array_foreach(json_object_get(diff, "added"), i, name)
    {
        const json_t *s;
        size_t k;
        json_array_foreach(json_object_get(state, "servers"), k, s)
        {
            if (json_equal(json_object_get(s, "name"), name)) {
                return false;
            }
        }
    }
    return json_array_size(json_object_get(diff, "changed")) == 0 &&
           json_array_size(json_object_get(diff, "removed")) == 0;
}

/* Applies config (a reference is taken) as startup does, then checks that applying it again
 * changes nothing and that a refused reload changes nothing either. */
static void check_apply(run_t *r, json_t *config, const uint8_t *data, size_t size)
{
    char msg[NB_PROTO_ERROR_MESSAGE_MAX];
    json_t *diff = NULL;
    r->d.config = json_incref(config);
    CHECK(nb_config_apply(&r->d, config, NULL, msg, sizeof(msg)) == 0);
    settle(r);
    json_t *before = snapshot(&r->d);
    CHECK(nb_config_apply(&r->d, config, &diff, msg, sizeof(msg)) == 0);
    CHECK(is_empty_diff(diff, before));
    json_decref(diff);
    settle(r);
    json_t *after = snapshot(&r->d);
    CHECK(json_equal(before, after));
    json_decref(after);
    /* The input with "\n]" after it: refused, whatever the input was (an object's text
     * ends with '}'). */
    char *bad = malloc(size + 2);
    CHECK(bad != NULL);
    memcpy(bad, data, size);
    memcpy(bad + size, "\n]", 2);
    put_file(bad, size + 2);
    free(bad);
    diff = NULL;
    CHECK(nb_daemon_reload(&r->d, &diff, msg, sizeof(msg)) == NB_PROTO_ERR_CONFIG);
    CHECK(diff == NULL && r->d.config == config);
    after = snapshot(&r->d);
    CHECK(json_equal(before, after));
    json_decref(after);
    json_decref(before);
}

static void teardown(run_t *r, int before)
{
    while (r->d.servers != NULL) {
        nb_srv_close(r->d.servers);
    }
    nb_handover_free(&r->d);
    fuzz_daemon_end(&r->d, &r->loop, &r->deadline, before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static run_t r;
    char msg[512];
    setup_env();
    int before = fuzz_count_fds();
    put_file(data, size);
    json_t *config = load(msg, sizeof(msg));
    if (config != NULL) {
        check_round_trip(config);
        /* The same configuration, confined to loopback and the temp dir, is still valid. */
        confine(config);
        char *text = json_dumps(config, JSON_COMPACT);
        json_decref(config);
        CHECK(text != NULL);
        put_file(text, strlen(text));
        free(text);
        config = load(msg, sizeof(msg));
        CHECK(config != NULL);
    } else {
        /* Refused: the daemon runs on the embedded configuration, and the reload below
         * must leave that as it was. */
        config = nb_config_load(NULL, msg, sizeof(msg));
        CHECK(config != NULL);
    }
    memset(&r, 0, sizeof(r));
    daemon_start(&r);
    check_apply(&r, config, data, size);
    json_decref(config);
    teardown(&r, before);
    return 0;
}
