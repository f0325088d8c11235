// SPDX-License-Identifier: GPL-2.0-only
/* IPFIX records: element definitions, spec arrays and the C structs they describe. */

/*
 * Biflow, not uniflow: each record is one RFC 5103 biflow, source =
 * client (the initiator, biflowDirection 1), forward counters client ->
 * server in octetDeltaCount/packetDeltaCount, server -> client in the
 * reverse elements (PEN 29305, same ids). Checked with the collectors we
 * test against:
 *   - nfdump 1.7.1 (nfcapd) maps 29305/1 and 29305/2 to its out bytes and
 *     out packets (its ipfixReverseMap turns them into postOctetDeltaCount
 *     23 / postPacketDeltaCount 24), so `nfdump -o "fmt:%ibyt %obyt %ipkt
 *     %opkt"` shows both directions right. Sending post*DeltaCount as well
 *     would fill the same nfdump fields twice and is wrong for everyone
 *     else: those count the same direction after a middlebox.
 *   - tshark 4.0 shows them as cflow.octets / cflow.packets "(Reverse ...)".
 *   - libfixbuf (ipfixDump) and other RFC 5103 collectors read them natively.
 * Uniflow (two records per connection) would double the record count,
 * split one connection across records and lose the client/server roles.
 *
 * Our own reverse element follows RFC 5103 section 6.2 for enterprise
 * elements: reverseSockflowPayloadOctets is sockflowPayloadOctets' id with
 * the 0x4000 bit set (32473/16385), as libfixbuf builds it for a
 * reversible element.
 */

#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>

#include "export/templates.h"

/*
 * Elements libfixbuf's model lacks. sockflowPayloadOctets is reversible:
 * libfixbuf then also defines reverseSockflowPayloadOctets with the same
 * PEN and the id's 0x4000 bit set (RFC 5103 section 6.2).
 * The ntop ids are nProbe's NetFlow v9 ids minus 57472.
 */
static fbInfoElement_t sockflow_elements[] = {
	FB_IE_INIT_FULL("sockflowPayloadOctets", TEMPLATES_PEN_SOCKFLOW, 1, 8,
			FB_IE_DELTACOUNTER | FB_UNITS_OCTETS | FB_IE_F_ENDIAN |
				FB_IE_F_REVERSIBLE,
			0, 0, FB_UINT_64,
			"transport payload octets, client to server (reverse: server to client)"),
	FB_IE_INIT_FULL("SRC_PROC_PID", TEMPLATES_PEN_NTOP, 168, 4,
			FB_IE_IDENTIFIER | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"client process id"),
	FB_IE_INIT_FULL("SRC_PROC_NAME", TEMPLATES_PEN_NTOP, 169, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING, "client process command name"),
	FB_IE_INIT_FULL("DST_PROC_PID", TEMPLATES_PEN_NTOP, 375, 4,
			FB_IE_IDENTIFIER | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"server process id"),
	FB_IE_INIT_FULL("DST_PROC_NAME", TEMPLATES_PEN_NTOP, 376, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING, "server process command name"),
	FB_IE_INIT_FULL("SRC_PROC_UID", TEMPLATES_PEN_NTOP, 425, 4,
			FB_IE_IDENTIFIER | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"client process user id"),
	FB_IE_INIT_FULL("DST_PROC_UID", TEMPLATES_PEN_NTOP, 426, 4,
			FB_IE_IDENTIFIER | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"server process user id"),
	FB_IE_NULL,
};

/* The elements of struct templates_flow4, in member order. */
fbInfoElementSpec_t templates_flow4_spec[] = {
	{ "flowStartMilliseconds", 8, 0 },
	{ "flowEndMilliseconds", 8, 0 },
	{ "octetDeltaCount", 8, 0 },
	{ "packetDeltaCount", 8, 0 },
	{ "reverseOctetDeltaCount", 8, 0 },
	{ "reversePacketDeltaCount", 8, 0 },
	{ "sockflowPayloadOctets", 8, 0 },
	{ "reverseSockflowPayloadOctets", 8, 0 },
	{ "SRC_PROC_NAME", FB_IE_VARLEN, 0 },
	{ "DST_PROC_NAME", FB_IE_VARLEN, 0 },
	{ "sourceIPv4Address", 4, 0 },
	{ "destinationIPv4Address", 4, 0 },
	{ "SRC_PROC_PID", 4, 0 },
	{ "DST_PROC_PID", 4, 0 },
	{ "SRC_PROC_UID", 4, 0 },
	{ "DST_PROC_UID", 4, 0 },
	{ "sourceTransportPort", 2, 0 },
	{ "destinationTransportPort", 2, 0 },
	{ "protocolIdentifier", 1, 0 },
	{ "tcpControlBits", 1, 0 },
	{ "flowEndReason", 1, 0 },
	{ "biflowDirection", 1, 0 },
	FB_IESPEC_NULL,
};

/* The elements of struct templates_flow6, in member order. */
fbInfoElementSpec_t templates_flow6_spec[] = {
	{ "flowStartMilliseconds", 8, 0 },
	{ "flowEndMilliseconds", 8, 0 },
	{ "octetDeltaCount", 8, 0 },
	{ "packetDeltaCount", 8, 0 },
	{ "reverseOctetDeltaCount", 8, 0 },
	{ "reversePacketDeltaCount", 8, 0 },
	{ "sockflowPayloadOctets", 8, 0 },
	{ "reverseSockflowPayloadOctets", 8, 0 },
	{ "SRC_PROC_NAME", FB_IE_VARLEN, 0 },
	{ "DST_PROC_NAME", FB_IE_VARLEN, 0 },
	{ "sourceIPv6Address", 16, 0 },
	{ "destinationIPv6Address", 16, 0 },
	{ "SRC_PROC_PID", 4, 0 },
	{ "DST_PROC_PID", 4, 0 },
	{ "SRC_PROC_UID", 4, 0 },
	{ "DST_PROC_UID", 4, 0 },
	{ "sourceTransportPort", 2, 0 },
	{ "destinationTransportPort", 2, 0 },
	{ "protocolIdentifier", 1, 0 },
	{ "tcpControlBits", 1, 0 },
	{ "flowEndReason", 1, 0 },
	{ "biflowDirection", 1, 0 },
	FB_IESPEC_NULL,
};

const char *const templates_described_elements[] = {
	"sockflowPayloadOctets",
	"reverseSockflowPayloadOctets",
	"SRC_PROC_PID",
	"SRC_PROC_NAME",
	"DST_PROC_PID",
	"DST_PROC_NAME",
	"SRC_PROC_UID",
	"DST_PROC_UID",
	NULL,
};

/* The member order leaves no gaps, so neither struct needs paddingOctets. */
_Static_assert(sizeof(struct templates_flow4) ==
		       8 * 8 + 2 * sizeof(fbVarfield_t) + 6 * 4 + 2 * 2 + 4 * 1,
	       "struct templates_flow4 has hidden padding");
_Static_assert(sizeof(struct templates_flow6) ==
		       8 * 8 + 2 * sizeof(fbVarfield_t) + 2 * 16 + 4 * 4 + 2 * 2 + 4 * 1,
	       "struct templates_flow6 has hidden padding");

void templates__add_elements(fbInfoModel_t *model)
{
	fbInfoModelAddElementArray(model, sockflow_elements);
}

/* The fixed-length part of a record of @spec, on the wire. */
static size_t fixed_len(const fbInfoElementSpec_t *spec)
{
	size_t len = 0;

	for (; spec->name; spec++)
		if (spec->len_override != FB_IE_VARLEN)
			len += spec->len_override;
	return len;
}

/* A varfield on the wire: RFC 7011 section 7, a 1-byte length below 255, else 3 bytes. */
static size_t varfield_len(const fbVarfield_t *v)
{
	return (v->len < 255 ? 1 : 3) + v->len;
}

size_t templates__flow4_encoded_len(const struct templates_flow4 *rec)
{
	return fixed_len(templates_flow4_spec) + varfield_len(&rec->SRC_PROC_NAME) +
	       varfield_len(&rec->DST_PROC_NAME);
}

size_t templates__flow6_encoded_len(const struct templates_flow6 *rec)
{
	return fixed_len(templates_flow6_spec) + varfield_len(&rec->SRC_PROC_NAME) +
	       varfield_len(&rec->DST_PROC_NAME);
}

/* A process name as a varfield; the empty string when the end is unknown. */
static void fill_name(fbVarfield_t *v, const struct flow_process *p)
{
	v->buf = (uint8_t *)p->name;
	v->len = p->pid ? strnlen(p->name, sizeof(p->name)) : 0;
}

/* The members both structs share, whatever the address family. */
#define FILL_COMMON(rec, r)                                                   \
	do {                                                                  \
		(rec)->flowStartMilliseconds = (r)->start_ms;                 \
		(rec)->flowEndMilliseconds = (r)->end_ms;                     \
		(rec)->octetDeltaCount = (r)->fwd.octets;                     \
		(rec)->packetDeltaCount = (r)->fwd.packets;                   \
		(rec)->reverseOctetDeltaCount = (r)->rev.octets;              \
		(rec)->reversePacketDeltaCount = (r)->rev.packets;            \
		(rec)->sockflowPayloadOctets = (r)->fwd.payload;              \
		(rec)->reverseSockflowPayloadOctets = (r)->rev.payload;       \
		fill_name(&(rec)->SRC_PROC_NAME, &(r)->client);               \
		fill_name(&(rec)->DST_PROC_NAME, &(r)->server);               \
		(rec)->SRC_PROC_PID = (r)->client.pid;                        \
		(rec)->DST_PROC_PID = (r)->server.pid;                        \
		(rec)->SRC_PROC_UID = (r)->client.pid ? (r)->client.uid : 0;  \
		(rec)->DST_PROC_UID = (r)->server.pid ? (r)->server.uid : 0;  \
		(rec)->sourceTransportPort = (r)->key.client_port;            \
		(rec)->destinationTransportPort = (r)->key.server_port;       \
		(rec)->protocolIdentifier = (r)->key.protocol;                \
		(rec)->tcpControlBits = (r)->tcp_flags;                       \
		(rec)->flowEndReason = (r)->end_reason;                       \
		(rec)->biflowDirection = 1;                                   \
	} while (0)

void templates__fill_flow4(struct templates_flow4 *rec, const struct flow_record *r)
{
	uint32_t a;

	FILL_COMMON(rec, r);
	memcpy(&a, r->key.client_addr, sizeof(a));
	rec->sourceIPv4Address = ntohl(a);
	memcpy(&a, r->key.server_addr, sizeof(a));
	rec->destinationIPv4Address = ntohl(a);
}

void templates__fill_flow6(struct templates_flow6 *rec, const struct flow_record *r)
{
	FILL_COMMON(rec, r);
	memcpy(rec->sourceIPv6Address, r->key.client_addr, 16);
	memcpy(rec->destinationIPv6Address, r->key.server_addr, 16);
}
