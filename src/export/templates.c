// SPDX-License-Identifier: GPL-2.0-only
/* IPFIX records: element definitions, spec arrays and the C structs they describe. */

/*
 * Biflow by default: each record is one RFC 5103 biflow, source = client
 * (the initiator, biflowDirection 1), forward counters client -> server
 * in octetDeltaCount/packetDeltaCount, server -> client in the reverse
 * elements (PEN 29305, same ids). Checked with the collectors we test
 * against:
 *   - nfdump 1.7.1 (nfcapd) maps 29305/1 and 29305/2 to its out bytes and
 *     out packets (its ipfixReverseMap turns them into postOctetDeltaCount
 *     23 / postPacketDeltaCount 24), so `nfdump -o "fmt:%ibyt %obyt %ipkt
 *     %opkt"` shows both directions right. Sending post*DeltaCount as well
 *     would fill the same nfdump fields twice and is wrong for everyone
 *     else: those count the same direction after a middlebox.
 *   - tshark 4.0 shows them as cflow.octets / cflow.packets "(Reverse ...)".
 *   - libfixbuf (ipfixDump) and other RFC 5103 collectors read them natively.
 * A collector may ask for uniflow records instead (?records=uniflow, for
 * those that sum one direction only, as pmacct does): a record per
 * direction, the responder's with the server as source and
 * biflowDirection 2, and no reverse elements in the template.
 *
 * Our own reverse element follows RFC 5103 section 6.2 for enterprise
 * elements: reverseSockflowPayloadOctets is sockflowPayloadOctets' id with
 * the 0x4000 bit set (PEN/17385), as libfixbuf builds it for a reversible
 * element.
 *
 * Internal and external templates: the C structs below are always the
 * full records (internal templates); a field list from templates/ picks
 * the elements that go on the wire (external templates), and libfixbuf's
 * transcoder copies only those, matching elements by identity, whatever
 * their order.
 */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "export/templates.h"
#include "utf8.h"

/*
 * ntop's process elements: nProbe's NetFlow v9 ids minus 57472, with
 * nProbe's names and the types tshark 4.0 decodes them with (FT_UINT32
 * for pids and uids, FT_STRING for the rest). tshark 4.0 knows 168, 169,
 * 372-379, 425 and 426 by name; 556-559 (command line, container id) are
 * newer than its table and show as unknown ntop fields there.
 */
static fbInfoElement_t ntop_elements[] = {
	FB_IE_INIT_FULL("SRC_PROC_PID", TEMPLATES_PEN_NTOP, 168, 4,
			FB_IE_IDENTIFIER | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"client process id"),
	FB_IE_INIT_FULL("SRC_PROC_NAME", TEMPLATES_PEN_NTOP, 169, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING, "client process command name"),
	FB_IE_INIT_FULL("SRC_PROC_USER_NAME", TEMPLATES_PEN_NTOP, 372, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING, "client process user name"),
	FB_IE_INIT_FULL("SRC_FATHER_PROC_PID", TEMPLATES_PEN_NTOP, 373, 4,
			FB_IE_IDENTIFIER | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"client process's parent process id"),
	FB_IE_INIT_FULL("SRC_FATHER_PROC_NAME", TEMPLATES_PEN_NTOP, 374, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING,
			"client process's parent command name"),
	FB_IE_INIT_FULL("DST_PROC_PID", TEMPLATES_PEN_NTOP, 375, 4,
			FB_IE_IDENTIFIER | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"server process id"),
	FB_IE_INIT_FULL("DST_PROC_NAME", TEMPLATES_PEN_NTOP, 376, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING, "server process command name"),
	FB_IE_INIT_FULL("DST_PROC_USER_NAME", TEMPLATES_PEN_NTOP, 377, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING, "server process user name"),
	FB_IE_INIT_FULL("DST_FATHER_PROC_PID", TEMPLATES_PEN_NTOP, 378, 4,
			FB_IE_IDENTIFIER | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"server process's parent process id"),
	FB_IE_INIT_FULL("DST_FATHER_PROC_NAME", TEMPLATES_PEN_NTOP, 379, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING,
			"server process's parent command name"),
	FB_IE_INIT_FULL("SRC_PROC_UID", TEMPLATES_PEN_NTOP, 425, 4,
			FB_IE_IDENTIFIER | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"client process user id"),
	FB_IE_INIT_FULL("DST_PROC_UID", TEMPLATES_PEN_NTOP, 426, 4,
			FB_IE_IDENTIFIER | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"server process user id"),
	FB_IE_INIT_FULL("SRC_PROC_CMDLINE", TEMPLATES_PEN_NTOP, 556, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING,
			"client process command line, arguments joined by spaces, maybe cut"),
	FB_IE_INIT_FULL("DST_PROC_CMDLINE", TEMPLATES_PEN_NTOP, 557, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING,
			"server process command line, arguments joined by spaces, maybe cut"),
	FB_IE_INIT_FULL("SRC_PROC_CONTAINER_ID", TEMPLATES_PEN_NTOP, 558, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING,
			"client process container id (systemd: unit name)"),
	FB_IE_INIT_FULL("DST_PROC_CONTAINER_ID", TEMPLATES_PEN_NTOP, 559, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING,
			"server process container id (systemd: unit name)"),
	FB_IE_INIT_FULL("RETRANSMITTED_IN_PKTS", TEMPLATES_PEN_NTOP, 109, 4,
			FB_IE_DELTACOUNTER | FB_UNITS_PACKETS | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"TCP segments the client retransmitted"),
	FB_IE_INIT_FULL("RETRANSMITTED_OUT_PKTS", TEMPLATES_PEN_NTOP, 110, 4,
			FB_IE_DELTACOUNTER | FB_UNITS_PACKETS | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"TCP segments the server retransmitted"),
	FB_IE_INIT_FULL("CLIENT_NW_LATENCY_MS", TEMPLATES_PEN_NTOP, 123, 4,
			FB_IE_QUANTITY | FB_UNITS_MILLISECONDS | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"half the smoothed RTT the server's socket measures to the client"),
	FB_IE_INIT_FULL("SERVER_NW_LATENCY_MS", TEMPLATES_PEN_NTOP, 124, 4,
			FB_IE_QUANTITY | FB_UNITS_MILLISECONDS | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32,
			"half the smoothed RTT the client's socket measures to the server"),
	FB_IE_NULL,
};

/* One of sockflow's string elements, client (even id) or server (odd id). */
#define SF_STRING(name, num, desc) \
	FB_IE_INIT_FULL(name, 0, num, FB_IE_VARLEN, FB_IE_DEFAULT, 0, 0, FB_STRING, desc)
#define SF_ID(name, num, len, type, desc) \
	FB_IE_INIT_FULL(name, 0, num, len, FB_IE_IDENTIFIER | FB_IE_F_ENDIAN, 0, 0, type, desc)

/* One of sockflow's per-record numbers of @units. */
#define SF_NUMBER(name, num, len, type, semantics, units, desc) \
	FB_IE_INIT_FULL(name, 0, num, len, (semantics) | (units) | FB_IE_F_ENDIAN, 0, 0, type, desc)

/* One of sockflow's loss counters: unsigned64 totals since start. */
#define SF_TOTAL(name, num, units, desc)                                                    \
	FB_IE_INIT_FULL(name, 0, num, 8, FB_IE_TOTALCOUNTER | (units) | FB_IE_F_ENDIAN, 0, 0, \
			FB_UINT_64, desc)

/*
 * sockflow's own elements, for what ntop has no element for. Their PEN is
 * set at run time ([export] enterprise_id). Names: "sockflow", then
 * Source (the client) or Destination (the server), as IANA's
 * sourceTransportPort and ntop's SRC_*. Ids start at 1001, above every id
 * of IANA's, RFC 5103's and ntop's elements that sockflow's templates
 * carry, so that no id appears twice in a template whatever its
 * enterprise (pmacct 1.7.7 tells repeated ids apart by the id alone): 1001
 * for the payload counter (reversible: reverseSockflowPayloadOctets is
 * 1001 | 0x4000), then the client's element at an even id and the
 * server's at the next odd one; from 1022 the loss counters of struct
 * templates_loss_stats, total counters in the style of IANA's
 * notSentFlowTotalCount (166); from 1028 TCP's view of the path (struct
 * templates_quality), client and server again in pairs; 1039 says in the
 * stats options record how TCP is counted; 1040 is a loss counter again
 * (records a TCP reset left unconfirmed). Ids are never reused for
 * another meaning.
 */
static const fbInfoElement_t sockflow_elements[] = {
	FB_IE_INIT_FULL("sockflowPayloadOctets", 0, 1001, 8,
			FB_IE_DELTACOUNTER | FB_UNITS_OCTETS | FB_IE_F_ENDIAN |
				FB_IE_F_REVERSIBLE,
			0, 0, FB_UINT_64,
			"transport payload octets, client to server (reverse: server to client)"),
	SF_STRING("sockflowSourceExecutable", 1002, "client process executable, full path"),
	SF_STRING("sockflowDestinationExecutable", 1003, "server process executable, full path"),
	SF_STRING("sockflowSourceContainerName", 1004, "name of the client process's container"),
	SF_STRING("sockflowDestinationContainerName", 1005,
		  "name of the server process's container"),
	SF_STRING("sockflowSourceContainerRuntime", 1006,
		  "runtime of the client process's container: podman, docker, containerd, "
		  "cri-o or systemd; empty on the host"),
	SF_STRING("sockflowDestinationContainerRuntime", 1007,
		  "runtime of the server process's container: podman, docker, containerd, "
		  "cri-o or systemd; empty on the host"),
	SF_STRING("sockflowSourceContainerImage", 1008, "image of the client process's container"),
	SF_STRING("sockflowDestinationContainerImage", 1009,
		  "image of the server process's container"),
	SF_STRING("sockflowSourcePodName", 1010, "Kubernetes pod of the client process"),
	SF_STRING("sockflowDestinationPodName", 1011, "Kubernetes pod of the server process"),
	SF_STRING("sockflowSourcePodNamespace", 1012,
		  "Kubernetes namespace of the client process's pod"),
	SF_STRING("sockflowDestinationPodNamespace", 1013,
		  "Kubernetes namespace of the server process's pod"),
	SF_STRING("sockflowSourcePodUid", 1014, "Kubernetes uid of the client process's pod"),
	SF_STRING("sockflowDestinationPodUid", 1015, "Kubernetes uid of the server process's pod"),
	SF_ID("sockflowSourceNetnsInode", 1016, 4, FB_UINT_32,
	      "inode number of the client socket's network namespace"),
	SF_ID("sockflowDestinationNetnsInode", 1017, 4, FB_UINT_32,
	      "inode number of the server socket's network namespace"),
	SF_ID("sockflowSourceCgroupId", 1018, 8, FB_UINT_64,
	      "cgroup v2 id of the client process"),
	SF_ID("sockflowDestinationCgroupId", 1019, 8, FB_UINT_64,
	      "cgroup v2 id of the server process"),
	SF_STRING("sockflowSourceCgroupPath", 1020, "cgroup v2 path of the client process"),
	SF_STRING("sockflowDestinationCgroupPath", 1021, "cgroup v2 path of the server process"),
	SF_TOTAL("sockflowRingbufLostEventTotalCount", 1022, 0,
		 "socket events the kernel dropped because the BPF ring buffer was full, "
		 "since the exporter started"),
	SF_TOTAL("sockflowProcessLostEventTotalCount", 1023, 0,
		 "process exec/fork/exit and cgroup events the kernel dropped because the "
		 "BPF ring buffer was full, since the exporter started"),
	SF_TOTAL("sockflowUntrackedSocketTotalCount", 1024, 0,
		 "sockets not tracked because the kernel socket map was full or out of "
		 "memory, since the exporter started"),
	SF_TOTAL("sockflowHandshakeNotKeptTotalCount", 1025, FB_UNITS_PACKETS,
		 "handshake packets not kept because the kernel handshake map was full, "
		 "since the exporter started"),
	SF_TOTAL("sockflowEvictedFlowTotalCount", 1026, FB_UNITS_FLOWS,
		 "flows ended early (flowEndReason 5) because the flow table was full, "
		 "since the exporter started"),
	SF_TOTAL("sockflowFilteredFlowTotalCount", 1027, FB_UNITS_FLOWS,
		 "flow records not exported because the configured filter excluded them, "
		 "since the exporter started"),
	SF_NUMBER("sockflowSourceRttMicroseconds", 1028, 4, FB_UINT_32, FB_IE_QUANTITY,
		  FB_UNITS_MICROSECONDS, "smoothed RTT of the client's TCP socket"),
	SF_NUMBER("sockflowDestinationRttMicroseconds", 1029, 4, FB_UINT_32, FB_IE_QUANTITY,
		  FB_UNITS_MICROSECONDS, "smoothed RTT of the server's TCP socket"),
	SF_NUMBER("sockflowSourceRttVarMicroseconds", 1030, 4, FB_UINT_32, FB_IE_QUANTITY,
		  FB_UNITS_MICROSECONDS, "RTT variation of the client's TCP socket"),
	SF_NUMBER("sockflowDestinationRttVarMicroseconds", 1031, 4, FB_UINT_32, FB_IE_QUANTITY,
		  FB_UNITS_MICROSECONDS, "RTT variation of the server's TCP socket"),
	SF_NUMBER("sockflowSourceLostSegments", 1032, 4, FB_UINT_32, FB_IE_DELTACOUNTER,
		  FB_UNITS_PACKETS, "TCP segments the client's socket counted lost"),
	SF_NUMBER("sockflowDestinationLostSegments", 1033, 4, FB_UINT_32, FB_IE_DELTACOUNTER,
		  FB_UNITS_PACKETS, "TCP segments the server's socket counted lost"),
	SF_NUMBER("sockflowSourceResetsSent", 1034, 1, FB_UINT_8, FB_IE_DELTACOUNTER, 0,
		  "TCP resets the client's socket sent"),
	SF_NUMBER("sockflowDestinationResetsSent", 1035, 1, FB_UINT_8, FB_IE_DELTACOUNTER, 0,
		  "TCP resets the server's socket sent"),
	SF_NUMBER("sockflowSourceResetsReceived", 1036, 1, FB_UINT_8, FB_IE_DELTACOUNTER, 0,
		  "TCP resets the client's socket received"),
	SF_NUMBER("sockflowDestinationResetsReceived", 1037, 1, FB_UINT_8, FB_IE_DELTACOUNTER, 0,
		  "TCP resets the server's socket received"),
	SF_NUMBER("sockflowFlowStartUnknown", 1038, 1, FB_UINT_8, FB_IE_FLAGS, 0,
		  "1: the connection was open when the exporter started; flowStartMilliseconds "
		  "is when it was found"),
	SF_NUMBER("sockflowTcpCountsEstimated", 1039, 1, FB_UINT_8, FB_IE_FLAGS, 0,
		  "1: the exporter counts TCP from each socket's own counters (mechanism "
		  "tcp_socket_counters): packet counts are TCP segments and octet counts are "
		  "estimated from them; 0: every packet is counted as a capture counts it"),
	SF_TOTAL("sockflowUnconfirmedFlowTotalCount", 1040, FB_UNITS_FLOWS,
		 "flow records counted as exported that a collector which reset its TCP "
		 "connection may have left unread (an upper bound), since the exporter started"),
	FB_IE_NULL,
};

/* The elements of struct templates_ends, in member order. */
#define TEMPLATES_ENDS_SPEC                                   \
	{ "sockflowSourceCgroupId", 8, 0 },                   \
	{ "sockflowDestinationCgroupId", 8, 0 },              \
	{ "SRC_PROC_NAME", FB_IE_VARLEN, 0 },                 \
	{ "DST_PROC_NAME", FB_IE_VARLEN, 0 },                 \
	{ "SRC_PROC_USER_NAME", FB_IE_VARLEN, 0 },            \
	{ "DST_PROC_USER_NAME", FB_IE_VARLEN, 0 },            \
	{ "SRC_FATHER_PROC_NAME", FB_IE_VARLEN, 0 },          \
	{ "DST_FATHER_PROC_NAME", FB_IE_VARLEN, 0 },          \
	{ "SRC_PROC_CMDLINE", FB_IE_VARLEN, 0 },              \
	{ "DST_PROC_CMDLINE", FB_IE_VARLEN, 0 },              \
	{ "SRC_PROC_CONTAINER_ID", FB_IE_VARLEN, 0 },         \
	{ "DST_PROC_CONTAINER_ID", FB_IE_VARLEN, 0 },         \
	{ "sockflowSourceExecutable", FB_IE_VARLEN, 0 },      \
	{ "sockflowDestinationExecutable", FB_IE_VARLEN, 0 }, \
	{ "sockflowSourceContainerName", FB_IE_VARLEN, 0 },   \
	{ "sockflowDestinationContainerName", FB_IE_VARLEN, 0 }, \
	{ "sockflowSourceContainerRuntime", FB_IE_VARLEN, 0 }, \
	{ "sockflowDestinationContainerRuntime", FB_IE_VARLEN, 0 }, \
	{ "sockflowSourceContainerImage", FB_IE_VARLEN, 0 },  \
	{ "sockflowDestinationContainerImage", FB_IE_VARLEN, 0 }, \
	{ "sockflowSourcePodName", FB_IE_VARLEN, 0 },         \
	{ "sockflowDestinationPodName", FB_IE_VARLEN, 0 },    \
	{ "sockflowSourcePodNamespace", FB_IE_VARLEN, 0 },    \
	{ "sockflowDestinationPodNamespace", FB_IE_VARLEN, 0 }, \
	{ "sockflowSourcePodUid", FB_IE_VARLEN, 0 },          \
	{ "sockflowDestinationPodUid", FB_IE_VARLEN, 0 },     \
	{ "sockflowSourceCgroupPath", FB_IE_VARLEN, 0 },      \
	{ "sockflowDestinationCgroupPath", FB_IE_VARLEN, 0 }, \
	{ "SRC_PROC_PID", 4, 0 },                             \
	{ "DST_PROC_PID", 4, 0 },                             \
	{ "SRC_PROC_UID", 4, 0 },                             \
	{ "DST_PROC_UID", 4, 0 },                             \
	{ "SRC_FATHER_PROC_PID", 4, 0 },                      \
	{ "DST_FATHER_PROC_PID", 4, 0 },                      \
	{ "sockflowSourceNetnsInode", 4, 0 },                 \
	{ "sockflowDestinationNetnsInode", 4, 0 }

/* The elements of struct templates_quality, in member order. */
#define TEMPLATES_QUALITY_SPEC                                   \
	{ "RETRANSMITTED_IN_PKTS", 4, 0 },                       \
	{ "RETRANSMITTED_OUT_PKTS", 4, 0 },                      \
	{ "CLIENT_NW_LATENCY_MS", 4, 0 },                        \
	{ "SERVER_NW_LATENCY_MS", 4, 0 },                        \
	{ "sockflowSourceRttMicroseconds", 4, 0 },               \
	{ "sockflowDestinationRttMicroseconds", 4, 0 },          \
	{ "sockflowSourceRttVarMicroseconds", 4, 0 },            \
	{ "sockflowDestinationRttVarMicroseconds", 4, 0 },       \
	{ "sockflowSourceLostSegments", 4, 0 },                  \
	{ "sockflowDestinationLostSegments", 4, 0 },             \
	{ "sockflowSourceResetsSent", 1, 0 },                    \
	{ "sockflowDestinationResetsSent", 1, 0 },               \
	{ "sockflowSourceResetsReceived", 1, 0 },                \
	{ "sockflowDestinationResetsReceived", 1, 0 },           \
	{ "sockflowFlowStartUnknown", 1, 0 },                    \
	{ "paddingOctets", 3, TEMPLATES_SPEC_INTERNAL_ONLY }

/* The counters both structs start with. */
#define TEMPLATES_COUNTERS_SPEC                   \
	{ "flowStartMilliseconds", 8, 0 },        \
	{ "flowEndMilliseconds", 8, 0 },          \
	{ "octetDeltaCount", 8, 0 },              \
	{ "packetDeltaCount", 8, 0 },             \
	{ "reverseOctetDeltaCount", 8, 0 },       \
	{ "reversePacketDeltaCount", 8, 0 },      \
	{ "sockflowPayloadOctets", 8, 0 },        \
	{ "reverseSockflowPayloadOctets", 8, 0 }

/* The fields both structs end with. */
#define TEMPLATES_TAIL_SPEC                        \
	{ "sourceTransportPort", 2, 0 },           \
	{ "destinationTransportPort", 2, 0 },      \
	{ "postNAPTSourceTransportPort", 2, 0 },   \
	{ "postNAPTDestinationTransportPort", 2, 0 }, \
	{ "protocolIdentifier", 1, 0 },            \
	{ "tcpControlBits", 1, 0 },                \
	{ "flowEndReason", 1, 0 },                 \
	{ "biflowDirection", 1, 0 },               \
	{ "applicationId", APPLICATIONS_ID_LEN, 0 }, \
	{ "paddingOctets", 3, TEMPLATES_SPEC_INTERNAL_ONLY }

/* The elements of struct templates_flow4, in member order. */
fbInfoElementSpec_t templates_flow4_spec[] = {
	TEMPLATES_COUNTERS_SPEC,
	TEMPLATES_ENDS_SPEC,
	TEMPLATES_QUALITY_SPEC,
	{ "sourceIPv4Address", 4, 0 },
	{ "destinationIPv4Address", 4, 0 },
	{ "postNATSourceIPv4Address", 4, 0 },
	{ "postNATDestinationIPv4Address", 4, 0 },
	TEMPLATES_TAIL_SPEC,
	FB_IESPEC_NULL,
};

/* The elements of struct templates_flow6, in member order. */
fbInfoElementSpec_t templates_flow6_spec[] = {
	TEMPLATES_COUNTERS_SPEC,
	TEMPLATES_ENDS_SPEC,
	TEMPLATES_QUALITY_SPEC,
	{ "sourceIPv6Address", 16, 0 },
	{ "destinationIPv6Address", 16, 0 },
	{ "postNATSourceIPv6Address", 16, 0 },
	{ "postNATDestinationIPv6Address", 16, 0 },
	TEMPLATES_TAIL_SPEC,
	FB_IESPEC_NULL,
};

/* The elements of struct templates_application, in member order. */
fbInfoElementSpec_t templates_application_spec[] = {
	{ "observationDomainId", 4, 0 },
	{ "applicationId", APPLICATIONS_ID_LEN, 0 },
	{ "applicationName", APPLICATIONS_NAME_LEN, 0 },
	{ "applicationDescription", APPLICATIONS_DESCRIPTION_LEN, 0 },
	{ "paddingOctets", 3, TEMPLATES_SPEC_INTERNAL_ONLY },
	FB_IESPEC_NULL,
};

/* The elements of struct templates_loss_stats, in member order. */
fbInfoElementSpec_t templates_loss_stats_spec[] = {
	{ "observationDomainId", 4, 0 },
	{ "sockflowTcpCountsEstimated", 1, 0 },
	{ "paddingOctets", 3, TEMPLATES_SPEC_INTERNAL_ONLY },
	{ "exportedMessageTotalCount", 8, 0 },
	{ "exportedFlowRecordTotalCount", 8, 0 },
	{ "notSentFlowTotalCount", 8, 0 },
	{ "sockflowRingbufLostEventTotalCount", 8, 0 },
	{ "sockflowProcessLostEventTotalCount", 8, 0 },
	{ "sockflowUntrackedSocketTotalCount", 8, 0 },
	{ "sockflowHandshakeNotKeptTotalCount", 8, 0 },
	{ "sockflowEvictedFlowTotalCount", 8, 0 },
	{ "sockflowFilteredFlowTotalCount", 8, 0 },
	{ "sockflowUnconfirmedFlowTotalCount", 8, 0 },
	FB_IESPEC_NULL,
};

const char *const templates_loss_stats_described[] = {
	"sockflowRingbufLostEventTotalCount",
	"sockflowProcessLostEventTotalCount",
	"sockflowUntrackedSocketTotalCount",
	"sockflowHandshakeNotKeptTotalCount",
	"sockflowEvictedFlowTotalCount",
	"sockflowFilteredFlowTotalCount",
	"sockflowTcpCountsEstimated",
	"sockflowUnconfirmedFlowTotalCount",
	NULL,
};

/* Strings that may be long and say less than the ids: cut first when a record does not fit. */
static const char *const shortenable[] = {
	"SRC_PROC_CMDLINE",
	"DST_PROC_CMDLINE",
	"sockflowSourceExecutable",
	"sockflowDestinationExecutable",
	"sockflowSourceContainerImage",
	"sockflowDestinationContainerImage",
	"sockflowSourceCgroupPath",
	"sockflowDestinationCgroupPath",
};

/* The member order leaves no gaps, so no struct needs paddingOctets. */
_Static_assert(sizeof(struct templates_ends) == 2 * 8 + 26 * sizeof(fbVarfield_t) + 8 * 4,
	       "struct templates_ends has hidden padding");
_Static_assert(sizeof(struct templates_counters) == 8 * 8,
	       "struct templates_counters has hidden padding");
_Static_assert(sizeof(struct templates_tail) == 4 * 2 + 4 * 1 + APPLICATIONS_ID_LEN + 3,
	       "struct templates_tail has hidden padding");
_Static_assert(sizeof(struct templates_quality) == 10 * 4 + 8 * 1,
	       "struct templates_quality has hidden padding");
_Static_assert(sizeof(struct templates_flow4) ==
		       sizeof(struct templates_counters) + sizeof(struct templates_ends) +
			       sizeof(struct templates_quality) + 4 * 4 +
			       sizeof(struct templates_tail),
	       "struct templates_flow4 has hidden padding");
_Static_assert(sizeof(struct templates_flow6) ==
		       sizeof(struct templates_counters) + sizeof(struct templates_ends) +
			       sizeof(struct templates_quality) + 4 * 16 +
			       sizeof(struct templates_tail),
	       "struct templates_flow6 has hidden padding");
_Static_assert(sizeof(struct templates_application) ==
		       4 + APPLICATIONS_ID_LEN + APPLICATIONS_NAME_LEN +
			       APPLICATIONS_DESCRIPTION_LEN + 3,
	       "struct templates_application has hidden padding");
_Static_assert(sizeof(struct templates_loss_stats) == 4 + 1 + 3 + 10 * 8,
	       "struct templates_loss_stats has hidden padding");
_Static_assert(offsetof(struct templates_flow4, ends) == 8 * 8 &&
		       offsetof(struct templates_flow6, ends) == 8 * 8,
	       "the ends follow the eight counters");

void templates__add_elements(fbInfoModel_t *model, uint32_t pen)
{
	fbInfoElement_t ie;
	size_t i;

	fbInfoModelAddElementArray(model, ntop_elements);
	/* libfixbuf copies each element (and interns its strings): a stack copy will do. */
	for (i = 0; sockflow_elements[i].ref.name; i++) {
		ie = sockflow_elements[i];
		ie.ent = pen;
		fbInfoModelAddElement(model, &ie);
	}
}

int templates__load(fbInfoModel_t **model, struct templates_selection *sel, const char *name,
		    uint32_t pen, bool uniflow, char *msg, size_t msg_len)
{
	struct field_list *fl;
	int err;

	*model = fbInfoModelAlloc();
	templates__add_elements(*model, pen ? pen : TEMPLATES_PEN_DEFAULT);
	err = field_list__load(&fl, name, msg, msg_len);
	if (err)
		return err;
	err = templates__select(sel, *model, fl, uniflow, msg, msg_len);
	field_list__free(fl);
	return err;
}

/* Index of @name in @spec and its offset in the struct, or -1. */
static int spec_find(const fbInfoElementSpec_t *spec, const char *name, size_t *offset)
{
	size_t off = 0;
	int i;

	for (i = 0; spec[i].name; i++) {
		if (!strcmp(spec[i].name, name)) {
			*offset = off;
			return i;
		}
		off += spec[i].len_override == FB_IE_VARLEN ? sizeof(fbVarfield_t)
							    : spec[i].len_override;
	}
	return -1;
}

static bool is_shortenable(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(shortenable) / sizeof(shortenable[0]); i++)
		if (!strcmp(shortenable[i], name))
			return true;
	return false;
}

/* Add element @i of @full (at @offset in the struct) to @lay. */
static void layout_add(struct templates_layout *lay, const fbInfoElementSpec_t *full, int i,
		       size_t offset)
{
	unsigned int n = 0;

	while (lay->spec[n].name)
		n++;
	lay->spec[n] = full[i];
	if (full[i].len_override != FB_IE_VARLEN) {
		lay->fixed_len += full[i].len_override;
		return;
	}
	lay->var[lay->n_var].offset = offset;
	lay->var[lay->n_var].shortenable = is_shortenable(full[i].name);
	lay->n_var++;
}

/* Whether @ie counts the reverse direction (RFC 5103): nothing to say in a uniflow record. */
static bool is_reverse(const fbInfoElement_t *ie)
{
	return ie->ent == FB_IE_PEN_REVERSE || (ie->ent && (ie->num & FB_IE_VENDOR_BIT_REVERSE));
}

int templates__select(struct templates_selection *sel, fbInfoModel_t *model,
		      const struct field_list *fl, bool uniflow, char *msg, size_t msg_len)
{
	static fbInfoElementSpec_t *const full[TEMPLATES_N_FAMILIES] = {
		templates_flow4_spec, templates_flow6_spec,
	};
	static const char *const family_name[TEMPLATES_N_FAMILIES] = { "IPv4", "IPv6" };
	const struct field_list_entry *e;
	const fbInfoElement_t *ie;
	unsigned int n_described = 0;
	size_t i, offset;
	int f, idx, found;

	memset(sel, 0, sizeof(*sel));
	for (i = 0; i < fl->n; i++) {
		e = &fl->entries[i];
		ie = fbInfoModelGetElementByName(model, e->name);
		if (!ie) {
			snprintf(msg, msg_len, "%s:%u: unknown element \"%s\"; expected an IPFIX "
				 "element name sockflow exports (templates/default.tmpl lists "
				 "them all)", fl->path, e->line, e->name);
			return -EINVAL;
		}
		if (uniflow && is_reverse(ie))
			continue;
		found = 0;
		for (f = 0; f < TEMPLATES_N_FAMILIES; f++) {
			idx = spec_find(full[f], e->name, &offset);
			if (idx < 0)
				continue;
			layout_add(&sel->layout[f], full[f], idx, offset);
			found = 1;
		}
		if (!found) {
			snprintf(msg, msg_len, "%s:%u: %s is an IPFIX element sockflow does not "
				 "fill; expected one of those in templates/default.tmpl", fl->path,
				 e->line, e->name);
			return -EINVAL;
		}
		if (ie->ent && ie->ent != FB_IE_PEN_REVERSE)
			sel->described[n_described++] = ie->ref.name;
		if (!strcmp(ie->ref.name, "applicationId"))
			sel->application = true;
	}
	for (i = 0; templates_loss_stats_described[i]; i++)
		sel->described[n_described++] = templates_loss_stats_described[i];
	for (f = 0; f < TEMPLATES_N_FAMILIES; f++) {
		if (!sel->layout[f].spec[0].name) {
			snprintf(msg, msg_len, "%s: no element of %s records; expected at least "
				 "the elements common to both families", fl->path,
				 family_name[f]);
			return -EINVAL;
		}
	}
	return 0;
}

/* A varfield on the wire: RFC 7011 section 7, a 1-byte length below 255, else 3 bytes. */
static size_t varfield_wire_len(size_t len)
{
	return (len < 255 ? 1 : 3) + len;
}

static fbVarfield_t *var_at(const struct templates_layout *lay, void *rec, unsigned int i)
{
	return (fbVarfield_t *)((uint8_t *)rec + lay->var[i].offset);
}

size_t templates__encoded_len(const struct templates_layout *lay, const void *rec)
{
	size_t len = lay->fixed_len;
	unsigned int i;

	for (i = 0; i < lay->n_var; i++)
		len += varfield_wire_len(var_at(lay, (void *)rec, i)->len);
	return len;
}

/* Wire bytes of the shortenable strings if each were cut to at most @cap bytes. */
static size_t capped_len(const struct templates_layout *lay, void *rec, size_t cap)
{
	size_t len = 0, l;
	unsigned int i;

	for (i = 0; i < lay->n_var; i++) {
		if (!lay->var[i].shortenable)
			continue;
		l = var_at(lay, rec, i)->len;
		len += varfield_wire_len(l < cap ? l : cap);
	}
	return len;
}

size_t templates__fit(const struct templates_layout *lay, void *rec, size_t max_len)
{
	size_t len = templates__encoded_len(lay, rec), rest, lo, hi, mid;
	fbVarfield_t *v;
	unsigned int i;

	if (len <= max_len)
		return len;
	/* The largest common length @lo the long strings can keep. */
	hi = 0;
	for (i = 0; i < lay->n_var; i++)
		if (lay->var[i].shortenable && var_at(lay, rec, i)->len > hi)
			hi = var_at(lay, rec, i)->len;
	rest = len - capped_len(lay, rec, hi);
	lo = 0;
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (rest + capped_len(lay, rec, mid) <= max_len)
			lo = mid;
		else
			hi = mid - 1;
	}
	for (i = 0; i < lay->n_var; i++) {
		v = var_at(lay, rec, i);
		if (!lay->var[i].shortenable || v->len <= lo)
			continue;
		/* Never split a UTF-8 character. */
		v->len = utf8__cut((const char *)v->buf, v->len, lo);
	}
	return templates__encoded_len(lay, rec);
}

/* A string of @p as a varfield; empty when the end is not a local process. */
static void fill_string(fbVarfield_t *v, const struct flow_process *p, const char *s, size_t size)
{
	v->buf = (uint8_t *)s;
	v->len = p->pid ? strnlen(s, size) : 0;
}

#define FILL_STRING(v, p, member) fill_string(&(v), (p), (p)->member, sizeof((p)->member))

/*
 * The process part of @e from the record's source end @c and destination
 * end @s; an end with pid 0 is all empty.
 */
static void fill_ends(struct templates_ends *e, const struct flow_process *c,
		      const struct flow_process *s)
{
	e->sockflowSourceCgroupId = c->pid ? c->cgroup_id : 0;
	e->sockflowDestinationCgroupId = s->pid ? s->cgroup_id : 0;
	FILL_STRING(e->SRC_PROC_NAME, c, name);
	FILL_STRING(e->DST_PROC_NAME, s, name);
	FILL_STRING(e->SRC_PROC_USER_NAME, c, user);
	FILL_STRING(e->DST_PROC_USER_NAME, s, user);
	FILL_STRING(e->SRC_FATHER_PROC_NAME, c, parent_name);
	FILL_STRING(e->DST_FATHER_PROC_NAME, s, parent_name);
	FILL_STRING(e->SRC_PROC_CMDLINE, c, cmdline);
	FILL_STRING(e->DST_PROC_CMDLINE, s, cmdline);
	FILL_STRING(e->SRC_PROC_CONTAINER_ID, c, container.id);
	FILL_STRING(e->DST_PROC_CONTAINER_ID, s, container.id);
	FILL_STRING(e->sockflowSourceExecutable, c, exe);
	FILL_STRING(e->sockflowDestinationExecutable, s, exe);
	FILL_STRING(e->sockflowSourceContainerName, c, container.name);
	FILL_STRING(e->sockflowDestinationContainerName, s, container.name);
	FILL_STRING(e->sockflowSourceContainerRuntime, c, container.runtime);
	FILL_STRING(e->sockflowDestinationContainerRuntime, s, container.runtime);
	FILL_STRING(e->sockflowSourceContainerImage, c, container.image);
	FILL_STRING(e->sockflowDestinationContainerImage, s, container.image);
	FILL_STRING(e->sockflowSourcePodName, c, container.pod_name);
	FILL_STRING(e->sockflowDestinationPodName, s, container.pod_name);
	FILL_STRING(e->sockflowSourcePodNamespace, c, container.pod_namespace);
	FILL_STRING(e->sockflowDestinationPodNamespace, s, container.pod_namespace);
	FILL_STRING(e->sockflowSourcePodUid, c, container.pod_uid);
	FILL_STRING(e->sockflowDestinationPodUid, s, container.pod_uid);
	FILL_STRING(e->sockflowSourceCgroupPath, c, cgroup);
	FILL_STRING(e->sockflowDestinationCgroupPath, s, cgroup);
	e->SRC_PROC_PID = c->pid;
	e->DST_PROC_PID = s->pid;
	e->SRC_PROC_UID = c->pid ? c->uid : 0;
	e->DST_PROC_UID = s->pid ? s->uid : 0;
	e->SRC_FATHER_PROC_PID = c->pid ? c->ppid : 0;
	e->DST_FATHER_PROC_PID = s->pid ? s->ppid : 0;
	e->sockflowSourceNetnsInode = c->pid ? c->netns_ino : 0;
	e->sockflowDestinationNetnsInode = s->pid ? s->netns_ino : 0;
}

/*
 * A record's two ends in the order it names them: biflow and the
 * initiator's direction, client first; the responder's direction, server
 * first (RFC 5103 uniflow, biflowDirection 2).
 */
struct record_ends {
	const struct flow_process *src, *dst;
	const struct flow_counters *src_out, *dst_out;	/* what each end sent */
	const struct flow_quality *src_q, *dst_q;
	const uint8_t *src_addr, *dst_addr;
	uint16_t src_port, dst_port;
	const uint8_t *nat_src_addr, *nat_dst_addr;
	uint16_t nat_src_port, nat_dst_port;
};

static void record_ends(struct record_ends *e, const struct flow_record *r,
			enum templates_direction dir)
{
	bool rev = dir == TEMPLATES_RESPONDER;

	e->src = rev ? &r->server : &r->client;
	e->dst = rev ? &r->client : &r->server;
	e->src_out = rev ? &r->rev : &r->fwd;
	e->dst_out = rev ? &r->fwd : &r->rev;
	e->src_q = rev ? &r->server_q : &r->client_q;
	e->dst_q = rev ? &r->client_q : &r->server_q;
	e->src_addr = rev ? r->key.server_addr : r->key.client_addr;
	e->dst_addr = rev ? r->key.client_addr : r->key.server_addr;
	e->src_port = rev ? r->key.server_port : r->key.client_port;
	e->dst_port = rev ? r->key.client_port : r->key.server_port;
	e->nat_src_addr = rev ? r->post_nat.server_addr : r->post_nat.client_addr;
	e->nat_dst_addr = rev ? r->post_nat.client_addr : r->post_nat.server_addr;
	e->nat_src_port = rev ? r->post_nat.server_port : r->post_nat.client_port;
	e->nat_dst_port = rev ? r->post_nat.client_port : r->post_nat.server_port;
}

/* Counters: forward = what the record's source sent; reverse (biflow only) the rest. */
static void fill_counters(struct templates_counters *c, const struct flow_record *r,
			  const struct record_ends *e)
{
	c->flowStartMilliseconds = r->start_ms;
	c->flowEndMilliseconds = r->end_ms;
	c->octetDeltaCount = e->src_out->octets;
	c->packetDeltaCount = e->src_out->packets;
	c->reverseOctetDeltaCount = e->dst_out->octets;
	c->reversePacketDeltaCount = e->dst_out->packets;
	c->sockflowPayloadOctets = e->src_out->payload;
	c->reverseSockflowPayloadOctets = e->dst_out->payload;
}

/*
 * TCP quality per end, following the record's addresses. The network
 * latencies are the connection's, client (initiator) and server, whichever
 * direction the record is.
 */
static void fill_quality(struct templates_quality *q, const struct flow_record *r,
			 const struct record_ends *e)
{
	memset(q, 0, sizeof(*q));
	q->RETRANSMITTED_IN_PKTS = e->src_q->retrans;
	q->RETRANSMITTED_OUT_PKTS = e->dst_q->retrans;
	q->CLIENT_NW_LATENCY_MS = flow_record__client_latency_ms(r);
	q->SERVER_NW_LATENCY_MS = flow_record__server_latency_ms(r);
	q->sockflowSourceRttMicroseconds = e->src_q->rtt_us;
	q->sockflowDestinationRttMicroseconds = e->dst_q->rtt_us;
	q->sockflowSourceRttVarMicroseconds = e->src_q->rttvar_us;
	q->sockflowDestinationRttVarMicroseconds = e->dst_q->rttvar_us;
	q->sockflowSourceLostSegments = e->src_q->lost;
	q->sockflowDestinationLostSegments = e->dst_q->lost;
	q->sockflowSourceResetsSent = e->src_q->resets_sent;
	q->sockflowDestinationResetsSent = e->dst_q->resets_sent;
	q->sockflowSourceResetsReceived = e->src_q->resets_received;
	q->sockflowDestinationResetsReceived = e->dst_q->resets_received;
	q->sockflowFlowStartUnknown = !!(r->flags & FLOW_RECORD_START_UNKNOWN);
}

static void fill_tail(struct templates_tail *t, const struct flow_record *r,
		      const struct record_ends *e, enum templates_direction dir,
		      const struct application *app)
{
	memset(t, 0, sizeof(*t));
	t->sourceTransportPort = e->src_port;
	t->destinationTransportPort = e->dst_port;
	if (r->post_nat.nat) {
		t->postNAPTSourceTransportPort = e->nat_src_port;
		t->postNAPTDestinationTransportPort = e->nat_dst_port;
	}
	t->protocolIdentifier = r->key.protocol;
	t->tcpControlBits = r->tcp_flags;
	t->flowEndReason = r->end_reason;
	t->biflowDirection = dir == TEMPLATES_RESPONDER ? 2 : 1;
	if (app)
		memcpy(t->applicationId, app->id, APPLICATIONS_ID_LEN);
}

/* The parts both families share; returns the record's ends for its addresses. */
static void fill_common(struct templates_counters *c, struct templates_ends *en,
			struct templates_quality *q, struct templates_tail *t,
			struct record_ends *e, const struct flow_record *r,
			enum templates_direction dir, const struct application *app)
{
	record_ends(e, r, dir);
	fill_counters(c, r, e);
	fill_ends(en, e->src, e->dst);
	fill_quality(q, r, e);
	fill_tail(t, r, e, dir, app);
}

static uint32_t ipv4_host_order(const uint8_t *addr)
{
	uint32_t a;

	memcpy(&a, addr, sizeof(a));
	return ntohl(a);
}

void templates__fill_flow4(struct templates_flow4 *rec, const struct flow_record *r,
			   enum templates_direction dir, const struct application *app)
{
	struct record_ends e;

	fill_common(&rec->counters, &rec->ends, &rec->quality, &rec->tail, &e, r, dir, app);
	rec->sourceIPv4Address = ipv4_host_order(e.src_addr);
	rec->destinationIPv4Address = ipv4_host_order(e.dst_addr);
	rec->postNATSourceIPv4Address = 0;
	rec->postNATDestinationIPv4Address = 0;
	if (r->post_nat.nat) {
		rec->postNATSourceIPv4Address = ipv4_host_order(e.nat_src_addr);
		rec->postNATDestinationIPv4Address = ipv4_host_order(e.nat_dst_addr);
	}
}

void templates__fill_flow6(struct templates_flow6 *rec, const struct flow_record *r,
			   enum templates_direction dir, const struct application *app)
{
	struct record_ends e;

	fill_common(&rec->counters, &rec->ends, &rec->quality, &rec->tail, &e, r, dir, app);
	memcpy(rec->sourceIPv6Address, e.src_addr, 16);
	memcpy(rec->destinationIPv6Address, e.dst_addr, 16);
	memset(rec->postNATSourceIPv6Address, 0, 16);
	memset(rec->postNATDestinationIPv6Address, 0, 16);
	if (r->post_nat.nat) {
		memcpy(rec->postNATSourceIPv6Address, e.nat_src_addr, 16);
		memcpy(rec->postNATDestinationIPv6Address, e.nat_dst_addr, 16);
	}
}

void templates__fill_application(struct templates_application *rec, uint32_t odid,
				 const struct application *app)
{
	memset(rec, 0, sizeof(*rec));
	rec->observationDomainId = odid;
	memcpy(rec->applicationId, app->id, APPLICATIONS_ID_LEN);
	/* The last octet stays NUL, as nfcapd makes it anyway. */
	memcpy(rec->applicationName, app->name,
	       strnlen(app->name, sizeof(rec->applicationName) - 1));
	memcpy(rec->applicationDescription, app->description,
	       strnlen(app->description, sizeof(rec->applicationDescription) - 1));
}

void templates__fill_loss_stats(struct templates_loss_stats *rec, uint32_t odid,
				const struct export_stats *st,
				const struct export_loss_stats *loss)
{
	memset(rec, 0, sizeof(*rec));
	rec->observationDomainId = odid;
	rec->exportedMessageTotalCount = st->messages_sent;
	rec->exportedFlowRecordTotalCount = st->records_sent;
	rec->notSentFlowTotalCount = st->records_lost;
	rec->sockflowRingbufLostEventTotalCount = loss->ringbuf_events_lost;
	rec->sockflowProcessLostEventTotalCount = loss->process_events_lost;
	rec->sockflowUntrackedSocketTotalCount = loss->sockets_not_tracked;
	rec->sockflowHandshakeNotKeptTotalCount = loss->handshake_map_full;
	rec->sockflowEvictedFlowTotalCount = loss->flows_evicted;
	rec->sockflowFilteredFlowTotalCount = loss->flows_filtered;
	rec->sockflowUnconfirmedFlowTotalCount = st->records_unconfirmed;
	rec->sockflowTcpCountsEstimated = loss->tcp_counts_estimated;
}
