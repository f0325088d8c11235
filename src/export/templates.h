/* SPDX-License-Identifier: GPL-2.0-only */
/* IPFIX records: element definitions, spec arrays and the C structs they describe. */
#ifndef SOCKFLOW_EXPORT_TEMPLATES_H
#define SOCKFLOW_EXPORT_TEMPLATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fixbuf/public.h>

#include "export/applications.h"
#include "export/export.h"
#include "export/field_list.h"
#include "flow/record.h"

/*
 * sockflow's own elements go under a configurable PEN ([export]
 * enterprise_id); this default is RFC 5612's documentation PEN, used
 * until sockflow has a PEN of its own.
 */
#define TEMPLATES_PEN_DEFAULT 32473
/* ntop: nProbe's process elements, decoded by Wireshark as cflow.pie.ntop.*. */
#define TEMPLATES_PEN_NTOP 35632

/* Template IDs, the same for the internal and the external template. */
#define TEMPLATES_TID_FLOW4 0x0100
#define TEMPLATES_TID_FLOW6 0x0101
/* RFC 5610 information element type records (fbInfoElementAllocTypeTemplate()). */
#define TEMPLATES_TID_IE_TYPE 0x0102
/* The loss counters, an options template scoped by observationDomainId. */
#define TEMPLATES_TID_LOSS_STATS 0x0103
/* applicationId -> name and description, an options template (only with applicationId). */
#define TEMPLATES_TID_APPLICATION 0x0104

/* Elements in the full records, and at most in an exported template. */
#define TEMPLATES_MAX_ELEMENTS 96

/*
 * The two ends' processes, the part of a record both families share.
 * Source = client (the initiator), destination = server, for ntop's
 * SRC_* / DST_* elements and for sockflow's own sockflowSource* /
 * sockflowDestination* ones alike. Integers in host byte order. The
 * varfields point into the flow_record they were filled from (not
 * NUL-terminated); an end that is not a local process (pid 0) has every
 * string empty and every number 0. Ordered so that no padding is needed;
 * TEMPLATES_ENDS_SPEC in templates.c lists the same elements in the same
 * order.
 */
struct templates_ends {
	uint64_t sockflowSourceCgroupId;
	uint64_t sockflowDestinationCgroupId;
	fbVarfield_t SRC_PROC_NAME;
	fbVarfield_t DST_PROC_NAME;
	fbVarfield_t SRC_PROC_USER_NAME;
	fbVarfield_t DST_PROC_USER_NAME;
	fbVarfield_t SRC_FATHER_PROC_NAME;
	fbVarfield_t DST_FATHER_PROC_NAME;
	fbVarfield_t SRC_PROC_CMDLINE;
	fbVarfield_t DST_PROC_CMDLINE;
	fbVarfield_t SRC_PROC_CONTAINER_ID;
	fbVarfield_t DST_PROC_CONTAINER_ID;
	fbVarfield_t sockflowSourceExecutable;
	fbVarfield_t sockflowDestinationExecutable;
	fbVarfield_t sockflowSourceContainerName;
	fbVarfield_t sockflowDestinationContainerName;
	fbVarfield_t sockflowSourceContainerRuntime;
	fbVarfield_t sockflowDestinationContainerRuntime;
	fbVarfield_t sockflowSourceContainerImage;
	fbVarfield_t sockflowDestinationContainerImage;
	fbVarfield_t sockflowSourcePodName;
	fbVarfield_t sockflowDestinationPodName;
	fbVarfield_t sockflowSourcePodNamespace;
	fbVarfield_t sockflowDestinationPodNamespace;
	fbVarfield_t sockflowSourcePodUid;
	fbVarfield_t sockflowDestinationPodUid;
	fbVarfield_t sockflowSourceCgroupPath;
	fbVarfield_t sockflowDestinationCgroupPath;
	uint32_t SRC_PROC_PID;
	uint32_t DST_PROC_PID;
	uint32_t SRC_PROC_UID;
	uint32_t DST_PROC_UID;
	uint32_t SRC_FATHER_PROC_PID;
	uint32_t DST_FATHER_PROC_PID;
	uint32_t sockflowSourceNetnsInode;
	uint32_t sockflowDestinationNetnsInode;
};

/*
 * TCP's view of the path from each local end (TEMPLATES_QUALITY_SPEC):
 * ntop's retransmission and latency elements and sockflow's own. 0 when
 * the end is not local, or for UDP. paddingOctets is internal only.
 */
struct templates_quality {
	uint32_t RETRANSMITTED_IN_PKTS;		/* client's retransmitted segments */
	uint32_t RETRANSMITTED_OUT_PKTS;	/* server's */
	uint32_t CLIENT_NW_LATENCY_MS;
	uint32_t SERVER_NW_LATENCY_MS;
	uint32_t sockflowSourceRttMicroseconds;
	uint32_t sockflowDestinationRttMicroseconds;
	uint32_t sockflowSourceRttVarMicroseconds;
	uint32_t sockflowDestinationRttVarMicroseconds;
	uint32_t sockflowSourceLostSegments;
	uint32_t sockflowDestinationLostSegments;
	uint8_t sockflowSourceResetsSent;
	uint8_t sockflowDestinationResetsSent;
	uint8_t sockflowSourceResetsReceived;
	uint8_t sockflowDestinationResetsReceived;
	uint8_t sockflowFlowStartUnknown;
	uint8_t paddingOctets[3];
};

/* The counters both flow structs start with (TEMPLATES_COUNTERS_SPEC). */
struct templates_counters {
	uint64_t flowStartMilliseconds;
	uint64_t flowEndMilliseconds;
	uint64_t octetDeltaCount;
	uint64_t packetDeltaCount;
	uint64_t reverseOctetDeltaCount;
	uint64_t reversePacketDeltaCount;
	uint64_t sockflowPayloadOctets;
	uint64_t reverseSockflowPayloadOctets;
};

/* The fields both flow structs end with (TEMPLATES_TAIL_SPEC). */
struct templates_tail {
	uint16_t sourceTransportPort;
	uint16_t destinationTransportPort;
	uint16_t postNAPTSourceTransportPort;		/* 0: not translated */
	uint16_t postNAPTDestinationTransportPort;
	uint8_t protocolIdentifier;
	uint8_t tcpControlBits;		/* reduced-size encoding of unsigned16 */
	uint8_t flowEndReason;
	uint8_t biflowDirection;	/* 1: source is the initiator; 2: uniflow, the responder */
	uint8_t applicationId[APPLICATIONS_ID_LEN];	/* all 0: no local end */
	uint8_t paddingOctets[3];	/* internal only */
};

/*
 * One biflow (RFC 5103) between an IPv4 client ("source") and server
 * ("destination"): the full internal record. Forward counters are client
 * -> server, the reverse* ones server -> client. Integers in host byte
 * order, as libfixbuf's transcoder expects; the IPv4 addresses too.
 * Members are ordered so that no padding is needed; the spec array
 * templates_flow4_spec in templates.c lists the same elements in the
 * same order. What goes on the wire is the subset a field list chooses.
 */
struct templates_flow4 {
	struct templates_counters counters;
	struct templates_ends ends;
	struct templates_quality quality;
	uint32_t sourceIPv4Address;
	uint32_t destinationIPv4Address;
	uint32_t postNATSourceIPv4Address;		/* 0: not translated */
	uint32_t postNATDestinationIPv4Address;
	struct templates_tail tail;
};

/* The same biflow between IPv6 ends; addresses in network byte order. */
struct templates_flow6 {
	struct templates_counters counters;
	struct templates_ends ends;
	struct templates_quality quality;
	uint8_t sourceIPv6Address[16];
	uint8_t destinationIPv6Address[16];
	uint8_t postNATSourceIPv6Address[16];		/* all zero: not translated */
	uint8_t postNATDestinationIPv6Address[16];
	struct templates_tail tail;
};

/*
 * One options record (RFC 7011 section 3.4.2.2) of what an exporter has
 * sent and what sockflow has lost, totals since start, in host byte
 * order. Scope: the observation domain the record's message carries. The
 * scope must come first in the template; paddingOctets keeps the
 * counters aligned in the struct and is not sent (its spec flag leaves
 * it out of the external template). templates_loss_stats_spec lists the
 * same elements in the same order.
 */
struct templates_loss_stats {
	uint32_t observationDomainId;			/* scope */
	uint8_t sockflowTcpCountsEstimated;
	uint8_t paddingOctets[3];
	uint64_t exportedMessageTotalCount;		/* IANA 41 */
	uint64_t exportedFlowRecordTotalCount;		/* IANA 42 */
	uint64_t notSentFlowTotalCount;			/* IANA 166: records lost here */
	uint64_t sockflowRingbufLostEventTotalCount;
	uint64_t sockflowProcessLostEventTotalCount;
	uint64_t sockflowUntrackedSocketTotalCount;
	uint64_t sockflowHandshakeNotKeptTotalCount;
	uint64_t sockflowEvictedFlowTotalCount;
	uint64_t sockflowFilteredFlowTotalCount;
	uint64_t sockflowUnconfirmedFlowTotalCount;	/* records a TCP reset left in doubt */
};

/*
 * One application's mapping (RFC 6759 section 5.2), an options record
 * scoped by observationDomainId as the way nfcapd 1.7.1 reads it (not by
 * applicationId, which it cannot take as scope; fixed-length strings;
 * sent each in a data set of its own: it reads the first record of a
 * set). paddingOctets is internal only.
 */
struct templates_application {
	uint32_t observationDomainId;			/* scope */
	uint8_t applicationId[APPLICATIONS_ID_LEN];
	char applicationName[APPLICATIONS_NAME_LEN];		/* NUL-padded */
	char applicationDescription[APPLICATIONS_DESCRIPTION_LEN];
	uint8_t paddingOctets[3];
};

/* Spec flag of elements only the internal template has (padding). */
#define TEMPLATES_SPEC_INTERNAL_ONLY 1

/* Spec arrays of the full structs above, FB_IESPEC_NULL-terminated. */
extern fbInfoElementSpec_t templates_flow4_spec[];
extern fbInfoElementSpec_t templates_flow6_spec[];
/* Append with flags UINT32_MAX for the internal template, 0 for the external one. */
extern fbInfoElementSpec_t templates_loss_stats_spec[];
extern fbInfoElementSpec_t templates_application_spec[];

/* sockflow's own elements of the loss stats record, NULL-terminated. */
extern const char *const templates_loss_stats_described[];

enum templates_family {
	TEMPLATES_FLOW4,
	TEMPLATES_FLOW6,
	TEMPLATES_N_FAMILIES,
};

/* A varfield of the external template: where it sits in the full struct. */
struct templates_var {
	uint16_t offset;
	bool shortenable;	/* a long descriptive string: cut first when a record is too big */
};

/*
 * The external template of one family: the elements of the field list
 * that this family's full record has, in the list's order, and where
 * their values are in the full struct.
 */
struct templates_layout {
	fbInfoElementSpec_t spec[TEMPLATES_MAX_ELEMENTS + 1];	/* FB_IESPEC_NULL-terminated */
	size_t fixed_len;		/* wire bytes of its fixed-length elements */
	unsigned int n_var;
	struct templates_var var[TEMPLATES_MAX_ELEMENTS];
};

/* What one exporter sends: a layout per family and the elements to describe in-band. */
struct templates_selection {
	struct templates_layout layout[TEMPLATES_N_FAMILIES];
	/*
	 * Non-IANA elements (ntop's, sockflow's) of the list and of the
	 * loss stats record, NULL-terminated: RFC 5610 records.
	 */
	const char *described[2 * TEMPLATES_MAX_ELEMENTS + 1];
	bool application;	/* the list has applicationId: its mappings go too */
};

/*
 * Add ntop's elements and sockflow's own, under @pen, to @model
 * (fbInfoModelAlloc() has IANA's and RFC 5103's reverse ones).
 */
void templates__add_elements(fbInfoModel_t *model, uint32_t pen);

/*
 * Build @sel from the field list @fl, resolving names in @model (which
 * has had templates__add_elements()); for @uniflow records without the
 * list's reverse (RFC 5103) elements. Returns 0, or -EINVAL with
 * "FILE:LINE: what is wrong; what is expected" in @msg for a name that
 * is no element, or no element sockflow fills.
 */
int templates__select(struct templates_selection *sel, fbInfoModel_t *model,
		      const struct field_list *fl, bool uniflow, char *msg, size_t msg_len);

/*
 * A new information model with sockflow's elements under @pen (0: the
 * default PEN) in *@model (the caller frees it, even on failure), and in
 * @sel the elements of the field list @name, as templates__select().
 * Returns 0 or -errno with a message in @msg.
 */
int templates__load(fbInfoModel_t **model, struct templates_selection *sel, const char *name,
		    uint32_t pen, bool uniflow, char *msg, size_t msg_len);

/*
 * Which way a record looks at a conversation: biflow records and the
 * initiator's uniflow record have the client as source (biflowDirection
 * 1); the responder's uniflow record has the server as source, its
 * counters and its end's elements first (biflowDirection 2).
 */
enum templates_direction {
	TEMPLATES_INITIATOR,
	TEMPLATES_RESPONDER,
};

/*
 * Fill @rec from @r (family AF_INET) as @dir sees it, with @app (NULL:
 * none) as its applicationId; @rec borrows @r's strings.
 */
void templates__fill_flow4(struct templates_flow4 *rec, const struct flow_record *r,
			   enum templates_direction dir, const struct application *app);

/* The same for family AF_INET6. */
void templates__fill_flow6(struct templates_flow6 *rec, const struct flow_record *r,
			   enum templates_direction dir, const struct application *app);

/* Fill @rec with @app's mapping in observation domain @odid. */
void templates__fill_application(struct templates_application *rec, uint32_t odid,
				 const struct application *app);

/*
 * Fill @rec from @loss and the exporter's own @st; @odid is the
 * observation domain of the exporter's messages.
 */
void templates__fill_loss_stats(struct templates_loss_stats *rec, uint32_t odid,
				const struct export_stats *st,
				const struct export_loss_stats *loss);

/* Bytes the record @rec (a full struct of @lay's family) takes on the wire. */
size_t templates__encoded_len(const struct templates_layout *lay, const void *rec);

/*
 * Shorten @rec's long descriptive strings (command lines, executable and
 * cgroup paths, images) that @lay exports until the record takes at most
 * @max_len bytes on the wire: the longest are cut first, to a common
 * length, at a UTF-8 character boundary. Returns the record's wire length
 * after that (above @max_len only if even empty strings would not do).
 */
size_t templates__fit(const struct templates_layout *lay, void *rec, size_t max_len);

#endif
