// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: canonical flow keys from socket tuples. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include "flow/key.h"
#include "sockflow.h"

static struct sf_tuple tuple(int family, const char *local, uint16_t lport, const char *remote,
			     uint16_t rport)
{
	struct sf_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = family;
	t.protocol = 6;
	t.netns_ino = 4026531840u;
	g_assert_cmpint(inet_pton(family, local, t.local_addr), ==, 1);
	g_assert_cmpint(inet_pton(family, remote, t.remote_addr), ==, 1);
	t.local_port = lport;
	t.remote_port = rport;
	return t;
}

/* The client's socket and the server's socket of one connection agree. */
static void test_both_ends_same_key(void)
{
	struct sf_tuple cl = tuple(AF_INET, "127.0.0.1", 40000, "127.0.0.2", 80);
	struct sf_tuple sv = tuple(AF_INET, "127.0.0.2", 80, "127.0.0.1", 40000);
	struct flow_key a, b;
	char buf[64];

	flow_key__from_tuple(&a, &cl, SF_ROLE_CLIENT);
	flow_key__from_tuple(&b, &sv, SF_ROLE_SERVER);
	g_assert_true(flow_key__equal(&a, &b));
	g_assert_cmpuint(flow_key__hash(&a), ==, flow_key__hash(&b));
	g_assert_cmpuint(a.client_port, ==, 40000);
	g_assert_cmpuint(a.server_port, ==, 80);
	g_assert_cmpstr(flow_key__format_addr(&a, false, buf, sizeof(buf)), ==, "127.0.0.1:40000");
	g_assert_cmpstr(flow_key__format_addr(&a, true, buf, sizeof(buf)), ==, "127.0.0.2:80");
}

/* Swapping roles must give a different key: direction comes from the initiator. */
static void test_direction_matters(void)
{
	struct sf_tuple t = tuple(AF_INET, "10.0.0.1", 5000, "10.0.0.2", 6000);
	struct flow_key a, b;

	flow_key__from_tuple(&a, &t, SF_ROLE_CLIENT);
	flow_key__from_tuple(&b, &t, SF_ROLE_SERVER);
	g_assert_false(flow_key__equal(&a, &b));
	g_assert_cmpuint(b.client_port, ==, 6000);
}

/* Garbage after the IPv4 address in the tuple does not leak into the key. */
static void test_ipv4_tail_cleared(void)
{
	struct sf_tuple t = tuple(AF_INET, "10.0.0.1", 1, "10.0.0.2", 2);
	struct sf_tuple u = t;
	struct flow_key a, b;

	memset(u.local_addr + 4, 0xaa, 12);
	memset(u.remote_addr + 4, 0x55, 12);
	flow_key__from_tuple(&a, &t, SF_ROLE_CLIENT);
	flow_key__from_tuple(&b, &u, SF_ROLE_CLIENT);
	g_assert_true(flow_key__equal(&a, &b));
}

/* A dual-stack server seeing an IPv4 client matches the client's IPv4 socket. */
static void test_v4mapped_folds(void)
{
	struct sf_tuple cl = tuple(AF_INET, "192.0.2.1", 33000, "192.0.2.9", 443);
	struct sf_tuple sv = tuple(AF_INET6, "::ffff:192.0.2.9", 443, "::ffff:192.0.2.1", 33000);
	struct flow_key a, b;

	flow_key__from_tuple(&a, &cl, SF_ROLE_CLIENT);
	flow_key__from_tuple(&b, &sv, SF_ROLE_SERVER);
	g_assert_cmpuint(b.family, ==, AF_INET);
	g_assert_true(flow_key__equal(&a, &b));
}

static void test_ipv6(void)
{
	struct sf_tuple cl = tuple(AF_INET6, "2001:db8::1", 50000, "2001:db8::2", 22);
	struct sf_tuple sv = tuple(AF_INET6, "2001:db8::2", 22, "2001:db8::1", 50000);
	struct flow_key a, b;
	char buf[64];

	flow_key__from_tuple(&a, &cl, SF_ROLE_CLIENT);
	flow_key__from_tuple(&b, &sv, SF_ROLE_SERVER);
	g_assert_cmpuint(a.family, ==, AF_INET6);
	g_assert_true(flow_key__equal(&a, &b));
	g_assert_cmpstr(flow_key__format_addr(&a, true, buf, sizeof(buf)), ==, "[2001:db8::2]:22");
}

/* A connection between two namespaces over real addresses is one conversation. */
static void test_netns_joins_real_addresses(void)
{
	struct sf_tuple cl = tuple(AF_INET, "10.88.0.5", 41000, "10.88.0.1", 8080);
	struct sf_tuple sv = tuple(AF_INET, "10.88.0.1", 8080, "10.88.0.5", 41000);
	struct flow_key a, b;

	sv.netns_ino = cl.netns_ino + 7;
	flow_key__from_tuple(&a, &cl, SF_ROLE_CLIENT);
	flow_key__from_tuple(&b, &sv, SF_ROLE_SERVER);
	g_assert_true(flow_key__equal(&a, &b));
}

/* The same loopback tuple in two network namespaces is two conversations. */
static void test_netns_separates(void)
{
	struct sf_tuple t = tuple(AF_INET, "127.0.0.1", 1000, "127.0.0.1", 2000);
	struct sf_tuple u = t;
	struct flow_key a, b;

	u.netns_ino++;
	flow_key__from_tuple(&a, &t, SF_ROLE_CLIENT);
	flow_key__from_tuple(&b, &u, SF_ROLE_CLIENT);
	g_assert_false(flow_key__equal(&a, &b));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/key/both-ends-same-key", test_both_ends_same_key);
	g_test_add_func("/key/direction-matters", test_direction_matters);
	g_test_add_func("/key/ipv4-tail-cleared", test_ipv4_tail_cleared);
	g_test_add_func("/key/v4mapped-folds", test_v4mapped_folds);
	g_test_add_func("/key/ipv6", test_ipv6);
	g_test_add_func("/key/netns-separates", test_netns_separates);
	g_test_add_func("/key/netns-joins-real-addresses", test_netns_joins_real_addresses);
	return g_test_run();
}
