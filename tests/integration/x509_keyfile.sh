#!/bin/bash
# Key FILES as X.509 identities (RFC 6187 userauth) against the asyncssh server, with
# certificates from tests/lib/pki.sh (root -> intermediate -> leaf, EKU secureShellClient, no
# SAN: the login name is the CN):
#   - PKIX-SSH identity format: one PEM file with the key, its certificate and the intermediate;
#   - a key file plus X509CertificateFile (the leaf matched by public key; the intermediate from
#     the same or another X509CertificateFile; X509SendRoot adds the root);
#   - an ECDSA P-256 key (x509v3-ecdsa-sha2-nistp256);
# the server receives leaf + intermediate (certs=2, never the root unless X509SendRoot=yes).
# A certificate in the key file for another key is refused with a clear message; a key whose
# X509CertificateFile holds no certificate of it, and a PKIX-SSH file too, log in as plain keys
# to sshd (which knows no x509v3 name) through authorized_keys.
. "$(dirname "$0")/../lib/common.sh"
require_client
make_keys

user_pki # $PKI, $PKISH, $CLIENT_EKU; users alice (RSA) and ecuser (P-256)
"$PKISH" "$PKI" leaf stray --key ec256 --eku "$CLIENT_EKU" >/dev/null
K="$T_DIR/ids"
mkdir -p "$K"
# PKIX-SSH identity files: key, certificate, intermediate
cat "$PKI/alice.key" "$PKI/alice.chain.pem" >"$K/alice.pkix"
cat "$PKI/ecuser.key" "$PKI/ecuser.chain.pem" >"$K/ecuser.pkix"
# a key with somebody else's certificate
cat "$PKI/ecuser.key" "$PKI/stray.chain.pem" >"$K/wrong.pkix"
# the CA certificates alone, and a file of unrelated certificates
cat "$PKI/inter.pem" "$PKI/root.pem" >"$K/cas.pem"
cp "$PKI/stray.pem" "$K/stray.pem"
chmod 600 "$K"/*

# kf_run [option ...] -- [command ...]: the client with the standard test options but no -i
# and no -l (the caller gives them), output in $OUT / $ERR.
kf_run() { run_client_bare "$@"; }

# the asyncssh server trusting the test root for client certificates, plain ed25519 host key
start_user_x509_peer # $PLOG, $CLIENT_PORT

INTER_DN="CN=Test Intermediate CA"
# login WHAT USER ALG CERTS [client options]: an x509v3 login as USER with ALG, the command's
# output, and the server's log: CERTS certificates received and accepted, leaf first
login() {
	local what=$1 user=$2 alg=$3 certs=$4
	shift 4
	: >"$PLOG"
	kf_run -l "$user" "$@" -- 'echo "file login $((6 * 7))"'
	expect_exit 0 "$what: exit status"
	expect_eq "$what: output" "file login 42" "$(cat "$OUT")"
	expect_file_matches "$PLOG" "^userauth publickey $user $alg\$" "$what: signed with $alg as '$user'"
	expect_file_matches "$PLOG" "^x509-chain $user certs=$certs result=ok subjects=CN=$user\\|$INTER_DN(\\||\$)" \
		"$what: the server received $certs certificates (leaf, intermediate, ...) and accepted them"
	expect_file_not_matches "$PLOG" "certs=[^$certs]" "$what: no other chain"
	expect_file_matches "$PLOG" "^auth-ok" "$what: authenticated"
}

# ---- PKIX-SSH identity format: key + certificate + intermediate in one file
login "PKIX-SSH file, x509v3-ssh-rsa" alice x509v3-ssh-rsa 2 \
	-i "$K/alice.pkix" -o PubkeyAcceptedAlgorithms=x509v3-ssh-rsa
login "PKIX-SSH file, default algorithms: x509v3-rsa2048-sha256 first" alice \
	x509v3-rsa2048-sha256 2 -i "$K/alice.pkix"
expect_file_not_matches "$PLOG" "Test Root CA" "PKIX-SSH file: the root is not sent"
expect_file_not_matches "$PLOG" "^userauth publickey alice (rsa-sha2|ssh-rsa)" \
	"PKIX-SSH file: the plain key was not needed"
# X509SendRoot: the root is sent when it is known (from X509CertificateFile), last
login "PKIX-SSH file, X509SendRoot=yes, root unknown: not sent" alice x509v3-rsa2048-sha256 2 \
	-i "$K/alice.pkix" -o X509SendRoot=yes
login "PKIX-SSH file, X509SendRoot=yes, root from X509CertificateFile" alice \
	x509v3-rsa2048-sha256 3 -i "$K/alice.pkix" -o X509SendRoot=yes \
	-o "X509CertificateFile=$PKI/root.pem"
expect_file_matches "$PLOG" "certs=3 .*\\|CN=Test Root CA\$" "X509SendRoot=yes: the root is sent last"
login "PKIX-SSH file, root in X509CertificateFile, X509SendRoot=no" alice \
	x509v3-rsa2048-sha256 2 -i "$K/alice.pkix" -o "X509CertificateFile=$PKI/root.pem"

# ---- key file + X509CertificateFile
login "key + X509CertificateFile (chain file)" alice x509v3-rsa2048-sha256 2 \
	-i "$PKI/alice.key" -o "X509CertificateFile=$PKI/alice.chain.pem"
login "key + X509CertificateFile (leaf) + X509CertificateFile (CAs, unrelated first)" alice \
	x509v3-ssh-rsa 2 -i "$PKI/alice.key" -o "X509CertificateFile=$K/stray.pem" \
	-o "X509CertificateFile=$PKI/alice.pem" -o "X509CertificateFile=$K/cas.pem" \
	-o PubkeyAcceptedAlgorithms=x509v3-ssh-rsa
login "key + X509CertificateFile with X509SendRoot=yes" alice x509v3-ssh-rsa 3 \
	-i "$PKI/alice.key" -o "X509CertificateFile=$PKI/alice.pem" \
	-o "X509CertificateFile=$K/cas.pem" -o X509SendRoot=yes \
	-o PubkeyAcceptedAlgorithms=x509v3-ssh-rsa
# the intermediate from X509CertificateFile completes a PKIX-SSH file holding only the leaf
cat "$PKI/alice.key" "$PKI/alice.pem" >"$K/alice-leaf.pkix"
chmod 600 "$K/alice-leaf.pkix"
login "PKIX-SSH file with the leaf only + X509CertificateFile CAs" alice x509v3-ssh-rsa 2 \
	-i "$K/alice-leaf.pkix" -o "X509CertificateFile=$K/cas.pem" \
	-o PubkeyAcceptedAlgorithms=x509v3-ssh-rsa

# ---- ECDSA P-256
login "ECDSA PKIX-SSH file" ecuser x509v3-ecdsa-sha2-nistp256 2 -i "$K/ecuser.pkix"
login "ECDSA key + X509CertificateFile" ecuser x509v3-ecdsa-sha2-nistp256 2 \
	-i "$PKI/ecuser.key" -o "X509CertificateFile=$PKI/ecuser.chain.pem"

# ---- the server checks the name: alice's certificate does not log in as ecuser
: >"$PLOG"
kf_run -l ecuser -i "$K/alice.pkix" -o PubkeyAcceptedAlgorithms=x509v3-ssh-rsa -- 'echo no'
expect_exit 255 "alice's certificate as ecuser: refused"
expect_eq "alice's certificate as ecuser: nothing ran" "" "$(cat "$OUT")"
expect_file_matches "$PLOG" "^x509-chain ecuser certs=2 result=refused" \
	"alice's certificate as ecuser: the server refused the chain"

# ---- a certificate for another key in the key file: the key is not used at all
: >"$PLOG"
kf_run -l ecuser -i "$K/wrong.pkix" -o LogLevel=INFO -- 'echo no'
expect_exit 255 "certificate of another key: no login"
expect_error_line auth "certificate of another key"
expect_stderr_matches "Load key \"$K/wrong.pkix\": the certificate in the file \\(subject CN=stray\\) is not the private key's; key not used" \
	"certificate of another key: a clear message"
expect_file_not_matches "$PLOG" "^userauth publickey" "certificate of another key: nothing offered"

# ---- X509CertificateFile without the key's certificate: a plain key
: >"$PLOG"
kf_run -l ecuser -i "$PKI/ecuser.key" -o "X509CertificateFile=$K/stray.pem" -v -- 'echo no'
expect_exit 255 "no matching certificate: refused by the X.509-only server"
expect_file_not_matches "$PLOG" "x509v3" "no matching certificate: no x509v3 algorithm offered"
expect_file_matches "$PLOG" "^userauth publickey ecuser ecdsa-sha2-nistp256" \
	"no matching certificate: offered as a plain key"
# ---- UserFromCertificate cn: no user given, the login name comes from the key file's certificate
: >"$PLOG"
kf_run -o UserFromCertificate=cn -i "$K/ecuser.pkix" -- 'echo "ufc $((6 * 7))"'
expect_exit 0 "UserFromCertificate cn from a PKIX-SSH file: exit status"
expect_eq "UserFromCertificate cn from a PKIX-SSH file: output" "ufc 42" "$(cat "$OUT")"
expect_file_matches "$PLOG" "^userauth publickey ecuser x509v3-" \
	"UserFromCertificate cn: the login name is the certificate's CN"
: >"$PLOG"
kf_run -o UserFromCertificate=upn -i "$K/ecuser.pkix" -- 'echo no'
expect_exit 255 "UserFromCertificate upn without a UPN: exit status"
expect_error_line auth "UserFromCertificate upn without a UPN"
expect_file_not_matches "$PLOG" "userauth" "UserFromCertificate upn without a UPN: nothing sent"

stop_peer

# ---- sshd (no x509v3 names): plain keys through authorized_keys
ssh-keygen -y -f "$PKI/ecuser.key" >>"$T_DIR/authorized_keys"
ssh-keygen -y -f "$PKI/alice.key" >>"$T_DIR/authorized_keys"
start_sshd
CLIENT_PORT=$SSHD_PORT
ME=$(id -un)
plain() { # plain WHAT KEYTYPE [client options]
	local what=$1 kt=$2
	shift 2
	log_mark
	kf_run -l "$ME" "$@" -- 'echo "plain $((6 * 7))"'
	expect_exit 0 "$what: exit status"
	expect_eq "$what: output" "plain 42" "$(cat "$OUT")"
	expect_file_matches <(log_since_mark) "Accepted publickey for $ME .* $kt " "$what: sshd accepted the $kt key"
}
plain "key whose X509CertificateFile holds no certificate of it" ECDSA \
	-i "$PKI/ecuser.key" -o "X509CertificateFile=$K/stray.pem" -o LogLevel=DEBUG1
expect_stderr_matches "Will attempt key: $PKI/ecuser.key\$" "no certificate: attempted as a plain key"
plain "PKIX-SSH file against sshd: the plain name after the x509v3 ones" RSA -i "$K/alice.pkix" \
	-o LogLevel=DEBUG1
expect_stderr_matches "Will attempt key: $K/alice.pkix \\(X.509\\)" "PKIX-SSH file: attempted with its certificate"

t_done
