#!/usr/bin/python3
"""Servers that stall or end sessions oddly, for the loop_*.sh tests (the client's timeouts and
exit statuses).

    loop_peer.py --mode MODE --port-file FILE [--host-key KEY] [--password PW] [--record FILE]

Listens on 127.0.0.1 (a port of the kernel's choosing, written atomically to --port-file once the
socket listens). Modes without SSH (standard library only), each connection in a thread:

  silent        accept and say nothing
  drip          a version line, then one byte every 0.2 s of a packet that never completes
  ignore-flood  a version line, then an SSH_MSG_IGNORE packet every 0.05 s, never a KEXINIT

With --record, what the clients send is appended to FILE (it is all cleartext here).

Modes with asyncssh (--host-key needed):

  auth-stall    key exchange, then the whole server freezes at the first userauth request
  open-stall    no authentication needed; the server freezes once it has said USERAUTH_SUCCESS
  password      --password is the password (also as keyboard-interactive: no); a session runs
                the command with /bin/sh -c
  publickey     any public key is accepted once its signature checks; sessions as "password"
  status        no authentication needed; the command decides how the session ends:
                "status N" sends exit-status N (any uint32, sent raw) and closes,
                "nostatus" closes without exit-status or exit-signal

Runs until killed.
"""

import argparse
import asyncio
import os
import socket
import struct
import sys
import threading
import time
import warnings

warnings.simplefilter("ignore")

VERSION = b"SSH-2.0-LoopPeer_1.0\r\n"


def packet(payload, block=8):
    """An unencrypted binary packet (RFC 4253 section 6) around payload."""
    pad = block - ((5 + len(payload)) % block)
    if pad < 4:
        pad += block
    return struct.pack(">IB", 1 + len(payload) + pad, pad) + payload + b"\0" * pad


def drain(conn, record):
    """Read until the client closes, appending to the record file if any."""
    try:
        while True:
            b = conn.recv(65536)
            if not b:
                break
            if record:
                with open(record, "ab") as f:
                    f.write(b)
    except OSError:
        pass


def raw_conn(conn, mode, record):
    try:
        if mode == "silent":
            drain(conn, record)
            return
        conn.sendall(VERSION)
        threading.Thread(target=drain, args=(conn, record), daemon=True).start()
        if mode == "drip":
            # a packet of 1000 bytes announced, one byte at a time: never complete
            pkt = struct.pack(">IB", 996, 4) + b"\x02" + b"x" * 1000
            for b in pkt:
                conn.sendall(bytes([b]))
                time.sleep(0.2)
        elif mode == "ignore-flood":
            ign = packet(b"\x02" + struct.pack(">I", 8) + b"flooding")
            while True:
                conn.sendall(ign)
                time.sleep(0.05)
    except OSError:
        pass
    finally:
        conn.close()


def listen():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s


def write_port(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, path)


def run_raw(args):
    s = listen()
    write_port(args.port_file, s.getsockname()[1])
    while True:
        conn, _ = s.accept()
        threading.Thread(target=raw_conn, args=(conn, args.mode, args.record), daemon=True).start()


def run_asyncssh(args):
    import asyncssh
    from asyncssh.packet import UInt32

    mode = args.mode

    class Server(asyncssh.SSHServer):
        def begin_auth(self, username):
            if mode == "auth-stall":
                time.sleep(3600)  # the whole server freezes
            return mode in ("password", "publickey")

        def auth_completed(self):
            if mode == "open-stall":
                time.sleep(3600)

        def password_auth_supported(self):
            return mode == "password"

        def validate_password(self, username, password):
            return password == args.password

        def kbdint_auth_supported(self):
            return False

        def public_key_auth_supported(self):
            return mode == "publickey"

        def validate_public_key(self, username, key):
            return True

    async def handle(process):
        cmd = process.command or ""
        chan = process.channel
        if mode == "status" and cmd.startswith("status "):
            chan._send_request(b"exit-status", UInt32(int(cmd.split()[1]) & 0xFFFFFFFF))
            chan.close()
            return
        if mode == "status" and cmd == "nostatus":
            chan.close()
            return
        proc = await asyncio.create_subprocess_shell(
            cmd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        process.stdout.write(out.decode("latin-1"))
        process.stderr.write(err.decode("latin-1"))
        process.exit(proc.returncode & 0xFF)

    async def main():
        server = await asyncssh.create_server(
            Server,
            "127.0.0.1",
            0,
            server_host_keys=[args.host_key],
            process_factory=handle,
            encoding="latin-1",
        )
        write_port(args.port_file, server.sockets[0].getsockname()[1])
        async with server:
            await asyncio.Event().wait()

    asyncio.run(main())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--host-key")
    ap.add_argument("--password", default="secret")
    ap.add_argument("--record")
    args = ap.parse_args()
    if args.mode in ("silent", "drip", "ignore-flood"):
        run_raw(args)
    else:
        run_asyncssh(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
