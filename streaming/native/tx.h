/* streaming/native: the relay's send side in C. A frame's RTP packets for one viewer are
 * built from the frame's payloads (shared by every viewer) and the viewer's header,
 * SRTP-protected in place with a borrowed libsrtp 2.x session (the viewer's own, as aiortc
 * made it) and handed to the kernel in one sendmmsg, runs of equal-sized packets as one
 * send the kernel cuts into datagrams (UDP GSO, where it can): no Python work per packet. Not
 * thread-safe: only the event loop's thread calls it, the thread that uses the session too. */
#ifndef COURTCAST_TX_H
#define COURTCAST_TX_H
#include <stdint.h>

/* srtp_err_status_t srtp_protect(srtp_t ctx, void *rtp_hdr, int *len_ptr) of libsrtp 2.x */
typedef int (*tx_protect_fn)(void *session, void *buf, int *len);

enum { TX_MAX_PACKETS = 1024, TX_MAX_PACKET = 1400 };

typedef struct tx_ctx tx_ctx;

tx_ctx *tx_new(void);
void tx_free(tx_ctx *ctx);
/* Build a frame's n RTP packets for one viewer (the header, header_len bytes, with sequence
 * numbers first_seq, first_seq + 1... and the marker bit on the last, then payload i: lens[i]
 * bytes of `payloads`, laid end to end), protect them and send them to host:port (numeric
 * IPv4 or IPv6) on the non-blocking UDP socket fd. At most TX_MAX_PACKETS packets of at most
 * TX_MAX_PACKET bytes. Returns how many the kernel took (the others stay protected for
 * tx_protected: the caller queues them), or a negative value: -errno when sending failed with
 * something else than EAGAIN, -(100000 + status) when libsrtp refused a packet (nothing is
 * sent then), -EINVAL for a bad address or sizes. */
int tx_send_frame(tx_ctx *ctx, tx_protect_fn protect, void *session, int fd, const char *host,
                  int port, const uint8_t *header, int header_len, int first_seq,
                  const uint8_t *payloads, const int *lens, int n);
/* Packet i of the last tx_send_frame, protected; its length in *len. */
const uint8_t *tx_protected(tx_ctx *ctx, int i, int *len);
#endif
