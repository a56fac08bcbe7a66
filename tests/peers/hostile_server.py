#!/usr/bin/python3
"""A small but real SSH-2 server that misbehaves on purpose, for the integration tests.

    hostile_server.py --mode MODE [--port N] [--port-file FILE] [--hostkey-out FILE]
                      [--record FILE] [--linger SECONDS]

Listens on 127.0.0.1 (port 0 = the kernel picks one; the port is written to --port-file, which
appears atomically once the socket listens) and serves every connection in its own thread, until
killed. It speaks SSH-2 for real (RFC 4253/4252/4254): version exchange, KEXINIT,
curve25519-sha256 (or diffie-hellman-group-exchange-sha256 in the gex-* modes), an ssh-ed25519
host key made fresh for each run (--hostkey-out writes its known_hosts line
"[127.0.0.1]:PORT ssh-ed25519 AAAA..." before the port file appears), NEWKEYS, aes128-ctr with
hmac-sha2-256, the ssh-userauth service (the "none" method succeeds), one "session" channel whose
"exec" runs nothing. No strict key exchange is offered; the client's EXT_INFO wishes are ignored.

The exec'd command decides how a session that ends normally ends (every mode that gets there):
"status N" sends exit-status N (any uint32, sent as is), "nostatus" sends none (data "hello\\n",
EOF, CLOSE, neither exit-status nor exit-signal), anything else exit-status 0.

Modes (what differs from "normal"):

  normal            exec: CHANNEL_SUCCESS, data "hello\\n", exit-status, EOF, CLOSE
  stall-kex         sends its version and KEXINIT, never answers the client's key exchange
  stall-userauth    SERVICE_ACCEPT, then never answers the userauth request (socket stays open)
  stall-open        USERAUTH_SUCCESS, then never answers the CHANNEL_OPEN (socket stays open)
  silent            accepts and sends nothing
  drip              sends its version line, then one byte every 0.2 s of a packet that never ends
  ignore-flood-kex  sends its version line, then SSH_MSG_IGNORE packets forever (about 300 a
                    second), never a KEXINIT
  ignore-flood      after SERVICE_ACCEPT, SSH_MSG_IGNORE packets forever (about 300 a second);
                    the userauth request is never answered
  data-after-close  data "hello\\n", exit-status 0, EOF, CLOSE and then (in the same write)
                    CHANNEL_DATA "late\\n" for the closed channel
  empty-data        an empty CHANNEL_DATA and an empty EXTENDED_DATA, then data "hello\\n",
                    exit-status 3
  debug-flood       20,000 SSH_MSG_DEBUG (always_display=1) before USERAUTH_SUCCESS, then normal
  banner-flood      30 USERAUTH_BANNERs of 8 KiB each before USERAUTH_SUCCESS, then normal
  global-flood      after the exec is accepted: GLOBAL_REQUESTs with want-reply, as fast as it
                    can, and never reads its socket again (receive buffer kept small)
  gex-safe          diffie-hellman-group-exchange-sha256 with a real safe prime (the RFC 3526
                    2048-bit MODP group, computed from its definition), g = 2; then normal
  gex-composite     group exchange with a 2048-bit odd composite p (divisible by 3), g = 2
  gex-unsafe-prime  group exchange with a 2048-bit prime p whose (p-1)/2 is composite (odd,
                    without small factors), g = 2
  gex-g1            the safe prime with g = 1
  gex-gpm1          the safe prime with g = p - 1
  probe-check       waits 1.5 s before each of its answers (key exchange reply, SERVICE_ACCEPT,
                    USERAUTH_SUCCESS, CHANNEL_OPEN_CONFIRMATION, the exec's CHANNEL_SUCCESS),
                    then stays quiet 2.5 s before the normal output; every GLOBAL_REQUEST is
                    answered with REQUEST_FAILURE and recorded in --record FILE as
                    "probe PHASE NAME" (PHASE: kex until the client's NEWKEYS, auth until
                    USERAUTH_SUCCESS is sent, open until the exec's CHANNEL_SUCCESS is sent,
                    session afterwards), plus "login-ok" once the exec came
  password          "none" is refused with "password" as the only method; any password succeeds
  publickey         "none" is refused with "publickey" as the only method; any ssh-ed25519 or
                    ecdsa-sha2-nistp256/384/521 key is accepted (USERAUTH_PK_OK to a query)
                    once its signature checks; a bad signature is a USERAUTH_FAILURE

--record FILE (any mode) appends one line per event: "userauth METHOD USER", "exec COMMAND",
"probe PHASE NAME", "login-ok". Global requests are recorded as probes whenever the server reads
packets (in stall-userauth and stall-open it reads nothing more); in silent, drip and
ignore-flood-kex, where everything the client sends is cleartext, "probe kex keepalive" is
recorded if the word "keepalive" is in it. "Never answers" / "keeps the socket open" means
reading and discarding until the client closes or --linger seconds (default 120) pass.

Python standard library plus the cryptography package only.
"""

import argparse
import base64
import hashlib
import hmac
import math
import os
import secrets
import select
import socket
import struct
import sys
import threading
import time
import traceback

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import peerlib

VERSION = b"SSH-2.0-HostilePeer_1.0"

MSG_DISCONNECT = 1
MSG_IGNORE = 2
MSG_UNIMPLEMENTED = 3
MSG_DEBUG = 4
MSG_SERVICE_REQUEST = 5
MSG_SERVICE_ACCEPT = 6
MSG_EXT_INFO = 7
MSG_KEXINIT = 20
MSG_NEWKEYS = 21
MSG_KEX_ECDH_INIT = 30
MSG_KEX_ECDH_REPLY = 31
MSG_KEX_DH_GEX_GROUP = 31
MSG_KEX_DH_GEX_INIT = 32
MSG_KEX_DH_GEX_REPLY = 33
MSG_KEX_DH_GEX_REQUEST = 34
MSG_USERAUTH_REQUEST = 50
MSG_USERAUTH_FAILURE = 51
MSG_USERAUTH_SUCCESS = 52
MSG_USERAUTH_BANNER = 53
MSG_USERAUTH_PK_OK = 60
MSG_GLOBAL_REQUEST = 80
MSG_REQUEST_FAILURE = 82
MSG_CHANNEL_OPEN = 90
MSG_CHANNEL_OPEN_CONFIRMATION = 91
MSG_CHANNEL_OPEN_FAILURE = 92
MSG_CHANNEL_WINDOW_ADJUST = 93
MSG_CHANNEL_DATA = 94
MSG_CHANNEL_EXTENDED_DATA = 95
MSG_CHANNEL_EOF = 96
MSG_CHANNEL_CLOSE = 97
MSG_CHANNEL_REQUEST = 98
MSG_CHANNEL_SUCCESS = 99
MSG_CHANNEL_FAILURE = 100

KEX_CURVE = [b"curve25519-sha256", b"curve25519-sha256@libssh.org"]
KEX_GEX = [b"diffie-hellman-group-exchange-sha256"]
MAX_PACKET = 256 * 1024

MODES = [
    "normal", "stall-kex", "stall-userauth", "stall-open", "silent", "drip", "ignore-flood-kex",
    "ignore-flood", "data-after-close", "empty-data", "debug-flood", "banner-flood",
    "global-flood", "gex-safe", "gex-composite", "gex-unsafe-prime", "gex-g1", "gex-gpm1",
    "probe-check", "password", "publickey",
]

# publickey mode: the ECDSA key types it verifies (curve name in the blob, curve, hash)
ECDSA_KEYS = {
    b"ecdsa-sha2-nistp256": (b"nistp256", ec.SECP256R1, hashes.SHA256),
    b"ecdsa-sha2-nistp384": (b"nistp384", ec.SECP384R1, hashes.SHA384),
    b"ecdsa-sha2-nistp521": (b"nistp521", ec.SECP521R1, hashes.SHA512),
}


class Closed(Exception):
    """The client closed the connection (or broke the protocol): end this connection."""


# ------------------------------------------------------------------ wire encoding


def u32(v):
    return struct.pack(">I", v)


def string(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def mpint(v):
    """RFC 4251 mpint of a non-negative integer."""
    if v == 0:
        return u32(0)
    b = v.to_bytes((v.bit_length() + 8) // 8, "big")  # one spare bit: leading 0 when needed
    return string(b)


def boolean(v):
    return b"\x01" if v else b"\x00"


class Reader:
    """Bounds-checked reads from one message payload."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise Closed("truncated message")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def byte(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def string(self):
        return self.take(self.u32())

    def boolean(self):
        return self.byte() != 0

    def mpint(self):
        return int.from_bytes(self.string(), "big")


# ------------------------------------------------------------------ numbers for group exchange


def _arctan_inv(x, one):
    """arctan(1/x) * one, in integers (Taylor series)."""
    total = term = one // x
    x2 = x * x
    n = 1
    sign = -1
    while term:
        term //= x2
        total += sign * (term // (2 * n + 1))
        sign = -sign
        n += 1
    return total


def floor_pi_times_2_pow(bits):
    """floor(pi * 2**bits), from Machin's formula with 64 guard bits."""
    guard = 64
    one = 1 << (bits + guard)
    pi = 16 * _arctan_inv(5, one) - 4 * _arctan_inv(239, one)
    return pi >> guard


def rfc3526_group14_prime():
    """The 2048-bit MODP prime of RFC 3526 section 3: 2^2048 - 2^1984 - 1 + 2^64 * ([2^1918 pi]
    + 124476), computed from that definition."""
    return (1 << 2048) - (1 << 1984) - 1 + (1 << 64) * (floor_pi_times_2_pow(1918) + 124476)


SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, math.isqrt(p) + 1))]
SMALL_PRODUCT = math.prod(SMALL_PRIMES)


def probably_prime(n, rounds=16):
    """Miller-Rabin with random bases."""
    if n < 4:
        return n in (2, 3)
    if n % 2 == 0 or math.gcd(n, SMALL_PRODUCT) != 1:
        return n in SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        a = 2 + secrets.randbelow(n - 3)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def unsafe_prime(bits=2048):
    """A prime p of exactly `bits` bits, p = 3 mod 4, whose q = (p-1)/2 is odd and composite but
    has no factor below 2000: only a real primality test of q tells that p is not safe. The
    search starts from a fixed point (a hash of a phrase) and steps by 4, so every run finds the
    same p in the same time (about 2300 steps, a second or two)."""
    seed = b"hostile_server.py unsafe prime"
    raw = b"".join(hashlib.sha256(seed + bytes([i])).digest() for i in range(bits // 256 + 1))
    p = int.from_bytes(raw[:bits // 8], "big") | (1 << (bits - 1))
    p += 3 - p % 4
    while True:
        q = (p - 1) // 2
        if (math.gcd(p, SMALL_PRODUCT) == 1 and math.gcd(q, SMALL_PRODUCT) == 1 and
                pow(2, p - 1, p) == 1 and probably_prime(p) and not probably_prime(q, rounds=4)):
            return p
        p += 4


def odd_composite(bits=2048):
    """An odd number of exactly `bits` bits that is divisible by 3."""
    n = (1 << (bits - 1)) + 1
    while n % 3:
        n += 2
    return n


# ------------------------------------------------------------------ client signatures


def verify_signature(alg, blob, sig, signed):
    """Check a publickey userauth signature (RFC 4252 section 7): ssh-ed25519 (RFC 8709) and
    ecdsa-sha2-nistp* (RFC 5656). Raises InvalidSignature, ValueError or Closed."""
    k, s = Reader(blob), Reader(sig)
    keytype, sigtype = k.string(), s.string()
    if keytype != alg or sigtype != alg:
        raise ValueError("key type %r, algorithm %r, signature type %r" % (keytype, alg, sigtype))
    if alg == b"ssh-ed25519":
        ed25519.Ed25519PublicKey.from_public_bytes(k.string()).verify(s.string(), signed)
        return
    if alg not in ECDSA_KEYS:
        raise ValueError("unsupported key type %r" % alg)
    curve_name, curve, digest = ECDSA_KEYS[alg]
    if k.string() != curve_name:
        raise ValueError("wrong curve name")
    pub = ec.EllipticCurvePublicKey.from_encoded_point(curve(), k.string())
    rs = Reader(s.string())
    pub.verify(encode_dss_signature(rs.mpint(), rs.mpint()), signed, ec.ECDSA(digest()))


# ------------------------------------------------------------------ the binary packet protocol


class Transport:
    """RFC 4253 section 6 packets over one socket: padding, sequence numbers, aes128-ctr and
    hmac-sha2-256 (MAC over sequence number and the whole unencrypted packet)."""

    def __init__(self, sock, server):
        self.sock = sock
        self.server = server
        self.rbuf = bytearray()
        self.seq_in = 0
        self.seq_out = 0
        self.enc = None  # (encryptor, hmac template)
        self.dec = None
        self.session_id = None
        self.client_version = None
        self.phase = "kex"
        self.pending = []  # messages read while waiting (serve_for), not yet consumed

    # -- raw bytes
    def recv_exact(self, n):
        while len(self.rbuf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.rbuf)))
            if not chunk:
                raise Closed("client closed")
            self.rbuf += chunk
        b = bytes(self.rbuf[:n])
        del self.rbuf[:n]
        return b

    def readable(self, timeout):
        if self.rbuf:
            return True
        r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        return bool(r)

    def recv_version(self):
        """The client's version line (lines before it are skipped, as RFC 4253 allows)."""
        for _ in range(64):
            line = b""
            while not line.endswith(b"\n"):
                line += self.recv_exact(1)
                if len(line) > 1024:
                    raise Closed("client version line too long")
            if line.startswith(b"SSH-"):
                self.client_version = line.rstrip(b"\r\n")
                return self.client_version
        raise Closed("no version line from the client")

    # -- packets
    def wrap(self, payload):
        block = 16 if self.enc else 8
        pad = block - ((5 + len(payload)) % block)
        if pad < 4:
            pad += block
        plain = u32(1 + len(payload) + pad) + bytes([pad]) + payload + os.urandom(pad)
        if self.enc:
            cipher, mac = self.enc
            m = mac.copy()
            m.update(u32(self.seq_out) + plain)
            wire = cipher.update(plain) + m.digest()
        else:
            wire = plain
        self.seq_out = (self.seq_out + 1) & 0xFFFFFFFF
        return wire

    def send(self, *payloads):
        """Send one or more messages in a single write."""
        self.sock.sendall(b"".join(self.wrap(p) for p in payloads))

    def recv_packet(self):
        if self.dec:
            cipher, mac = self.dec
            first = cipher.update(self.recv_exact(16))
            length = struct.unpack(">I", first[:4])[0]
            if length < 12 or length > MAX_PACKET or (length + 4) % 16:
                raise Closed("bad packet length %d from the client" % length)
            plain = first + cipher.update(self.recv_exact(length + 4 - 16))
            tag = self.recv_exact(32)
            m = mac.copy()
            m.update(u32(self.seq_in) + plain)
            if not hmac.compare_digest(m.digest(), tag):
                raise Closed("bad MAC from the client")
        else:
            head = self.recv_exact(4)
            length = struct.unpack(">I", head)[0]
            if length < 5 or length > MAX_PACKET:
                raise Closed("bad packet length %d from the client" % length)
            plain = head + self.recv_exact(length)
        self.seq_in = (self.seq_in + 1) & 0xFFFFFFFF
        pad = plain[4]
        if pad < 4 or pad > length - 1:
            raise Closed("bad padding from the client")
        return plain[5:4 + length - pad]

    def recv_msg(self):
        """The next message that matters: IGNORE, DEBUG, EXT_INFO and UNIMPLEMENTED are skipped,
        GLOBAL_REQUESTs (keepalives) are recorded and refused."""
        if self.pending:
            return self.pending.pop(0)
        while True:
            msg = self.read_one()
            if msg is not None:
                return msg

    def read_one(self):
        """One packet: None when it was one of those recv_msg skips or handles itself."""
        payload = self.recv_packet()
        if not payload:
            raise Closed("empty message from the client")
        t = payload[0]
        if t in (MSG_IGNORE, MSG_DEBUG, MSG_EXT_INFO, MSG_UNIMPLEMENTED):
            return None
        if t == MSG_DISCONNECT:
            raise Closed("client disconnected")
        if t == MSG_GLOBAL_REQUEST:
            r = Reader(payload[1:])
            name = r.string().decode("utf-8", "replace")
            want_reply = r.boolean()
            self.server.record("probe %s %s" % (self.phase, name))
            if want_reply:
                self.send(bytes([MSG_REQUEST_FAILURE]))
            return None
        return t, Reader(payload[1:])

    def expect(self, *types):
        t, r = self.recv_msg()
        if t not in types:
            raise Closed("expected message %s, got %d" % (types, t))
        return t, r

    def serve_for(self, seconds):
        """Wait a while, answering (and recording) global requests as they come; other
        messages are kept for recv_msg."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.readable(left):
                return
            if not self.rbuf and not self.sock.recv(1, socket.MSG_PEEK):
                raise Closed("client closed")
            msg = self.read_one()
            if msg is not None:
                self.pending.append(msg)

    def drain(self, linger, watch=False):
        """Read and discard until the client closes or linger seconds pass. watch: the client
        still talks in cleartext; record a probe if the word "keepalive" goes by."""
        deadline = time.monotonic() + linger
        self.sock.settimeout(0.5)
        tail = b""
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                return
            if watch and b"keepalive" in tail + chunk:
                self.server.record("probe kex keepalive")
                watch = False  # once is enough
            tail = chunk[-16:]

    def watch_in_background(self):
        """drain(watch=True) in a thread of its own, while this one keeps writing."""
        threading.Thread(target=self.drain, args=(self.server.linger, True), daemon=True).start()

    # -- keys
    def derive(self, k, h, letter, size):
        out = hashlib.sha256(mpint(k) + h + letter + self.session_id).digest()
        while len(out) < size:
            out += hashlib.sha256(mpint(k) + h + out).digest()
        return out[:size]

    def new_keys(self, k, h):
        """Keys for both directions (RFC 4253 section 7.2); used from each side's NEWKEYS on."""
        if self.session_id is None:
            self.session_id = h

        def direction(iv, key, mac, encrypt):
            c = Cipher(algorithms.AES(self.derive(k, h, key, 16)),
                       modes.CTR(self.derive(k, h, iv, 16)))
            ctx = c.encryptor() if encrypt else c.decryptor()
            return ctx, hmac.new(self.derive(k, h, mac, 32), digestmod=hashlib.sha256)

        return direction(b"B", b"D", b"F", True), direction(b"A", b"C", b"E", False)


# ------------------------------------------------------------------ one connection


class Connection:
    def __init__(self, server, sock):
        self.server = server
        self.mode = server.mode
        self.sock = sock
        self.t = Transport(sock, server)
        self.delay = 1.5 if self.mode == "probe-check" else 0.0
        self.command = b""

    def pause(self):
        """probe-check: wait before an answer (keepalives that come meanwhile are recorded)."""
        if self.delay:
            self.t.serve_for(self.delay)

    # -- key exchange
    def kexinit(self):
        kex = KEX_GEX if self.mode.startswith("gex-") else KEX_CURVE
        body = bytes([MSG_KEXINIT]) + os.urandom(16)
        for names in (b",".join(kex), b"ssh-ed25519", b"aes128-ctr", b"aes128-ctr",
                      b"hmac-sha2-256", b"hmac-sha2-256", b"none", b"none", b"", b""):
            body += string(names)
        return body + boolean(False) + u32(0)

    def gex_group(self):
        p, g = self.server.gex_p, 2
        if self.mode == "gex-g1":
            g = 1
        elif self.mode == "gex-gpm1":
            g = p - 1
        return p, g

    def key_exchange(self, v_c, i_s):
        t = self.t
        _, r = t.expect(MSG_KEXINIT)
        i_c = bytes([MSG_KEXINIT]) + r.data
        r.take(16)
        client_kex = r.string().split(b",")
        ours = KEX_GEX if self.mode.startswith("gex-") else KEX_CURVE
        chosen = next((k for k in client_kex if k in ours), None)
        if chosen is None:
            raise Closed("no common key exchange method")
        if self.mode == "stall-kex":
            t.drain(self.server.linger)
            raise Closed("stalled")
        k_s = self.server.hostkey_blob
        if chosen in KEX_CURVE:
            _, r = t.expect(MSG_KEX_ECDH_INIT)
            q_c = r.string()
            if len(q_c) != 32:
                raise Closed("bad curve25519 public key")
            priv = x25519.X25519PrivateKey.generate()
            q_s = priv.public_key().public_bytes(serialization.Encoding.Raw,
                                                 serialization.PublicFormat.Raw)
            shared = priv.exchange(x25519.X25519PublicKey.from_public_bytes(q_c))
            k = int.from_bytes(shared, "big")
            h = hashlib.sha256(string(v_c) + string(VERSION) + string(i_c) + string(i_s) +
                               string(k_s) + string(q_c) + string(q_s) + mpint(k)).digest()
            reply = bytes([MSG_KEX_ECDH_REPLY]) + string(k_s) + string(q_s)
        else:
            _, r = t.expect(MSG_KEX_DH_GEX_REQUEST)
            gmin, gn, gmax = r.u32(), r.u32(), r.u32()
            p, g = self.gex_group()
            t.send(bytes([MSG_KEX_DH_GEX_GROUP]) + mpint(p) + mpint(g))
            _, r = t.expect(MSG_KEX_DH_GEX_INIT)
            e = r.mpint()
            y = 2 + secrets.randbelow(p - 4)
            f = pow(g, y, p)
            k = pow(e, y, p)
            h = hashlib.sha256(string(v_c) + string(VERSION) + string(i_c) + string(i_s) +
                               string(k_s) + u32(gmin) + u32(gn) + u32(gmax) + mpint(p) +
                               mpint(g) + mpint(e) + mpint(f) + mpint(k)).digest()
            reply = bytes([MSG_KEX_DH_GEX_REPLY]) + string(k_s) + mpint(f)
        sig = self.server.hostkey.sign(h)
        reply += string(string(b"ssh-ed25519") + string(sig))
        self.pause()
        out_keys, in_keys = t.new_keys(k, h)
        t.send(reply, bytes([MSG_NEWKEYS]))
        t.enc = out_keys
        t.expect(MSG_NEWKEYS)
        t.dec = in_keys
        t.phase = "auth"

    # -- user authentication
    def userauth(self):
        t = self.t
        _, r = t.expect(MSG_SERVICE_REQUEST)
        if r.string() != b"ssh-userauth":
            raise Closed("unexpected service")
        self.pause()
        t.send(bytes([MSG_SERVICE_ACCEPT]) + string(b"ssh-userauth"))
        while True:
            _, r = t.expect(MSG_USERAUTH_REQUEST)
            user, service, method = r.string(), r.string(), r.string()
            self.server.record("userauth %s %s" % (method.decode("utf-8", "replace"),
                                                  user.decode("utf-8", "replace")))
            if self.mode == "stall-userauth":
                t.drain(self.server.linger)
                raise Closed("stalled")
            if self.mode == "ignore-flood":
                self.flood_ignore()
                raise Closed("flood ended")
            if self.mode == "password" and method != b"password":
                t.send(bytes([MSG_USERAUTH_FAILURE]) + string(b"password") + boolean(False))
                continue
            if self.mode == "publickey" and not self.publickey_ok(user, service, method, r):
                continue
            break
        if self.mode == "debug-flood":
            msg = bytes([MSG_DEBUG]) + boolean(True) + string(b"debug message from the server")
            msg += string(b"")
            for _ in range(200):
                t.send(*([msg] * 100))
        if self.mode == "banner-flood":
            line = b"This is a very long login banner line from a hostile server. 0123456\n"
            text = (line * (8192 // len(line) + 1))[:8191] + b"\n"
            for _ in range(30):
                t.send(bytes([MSG_USERAUTH_BANNER]) + string(text) + string(b""))
        self.pause()
        t.send(bytes([MSG_USERAUTH_SUCCESS]))
        t.phase = "open"

    def publickey_ok(self, user, service, method, r):
        """publickey mode: True once a signature checks; otherwise answer (PK_OK or FAILURE)
        and return False."""
        t = self.t
        failure = bytes([MSG_USERAUTH_FAILURE]) + string(b"publickey") + boolean(False)
        if method != b"publickey":
            t.send(failure)
            return False
        has_sig, alg, blob = r.boolean(), r.string(), r.string()
        if not has_sig:
            t.send(bytes([MSG_USERAUTH_PK_OK]) + string(alg) + string(blob))
            return False
        signed = (string(t.session_id) + bytes([MSG_USERAUTH_REQUEST]) + string(user) +
                  string(service) + string(b"publickey") + boolean(True) +
                  string(alg) + string(blob))
        try:
            verify_signature(alg, blob, r.string(), signed)
        except (Closed, InvalidSignature, ValueError) as e:
            print("publickey refused: %s" % e, file=sys.stderr, flush=True)
            t.send(failure)
            return False
        return True

    def flood_ignore(self):
        """IGNORE packets, about 300 a second; global requests that come meanwhile are
        recorded (and refused)."""
        msg = bytes([MSG_IGNORE]) + string(b"x" * 16)
        while True:
            self.t.send(msg, msg, msg)
            self.t.serve_for(0.01)

    # -- the session channel
    def session(self):
        t = self.t
        _, r = t.expect(MSG_CHANNEL_OPEN)
        ctype, peer_id = r.string(), r.u32()
        if ctype != b"session":
            t.send(bytes([MSG_CHANNEL_OPEN_FAILURE]) + u32(peer_id) + u32(3) +
                   string(b"only session channels") + string(b""))
            raise Closed("not a session channel")
        if self.mode == "stall-open":
            t.drain(self.server.linger)
            raise Closed("stalled")
        self.pause()
        t.send(bytes([MSG_CHANNEL_OPEN_CONFIRMATION]) + u32(peer_id) + u32(0) +
               u32(2 * 1024 * 1024) + u32(32768))
        while True:
            mtype, r = t.expect(MSG_CHANNEL_REQUEST, MSG_CHANNEL_WINDOW_ADJUST, MSG_CHANNEL_EOF,
                                MSG_CHANNEL_DATA)
            if mtype != MSG_CHANNEL_REQUEST:
                continue
            r.u32()
            rtype, want_reply = r.string(), r.boolean()
            if rtype in (b"exec", b"shell"):
                cmd = r.string() if rtype == b"exec" else b""
                self.server.record("exec %s" % cmd.decode("utf-8", "replace"))
                self.command = cmd
                break
            if want_reply:
                t.send(bytes([MSG_CHANNEL_FAILURE]) + u32(peer_id))
        self.server.record("login-ok")
        self.pause()
        if want_reply:
            t.send(bytes([MSG_CHANNEL_SUCCESS]) + u32(peer_id))
        t.phase = "session"
        self.after_exec(peer_id)

    def after_exec(self, ch):
        t = self.t
        mode = self.mode

        def data(b):
            return bytes([MSG_CHANNEL_DATA]) + u32(ch) + string(b)

        def status(v):
            return bytes([MSG_CHANNEL_REQUEST]) + u32(ch) + string(b"exit-status") + \
                boolean(False) + u32(v & 0xFFFFFFFF)

        eof = bytes([MSG_CHANNEL_EOF]) + u32(ch)
        close = bytes([MSG_CHANNEL_CLOSE]) + u32(ch)
        if mode == "global-flood":
            self.flood_global()
            return
        if mode == "probe-check":
            t.serve_for(2.5)
        words = self.command.split()
        if mode == "data-after-close":
            t.send(data(b"hello\n"), status(0), eof)
            t.send(close, data(b"late\n"))
        elif mode == "empty-data":
            t.send(data(b""), bytes([MSG_CHANNEL_EXTENDED_DATA]) + u32(ch) + u32(1) + string(b""),
                   data(b"hello\n"), status(3), eof, close)
        elif words == [b"nostatus"]:
            t.send(data(b"hello\n"), eof, close)
        elif len(words) == 2 and words[0] == b"status" and words[1].isdigit():
            t.send(data(b"hello\n"), status(int(words[1])), eof, close)
        else:
            t.send(data(b"hello\n"), status(0), eof, close)
        # wait for the client's CLOSE, then for it to go away
        while True:
            mtype, _ = t.recv_msg()
            if mtype == MSG_CHANNEL_CLOSE:
                break
        t.drain(self.server.linger)

    def flood_global(self):
        msg = bytes([MSG_GLOBAL_REQUEST]) + string(b"flood@hostile") + boolean(True)
        batch = [msg] * 512
        while True:
            self.t.send(*batch)

    # -- the whole connection
    def run(self):
        t = self.t
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.mode == "silent":
            t.drain(self.server.linger, watch=True)
            return
        self.sock.sendall(VERSION + b"\r\n")
        if self.mode == "drip":
            # a packet that announces 32 KiB and never gets there
            t.watch_in_background()
            stream = u32(32764) + bytes([4, MSG_KEXINIT]) + os.urandom(32758)
            for b in stream:
                self.sock.sendall(bytes([b]))
                time.sleep(0.2)
            return
        if self.mode == "ignore-flood-kex":
            t.watch_in_background()
            msg = t.wrap(bytes([MSG_IGNORE]) + string(b"x" * 16))
            while True:
                self.sock.sendall(msg * 3)
                time.sleep(0.01)
        i_s = self.kexinit()
        t.send(i_s)
        v_c = t.recv_version()
        self.key_exchange(v_c, i_s)
        self.userauth()
        self.session()


class Server:
    def __init__(self, args):
        self.mode = args.mode
        self.linger = args.linger
        self.record_file = args.record
        self.record_lock = threading.Lock()
        self.hostkey = ed25519.Ed25519PrivateKey.generate()
        pub = self.hostkey.public_key().public_bytes(serialization.Encoding.Raw,
                                                     serialization.PublicFormat.Raw)
        self.hostkey_blob = string(b"ssh-ed25519") + string(pub)
        self.gex_p = None
        if self.mode in ("gex-safe", "gex-g1", "gex-gpm1"):
            self.gex_p = rfc3526_group14_prime()
        elif self.mode == "gex-composite":
            self.gex_p = odd_composite()
        elif self.mode == "gex-unsafe-prime":
            self.gex_p = unsafe_prime()

    def record(self, line):
        if not self.record_file:
            return
        with self.record_lock, open(self.record_file, "a") as f:
            f.write(line + "\n")

    def known_hosts_line(self, port):
        return "[127.0.0.1]:%d ssh-ed25519 %s\n" % (
            port, base64.b64encode(self.hostkey_blob).decode())

    def serve(self, sock):
        conn = Connection(self, sock)
        try:
            conn.run()
        except (Closed, OSError, ValueError) as e:
            if conn.t.client_version is None and isinstance(e, OSError):
                return  # a port probe (the tests' wait_port) or a client that left at once
            where = " <- ".join("%s:%d" % (f.name, f.lineno)
                                for f in reversed(traceback.extract_tb(e.__traceback__)))
            print("connection ended: %s (%s)" % (e, where), file=sys.stderr, flush=True)
        finally:
            peerlib.close_quietly(sock)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", required=True, choices=MODES)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--hostkey-out", help="write the host key's known_hosts line here")
    ap.add_argument("--record", help="append events (probes, userauth, exec) to this file")
    ap.add_argument("--linger", type=float, default=120.0)
    args = ap.parse_args()

    server = Server(args)
    # global-flood: what the client queues should pile up in the client, not in our kernel buffer
    srv, port = peerlib.listen(args.port, 4096 if args.mode == "global-flood" else None)
    if args.hostkey_out:
        peerlib.write_atomically(args.hostkey_out, server.known_hosts_line(port))
    peerlib.announce(port, args.port_file)
    peerlib.serve_forever(srv, server.serve)


if __name__ == "__main__":
    peerlib.run(main)
