#!/usr/bin/python3
"""A scripted, misbehaving SSH server for the integration tests.

    badpeer.py --mode MODE [--port N] [--port-file FILE] [--linger SECONDS]

Listens on 127.0.0.1 (port 0 = the kernel picks one; the port is written to --port-file, which
appears atomically once the socket listens) and treats every connection according to MODE:

  garbage          binary garbage (with NUL bytes) instead of a version line, then close
  longline         a 64 KiB line without a newline instead of a version line, then wait
  manylines        2000 non-SSH lines before any version line, then close
  badversion       "SSH-1.5-..." (protocol 1 only), then wait
  silent           accept and send nothing (the client must time out)
  banner-silence   a valid version line, then nothing (the client must time out)
  oversized        version line, then a packet length of 0x40000000, then wait
  badpadding       version line, then a packet whose padding length >= packet length, then wait
  tinypacket       version line, then a packet length of 0, then wait
  close-after-kexinit  version line and a valid KEXINIT, read the client's KEXINIT, then close
  nocipher         version line and a KEXINIT whose only cipher is 3des-cbc, then wait
  truncated-kexinit    version line and a KEXINIT whose first name-list runs past the packet
  disconnect       version line, then SSH_MSG_DISCONNECT (protocol error), then close

"wait" means: keep the connection open, reading and discarding, until the client closes it or
--linger seconds pass (default 120) -- a client that does not give up on its own hangs the test.
Runs until killed. Python standard library only.
"""

import argparse
import os
import socket
import struct
import time

import peerlib

VERSION = b"SSH-2.0-BadPeer_1.0\r\n"

GOOD_LISTS = [
    b"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256",
    b"ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-256",
    b"aes128-ctr,aes128-gcm@openssh.com,chacha20-poly1305@openssh.com",
    b"aes128-ctr,aes128-gcm@openssh.com,chacha20-poly1305@openssh.com",
    b"hmac-sha2-256,hmac-sha2-256-etm@openssh.com",
    b"hmac-sha2-256,hmac-sha2-256-etm@openssh.com",
    b"none",
    b"none",
    b"",
    b"",
]


def string(b):
    return struct.pack(">I", len(b)) + b


def packet(payload, block=8):
    """An unencrypted binary packet (RFC 4253 section 6) around payload."""
    pad = block - ((5 + len(payload)) % block)
    if pad < 4:
        pad += block
    length = 1 + len(payload) + pad
    return struct.pack(">IB", length, pad) + payload + os.urandom(pad)


def kexinit(lists, cookie=None):
    body = bytes([20]) + (cookie or os.urandom(16))
    for name_list in lists:
        body += string(name_list)
    body += b"\x00" + struct.pack(">I", 0)
    return packet(body)


def recv_line(conn, limit=8192):
    """The client's version line (or whatever it sends up to a newline)."""
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        c = conn.recv(1)
        if not c:
            break
        data += c
    return data


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        c = conn.recv(n - len(data))
        if not c:
            raise EOFError("peer closed")
        data += c
    return data


def recv_packet(conn):
    (length,) = struct.unpack(">I", recv_exact(conn, 4))
    if length > 65536:
        raise ValueError("client sent packet length %d" % length)
    return recv_exact(conn, length)


def drain(conn, linger):
    """Read and discard until the client closes or linger seconds pass."""
    deadline = time.monotonic() + linger
    conn.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            if not conn.recv(65536):
                return
        except socket.timeout:
            continue
        except OSError:
            return


def handle(conn, mode, linger):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if mode == "garbage":
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\x00\x01\xff\xfe" + os.urandom(512) + b"\r\n")
        time.sleep(0.5)
        return
    if mode == "longline":
        conn.sendall(b"X" * 65536)
        drain(conn, linger)
        return
    if mode == "manylines":
        conn.sendall(b"this is not ssh\r\n" * 2000)
        time.sleep(0.5)
        return
    if mode == "badversion":
        conn.sendall(b"SSH-1.5-OldPeer\r\n")
        drain(conn, linger)
        return
    if mode == "silent":
        drain(conn, linger)
        return
    conn.sendall(VERSION)
    if mode == "banner-silence":
        drain(conn, linger)
        return
    if mode == "oversized":
        recv_line(conn)
        conn.sendall(struct.pack(">IB", 0x40000000, 4) + os.urandom(1024))
        drain(conn, linger)
        return
    if mode == "badpadding":
        recv_line(conn)
        # packet_length 12, padding_length 12: padding would eat the length byte and the payload
        conn.sendall(struct.pack(">IB", 12, 12) + bytes([20]) + os.urandom(10))
        drain(conn, linger)
        return
    if mode == "tinypacket":
        recv_line(conn)
        conn.sendall(struct.pack(">I", 0) + os.urandom(60))
        drain(conn, linger)
        return
    if mode == "close-after-kexinit":
        conn.sendall(kexinit(GOOD_LISTS))
        recv_line(conn)
        try:
            recv_packet(conn)
        except (EOFError, ValueError):
            pass
        return
    if mode == "nocipher":
        lists = list(GOOD_LISTS)
        lists[2] = b"3des-cbc"
        lists[3] = b"3des-cbc"
        conn.sendall(kexinit(lists))
        drain(conn, linger)
        return
    if mode == "truncated-kexinit":
        body = bytes([20]) + os.urandom(16) + struct.pack(">I", 5000) + b"curve25519-sha256"
        conn.sendall(packet(body))
        drain(conn, linger)
        return
    if mode == "disconnect":
        recv_line(conn)
        body = bytes([1]) + struct.pack(">I", 2) + string(b"scripted disconnect") + string(b"")
        conn.sendall(packet(body))
        time.sleep(0.5)
        return
    raise ValueError("unknown mode " + mode)


MODES = [
    "garbage", "longline", "manylines", "badversion", "silent", "banner-silence", "oversized",
    "badpadding", "tinypacket", "close-after-kexinit", "nocipher", "truncated-kexinit",
    "disconnect",
]


def serve(conn, mode, linger):
    try:
        handle(conn, mode, linger)
    except (OSError, EOFError, ValueError):
        pass
    finally:
        peerlib.close_quietly(conn)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", required=True, choices=MODES)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--linger", type=float, default=120.0)
    args = ap.parse_args()

    srv, port = peerlib.listen(args.port)
    peerlib.announce(port, args.port_file)
    peerlib.serve_forever(srv, lambda conn: serve(conn, args.mode, args.linger))


if __name__ == "__main__":
    peerlib.run(main)
