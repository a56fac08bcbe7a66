#!/usr/bin/python3
"""An RFC 6187 SSH server for the tests: asyncssh (2.10) with pyOpenSSL, on 127.0.0.1.

    x509_server.py --key KEY.pem --chain CHAIN.pem [--port N] [--host-key-algs A,B]
                   [--authorized-keys FILE] [--password PW] [--client-ca FILE]
                   [--x509-purposes P,Q] [--log FILE] [--log-connections] [--kex L]
                   [--ciphers L] [--macs L]
                   [--sig-algs L] [--port-file FILE] [--kbdint FILE] [--no-kbdint] [--sftp]
                   [--allow-direct-tcpip]

--key / --chain: the host's private key and its certificate chain (PEM, leaf first). More
    --key/--chain pairs may be given (the i-th chain belongs to the i-th key); a key without a
    chain is served as a plain host key.
--host-key-algs: host-key algorithm names this server offers, set on each loaded keypair
    (asyncssh's server_host_key_algs option does not restrict a server). Names a keypair cannot
    serve are dropped for it; by default one RSA chain offers every x509v3 and plain name.
--port 0 (default) lets the kernel pick; the port is printed as "PORT <n>" on stdout (flushed)
    and, with --port-file, written to that file atomically once the socket listens.
--authorized-keys: an asyncssh authorized_keys file (plain keys, "x509v3-ssh-rsa subject=O=t,CN=bob"
    -- comma-separated, RDNs in the order stored in the certificate, no leading slash --, or
    "cert-authority x509v3-ssh-rsa <base64 DER root>"). --password: accepted for any user (asyncssh
    also offers it as keyboard-interactive).
--client-ca: PEM file of CA certificates trusted for X.509 client certificates;
    --x509-purposes: required client EKU (default secureShellClient; "any" accepts any).
--log: one line is appended per userauth request, "userauth <method> <user> <alg>" (alg is "-"
    for methods without one), and "auth-ok <user>" when a user is authenticated, so tests can
    prove that no userauth request was sent at all. With --log-connections, also "connect" for
    every TCP connection accepted (proves that a client made none). For every X.509 client
    chain checked (the signed request, and the query first):
    "x509-chain <user> certs=<n> result=ok|refused subjects=<leaf DN>|<next DN>|..."
    (n is the number of certificates the client sent).
--kex / --ciphers / --macs / --sig-algs: comma lists restricting those algorithms.
--kbdint FILE: keyboard-interactive rounds from a JSON file, a list of
    {"name": "...", "instruction": "...", "prompts": [["Prompt: ", echo, "expected answer"], ...]};
    every round must be answered exactly for the user to be accepted (a round may have no
    prompts). Each round answered is logged as "kbdint-round <i> ok|fail" with --log.
--no-kbdint: no keyboard-interactive at all (asyncssh otherwise offers --password through it).
--sftp: serve the "sftp" subsystem by running OpenSSH's sftp-server (SFTP_SERVER, default
    /usr/lib/openssh/sftp-server) like a command, exit status included (asyncssh's own SFTP
    server closes the channel without one, which scp in SFTP mode takes for a failure; and it
    accepts the request only with that server: patched below).
--allow-direct-tcpip: open direct-tcpip channels to 127.0.0.1 (a bastion for -J / ProxyJump);
    each one is logged as "direct-tcpip <host> <port>" with --log. Without it, and to any other
    address, they are refused.

Sessions: an exec request runs the command with /bin/sh -c, a shell request (with or without
pty) runs /bin/sh; binary clean, stdin/stdout/stderr piped, the exit status (or the signal) is
returned. A subsystem request is refused (but "sftp" with --sftp). Runs until killed.
"""

import argparse
import asyncio
import json
import os
import signal
import struct
import sys
import warnings

warnings.simplefilter("ignore")

import asyncssh  # noqa: E402
from asyncssh.connection import SSHConnection, SSHServerConnection  # noqa: E402
from asyncssh.constants import MSG_USERAUTH_REQUEST  # noqa: E402

ARGS = None


def log_line(text):
    if ARGS is None or not ARGS.log:
        return
    with open(ARGS.log, "a", encoding="utf-8") as f:
        f.write(text + "\n")


def _peek_strings(payload, count):
    """The first count SSH strings of payload (shorter list when it ends early)."""
    out = []
    off = 0
    for _ in range(count):
        if off + 4 > len(payload):
            break
        (n,) = struct.unpack(">I", payload[off:off + 4])
        off += 4
        if off + n > len(payload):
            break
        out.append(payload[off:off + n])
        off += n
    return out, off


def _install_userauth_logger():
    orig = SSHConnection._packet_handlers[MSG_USERAUTH_REQUEST]

    def logged(self, pkttype, pktid, packet):
        payload = packet.get_remaining_payload()
        fields, off = _peek_strings(payload, 3)
        user = fields[0].decode("utf-8", "replace") if len(fields) > 0 else "?"
        method = fields[2].decode("ascii", "replace") if len(fields) > 2 else "?"
        alg = "-"
        if method == "publickey" and off < len(payload):
            more, _ = _peek_strings(payload[off + 1:], 1)
            if more:
                alg = more[0].decode("ascii", "replace")
        log_line("userauth %s %s %s" % (method, user, alg))
        return orig(self, pkttype, pktid, packet)

    SSHConnection._packet_handlers = dict(SSHConnection._packet_handlers)
    SSHConnection._packet_handlers[MSG_USERAUTH_REQUEST] = logged


def _install_x509_chain_logger():
    """Log each X.509 chain a client presents: asyncssh checks it in
    SSHServerConnection._validate_x509_certificate_chain(username, chain), where
    chain._certs holds the certificates in the order sent."""
    orig = SSHServerConnection._validate_x509_certificate_chain

    async def logged(self, username, cert):
        key = await orig(self, username, cert)
        certs = list(getattr(cert, "_certs", ()))
        subjects = "|".join(str(getattr(c, "subject", "?")) for c in certs)
        log_line("x509-chain %s certs=%d result=%s subjects=%s"
                 % (username, len(certs), "ok" if key is not None else "refused", subjects))
        return key

    SSHServerConnection._validate_x509_certificate_chain = logged


def _install_sftp_subsystem():
    """With --sftp, an "sftp" subsystem request goes to run_session like any other session
    (asyncssh accepts it only with its own SFTP server, which sends no exit status)."""
    from asyncssh.constants import EXTENDED_DATA_STDERR
    from asyncssh.stream import SSHReader, SSHServerStreamSession, SSHWriter

    orig_requested = SSHServerStreamSession.subsystem_requested
    orig_started = SSHServerStreamSession.session_started

    def requested(self, subsystem):
        return subsystem == "sftp" or orig_requested(self, subsystem)

    def started(self):
        if self._chan.get_subsystem() != "sftp":
            return orig_started(self)
        stdin = SSHReader(self, self._chan)
        stdout = SSHWriter(self, self._chan)
        stderr = SSHWriter(self, self._chan, EXTENDED_DATA_STDERR)
        self._conn.create_task(self._session_factory(stdin, stdout, stderr), stdin.logger)
        return None

    SSHServerStreamSession.subsystem_requested = requested
    SSHServerStreamSession.session_started = started


class Server(asyncssh.SSHServer):
    def connection_made(self, conn):
        if ARGS.log_connections:
            log_line("connect")

    def begin_auth(self, username):
        return True

    def password_auth_supported(self):
        return ARGS.password is not None

    def validate_password(self, username, password):
        return ARGS.password is not None and password == ARGS.password

    def kbdint_auth_supported(self):
        if ARGS.no_kbdint:
            return False
        if ARGS.kbdint_rounds is not None:
            return True
        return NotImplemented  # asyncssh: keyboard-interactive carries --password

    def _challenge(self):
        r = ARGS.kbdint_rounds[self.kb_round]
        prompts = [(p[0], bool(p[1])) for p in r.get("prompts", [])]
        return (r.get("name", ""), r.get("instruction", ""), "", prompts)

    def get_kbdint_challenge(self, username, lang, submethods):
        self.kb_round = 0
        if not ARGS.kbdint_rounds:
            return False
        return self._challenge()

    def validate_kbdint_response(self, username, responses):
        r = ARGS.kbdint_rounds[self.kb_round]
        want = [p[2] for p in r.get("prompts", [])]
        ok = list(responses) == want
        log_line("kbdint-round %d %s" % (self.kb_round + 1, "ok" if ok else "fail"))
        if not ok:
            return False
        self.kb_round += 1
        if self.kb_round >= len(ARGS.kbdint_rounds):
            return True
        return self._challenge()

    def auth_completed(self):
        log_line("auth-ok")

    def connection_requested(self, dest_host, dest_port, orig_host, orig_port):
        if not ARGS.allow_direct_tcpip or dest_host != "127.0.0.1":
            return False
        log_line("direct-tcpip %s %d" % (dest_host, dest_port))
        return True  # asyncssh connects to dest_host:dest_port and forwards the channel


async def run_session(process):
    cmd = process.command
    if process.subsystem == "sftp" and ARGS.sftp:
        argv = [os.environ.get("SFTP_SERVER", "/usr/lib/openssh/sftp-server")]
    elif process.subsystem:
        process.stderr.write(b"subsystems are not supported\n")
        process.exit(1)
        return
    else:
        argv = ["/bin/sh", "-c", cmd] if cmd is not None else ["/bin/sh"]
    proc = None
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        await process.redirect(stdin=proc.stdin, stdout=proc.stdout, stderr=proc.stderr)
        await process.stdout.drain()
        await process.stderr.drain()
        rc = await proc.wait()
        if rc < 0:
            try:
                name = signal.Signals(-rc).name[3:]
            except ValueError:
                name = "KILL"
            process.exit_with_signal(name)
        else:
            process.exit(rc)
    except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged):
        process.exit(255)
    except (BrokenPipeError, ConnectionError, asyncssh.Error):
        pass
    finally:
        if proc is not None and proc.returncode is None:
            try:
                proc.kill()
            except ProcessLookupError:
                pass
            await proc.wait()


def split(text):
    if text is None:
        return ()
    return [x for x in text.split(",") if x]


def load_host_keys():
    keys = ARGS.key or []
    chains = ARGS.chain or []
    if not keys:
        sys.exit("x509_server.py: --key is required")
    if len(chains) > len(keys):
        sys.exit("x509_server.py: more --chain than --key")
    pairs = []
    for i, k in enumerate(keys):
        if i < len(chains):
            pairs.append((k, chains[i]))
        else:
            pairs.append(k)
    keypairs = asyncssh.load_keypairs(pairs)
    if ARGS.host_key_algs is not None:
        want = [a.encode("ascii") for a in split(ARGS.host_key_algs)]
        for kp in keypairs:
            kp.host_key_algorithms = [a for a in want if a in kp.host_key_algorithms]
        keypairs = [kp for kp in keypairs if kp.host_key_algorithms]
        if not keypairs:
            sys.exit("x509_server.py: no key serves any of --host-key-algs")
    return keypairs


async def main():
    _install_userauth_logger()
    _install_x509_chain_logger()
    if ARGS.sftp:
        _install_sftp_subsystem()
    opts = {
        "server_factory": Server,
        "process_factory": run_session,
        "server_host_keys": load_host_keys(),
        "encoding": None,
        "reuse_address": True,
        "allow_scp": False,
        "agent_forwarding": False,
        "x509_purposes": ARGS.x509_purposes,
    }
    if ARGS.authorized_keys:
        opts["authorized_client_keys"] = ARGS.authorized_keys
    if ARGS.client_ca:
        opts["x509_trusted_certs"] = ARGS.client_ca
    if ARGS.kex:
        opts["kex_algs"] = split(ARGS.kex)
    if ARGS.ciphers:
        opts["encryption_algs"] = split(ARGS.ciphers)
    if ARGS.macs:
        opts["mac_algs"] = split(ARGS.macs)
    if ARGS.sig_algs:
        opts["signature_algs"] = split(ARGS.sig_algs)
    server = await asyncssh.listen("127.0.0.1", ARGS.port, **opts)
    port = server.sockets[0].getsockname()[1]
    if ARGS.port_file:
        tmp = ARGS.port_file + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write("%d\n" % port)
        os.rename(tmp, ARGS.port_file)
    sys.stdout.write("PORT %d\n" % port)
    sys.stdout.flush()
    await asyncio.Event().wait()


def parse_args(argv):
    p = argparse.ArgumentParser(description="RFC 6187 test server (asyncssh)")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--key", action="append")
    p.add_argument("--chain", action="append")
    p.add_argument("--host-key-algs")
    p.add_argument("--authorized-keys")
    p.add_argument("--password")
    p.add_argument("--client-ca")
    p.add_argument("--x509-purposes", default="secureShellClient")
    p.add_argument("--log")
    p.add_argument("--log-connections", action="store_true")
    p.add_argument("--kex")
    p.add_argument("--ciphers")
    p.add_argument("--macs")
    p.add_argument("--sig-algs")
    p.add_argument("--kbdint")
    p.add_argument("--no-kbdint", action="store_true")
    p.add_argument("--sftp", action="store_true")
    p.add_argument("--allow-direct-tcpip", action="store_true")
    a = p.parse_args(argv)
    a.kbdint_rounds = None
    if a.kbdint:
        with open(a.kbdint, encoding="utf-8") as f:
            a.kbdint_rounds = json.load(f)
    if a.x509_purposes != "any":
        a.x509_purposes = split(a.x509_purposes)
    return a


if __name__ == "__main__":
    ARGS = parse_args(sys.argv[1:])
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
