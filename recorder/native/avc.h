#ifndef COURTCAST_AVC_H
#define COURTCAST_AVC_H

#include <stddef.h>
#include <stdint.h>

/* An Annex-B access unit as its NAL units, each behind its 4-byte big-endian length
   (ISO/IEC 14496-15 5.3.2); the bytes written, or -1 if `cap` is too small (it never is
   at n + n / 3 + 4). */
long avc_length_prefixed(const uint8_t *data, size_t n, uint8_t *out, size_t cap);

#endif
