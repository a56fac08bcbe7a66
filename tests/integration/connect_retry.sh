#!/bin/bash
# Resolving and connecting in the poll loop (client/connect.c): ConnectionAttempts rounds to a
# refused port (each address tried once per round, the one error line at the end), a port that
# starts listening after the first round (the next round connects and the session runs), a
# name that does not resolve, and a BindAddress given as a name (looked up like HostName).
# (OpenSSH's ssh passes the portable checks too: X509SSH=/usr/bin/ssh.)
. "$(dirname "$0")/../lib/common.sh"
require_client

start_sshd
closed=$(free_port)

# ---- three rounds to a refused port: three attempts logged, then one line
CLIENT_PORT=$closed run_client -o ConnectionAttempts=3 -o LogLevel=DEBUG1 -- echo should-not-run
expect_exit 255 "ConnectionAttempts=3 to a closed port"
expect_no_crash "ConnectionAttempts=3"
expect_error_line connect "ConnectionAttempts=3"
refused="connect to address 127\.0\.0\.1 port $closed: Connection refused"
expect_eq "three refused attempts logged" 3 "$(grep -c "debug1: $refused" "$ERR" || true)"
if is_x509ssh; then
	expect_eq "three attempts started" 3 \
		"$(grep -c "^debug1: Connecting to 127\.0\.0\.1 \[127\.0\.0\.1\] port $closed\.\$" "$ERR" || true)"
	expect_x509ssh_line "^x509ssh: connect: 127\.0\.0\.1 port $closed: Connection refused\$" \
		"the line names host, port and cause"
fi
expect_file_not_matches "$OUT" . "nothing ran"

# ---- the port listens only once the first refusal is logged: a later round gets through
pf="$T_DIR/late.port"
"$PYTHON" "$PEERS_DIR/late_listener.py" --target-port "$SSHD_PORT" --port-file "$pf" \
	--watch "$ERR" --pattern "connect to address 127.0.0.1 port %p: Connection refused" \
	</dev/null >"$T_DIR/late.log" 2>&1 &
t_track_pid $!
wait_file "$pf" 10 || die "late_listener.py did not start: $(tail -n 5 "$T_DIR/late.log")"
late=$(cat "$pf")
trust_host_keys "$T_DIR/known_hosts.late" "$late"
KNOWN_HOSTS="$T_DIR/known_hosts.late" CLIENT_PORT=$late \
	run_client -o ConnectionAttempts=10 -o LogLevel=DEBUG1 -- echo late-ok
expect_exit 0 "a port that listens after the first round"
expect_stdout_eq "late-ok" "the session ran after a refused round"
n=$(grep -c "debug1: connect to address 127\.0\.0\.1 port $late: Connection refused" "$ERR" || true)
if ((n >= 1 && n < 10)); then
	pass "refused $n time(s), then connected"
else
	fail "expected 1..9 refused attempts before the connection, got $n"
fi
expect_eq "connected once" 1 "$(grep -c '^debug1: Connection established\.' "$ERR" || true)"

# ---- a name that does not resolve: one line, nothing tried
CLIENT_PORT=$closed client_argv -o LogLevel=DEBUG1 -- true
CLIENT_ARGV[-2]=no-such-host.invalid
run_cmd env -u SSH_AUTH_SOCK "${CLIENT_ARGV[@]}"
expect_exit 255 "a name that does not resolve"
expect_error_line connect "a name that does not resolve"
expect_x509ssh_line "^x509ssh: connect: could not resolve hostname no-such-host\.invalid: .+" \
	"the line names the host"
expect_file_not_matches "$ERR" "Connecting to" "no address tried"

# ---- BindAddress given as a name: looked up too, the server sees the address
if is_x509ssh; then
	run_client -o BindAddress=localhost -- 'echo "${SSH_CLIENT%% *}"'
	expect_exit 0 "BindAddress=localhost"
	expect_stdout_eq "127.0.0.1" "BindAddress=localhost: the server sees 127.0.0.1"
	CLIENT_PORT=$closed run_client -o BindAddress=no-such-host.invalid -o LogLevel=DEBUG1 -- true
	expect_exit 255 "BindAddress that does not resolve"
	expect_error_line connect "BindAddress that does not resolve"
	expect_stderr_matches "BindAddress no-such-host\.invalid: no address of this family" \
		"BindAddress that does not resolve: said in the debug log"
fi
t_done
