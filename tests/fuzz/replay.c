/* replay.c: a main() for a fuzz target in the ordinary (gcc) build: runs
 * LLVMFuzzerTestOneInput once on every file of the directories or files named, so that
 * `make test` and `make asan` replay the seed corpora with the target's own checks. Exits
 * 0, or aborts on the first failed check; a file that cannot be read exits 1. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs past this are cut, as run.sh's -max_len would. */
#define INPUT_MAX 65536

static int replay_file(const char *path)
{
    static uint8_t buf[INPUT_MAX];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order (a run is the same run each time). */
static int replay_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char *names[4096];
    size_t n = 0;
    int r = 0;
    if (d == NULL) {
        return replay_file(dir) < 0 ? -1 : (int)(++*count, 0);
    }
    while ((e = readdir(d)) != NULL && n < sizeof(names) / sizeof(names[0])) {
        if (e->d_name[0] != '.') {
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), by_name);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (r == 0 && replay_file(path) < 0) {
            r = -1;
        }
        free(names[i]);
    }
    *count += n;
    return r;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    for (int i = 1; i < argc; i++) {
        if (replay_dir(argv[i], &count) < 0) {
            return 1;
        }
    }
    printf("%zu inputs replayed\n", count);
    return 0;
}
