#!/bin/bash
# "A smartcard for the whole day": OpenSSH's ssh-agent holds the SoftHSM token's keys (ssh-add -s
# through pkcs11-spy, the PIN given once through ssh-add's askpass); then 20 logins to Debian's
# sshd and RFC 6187 logins to the asyncssh peer with the token's certificate chain, read without
# login (x509v3-ssh-rsa: SHA-1, no flag; x509v3-rsa2048-sha256: the SHA-256 flag;
# x509v3-ecdsa-sha2-nistp256), with an askpass that records any call: never called; the agent's
# spy log holds ssh-add's logins only (one per token of the SoftHSM configuration, the PIN asked
# once) and x509ssh's own spy log has no C_Login at all. Without the agent the same run needs the
# PIN (the askpass is asked: the checks above can fail). Before that, a
# key file in the agent with its certificate from X509CertificateFile logs in as X.509.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/softhsm.sh"
require_client
make_keys
softhsm_use # $P, $M, $PIN, $TOK
softhsm_spy # $SPY
command -v ssh-agent >/dev/null || die "ssh-agent missing"
count() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }

# askpass programs: one gives the PIN (ssh-add), one records that it was called (x509ssh)
printf '#!/bin/sh\necho x >>"%s"\nprintf "%%s\\n" "%s"\n' "$T_DIR/pin-asked" "$PIN" >"$T_DIR/pin-askpass"
printf '#!/bin/sh\necho "$*" >>"%s"\nexit 1\n' "$T_DIR/askpass-called" >"$T_DIR/no-askpass"
chmod 755 "$T_DIR/pin-askpass" "$T_DIR/no-askpass"

start_agent() { # start_agent SOCK [env ...]
	local s=$1
	shift
	env "$@" ssh-agent -D -a "$s" >/dev/null 2>&1 &
	t_track_pid $!
	for ((i = 0; i < 200; i++)); do [[ -S "$s" ]] && break; sleep 0.05; done
	[[ -S "$s" ]] || die "ssh-agent did not start"
}

# the asyncssh peer trusting the token root (as token_x509.sh)
peer() {
	softhsm_peer "$1"
	known_hosts_line "$T_DIR/keys/host_ed25519.pub" "$PEER_PORT" >"$T_DIR/peer_known_hosts"
}
ROOT_B64=$(openssl x509 -in "$P/root.pem" -outform DER | base64 -w0)
peer "cert-authority x509v3-ssh-rsa $ROOT_B64"

# x509 WHAT USER ALG SOCK [option ...]: an X.509 login to the peer through the agent at SOCK
x509() {
	local what=$1 user=$2 alg=$3 sock=$4
	shift 4
	: >"$PLOG"
	CLIENT_PORT=$PEER_PORT
	CLIENT_ENV=(SSH_AUTH_SOCK="$sock" SSH_ASKPASS="$T_DIR/no-askpass" SSH_ASKPASS_REQUIRE=force
		DISPLAY=:0 PKCS11SPY="$M" PKCS11SPY_OUTPUT="$T_DIR/spy.x509ssh")
	run_client_bare -o "UserKnownHostsFile=$T_DIR/peer_known_hosts" -l "$user" "$@" \
		-- 'echo "agent x509 $((6 * 7))"'
	CLIENT_PORT=
	expect_exit 0 "$what: exit status"
	expect_eq "$what: output" "agent x509 42" "$(cat "$OUT")"
	expect_file_matches "$PLOG" "^userauth publickey $user $alg\$" "$what: signed with $alg"
	expect_file_matches "$PLOG" "^x509-chain $user certs=2 result=ok" "$what: leaf + intermediate accepted"
	expect_file_matches "$PLOG" "^auth-ok" "$what: authenticated"
}

# ---- a key file in the agent, its certificate from X509CertificateFile (no IdentityFile)
A1=$T_DIR/agent1.sock
start_agent "$A1"
install -m 600 "$P/ec.key" "$T_DIR/ec.key"
SSH_AUTH_SOCK=$A1 ssh-add -q "$T_DIR/ec.key" 2>/dev/null || die "ssh-add ec.key failed"
rm -f "$T_DIR/ec.key"
x509 "agent key + X509CertificateFile" "ec user" x509v3-ecdsa-sha2-nistp256 "$A1" \
	-o "X509CertificateFile=$P/ec.pem" -o "X509CertificateFile=$P/inter.pem"

# UserFromCertificate with that agent key: the login name is the certificate's CN
: >"$PLOG"
CLIENT_PORT=$PEER_PORT
CLIENT_ENV=(SSH_AUTH_SOCK="$A1")
run_client_bare -o "UserKnownHostsFile=$T_DIR/peer_known_hosts" -o UserFromCertificate=cn \
	-o "X509CertificateFile=$P/ec.pem" -o "X509CertificateFile=$P/inter.pem" -- echo cn-ok
CLIENT_PORT=
expect_exit 0 "agent key + UserFromCertificate cn: exit status"
expect_file_matches "$PLOG" "^userauth publickey ec user x509v3-ecdsa-sha2-nistp256\$" \
	"agent key + UserFromCertificate cn: the CN is the login name"

# ---- the token in the agent: the PIN once
A2=$T_DIR/agent2.sock
start_agent "$A2" PKCS11SPY="$M" PKCS11SPY_OUTPUT="$T_DIR/spy.agent" SOFTHSM2_CONF="$SOFTHSM2_CONF"
SSH_AUTH_SOCK=$A2 SSH_ASKPASS="$T_DIR/pin-askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
	ssh-add -s "$SPY" </dev/null >/dev/null 2>&1 || die "ssh-add -s failed"
SSH_AUTH_SOCK=$A2 ssh-add -l >"$T_DIR/agent-keys" 2>&1 || true
# one login per token of the configuration (x509ssh-test and x509ssh-two), the PIN asked once
LOGINS=$(count "$T_DIR/spy.agent" 'C_Login$')
expect_eq "ssh-add -s: one login per token" 2 "$LOGINS"
expect_eq "ssh-add -s: the PIN asked once" 1 "$(wc -l <"$T_DIR/pin-asked")"

URI_RSA="$TOK;object=rsa?module-path=$SPY"
URI_EC="$TOK;object=ec?module-path=$SPY"
x509 "token RSA as x509v3-ssh-rsa" "rsa user" x509v3-ssh-rsa "$A2" -i "$URI_RSA" \
	-o PubkeyAcceptedAlgorithms=x509v3-ssh-rsa
x509 "token RSA as x509v3-rsa2048-sha256" "rsa user" x509v3-rsa2048-sha256 "$A2" -i "$URI_RSA" \
	-o PubkeyAcceptedAlgorithms=x509v3-rsa2048-sha256
x509 "token P-256 as x509v3-ecdsa-sha2-nistp256" "ec user" x509v3-ecdsa-sha2-nistp256 "$A2" -I "$URI_EC"
x509 "UserFromCertificate cn" "rsa user" x509v3-rsa2048-sha256 "$A2" -I "$URI_RSA" \
	-o UserFromCertificate=cn -o PubkeyAcceptedAlgorithms=x509v3-rsa2048-sha256

# ---- 20 logins to sshd with the token's keys as plain keys
for k in rsa ec; do ssh-keygen -i -m PKCS8 -f "$P/$k.pub.pem"; done >"$T_DIR/authorized_keys"
start_sshd
ok=0
for ((n = 1; n <= 20; n++)); do
	uri=$URI_RSA
	((n % 2 == 0)) && uri=$URI_EC
	CLIENT_ENV=(SSH_AUTH_SOCK="$A2" SSH_ASKPASS="$T_DIR/no-askpass" SSH_ASKPASS_REQUIRE=force
		DISPLAY=:0 PKCS11SPY="$M" PKCS11SPY_OUTPUT="$T_DIR/spy.x509ssh")
	run_client_bare -l "$(id -un)" -i "$uri" -- echo "run $n"
	[[ "$RC" == 0 && "$(cat "$OUT")" == "run $n" ]] && ok=$((ok + 1))
done
expect_eq "20 logins to sshd through the agent" 20 "$ok"

expect_eq "the whole series: no C_Login after ssh-add's" "$LOGINS" "$(count "$T_DIR/spy.agent" 'C_Login$')"
expect_eq "x509ssh never logged into the token" 0 "$(count "$T_DIR/spy.x509ssh" 'C_Login$')"
expect_eq "x509ssh listed the token through the spy" 1 "$( [[ -s "$T_DIR/spy.x509ssh" ]] && echo 1 || echo 0)"
expect_eq "the askpass was never called" "" "$(cat "$T_DIR/askpass-called" 2>/dev/null || true)"

# without the agent the same run needs the PIN: the askpass is asked (the test can fail)
CLIENT_ENV=(SSH_ASKPASS="$T_DIR/no-askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0)
run_client_bare -l "$(id -un)" -i "$TOK;object=rsa?module-path=$M" -o BatchMode=no -- true
expect_exit 255 "without the agent: the PIN is needed"
expect_ne "without the agent: the askpass was asked" "" "$(cat "$T_DIR/askpass-called" 2>/dev/null || true)"

t_done
