/* json_lex.h: the tokens of the plain JSON subset that json_fast.c builds values from and
 * json_scan.c only checks (strings without escapes, integers of up to 18 digits, true,
 * false, null, at most 32 deep): one definition, so that the two cannot disagree on what
 * is plain. Anything outside it goes to jansson, whose verdict stands. */
#ifndef NB_PROTO_JSON_LEX_H
#define NB_PROTO_JSON_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Deeper than any request: past it, jansson (which allows 2048) takes over. */
#define NB_JSON_DEPTH_MAX 32
/* Digits of an integer that cannot overflow json_int_t; longer ones go to jansson, which
 * reports the overflow. */
#define NB_JSON_DIGITS_MAX 18

typedef struct {
    const char *p;
    const char *end;
    int depth;
    bool spaced; /* whitespace seen outside strings */
} nb_json_lex_t;

static inline void nb_json_skip_ws(nb_json_lex_t *c)
{
    const char *p = c->p;
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
    c->spaced |= c->p != p;
}

/* True when a scalar ends here, as jansson's lexer needs ("truex" and "1.5" are not ours). */
static inline bool nb_json_at_delimiter(const nb_json_lex_t *c)
{
    if (c->p == c->end) {
        return true;
    }
    char ch = *c->p;
    return ch == ',' || ch == '}' || ch == ']' || ch == ' ' || ch == '\t' || ch == '\n' ||
           ch == '\r';
}

/* A string's bytes, after its opening quote, past its closing one: no escape, no control
 * character (jansson refuses those). *ret_ascii says whether every byte is below 0x80, for
 * a caller that must check the UTF-8 of the rest. */
static inline bool nb_json_lex_string(nb_json_lex_t *c,
                                      const char **ret_s,
                                      size_t *ret_len,
                                      bool *ret_ascii)
{
    const char *s = c->p;
    bool ascii = true;

    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '\\' || ch < 0x20) {
            return false;
        }
        ascii = ascii && ch < 0x80;
        c->p++;
    }
    if (c->p == c->end) {
        return false;
    }
    *ret_s = s;
    *ret_len = (size_t)(c->p - s);
    *ret_ascii = ascii;
    c->p++;
    return true;
}

/* -?(0|[1-9][0-9]*), no fraction or exponent, at most NB_JSON_DIGITS_MAX digits. */
static inline bool nb_json_lex_integer(nb_json_lex_t *c, int64_t *ret)
{
    bool neg = *c->p == '-';
    int64_t v = 0;
    int digits = 0;

    c->p += neg ? 1 : 0;
    if (c->p < c->end && *c->p == '0') {
        c->p++;
        digits = 1;
    } else {
        /* A digit beyond the limit is left in place, where the delimiter check refuses it. */
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && digits < NB_JSON_DIGITS_MAX) {
            v = v * 10 + (*c->p - '0');
            c->p++;
            digits++;
        }
    }
    *ret = neg ? -v : v;
    return digits > 0 && nb_json_at_delimiter(c);
}

static inline bool nb_json_lex_literal(nb_json_lex_t *c, const char *word, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) {
        return false;
    }
    c->p += n;
    return nb_json_at_delimiter(c);
}

#endif
