#!/usr/bin/python3
"""Send a file through a TCP connection and keep what comes back (the forwarding tests).

    tcp_pump.py PORT IN OUT [--wait-file FILE]

Connects to 127.0.0.1:PORT, sends IN while reading into OUT (both at once, so an echo never
deadlocks), shuts the sending side after IN, and reads until the peer closes. --wait-file reads nothing
until FILE exists (a stalled reader, released by the test). Exit status 0 when the peer closed cleanly.
Python standard library only.
"""

import argparse
import os
import socket
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("infile")
    ap.add_argument("outfile")
    ap.add_argument("--wait-file")
    a = ap.parse_args()
    s = socket.create_connection(("127.0.0.1", a.port), timeout=120)

    def send():
        with open(a.infile, "rb") as f:
            while True:
                chunk = f.read(65536)
                if not chunk:
                    break
                s.sendall(chunk)
        s.shutdown(socket.SHUT_WR)

    t = threading.Thread(target=send, daemon=True)
    t.start()
    while a.wait_file and not os.path.exists(a.wait_file):
        time.sleep(0.05)
    with open(a.outfile, "wb") as out:
        while True:
            data = s.recv(262144)
            if not data:
                break
            out.write(data)
    t.join(120)
    s.close()


if __name__ == "__main__":
    main()
