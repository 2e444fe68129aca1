/* trace_main.c: trace_c NAME runs one scenario against libnetcore and prints its
 * canonical trace; trace_c --list names them all. Exit 0 when the scenario ran to its
 * end and left nothing behind (handles, fds, memory under ASan/valgrind), else 2. */
#include "trace_internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TR_DEADLINE_MS 10000

#define TR_X(name) TR_SCENARIO(name);
#include "scenarios.h"
#undef TR_X

static const struct {
    const char *name;
    tr_scenario_fn fn;
} scenarios[] = {
#define TR_X(name) { #name, tr_scenario_##name },
#include "scenarios.h"
#undef TR_X
};

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (d == NULL) {
        return -1;
    }
    while (readdir(d) != NULL) {
        n++;
    }
    closedir(d);
    return n;
}

static void on_deadline(uv_timer_t *timer)
{
    tr_t *t = timer->data;
    fprintf(stderr, "trace: the loop was still busy after %d ms; the trace so far:\n",
            TR_DEADLINE_MS);
    tr__print(t);
    uv_print_all_handles(&t->loop, stderr);
    exit(2);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                unlinkat(dirfd(d), e->d_name, 0);
            }
        }
        closedir(d);
    }
    rmdir(dir);
}

/* What a finished story leaves open (an unref'd socket, a server it never closed) is
 * closed without tracing, as Node's process exit would, then everything is released. */
static int finish(tr_t *t)
{
    t->recording = false;
    for (int i = 0; i < t->nobj; i++) {
        if (t->objs[i].is_server) {
            if (nc_server_listening(t->objs[i].ptr)) {
                nc_server_close(t->objs[i].ptr, NULL, NULL);
            }
        } else {
            nc_socket_destroy(t->objs[i].ptr, 0);
        }
    }
    uv_run(&t->loop, UV_RUN_DEFAULT);
    for (int i = 0; i < t->nobj; i++) {
        if (t->objs[i].is_server) {
            nc_server_release(t->objs[i].ptr);
        } else {
            nc_socket_release(t->objs[i].ptr);
        }
        free(t->objs[i].text);
    }
    uv_close((uv_handle_t *)&t->deadline, NULL);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    int r = uv_loop_close(&t->loop);
    if (r != 0) {
        fprintf(stderr, "trace: uv_loop_close: %s; handles left:\n", uv_err_name(r));
        uv_print_all_handles(&t->loop, stderr);
    }
    remove_dir(t->dir);
    return r;
}

static int run(tr_scenario_fn fn)
{
    static tr_t t; /* large; one per process */
    /* libuv opens process-wide fds with its first loop: count after one has existed. */
    uv_loop_t warm;
    if (uv_loop_init(&warm) != 0 || uv_loop_close(&warm) != 0) {
        return 2;
    }
    int fds = count_fds();
    snprintf(t.dir, sizeof(t.dir), "/tmp/nb-trace-XXXXXX");
    snprintf(t.abstract_prefix, sizeof(t.abstract_prefix), "nb-trace-%d-", (int)getpid());
    if (mkdtemp(t.dir) == NULL || uv_loop_init(&t.loop) != 0) {
        perror("trace: setup");
        return 2;
    }
    t.recording = true;
    uv_timer_init(&t.loop, &t.deadline);
    t.deadline.data = &t;
    uv_timer_start(&t.deadline, on_deadline, TR_DEADLINE_MS, 0);
    uv_unref((uv_handle_t *)&t.deadline); /* a finished story never waits for it */
    fn(&t);
    uv_run(&t.loop, UV_RUN_DEFAULT);
    tr__print(&t);
    if (finish(&t) != 0) {
        return 2;
    }
    if (count_fds() != fds) {
        fprintf(stderr, "trace: %d fds open before, %d after\n", fds, count_fds());
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = sizeof(scenarios) / sizeof(scenarios[0]);
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n; i++) {
            printf("%s\n", scenarios[i].name);
        }
        return 0;
    }
    for (size_t i = 0; argc == 2 && i < n; i++) {
        if (strcmp(argv[1], scenarios[i].name) == 0) {
            return run(scenarios[i].fn);
        }
    }
    fprintf(stderr, "usage: trace_c --list | trace_c SCENARIO\n");
    return 2;
}
