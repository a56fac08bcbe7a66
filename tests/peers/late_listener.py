#!/usr/bin/python3
"""A TCP relay to a real SSH server that starts listening late (the connect-retry test).

    late_listener.py --target-port P --watch FILE --pattern TEXT [--port-file FILE]

Binds 127.0.0.1 on a port the kernel picks (written to --port-file at once) without listening,
so that connections to it are refused, until a line of FILE holds TEXT ("%p" in TEXT stands for
that port); then listens and forwards every connection to 127.0.0.1:P both ways, untouched.
Runs until killed. Python standard library only.
"""

import argparse
import select
import socket
import time

import peerlib


def seen(path, text):
    try:
        with open(path, errors="replace") as f:
            return any(text in line for line in f)
    except OSError:
        return False


def pump(a, b):
    try:
        while True:
            readable, _, _ = select.select([a, b], [], [], 300)
            if not readable:
                return
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return
    finally:
        peerlib.close_quietly(a, b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target-port", type=int, required=True)
    ap.add_argument("--watch", required=True)
    ap.add_argument("--pattern", required=True)
    ap.add_argument("--port-file")
    args = ap.parse_args()

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    peerlib.announce(port, args.port_file)
    text = args.pattern.replace("%p", str(port))
    while not seen(args.watch, text):
        time.sleep(0.02)
    srv.listen(16)

    def handle(client):
        try:
            server = socket.create_connection(("127.0.0.1", args.target_port))
        except OSError:
            client.close()
            return
        pump(client, server)

    peerlib.serve_forever(srv, handle)


if __name__ == "__main__":
    peerlib.run(main)
