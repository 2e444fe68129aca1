/* trace.c: the C tracer (see trace.h): names objects, logs their events per object,
 * and prints the canonical trace once the loop has nothing left to do. */
#include "trace_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(tr_t *t, tr_obj_t *o, const char *line);

uv_loop_t *tr_loop(tr_t *t)
{
    return &t->loop;
}

tr_obj_t *tr__find(const tr_t *t, const void *ptr)
{
    for (int i = 0; i < t->nobj; i++) {
        if (t->objs[i].ptr == ptr) {
            return (tr_obj_t *)&t->objs[i];
        }
    }
    return NULL;
}

tr_obj_t *tr__add(tr_t *t, const char *name, void *ptr, bool is_server)
{
    if (t->nobj == TR_MAX_OBJS) {
        fprintf(stderr, "trace: more than %d objects\n", TR_MAX_OBJS);
        exit(2);
    }
    tr_obj_t *o = &t->objs[t->nobj++];
    memset(o, 0, sizeof(*o));
    snprintf(o->name, sizeof(o->name), "%s", name);
    o->ptr = ptr;
    o->is_server = is_server;
    return o;
}

void *tr_object(const tr_t *t, const char *name)
{
    for (int i = 0; i < t->nobj; i++) {
        if (strcmp(t->objs[i].name, name) == 0) {
            return t->objs[i].ptr;
        }
    }
    return NULL;
}

const char *tr_name(const tr_t *t, const void *obj)
{
    const tr_obj_t *o = tr__find(t, obj);
    return o != NULL ? o->name : "?";
}

static void append(tr_obj_t *o, const char *line)
{
    size_t n = strlen(line);
    if (o->len + n + 2 > o->cap) {
        o->cap = (o->len + n + 2) * 2;
        o->text = realloc(o->text, o->cap);
        if (o->text == NULL) {
            abort();
        }
    }
    memcpy(o->text + o->len, line, n);
    o->len += n;
    o->text[o->len++] = '\n';
    o->text[o->len] = '\0';
}

/* A line ends the object's current run of 'data': its total is written first. */
static void flush_data(tr_obj_t *o)
{
    if (!o->has_pending) {
        return;
    }
    char line[64];
    snprintf(line, sizeof(line), "data %" PRIu64, o->pending);
    o->has_pending = false;
    o->pending = 0;
    append(o, line);
}

static void put(tr_t *t, tr_obj_t *o, const char *line)
{
    if (!t->recording || o == NULL) {
        return;
    }
    flush_data(o);
    append(o, line);
}

void tr__data(tr_t *t, tr_obj_t *o, size_t len)
{
    if (t->recording && o != NULL) {
        o->pending += len;
        o->has_pending = true;
    }
}

void tr__put(tr_t *t, tr_obj_t *o, const char *fmt, ...)
{
    char line[TR_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    put(t, o, line);
}

void tr_log(tr_t *t, const void *obj, const char *fmt, ...)
{
    char line[TR_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    tr_obj_t *o = tr__find(t, obj);
    if (o == NULL) {
        fprintf(stderr, "trace: tr_log on an untraced object: %s\n", line);
        exit(2);
    }
    put(t, o, line);
}

void tr_fail(tr_t *t, const char *fmt, ...)
{
    char line[TR_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "trace: scenario failed: %s\n", line);
    tr__print(t);
    exit(2);
}

const char *tr_port(tr_t *t, int port)
{
    char *b = t->ring[t->ringi++ % TR_RING];
    snprintf(b, TR_RING_LEN, "{p:%d}", port);
    return b;
}

void tr__name_port(tr_t *t, int port, const char *name)
{
    for (int i = 0; i < t->nports; i++) {
        if (t->ports[i] == port) {
            return; /* the first owner names it */
        }
    }
    if (t->nports < TR_MAX_OBJS) {
        t->ports[t->nports] = port;
        snprintf(t->port_names[t->nports], sizeof(t->port_names[0]), "%s", name);
        t->nports++;
    }
}

const char *tr_path(tr_t *t, const char *name, size_t *ret_len)
{
    if (t->npaths == TR_MAX_PATHS) {
        tr_fail(t, "more than %d paths", TR_MAX_PATHS);
    }
    char *p = t->paths[t->npaths];
    int n;
    if (name[0] == '@') {
        n = snprintf(p, TR_PATH_LEN, "%c%s%s", '\0', t->abstract_prefix, name + 1);
    } else {
        n = snprintf(p, TR_PATH_LEN, "%s/%s", t->dir, name);
    }
    t->path_lens[t->npaths++] = (size_t)n;
    if (ret_len != NULL) {
        *ret_len = (size_t)n;
    }
    return p;
}

void tr__text(const char *s, size_t len, char *buf, size_t size)
{
    /* An abstract name shows its NUL as '@' (as libnetcore's messages do). */
    bool abstract = len > 0 && s[0] == '\0';
    snprintf(buf, size, "%s%.*s", abstract ? "@" : "", (int)(len - abstract), s + abstract);
}

void tr_threw(tr_t *t, const void *obj, const char *what, int r, const nc_error_t *err)
{
    if (r >= 0) {
        return;
    }
    const char *msg = err != NULL && err->code == r ? err->message : nc_strerror(r);
    tr_log(t, obj, "%s threw %s: %s", what, nc_err_name(r), msg);
}

/* ---- output ----------------------------------------------------------------------- */

static void emit_text(const tr_t *t, const char *s, size_t n, FILE *out)
{
    size_t dlen = strlen(t->dir);
    size_t alen = strlen(t->abstract_prefix);
    for (size_t i = 0; i < n;) {
        if (n - i >= dlen && memcmp(s + i, t->dir, dlen) == 0) {
            fputs("<tmp>", out);
            i += dlen;
        } else if (n - i >= alen && memcmp(s + i, t->abstract_prefix, alen) == 0) {
            i += alen;
        } else {
            fputc(s[i], out);
            i++;
        }
    }
}

/* "{p:N}" becomes <port:NAME>, or <port> for a port no traced object owns. */
static void emit_line(const tr_t *t, const char *name, const char *s, size_t n, FILE *out)
{
    fprintf(out, "%s: ", name);
    for (;;) {
        const char *m = memmem(s, n, "{p:", 3);
        if (m == NULL) {
            break;
        }
        emit_text(t, s, (size_t)(m - s), out);
        int port = atoi(m + 3);
        const char *end = memchr(m, '}', n - (size_t)(m - s));
        const char *owner = NULL;
        for (int i = 0; i < t->nports; i++) {
            if (t->ports[i] == port) {
                owner = t->port_names[i];
            }
        }
        fprintf(out, owner != NULL ? "<port:%s>" : "<port>", owner);
        n -= (size_t)(end + 1 - s);
        s = end + 1;
    }
    emit_text(t, s, n, out);
    fputc('\n', out);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const tr_obj_t *)a)->name, ((const tr_obj_t *)b)->name);
}

void tr__print(tr_t *t)
{
    tr_obj_t sorted[TR_MAX_OBJS];
    for (int i = 0; i < t->nobj; i++) {
        flush_data(&t->objs[i]);
        sorted[i] = t->objs[i];
    }
    qsort(sorted, (size_t)t->nobj, sizeof(sorted[0]), by_name);
    for (int i = 0; i < t->nobj; i++) {
        const char *s = sorted[i].text;
        for (size_t off = 0; off < sorted[i].len;) {
            const char *nl = memchr(s + off, '\n', sorted[i].len - off);
            emit_line(t, sorted[i].name, s + off, (size_t)(nl - (s + off)), stdout);
            off = (size_t)(nl - s) + 1;
        }
    }
    fflush(stdout);
}
