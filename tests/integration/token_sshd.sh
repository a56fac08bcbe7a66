#!/bin/bash
# Token keys as plain public keys against Debian's sshd: the RSA, P-256 and always-authenticate
# keys of a SoftHSM2 token provisioned in the temp dir log in through authorized_keys lines made
# with `ssh-keygen -i -m PKCS8` (sshd's log names the key it accepted), by module path and through
# p11-kit's registration of SoftHSM (no module-path). `x509ssh-token list` shows URIs, labels,
# subjects, the DN lines and authorized_keys lines that sshd then accepts.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/softhsm.sh"
require_client
make_keys
softhsm_use # the standard tokens in $P=$T_DIR/p11; sets M, PIN, TOK
X509SSH_TOKEN=${X509SSH_TOKEN:-$(dirname "$X509SSH")/x509ssh-token}
[[ -x "$X509SSH_TOKEN" ]] || die "x509ssh-token not found: $X509SSH_TOKEN"

# tok_run [option ...] -- [command ...]: the client with the standard test options but no -i
# (the caller picks the token key), output in $OUT / $ERR.
tok_run() { run_client_bare "$@"; }

fp_of() { # fp_of PUB.pem: the SHA256 fingerprint of a PEM public key, as an ERE
	ssh-keygen -i -m PKCS8 -f "$1" | ssh-keygen -lf - | cut -d' ' -f2 | sed 's/[+.]/\\&/g'
}

# the token keys only: the ed25519 key made by make_keys (which sshd would take) is not authorized
for k in rsa ec aa; do
	ssh-keygen -i -m PKCS8 -f "$P/$k.pub.pem"
done >"$T_DIR/authorized_keys"
start_sshd

# login WHAT KEYNAME [client options]: logs in, sshd accepted exactly the key KEYNAME
login() {
	local what=$1 k=$2 fp
	shift 2
	fp=$(fp_of "$P/$k.pub.pem")
	log_mark
	tok_run "$@" -- 'echo "token $((6 * 7))"'
	expect_exit 0 "$what: exit status"
	expect_eq "$what: output" "token 42" "$(cat "$OUT")"
	log_since_mark >"$T_DIR/slice"
	expect_file_matches "$T_DIR/slice" "Accepted publickey for $(id -un) from 127\\.0\\.0\\.1 .*: [A-Z0-9]+ $fp" \
		"$what: sshd accepted the token's $k key"
}

login "RSA key by module-path" rsa -I "$TOK;object=rsa?module-path=$M&pin-value=$PIN"
login "P-256 key by module-path" ec -i "$TOK;object=ec?module-path=$M&pin-value=$PIN"
login "always-authenticate key" aa -I "$TOK;object=aa?module-path=$M&pin-value=$PIN"
login "RSA key through p11-kit's registration (no module-path)" rsa \
	-I "$TOK;object=rsa?pin-value=$PIN"
login "P-256 key through p11-kit's registration, PKCS11Provider" ec \
	-o "PKCS11Provider=$TOK;id=%02;type=private?pin-value=$PIN"
login "RSA key selected by module-name" rsa \
	-I "$TOK;object=rsa?module-name=softhsm2&pin-value=$PIN"
# plain RSA signature names are still chosen by PubkeyAcceptedAlgorithms
login "RSA key as rsa-sha2-256" rsa -I "$TOK;object=rsa?module-path=$M&pin-value=$PIN" \
	-o PubkeyAcceptedAlgorithms=rsa-sha2-256
expect_file_matches "$T_DIR/slice" "userauth-request for user $(id -un) service ssh-connection method publickey" \
	"rsa-sha2-256: sshd logged the publickey request"

# a key that sshd does not know: refused, auth: line
: >"$T_DIR/authorized_keys.ec"
ssh-keygen -i -m PKCS8 -f "$P/ec.pub.pem" >"$T_DIR/authorized_keys.ec"
cp "$T_DIR/authorized_keys" "$T_DIR/authorized_keys.all"
cp "$T_DIR/authorized_keys.ec" "$T_DIR/authorized_keys"
log_mark
tok_run -I "$TOK;object=rsa?module-path=$M&pin-value=$PIN" -- echo no
expect_exit 255 "RSA key not in authorized_keys: exit status"
expect_error_line auth "RSA key not in authorized_keys"
expect_eq "RSA key not in authorized_keys: nothing ran" "" "$(cat "$OUT")"

# ---- x509ssh-token list
run_cmd "$X509SSH_TOKEN" list "pkcs11:token=x509ssh-test?module-path=$M"
expect_exit 0 "x509ssh-token list: exit status"
cp "$OUT" "$T_DIR/list.out"
L="$T_DIR/list.out"
nkeys=3
[[ "$P11_HAVE_ED25519" == 1 ]] && nkeys=4
expect_eq "list: one URI per key" "$nkeys" "$(grep -c '^pkcs11:' "$L")"
for spec in "rsa 01 RSA 2048" "ec 02 ECDSA 256" "aa 03 RSA 2048"; do
	read -r k id type bits <<<"$spec"
	expect_file_matches "$L" "^pkcs11:token=x509ssh-test;serial=[0-9a-f]+;id=%$id;object=$k;type=private\\?module-path=$M\$" \
		"list: the URI of $k"
	expect_file_matches "$L" "^  label: $k\$" "list: label $k"
	expect_eq "list: $k is $type $bits" "1" \
		"$(grep -A1 "object=$k;" "$L" | grep -c "^  type: $type $bits\$")"
done
expect_file_matches "$L" "^  subject: C = DE, O = x509ssh test, OU = tokens \\+ UID = rsa, CN = rsa user\$" "list: rsa subject"
expect_file_matches "$L" "^  subject: C = DE, O = x509ssh test, OU = tokens \\+ UID = ec, CN = ec user\$" "list: ec subject"
expect_eq "list: both certificates issued by the intermediate" "2" \
	"$(grep -c '^  issuer: O = x509ssh test, CN = Token Test Intermediate$' "$L")"
expect_eq "list: leaf + intermediate sent for both" "2" "$(grep -c '^  chain sent: 2 certificates$' "$L")"
expect_file_matches "$L" "^  certificate: none\$" "list: aa has no certificate"
expect_file_matches "$L" "^  authorized_keys \\(X\\.509\\): x509v3-sign-rsa subject=C=DE,O=x509ssh test,OU=tokens\\+0\\.9\\.2342\\.19200300\\.100\\.1\\.1=rsa,CN=rsa user\$" \
	"list: the DN line of the RSA key"
expect_file_matches "$L" "^  authorized_keys \\(X\\.509\\): x509v3-ecdsa-sha2-nistp256 subject=C=DE,O=x509ssh test,OU=tokens\\+0\\.9\\.2342\\.19200300\\.100\\.1\\.1=ec,CN=ec user\$" \
	"list: the DN line of the P-256 key"
expect_eq "list: no DN line without a certificate" "2" "$(grep -c '^  authorized_keys (X\.509): ' "$L")"
for k in rsa ec aa; do
	line=$(grep -A12 "object=$k;" "$L" | sed -n 's/^  authorized_keys: //p' | head -n 1)
	expect_eq "list: authorized_keys line of $k = ssh-keygen's conversion (+ label)" \
		"$(ssh-keygen -i -m PKCS8 -f "$P/$k.pub.pem") $k" "$line"
done
expect_stderr_not_matches "." "list: nothing on stderr"

# the listed authorized_keys lines are what sshd accepts (the Ed25519 key included)
sed -n 's/^  authorized_keys: //p' "$L" >"$T_DIR/authorized_keys"
if [[ "$P11_HAVE_ED25519" == 1 ]]; then
	log_mark
	tok_run -I "$TOK;object=ed?module-path=$M&pin-value=$PIN" -- echo ed25519
	expect_exit 0 "Ed25519 token key with the listed authorized_keys line"
	expect_stdout_eq "ed25519" "Ed25519 token key: output"
	log_since_mark >"$T_DIR/slice"
	expect_file_matches "$T_DIR/slice" "Accepted publickey for .* ED25519 " "sshd accepted an ED25519 key"
fi
login "RSA key with the listed authorized_keys line" rsa -I "$TOK;object=rsa?module-path=$M&pin-value=$PIN"
login "always-authenticate key with the listed line" aa -I "$TOK;object=aa?module-path=$M&pin-value=$PIN"

# a listing never logs in and never needs a PIN; a bare module path lists every token's keys
run_cmd "$X509SSH_TOKEN" list "$M"
expect_exit 0 "x509ssh-token list MODULE"
expect_eq "list MODULE: the keys of both tokens" "$((nkeys + 1))" "$(grep -c '^pkcs11:' "$OUT")"
expect_file_matches "$OUT" "^pkcs11:token=x509ssh-two;" "list MODULE: x509ssh-two is listed"
run_cmd "$X509SSH_TOKEN" list "pkcs11:token=x509ssh-test;object=rsa"
expect_exit 0 "x509ssh-token list through p11-kit's registration"
expect_eq "list through the registration: one key" "1" "$(grep -c '^pkcs11:' "$OUT")"
expect_file_matches "$OUT" "^pkcs11:token=x509ssh-test;serial=[0-9a-f]+;id=%01;object=rsa;type=private\$" \
	"list through the registration: the URI (no module: found through the registration again)"
run_cmd "$X509SSH_TOKEN" list "pkcs11:token=no-such-token?module-path=$M"
expect_exit 255 "list: no such token: exit status"
expect_error_line pkcs11 "list: no such token"

t_done
