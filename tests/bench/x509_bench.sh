#!/bin/bash
# What an X.509 host key costs: connections to one asyncssh RFC 6187 server, with the host key
# verified through the CA store (x509v3-rsa2048-sha256, chain of 2 + root in a small dedicated
# store) versus the same RSA key as a plain host key checked against known_hosts
# (rsa-sha2-256). Prints the mean wall and client CPU per connection and the difference.
# Not part of ctest.
#
#   tests/bench/x509_bench.sh            # 30 connections each
#   BENCH_CONNS=5 tests/bench/x509_bench.sh
. "$(dirname "$0")/../lib/common.sh"
set +e
require_client
unset SSH_AUTH_SOCK
CONNS=${BENCH_CONNS:-30}
GNU_TIME=/usr/bin/time
[[ -x "$GNU_TIME" ]] || die "GNU time (/usr/bin/time) is needed: apt-get install time"
make_keys

PKI="$T_DIR/pki"
"$X509SSH_SRC/tests/lib/pki.sh" "$PKI" init >/dev/null
"$X509SSH_SRC/tests/lib/pki.sh" "$PKI" leaf srv --key rsa2048 --san "IP:127.0.0.1" >/dev/null
start_peer srv x509_server.py --key "$PKI/srv.key" --chain "$PKI/srv.chain.pem" \
	--host-key-algs "x509v3-rsa2048-sha256,rsa-sha2-256" --authorized-keys "$T_DIR/authorized_keys"
CLIENT_PORT=$PEER_PORT
# the plain key in known_hosts, for the comparison run
pub=$(openssl pkey -in "$PKI/srv.key" -pubout 2>/dev/null | ssh-keygen -i -m PKCS8 -f /dev/stdin)
echo "[127.0.0.1]:$PEER_PORT $pub" >"$KNOWN_HOSTS"

# measure LABEL OPTIONS...: CONNS connections running `true`; prints mean wall/CPU in ms
# (wall from a monotonic clock, CPU from getrusage of the children: microsecond resolution)
measure() {
	local label=$1
	shift
	client_argv -o StrictHostKeyChecking=yes "$@" -- true
	"${CLIENT_ARGV[@]}" >/dev/null 2>"$T_DIR/first.err" ||
		{ echo "$label: the connection fails: $(cat "$T_DIR/first.err")"; return 1; }
	"$PYTHON" - "$label" "$CONNS" "${CLIENT_ARGV[@]}" <<'PY' | tee -a "$T_DIR/summary"
import resource, subprocess, sys, time
label, n, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.monotonic()
for _ in range(n):
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
wall = (time.monotonic() - t0) / n
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) / n
print("%-34s wall %7.2f ms   client CPU %6.2f ms" % (label, 1000 * wall, 1000 * cpu))
PY
}

echo "x509ssh against asyncssh on 127.0.0.1, $CONNS connections each"
measure "plain rsa-sha2-256 + known_hosts" -o HostKeyAlgorithms=rsa-sha2-256
measure "x509v3-rsa2048-sha256 + CA store" -o HostKeyAlgorithms=x509v3-rsa2048-sha256 \
	-o "CACertificateFile=$PKI/root.pem"
awk 'NR == 1 { w = $(NF - 5); c = $(NF - 1) } NR == 2 { printf "X.509 path costs %+.2f ms wall, %+.2f ms client CPU per connection\n", $(NF - 5) - w, $(NF - 1) - c }' \
	"$T_DIR/summary"
