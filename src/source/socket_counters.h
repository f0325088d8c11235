/* SPDX-License-Identifier: GPL-2.0-only */
/* TCP counted from its sockets' own counters (mechanism tcp_socket_counters): the estimate. */
#ifndef SOCKFLOW_SOURCE_SOCKET_COUNTERS_H
#define SOCKFLOW_SOURCE_SOCKET_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "sockflow.h"

/*
 * Fill @c's octets from its packets (TCP segments) and payload bytes, for
 * one end of the connection @t (an AF_INET6 socket with IPv4-mapped
 * addresses sends IPv4 packets); @flags says
 * whether it uses TCP timestamps (SF_FLAG_TCP_TIMESTAMPS) and got past the
 * handshake (SF_FLAG_ESTABLISHED). Every segment is taken to carry the
 * connection's usual headers, and the SYN a few option bytes more; what a
 * connection that never opened received can only be a bare reset. SACK
 * blocks and other rare options are not seen, so octets may come out a
 * little low. Packets and payload are TCP's own counts, left as they are.
 */
void socket_counters__estimate(struct sf_counters *c, const struct sf_tuple *t, uint32_t flags);

struct diag_socket;

/* @c from the TCP_INFO of a sock_diag poll of @s, estimated as above. */
void socket_counters__from_diag(struct sf_counters *c, const struct diag_socket *s);

#endif
