#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Send hand-built IPFIX biflow records to a collector, to check collector tooling without sockflow.

The records look like what sockflow exports: IPv4 TCP biflow, RFC 5103 reverse
counters (PEN 29305), flowEndReason, ntop process names (PEN 35632).
Record i: source port BASE+i, octets 1000+i / reverse 2000+i, packets 10+i / 20+i.
"""
import argparse
import socket
import struct
import time

PEN_REVERSE = 29305
PEN_NTOP = 35632
VARLEN = 65535

# (element id, length, enterprise number or 0)
FIELDS = [
    (8, 4, 0),              # sourceIPv4Address
    (12, 4, 0),             # destinationIPv4Address
    (7, 2, 0),              # sourceTransportPort
    (11, 2, 0),             # destinationTransportPort
    (4, 1, 0),              # protocolIdentifier
    (1, 8, 0),              # octetDeltaCount
    (2, 8, 0),              # packetDeltaCount
    (1, 8, PEN_REVERSE),    # reverseOctetDeltaCount
    (2, 8, PEN_REVERSE),    # reversePacketDeltaCount
    (152, 8, 0),            # flowStartMilliseconds
    (153, 8, 0),            # flowEndMilliseconds
    (136, 1, 0),            # flowEndReason
    (169, VARLEN, PEN_NTOP),  # SRC_PROC_NAME
    (376, VARLEN, PEN_NTOP),  # DST_PROC_NAME
]
TEMPLATE_ID = 256


def varlen(b):
    return bytes([len(b)]) + b


def template_set():
    body = struct.pack('!HH', TEMPLATE_ID, len(FIELDS))
    for ie, length, pen in FIELDS:
        if pen:
            body += struct.pack('!HHI', ie | 0x8000, length, pen)
        else:
            body += struct.pack('!HH', ie, length)
    return struct.pack('!HH', 2, 4 + len(body)) + body


def data_set(args, now_ms):
    recs = b''
    for i in range(args.count):
        recs += socket.inet_aton(args.src) + socket.inet_aton(args.dst)
        recs += struct.pack('!HHB', args.sport + i, args.dport, 6)
        recs += struct.pack('!QQQQQQB', 1000 + i, 10 + i, 2000 + i, 20 + i,
                            now_ms - 500, now_ms, 3)
        recs += varlen(b'probe-client') + varlen(b'probe-server')
    return struct.pack('!HH', TEMPLATE_ID, 4 + len(recs)) + recs


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--collector', required=True,
                    help='udp://HOST:PORT, tcp://HOST:PORT or file:PATH')
    ap.add_argument('--count', type=int, default=3)
    ap.add_argument('--src', default='127.0.0.1')
    ap.add_argument('--dst', default='127.0.0.2')
    ap.add_argument('--sport', type=int, default=40000)
    ap.add_argument('--dport', type=int, default=8080)
    ap.add_argument('--domain', type=int, default=7, help='observation domain id')
    args = ap.parse_args()

    now = time.time()
    msg = template_set() + data_set(args, int(now * 1000))
    msg = struct.pack('!HHIII', 10, 16 + len(msg), int(now), 1, args.domain) + msg
    if args.collector.startswith('file:'):
        with open(args.collector[len('file:'):], 'wb') as f:
            f.write(msg)
        return
    scheme, _, rest = args.collector.partition('://')
    host, _, port = rest.rpartition(':')
    if scheme == 'udp':
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(msg, (host, int(port)))
    elif scheme == 'tcp':
        with socket.create_connection((host, int(port))) as s:
            s.sendall(msg)
    else:
        ap.error('collector must be udp://HOST:PORT, tcp://HOST:PORT or file:PATH')


if __name__ == '__main__':
    main()
