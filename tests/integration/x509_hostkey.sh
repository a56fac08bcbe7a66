#!/bin/bash
# RFC 6187 host keys against a real X.509 server (asyncssh + pyOpenSSL): each x509v3 algorithm is
# verified against the CA store and a command runs, with an empty known_hosts and
# StrictHostKeyChecking yes, and nothing is written to known_hosts. A chain from another CA, an
# expired leaf and a name mismatch are refused with exit 255, one "x509:" line, and the server
# sees no userauth request at all.
. "$(dirname "$0")/../lib/common.sh"
require_client
make_keys

PKI="$T_DIR/pki"
PKISH="$X509SSH_SRC/tests/lib/pki.sh"
"$PKISH" "$PKI" init >/dev/null
"$PKISH" "$PKI" leaf rsa --key rsa2048 --san "DNS:rtr1.test,IP:127.0.0.1" --eku serverAuth >/dev/null
"$PKISH" "$PKI" leaf ec --key ec256 --san "IP:127.0.0.1" --eku 1.3.6.1.5.5.7.3.22 >/dev/null
"$PKISH" "$PKI" leaf foreign --key ec256 --issuer other --san "IP:127.0.0.1" >/dev/null
"$PKISH" "$PKI" leaf old --key ec256 --san "IP:127.0.0.1" --start 20200101000000Z \
	--end 20210101000000Z >/dev/null
"$PKISH" "$PKI" leaf elsewhere --key ec256 --san "DNS:rtr2.test" >/dev/null
"$PKISH" "$PKI" leaf client --key ec256 --san "IP:127.0.0.1" --eku 1.3.6.1.5.5.7.3.21 >/dev/null
: >"$KNOWN_HOSTS"

# peer NAME ALGS: an asyncssh server presenting NAME's chain with host-key names ALGS
peer() {
	: >"$T_DIR/auth.$1.log"
	stop_peer
	start_peer "$1" x509_server.py --key "$PKI/$1.key" --chain "$PKI/$1.chain.pem" \
		--host-key-algs "$2" --authorized-keys "$T_DIR/authorized_keys" --log "$T_DIR/auth.$1.log"
	CLIENT_PORT=$PEER_PORT
}

x509_client() {
	run_client -o "CACertificateFile=$PKI/root.pem" -o StrictHostKeyChecking=yes "$@"
}

for spec in "rsa x509v3-ssh-rsa" "rsa x509v3-rsa2048-sha256" "ec x509v3-ecdsa-sha2-nistp256"; do
	read -r name alg <<<"$spec"
	peer "$name" "$alg"
	x509_client -o "HostKeyAlgorithms=$alg" -v -- 'echo verified; exit 7'
	expect_exit 7 "$alg: remote exit status"
	expect_eq "$alg: output" "verified" "$(cat "$OUT")"
	expect_file_matches "$ERR" "x509: host certificate for 127.0.0.1 verified \\($alg" \
		"$alg: -v reports the verified chain"
	expect_file_matches "$ERR" "depth 1: subject=CN=Test Intermediate CA" "$alg: -v shows the chain"
	expect_file_matches "$T_DIR/auth.$name.log" "^userauth publickey" "$alg: userauth followed"
done
expect_eq "known_hosts untouched by X.509 host keys" "0" "$(wc -c <"$KNOWN_HOSTS")"

# default algorithm lists: a CA store puts the x509v3 names first
peer rsa "x509v3-ssh-rsa,rsa-sha2-256"
x509_client -v -- true
expect_exit 0 "default HostKeyAlgorithms with a CA store"
expect_file_matches "$ERR" "verified \\(x509v3-ssh-rsa" "default list prefers the x509v3 name"

# the default CA store (~/.x509ssh/ca-bundle.pem, from the one default list): the same file
# loads the store and puts the x509v3 names first in the default HostKeyAlgorithms
mkdir -p "$T_DIR/home/.x509ssh"
cp "$PKI/root.pem" "$T_DIR/home/.x509ssh/ca-bundle.pem"
peer rsa "x509v3-ssh-rsa,rsa-sha2-256"
HOME="$T_DIR/home" run_client -o StrictHostKeyChecking=yes -v -- true
expect_exit 0 "default CA store in ~/.x509ssh"
expect_file_matches "$ERR" "verified \\(x509v3-ssh-rsa" "default CA store: verified with the x509v3 name"

# refusals: each one line, exit 255, and no userauth request ever reached the server
refuse() { # refuse NAME DESCRIPTION REGEX [client options]
	local name=$1 what=$2 re=$3
	shift 3
	peer "$name" x509v3-ecdsa-sha2-nistp256
	x509_client "$@" -- 'echo should-not-run'
	expect_exit 255 "$what: exit status"
	expect_error_line x509 "$what"
	expect_file_matches "$ERR" "$re" "$what: the reason"
	expect_eq "$what: nothing ran" "" "$(cat "$OUT")"
	expect_file_not_matches "$T_DIR/auth.$name.log" "userauth" "$what: no userauth request sent"
}
refuse foreign "chain from another CA" "untrusted|unable to get|issuer"
refuse old "expired leaf" "expired on 2021-01-01"
refuse elsewhere "name mismatch" "rtr2\\.test"
refuse client "client-only EKU presented as a host key" "extendedKeyUsage allows only secureShellClient"
refuse ec "name mismatch through X509HostName" "rtr9\\.test" -o X509HostName=rtr9.test
# an address the resolver and the certificate check would read differently (octal 01)
refuse ec "ambiguous address literal" "'127\\.0\\.0\\.01' is ambiguous: write it as 127\\.0\\.0\\.1" \
	-o HostName=127.0.0.01
# X509HostPurposes is a name list: the ec leaf (secureShellServer only) is refused with
# serverAuth alone and verified when the list names its purpose second
refuse ec "X509HostPurposes without the leaf's purpose" \
	"extendedKeyUsage allows only secureShellServer \\(need one of serverAuth\\)" \
	-o X509HostPurposes=serverAuth
peer ec x509v3-ecdsa-sha2-nistp256
x509_client -o X509HostPurposes=serverAuth,secureShellServer -v -- true
expect_exit 0 "X509HostPurposes naming the leaf's purpose second"
expect_file_matches "$ERR" "host certificate for 127.0.0.1 verified" \
	"X509HostPurposes list: verified"

# a CA store that does not exist, named explicitly: a clear error, nothing sent
peer ec x509v3-ecdsa-sha2-nistp256
run_client -o "CACertificateFile=$T_DIR/nonexistent.pem" -o HostKeyAlgorithms=x509v3-ecdsa-sha2-nistp256 \
	-- true
expect_exit 255 "missing CA file: exit status"
expect_error_line x509 "missing CA file"
expect_file_not_matches "$T_DIR/auth.ec.log" "userauth" "missing CA file: no userauth request"
# a CRL file named with a token that cannot be expanded: the store is refused (it used to be
# left out silently, which turned the revocation check off)
x509_client -o "CARevocationFile=$T_DIR/crl-%z.pem" -o HostKeyAlgorithms=x509v3-ecdsa-sha2-nistp256 \
	-- true
expect_exit 255 "CARevocationFile that cannot be expanded: exit status"
expect_error_line x509 "CARevocationFile that cannot be expanded"
if is_x509ssh; then
	expect_stderr_matches "CARevocationFile $T_DIR/crl-%z.pem: cannot expand it" \
		"CARevocationFile that cannot be expanded: named"
fi
expect_file_not_matches "$T_DIR/auth.ec.log" "userauth" "CRL not expandable: no userauth request"
stop_peer

# X509HostKeys require: a server without an X.509 host key is refused (ideal for CI)
start_sshd
CLIENT_PORT=$SSHD_PORT
log_mark
run_client -o "CACertificateFile=$PKI/root.pem" -o X509HostKeys=require -- true
expect_exit 255 "X509HostKeys require vs a plain server: exit status"
expect_error_line x509 "X509HostKeys require vs a plain server"
expect_file_matches "$ERR" "X509HostKeys is require" "X509HostKeys require: the reason"
log_settle
log_since_mark >"$T_DIR/slice"
expect_file_not_matches "$T_DIR/slice" "userauth-request" "X509HostKeys require: sshd saw no userauth"
# ... while prefer falls back to known_hosts for the same server
run_client -o "CACertificateFile=$PKI/root.pem" -- echo plain
expect_exit 0 "X509HostKeys prefer falls back to known_hosts"

t_done
