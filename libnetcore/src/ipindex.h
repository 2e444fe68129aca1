/* ipindex.h: BlockList's index, private to libnetcore: a set of addresses as sorted,
 * disjoint intervals of 128-bit keys, with a table that makes a lookup touch a handful of
 * intervals whatever their number. */
#ifndef NC_IPINDEX_H
#define NC_IPINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An address as a 128-bit number, most significant half first. blocklist.c gives an IPv4
 * address a the key of its mapped twin ::ffff:a. */
typedef struct {
    uint64_t hi;
    uint64_t lo;
} nc__key_t;

/* The closed interval [lo, hi]. */
typedef struct {
    nc__key_t lo;
    nc__key_t hi;
} nc__span_t;

/* Sorted, disjoint, non-adjacent spans, so that a key is in the set exactly when the last
 * span starting at or below it reaches it. `first` maps the `bits` bits that follow the
 * `skip` leading bits all spans share to the first span starting in that slot. A zeroed
 * value is the empty set. */
typedef struct {
    nc__span_t *spans;
    size_t n;
    uint32_t *first; /* 2^bits + 1 entries; NULL: search all spans */
    unsigned skip;
    unsigned bits;
    uint32_t *low; /* when skip >= 96 (an IPv4 set): the spans' last 32 bits, lo and hi
                    * in turn, a quarter of the memory for lookups to touch; or NULL */
} nc__ipindex_t;

static inline bool nc__key_le(nc__key_t x, nc__key_t y)
{
    return x.hi < y.hi || (x.hi == y.hi && x.lo <= y.lo);
}

/* Sorts spans by start (they may overlap). Allocates scratch space; never fails. */
void nc__ipindex_sort(nc__span_t *spans, size_t n);
/* Adds `n` spans sorted by start (they may overlap each other and the set) in O(set + n).
 * Returns 0, or -ENOMEM with the set unchanged. */
int nc__ipindex_merge(nc__ipindex_t *ix, const nc__span_t *add, size_t n);
/* Whether key is in the set. No allocation. */
bool nc__ipindex_find(const nc__ipindex_t *ix, nc__key_t key);
/* Frees what the index holds and empties it. */
void nc__ipindex_clear(nc__ipindex_t *ix);

#endif
