/* The relay's send side in C: SRTP protect in place, then sendmmsg (see tx.h). What it sends
 * is checked byte for byte against pylibsrtp by tests/streaming/test_native_send.py. */
#define _GNU_SOURCE
#include "tx.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TX_TRAILER 144 /* SRTP_MAX_TRAILER_LEN of libsrtp 2.x: tag and MKI */
#define TX_SLOT (TX_MAX_PACKET + TX_TRAILER)
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* Linux 4.18: the kernel cuts one send into datagrams (UDP GSO) */
#endif
#define TX_GSO_MAX_SEGMENTS 64  /* UDP_MAX_SEGMENTS */
#define TX_GSO_MAX_BYTES 65000  /* under a UDP datagram's 65,507-byte payload */

struct tx_ctx {
    uint8_t bufs[TX_MAX_PACKETS][TX_SLOT];
    int lens[TX_MAX_PACKETS];
    struct iovec iov[TX_MAX_PACKETS];
    struct mmsghdr msgs[TX_MAX_PACKETS];
    union { /* a UDP_SEGMENT control message per send, aligned as cmsg wants */
        char buf[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } control[TX_MAX_PACKETS];
    int first[TX_MAX_PACKETS]; /* the first packet of each send */
    struct sockaddr_storage addr;
    int gso; /* until the kernel refuses it once */
};

tx_ctx *tx_new(void) {
    tx_ctx *ctx = calloc(1, sizeof(tx_ctx));
    if (ctx) ctx->gso = 1;
    return ctx;
}

void tx_free(tx_ctx *ctx) { free(ctx); }

static socklen_t set_address(tx_ctx *ctx, const char *host, int port) {
    memset(&ctx->addr, 0, sizeof(ctx->addr));
    if (port <= 0 || port > 65535) return 0;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ctx->addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return sizeof(*v4);
    }
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ctx->addr;
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        return sizeof(*v6);
    }
    return 0;
}

/* The sends for packets [start, n): with GSO, a run of packets of one size (and a shorter
 * last one, as the kernel allows) is one send it cuts into datagrams, so a keyframe's packets
 * (a frame's payloads are split evenly, differing by one byte at most) cross the stack a few
 * times instead of once each; without it, a send per packet. Returns the number of sends. */
static int build_sends(tx_ctx *ctx, int start, int n, socklen_t addrlen) {
    int m = 0;
    for (int i = start; i < n; m++) {
        int size = ctx->lens[i], count = 1;
        if (ctx->gso) {
            int most = TX_GSO_MAX_BYTES / size;
            if (most > TX_GSO_MAX_SEGMENTS) most = TX_GSO_MAX_SEGMENTS;
            while (i + count < n && count < most && ctx->lens[i + count] == size) count++;
            if (i + count < n && count < most && ctx->lens[i + count] < size) count++;
        }
        struct msghdr *hdr = &ctx->msgs[m].msg_hdr;
        memset(&ctx->msgs[m], 0, sizeof(ctx->msgs[m]));
        hdr->msg_name = &ctx->addr;
        hdr->msg_namelen = addrlen;
        hdr->msg_iov = &ctx->iov[i];
        hdr->msg_iovlen = (size_t)count;
        if (count > 1) {
            hdr->msg_control = ctx->control[m].buf;
            hdr->msg_controllen = sizeof(ctx->control[m].buf);
            struct cmsghdr *cmsg = CMSG_FIRSTHDR(hdr);
            cmsg->cmsg_level = IPPROTO_UDP;
            cmsg->cmsg_type = UDP_SEGMENT;
            cmsg->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            uint16_t segment = (uint16_t)size;
            memcpy(CMSG_DATA(cmsg), &segment, sizeof(segment));
        }
        ctx->first[m] = i;
        i += count;
    }
    return m;
}

int tx_send_frame(tx_ctx *ctx, tx_protect_fn protect, void *session, int fd, const char *host,
                  int port, const uint8_t *header, int header_len, int first_seq,
                  const uint8_t *payloads, const int *lens, int n) {
    if (n < 0 || n > TX_MAX_PACKETS || header_len < 12) return -EINVAL;
    socklen_t addrlen = set_address(ctx, host, port);
    if (!addrlen) return -EINVAL;
    const uint8_t *at = payloads;
    for (int i = 0; i < n; i++) {
        if (lens[i] < 0 || header_len + lens[i] > TX_MAX_PACKET) return -EINVAL;
        uint8_t *packet = ctx->bufs[i];
        uint16_t seq = (uint16_t)(first_seq + i);
        memcpy(packet, header, (size_t)header_len);
        packet[2] = (uint8_t)(seq >> 8);
        packet[3] = (uint8_t)(seq & 0xFF);
        if (i == n - 1) packet[1] |= 0x80; /* the marker: the frame's last packet */
        memcpy(packet + header_len, at, (size_t)lens[i]);
        at += lens[i];
        int len = header_len + lens[i];
        int status = protect(session, packet, &len);
        if (status != 0) return -(100000 + status);
        ctx->lens[i] = len;
        ctx->iov[i].iov_base = packet;
        ctx->iov[i].iov_len = (size_t)len;
    }
    int done = 0; /* packets the kernel took */
    int m = build_sends(ctx, 0, n, addrlen), next = 0; /* the next send to make */
    while (next < m) {
        int k = sendmmsg(fd, ctx->msgs + next, (unsigned)(m - next), MSG_DONTWAIT);
        if (k < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;
            int refused = errno == EIO || errno == EINVAL || errno == EMSGSIZE ||
                          errno == ENOPROTOOPT || errno == EOPNOTSUPP;
            if (ctx->gso && refused && ctx->msgs[next].msg_hdr.msg_iovlen > 1) {
                ctx->gso = 0; /* this kernel or route cannot cut datagrams: one per packet */
                m = build_sends(ctx, done, n, addrlen);
                next = 0;
                continue;
            }
            return done ? done : -errno;
        }
        if (k == 0) break;
        next += k;
        done = next < m ? ctx->first[next] : n;
    }
    return done;
}

const uint8_t *tx_protected(tx_ctx *ctx, int i, int *len) {
    if (i < 0 || i >= TX_MAX_PACKETS) { *len = 0; return NULL; }
    *len = ctx->lens[i];
    return ctx->bufs[i];
}
