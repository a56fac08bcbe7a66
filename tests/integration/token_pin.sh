#!/bin/bash
# Token PINs and token errors, against the asyncssh RFC 6187 server (which logs every TCP
# connection, so "nothing was sent" is provable). PIN from pin-value, pin-source=file: and
# SSH_ASKPASS (SSH_ASKPASS_REQUIRE=force); BatchMode without a PIN source fails before asking;
# a wrong PIN is tried once (C_Login counted with OpenSC's pkcs11-spy) and reported as
# CKR_PIN_INCORRECT. A missing token, a missing module, an ambiguous object= and a certificate
# that does not match its key are refused before any connection is made.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/softhsm.sh"
require_client
make_keys
softhsm_use # the standard tokens in $P=$T_DIR/p11; sets M, PIN, TOK
softhsm_spy # $SPY

# tok_run [option ...] -- [command ...]: the client with the standard test options but no -i
# and no -l; TOK_ENV (array of NAME=VALUE) is added to its environment.
TOK_ENV=()
tok_run() {
	CLIENT_ENV=("${TOK_ENV[@]}")
	TOK_ENV=()
	run_client_bare "$@"
}

ROOT_B64=$(openssl x509 -in "$P/root.pem" -outform DER | base64 -w0)
printf 'cert-authority x509v3-ssh-rsa %s\n' "$ROOT_B64" >"$T_DIR/ak"
PLOG="$T_DIR/auth.log"
start_peer x509 x509_server.py --key "$T_DIR/keys/host_ed25519" --client-ca "$P/root.pem" \
	--authorized-keys "$T_DIR/ak" --log "$PLOG" --log-connections
CLIENT_PORT=$PEER_PORT
known_hosts_line "$T_DIR/keys/host_ed25519.pub" "$PEER_PORT" >"$KNOWN_HOSTS"

# an askpass program that records each call (its prompt) and prints $ASKPASS_ANSWER
ASKPASS="$T_DIR/askpass.sh"
ASKLOG="$T_DIR/askpass.log"
cat >"$ASKPASS" <<EOF
#!/bin/sh
printf 'called: %s\n' "\$1" >>"$ASKLOG"
printf '%s\n' "\${ASKPASS_ANSWER:-}"
EOF
chmod 700 "$ASKPASS"

count() { # count FILE ERE: matching lines (0 when FILE is missing)
	if [[ -f "$1" ]]; then
		grep -Ec -- "$2" "$1" || true
	else
		echo 0
	fi
}

# ok WHAT [client options]: a login as "ec user" that works
ok() {
	local what=$1
	shift
	: >"$PLOG"
	tok_run -l "ec user" "$@" -- 'echo "pin ok"'
	expect_exit 0 "$what: exit status"
	expect_stdout_eq "pin ok" "$what: output"
	expect_file_matches "$PLOG" "^userauth publickey ec user x509v3-ecdsa-sha2-nistp256\$" "$what: x509v3 request"
	expect_file_matches "$PLOG" "^auth-ok" "$what: authenticated"
}

# ---- PIN sources
ok "pin-value" -I "$TOK;object=ec?module-path=$M&pin-value=$PIN"
ok "pin-source=file: (absolute path)" -I "$TOK;object=ec?module-path=$M&pin-source=file:$P/pin"
ok "pin-source=file:// URI form" -I "$TOK;object=ec?module-path=$M&pin-source=file://$P/pin"
ok "pin-source=file: through p11-kit's registration" -I "$TOK;object=ec?pin-source=file:$P/pin"
# CR LF line ends are stripped too
printf '%s\r\n' "$PIN" >"$T_DIR/pin.crlf"
chmod 600 "$T_DIR/pin.crlf"
ok "pin-source file with CR LF" -I "$TOK;object=ec?module-path=$M&pin-source=file:$T_DIR/pin.crlf"
# a PIN file others can read is refused before the PIN reaches the token
cp "$P/pin" "$T_DIR/pin.open"
chmod 644 "$T_DIR/pin.open"
: >"$PLOG"
tok_run -l "ec user" -I "$TOK;object=ec?module-path=$M&pin-source=file:$T_DIR/pin.open" -- 'echo no'
expect_exit 255 "pin file readable by others: exit status"
expect_error_line pkcs11 "pin file readable by others"
expect_stderr_matches "permissions 0644 .* too open" "pin file readable by others: the cause"
expect_eq "pin file readable by others: nothing ran" "" "$(cat "$OUT")"

rm -f "$ASKLOG"
TOK_ENV=(SSH_ASKPASS="$ASKPASS" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ASKPASS_ANSWER="$PIN")
ok "PIN from SSH_ASKPASS" -o BatchMode=no -I "$TOK;object=ec?module-path=$M"
expect_eq "SSH_ASKPASS: asked exactly once" "1" "$(count "$ASKLOG" '^called: ')"
expect_file_matches "$ASKLOG" "^called: .*x509ssh-test" "SSH_ASKPASS: the prompt names the token"

# a bare module path: every key of every token; one PIN for the token of the key that is used
rm -f "$ASKLOG"
TOK_ENV=(SSH_ASKPASS="$ASKPASS" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ASKPASS_ANSWER="$PIN")
: >"$PLOG"
tok_run -o BatchMode=no -I "$M" -l "rsa user" -- 'echo module'
expect_exit 0 "-I MODULE with SSH_ASKPASS: exit status"
expect_stdout_eq "module" "-I MODULE: output"
expect_file_matches "$PLOG" "^userauth publickey rsa user x509v3-" "-I MODULE: the first key (rsa, x509v3) is offered"
expect_eq "-I MODULE: one PIN prompt" "1" "$(count "$ASKLOG" '^called: ')"

# BatchMode without a PIN source: exit 255, a pkcs11: line, the askpass program is never run
rm -f "$ASKLOG"
TOK_ENV=(SSH_ASKPASS="$ASKPASS" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ASKPASS_ANSWER="$PIN")
tok_run -o BatchMode=yes -I "$TOK;object=ec?module-path=$M" -l "ec user" -- 'echo no'
expect_exit 255 "BatchMode without a PIN source: exit status"
expect_error_line pkcs11 "BatchMode without a PIN source"
expect_stderr_matches "BatchMode" "BatchMode without a PIN source: the error says why"
expect_eq "BatchMode: SSH_ASKPASS not called" "0" "$(count "$ASKLOG" '^called: ')"
expect_eq "BatchMode: nothing ran" "" "$(cat "$OUT")"

# ---- a wrong PIN: one C_Login, CKR_PIN_INCORRECT, exit 255 (spy between client and SoftHSM)
spy_run() { # spy_run LOGFILE [client options]
	local log=$1
	shift
	rm -f "$log"
	TOK_ENV+=(PKCS11SPY="$M" PKCS11SPY_OUTPUT="$log")
	tok_run "$@"
}
: >"$PLOG"
spy_run "$T_DIR/spy.bad" -I "$TOK;object=ec?module-path=$SPY&pin-value=000000" -l "ec user" -- 'echo no'
expect_exit 255 "wrong PIN: exit status"
expect_error_line pkcs11 "wrong PIN"
expect_stderr_matches "^x509ssh: pkcs11: .*C_Login.*CKR_PIN_INCORRECT" "wrong PIN: CKR_PIN_INCORRECT named"
expect_eq "wrong PIN: exactly one C_Login" "1" "$(count "$T_DIR/spy.bad" 'C_Login$')"
expect_eq "wrong PIN: no C_Sign" "0" "$(count "$T_DIR/spy.bad" 'C_Sign$')"
expect_stderr_not_matches "000000" "wrong PIN: the PIN is not echoed"
expect_file_not_matches "$PLOG" "^auth-ok" "wrong PIN: not authenticated"

rm -f "$ASKLOG"
TOK_ENV=(SSH_ASKPASS="$ASKPASS" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ASKPASS_ANSWER=999999)
spy_run "$T_DIR/spy.askbad" -o BatchMode=no -I "$TOK;object=ec?module-path=$SPY" -l "ec user" -- 'echo no'
expect_exit 255 "wrong PIN from SSH_ASKPASS: exit status"
expect_stderr_matches "CKR_PIN_INCORRECT" "wrong PIN from SSH_ASKPASS: CKR_PIN_INCORRECT named"
expect_eq "wrong PIN from SSH_ASKPASS: asked once, never resent" "1" "$(count "$ASKLOG" '^called: ')"
expect_eq "wrong PIN from SSH_ASKPASS: exactly one C_Login" "1" "$(count "$T_DIR/spy.askbad" 'C_Login$')"

# the right PIN through the spy: one C_Login, one C_Sign (the query costs no signature)
spy_run "$T_DIR/spy.good" -I "$TOK;object=ec?module-path=$SPY&pin-value=$PIN" -l "ec user" -- 'echo good'
expect_exit 0 "right PIN through pkcs11-spy: exit status"
expect_eq "right PIN: one C_Login" "1" "$(count "$T_DIR/spy.good" 'C_Login$')"
expect_eq "right PIN: one C_Sign" "1" "$(count "$T_DIR/spy.good" 'C_Sign$')"

# ---- token errors found before connecting: exit 255, one pkcs11: line, the server saw nothing
local_error() { # local_error WHAT REGEX [client options]
	local what=$1 re=$2
	shift 2
	: >"$PLOG"
	tok_run "$@" -l "ec user" -- 'echo should-not-run'
	expect_exit 255 "$what: exit status"
	expect_error_line pkcs11 "$what"
	expect_stderr_matches "$re" "$what: the cause"
	expect_eq "$what: nothing ran" "" "$(cat "$OUT")"
	expect_eq "$what: no connection was made" "" "$(cat "$PLOG")"
}
local_error "missing token" "no token matches pkcs11:token=no-such-token" \
	-I "pkcs11:token=no-such-token?module-path=$M&pin-value=$PIN"
expect_stderr_not_matches "$PIN" "missing token: the pin-value is not echoed"
local_error "missing token, registered modules" "no token matches" \
	-I "pkcs11:token=no-such-token?pin-value=$PIN"
local_error "missing module" "cannot load module $T_DIR/nope\\.so" \
	-I "$TOK;object=ec?module-path=$T_DIR/nope.so&pin-value=$PIN"
local_error "missing module (bare path)" "cannot load module $T_DIR/nope\\.so" -I "$T_DIR/nope.so"
local_error "ambiguous object=ec" "matches 2 keys.*token=x509ssh-(two|test).*token=x509ssh-(two|test)" \
	-I "pkcs11:object=ec?module-path=$M&pin-value=$PIN"
local_error "no such object" "no key found" -I "$TOK;object=nope?module-path=$M&pin-value=$PIN"
local_error "unknown URI attribute" "." -I "$TOK;colour=blue?module-path=$M"
local_error "unsupported pin-source scheme" "pin-source" -I "$TOK;object=ec?module-path=$M&pin-source=exec:/bin/echo"
local_error "ambiguous key in an IdentityFile entry" "matches 2 keys" \
	-i "pkcs11:object=ec?module-path=$M&pin-value=$PIN"
TOK_ENV=(SOFTHSM2_CONF="$P/bad/softhsm2.conf")
local_error "certificate that does not match its key" "does not match the public key.*refused" \
	-I "pkcs11:token=x509ssh-bad?module-path=$M&pin-value=$PIN"

t_done
