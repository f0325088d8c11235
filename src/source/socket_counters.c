// SPDX-License-Identifier: GPL-2.0-only
/* IP-layer octets of a TCP connection from the segment and byte counts TCP keeps. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "source/diag.h"

#include "source/socket_counters.h"

#define IPV4_HEADER 20
#define IPV6_HEADER 40
#define TCP_HEADER 20
#define TCP_TIMESTAMP_OPTION 12		/* aligned: NOP, NOP, timestamps (10) */
/*
 * What a SYN (and a SYN-ACK) carries beyond the usual header, as Linux
 * sends it: MSS 4, SACK permitted 2, window scale 3 and padding, the
 * timestamps either way.
 */
#define SYN_EXTRA_WITH_TIMESTAMPS 8	/* 40-byte header against 32 */
#define SYN_EXTRA_WITHOUT 12		/* 32-byte header against 20 */

/* Whether the packets of the connection @t are IPv6 ones. */
static bool ipv6_packets(const struct sf_tuple *t)
{
	struct in6_addr a;

	if (t->family != AF_INET6)
		return false;
	memcpy(&a, t->remote_addr, sizeof(a));
	return !IN6_IS_ADDR_V4MAPPED(&a);
}

void socket_counters__estimate(struct sf_counters *c, const struct sf_tuple *t, uint32_t flags)
{
	bool timestamps = flags & SF_FLAG_TCP_TIMESTAMPS;
	uint64_t ip = ipv6_packets(t) ? IPV6_HEADER : IPV4_HEADER;
	uint64_t header = ip + TCP_HEADER + (timestamps ? TCP_TIMESTAMP_OPTION : 0);
	uint64_t syn_extra = timestamps ? SYN_EXTRA_WITH_TIMESTAMPS : SYN_EXTRA_WITHOUT;
	int d;

	for (d = 0; d < 2; d++) {
		if (!c->packets[d]) {
			c->octets[d] = c->payload[d];
			continue;
		}
		if (d == SF_DIR_IN && !(flags & SF_FLAG_ESTABLISHED)) {
			c->octets[d] = c->payload[d] + c->packets[d] * (ip + TCP_HEADER);
			continue;
		}
		c->octets[d] = c->payload[d] + c->packets[d] * header + syn_extra;
	}
}

/* States a socket is in once the peer's FIN has come. */
static bool fin_received(uint8_t state)
{
	return state == TCP_CLOSE_WAIT || state == TCP_LAST_ACK || state == TCP_CLOSING ||
	       state == TCP_TIME_WAIT;
}

void socket_counters__from_diag(struct sf_counters *c, const struct diag_socket *s)
{
	memset(c, 0, sizeof(*c));
	c->packets[SF_DIR_OUT] = s->info.segs_out;
	c->packets[SF_DIR_IN] = s->info.segs_in;
	c->payload[SF_DIR_OUT] = s->info.bytes_sent;
	c->payload[SF_DIR_IN] = s->info.bytes_received;
	/* The peer's FIN took a sequence number, and bytes_received counted it. */
	if (fin_received(s->state) && c->payload[SF_DIR_IN])
		c->payload[SF_DIR_IN]--;
	socket_counters__estimate(c, &s->tuple,
				  (s->info.timestamps ? SF_FLAG_TCP_TIMESTAMPS : 0) |
					  (s->state == TCP_SYN_SENT ? 0 : SF_FLAG_ESTABLISHED));
}
