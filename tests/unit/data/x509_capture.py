#!/usr/bin/python3
"""Captures RFC 6187 host-key blobs and signatures for test_x509key.c (run by
x509_make_fixtures.sh, in this directory, after the certificates exist).

For each algorithm the blob is what asyncssh's encoder makes from (key, chain) with that
algorithm chosen, and it is checked to equal the K_S a live asyncssh server
(tests/peers/x509_server.py) sends for that algorithm in a real key exchange. The signature is
asyncssh's SSHKeyPair.sign over DATA. x509v3-sign-rsa (which asyncssh does not implement) is the
bare DER leaf, signed by asyncssh's RSA key with SHA-1 under the inner name "x509v3-sign-rsa".
"""

import asyncio
import os
import struct
import subprocess
import sys
import warnings

warnings.simplefilter("ignore")

import asyncssh  # noqa: E402

DATA = b"x509ssh fixture: exchange hash H"
HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "..", "..", "peers", "x509_server.py")

# (algorithm, key base, output base)
ROWS = [
    ("x509v3-ssh-rsa", "rsa2048", "x509_ssh_rsa"),
    ("x509v3-rsa2048-sha256", "rsa2048", "x509_rsa2048_sha256"),
    ("x509v3-ecdsa-sha2-nistp256", "ec256", "x509_nistp256"),
    ("x509v3-ecdsa-sha2-nistp384", "ec384", "x509_nistp384"),
    ("x509v3-ecdsa-sha2-nistp521", "ec521", "x509_nistp521"),
    ("x509v3-ssh-rsa", "rsa1024", "x509_rsa1024_ssh_rsa"),
]


def string(b):
    return struct.pack(">I", len(b)) + b


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


async def live_blob(alg, key, chain):
    """K_S as sent by x509_server.py in a real key exchange for alg."""
    srv = subprocess.Popen(
        ["/usr/bin/python3", SERVER, "--key", key, "--chain", chain, "--host-key-algs", alg,
         "--password", "unused"],
        stdout=subprocess.PIPE)
    try:
        line = srv.stdout.readline().decode()
        if not line.startswith("PORT "):
            raise RuntimeError("x509_server.py did not start")
        port = int(line.split()[1])
        seen = []
        orig = asyncssh.SSHClientConnection.validate_server_host_key

        def hook(self, key_data):
            # record K_S and trust it (the names in the test certificates are not 127.0.0.1)
            seen.append(key_data)
            return asyncssh.public_key.decode_ssh_certificate(key_data).key

        asyncssh.SSHClientConnection.validate_server_host_key = hook
        try:
            async with asyncssh.connect("127.0.0.1", port, known_hosts=None,
                                        server_host_key_algs=[alg], username="u",
                                        password="unused") as conn:
                await conn.run("true")
        finally:
            asyncssh.SSHClientConnection.validate_server_host_key = orig
        if len(seen) != 1:
            raise RuntimeError("no host key seen")
        return seen[0]
    finally:
        srv.terminate()
        srv.wait()


def main():
    os.chdir(HERE)
    for alg, base, out in ROWS:
        key, chain = "x509_%s.key.pem" % base, "x509_%s.chain.pem" % base
        kp = asyncssh.load_keypairs([(key, chain)])[0]
        kp.set_sig_algorithm(alg.encode())
        blob = kp.public_data
        live = asyncio.run(live_blob(alg, key, chain))
        if live != blob:
            sys.exit("%s: live K_S differs from the encoder's blob" % alg)
        write(out + ".bin", blob)
        write(out + ".sig", kp.sign(DATA))
        print("%s: %d bytes (live K_S matches)" % (out, len(blob)))
    # pre-RFC x509v3-sign-rsa: the bare DER leaf; RSA PKCS#1 v1.5 with SHA-1
    key = asyncssh.read_private_key("x509_rsa2048.key.pem")
    with open("x509_rsa2048.der", "rb") as f:
        der = f.read()
    write("x509_sign_rsa.bin", der)
    write("x509_sign_rsa.sig", string(b"x509v3-sign-rsa") + string(key.sign_raw(DATA, "sha1")))
    print("x509_sign_rsa: %d bytes" % len(der))


if __name__ == "__main__":
    main()
