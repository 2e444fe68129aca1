/* echo_common.h: what the two C echo servers of the benchmark share: the open-file
 * limit, and the heap report on SIGUSR1 ("heap N" on stdout: glibc's mallinfo2() bytes
 * in use, arena chunks plus mmapped ones, headers included), which loadgen's idle probe
 * reads. */
#ifndef ECHO_COMMON_H
#define ECHO_COMMON_H

#include <malloc.h>
#include <stdio.h>
#include <sys/resource.h>

#include <uv.h>

static void echo_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void echo_on_usr1(uv_signal_t *h, int signum)
{
    (void)h;
    (void)signum;
    struct mallinfo2 mi = mallinfo2();
    printf("heap %zu\n", mi.uordblks + mi.hblkhd);
    fflush(stdout);
}

/* SIGUSR1 prints the heap in use; the handle does not keep the loop alive. */
static void echo_heap_report_init(uv_loop_t *loop, uv_signal_t *sig)
{
    uv_signal_init(loop, sig);
    uv_signal_start(sig, echo_on_usr1, SIGUSR1);
    uv_unref((uv_handle_t *)sig);
}

#endif
