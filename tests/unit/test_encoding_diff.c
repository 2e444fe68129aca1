/* test_encoding_diff.c: nc_encoding_encode and nc_string_decoder_* against Node itself, on
 * seeded random bytes split at random points (tests/data/encoding-oracle.js random).
 * Exits 77 (skipped) when there is no `node`. NB_ENCODING_SEED=n replays a seed. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "netcore.h"
#include "test_hex_util.h"

#define DEFAULT_SEED 20261125u
#define CASES        4000

extern char **environ;

static unsigned long arg_seed = DEFAULT_SEED;

/* Bytes as hex, into a buffer the caller frees. */
static char *to_hex(const void *data, size_t n)
{
    const uint8_t *b = data;
    char *s = malloc(2 * n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++) {
        snprintf(s + 2 * i, 3, "%02x", b[i]);
    }
    s[2 * n] = '\0';
    return s;
}

static nc_encoding_t encoding_of(json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "encoding"));
    int r = nc_encoding_parse(name, strlen(name), NULL);
    assert_true(r >= 0);
    return (nc_encoding_t)r;
}

/* Compares one text with Node's; on a mismatch shows the case and how to replay it. */
static void expect(json_t *c, const char *what, const char *got, const char *want)
{
    if (strcmp(got, want) != 0) {
        char *line = json_dumps(c, JSON_COMPACT);
        print_error("seed %lu (NB_ENCODING_SEED=%lu replays it), %s differs:\n%s\n", arg_seed,
                    arg_seed, what, line);
        free(line);
    }
    assert_string_equal(got, want);
}

static void check_encode(json_t *c)
{
    size_t len, n;
    uint8_t *in = from_hex(json_string_value(json_object_get(c, "in")), &len);
    nc_encoding_t enc = encoding_of(c);
    assert_int_equal(nc_encoding_encode(enc, (const char *)in, len, NULL, 0, &n), 0);
    uint8_t *buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(nc_encoding_encode(enc, (const char *)in, len, buf, n, &n), 0);
    char *got = to_hex(buf, n);
    expect(c, "Buffer.from()", got, json_string_value(json_object_get(c, "out")));
    free(got);
    free(buf);
    free(in);
}

static void check_decode(json_t *c)
{
    nc_string_decoder_t dec;
    size_t i, n;
    json_t *chunk;
    assert_int_equal(nc_string_decoder_init(&dec, encoding_of(c)), 0);
    json_array_foreach(json_object_get(c, "chunks"), i, chunk)
    {
        size_t len;
        uint8_t *data = from_hex(json_string_value(chunk), &len);
        size_t size = nc_string_decoder_max_size(&dec, len);
        char *buf = malloc(size);
        assert_non_null(buf);
        assert_int_equal(nc_string_decoder_write(&dec, data, len, buf, size, &n), 0);
        char *got = to_hex(buf, n);
        json_t *want = json_array_get(json_object_get(c, "out"), i);
        expect(c, "a write's text", got, json_string_value(want));
        free(got);
        free(buf);
        free(data);
    }
    char buf[16];
    assert_true(nc_string_decoder_max_size(&dec, 0) <= sizeof(buf));
    assert_int_equal(nc_string_decoder_end(&dec, buf, sizeof(buf), &n), 0);
    char *got = to_hex(buf, n);
    expect(c, "end()'s text", got, json_string_value(json_object_get(c, "end")));
    free(got);
}

static void test_encoding_diff_random(void **state)
{
    size_t i, nencode = 0, ndecode = 0;
    json_t *c;
    json_array_foreach((json_t *)*state, i, c)
    {
        const char *op = json_string_value(json_object_get(c, "op"));
        if (strcmp(op, "encode") == 0) {
            check_encode(c);
            nencode++;
        } else {
            check_decode(c);
            ndecode++;
        }
    }
    assert_int_equal(nencode + ndecode, CASES);
    print_message("seed %lu: %zu Buffer.from() and %zu StringDecoder cases agree with Node\n",
                  arg_seed, nencode, ndecode);
}

/* The oracle script sits in the source tree. CMake compiles this file by its absolute
 * path, so __FILE__ finds the tree from any build directory. */
static void script_path(char *buf, size_t size)
{
    const char *slash = strrchr(__FILE__, '/');
    int dir = slash == NULL ? 1 : (int)(slash - __FILE__);
    snprintf(buf, size, "%.*s/../data/encoding-oracle.js", dir, slash == NULL ? "." : __FILE__);
}

/* Runs node and reads its JSON lines: 0, 77 when there is no node, 1 on any failure. */
static int read_cases(json_t *cases)
{
    char script[4096], seed[32], count[32];
    script_path(script, sizeof(script));
    snprintf(seed, sizeof(seed), "%lu", arg_seed);
    snprintf(count, sizeof(count), "%d", CASES);
    char *argv[] = { "node", script, "random", seed, count, NULL };
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        perror("pipe2");
        return 1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    pid_t pid;
    int r = posix_spawnp(&pid, "node", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (r != 0) {
        close(fds[0]);
        printf("cannot run node (%s): skipped\n", strerror(r));
        return r == ENOENT ? 77 : 1;
    }
    FILE *f = fdopen(fds[0], "r");
    char *line = NULL;
    size_t cap = 0;
    while (f != NULL && getline(&line, &cap, f) > 0) {
        json_error_t err;
        json_t *c = json_loads(line, 0, &err);
        if (c == NULL) {
            fprintf(stderr, "node said: %s(%s)\n", line, err.text);
            break;
        }
        json_array_append_new(cases, c);
    }
    free(line);
    if (f != NULL) {
        fclose(f);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(void)
{
    const char *s = getenv("NB_ENCODING_SEED");
    if (s != NULL && *s != '\0') {
        arg_seed = strtoul(s, NULL, 10);
    }
    json_t *cases = json_array();
    int r = read_cases(cases);
    if (r != 0) {
        json_decref(cases);
        return r;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_encoding_diff_random, cases),
    };
    r = cmocka_run_group_tests_name("encoding_diff", tests, NULL, NULL);
    json_decref(cases);
    return r;
}
