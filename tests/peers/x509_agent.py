"""A minimal ssh-agent that holds one X.509 identity itself, as PKIX-SSH's agent does (PKIX-SSH is
not packaged for Debian): it lists its key as an RFC 6187 blob (x509v3-ssh-rsa,
x509v3-rsa2048-sha256 or x509v3-ecdsa-sha2-nistp*: --blob-name, by default the name for the key
type), or for an RSA key with --blob-name x509v3-sign-rsa in PKIX-SSH's pre-RFC form (the blob is
the leaf certificate's DER alone), and signs for it.

    x509_agent.py --socket PATH --key KEY.pem --chain CHAIN.pem --log FILE [--blob-name NAME]
                  [--drop-after-list]

CHAIN.pem holds the certificates the blob carries, leaf first (it must be the key's). As
PKIX-SSH's agent, a SIGN_REQUEST is answered for the key's x509v3 blob under any x509v3 name
(the name picks the hash: x509v3-ssh-rsa SHA-1 "ssh-rsa", x509v3-rsa2048-sha256 SHA-256
"rsa2048-sha256", ECDSA by its curve) and for its plain blob (RSA: the SHA-2 flags pick
rsa-sha2-256 / -512). The bare certificate of an x509v3-sign-rsa listing is signed for with
SHA-1 under "ssh-rsa", as PKIX-SSH signs x509v3-sign-rsa (SHA-2 flags with it are refused).
Every request is one line in the log file (a bare certificate's BLOBNAME is x509v3-sign-rsa):

    list
    sign BLOBNAME flags=N SIGNAME       (or "sign BLOBNAME flags=N refused: why")
    other TYPE

Anything else gets SSH_AGENT_FAILURE. With --drop-after-list the key is removed once it was
listed (as `ssh-add -d` between a client's listing and its sign request): later lists are empty,
sign requests are refused ("refused: removed"). The socket file appears when the agent is ready.
Uses Debian's python3-cryptography (the one asyncssh uses) and the standard library.
"""

import argparse
import os
import socket
import struct
import sys
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

FAILURE, IDENTITIES, IDENTITIES_ANSWER, SIGN, SIGN_RESPONSE = 5, 11, 12, 13, 14
RSA_SHA2_256, RSA_SHA2_512 = 0x02, 0x04
CURVES = {"secp256r1": "nistp256", "secp384r1": "nistp384", "secp521r1": "nistp521"}
EC_HASH = {"nistp256": hashes.SHA256, "nistp384": hashes.SHA384, "nistp521": hashes.SHA512}


def sstr(b):
    return struct.pack(">I", len(b)) + b


def mpint(n):
    b = n.to_bytes((n.bit_length() + 8) // 8, "big") if n else b""
    return sstr(b)


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def u32(self):
        if self.pos + 4 > len(self.data):
            raise ValueError("short")
        (v,) = struct.unpack_from(">I", self.data, self.pos)
        self.pos += 4
        return v

    def string(self):
        n = self.u32()
        if self.pos + n > len(self.data):
            raise ValueError("short")
        v = self.data[self.pos : self.pos + n]
        self.pos += n
        return v


def blob_type(blob):
    """the key type a blob names; a bare DER certificate is PKIX-SSH's x509v3-sign-rsa"""
    if blob[:1] == b"\x30":
        return "x509v3-sign-rsa"
    return Reader(blob).string().decode()


class Identity:
    def __init__(self, key_path, chain_path, blob_name):
        with open(key_path, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), None)
        with open(chain_path, "rb") as f:
            pems = f.read().split(b"-----END CERTIFICATE-----")
        self.chain = [x509.load_pem_x509_certificate(p + b"-----END CERTIFICATE-----\n")
                      .public_bytes(serialization.Encoding.DER)
                      for p in pems if b"-----BEGIN CERTIFICATE-----" in p]
        pub = self.key.public_key()
        if isinstance(self.key, rsa.RSAPrivateKey):
            self.curve = None
            nums = pub.public_numbers()
            self.plain_name = b"ssh-rsa"
            self.plain = sstr(b"ssh-rsa") + mpint(nums.e) + mpint(nums.n)
            default = "x509v3-rsa2048-sha256"
        else:
            self.curve = CURVES[self.key.curve.name]
            point = pub.public_bytes(serialization.Encoding.X962,
                                     serialization.PublicFormat.UncompressedPoint)
            self.plain_name = ("ecdsa-sha2-" + self.curve).encode()
            self.plain = sstr(self.plain_name) + sstr(self.curve.encode()) + sstr(point)
            default = "x509v3-ecdsa-sha2-" + self.curve
        leaf = x509.load_der_x509_certificate(self.chain[0]).public_key()
        if leaf.public_bytes(serialization.Encoding.DER,
                             serialization.PublicFormat.SubjectPublicKeyInfo) != \
                pub.public_bytes(serialization.Encoding.DER,
                                 serialization.PublicFormat.SubjectPublicKeyInfo):
            sys.exit("x509_agent: the first certificate of the chain is not the key's")
        self.blob_name = blob_name or default
        if self.blob_name == "x509v3-sign-rsa":
            if self.curve is not None:
                sys.exit("x509_agent: x509v3-sign-rsa is for RSA keys")
            self.blob = self.chain[0]
        else:
            self.blob = self.x509_blob(self.blob_name.encode())

    def x509_blob(self, name):
        return (sstr(name) + struct.pack(">I", len(self.chain))
                + b"".join(sstr(c) for c in self.chain) + struct.pack(">I", 0))

    def form(self, blob, flags):
        """(hash, signature name) for a sign request's blob, or a reason to refuse."""
        if blob_type(blob) == "x509v3-sign-rsa":
            if blob != self.chain[0]:
                return "not my certificate"
            if flags & (RSA_SHA2_256 | RSA_SHA2_512):
                return "x509v3-sign-rsa is SHA-1 only"
            return hashes.SHA1, b"ssh-rsa"
        name = Reader(blob).string()
        if name.startswith(b"x509v3-"):
            rd = Reader(blob)
            rd.string()
            n = rd.u32()
            certs = [rd.string() for _ in range(n)]
            if not certs or certs[0] != self.chain[0]:
                return "not my certificate"
            table = {b"x509v3-ssh-rsa": (hashes.SHA1, b"ssh-rsa"),
                     b"x509v3-rsa2048-sha256": (hashes.SHA256, b"rsa2048-sha256")}
            if self.curve is not None:
                table = {("x509v3-ecdsa-sha2-" + self.curve).encode():
                         (EC_HASH[self.curve], self.plain_name)}
            return table.get(name, "no x509v3 algorithm %s for this key" % name.decode())
        if blob != self.plain:
            return "not my key"
        if self.curve is not None:
            return EC_HASH[self.curve], self.plain_name
        if flags & RSA_SHA2_512:
            return hashes.SHA512, b"rsa-sha2-512"
        if flags & RSA_SHA2_256:
            return hashes.SHA256, b"rsa-sha2-256"
        return hashes.SHA1, b"ssh-rsa"

    def sign(self, hash_cls, data):
        if self.curve is None:
            return self.key.sign(data, padding.PKCS1v15(), hash_cls())
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hash_cls())))
        return mpint(r) + mpint(s)


class Agent:
    def __init__(self, ident, log_path, drop_after_list):
        self.ident, self.log_path, self.lock = ident, log_path, threading.Lock()
        self.drop_after_list, self.removed = drop_after_list, False

    def log(self, line):
        with self.lock, open(self.log_path, "a") as f:
            f.write(line + "\n")

    def answer(self, msg):
        mtype, body = msg[0], msg[1:]
        if mtype == IDENTITIES:
            self.log("list")
            if self.removed:
                return bytes([IDENTITIES_ANSWER]) + struct.pack(">I", 0)
            self.removed = self.drop_after_list
            comment = ("x509 agent " + self.ident.blob_name).encode()
            return (bytes([IDENTITIES_ANSWER]) + struct.pack(">I", 1)
                    + sstr(self.ident.blob) + sstr(comment))
        if mtype != SIGN:
            self.log("other %d" % mtype)
            return bytes([FAILURE])
        try:
            rd = Reader(body)
            blob, data, flags = rd.string(), rd.string(), rd.u32()
            name = blob_type(blob)
            form = self.ident.form(blob, flags)
        except (ValueError, UnicodeDecodeError):
            self.log("sign (malformed)")
            return bytes([FAILURE])
        if self.removed:
            form = "removed"
        if isinstance(form, str):
            self.log("sign %s flags=%d refused: %s" % (name, flags, form))
            return bytes([FAILURE])
        hash_cls, signame = form
        sig = sstr(signame) + sstr(self.ident.sign(hash_cls, data))
        self.log("sign %s flags=%d %s" % (name, flags, signame.decode()))
        return bytes([SIGN_RESPONSE]) + sstr(sig)

    def serve(self, conn):
        buf = b""
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
                while len(buf) >= 4:
                    (n,) = struct.unpack_from(">I", buf)
                    if n == 0 or n > 256 * 1024:
                        return
                    if len(buf) < 4 + n:
                        break
                    msg, buf = buf[4 : 4 + n], buf[4 + n :]
                    conn.sendall(sstr(self.answer(msg)))
        except OSError:
            pass
        finally:
            conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--chain", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--blob-name")
    ap.add_argument("--drop-after-list", action="store_true")
    args = ap.parse_args()
    agent = Agent(Identity(args.key, args.chain, args.blob_name), args.log, args.drop_after_list)
    tmp = args.socket + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(tmp)
    os.chmod(tmp, 0o600)
    srv.listen(16)
    os.rename(tmp, args.socket)  # the socket appears when the agent is ready
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=agent.serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
