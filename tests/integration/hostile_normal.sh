#!/bin/bash
# The hostile SSH server (tests/peers/hostile_server.py) itself is a correct SSH server: in its
# normal modes x509ssh and OpenSSH's ssh log in, run a command, get its output and its exit
# status (the publickey mode checks the client's ed25519 and ECDSA signatures). The other
# hostile_*.sh tests rely on this.
. "$(dirname "$0")/../lib/common.sh"
require_client
CLIENT_TIMEOUT=20

# login_ok NAME [option ...]: one login against the current hostile server, exit 0 and "hello"
login_ok() {
	local name=$1
	shift
	run_client "$@" -- echo hi
	expect_exit 0 "$name"
	expect_stdout_eq "hello" "$name: output"
	expect_file_matches "$HOSTILE_RECORD" '^exec echo hi$' "$name: the server ran the exec"
}

start_hostile normal normal
login_ok "normal"
run_client -- status 7
expect_exit 7 "normal, exec 'status 7': the exit status is the server's"
expect_stdout_eq "hello" "normal, exec 'status 7': output"

start_hostile gexsafe gex-safe
login_ok "gex-safe (group exchange, a safe prime)" -o KexAlgorithms=diffie-hellman-group-exchange-sha256

start_hostile pubkey publickey
login_ok "publickey (an ed25519 key)"
expect_file_matches "$HOSTILE_RECORD" '^userauth publickey ' "publickey: the key was used"

# The same server against OpenSSH's client: the server is right, not just compatible with us.
if [[ -x /usr/bin/ssh ]] && is_x509ssh; then
	start_hostile ossh normal
	X509SSH=/usr/bin/ssh login_ok "OpenSSH ssh: normal"
	X509SSH=/usr/bin/ssh run_client -- status 7
	expect_exit 7 "OpenSSH ssh: normal, exec 'status 7'"
	start_hostile osshgex gex-safe
	X509SSH=/usr/bin/ssh login_ok "OpenSSH ssh: gex-safe" -o KexAlgorithms=diffie-hellman-group-exchange-sha256
	start_hostile osshpk publickey
	X509SSH=/usr/bin/ssh login_ok "OpenSSH ssh: publickey, ed25519"
	X509SSH=/usr/bin/ssh login_ok "OpenSSH ssh: publickey, ecdsa P-256" -i "$T_DIR/keys/host_ecdsa"
	expect_file_matches "$HOSTILE_RECORD" '^userauth publickey ' "OpenSSH ssh: publickey mode used a key"
	start_hostile osshpw password
	cat >"$T_DIR/askpass" <<'SH'
#!/bin/sh
echo secret
SH
	chmod 755 "$T_DIR/askpass"
	CLIENT_ENV=(SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0)
	X509SSH=/usr/bin/ssh run_client_bare -o BatchMode=no -o PreferredAuthentications=password \
		-o NumberOfPasswordPrompts=1 -- echo hi
	expect_exit 0 "OpenSSH ssh: password mode"
	expect_stdout_eq "hello" "OpenSSH ssh: password mode output"
	expect_file_matches "$HOSTILE_RECORD" '^userauth password ' "OpenSSH ssh: password mode used a password"
fi
hostile_diag
t_done
