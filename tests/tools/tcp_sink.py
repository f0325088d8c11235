#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A TCP collector that only listens: accept connections, keep what they send.

For tests of sockflow's tcp:// export. Each accepted connection's bytes go to
OUT_PREFIX.N (N = 1, 2, ... in accept order). Progress lines on stdout, flushed:
    listening ADDR PORT      bound and listening
    accepted N PEER_PORT     connection N came in
    bytes N TOTAL            connection N has sent TOTAL bytes so far
    closed N TOTAL           connection N ended (EOF or error) after TOTAL bytes
    stalled N TOTAL          connection N is read no more (--stall-after)
Runs until killed (SIGTERM: exits 0).

    tcp_sink.py --port P --out DIR/stream [--rcvbuf BYTES] [--stall-after BYTES]

--stall-after: a collector that hangs. Each connection is read in whole IPFIX
messages (16-byte header, length in bytes 2-3) until BYTES or more were read,
then never read again but kept open, so its receive queue fills and the
exporter's writes stall. --rcvbuf sets SO_RCVBUF before listen(), which the
accepted sockets inherit (and which turns off receive buffer autotuning).
"""
import argparse
import selectors
import struct
import signal
import socket
import sys


def say(*words):
    print(*words, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--addr', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--out', required=True, help='prefix of the per-connection files')
    ap.add_argument('--rcvbuf', type=int, help='SO_RCVBUF of the connections')
    ap.add_argument('--stall-after', type=int, help='stop reading after this many bytes')
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    family = socket.AF_INET6 if ':' in args.addr else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.rcvbuf:
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
    lsock.bind((args.addr, args.port))
    lsock.listen(16)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, None)
    say('listening', args.addr, lsock.getsockname()[1])

    n = 0
    stalled = []
    while True:
        for key, _ in sel.select():
            if key.data is None:
                conn, peer = lsock.accept()
                n += 1
                if args.stall_after is not None:
                    say('accepted', n, peer[1])
                    stall(conn, n, args.stall_after, f'{args.out}.{n}')
                    stalled.append(conn)
                    continue
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ,
                             {'n': n, 'total': 0, 'f': open(f'{args.out}.{n}', 'wb')})
                say('accepted', n, peer[1])
                continue
            st = key.data
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b''
            if data:
                st['f'].write(data)
                st['f'].flush()
                st['total'] += len(data)
                say('bytes', st['n'], st['total'])
                continue
            sel.unregister(key.fileobj)
            key.fileobj.close()
            st['f'].close()
            say('closed', st['n'], st['total'])


def recv_exact(conn, size):
    data = b''
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def stall(conn, n, limit, path):
    """Read whole messages until LIMIT bytes or more, then stop reading CONN."""
    total = 0
    with open(path, 'wb') as f:
        try:
            while total < limit:
                head = recv_exact(conn, 16)
                body = recv_exact(conn, struct.unpack('!H', head[2:4])[0] - 16)
                f.write(head + body)
                f.flush()
                total += len(head) + len(body)
        except (EOFError, OSError):
            say('closed', n, total)
            return
    say('stalled', n, total)


if __name__ == '__main__':
    main()
