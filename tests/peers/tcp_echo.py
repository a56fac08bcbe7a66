#!/usr/bin/python3
"""A TCP service for the forwarding tests: every connection gets its bytes back.

    tcp_echo.py [--port N] [--port-file FILE] [--log FILE]

Listens on 127.0.0.1 (port 0 = the kernel picks; written atomically to --port-file once
listening). Each connection is echoed byte for byte until the client shuts its sending side, then
the server shuts its own and closes. --log appends one line per connection ("conn PEER") so a test
can count what came through. Runs until killed. Python standard library only.
"""

import argparse
import os
import socket
import threading


def serve(conn, log, lock):
    try:
        if log:
            with lock, open(log, "a", encoding="ascii") as f:
                f.write("conn %s:%d\n" % conn.getpeername()[:2])
        while True:
            data = conn.recv(262144)
            if not data:
                break
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    a = ap.parse_args()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", a.port))
    srv.listen(64)
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write("%d\n" % srv.getsockname()[1])
        os.rename(tmp, a.port_file)
    lock = threading.Lock()
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, a.log, lock), daemon=True).start()


if __name__ == "__main__":
    main()
