"""What the test peers (badpeer.py, flipproxy.py, hostile_server.py) share: a listening socket
on 127.0.0.1 whose port the test script learns from a file that appears atomically, a thread for
every connection, a close that ignores errors, and an entry point that ends quietly on ^C.
Python standard library only.

    srv, port = peerlib.listen(args.port)
    peerlib.announce(port, args.port_file)   # the port file (or stdout): the peer is ready
    peerlib.serve_forever(srv, handle)       # handle(conn) in a daemon thread per connection

    if __name__ == "__main__":
        peerlib.run(main)
"""

import os
import socket
import sys
import threading


def write_atomically(path, text):
    """path appears with text all at once (the scripts poll for it)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def listen(port=0, rcvbuf=None):
    """A socket listening on 127.0.0.1:port (0: the kernel picks), and the port it got."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf is not None:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    return srv, srv.getsockname()[1]


def announce(port, port_file):
    """Tell the test script the port: in port_file, or on stdout when there is none."""
    if port_file:
        write_atomically(port_file, "%d\n" % port)
    else:
        print(port, flush=True)


def close_quietly(*socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def serve_forever(srv, handle):
    """Accept until killed; handle(conn) runs in a daemon thread of its own."""
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def run(main):
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
