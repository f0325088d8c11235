/* SPDX-License-Identifier: GPL-2.0-only */
/* Non-blocking UDP and TCP sockets to an IPFIX collector, with TCP reconnect and back-off. */
#ifndef SOCKFLOW_EXPORT_TRANSPORT_H
#define SOCKFLOW_EXPORT_TRANSPORT_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "export/export.h"

/* TCP: back-off between connection attempts, doubled from MIN up to MAX. */
#define TRANSPORT_BACKOFF_MIN_MS 1000
#define TRANSPORT_BACKOFF_MAX_MS 30000
/* TCP: a connect still pending after this long is given up. */
#define TRANSPORT_CONNECT_TIMEOUT_MS 10000
/* TCP: unacknowledged data older than this breaks the connection (TCP_USER_TIMEOUT). */
#define TRANSPORT_USER_TIMEOUT_MS 30000
/* TCP: bytes of encoded messages not yet acknowledged before the caller should stop encoding. */
#define TRANSPORT_TCP_HIGH_WATER (1024 * 1024)

struct transport;

/*
 * What the transport has done; records are counted per message: UDP sent
 * when the datagram went out, TCP when the collector's kernel acknowledged
 * the whole message.
 */
struct transport_stats {
	uint64_t records_sent;
	uint64_t records_lost;	/* in messages dropped: send failed, not acknowledged when lost */
	uint64_t records_unconfirmed;	/* TCP: sent, but a reset says they may lie unread */
	uint64_t messages_sent;
	uint64_t send_errors;
	uint64_t reconnects;	/* TCP connections established */
};



/*
 * A transport to @host:@port (@kind COLLECTOR_UDP or COLLECTOR_TCP). An
 * address is used at once: UDP is ready, TCP connects from
 * transport__poll(). A host name is looked up in the background from
 * transport__poll(), again after a failed lookup (with the back-off) and,
 * for TCP, before every reconnection; until it resolves nothing is sent
 * (transport__send() counts the records lost). TCP tries the addresses in
 * turn. Returns 0 or -errno with a message in @msg.
 */
int transport__new(struct transport **out, enum collector_transport kind, const char *host,
		   const char *port, char *msg, size_t msg_len);

/*
 * TCP: advance the connection: start a connect once the back-off has
 * passed, finish one in progress, notice a collector that went away.
 * Returns 1 when a new connection has just come up (the caller must send
 * templates on it first), else 0. UDP: looks a host name up; 1 when the
 * socket has just come up (the templates go first), else 0.
 */
int transport__poll(struct transport *t, uint64_t now_ms);

/* 1 if messages can be handed over now: UDP always, TCP when connected. */
int transport__is_up(const struct transport *t);

/*
 * Hand over one complete IPFIX message holding @records data records.
 * UDP sends it as one datagram; TCP queues it and writes what the socket
 * takes now. Returns 0 or -errno; a message that cannot be sent is
 * counted lost, and a broken TCP connection is closed (retried by
 * transport__poll() after the back-off).
 */
int transport__send(struct transport *t, const uint8_t *msg, size_t len, uint32_t records);

/*
 * UDP: whether the collector refused a datagram (ICMP port unreachable:
 * nothing listened) since the last call, or the transport is not up (its
 * host name has not resolved): either way the collector has nothing of
 * what was sent. Clears it.
 */
bool transport__take_refused(struct transport *t);

/*
 * UDP: the largest datagram payload the route to the collector carries
 * unfragmented (its MTU less the IP and UDP headers), or -errno.
 */
int transport__udp_payload_max(const struct transport *t);

/*
 * UDP: how long a message to send: @want if not 0, else what the route
 * carries unfragmented, between 512 bytes and 8 KiB (1,400 when unknown).
 */
uint16_t transport__udp_message_max(const struct transport *t, uint32_t want);

/* TCP: write queued bytes without blocking. Returns 0 or -errno as transport__send(). */
int transport__write(struct transport *t);

/* TCP: bytes queued and not yet acknowledged by the collector's kernel (written or not). */
size_t transport__pending(const struct transport *t);

/*
 * At exit: a TCP collector that is down is tried again now and then at
 * least every TRANSPORT_BACKOFF_MIN_MS, not after a back-off of up to
 * TRANSPORT_BACKOFF_MAX_MS.
 */
void transport__hurry(struct transport *t, uint64_t now_ms);

/* At exit, time is up: TCP closes the connection; what is queued is counted lost. */
void transport__abandon(struct transport *t);

void transport__stats(const struct transport *t, struct transport_stats *st);

/* TCP: whether a connection died since the last call, and what it took; clears it. */
bool transport__take_drop(struct transport *t, struct export_drop *drop);

/*
 * Close and free; queued bytes not yet written are dropped, and messages
 * not yet acknowledged are counted neither sent nor lost. Accepts NULL.
 */
void transport__free(struct transport *t);

#endif
