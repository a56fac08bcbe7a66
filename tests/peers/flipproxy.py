#!/usr/bin/python3
"""A TCP proxy to a real SSH server that flips one bit in the server->client stream.

    flipproxy.py --target-port P [--offset N] [--after-banner] [--mask 0x10]
                 [--port N] [--port-file FILE]

Listens on 127.0.0.1 (port 0 = the kernel picks one; written atomically to --port-file once
listening) and forwards every connection to 127.0.0.1:P. In the server->client direction the
byte at stream offset N (counted from the first byte, or from the byte after the server's version
line with --after-banner) is XORed with --mask. With N beyond the key exchange this corrupts an
encrypted packet, so the client must report a bad MAC / authentication tag; with N inside the
KEXINIT cookie, the exchange hash differs and the host key signature must fail. The client->server
direction is forwarded untouched. Runs until killed. Python standard library only.
"""

import argparse
import select
import socket

import peerlib


def pump(client, server, offset, after_banner, mask):
    socks = [client, server]
    seen = 0  # server->client bytes counted towards the offset
    banner_done = not after_banner
    flipped = False
    try:
        while True:
            readable, _, _ = select.select(socks, [], [], 300)
            if not readable:
                return
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                if s is client:
                    server.sendall(data)
                    continue
                buf = bytearray(data)
                start = 0
                if not banner_done:
                    nl = buf.find(b"\n")
                    if nl < 0:
                        client.sendall(bytes(buf))
                        continue
                    banner_done = True
                    start = nl + 1
                if not flipped:
                    rel = offset - seen
                    avail = len(buf) - start
                    if 0 <= rel < avail:
                        buf[start + rel] ^= mask
                        flipped = True
                    seen += avail
                client.sendall(bytes(buf))
    except OSError:
        return
    finally:
        peerlib.close_quietly(*socks)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target-port", type=int, required=True)
    ap.add_argument("--offset", type=int, default=20000)
    ap.add_argument("--after-banner", action="store_true")
    ap.add_argument("--mask", type=lambda v: int(v, 0), default=0x10)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    if not 1 <= args.mask <= 255:
        ap.error("--mask must be 1..255")

    srv, port = peerlib.listen(args.port)
    peerlib.announce(port, args.port_file)

    def handle(client):
        try:
            server = socket.create_connection(("127.0.0.1", args.target_port))
        except OSError:
            client.close()
            return
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pump(client, server, args.offset, args.after_banner, args.mask)

    peerlib.serve_forever(srv, handle)


if __name__ == "__main__":
    peerlib.run(main)
