#!/bin/bash
# Token keys as X.509 identities (RFC 6187 userauth) against the asyncssh server: SoftHSM2 tokens
# provisioned in the temp dir (tests/lib/softhsm.sh), keys selected by pkcs11: URIs (module-path,
# -I, IdentityFile) and through p11-kit's registration of SoftHSM (no module-path). The RSA key
# logs in as x509v3-ssh-rsa and as x509v3-rsa2048-sha256, the P-256 key as
# x509v3-ecdsa-sha2-nistp256, the always-authenticate key too; the server logs how many
# certificates it received (leaf + intermediate: its store holds only the root). The login name
# comes from UserFromCertificate cn / upn; a certificate for another user is refused.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/softhsm.sh"
require_client
make_keys
softhsm_use # the standard tokens in $P=$T_DIR/p11; sets M, PIN, TOK
USERS="pkcs11:token=x509ssh-users"

# tok_run [option ...] -- [command ...]: the client with the standard test options but no -i
# and no -l (the caller picks the token key and the login name), output in $OUT / $ERR.
tok_run() { run_client_bare "$@"; }

# peer AUTHORIZED_KEYS_TEXT: a fresh asyncssh server trusting the token root for client
# certificates, with a plain ed25519 host key (known_hosts), logging to $PLOG (emptied).
peer() {
	softhsm_peer "$1"
	CLIENT_PORT=$PEER_PORT
	known_hosts_line "$T_DIR/keys/host_ed25519.pub" "$PEER_PORT" >"$KNOWN_HOSTS"
}

# login WHAT USER ALG [client options]: a successful x509v3 login as USER with ALG, the command's
# output, the server's log: the request with ALG, the chain of 2 accepted (leaf + intermediate)
login() {
	local what=$1 user=$2 alg=$3
	shift 3
	: >"$PLOG"
	tok_run "$@" -- 'echo "token login $((6 * 7))"'
	expect_exit 0 "$what: exit status"
	expect_eq "$what: output" "token login 42" "$(cat "$OUT")"
	expect_file_matches "$PLOG" "^userauth publickey $user $alg\$" "$what: signed with $alg as '$user'"
	expect_file_matches "$PLOG" "^x509-chain $user certs=2 result=ok subjects=[^|]*CN=[^|]*\\|O=x509ssh test,CN=Token Test Intermediate\$" \
		"$what: the server received leaf + intermediate (not the root) and accepted them"
	expect_file_not_matches "$PLOG" "certs=[^2]|Token Test Root" "$what: no other chain, no root sent"
	expect_file_matches "$PLOG" "^auth-ok" "$what: authenticated"
}

ROOT_B64=$(openssl x509 -in "$P/root.pem" -outform DER | base64 -w0)
peer "cert-authority x509v3-ssh-rsa $ROOT_B64"

# ---- the RSA key, both RFC 6187 RSA names, chosen with PubkeyAcceptedAlgorithms
RSA_URI="$TOK;object=rsa?module-path=$M&pin-value=$PIN"
login "RSA as x509v3-ssh-rsa (IdentityFile URI)" "rsa user" x509v3-ssh-rsa \
	-i "$RSA_URI" -l "rsa user" -o PubkeyAcceptedAlgorithms=x509v3-ssh-rsa
login "RSA as x509v3-rsa2048-sha256 (-I URI)" "rsa user" x509v3-rsa2048-sha256 \
	-I "$RSA_URI" -l "rsa user" -o PubkeyAcceptedAlgorithms=x509v3-rsa2048-sha256
expect_file_not_matches "$PLOG" "x509v3-ssh-rsa" "x509v3-rsa2048-sha256 only: x509v3-ssh-rsa never offered"
login "RSA through PKCS11Provider, p11-kit registration (no module-path)" "rsa user" \
	x509v3-rsa2048-sha256 -o "PKCS11Provider=$TOK;object=rsa?pin-value=$PIN" -l "rsa user" \
	-o PubkeyAcceptedAlgorithms=x509v3-rsa2048-sha256

# ---- the P-256 key
login "P-256 as x509v3-ecdsa-sha2-nistp256" "ec user" x509v3-ecdsa-sha2-nistp256 \
	-I "$TOK;id=%02;type=private?module-path=$M&pin-value=$PIN" -l "ec user"
login "P-256 from a PIN file, registered module" "ec user" x509v3-ecdsa-sha2-nistp256 \
	-i "$TOK;object=ec?pin-source=file:$P/pin" -l "ec user"

# ---- UserFromCertificate: no user given, the name comes from the certificate
login "UserFromCertificate cn" "rsa user" x509v3-ssh-rsa \
	-I "$RSA_URI" -o UserFromCertificate=cn -o PubkeyAcceptedAlgorithms=x509v3-ssh-rsa
expect_file_not_matches "$PLOG" "userauth [a-z]+ $(id -un) " "UserFromCertificate cn: the local user name is not used"

# ---- the x509ssh-users token (its own SoftHSM configuration)
export SOFTHSM2_CONF=$P11_USERS_CONF
login "always-authenticate RSA key" "aa user" x509v3-rsa2048-sha256 \
	-I "$USERS;object=aacert?module-path=$M&pin-value=$PIN" -l "aa user"
login "UserFromCertificate upn" "upnuser@example.com" x509v3-ecdsa-sha2-nistp256 \
	-I "$USERS;object=upn?module-path=$M&pin-value=$PIN" -o UserFromCertificate=upn
tok_run -I "$USERS;object=upn?module-path=$M&pin-value=$PIN" -o UserFromCertificate=cn -v -- true
expect_exit 255 "UserFromCertificate cn on a certificate with a SAN: asyncssh refuses 'UPN Holder'"
expect_file_matches "$PLOG" "^x509-chain UPN Holder certs=2 result=refused" \
	"UserFromCertificate cn took the CN, not the UPN"

# a certificate for another user: refused by the server, one auth: line, nothing ran
refused() { # refused WHAT USER [client options]
	local what=$1 user=$2
	shift 2
	: >"$PLOG"
	tok_run "$@" -- 'echo should-not-run'
	expect_exit 255 "$what: exit status"
	expect_error_line auth "$what"
	expect_eq "$what: nothing ran" "" "$(cat "$OUT")"
	expect_file_matches "$PLOG" "^x509-chain $user certs=2 result=refused" "$what: the server refused the chain"
	expect_file_not_matches "$PLOG" "^auth-ok" "$what: never authenticated"
}
refused "bob's certificate used to log in as 'rsa user'" "rsa user" \
	-I "$USERS;object=bob?module-path=$M&pin-value=$PIN" -l "rsa user"
export SOFTHSM2_CONF=$P/softhsm2.conf
refused "the 'rsa user' certificate used to log in as bob" "bob" -I "$RSA_URI" -l bob

# ---- authorized_keys by subject: the DN line printed by x509ssh-token list
X509SSH_TOKEN=${X509SSH_TOKEN:-$(dirname "$X509SSH")/x509ssh-token}
if [[ -x "$X509SSH_TOKEN" ]]; then
	run_cmd "$X509SSH_TOKEN" list "$TOK;object=ec?module-path=$M"
	expect_exit 0 "x509ssh-token list (ec)"
	dn=$(sed -n 's/^  authorized_keys (X\.509): //p' "$OUT")
	expect_eq "x509ssh-token list: the DN line" \
		"x509v3-ecdsa-sha2-nistp256 subject=C=DE,O=x509ssh test,OU=tokens+0.9.2342.19200300.100.1.1=ec,CN=ec user" "$dn"
	peer "$dn"
	login "authorized by the DN line of x509ssh-token list" "ec user" x509v3-ecdsa-sha2-nistp256 \
		-I "$TOK;object=ec?module-path=$M&pin-value=$PIN" -l "ec user"
	refused "another certificate against that DN line" "ec user" \
		-I "$RSA_URI" -l "ec user" -o PubkeyAcceptedAlgorithms=x509v3-rsa2048-sha256
else
	fail "x509ssh-token not found: $X509SSH_TOKEN"
fi

# ---- without the intermediate the server cannot build the chain: a leaf-only identity (the
# same key from x509ssh-two, which holds no certificate) offers only the plain key, refused
peer "cert-authority x509v3-ssh-rsa $ROOT_B64"
: >"$PLOG"
tok_run -I "pkcs11:token=x509ssh-two;object=ec?module-path=$M&pin-value=$PIN" -l "ec user" -- true
expect_exit 255 "a token key without certificate: refused by an X.509-only server"
expect_file_not_matches "$PLOG" "x509v3" "a token key without certificate offers no x509v3 algorithm"
expect_file_matches "$PLOG" "^userauth publickey ec user ecdsa-sha2-nistp256" \
	"a token key without certificate is offered as a plain key"

t_done
