/* SPDX-License-Identifier: GPL-2.0-only */
/* Canonical flow keys: both local ends of a connection map to one key. */
#ifndef SOCKFLOW_FLOW_KEY_H
#define SOCKFLOW_FLOW_KEY_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/record.h"

struct sf_tuple;

/*
 * Build the key of the conversation a socket belongs to. @role is the
 * socket's sf_role: a client's local address is the flow's source, a
 * server's local address its destination. IPv4-mapped IPv6 addresses are
 * folded into AF_INET so a dual-stack server and an IPv4 client agree.
 */
void flow_key__from_tuple(struct flow_key *key, const struct sf_tuple *t, int role);

uint32_t flow_key__hash(const struct flow_key *key);
bool flow_key__equal(const struct flow_key *a, const struct flow_key *b);

/* "1.2.3.4:80" or "[::1]:80" into @buf; returns @buf. */
const char *flow_key__format_addr(const struct flow_key *key, bool server, char *buf, size_t len);

#endif
