#!/bin/bash
# Session types against the test sshd: subsystems (-s, SessionType subsystem) byte-exact with
# their exit status, sftp driving us through `sftp -S`, a refused or missing subsystem name;
# -N (SessionType none) staying up, with keepalives, until killed or until the server goes;
# -n (StdinNull) and -N leaving stdin unread; on a terminal, -n asks for a pty only with -tt
# and a subsystem gets none.
. "$(dirname "$0")/../lib/common.sh"
require_client

printf 'exit 7\n' >"$T_DIR/status7.sh"
start_sshd "Subsystem x509echo /bin/cat" "Subsystem x509status /bin/sh $T_DIR/status7.sh" \
	"Subsystem x509tty /usr/bin/tty"

# ---- subsystems

head -c 3000000 /dev/urandom >"$T_DIR/in.bin"
CLIENT_STDIN="$T_DIR/in.bin" run_client -s -- x509echo
expect_exit 0 "-s x509echo (/bin/cat)"
expect_eq "3 MB through a subsystem, byte-exact" "$(sha256_of "$T_DIR/in.bin")" "$(sha256_of "$OUT")"

CLIENT_STDIN="$T_DIR/in.bin" run_client -o SessionType=subsystem -- x509echo
expect_exit 0 "SessionType=subsystem x509echo"
expect_eq "SessionType subsystem, byte-exact" "$(sha256_of "$T_DIR/in.bin")" "$(sha256_of "$OUT")"

run_client -s -- x509status
expect_exit 7 "a subsystem's exit status is ours"

log_mark
run_client -s -- nosuch
expect_exit 255 "an unknown subsystem"
expect_error_line channel "refused subsystem"
if is_x509ssh; then
	expect_stderr_matches "^x509ssh: channel: the server refused subsystem 'nosuch'$"
fi
expect_file_matches <(log_since_mark) "subsystem request for nosuch" "sshd saw a subsystem request"

# the words after the destination form one name, as with ssh
run_client -v -o LogLevel=DEBUG1 -s -- x509echo extra words
expect_exit 255 "a name of several words"
if is_x509ssh; then
	expect_stderr_matches "refused subsystem 'x509echo extra words'"
fi

run_client -s --
expect_exit 255 "-s without a name"
if is_x509ssh; then
	expect_error_line config "-s without a name"
	expect_stderr_matches "^x509ssh: config: -s needs a subsystem name$"
	run_client -o SessionType=subsystem --
	expect_exit 255 "SessionType subsystem without a name"
	expect_stderr_matches "^x509ssh: config: -s needs a subsystem name$"
fi

# sftp drives us through -S (its SFTP client over our -s sftp: sshd's internal-sftp). A wrapper
# turns sftp's "-oKeyword value" arguments into "-oKeyword=value" and leaves out the keywords
# the client under test does not accept yet (the OpenSSH surface is a separate change).
cat >"$T_DIR/sftp-ssh" <<EOF
#!/bin/bash
args=()
while [[ \$# -gt 0 ]]; do
	a=\$1
	shift
	if [[ "\$a" == -o?*" "* ]]; then
		a=\${a/ /=}
	fi
	if [[ "\$a" == -o?* ]] && ! "$X509SSH" -G -F /dev/null "\$a" 127.0.0.1 >/dev/null 2>&1; then
		continue
	fi
	args+=("\$a")
done
exec "$X509SSH" "\${args[@]}"
EOF
chmod 755 "$T_DIR/sftp-ssh"
mkdir -p "$T_DIR/remote" "$T_DIR/back"
head -c 1500000 /dev/urandom >"$T_DIR/up.bin"
cat >"$T_DIR/batch" <<EOF
put $T_DIR/up.bin $T_DIR/remote/up.bin
get $T_DIR/remote/up.bin $T_DIR/back/up.bin
EOF
run_cmd sftp -S "$T_DIR/sftp-ssh" -b "$T_DIR/batch" -F /dev/null -P "$SSHD_PORT" -i "$CLIENT_KEY" \
	-o "UserKnownHostsFile=$KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes \
	"$(id -un)@127.0.0.1"
expect_exit 0 "sftp -S put and get"
expect_eq "sftp put, byte-exact" "$(sha256_of "$T_DIR/up.bin")" "$(sha256_of "$T_DIR/remote/up.bin" 2>/dev/null || echo missing)"
expect_eq "sftp get, byte-exact" "$(sha256_of "$T_DIR/up.bin")" "$(sha256_of "$T_DIR/back/up.bin" 2>/dev/null || echo missing)"

# ---- -n: stdin is not read (the remote cat sees EOF at once), what we were given stays unread

client_argv -n -- cat
set +e
{
	env -u SSH_AUTH_SOCK timeout -k 5 "$CLIENT_TIMEOUT" "${CLIENT_ARGV[@]}" >"$OUT" 2>"$ERR"
	RC=$?
	cat >"$T_DIR/left"
} < <(printf 'unread by -n\n')
set -e
check_sanitizer_report
expect_exit 0 "-n cat"
expect_eq "-n: the remote cat got nothing" 0 "$(stat -c %s "$OUT")"
expect_eq "-n: stdin left for the next reader" "unread by -n" "$(cat "$T_DIR/left")"

# ---- on a terminal (a tmux pane): -n -t asks for no pty (stdin is given up), -n -tt still
# does; a subsystem gets none with RequestTTY auto
if command -v tmux >/dev/null 2>&1; then
	TMUX_SOCK="$T_DIR/tmux.sock"
	trap 'T_RC=$?; TERM=xterm tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true; (exit $T_RC); t_cleanup' EXIT
	for flag in -t -tt -s; do
		rm -f "$T_DIR/n.out" "$T_DIR/n.out.rc"
		if [[ "$flag" == -s ]]; then
			client_argv -s -o LogLevel=INFO -- x509tty
		else
			client_argv -n "$flag" -o LogLevel=INFO -- tty
		fi
		TERM=xterm tmux -S "$TMUX_SOCK" new-session -d -s "n$flag" -x 80 -y 24 \
			bash -c '"${@:2}" >"$1" 2>&1; echo $? >"$1.rc"' _ "$T_DIR/n.out" "${CLIENT_ARGV[@]}"
		for ((i = 0; i < 600; i++)); do
			[[ -s "$T_DIR/n.out.rc" ]] && break
			sleep 0.05
		done
		if [[ "$flag" == -t ]]; then
			expect_eq "-n -t on a terminal: exit status of tty" 1 "$(cat "$T_DIR/n.out.rc" 2>/dev/null)"
			expect_file_matches "$T_DIR/n.out" '^not a tty' "-n -t on a terminal: no pty"
			expect_file_matches "$T_DIR/n.out" 'Pseudo-terminal will not be allocated because stdin is not a terminal' "-n -t: says why"
		elif [[ "$flag" == -s ]]; then
			expect_file_matches "$T_DIR/n.out" '^not a tty' "-s on a terminal: no pty (RequestTTY auto)"
		else
			expect_eq "-n -tt on a terminal: exit status of tty" 0 "$(cat "$T_DIR/n.out.rc" 2>/dev/null)"
			expect_file_matches "$T_DIR/n.out" '^/dev/pts/' "-n -tt on a terminal: a pty"
		fi
		rm -f "$T_DIR/n.out.rc"
	done
else
	fail "tmux is not installed (apt-get install tmux): -n on a terminal not checked"
fi

# ---- -N: no session; stays up with keepalives until a signal or the server ends it

# run_none NAME [option ...]: x509ssh -N in the background (SIGINT and SIGHUP at their defaults,
# stdin a pipe of one line), waits until sshd has answered one of its keepalives: sets NPID
run_none() {
	local name=$1
	shift
	client_argv -N -o ServerAliveInterval=1 "$@" -- echo ignored
	exec 3< <(printf 'unread by -N\n')
	log_mark
	"$PYTHON" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGHUP, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' env -u SSH_AUTH_SOCK "${CLIENT_ARGV[@]}" <&3 >"$T_DIR/$name.out" 2>"$T_DIR/$name.err" &
	NPID=$!
	t_track_pid "$NPID"
	local i
	for ((i = 0; i < 400; i++)); do
		if tail -c +"$((LOG_MARK + 1))" "$SSHD_LOG" | grep -q 'rtype keepalive@openssh.com'; then
			break
		fi
		if ! kill -0 "$NPID" 2>/dev/null; then
			break
		fi
		sleep 0.05
	done
}

# end_none SIGNAL|-: send the signal (or wait for the end), RC = the client's exit status
end_none() {
	if [[ "$1" != - ]]; then
		kill -"$1" "$NPID" 2>/dev/null || true
	fi
	set +e
	wait "$NPID"
	RC=$?
	set -e
}

for sig in TERM INT HUP; do
	run_none "none_$sig"
	expect_eq "-N ($sig): alive after a keepalive" yes "$(kill -0 "$NPID" 2>/dev/null && echo yes || echo no)"
	sess=$(tail -c +"$((LOG_MARK + 1))" "$SSHD_LOG" | grep -Ec 'session_new|server_request_session|subsystem request|Starting session' || true)
	expect_eq "-N ($sig): no session channel opened" 0 "$sess"
	end_none "$sig"
	if [[ "$sig" == TERM ]]; then
		expect_exit 0 "-N ended by SIGTERM (as ssh)"
	else
		expect_exit 255 "-N ended by SIG$sig (as ssh)"
	fi
	expect_eq "-N ($sig): quiet" "" "$(cat "$T_DIR/none_$sig.err")"
	expect_eq "-N ($sig): no output" 0 "$(stat -c %s "$T_DIR/none_$sig.out")"
	expect_eq "-N ($sig): stdin left unread" "unread by -N" "$(cat <&3)"
	exec 3<&-
done

# the server goes away: its connection process ends, the client follows with 255
run_none none_srv
expect_eq "-N: alive before the server goes" yes "$(kill -0 "$NPID" 2>/dev/null && echo yes || echo no)"
for p in $(pgrep -P "$SSHD_PID" || true); do
	kill -TERM "$p" 2>/dev/null || true
done
end_none -
expect_exit 255 "-N after the server closed the connection"
ERR="$T_DIR/none_srv.err" expect_error_line connect "-N, server gone"
exec 3<&-

t_done
