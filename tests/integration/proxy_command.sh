#!/bin/bash
# ProxyCommand: OpenSSH's own "ssh -W %h:%p bastion" as the proxy (byte-exact stdin/stdout and the
# exit status through it), a python relay (tests/peers/stdio_relay.py) that logs how %h %p %r %n
# %% were expanded, "none" and the first-value rule (config blocks, -o), the one error line for a
# command that exits, is killed or cannot be run (and no hang), no proxy process left behind (one
# that ignores SIGHUP and its stdin's end included), ConnectTimeout through a silent proxy, host
# keys looked up by name, and an RFC 6187 host behind a proxy checked as over TCP.
# The destination's HostName is a name that does not resolve (target.invalid): only the proxy
# can reach the server, so a run that works went through it.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

RELAY="$PEERS_DIR/stdio_relay.py"
ME=$(id -un)
NAME=target.invalid
KH_NAME="$T_DIR/kh_by_name"
: >"$KH_NAME"
for t in ed25519 ecdsa rsa; do
	printf '[%s]:%s %s\n' "$NAME" "$SSHD_PORT" "$(cut -d' ' -f1,2 "$T_DIR/keys/host_$t.pub")" >>"$KH_NAME"
done

# relay_cmd LOG [PORT] [relay options]: a ProxyCommand running the relay to PORT (the sshd's)
relay_cmd() {
	local log=$1 port=${2:-$SSHD_PORT}
	shift 2 || shift $#
	printf '%s %s --log %s --port %s %s' "$PYTHON" "$RELAY" "$log" "$port" "$*"
}

# not_run FILE DESCRIPTION: the command that would have written FILE did not run
not_run() {
	if [[ -e "$1" ]]; then
		fail "$2: the command ran"
	else
		pass "$2"
	fi
}

# gone PID: the process no longer exists (reaped: not even a zombie)
gone() { ! kill -0 "$1" 2>/dev/null; }

# run_cfg CONFIG [option ...] -- [command ...]: run_client reading CONFIG instead of -F /dev/null
run_cfg() {
	local cfg=$1 i
	shift
	client_argv "$@"
	for i in "${!CLIENT_ARGV[@]}"; do
		if [[ "${CLIENT_ARGV[$i]}" == -F ]]; then
			CLIENT_ARGV[i + 1]=$cfg
		fi
	done
	set +e
	env -u SSH_AUTH_SOCK timeout -k 5 "$CLIENT_TIMEOUT" "${CLIENT_ARGV[@]}" </dev/null >"$OUT" 2>"$ERR"
	# shellcheck disable=SC2034 # RC is read by the expect_* helpers
	RC=$?
	set -e
	check_sanitizer_report
}

# ---- (1) OpenSSH's ssh -W through a bastion (the same sshd), a 2 MB stream both ways
head -c 2000000 /dev/urandom >"$T_DIR/blob"
BASTION="ssh -F /dev/null -o UserKnownHostsFile=$KNOWN_HOSTS -o GlobalKnownHostsFile=/dev/null"
BASTION+=" -o BatchMode=yes -o IdentitiesOnly=yes -i $CLIENT_KEY -l $ME -p $SSHD_PORT"
BASTION+=" -W 127.0.0.1:%p 127.0.0.1"
KNOWN_HOSTS=$KH_NAME CLIENT_STDIN="$T_DIR/blob" run_client -o "HostName=$NAME" \
	-o "ProxyCommand=$BASTION" -- 'cat; exit 7'
expect_exit 7 "ssh -W: the remote exit status through the proxy"
expect_eq "ssh -W: 2 MB byte-exact through the proxy" "$(sha256sum <"$T_DIR/blob")" "$(sha256sum <"$OUT")"
expect_eq "ssh -W: nothing on stderr" "" "$(cat "$ERR")"
expect_file_matches "$SSHD_LOG" "direct.tcpip" \
	"ssh -W: the bastion opened a direct-tcpip channel"

# the same without the proxy cannot reach target.invalid at all (the control)
KNOWN_HOSTS=$KH_NAME run_client -o "HostName=$NAME" -- true
expect_exit 255 "control: target.invalid is unreachable without the proxy"
expect_error_line connect "control: not resolvable"

# ---- (2) the relay: token expansion, known_hosts by name, the relay gone at the end
RLOG="$T_DIR/relay.log"
KNOWN_HOSTS=$KH_NAME run_client -o "HostName=$NAME" \
	-o "ProxyCommand=$(relay_cmd "$RLOG") -- %h %p %r %n %% 100%%" -- 'echo through-relay'
expect_exit 0 "relay: exit status"
expect_stdout_eq through-relay "relay: output"
expect_eq "relay: %h %p %r %n %% expanded" \
	"$(printf 'arg %s\n' "$NAME" "$SSHD_PORT" "$ME" 127.0.0.1 % 100%)" "$(grep '^arg ' "$RLOG")"
relay_pid=$(sed -n 's/^pid //p' "$RLOG")
if [[ -n "$relay_pid" ]] && gone "$relay_pid"; then
	pass "relay: the proxy process is gone when x509ssh has exited"
else
	fail "relay: proxy process '$relay_pid' still there after x509ssh exited"
fi

# the command's standard error is ours
KNOWN_HOSTS=$KH_NAME run_client -o "HostName=$NAME" \
	-o "ProxyCommand=sh -c 'echo proxy-stderr-line >&2; exec $(relay_cmd "$RLOG")'" -- 'echo ok'
expect_exit 0 "stderr: exit status"
expect_stderr_matches "^proxy-stderr-line\$" "stderr: the command's standard error reaches ours"

# host keys under HostKeyAlias when set (no port with an alias, as OpenSSH)
printf 'proxied-alias %s\n' "$(cut -d' ' -f1,2 "$T_DIR/keys/host_ed25519.pub")" >"$T_DIR/kh_alias"
KNOWN_HOSTS="$T_DIR/kh_alias" run_client -o "HostName=$NAME" -o HostKeyAlias=proxied-alias \
	-o HostKeyAlgorithms=ssh-ed25519 -o "ProxyCommand=$(relay_cmd "$RLOG")" -- 'echo alias-ok'
expect_exit 0 "HostKeyAlias: the key is found under the alias"
expect_stdout_eq alias-ok "HostKeyAlias: output"
# ... and under the name, never an address: the 127.0.0.1 entries do not count
KNOWN_HOSTS="$KNOWN_HOSTS" run_client -o "HostName=$NAME" -o "ProxyCommand=$(relay_cmd "$RLOG")" -- true
expect_exit 255 "known_hosts: the 127.0.0.1 entries do not vouch for target.invalid"
expect_error_line hostkey "known_hosts: unknown name"

# an unknown token is a config error naming it; nothing is run
rm -f "$RLOG"
run_client -o "ProxyCommand=$(relay_cmd "$RLOG") %h %C" -- true
expect_exit 255 "unknown token: exit status"
expect_error_line config "unknown token"
expect_stderr_matches "^x509ssh: config: ProxyCommand: unknown token %C\$" "unknown token: named"
not_run "$RLOG" "unknown token: nothing run"

# -G shows the command as written
run_client -G -o "ProxyCommand=nc  %h %p \"a b\"" -- true
expect_file_matches "$OUT" '^proxycommand nc  %h %p "a b"$' "-G: proxycommand as written"
run_client -G -- true
expect_file_not_matches "$OUT" '^proxycommand' "-G: no proxycommand line when none"

# ---- (3) none and the first obtained value
MARK="$T_DIR/mark.log"
cat >"$T_DIR/cfg_none_first" <<EOF
Host 127.0.0.1
	ProxyCommand none
Host *
	ProxyCommand $(relay_cmd "$MARK")
EOF
rm -f "$MARK"
run_cfg "$T_DIR/cfg_none_first" -- 'echo direct'
expect_exit 0 "ProxyCommand none in an earlier block: exit status"
expect_stdout_eq direct "ProxyCommand none first: output"
not_run "$MARK" "ProxyCommand none first: the later Host * command is not used"

cat >"$T_DIR/cfg_cmd_first" <<EOF
Host 127.0.0.1
	ProxyCommand $(relay_cmd "$MARK")
Host *
	ProxyCommand none
EOF
rm -f "$MARK"
KNOWN_HOSTS=$KH_NAME run_cfg "$T_DIR/cfg_cmd_first" -o "HostName=$NAME" -- 'echo proxied'
expect_exit 0 "a ProxyCommand before a later none: exit status"
expect_stdout_eq proxied "a ProxyCommand before a later none: output"
expect_file_matches "$MARK" '^pid ' "a ProxyCommand before a later none: the command ran"

rm -f "$MARK"
run_cfg "$T_DIR/cfg_cmd_first" -o ProxyCommand=none -- 'echo direct'
expect_exit 0 "-o ProxyCommand=none: exit status"
expect_stdout_eq direct "-o ProxyCommand=none: output"
not_run "$MARK" "-o ProxyCommand=none disables the config's command"

# ---- (4) a command that ends before the server spoke: one line, 255, no hang
CLIENT_TIMEOUT=30 run_client -o "ProxyCommand=sh -c 'exit 3'" -- true
expect_exit 255 "exit 3: exit status"
expect_error_line connect "exit 3"
expect_stderr_matches "^x509ssh: connect: ProxyCommand 'sh -c 'exit 3'' exited with status 3\$" \
	"exit 3: the status in the line"

CLIENT_TIMEOUT=30 run_client -o "ProxyCommand=sh -c 'kill -TERM \$\$'" -- true
expect_exit 255 "killed: exit status"
expect_error_line connect "killed"
expect_stderr_matches "ProxyCommand '.*' killed by signal TERM\$" "killed: the signal in the line"

CLIENT_TIMEOUT=30 run_client -o "ProxyCommand=x509ssh-no-such-proxy-command %h %p" -- true
expect_exit 255 "no such command: exit status"
expect_error_line connect "no such command"
expect_stderr_matches "^x509ssh: connect: ProxyCommand 'x509ssh-no-such-proxy-command 127.0.0.1 $SSHD_PORT' exited with status 127\$" \
	"no such command: the shell's 127"

SHELL=/nonexistent/shell CLIENT_TIMEOUT=30 run_client -o "ProxyCommand=true" -- true
expect_exit 255 "no shell: exit status"
expect_error_line connect "no shell"
expect_stderr_matches "^x509ssh: connect: ProxyCommand 'true' cannot be run: No such file or directory" \
	"no shell: cannot be run, with errno"

# bytes that are not SSH, then the end: still the command's status
CLIENT_TIMEOUT=30 run_client -o "ProxyCommand=sh -c 'echo not-ssh; exit 2'" -- true
expect_exit 255 "not SSH then exit: exit status"
expect_stderr_matches "ProxyCommand '.*' exited with status 2\$" "not SSH then exit: the status"

# once the server has spoken, the end of the proxy is the connection closing
CLIENT_TIMEOUT=30 run_client -o "ProxyCommand=sh -c 'printf \"SSH-2.0-fake\\r\\n\"; exit 4'" -- true
expect_exit 255 "proxy ends after the server's version: exit status"
expect_error_line connect "proxy ends after the server's version"
# (as over TCP, our unread bytes in its end may turn the close into a reset, or a write may
# find it closed first)
expect_stderr_matches "^x509ssh: connect: (connection closed by 127.0.0.1|(read from|write to) 127.0.0.1 port $SSHD_PORT: (Connection reset by peer|Broken pipe))\$" \
	"proxy ends after the server's version: the closed-connection line"
expect_stderr_not_matches "ProxyCommand" "proxy ends after the server's version: not blamed on the command"

# ConnectTimeout through a proxy that never answers; the proxy is gone afterwards
CLIENT_TIMEOUT=30 run_client -o ConnectTimeout=2 \
	-o "ProxyCommand=sh -c 'echo \$\$ >$T_DIR/silent.pid; exec sleep 300'" -- true
expect_exit 255 "silent proxy: exit status"
expect_error_line connect "silent proxy"
expect_stderr_matches "timed out .*ConnectTimeout 2 s" "silent proxy: ConnectTimeout applies"
spid=$(cat "$T_DIR/silent.pid" 2>/dev/null || true)
if [[ -n "$spid" ]] && gone "$spid"; then
	pass "silent proxy: gone after x509ssh exited"
else
	fail "silent proxy: '$spid' still there"
fi

# ServerAliveInterval x CountMax is the read timeout through a proxy too
CLIENT_TIMEOUT=30 run_client -o ServerAliveInterval=1 -o ServerAliveCountMax=2 \
	-o "ProxyCommand=sleep 300" -- true
expect_exit 255 "silent proxy, ServerAlive: exit status"
expect_error_line connect "silent proxy, ServerAlive"
expect_stderr_matches "server not responding for 2 s .*ServerAliveInterval 1 s" \
	"silent proxy: the ServerAlive read timeout applies"

# ---- (5) a proxy that ignores SIGHUP and outlives its stdin: killed, not orphaned
LLOG="$T_DIR/linger.log"
KNOWN_HOSTS=$KH_NAME run_client -o "HostName=$NAME" \
	-o "ProxyCommand=sh -c 'trap \"\" HUP; exec $(relay_cmd "$LLOG" "$SSHD_PORT" --linger)'" -- 'echo lingering'
expect_exit 0 "lingering proxy: exit status"
expect_stdout_eq lingering "lingering proxy: output"
lpid=$(sed -n 's/^pid //p' "$LLOG" 2>/dev/null || true)
if [[ -n "$lpid" ]] && gone "$lpid"; then
	pass "lingering proxy (SIGHUP ignored): gone after x509ssh exited"
else
	fail "lingering proxy: '$lpid' still there"
	if [[ -n "$lpid" ]]; then
		kill -9 "$lpid" 2>/dev/null || true
	fi
fi

# ---- (6) an RFC 6187 host behind a proxy: the chain checked against the name as over TCP
PKI="$T_DIR/pki"
"$X509SSH_SRC/tests/lib/pki.sh" "$PKI" init >/dev/null
"$X509SSH_SRC/tests/lib/pki.sh" "$PKI" leaf rtr --key ec256 --san "DNS:rtr1.test" >/dev/null
start_peer x509 x509_server.py --key "$PKI/rtr.key" --chain "$PKI/rtr.chain.pem" \
	--host-key-algs x509v3-ecdsa-sha2-nistp256 --authorized-keys "$T_DIR/authorized_keys" \
	--log "$T_DIR/auth.x509.log"
: >"$T_DIR/kh_empty"
KNOWN_HOSTS="$T_DIR/kh_empty" run_client -v -o HostName=rtr1.test -o StrictHostKeyChecking=yes \
	-o X509HostKeys=require -o "CACertificateFile=$PKI/root.pem" \
	-o "ProxyCommand=$(relay_cmd "$T_DIR/relay.x509.log" "$PEER_PORT")" -- 'echo x509-via-proxy; exit 5'
expect_exit 5 "X.509 via proxy: remote exit status"
expect_stdout_eq x509-via-proxy "X.509 via proxy: output"
expect_file_matches "$ERR" "x509: host certificate for rtr1.test verified \\(x509v3-ecdsa-sha2-nistp256" \
	"X.509 via proxy: the chain verified for rtr1.test"
expect_file_matches "$ERR" "Executing proxy command: exec " "X.509 via proxy: -v names the command"
expect_eq "X.509 via proxy: known_hosts untouched" 0 "$(wc -c <"$T_DIR/kh_empty")"

KNOWN_HOSTS="$T_DIR/kh_empty" run_client -o HostName=rtr2.test -o StrictHostKeyChecking=yes \
	-o X509HostKeys=require -o "CACertificateFile=$PKI/root.pem" \
	-o "ProxyCommand=$(relay_cmd "$T_DIR/relay.x509b.log" "$PEER_PORT")" -- 'echo never'
expect_exit 255 "X.509 via proxy, wrong name: exit status"
expect_error_line x509 "X.509 via proxy, wrong name"
expect_stderr_matches "name mismatch" "X.509 via proxy, wrong name: the reason"
expect_eq "X.509 via proxy, wrong name: nothing ran" "" "$(cat "$OUT")"

t_done
