/* SPDX-License-Identifier: GPL-2.0-only */
/* IPFIX records: element definitions, spec arrays and the C structs they describe. */
#ifndef SOCKFLOW_EXPORT_TEMPLATES_H
#define SOCKFLOW_EXPORT_TEMPLATES_H

#include <stddef.h>
#include <stdint.h>

#include <fixbuf/public.h>

#include "flow/record.h"

/* RFC 5612 documentation PEN, used until sockflow has its own. */
#define TEMPLATES_PEN_SOCKFLOW 32473
/* ntop: nProbe's process elements, decoded by Wireshark as cflow.pie.ntop.*. */
#define TEMPLATES_PEN_NTOP 35632

/* Template IDs, the same for the internal and the external template. */
#define TEMPLATES_TID_FLOW4 0x0100
#define TEMPLATES_TID_FLOW6 0x0101
/* RFC 5610 information element type records (fbInfoElementAllocTypeTemplate()). */
#define TEMPLATES_TID_IE_TYPE 0x0102

/*
 * One biflow (RFC 5103) between an IPv4 client ("source") and server
 * ("destination"). Forward counters are client -> server, the reverse*
 * ones server -> client. Integers in host byte order, as libfixbuf's
 * transcoder expects; the IPv4 addresses too. The names point into the
 * flow_record they were filled from (not NUL-terminated on read).
 * Members are ordered so that no padding is needed; the spec array
 * flow4_spec in templates.c lists the same elements in the same order.
 */
struct templates_flow4 {
	uint64_t flowStartMilliseconds;
	uint64_t flowEndMilliseconds;
	uint64_t octetDeltaCount;
	uint64_t packetDeltaCount;
	uint64_t reverseOctetDeltaCount;
	uint64_t reversePacketDeltaCount;
	uint64_t sockflowPayloadOctets;
	uint64_t reverseSockflowPayloadOctets;
	fbVarfield_t SRC_PROC_NAME;
	fbVarfield_t DST_PROC_NAME;
	uint32_t sourceIPv4Address;
	uint32_t destinationIPv4Address;
	uint32_t SRC_PROC_PID;
	uint32_t DST_PROC_PID;
	uint32_t SRC_PROC_UID;
	uint32_t DST_PROC_UID;
	uint16_t sourceTransportPort;
	uint16_t destinationTransportPort;
	uint8_t protocolIdentifier;
	uint8_t tcpControlBits;		/* reduced-size encoding of unsigned16 */
	uint8_t flowEndReason;
	uint8_t biflowDirection;	/* always 1: initiator */
};

/* The same biflow between IPv6 ends; addresses in network byte order. */
struct templates_flow6 {
	uint64_t flowStartMilliseconds;
	uint64_t flowEndMilliseconds;
	uint64_t octetDeltaCount;
	uint64_t packetDeltaCount;
	uint64_t reverseOctetDeltaCount;
	uint64_t reversePacketDeltaCount;
	uint64_t sockflowPayloadOctets;
	uint64_t reverseSockflowPayloadOctets;
	fbVarfield_t SRC_PROC_NAME;
	fbVarfield_t DST_PROC_NAME;
	uint8_t sourceIPv6Address[16];
	uint8_t destinationIPv6Address[16];
	uint32_t SRC_PROC_PID;
	uint32_t DST_PROC_PID;
	uint32_t SRC_PROC_UID;
	uint32_t DST_PROC_UID;
	uint16_t sourceTransportPort;
	uint16_t destinationTransportPort;
	uint8_t protocolIdentifier;
	uint8_t tcpControlBits;
	uint8_t flowEndReason;
	uint8_t biflowDirection;
};

/* Spec arrays for the structs above, FB_IESPEC_NULL-terminated. */
extern fbInfoElementSpec_t templates_flow4_spec[];
extern fbInfoElementSpec_t templates_flow6_spec[];

/* Add sockflow's and ntop's elements to @model (fbInfoModelAlloc() has IANA's and 29305's). */
void templates__add_elements(fbInfoModel_t *model);

/*
 * Names of the non-IANA elements the templates use, NULL-terminated:
 * each is described in-band with an RFC 5610 type record.
 */
extern const char *const templates_described_elements[];

/* Bytes @rec takes in an IPFIX data set (the varfields' lengths vary). */
size_t templates__flow4_encoded_len(const struct templates_flow4 *rec);
size_t templates__flow6_encoded_len(const struct templates_flow6 *rec);

/* Fill @rec from @r (family AF_INET); @rec borrows @r's process names. */
void templates__fill_flow4(struct templates_flow4 *rec, const struct flow_record *r);

/* Fill @rec from @r (family AF_INET6); @rec borrows @r's process names. */
void templates__fill_flow6(struct templates_flow6 *rec, const struct flow_record *r);

#endif
