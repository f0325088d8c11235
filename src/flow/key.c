// SPDX-License-Identifier: GPL-2.0-only
/* Canonical flow keys from socket tuples. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "flow/key.h"
#include "sockflow.h"

static bool is_v4mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

static void fold_v4mapped(uint8_t *a)
{
	memmove(a, a + 12, 4);
	memset(a + 4, 0, 12);
}

static bool is_loopback(int family, const uint8_t *a)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	if (family == AF_INET)
		return a[0] == 127;
	return memcmp(a, v6_loopback, 16) == 0;
}

void flow_key__from_tuple(struct flow_key *key, const struct sf_tuple *t, int role)
{
	const uint8_t *client = role == SF_ROLE_CLIENT ? t->local_addr : t->remote_addr;
	const uint8_t *server = role == SF_ROLE_CLIENT ? t->remote_addr : t->local_addr;

	memset(key, 0, sizeof(*key));
	key->family = t->family == AF_INET6 ? AF_INET6 : AF_INET;
	key->protocol = t->protocol;
	key->netns_ino = t->netns_ino;
	key->client_port = role == SF_ROLE_CLIENT ? t->local_port : t->remote_port;
	key->server_port = role == SF_ROLE_CLIENT ? t->remote_port : t->local_port;
	memcpy(key->client_addr, client, 16);
	memcpy(key->server_addr, server, 16);
	if (key->family == AF_INET) {
		memset(key->client_addr + 4, 0, 12);
		memset(key->server_addr + 4, 0, 12);
	} else if (is_v4mapped(key->client_addr) && is_v4mapped(key->server_addr)) {
		fold_v4mapped(key->client_addr);
		fold_v4mapped(key->server_addr);
		key->family = AF_INET;
	}
	/*
	 * Loopback addresses mean something only inside their namespace; any
	 * other address pair names one conversation host-wide, so the two ends
	 * of a connection between namespaces (container to host, container to
	 * container) join into one flow.
	 */
	if (!is_loopback(key->family, key->client_addr) &&
	    !is_loopback(key->family, key->server_addr))
		key->netns_ino = 0;
}

/*
 * Multiply-xorshift over the key's 64-bit words: every byte, padding
 * included, is defined. Called for every event, so words, not bytes.
 */
uint32_t flow_key__hash(const struct flow_key *key)
{
	uint64_t w, h = 0x9e3779b97f4a7c15ull;
	size_t i;

	_Static_assert(sizeof(*key) % sizeof(w) == 0, "flow_key is whole 64-bit words");
	for (i = 0; i < sizeof(*key); i += sizeof(w)) {
		memcpy(&w, (const uint8_t *)key + i, sizeof(w));
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

bool flow_key__equal(const struct flow_key *a, const struct flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

const char *flow_key__format_addr(const struct flow_key *key, bool server, char *buf, size_t len)
{
	const uint8_t *addr = server ? key->server_addr : key->client_addr;
	uint16_t port = server ? key->server_port : key->client_port;
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(key->family, addr, ip, sizeof(ip));
	if (key->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, port);
	else
		snprintf(buf, len, "%s:%u", ip, port);
	return buf;
}
