#!/usr/bin/env python3
"""A ProxyCommand for the tests: relays its stdin/stdout to 127.0.0.1:PORT.

    stdio_relay.py --log FILE --port PORT [--linger] [ARG ...]

Writes to FILE its pid ("pid N"), then each ARG on its own line ("arg <value>"), so that a test
sees how the client expanded %h %p %r %n. Relays bytes both ways until both directions are
closed. --linger: afterwards, sleep instead of exiting (only a signal ends it).
"""
import argparse
import os
import selectors
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--linger", action="store_true")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    with open(a.log, "w") as f:
        f.write("pid %d\n" % os.getpid())
        for v in a.args:
            f.write("arg %s\n" % v)
    s = socket.create_connection(("127.0.0.1", a.port))
    inp, out = sys.stdin.fileno(), sys.stdout.fileno()
    sel = selectors.DefaultSelector()
    sel.register(inp, selectors.EVENT_READ, "in")
    sel.register(s, selectors.EVENT_READ, "sock")
    open_dirs = 2
    while open_dirs > 0:
        for key, _ in sel.select():
            if key.data == "in":
                data = os.read(inp, 65536)
                if not data:
                    sel.unregister(inp)
                    s.shutdown(socket.SHUT_WR)
                    open_dirs -= 1
                else:
                    s.sendall(data)
            else:
                data = s.recv(65536)
                if not data:
                    sel.unregister(s)
                    os.close(out)
                    open_dirs -= 1
                else:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(out, view):]
    if a.linger:
        while True:
            time.sleep(60)


if __name__ == "__main__":
    try:
        main()
    except (BrokenPipeError, ConnectionResetError):
        sys.exit(1)
