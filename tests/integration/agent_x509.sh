#!/bin/bash
# An agent that holds X.509 identities itself, as PKIX-SSH's does (not packaged for Debian: the
# scripted agent tests/peers/x509_agent.py stands in): it lists its key as an RFC 6187 blob and
# signs for the x509v3 blob it is asked with. x509ssh, with that agent only (no key file, no
# token, no X509CertificateFile), logs into the asyncssh RFC 6187 peer with the chain the agent
# listed (leaf + intermediate) as x509v3-rsa2048-sha256, x509v3-ssh-rsa and
# x509v3-ecdsa-sha2-nistp256, whichever name the agent lists the key under; the agent sees one
# sign request per login, for the x509v3 blob of the algorithm (SHA-256: with the SHA-2 flag).
# UserFromCertificate takes the login name from the agent's certificate; with IdentitiesOnly the
# unconfigured agent key is not offered, with X509CertificateFile naming its certificate it is
# (with the chain the agent listed). A key removed from the agent between listing and signing is
# one line that says so, and the next identity logs in. PKIX-SSH's pre-RFC listing, the key blob
# x509v3-sign-rsa (the bare certificate, of a leaf the root issued): the agent is asked with that
# blob for SHA-1 and logs in as x509v3-ssh-rsa with that one certificate (asyncssh takes no
# x509v3-sign-rsa userauth), as x509v3-rsa2048-sha256 with the RFC 6187 blob of it.
. "$(dirname "$0")/../lib/common.sh"
require_client
make_keys

user_pki # $PKI, $PKISH, $CLIENT_EKU; users alice (RSA) and ecuser (P-256)
# another key of alice's, as a PKIX-SSH identity file (key, certificate, intermediate)
"$PKISH" "$PKI" leaf alice2 --cn alice --key ec256 --eku "$CLIENT_EKU" >/dev/null
cat "$PKI/alice2.key" "$PKI/alice2.chain.pem" >"$T_DIR/alice2.pkix"
# and one the root issued, whose certificate alone makes a chain (x509v3-sign-rsa sends no other)
"$PKISH" "$PKI" leaf alice3 --cn alice --key rsa2048 --eku "$CLIENT_EKU" --issuer root >/dev/null
chmod 600 "$T_DIR/alice2.pkix"
INTER_DN="CN=Test Intermediate CA"

start_user_x509_peer # $PLOG, $CLIENT_PORT

AGENT_PID=
AGENT_N=0
# agent NAME BLOBNAME [option]: the scripted agent holding NAME's key and chain, listed as
# BLOBNAME; its socket in $SOCK, its request log in $ALOG
agent() {
	[[ -z "$AGENT_PID" ]] || { kill "$AGENT_PID" 2>/dev/null; wait "$AGENT_PID" 2>/dev/null || true; }
	AGENT_N=$((AGENT_N + 1))
	SOCK="$T_DIR/agent.$AGENT_N.sock"
	ALOG="$T_DIR/agent.$AGENT_N.log"
	"$PYTHON" "$PEERS_DIR/x509_agent.py" --socket "$SOCK" --key "$PKI/$1.key" \
		--chain "$PKI/$1.chain.pem" --log "$ALOG" --blob-name "$2" "${@:3}" >"$T_DIR/agent.$AGENT_N.err" 2>&1 &
	AGENT_PID=$!
	t_track_pid "$AGENT_PID"
	for ((i = 0; i < 200; i++)); do [[ -S "$SOCK" ]] && break; sleep 0.05; done
	[[ -S "$SOCK" ]] || die "x509_agent.py did not start: $(tail -n 3 "$T_DIR/agent.$AGENT_N.err")"
}
count() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }

# login WHAT USER ALG SIGNLINE [client options]: three logins through the agent alone; each is
# ALG with leaf + intermediate (with CHAIN=1: the leaf alone), and the agent saw exactly one sign
# request per login (SIGNLINE)
login() {
	local what=$1 user=$2 alg=$3 signline=$4 n
	local chain="certs=2 result=ok subjects=CN=$user\\|$INTER_DN" says="leaf + intermediate"
	[[ "${CHAIN:-2}" != 1 ]] || { chain="certs=1 result=ok subjects=CN=$user"; says="leaf alone"; }
	shift 4
	: >"$ALOG"
	for n in 1 2 3; do
		: >"$PLOG"
		CLIENT_ENV=(SSH_AUTH_SOCK="$SOCK")
		run_client_bare -o IdentitiesOnly=no "$@" -- "echo agent x509 $n"
		expect_exit 0 "$what ($n): exit status"
		expect_eq "$what ($n): output" "agent x509 $n" "$(cat "$OUT")"
		expect_file_matches "$PLOG" "^userauth publickey $user $alg\$" "$what ($n): signed with $alg as '$user'"
		expect_file_matches "$PLOG" "^x509-chain $user $chain\$" \
			"$what ($n): the agent's chain ($says) received and accepted"
		expect_file_matches "$PLOG" "^auth-ok" "$what ($n): authenticated"
	done
	expect_eq "$what: one sign request per login" 3 "$(count "$ALOG" '^sign ')"
	expect_eq "$what: each for the x509v3 blob" 3 "$(count "$ALOG" "^$signline\$")"
}

agent alice x509v3-rsa2048-sha256
login "RSA listed as x509v3-rsa2048-sha256" alice x509v3-rsa2048-sha256 \
	"sign x509v3-rsa2048-sha256 flags=2 rsa2048-sha256" -l alice \
	-o PubkeyAcceptedAlgorithms=x509v3-rsa2048-sha256
login "the same key as x509v3-ssh-rsa" alice x509v3-ssh-rsa \
	"sign x509v3-ssh-rsa flags=0 ssh-rsa" -l alice -o PubkeyAcceptedAlgorithms=x509v3-ssh-rsa

# UserFromCertificate: the login name from the agent's certificate (no -l)
: >"$PLOG"
CLIENT_ENV=(SSH_AUTH_SOCK="$SOCK")
run_client_bare -o IdentitiesOnly=no -o UserFromCertificate=cn \
	-o PubkeyAcceptedAlgorithms=x509v3-rsa2048-sha256 -- echo cn-ok
expect_exit 0 "UserFromCertificate cn: exit status"
expect_eq "UserFromCertificate cn: output" "cn-ok" "$(cat "$OUT")"
expect_file_matches "$PLOG" "^userauth publickey alice x509v3-rsa2048-sha256\$" \
	"UserFromCertificate cn: the agent certificate's CN is the login name"

# IdentitiesOnly: the unconfigured agent key is not offered; X509CertificateFile configures it
: >"$ALOG"
: >"$PLOG"
CLIENT_ENV=(SSH_AUTH_SOCK="$SOCK")
run_client_bare -o IdentitiesOnly=yes -l alice -- true
expect_exit 255 "IdentitiesOnly: the unconfigured agent key is not offered"
expect_eq "IdentitiesOnly: no sign request" 0 "$(count "$ALOG" '^sign ')"
expect_file_not_matches "$PLOG" "^userauth publickey" "IdentitiesOnly: nothing offered to the peer"
CLIENT_ENV=(SSH_AUTH_SOCK="$SOCK")
run_client_bare -o IdentitiesOnly=yes -o "X509CertificateFile=$PKI/alice.pem" -l alice \
	-o PubkeyAcceptedAlgorithms=x509v3-rsa2048-sha256 -- echo configured
expect_exit 0 "IdentitiesOnly + X509CertificateFile: exit status"
expect_eq "IdentitiesOnly + X509CertificateFile: output" "configured" "$(cat "$OUT")"
expect_eq "IdentitiesOnly + X509CertificateFile: one sign request" 1 "$(count "$ALOG" '^sign ')"

agent alice x509v3-ssh-rsa
login "RSA listed as x509v3-ssh-rsa, SHA-256 asked" alice x509v3-rsa2048-sha256 \
	"sign x509v3-rsa2048-sha256 flags=2 rsa2048-sha256" -l alice \
	-o PubkeyAcceptedAlgorithms=x509v3-rsa2048-sha256

agent ecuser x509v3-ecdsa-sha2-nistp256
login "P-256 as x509v3-ecdsa-sha2-nistp256" ecuser x509v3-ecdsa-sha2-nistp256 \
	"sign x509v3-ecdsa-sha2-nistp256 flags=0 ecdsa-sha2-nistp256" -l ecuser

# PKIX-SSH's x509v3-sign-rsa listing: the bare certificate. SHA-1 is asked with that blob (and
# answered "ssh-rsa"), SHA-256 with the x509v3-rsa2048-sha256 blob of that certificate.
agent alice3 x509v3-sign-rsa
CHAIN=1 login "RSA listed as x509v3-sign-rsa, as x509v3-ssh-rsa" alice x509v3-ssh-rsa \
	"sign x509v3-sign-rsa flags=0 ssh-rsa" -l alice -o PubkeyAcceptedAlgorithms=x509v3-ssh-rsa
CHAIN=1 login "RSA listed as x509v3-sign-rsa, as x509v3-rsa2048-sha256" alice \
	x509v3-rsa2048-sha256 "sign x509v3-rsa2048-sha256 flags=2 rsa2048-sha256" -l alice \
	-o PubkeyAcceptedAlgorithms=x509v3-rsa2048-sha256
: >"$PLOG"
CLIENT_ENV=(SSH_AUTH_SOCK="$SOCK")
run_client_bare -o IdentitiesOnly=no -o UserFromCertificate=cn \
	-o PubkeyAcceptedAlgorithms=x509v3-ssh-rsa -- echo sign-rsa-cn
expect_exit 0 "x509v3-sign-rsa + UserFromCertificate cn: exit status"
expect_file_matches "$PLOG" "^userauth publickey alice x509v3-ssh-rsa\$" \
	"x509v3-sign-rsa + UserFromCertificate cn: the login name from the blob's certificate"

# the key removed from the agent between listing and signing: one line that says so, then the
# next identity (another key of alice's, in a PKIX-SSH identity file) logs in
agent alice x509v3-rsa2048-sha256 --drop-after-list
: >"$PLOG"
CLIENT_ENV=(SSH_AUTH_SOCK="$SOCK")
run_client_bare -o "X509CertificateFile=$PKI/alice.pem" -i "$T_DIR/alice2.pkix" -l alice \
	-o LogLevel=INFO -- echo next-ok
expect_exit 0 "removed after listing: the next identity logs in"
expect_eq "removed after listing: output" "next-ok" "$(cat "$OUT")"
expect_eq "removed after listing: the agent refused the sign request" 1 \
	"$(count "$ALOG" '^sign x509v3-rsa2048-sha256 flags=2 refused: removed$')"
expect_eq "removed after listing: one line" 1 "$(wc -l <"$ERR")"
expect_file_matches "$ERR" "^auth: signing with .* failed: agent: the agent no longer lists the key \\(removed or locked since it was listed" \
	"removed after listing: the line says the key is gone"
expect_file_matches "$PLOG" "^userauth publickey alice x509v3-ecdsa-sha2-nistp256\$" \
	"removed after listing: the key file signed"

t_done
