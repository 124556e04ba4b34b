/* The recorder's Annex-B to length-prefixed rewrite (recorder/bitstream.py), in C: the
   Python one scans each frame for start codes with bytes.find, 6-10 us for a 10 kB frame;
   here memchr finds each 0x01 and the two bytes before it are checked. Byte for byte the
   Python function's output (tests/recorder/test_bitstream.py compares them). */
#include "avc.h"

#include <string.h>

/* Where the next 00 00 01 at or after `from` begins, or -1. */
static ptrdiff_t next_start_code(const uint8_t *data, size_t n, size_t from) {
    if (n < 3 || from > n - 3) return -1;
    const uint8_t *p = data + from + 2, *end = data + n;
    while (p < end) {
        const uint8_t *one = memchr(p, 1, (size_t)(end - p));
        if (one == NULL) return -1;
        if (one[-1] == 0 && one[-2] == 0) return (one - 2) - data;
        p = one + 1;
    }
    return -1;
}

long avc_length_prefixed(const uint8_t *data, size_t n, uint8_t *out, size_t cap) {
    size_t written = 0;
    ptrdiff_t start = next_start_code(data, n, 0);
    while (start >= 0) {
        size_t unit = (size_t)start + 3;
        ptrdiff_t next = next_start_code(data, n, unit);
        size_t stop = next < 0 ? n : (size_t)next;
        /* zeros before a start code are its leading zero or trailing_zero_8bits */
        while (next >= 0 && stop > unit && data[stop - 1] == 0) stop--;
        if (stop > unit) {
            size_t size = stop - unit;
            if (size > UINT32_MAX || written + 4 + size > cap) return -1;
            out[written] = (uint8_t)(size >> 24);
            out[written + 1] = (uint8_t)(size >> 16);
            out[written + 2] = (uint8_t)(size >> 8);
            out[written + 3] = (uint8_t)size;
            memcpy(out + written + 4, data + unit, size);
            written += 4 + size;
        }
        start = next;
    }
    return (long)written;
}
