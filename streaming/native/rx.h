/* streaming/native: the per-packet receive path in C (SRTP in place, RTP parse, RTX unwrap,
 * NACK bookkeeping, depayload, frame assembly). One rx_ctx per DTLS transport. Not
 * thread-safe: only the event loop thread calls it, the thread that uses the borrowed SRTP
 * session too. */
#ifndef COURTCAST_RX_H
#define COURTCAST_RX_H
#include <stdint.h>

/* srtp_err_status_t srtp_unprotect(srtp_t ctx, void *srtp_hdr, int *len_ptr) of libsrtp 2.x */
typedef int (*rx_unprotect_fn)(void *session, void *buf, int *len);

enum {
    RX_EV_FRAME = 1, /* a complete frame: data = Annex-B access unit / Opus packet */
    RX_EV_OTHER = 2, /* not for us (STUN, DTLS, SRTCP, non-RTP): data = datagram as received */
    RX_EV_RTP = 3,   /* decrypted RTP of an SSRC the C side does not assemble: data = RTP packet */
    RX_EV_NACK = 4,  /* data = uint16_t[len] missing sequence numbers (media SSRC), sorted */
    RX_EV_PLI = 5    /* keyframe needed for ssrc */
};
enum { RX_CODEC_H264 = 1, RX_CODEC_OPUS = 2, RX_CODEC_RAW = 3 };

typedef struct {
    int kind;
    uint32_t ssrc;
    int payload_type;
    uint32_t timestamp;
    int keyframe; /* H.264: an IDR or SPS NAL in the frame */
    int packets;  /* RTP packets in the frame */
    const uint8_t *data;
    int len;
    char host[48]; /* RX_EV_OTHER from rx_read_fd: source address */
    int port;
    uint64_t _offset; /* internal */
} rx_event;

typedef struct {
    uint64_t packets, bytes, frames, srtp_failures, malformed, late, duplicates, dropped_frames;
    uint32_t base_seq, max_seq, cycles;
    /* aiortc StreamStatistics: _jitter_q4, _last_arrival (wall clock x clock rate), _last_timestamp */
    int64_t jitter_q4, last_arrival;
    uint32_t last_timestamp;
} rx_stream_stats;

typedef struct {
    uint64_t datagrams, syscalls, other, srtp_failures, malformed, unknown_ssrc;
} rx_ctx_stats;

typedef struct rx_ctx rx_ctx;

rx_ctx *rx_new(void);
void rx_free(rx_ctx *ctx);
/* SRTP: borrow an existing libsrtp 2.x session (e.g. aiortc's pylibsrtp Session._srtp[0]) and
 * its srtp_unprotect; NULL session: every SRTP datagram is RX_EV_OTHER (handshake not done). */
void rx_set_srtp(rx_ctx *ctx, rx_unprotect_fn fn, void *session);
/* Assemble frames of this SSRC in C. capacity: jitter slots (power of two, aiortc: 512 video,
 * 16 audio). rtx_ssrc/rtx_pt: 0/-1 when none. nack: track losses (video). emit_on_marker: a
 * video frame leaves when its marker packet is reached (else when the next frame starts). */
int rx_add_stream(rx_ctx *ctx, uint32_t ssrc, int payload_type, int codec, int clock_rate,
                  int capacity, int nack, uint32_t rtx_ssrc, int rtx_pt, int emit_on_marker);
int rx_remove_stream(rx_ctx *ctx, uint32_t ssrc);
/* Drain fd with recvmmsg (MSG_DONTWAIT) until EAGAIN or max_rounds batches of 64.
 * Returns datagrams read, or -errno if the first call failed with something else than EAGAIN. */
int rx_read_fd(rx_ctx *ctx, int fd, int max_rounds);
/* One datagram (copied, the caller's buffer is left alone). Returns 0 if it is RX_EV_OTHER,
 * else (it was for us: consumed or dropped) 1 + the number of events it made. */
int rx_feed(rx_ctx *ctx, const uint8_t *data, int len);
/* A decrypted RTP packet (e.g. the first one of an SSRC, routed in Python, then registered). */
int rx_feed_plain(rx_ctx *ctx, const uint8_t *data, int len);
/* Events of the last rx_read_fd/rx_feed call; valid until the next call. */
rx_event *rx_events(rx_ctx *ctx, int *count);
int rx_stream_stats_get(rx_ctx *ctx, uint32_t ssrc, rx_stream_stats *out);
void rx_ctx_stats_get(rx_ctx *ctx, rx_ctx_stats *out);
#endif
