/* The receive path in C: the rules of streaming/receive_path.py (FrameAssembler, LossTracker)
 * and aiortc 1.16 (depayload, StreamStatistics), checked packet for packet against them by
 * tests/streaming/test_native_equivalence.py. */
#define _GNU_SOURCE
#include "rx.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define RX_BATCH 64
#define RX_BUFSZ 2048
#define RX_SLOT_DATA 1500
#define RX_MAX_STREAMS 16
#define RX_HISTORY 128  /* aiortc RTP_HISTORY_SIZE */
#define RX_MAX_MISORDER 100 /* aiortc jitterbuffer MAX_MISORDER */

typedef struct {
    uint16_t seq;
    uint16_t len;
    uint8_t present, marker;
    uint32_t ts;
    uint8_t data[RX_SLOT_DATA]; /* RTP payload as received (depayloaded when the frame leaves) */
} rx_slot;

typedef struct {
    uint32_t ssrc, rtx_ssrc;
    int pt, rtx_pt, codec, clock_rate, nack, emit_on_marker;
    unsigned capacity, mask;
    rx_slot *slots;
    int have_origin, has_ts;
    uint16_t origin;
    unsigned walked;
    uint32_t cur_ts;
    uint8_t *frame; /* depayloaded data of the walked packets */
    size_t frame_len, frame_cap;
    int frame_key;
    /* loss tracker */
    int have_max;
    uint16_t max_seq;
    uint16_t missing[RX_HISTORY + 8];
    int nmissing;
    /* statistics */
    rx_stream_stats st;
    int have_stats;
} rx_stream;

struct rx_ctx {
    rx_unprotect_fn unprotect;
    void *session;
    rx_stream *streams[RX_MAX_STREAMS];
    int nstreams;
    struct mmsghdr msgs[RX_BATCH];
    struct iovec iov[RX_BATCH];
    struct sockaddr_storage addrs[RX_BATCH];
    uint8_t bufs[RX_BATCH][RX_BUFSZ];
    rx_event *events;
    int nevents, cap_events;
    uint8_t *arena;
    size_t arena_len, arena_cap;
    rx_ctx_stats st;
    double now; /* seconds, CLOCK_REALTIME (aiortc uses time.time()), once per batch */
};

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static double wallclock(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}


rx_ctx *rx_new(void) {
    rx_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) return NULL;
    for (int i = 0; i < RX_BATCH; i++) {
        ctx->iov[i].iov_base = ctx->bufs[i];
        ctx->iov[i].iov_len = RX_BUFSZ;
        ctx->msgs[i].msg_hdr.msg_iov = &ctx->iov[i];
        ctx->msgs[i].msg_hdr.msg_iovlen = 1;
        ctx->msgs[i].msg_hdr.msg_name = &ctx->addrs[i];
    }
    return ctx;
}

void rx_free(rx_ctx *ctx) {
    if (!ctx) return;
    for (int i = 0; i < ctx->nstreams; i++) {
        free(ctx->streams[i]->slots);
        free(ctx->streams[i]->frame);
        free(ctx->streams[i]);
    }
    free(ctx->events);
    free(ctx->arena);
    free(ctx);
}

void rx_set_srtp(rx_ctx *ctx, rx_unprotect_fn fn, void *session) {
    ctx->unprotect = fn;
    ctx->session = session;
}

int rx_add_stream(rx_ctx *ctx, uint32_t ssrc, int payload_type, int codec, int clock_rate,
                  int capacity, int nack, uint32_t rtx_ssrc, int rtx_pt, int emit_on_marker) {
    if (ctx->nstreams >= RX_MAX_STREAMS || capacity <= 0 || (capacity & (capacity - 1)))
        return -1;
    rx_stream *s = calloc(1, sizeof(*s));
    if (!s) return -1;
    s->slots = calloc((size_t)capacity, sizeof(rx_slot));
    if (!s->slots) { free(s); return -1; }
    s->ssrc = ssrc; s->pt = payload_type; s->codec = codec; s->clock_rate = clock_rate;
    s->capacity = (unsigned)capacity; s->mask = (unsigned)capacity - 1; s->nack = nack;
    s->rtx_ssrc = rtx_ssrc; s->rtx_pt = rtx_pt; s->emit_on_marker = emit_on_marker;
    ctx->streams[ctx->nstreams++] = s;
    return 0;
}

int rx_remove_stream(rx_ctx *ctx, uint32_t ssrc) {
    for (int i = 0; i < ctx->nstreams; i++)
        if (ctx->streams[i]->ssrc == ssrc) {
            free(ctx->streams[i]->slots);
            free(ctx->streams[i]->frame);
            free(ctx->streams[i]);
            ctx->streams[i] = ctx->streams[--ctx->nstreams];
            return 0;
        }
    return -1;
}

/* ---- output: events and an arena for their data (offsets, fixed up in rx_events) ---- */

static void reset_output(rx_ctx *ctx) { ctx->nevents = 0; ctx->arena_len = 0; }

static uint8_t *arena_reserve(rx_ctx *ctx, size_t n) {
    size_t need = ctx->arena_len + n + 8;
    if (need > ctx->arena_cap) {
        size_t cap = ctx->arena_cap ? ctx->arena_cap : 1 << 18;
        while (cap < need) cap *= 2;
        uint8_t *a = realloc(ctx->arena, cap);
        if (!a) return NULL;
        ctx->arena = a;
        ctx->arena_cap = cap;
    }
    return ctx->arena + ctx->arena_len;
}

static rx_event *push_event(rx_ctx *ctx, int kind, uint32_t ssrc) {
    if (ctx->nevents == ctx->cap_events) {
        int cap = ctx->cap_events ? ctx->cap_events * 2 : 256;
        rx_event *e = realloc(ctx->events, (size_t)cap * sizeof(rx_event));
        if (!e) return NULL;
        ctx->events = e;
        ctx->cap_events = cap;
    }
    rx_event *ev = &ctx->events[ctx->nevents++];
    memset(ev, 0, offsetof(rx_event, host));
    ev->host[0] = 0;
    ev->port = 0;
    ev->kind = kind;
    ev->ssrc = ssrc;
    ev->_offset = ctx->arena_len;
    return ev;
}

static int push_copy(rx_ctx *ctx, int kind, uint32_t ssrc, const uint8_t *data, int len) {
    uint8_t *dst = arena_reserve(ctx, (size_t)len);
    if (!dst) return -1;
    rx_event *ev = push_event(ctx, kind, ssrc);
    if (!ev) return -1;
    memcpy(dst, data, (size_t)len);
    ev->len = len;
    ctx->arena_len += (size_t)len;
    return 0;
}

rx_event *rx_events(rx_ctx *ctx, int *count) {
    for (int i = 0; i < ctx->nevents; i++)
        ctx->events[i].data = ctx->arena + ctx->events[i]._offset;
    *count = ctx->nevents;
    return ctx->events;
}

/* ---- H.264 depayload (aiortc's h264 depayload: single NAL 1-23, FU-A, STAP-A) ---- */

/* Validate; returns the depayloaded size or -1 (aiortc raises ValueError: packet dropped). */
static int h264_size(const uint8_t *p, int n) {
    if (n < 2) return -1;
    int type = p[0] & 0x1f;
    if (type >= 1 && type <= 23) return 4 + n;
    if (type == 28) return (p[1] & 0x80) ? 4 + 1 + (n - 2) : n - 2;
    if (type == 24) {
        int pos = 1, out = 0;
        while (pos < n) {
            if (n < pos + 2) return -1;
            int size = be16(p + pos);
            pos += 2;
            if (n < pos + size) return -1;
            out += 4 + size;
            pos += size;
        }
        return out;
    }
    return -1;
}

/* Write (size from h264_size); *key |= IDR or SPS seen. */
static uint8_t *h264_write(uint8_t *o, const uint8_t *p, int n, int *key) {
    static const uint8_t sc[4] = {0, 0, 0, 1};
    int type = p[0] & 0x1f;
    if (type >= 1 && type <= 23) {
        if (type == 5 || type == 7) *key = 1;
        memcpy(o, sc, 4); memcpy(o + 4, p, (size_t)n);
        return o + 4 + n;
    }
    if (type == 28) {
        if (p[1] & 0x80) {
            int t = p[1] & 0x1f;
            if (t == 5 || t == 7) *key = 1;
            memcpy(o, sc, 4); o[4] = (uint8_t)((p[0] & 0xe0) | t); o += 5;
        }
        memcpy(o, p + 2, (size_t)(n - 2));
        return o + n - 2;
    }
    /* STAP-A */
    int pos = 1;
    while (pos < n) {
        int size = be16(p + pos);
        pos += 2;
        if (size > 0 && ((p[pos] & 0x1f) == 5 || (p[pos] & 0x1f) == 7)) *key = 1;
        memcpy(o, sc, 4); memcpy(o + 4, p + pos, (size_t)size);
        o += 4 + size;
        pos += size;
    }
    return o;
}

/* ---- frame assembly (streaming/receive_path.py FrameAssembler, in C) ----
 * The packets walked so far (origin .. origin+walked-1, all of timestamp cur_ts) are already
 * depayloaded into s->frame; a packet arriving exactly at origin+walked (the usual case) goes
 * straight there, and only packets arriving ahead of a gap are parked in slots. */

static int frame_append(rx_stream *s, const uint8_t *payload, int plen) {
    size_t size = !plen ? 0 : s->codec == RX_CODEC_H264 ? (size_t)h264_size(payload, plen) : (size_t)plen;
    if (s->frame_len + size > s->frame_cap) {
        size_t cap = s->frame_cap ? s->frame_cap : 16384;
        while (cap < s->frame_len + size) cap *= 2;
        uint8_t *f = realloc(s->frame, cap);
        if (!f) return -1;
        s->frame = f;
        s->frame_cap = cap;
    }
    if (plen) {
        if (s->codec == RX_CODEC_H264) h264_write(s->frame + s->frame_len, payload, plen, &s->frame_key);
        else memcpy(s->frame + s->frame_len, payload, (size_t)plen);
    }
    s->frame_len += size;
    return 0;
}

static void frame_reset(rx_stream *s) {
    s->walked = 0;
    s->frame_len = 0;
    s->frame_key = 0;
}

static void emit_frame(rx_ctx *ctx, rx_stream *s) {
    uint8_t *dst = arena_reserve(ctx, s->frame_len);
    rx_event *ev = dst ? push_event(ctx, RX_EV_FRAME, s->ssrc) : NULL;
    if (ev) {
        memcpy(dst, s->frame, s->frame_len);
        ev->payload_type = s->pt;
        ev->timestamp = s->cur_ts;
        ev->keyframe = s->frame_key;
        ev->packets = (int)s->walked;
        ev->len = (int)s->frame_len;
        ctx->arena_len += s->frame_len;
        s->st.frames++;
    }
    s->origin = (uint16_t)(s->origin + s->walked);
    frame_reset(s);
}

/* the packet at origin+walked */
static void consume(rx_ctx *ctx, rx_stream *s, uint32_t ts, int marker, const uint8_t *payload,
                    int plen) {
    if (s->has_ts && ts != s->cur_ts && s->walked) emit_frame(ctx, s);
    s->cur_ts = ts;
    s->has_ts = 1;
    frame_append(s, payload, plen);
    s->walked++;
    if (s->emit_on_marker && (marker || s->codec != RX_CODEC_H264)) {
        emit_frame(ctx, s);
        s->has_ts = 0;
    }
}

static void walk(rx_ctx *ctx, rx_stream *s) {
    for (;;) {
        uint16_t seq = (uint16_t)(s->origin + s->walked);
        rx_slot *sl = &s->slots[seq & s->mask];
        if (!sl->present || sl->seq != seq) return;
        sl->present = 0;
        consume(ctx, s, sl->ts, sl->marker, sl->data, sl->len);
    }
}

static void clear_slots(rx_stream *s) {
    for (unsigned i = 0; i < s->capacity; i++) s->slots[i].present = 0;
}

static void drop(rx_stream *s, unsigned count, uint16_t seq) {
    int have_ts = 0;
    uint32_t ts = 0;
    unsigned off;
    for (off = 0; off < s->capacity; off++) {
        uint16_t pos = (uint16_t)(s->origin + off);
        rx_slot *sl = &s->slots[pos & s->mask];
        int walked = off < s->walked; /* in s->frame, timestamp cur_ts */
        if (walked || (sl->present && sl->seq == pos)) {
            uint32_t here = walked ? s->cur_ts : sl->ts;
            if (off >= count && (!have_ts || here != ts)) { s->origin = pos; break; }
            ts = here; have_ts = 1;
            if (!walked) sl->present = 0;
        }
    }
    if (off == s->capacity) s->origin = seq;
    frame_reset(s);
    s->has_ts = 0;
    s->st.dropped_frames++;
}

/* returns 1 if a keyframe should be requested */
static int assemble(rx_ctx *ctx, rx_stream *s, uint16_t seq, uint32_t ts, int marker,
                    const uint8_t *payload, int plen) {
    int pli = 0;
    if (!s->have_origin) { s->origin = seq; s->have_origin = 1; }
    unsigned delta = (uint16_t)(seq - s->origin);
    if (delta >= 0x8000) {
        if (0x10000 - delta < RX_MAX_MISORDER) { s->st.late++; return 0; }
        clear_slots(s);
        s->origin = seq; frame_reset(s); s->has_ts = 0;
        pli = s->codec == RX_CODEC_H264;
    } else if (delta >= s->capacity) {
        drop(s, delta - s->capacity + 1, seq);
        pli = s->codec == RX_CODEC_H264;
    }
    delta = (uint16_t)(seq - s->origin);
    if (delta < s->walked) { s->st.duplicates++; return pli; }
    if (delta == s->walked) { /* in order: no slot */
        consume(ctx, s, ts, marker, payload, plen);
        walk(ctx, s);
        return pli;
    }
    rx_slot *sl = &s->slots[seq & s->mask];
    if (sl->present && sl->seq == seq) { s->st.duplicates++; return pli; }
    sl->present = 1; sl->seq = seq; sl->ts = ts; sl->marker = (uint8_t)marker;
    sl->len = (uint16_t)plen;
    memcpy(sl->data, payload, (size_t)plen);
    walk(ctx, s); /* after a drop, the new origin's packets may be parked already */
    return pli;
}

/* ---- loss tracker (LossTracker) ---- */

static int cmp_u16(const void *a, const void *b) {
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int losses_add(rx_stream *s, uint16_t seq) {
    if (!s->have_max) { s->have_max = 1; s->max_seq = seq; return 0; }
    unsigned ahead = (uint16_t)(seq - s->max_seq);
    if (ahead == 0 || ahead >= 0x8000) {
        for (int i = 0; i < s->nmissing; i++)
            if (s->missing[i] == seq) { s->missing[i] = s->missing[--s->nmissing]; break; }
        return 0;
    }
    uint16_t oldest = (uint16_t)(seq - RX_HISTORY);
    int k = 0; /* prune, then add the new gap (only the part inside the history) */
    for (int i = 0; i < s->nmissing; i++)
        if ((uint16_t)(s->missing[i] - oldest) < 0x8000) s->missing[k++] = s->missing[i];
    s->nmissing = k;
    if (ahead > 1) {
        unsigned first = ahead - 1 > RX_HISTORY ? ahead - 1 - RX_HISTORY : 1;
        for (unsigned step = first; step < ahead && s->nmissing < RX_HISTORY + 8; step++) {
            uint16_t m = (uint16_t)(s->max_seq + step);
            if ((uint16_t)(m - oldest) < 0x8000) s->missing[s->nmissing++] = m;
        }
    }
    s->max_seq = seq;
    return ahead > 1;
}

/* aiortc 1.16 StreamStatistics.add, field for field */
static void stats_add(rx_ctx *ctx, rx_stream *s, uint16_t seq, uint32_t ts, int len) {
    rx_stream_stats *st = &s->st;
    int in_order = !s->have_stats || (seq != st->max_seq && (uint16_t)(seq - st->max_seq) < 0x8000);
    st->packets++;
    st->bytes += (uint64_t)len;
    if (!s->have_stats) st->base_seq = seq;
    if (in_order) {
        int64_t arrival = (int64_t)(ctx->now * s->clock_rate);
        if (s->have_stats && seq < st->max_seq) st->cycles += 1 << 16;
        st->max_seq = seq;
        if (ts != st->last_timestamp && st->packets > 1) {
            int64_t diff = (arrival - st->last_arrival) - ((int64_t)ts - (int64_t)st->last_timestamp);
            if (diff < 0) diff = -diff;
            st->jitter_q4 += diff - ((st->jitter_q4 + 8) >> 4);
        }
        st->last_arrival = arrival;
        st->last_timestamp = ts;
    }
    s->have_stats = 1;
}

/* ---- one datagram (in a writable buffer) ---- */

static void process(rx_ctx *ctx, uint8_t *buf, int len, const struct sockaddr_storage *addr, int plain) {
    ctx->st.datagrams++;
    uint8_t b0 = len > 0 ? buf[0] : 0;
    int is_rtp = len >= 12 && b0 > 127 && b0 < 192 && !(buf[1] >= 192 && buf[1] <= 208);
    if (!is_rtp || (!ctx->session && !plain)) {
        ctx->st.other++;
        if (push_copy(ctx, RX_EV_OTHER, 0, buf, len) == 0 && addr) {
            rx_event *ev = &ctx->events[ctx->nevents - 1];
            if (addr->ss_family == AF_INET) {
                const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
                inet_ntop(AF_INET, &a->sin_addr, ev->host, sizeof ev->host);
                ev->port = ntohs(a->sin_port);
            } else if (addr->ss_family == AF_INET6) {
                const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
                inet_ntop(AF_INET6, &a->sin6_addr, ev->host, sizeof ev->host);
                ev->port = ntohs(a->sin6_port);
            }
        }
        return;
    }
    int n = len;
    if (!plain && ctx->unprotect(ctx->session, buf, &n) != 0) { ctx->st.srtp_failures++; return; }
    /* RTP header */
    if (n < 12 || (buf[0] >> 6) != 2) { ctx->st.malformed++; return; }
    int cc = buf[0] & 0x0f, marker = buf[1] >> 7, pt = buf[1] & 0x7f;
    uint16_t seq = be16(buf + 2);
    uint32_t ts = be32(buf + 4), ssrc = be32(buf + 8);
    int off = 12 + 4 * cc, end = n;
    if (buf[0] & 0x10) {
        if (off + 4 > n) { ctx->st.malformed++; return; }
        off += 4 + 4 * be16(buf + off + 2);
    }
    if (buf[0] & 0x20) {
        int pad = buf[n - 1];
        if (pad == 0 || off + pad > n) { ctx->st.malformed++; return; }
        end -= pad;
    }
    if (off > end) { ctx->st.malformed++; return; }
    const uint8_t *payload = buf + off;
    int plen = end - off;
    rx_stream *s = NULL;
    int rtx = 0;
    for (int i = 0; i < ctx->nstreams; i++) {
        rx_stream *c = ctx->streams[i];
        if (c->ssrc == ssrc && c->pt == pt) { s = c; break; }
        if (c->rtx_ssrc == ssrc && c->rtx_pt == pt && c->rtx_pt >= 0) { s = c; rtx = 1; break; }
    }
    if (!s) { ctx->st.unknown_ssrc++; push_copy(ctx, RX_EV_RTP, ssrc, buf, n); return; }
    if (rtx) {
        if (plen < 2) return; /* RTX padding probe */
        seq = be16(payload);
        payload += 2; plen -= 2;
    }
    stats_add(ctx, s, seq, ts, n);
    if (s->nack && losses_add(s, seq) && s->nmissing) {
        uint16_t sorted[RX_HISTORY + 8];
        memcpy(sorted, s->missing, (size_t)s->nmissing * 2);
        qsort(sorted, (size_t)s->nmissing, 2, cmp_u16);
        ctx->arena_len = (ctx->arena_len + 1) & ~(size_t)1;
        if (push_copy(ctx, RX_EV_NACK, s->ssrc, (const uint8_t *)sorted, s->nmissing * 2) == 0)
            ctx->events[ctx->nevents - 1].len = s->nmissing;
    }
    if (plen > RX_SLOT_DATA || (s->codec == RX_CODEC_H264 && plen && h264_size(payload, plen) < 0)) {
        s->st.malformed++; /* aiortc: depayload ValueError, packet dropped after NACK accounting */
        return;
    }
    if (assemble(ctx, s, seq, ts, marker, payload, plen)) push_event(ctx, RX_EV_PLI, s->ssrc);
}

int rx_read_fd(rx_ctx *ctx, int fd, int max_rounds) {
    reset_output(ctx);
    ctx->now = wallclock();
    int total = 0;
    for (int round = 0; round < max_rounds; round++) {
        for (int i = 0; i < RX_BATCH; i++) {
            ctx->msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
            ctx->msgs[i].msg_hdr.msg_flags = 0;
        }
        int n = recvmmsg(fd, ctx->msgs, RX_BATCH, MSG_DONTWAIT, NULL);
        ctx->st.syscalls++;
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return total ? total : -errno;
        }
        for (int i = 0; i < n; i++) {
            if (ctx->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) { ctx->st.malformed++; continue; }
            process(ctx, ctx->bufs[i], (int)ctx->msgs[i].msg_len, &ctx->addrs[i], 0);
        }
        total += n;
        if (n < RX_BATCH) break;
    }
    return total;
}

/* One datagram, copied (the caller's bytes stay as they are); 0 if it was RX_EV_OTHER, else
 * 1 + the events it made, so the caller asks for events only when there are some. */
static int feed_one(rx_ctx *ctx, const uint8_t *data, int len, int plain) {
    reset_output(ctx);
    ctx->now = wallclock();
    if (len > RX_BUFSZ || len <= 0) return 1;
    uint64_t other = ctx->st.other;
    memcpy(ctx->bufs[0], data, (size_t)len);
    process(ctx, ctx->bufs[0], len, NULL, plain);
    return ctx->st.other == other ? 1 + ctx->nevents : 0;
}

int rx_feed(rx_ctx *ctx, const uint8_t *data, int len) { return feed_one(ctx, data, len, 0); }

int rx_feed_plain(rx_ctx *ctx, const uint8_t *data, int len) {
    return feed_one(ctx, data, len, 1);
}

int rx_stream_stats_get(rx_ctx *ctx, uint32_t ssrc, rx_stream_stats *out) {
    for (int i = 0; i < ctx->nstreams; i++)
        if (ctx->streams[i]->ssrc == ssrc) { *out = ctx->streams[i]->st; return 0; }
    return -1;
}

void rx_ctx_stats_get(rx_ctx *ctx, rx_ctx_stats *out) { *out = ctx->st; }
