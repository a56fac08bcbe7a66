#!/bin/bash
# A two-minute tour: install what is missing, build, start a throwaway sshd on 127.0.0.1,
# connect to it with `x509ssh -v` (the host key accepted into a temporary known_hosts), run a
# command; then start an RFC 6187 server (asyncssh) with an X.509 host certificate and a SoftHSM2
# token holding the user's key and certificate, log in with the token (PIN from a file) trusting
# the host through a CA instead of known_hosts, and watch a host with an untrusted CA refused.
# Tells what happened in a few readable lines.
#
# Environment: BUILD_DIR (default build/), DEMO_SKIP_BUILD=1 to use an existing binary,
# X509SSH to demo another client binary (e.g. /usr/bin/ssh).
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
. "$SRC/tests/lib/install.sh"
BUILD_DIR=${BUILD_DIR:-$SRC/build}

if [[ "${DEMO_SKIP_BUILD:-0}" != 1 ]]; then
	echo "== installing missing packages (if any)"
	x509ssh_install_deps
	echo "== building into $BUILD_DIR"
	if ! x509ssh_build "$BUILD_DIR" >"${TMPDIR:-/tmp}/x509ssh-demo-build.log" 2>&1; then
		tail -n 20 "${TMPDIR:-/tmp}/x509ssh-demo-build.log"
		echo "build failed (full log: ${TMPDIR:-/tmp}/x509ssh-demo-build.log)"
		exit 1
	fi
fi

export X509SSH_SRC=$SRC X509SSH_BUILD=$BUILD_DIR
. "$SRC/tests/lib/common.sh"
require_client

echo "== starting a throwaway sshd"
start_sshd
kh="$T_DIR/demo_known_hosts"
common=(-F /dev/null -o "UserKnownHostsFile=$kh" -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes
	-o IdentitiesOnly=yes -i "$CLIENT_KEY" -l "$(id -un)" -p "$SSHD_PORT")
remote_cmd='echo "hello from $(hostname) as $(id -un), remote shell $0"'

echo "== $(basename "$X509SSH") -v -o StrictHostKeyChecking=accept-new ... 127.0.0.1 '$remote_cmd'"
log_mark
set +e
env -u SSH_AUTH_SOCK timeout 60 "$X509SSH" -v -o StrictHostKeyChecking=accept-new "${common[@]}" 127.0.0.1 "$remote_cmd" \
	>"$T_DIR/demo.out" 2>"$T_DIR/demo.err"
rc=$?
set -e
log_since_mark >"$T_DIR/demo.sshd"

echo
echo "-- what happened --------------------------------------------------------------"
printf 'client:        %s\n' "$X509SSH"
printf 'server:        OpenSSH sshd on 127.0.0.1 port %s (%s)\n' "$SSHD_PORT" "$("$SSHD_BIN" -V 2>&1 | head -n 1 || true)"
printf 'key exchange:  %s\n' "$(sed -n 's/.*kex: algorithm: \([^ ]*\).*/\1/p' "$T_DIR/demo.sshd" | head -n 1)"
printf 'host key:      %s\n' "$(sed -n 's/.*kex: host key algorithm: \([^ ]*\).*/\1/p' "$T_DIR/demo.sshd" | head -n 1)"
printf 'cipher / MAC:  %s\n' "$(sed -n 's/.*server->client cipher: \([^ ]*\) MAC: \([^ ]*\).*/\1 \/ \2/p' "$T_DIR/demo.sshd" | head -n 1)"
printf 'known_hosts:   %s\n' "$(if [[ -s "$kh" ]]; then awk '{print $1, $2, substr($3, 1, 24) "..."}' "$kh" | head -n 1; else echo "(nothing written)"; fi)"
printf 'user auth:     %s\n' "$(grep -m1 -o 'Accepted publickey for [^ ]* from [^ ]* port [0-9]* ssh2: [^ ]*' "$T_DIR/demo.sshd" || echo "(not accepted)")"
printf 'remote output: %s\n' "$(head -n 3 "$T_DIR/demo.out")"
printf 'exit status:   %s\n' "$rc"
echo
echo "-- the first lines of the client's -v output ------------------------------------"
head -n 15 "$T_DIR/demo.err"
echo "($(wc -l <"$T_DIR/demo.err") lines in all)"

echo
echo "== connecting again: the host key is now known (StrictHostKeyChecking=yes)"
set +e
env -u SSH_AUTH_SOCK timeout 60 "$X509SSH" -o StrictHostKeyChecking=yes "${common[@]}" 127.0.0.1 'echo "second connection ok"'
rc2=$?
set -e
printf 'exit status:   %s\n' "$rc2"

# ---------------------------------------------------------------- part 2: X.509 and a token
echo
echo "== part 2: an RFC 6187 server with an X.509 host certificate, a SoftHSM token for the user"
PKI="$T_DIR/pki"
HSM="$T_DIR/hsm"
"$SRC/tests/lib/pki.sh" "$PKI" init >/dev/null
"$SRC/tests/lib/pki.sh" "$PKI" leaf rtr --key rsa2048 --cn rtr-demo.example.net \
	--san "DNS:rtr-demo.example.net,IP:127.0.0.1" --eku serverAuth >/dev/null
"$SRC/tests/lib/pki.sh" "$PKI" leaf rogue --key rsa2048 --issuer other --san "IP:127.0.0.1" >/dev/null
. "$SRC/tests/lib/softhsm.sh"
softhsm_use "$HSM"
printf 'host CA:       %s (root) -> %s -> rtr-demo.example.net\n' \
	"$(openssl x509 -in "$PKI/root.pem" -noout -subject | sed 's/^subject=//')" \
	"$(openssl x509 -in "$PKI/inter.pem" -noout -subject | sed 's/^subject=//')"
printf 'token:         SoftHSM2 "x509ssh-test" in %s, PIN in a file\n' "$HSM"
# the server trusts the token's CA for user certificates
{
	printf 'cert-authority x509v3-ssh-rsa %s\n' "$(openssl x509 -in "$HSM/root.pem" -outform DER | base64 -w0)"
} >"$T_DIR/x509_authorized_keys"
cat "$HSM/root.pem" "$HSM/inter.pem" >"$T_DIR/user_ca.pem"
start_peer rtr x509_server.py --key "$PKI/rtr.key" --chain "$PKI/rtr.chain.pem" \
	--host-key-algs "x509v3-ssh-rsa,x509v3-rsa2048-sha256" --authorized-keys "$T_DIR/x509_authorized_keys" \
	--client-ca "$T_DIR/user_ca.pem" --log "$T_DIR/x509_auth.log"
uri="pkcs11:token=x509ssh-test;object=rsa?pin-source=file:$HSM/pin"
x509_common=(-F /dev/null -o "CACertificateFile=$PKI/root.pem" -o X509HostKeys=require
	-o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$T_DIR/empty_known_hosts" -o BatchMode=yes
	-o UserFromCertificate=cn -I "$uri" -p "$PEER_PORT")
: >"$T_DIR/empty_known_hosts"
echo "== $(basename "$X509SSH") -v -o CACertificateFile=root.pem -o X509HostKeys=require -o UserFromCertificate=cn \\"
echo "       -I '$uri' 127.0.0.1 'echo hello from the X.509 server'"
set +e
env -u SSH_AUTH_SOCK timeout 60 "$X509SSH" -v "${x509_common[@]}" 127.0.0.1 'echo "hello from the X.509 server"' \
	>"$T_DIR/x509.out" 2>"$T_DIR/x509.err"
rc3=$?
set -e
echo
echo "-- what happened --------------------------------------------------------------"
grep -E '^x509: |Authenticated|login name|Server accepts key' "$T_DIR/x509.err" | sed 's/^debug1: //' || true
printf 'server saw:    %s\n' "$(grep -E 'x509-chain|auth-ok|userauth publickey' "$T_DIR/x509_auth.log" | tail -n 2 | paste -sd ';' || true)"
printf 'known_hosts:   %s\n' "$(if [[ -s "$T_DIR/empty_known_hosts" ]]; then echo "written (unexpected)"; else echo "untouched: the CA vouched for the host"; fi)"
printf 'remote output: %s\n' "$(head -n 3 "$T_DIR/x509.out")"
printf 'exit status:   %s\n' "$rc3"

echo
echo "== the same server presenting a certificate from a CA we do not trust"
stop_peer
start_peer rogue x509_server.py --key "$PKI/rogue.key" --chain "$PKI/rogue.chain.pem" \
	--host-key-algs x509v3-ssh-rsa --authorized-keys "$T_DIR/x509_authorized_keys" \
	--client-ca "$T_DIR/user_ca.pem" --log "$T_DIR/rogue_auth.log"
x509_common[${#x509_common[@]} - 1]=$PEER_PORT
set +e
env -u SSH_AUTH_SOCK timeout 60 "$X509SSH" "${x509_common[@]}" 127.0.0.1 'echo should not run' \
	>"$T_DIR/rogue.out" 2>"$T_DIR/rogue.err"
rc4=$?
set -e
sed 's/^/  /' "$T_DIR/rogue.err"
seen=$(cat "$T_DIR/rogue_auth.log" 2>/dev/null | grep -c userauth || true)
printf 'exit status:   %s; userauth requests the server saw: %s (nothing was sent)\n' "$rc4" "${seen:-0}"
stop_peer

if [[ "$rc" == 0 && "$rc2" == 0 && "$rc3" == 0 && "$rc4" == 255 && "${seen:-0}" == 0 ]]; then
	echo "demo: OK"
	T_PASS=1
else
	echo "demo: FAILED"
	T_FAIL=1
fi
t_done >/dev/null
