#!/bin/bash
# -R: the server listens and opens forwarded-tcpip channels that we connect locally (Debian's
# sshd on loopback): byte-exact data over several connections, -R 0 (the server picks the port,
# printed as OpenSSH prints it), a server that refuses remote forwarding, with and without
# ExitOnForwardFailure, and an unreachable local target.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/forward.sh"
forward_setup 20

RPORT=$(free_port)
start_client_bg -N -R "$RPORT:127.0.0.1:$ECHO_PORT" --
wait_port "$RPORT" "$BG_PID" 20 || fail "-R: the server does not listen on $RPORT: $(cat "$T_DIR/bg.err")"
for i in 1 2; do
	pump "$RPORT" "$T_DIR/big" "$T_DIR/out.$i" &
	pids[i]=$!
done
for i in 1 2; do
	wait "${pids[i]}" || fail "-R: pump $i failed"
	expect_eq "-R connection $i byte-exact (20 MiB)" "$(sha256_of "$T_DIR/big")" "$(sha256_of "$T_DIR/out.$i")"
done
stop_client_bg TERM
expect_eq "-N -R ends with 0 on SIGTERM" 0 "$BG_RC"
for _ in $(seq 1 40); do port_open "$RPORT" || break; sleep 0.05; done
expect_eq "the server stops listening when the session ends" "closed" "$(port_open "$RPORT" && echo open || echo closed)"

# ---- -R 0: the server allocates the port, the client says which
client_argv -o LogLevel=INFO -N -R "0:127.0.0.1:$ECHO_PORT" --
env -u SSH_AUTH_SOCK "${CLIENT_ARGV[@]}" </dev/null >"$T_DIR/bg.out" 2>"$T_DIR/bg.err" &
BG_PID=$!
t_track_pid "$BG_PID"
for _ in $(seq 1 200); do
	grep -q 'Allocated port' "$T_DIR/bg.err" && break
	sleep 0.05
done
APORT=$(sed -n 's/^Allocated port \([0-9]*\) for remote forward to .*/\1/p' "$T_DIR/bg.err" | head -n1)
expect_ne "-R 0: 'Allocated port N for remote forward to HOST:PORT' on stderr" "" "$APORT"
if [[ -n "$APORT" ]]; then
	pump "$APORT" "$T_DIR/big" "$T_DIR/out.alloc" || fail "-R 0: pump failed"
	expect_eq "-R 0: byte-exact through the allocated port" "$(sha256_of "$T_DIR/big")" "$(sha256_of "$T_DIR/out.alloc")"
fi
stop_client_bg TERM

# ---- a local target that refuses: that connection fails, the forwarding stays
DEAD=$(free_port)
RPORT2=$(free_port)
start_client_bg -N -R "$RPORT2:127.0.0.1:$DEAD" -R "$RPORT:127.0.0.1:$ECHO_PORT" --
wait_port "$RPORT" "$BG_PID" 20 || fail "-R (second): not listening"
printf 'x' >"$T_DIR/one"
pump "$RPORT2" "$T_DIR/one" "$T_DIR/out.dead" || true
expect_eq "a refused local target: nothing comes back" "0" "$(stat -c %s "$T_DIR/out.dead" 2>/dev/null || echo 0)"
printf 'still here\n' >"$T_DIR/small"
pump "$RPORT" "$T_DIR/small" "$T_DIR/out.after" || fail "the session died with the refused target"
expect_eq "the other forwarding still works" "still here" "$(cat "$T_DIR/out.after")"
stop_client_bg TERM

# ---- targets named by host name: looked up off the loop's thread (the resolver pool); a name
# that does not resolve refuses that connection only, with a -v line saying so
RPORT4=$(free_port)
RPORT5=$(free_port)
start_client_bg -v -N -R "$RPORT4:localhost:$ECHO_PORT" -R "$RPORT5:no-such-host.invalid:$ECHO_PORT" --
wait_port "$RPORT4" "$BG_PID" 20 || fail "-R by name: not listening"
wait_port "$RPORT5" "$BG_PID" 20 || fail "-R to a bad name: not listening"
pump "$RPORT4" "$T_DIR/big" "$T_DIR/out.named" || fail "-R by name: pump failed"
expect_eq "-R to localhost:PORT (a name): byte-exact" "$(sha256_of "$T_DIR/big")" "$(sha256_of "$T_DIR/out.named")"
pump "$RPORT5" "$T_DIR/one" "$T_DIR/out.badname" || true
expect_eq "-R to a name that does not resolve: nothing comes back" "0" "$(stat -c %s "$T_DIR/out.badname" 2>/dev/null || echo 0)"
pump "$RPORT4" "$T_DIR/small" "$T_DIR/out.after2" || fail "the session died with the bad name"
expect_eq "the named forwarding still works after the failed lookup" "still here" "$(cat "$T_DIR/out.after2")"
stop_client_bg TERM
if is_x509ssh; then
	expect_file_matches "$T_DIR/bg.err" "no-such-host.invalid port $ECHO_PORT: connect failed: cannot resolve" "-v says the lookup failed"
fi

# ---- a server that refuses remote forwarding (AllowTcpForwarding local)
start_sshd "AllowTcpForwarding local"
RPORT3=$(free_port)
run_client -o LogLevel=INFO -R "$RPORT3:127.0.0.1:$ECHO_PORT" -- echo ran
expect_exit 0 "without ExitOnForwardFailure the command runs"
expect_stdout_eq "ran" "its output"
if is_x509ssh; then
	expect_stderr_matches "Warning: remote port forwarding failed for listen port $RPORT3" "a warning names the port"
fi
run_client -o ExitOnForwardFailure=yes -R "$RPORT3:127.0.0.1:$ECHO_PORT" -N --
expect_exit 255 "ExitOnForwardFailure yes: 255"
if is_x509ssh; then
	expect_error_line "channel" "ExitOnForwardFailure: one error line"
	expect_stderr_matches "remote port forwarding failed for listen port $RPORT3" "it names the port"
fi

t_done
