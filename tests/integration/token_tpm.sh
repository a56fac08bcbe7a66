#!/bin/bash
# A TPM-backed token (tests/lib/tpm.sh: swtpm with a fresh state, tpm2-abrmd on a private D-Bus,
# a tpm2-pkcs11 store in the temp dir; Debian's libtpm2-pkcs11-1 module): x509ssh-token lists
# its keys as pkcs11-tool reads them, also through p11-kit's registration of the module (no
# module-path); plain logins to sshd with an RSA, a P-256 and an always-authenticate key; an
# X.509 login (RFC 6187) to the asyncssh peer with a certificate stored on the token; and the
# memory of refused PIN files: three runs with a wrong pin-source=file: reach the token with one
# C_Login in all (OpenSC's pkcs11-spy), the corrected file logs in at once. Client runs get
# HOME=$T_DIR/home (the PIN-file memory lives in ~/.x509ssh/). Exit 77 (skipped) only when the
# TPM packages are not installed.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tpm.sh"
require_client
tpm_require
make_keys
TOKEN_BIN=${X509SSH_TOKEN:-$X509SSH_BUILD/x509ssh-token}
SPY=${PKCS11_SPY_MODULE:-/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so}
[[ -f "$SPY" ]] || die "OpenSC's pkcs11-spy.so not found at $SPY (apt-get install opensc)"
HOMEDIR=$T_DIR/home
mkdir -p "$HOMEDIR"
TOK=x509ssh-tpm

# ---- the bed: one TPM, one token, three keys; a certificate for "ec" from the harness CA
tpm_start
tpm_token "$TOK"
tpm_key "$TOK" ec 01 ecc256
tpm_key "$TOK" rsa 02 rsa2048
tpm_key "$TOK" aa 03 ecc256 --always-auth
PKI=$T_DIR/pki
bash "$X509SSH_SRC/tests/lib/pki.sh" "$PKI" init >"$T_DIR/pki.log" 2>&1 ||
	die "pki.sh init failed: $(tail -n 3 "$T_DIR/pki.log")"
printf 'keyUsage = critical,digitalSignature\nextendedKeyUsage = clientAuth,1.3.6.1.5.5.7.3.21\n' \
	>"$T_DIR/leaf.ext"
# the request is signed by a throwaway key; the certificate carries the TPM key's public key
if ! openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
	-keyout "$T_DIR/throwaway.key" -subj "/O=x509ssh test/CN=tpm user" -out "$T_DIR/ec.csr" \
	>"$T_DIR/openssl.log" 2>&1 ||
	! openssl x509 -req -in "$T_DIR/ec.csr" -force_pubkey "$TPM_DIR/ec.pub.pem" \
		-CA "$PKI/root.pem" -CAkey "$PKI/root/ca.key" -set_serial 77 -days 30 \
		-extfile "$T_DIR/leaf.ext" -out "$T_DIR/ec.pem" >>"$T_DIR/openssl.log" 2>&1; then
	die "cannot issue the certificate of the TPM key: $(tail -n 3 "$T_DIR/openssl.log")"
fi
tpm_cert "$TOK" ec "$T_DIR/ec.pem"

# tpm_run [option ...] -- [command ...]: the client without -i and -l, HOME=$HOMEDIR and
# TPM_ENV (array of NAME=VALUE, emptied) in its environment
TPM_ENV=()
tpm_run() {
	CLIENT_ENV=(HOME="$HOMEDIR" "${TPM_ENV[@]}")
	TPM_ENV=()
	run_client_bare "$@"
}

count() { # count FILE ERE: matching lines (0 when FILE is missing)
	if [[ -f "$1" ]]; then
		grep -Ec -- "$2" "$1" || true
	else
		echo 0
	fi
}

# the OpenSSH authorized_keys line of a public key in PEM (as pkcs11-tool read it)
ak_of() { ssh-keygen -i -m PKCS8 -f "$1"; }

# ---- x509ssh-token list: the three keys, as pkcs11-tool reads them, the certificate
run_cmd env HOME="$HOMEDIR" "$TOKEN_BIN" list "pkcs11:token=$TOK?module-path=$TPM_MODULE"
expect_exit 0 "list: exit status"
expect_eq "list: three keys" "3" "$(count "$OUT" '^pkcs11:token=x509ssh-tpm;')"
for k in ec rsa aa; do
	expect_file_matches "$OUT" "^pkcs11:token=$TOK;.*object=$k;type=private\\?module-path=$TPM_MODULE\$" \
		"list: the URI of key $k"
	expect_eq "list: the public key of $k is the one pkcs11-tool reads" \
		"$(ak_of "$TPM_DIR/$k.pub.pem" | cut -d' ' -f1,2)" \
		"$(grep -A9 "object=$k;" "$OUT" | sed -n 's/^  authorized_keys: \([^ ]* [^ ]*\) .*/\1/p' | head -n 1)"
done
expect_file_matches "$OUT" "^  type: ECDSA 256\$" "list: P-256 key"
expect_file_matches "$OUT" "^  type: RSA 2048\$" "list: RSA key"
expect_file_matches "$OUT" "^  subject: O = x509ssh test, CN = tpm user\$" "list: the certificate of ec"
expect_file_matches "$OUT" "^  authorized_keys \(X.509\): x509v3-ecdsa-sha2-nistp256 subject=O=x509ssh test,CN=tpm user\$" \
	"list: the X.509 authorized_keys line of ec"
expect_eq "list: nothing on stderr" "" "$(cat "$ERR")"
cp "$OUT" "$T_DIR/list.out"

# the same token through p11-kit's registration of the Debian module (no module-path)
REG=/usr/share/p11-kit/modules/tpm2_pkcs11.module
if [[ -f "$REG" ]]; then
	run_cmd env HOME="$HOMEDIR" "$TOKEN_BIN" list "pkcs11:token=$TOK"
	expect_exit 0 "list through p11-kit's registration: exit status"
	expect_eq "list through p11-kit's registration: three keys, URIs without module-path" "3" \
		"$(count "$OUT" "^pkcs11:token=$TOK;[^?]*\$")"
	expect_eq "list through p11-kit's registration: the same public keys" \
		"$(grep '^  authorized_keys: ' "$T_DIR/list.out")" "$(grep '^  authorized_keys: ' "$OUT")"
	expect_eq "list through p11-kit's registration: nothing on stderr" "" "$(cat "$ERR")"
fi

# ---- plain logins to sshd: every key of the token in authorized_keys
start_sshd
: >"$T_DIR/authorized_keys"
for k in ec rsa aa; do
	ak_of "$TPM_DIR/$k.pub.pem" >>"$T_DIR/authorized_keys"
done
ME=$(id -un)
plain() { # plain KEY [client options]: a login with the TPM key, the sshd log names its type
	local k=$1 what="plain login with the TPM key $1" typ
	shift
	log_mark
	tpm_run -l "$ME" -I "$(tpm_uri "$TOK" "$k")&pin-value=$TPM_PIN" "$@" -- "echo tpm $k"
	expect_exit 0 "$what: exit status"
	expect_stdout_eq "tpm $k" "$what: output"
	typ=ECDSA
	[[ "$k" != rsa ]] || typ=RSA
	expect_file_matches <(log_since_mark) "Accepted publickey for $ME .* $typ SHA256:" \
		"$what: sshd accepted the $typ key"
}
plain rsa
# the certificate of "ec" is not for OpenSSH: the plain key algorithm
plain ec -o PubkeyAcceptedAlgorithms=ecdsa-sha2-nistp256

# ---- the always-authenticate key: a second C_Login (CKU_CONTEXT_SPECIFIC) before its C_Sign
TPM_ENV=(PKCS11SPY="$TPM_MODULE" PKCS11SPY_OUTPUT="$T_DIR/spy.aa")
log_mark
tpm_run -l "$ME" -I "pkcs11:token=$TOK;object=aa?module-path=$SPY&pin-value=$TPM_PIN" -- "echo tpm aa"
expect_exit 0 "always-authenticate key: exit status"
expect_stdout_eq "tpm aa" "always-authenticate key: output"
expect_file_matches <(log_since_mark) "Accepted publickey for $ME .* ECDSA SHA256:" \
	"always-authenticate key: sshd accepted it"
expect_file_matches "$T_DIR/spy.aa" "CKU_CONTEXT_SPECIFIC" "always-authenticate key: a context-specific login"
expect_eq "always-authenticate key: one C_Sign" "1" "$(count "$T_DIR/spy.aa" 'C_Sign$')"

# ---- X.509 (RFC 6187) with the TPM key and its certificate on the token, to the asyncssh peer
ROOT_B64=$(openssl x509 -in "$PKI/root.pem" -outform DER | base64 -w0)
printf 'cert-authority x509v3-ssh-rsa %s\n' "$ROOT_B64" >"$T_DIR/ak.x509"
PLOG=$T_DIR/auth.log
start_peer x509 x509_server.py --key "$T_DIR/keys/host_ed25519" --client-ca "$PKI/root.pem" \
	--authorized-keys "$T_DIR/ak.x509" --log "$PLOG" --log-connections
X509_PORT=$PEER_PORT
known_hosts_line "$T_DIR/keys/host_ed25519.pub" "$X509_PORT" >"$T_DIR/known_hosts.x509"
SSHD_KNOWN=$KNOWN_HOSTS
KNOWN_HOSTS=$T_DIR/known_hosts.x509
CLIENT_PORT=$X509_PORT
tpm_run -l "tpm user" -I "$(tpm_uri "$TOK" ec)&pin-value=$TPM_PIN" -- 'echo "tpm x509"'
expect_exit 0 "X.509 login with the TPM key: exit status"
expect_stdout_eq "tpm x509" "X.509 login with the TPM key: output"
expect_file_matches "$PLOG" "^userauth publickey tpm user x509v3-ecdsa-sha2-nistp256\$" \
	"X.509 login with the TPM key: x509v3-ecdsa-sha2-nistp256"
expect_file_matches "$PLOG" "^x509-chain tpm user certs=1 result=ok subjects=O=x509ssh test,CN=tpm user\$" \
	"X.509 login with the TPM key: the server accepted the certificate from the token"
expect_file_matches "$PLOG" "^auth-ok" "X.509 login with the TPM key: authenticated"
KNOWN_HOSTS=$SSHD_KNOWN
CLIENT_PORT=

# ---- the memory of refused PIN files: a stale file reaches the TPM once, not three times
PINF=$T_DIR/pin
printf '999999\n' >"$PINF"
chmod 600 "$PINF"
URI="pkcs11:token=$TOK;object=rsa?module-path=$SPY&pin-source=file:$PINF"
for run in 1 2 3; do
	rm -f "$T_DIR/spy.pin$run"
	TPM_ENV=(PKCS11SPY="$TPM_MODULE" PKCS11SPY_OUTPUT="$T_DIR/spy.pin$run")
	log_mark
	tpm_run -l "$ME" -I "$URI" -- "echo wrong pin $run"
	expect_exit 255 "wrong PIN file, run $run: exit status"
	expect_error_line pkcs11 "wrong PIN file, run $run"
	expect_eq "wrong PIN file, run $run: nothing ran" "" "$(cat "$OUT")"
	# the TSS layer's warnings about the failed unseal stay in the token helper
	expect_eq "wrong PIN file, run $run: one line on stderr" "1" "$(wc -l <"$ERR")"
	cp "$ERR" "$T_DIR/err.pin$run"
done
expect_file_matches "$T_DIR/err.pin1" "C_Login.*CKR_PIN_INCORRECT" \
	"wrong PIN file, run 1: the token refused it (CKR_PIN_INCORRECT)"
for run in 2 3; do
	expect_file_matches "$T_DIR/err.pin$run" \
		"^x509ssh: pkcs11: (.*: )?token $TOK: pin-source $PINF was refused before \\(on [0-9-]+ [0-9:]+ UTC\\); not presenting it again until it changes \\(or remove its line from $HOMEDIR/\\.x509ssh/pin-refused\\)\$" \
		"wrong PIN file, run $run: not presented again, and why"
done
total=0
for run in 1 2 3; do
	total=$((total + $(count "$T_DIR/spy.pin$run" 'C_Login$')))
done
expect_eq "wrong PIN file: one C_Login in three runs" "1" "$total"
expect_file_matches "$HOMEDIR/.x509ssh/pin-refused" "." "wrong PIN file: remembered in ~/.x509ssh/pin-refused"
expect_file_not_matches "$HOMEDIR/.x509ssh/pin-refused" "999999" "wrong PIN file: the PIN is not in the memory"

# the corrected file (same path and inode, new contents) is presented at once and logs in
printf '%s\n' "$TPM_PIN" >"$PINF"
TPM_ENV=(PKCS11SPY="$TPM_MODULE" PKCS11SPY_OUTPUT="$T_DIR/spy.pin4")
tpm_run -l "$ME" -I "$URI" -- "echo right pin"
expect_exit 0 "corrected PIN file: exit status"
expect_stdout_eq "right pin" "corrected PIN file: output"
expect_eq "corrected PIN file: one C_Login" "1" "$(count "$T_DIR/spy.pin4" 'C_Login$')"
expect_eq "corrected PIN file: nothing on stderr" "" "$(cat "$ERR")"

t_done
