/* The relay's send side in C: SRTP protect in place, then sendmmsg (see tx.h). What it sends
 * is checked byte for byte against pylibsrtp by tests/streaming/test_native_send.py. */
#define _GNU_SOURCE
#include "tx.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TX_TRAILER 144 /* SRTP_MAX_TRAILER_LEN of libsrtp 2.x: tag and MKI */
#define TX_SLOT (TX_MAX_PACKET + TX_TRAILER)

struct tx_ctx {
    uint8_t bufs[TX_MAX_PACKETS][TX_SLOT];
    int lens[TX_MAX_PACKETS];
    struct iovec iov[TX_MAX_PACKETS];
    struct mmsghdr msgs[TX_MAX_PACKETS];
    struct sockaddr_storage addr;
};

tx_ctx *tx_new(void) { return calloc(1, sizeof(tx_ctx)); }

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
        memset(&ctx->msgs[i], 0, sizeof(ctx->msgs[i]));
        ctx->msgs[i].msg_hdr.msg_name = &ctx->addr;
        ctx->msgs[i].msg_hdr.msg_namelen = addrlen;
        ctx->msgs[i].msg_hdr.msg_iov = &ctx->iov[i];
        ctx->msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = 0;
    while (sent < n) {
        int k = sendmmsg(fd, ctx->msgs + sent, (unsigned)(n - sent), MSG_DONTWAIT);
        if (k < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;
            return sent ? sent : -errno;
        }
        if (k == 0) break;
        sent += k;
    }
    return sent;
}

const uint8_t *tx_protected(tx_ctx *ctx, int i, int *len) {
    if (i < 0 || i >= TX_MAX_PACKETS) { *len = 0; return NULL; }
    *len = ctx->lens[i];
    return ctx->bufs[i];
}
