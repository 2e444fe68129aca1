/* output.c: how netbrokerctl prints: aligned tables for people, one JSON document for
 * scripts (--json), colour only on a terminal and never with NO_COLOR. */
#include "ctl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct ctl_table_s {
    size_t ncols, nrows, cap;
    char **cells; /* (nrows + 1) * ncols, row 0 the headers */
    size_t *width;
};

void ctl_print_json(const json_t *v)
{
    char *text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (text != NULL) {
        puts(text);
        free(text);
    }
}

static void table_put(ctl_table_t *t, size_t row, const char *const *cells)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const char *s = cells[c] != NULL ? cells[c] : "-";
        t->cells[row * t->ncols + c] = strdup(s);
        size_t len = strlen(s);
        if (len > t->width[c]) {
            t->width[c] = len;
        }
    }
}

ctl_table_t *ctl_table_new(const char *const *headers, size_t ncols)
{
    ctl_table_t *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        abort();
    }
    t->ncols = ncols;
    t->cap = 8;
    t->cells = calloc(t->cap * ncols, sizeof(char *));
    t->width = calloc(ncols, sizeof(size_t));
    if (t->cells == NULL || t->width == NULL) {
        abort();
    }
    table_put(t, 0, headers);
    return t;
}

void ctl_table_add(ctl_table_t *t, const char *const *cells)
{
    if (t->nrows + 2 > t->cap) {
        t->cap *= 2;
        t->cells = realloc(t->cells, t->cap * t->ncols * sizeof(char *));
        if (t->cells == NULL) {
            abort();
        }
    }
    t->nrows++;
    table_put(t, t->nrows, cells);
}

void ctl_table_print(ctl_table_t *t, bool colour, FILE *out)
{
    for (size_t r = 0; r <= t->nrows; r++) {
        if (r == 0 && colour) {
            fputs("\033[1m", out);
        }
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            if (c + 1 == t->ncols) {
                fputs(s, out); /* no padding after the last column */
            } else {
                fprintf(out, "%-*s  ", (int)t->width[c], s);
            }
        }
        fputs(r == 0 && colour ? "\033[0m\n" : "\n", out);
    }
}

void ctl_table_free(ctl_table_t *t)
{
    if (t == NULL) {
        return;
    }
    for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++) {
        free(t->cells[i]);
    }
    free(t->cells);
    free(t->width);
    free(t);
}

const char *ctl_cell(const json_t *obj, const char *key, char *buf, size_t size)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_string(v)) {
        return json_string_value(v);
    }
    if (json_is_integer(v)) {
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    if (json_is_boolean(v)) {
        return json_is_true(v) ? "yes" : "no";
    }
    if (json_is_array(v)) {
        snprintf(buf, size, "%zu", json_array_size(v));
        return buf;
    }
    return "-";
}

void ctl_print_fields(const json_t *obj, const char *const *keys, size_t n, FILE *out)
{
    size_t width = 0;
    char buf[64];
    for (size_t i = 0; i < n; i++) {
        if (json_object_get(obj, keys[i]) != NULL && strlen(keys[i]) > width) {
            width = strlen(keys[i]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (json_object_get(obj, keys[i]) != NULL) {
            fprintf(out, "%*s: %s\n", (int)width, keys[i],
                    ctl_cell(obj, keys[i], buf, sizeof(buf)));
        }
    }
}
