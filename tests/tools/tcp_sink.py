#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A TCP collector that only listens: accept connections, keep what they send.

For tests of sockflow's tcp:// export. Each accepted connection's bytes go to
OUT_PREFIX.N (N = 1, 2, ... in accept order). Progress lines on stdout, flushed:
    listening ADDR PORT      bound and listening
    accepted N PEER_PORT     connection N came in
    bytes N TOTAL            connection N has sent TOTAL bytes so far
    closed N TOTAL           connection N ended (EOF or error) after TOTAL bytes
Runs until killed (SIGTERM: exits 0).

    tcp_sink.py --port P --out DIR/stream
"""
import argparse
import selectors
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
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    family = socket.AF_INET6 if ':' in args.addr else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.addr, args.port))
    lsock.listen(16)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, None)
    say('listening', args.addr, lsock.getsockname()[1])

    n = 0
    while True:
        for key, _ in sel.select():
            if key.data is None:
                conn, peer = lsock.accept()
                n += 1
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


if __name__ == '__main__':
    main()
