#!/bin/bash
# session-bind@openssh.com: x509ssh tells OpenSSH's ssh-agent (started here) which server the
# connection is before it asks for signatures, as OpenSSH's ssh does, so keys added with
# `ssh-add -h` destination constraints work: a key constrained to 127.0.0.1 (its host keys
# listed for ssh-add in a known_hosts file, -H) logs in to Debian's sshd there (OpenSSH's ssh as
# the control), a key constrained to another host is refused by the agent (one line), and
# without the binding the agent would refuse the first one too.
. "$(dirname "$0")/../lib/common.sh"
require_client
make_keys
command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null || die "ssh-agent/ssh-add missing"

K=$T_DIR/bk
mkdir -p "$K"
ssh-keygen -q -t ed25519 -N '' -C bound-here -f "$K/here" </dev/null
ssh-keygen -q -t ed25519 -N '' -C bound-elsewhere -f "$K/elsewhere" </dev/null
ssh-keygen -q -t ed25519 -N '' -C other-host -f "$K/otherhost" </dev/null
cat "$K/here.pub" "$K/elsewhere.pub" >"$T_DIR/authorized_keys"
AS=$T_DIR/agent.sock
ssh-agent -D -a "$AS" >/dev/null 2>&1 &
t_track_pid $!
for ((i = 0; i < 200; i++)); do [[ -S "$AS" ]] && break; sleep 0.05; done
[[ -S "$AS" ]] || die "ssh-agent did not start"
start_sshd
# X.509 host keys for the asyncssh RFC 6187 peer (the binding then carries the certificate's
# public key as a plain key, which ssh-add -h matches in known_hosts form)
PKI="$T_DIR/pki"
PKISH="$X509SSH_SRC/tests/lib/pki.sh"
"$PKISH" "$PKI" init >/dev/null
"$PKISH" "$PKI" leaf rsa --key rsa2048 --san "IP:127.0.0.1" --eku serverAuth >/dev/null
"$PKISH" "$PKI" leaf ec --key ec256 --san "IP:127.0.0.1" --eku serverAuth >/dev/null
cert_pub() { openssl x509 -pubkey -noout -in "$1" >"$T_DIR/cert.pub.pem" && ssh-keygen -i -m PKCS8 -f "$T_DIR/cert.pub.pem"; }
# the host keys ssh-add -h matches the destination names against
HK=$T_DIR/constraint_known_hosts
for t in ed25519 ecdsa rsa; do
	printf '127.0.0.1 %s\n' "$(cut -d' ' -f1,2 "$T_DIR/keys/host_$t.pub")"
done >"$HK"
for n in rsa ec; do printf '127.0.0.1 %s\n' "$(cert_pub "$PKI/$n.pem" | cut -d' ' -f1,2)"; done >>"$HK"
printf 'elsewhere.example %s\n' "$(cut -d' ' -f1,2 "$K/otherhost.pub")" >>"$HK"
SSH_AUTH_SOCK=$AS ssh-add -q -H "$HK" -h 127.0.0.1 "$K/here" 2>/dev/null || die "ssh-add -h 127.0.0.1 failed"
SSH_AUTH_SOCK=$AS ssh-add -q -H "$HK" -h elsewhere.example "$K/elsewhere" 2>/dev/null ||
	die "ssh-add -h elsewhere.example failed"
# only the agent has the private halves now
rm -f "$K/here" "$K/elsewhere"

# agent_run PUB [option ...]: log in with the agent key whose public half is PUB
agent_run() {
	local pub=$1
	shift
	run_client_bare -l "$(id -un)" -i "$pub" -o "IdentityAgent=$AS" "$@" -- echo bound-ok
}

agent_run "$K/here.pub" -o LogLevel=DEBUG1
expect_exit 0 "a key constrained to 127.0.0.1 logs in there"
expect_eq "its output" "bound-ok" "$(cat "$OUT")"
expect_file_matches "$ERR" "agent: session bound to the host key" "-v: the session was bound"

agent_run "$K/elsewhere.pub" -o LogLevel=INFO
expect_exit 255 "a key constrained to elsewhere.example is refused by the agent"
# OpenSSH's agent no longer lists the key to the connection bound here: the line says that
expect_eq "refused: one line for the agent" 1 "$(grep -c 'agent: the agent no longer lists the key' "$ERR" || true)"

# the control: OpenSSH's ssh sees the same
ossh() {
	set +e
	env SSH_AUTH_SOCK="$AS" timeout -k 5 "$CLIENT_TIMEOUT" ssh -F /dev/null -o BatchMode=yes \
		-o "UserKnownHostsFile=$T_DIR/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o IdentitiesOnly=yes -i "$1" -p "$SSHD_PORT" -l "$(id -un)" 127.0.0.1 echo bound-ok \
		</dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
}
ossh "$K/here.pub"
expect_exit 0 "control: OpenSSH's ssh logs in with the key constrained to 127.0.0.1"
ossh "$K/elsewhere.pub"
expect_exit 255 "control: OpenSSH's ssh is refused the key constrained elsewhere"

# ---- agent forwarding: each connection x509ssh makes to the agent for a forwarded channel is
# bound to that hop (is_forwarding), as OpenSSH's ssh binds it, so the agent applies the key's
# constraints to where the far side goes next: through `-o ForwardAgent=...`, the far side's
# OpenSSH ssh logs in to 127.0.0.1 again with a key allowed "127.0.0.1>127.0.0.1", and is
# refused the key allowed only from here to 127.0.0.1 (unbound, the agent would take the far
# side for a local client and sign)
ssh-keygen -q -t ed25519 -N '' -C two-hops -f "$K/twohop" </dev/null
cat "$K/twohop.pub" "$CLIENT_KEY.pub" >>"$T_DIR/authorized_keys"
SSH_AUTH_SOCK=$AS ssh-add -q -H "$HK" -h 127.0.0.1 -h "127.0.0.1>127.0.0.1" "$K/twohop" 2>/dev/null ||
	die "ssh-add -h 127.0.0.1>127.0.0.1 failed"
rm -f "$K/twohop"
FAR="ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile=$T_DIR/known_hosts -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes -p $SSHD_PORT -l $(id -un)"
hop2() { # hop2 PUB [option ...]: the far side logs in again with the agent key PUB
	local pub=$1
	shift
	CLIENT_ENV=()
	run_client_bare -l "$(id -un)" -i "$CLIENT_KEY" -o IdentityAgent=none -o "ForwardAgent=$AS" \
		"$@" -- "$FAR -i $pub 127.0.0.1 echo hop2-ok"
}
hop2 "$K/twohop.pub" -o LogLevel=DEBUG1
expect_exit 0 "forwarded: a key allowed 127.0.0.1>127.0.0.1 signs for the far side's next hop"
expect_eq "forwarded: the far side's output" "hop2-ok" "$(cat "$OUT")"
expect_file_matches "$ERR" "agent forwarding \\(channel [0-9]+\\) -> .*: bound to the host key \\(forwarding\\)" \
	"forwarded: -v says the agent connection was bound"
hop2 "$K/here.pub"
expect_eq "forwarded: a key allowed only from here is refused for the far side's next hop" "" "$(cat "$OUT")"
expect_file_matches "$ERR" "Permission denied" "forwarded: the far side's ssh was refused"
# the control: OpenSSH's ssh as the first hop
ossh_fwd() {
	set +e
	env SSH_AUTH_SOCK="$AS" timeout -k 5 "$CLIENT_TIMEOUT" ssh -F /dev/null -o BatchMode=yes \
		-o "UserKnownHostsFile=$T_DIR/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o IdentitiesOnly=yes -i "$CLIENT_KEY" -A -p "$SSHD_PORT" -l "$(id -un)" 127.0.0.1 \
		"$FAR -i $1 127.0.0.1 echo hop2-ok" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
}
ossh_fwd "$K/twohop.pub"
expect_eq "control: through OpenSSH's ssh -A, the two-hop key signs" "hop2-ok" "$(cat "$OUT")"
ossh_fwd "$K/here.pub"
expect_eq "control: through OpenSSH's ssh -A, the one-hop key is refused" "" "$(cat "$OUT")"

# ---- X.509 host keys (asyncssh peer): bound with the certificate's key, for each algorithm
for spec in "rsa x509v3-ssh-rsa" "rsa x509v3-rsa2048-sha256" "ec x509v3-ecdsa-sha2-nistp256"; do
	read -r name alg <<<"$spec"
	stop_peer
	start_peer "$name" x509_server.py --key "$PKI/$name.key" --chain "$PKI/$name.chain.pem" \
		--host-key-algs "$alg" --authorized-keys "$T_DIR/authorized_keys"
	CLIENT_PORT=$PEER_PORT
	agent_run "$K/here.pub" -o "CACertificateFile=$PKI/root.pem" -o "HostKeyAlgorithms=$alg" -o LogLevel=DEBUG1
	expect_exit 0 "$alg: the key constrained to 127.0.0.1 logs in"
	expect_file_matches "$ERR" "agent: session bound to the host key \\(the certificate's key\\)" \
		"$alg: bound with the certificate's key"
	agent_run "$K/elsewhere.pub" -o "CACertificateFile=$PKI/root.pem" -o "HostKeyAlgorithms=$alg" -o LogLevel=INFO
	expect_exit 255 "$alg: the key constrained elsewhere is refused"
done
CLIENT_PORT=

t_done
