#!/bin/bash
# The hostile SSH server (tests/peers/hostile_server.py) itself is a correct SSH server: in its
# normal modes x509ssh and OpenSSH's ssh log in, run a command, get its output and its exit
# status. The other hostile_*.sh tests rely on this.
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
start_hostile exit7 normal --exit 7
run_client -- true
expect_exit 7 "normal --exit 7: the exit status is the server's"
expect_stdout_eq "hello" "normal --exit 7: output"

start_hostile gexsafe gex-safe
login_ok "gex-safe (group exchange, a safe prime)" -o KexAlgorithms=diffie-hellman-group-exchange-sha256

# The same server against OpenSSH's client: the server is right, not just compatible with us.
if [[ -x /usr/bin/ssh ]] && is_x509ssh; then
	start_hostile ossh normal
	X509SSH=/usr/bin/ssh login_ok "OpenSSH ssh: normal"
	start_hostile ossh7 normal --exit 7
	X509SSH=/usr/bin/ssh run_client -- true
	expect_exit 7 "OpenSSH ssh: normal --exit 7"
	start_hostile osshgex gex-safe
	X509SSH=/usr/bin/ssh login_ok "OpenSSH ssh: gex-safe" -o KexAlgorithms=diffie-hellman-group-exchange-sha256
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
