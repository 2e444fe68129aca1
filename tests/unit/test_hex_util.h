/* test_hex_util.h: hex text to bytes, for the encoding tests whose cases (Node's answers)
 * carry bytes as hex. Include after <cmocka.h>. */
#ifndef TEST_HEX_UTIL_H
#define TEST_HEX_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hex text to bytes (one spare byte at the end); the caller frees. */
static inline uint8_t *from_hex(const char *hex, size_t *ret_len)
{
    size_t n = strlen(hex) / 2;
    uint8_t *b = malloc(n + 1);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        b[i] = (uint8_t)v;
    }
    *ret_len = n;
    return b;
}

#endif
