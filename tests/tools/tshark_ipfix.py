#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn tshark's PDML of IPFIX packets into JSON lines, one per data record.

Keys are IPFIX element names, as sockflow --json prints them, so tests can compare
both with the same code. RFC 5103 reverse elements, which tshark shows as a second
"cflow.octets" with "(Reverse Type ...)" in its showname, get the "reverse" prefix.
ntop elements (cflow.pie.ntop.src_proc_name) become SRC_PROC_NAME. Fields without a
mapping keep tshark's name. Enterprise elements tshark has no name for (ntop's
SRC_PROC_CMDLINE 556 ... DST_PROC_CONTAINER_ID 559, all of sockflow's own) are keyed
"PEN/TYPE", such as "35632/558" or "32473/4": the PEN comes from the enterprise name
tshark shows, numbered as the capture's templates number it ("PEN: ntop (35632)").
tshark only shows their bytes; a value whose bytes are all printable UTF-8 becomes a
string, any other an unsigned big-endian number (a number whose bytes all happen to be
printable, such as 0x726f6f74, would come out as "root"). Each object also has
"_template" (the set id) and "_frame" (the capture frame number).

    tshark -r CAP -d udp.port==PORT,cflow -Y cflow -T pdml | tshark_ipfix.py
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

IANA = {
    'cflow.srcaddr': 'sourceIPv4Address',
    'cflow.dstaddr': 'destinationIPv4Address',
    'cflow.srcaddrv6': 'sourceIPv6Address',
    'cflow.dstaddrv6': 'destinationIPv6Address',
    'cflow.srcport': 'sourceTransportPort',
    'cflow.dstport': 'destinationTransportPort',
    'cflow.protocol': 'protocolIdentifier',
    'cflow.octets': 'octetDeltaCount',
    'cflow.packets': 'packetDeltaCount',
    'cflow.octets64': 'octetDeltaCount',
    'cflow.packets64': 'packetDeltaCount',
    'cflow.flow_end_reason': 'flowEndReason',
    'cflow.tcpflags': 'tcpControlBits',
    'cflow.biflow_direction': 'biflowDirection',
    'cflow.od_id': 'observationDomainId',
    'cflow.abstimestart': 'flowStartMilliseconds',
    'cflow.abstimeend': 'flowEndMilliseconds',
    'cflow.post_natsource_ipv4_address': 'postNATSourceIPv4Address',
    'cflow.post_natdestination_ipv4_address': 'postNATDestinationIPv4Address',
    'cflow.post_naptsource_transport_port': 'postNAPTSourceTransportPort',
    'cflow.post_naptdestination_transport_port': 'postNAPTDestinationTransportPort',
}
NTOP_FIXUPS = {'src_proc_id': 'SRC_PROC_PID'}
NUMERIC = re.compile(r'^-?\d+$')
# Enterprise names as tshark 4.0 shows them, for captures without templates.
PENS = {'ntop': 35632, 'Example Enterprise Number for Documentation Use': 32473}
PEN_IN_TEMPLATE = re.compile(r'^PEN: (.*) \((\d+)\)$')
UNNAMED_ENTRY = re.compile(r'^Enterprise Private entry: \((.*)\) Type (\d+):')


def learn_pens(packet):
    """Enterprise names and numbers from the template records in @packet."""
    for f in packet.iter('field'):
        if f.get('name') == 'cflow.template_ipfix_field_pen':
            m = PEN_IN_TEMPLATE.match(f.get('showname', ''))
            if m:
                PENS[m.group(1)] = int(m.group(2))


def unnamed_entry(field):
    """("PEN/TYPE", value) of a cflow.enterprise_private_entry field."""
    m = UNNAMED_ENTRY.match(field.get('showname', ''))
    if not m:
        return None
    pen = PENS.get(m.group(1), m.group(1))
    raw = bytes.fromhex(field.get('value', ''))
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        text = None
    if text is not None and text.isprintable():
        return '%s/%s' % (pen, m.group(2)), text
    return '%s/%s' % (pen, m.group(2)), int.from_bytes(raw, 'big')


def element_name(field):
    name = field.get('name', '')
    if name in IANA:
        base = IANA[name]
    elif name.startswith('cflow.pie.ntop.'):
        suffix = name[len('cflow.pie.ntop.'):]
        base = NTOP_FIXUPS.get(suffix, suffix.upper())
    else:
        base = name
    if '(Reverse Type' in field.get('showname', ''):
        base = 'reverse' + base[0].upper() + base[1:]
    return base


def value(field):
    name = field.get('name', '')
    if name in ('cflow.abstimestart', 'cflow.abstimeend') and field.get('size') == '8':
        return int(field.get('value'), 16)   # milliseconds since the epoch
    show = field.get('show', '')
    return int(show) if NUMERIC.match(show) else show


def records(packet):
    frame = None
    for f in packet.iter('field'):
        if f.get('name') == 'frame.number':
            frame = int(f.get('show'))
            break
    for proto in packet.iter('proto'):
        if proto.get('name') != 'cflow':
            continue
        for fset in proto.iter('field'):
            set_id = None
            for child in fset:
                if child.get('name') == 'cflow.flowset_id':
                    set_id = int(child.get('show'))
                elif child.get('name') == '' and child.get('show', '').startswith('Flow '):
                    rec = {'_template': set_id, '_frame': frame}
                    for f in child.iter('field'):
                        if f is child or not f.get('name'):
                            continue
                        if f.get('name') in ('cflow.timedelta', 'cflow.pie.ntop',
                                             'cflow.string_len_short'):
                            continue
                        if f.get('name') == 'cflow.enterprise_private_entry':
                            entry = unnamed_entry(f)
                            if entry:
                                rec[entry[0]] = entry[1]
                                continue
                        rec[element_name(f)] = value(f)
                    yield rec


def main():
    for _, elem in ET.iterparse(sys.stdin.buffer, events=('end',)):
        if elem.tag == 'packet':
            learn_pens(elem)
            for rec in records(elem):
                print(json.dumps(rec, sort_keys=True))
            elem.clear()


if __name__ == '__main__':
    main()
