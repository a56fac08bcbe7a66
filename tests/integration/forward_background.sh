#!/bin/bash
# -f (ForkAfterAuthentication): the client returns once authenticated with its forwardings set
# up, and keeps forwarding in the background (Debian's sshd on loopback); a failure before that
# point is still the foreground's one error line and 255; -f without a command or -N is refused.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/forward.sh"
forward_setup

LPORT=$(free_port)
run_client -f -N -L "$LPORT:127.0.0.1:$ECHO_PORT" --
expect_exit 0 "-f -N -L: the foreground returns 0"
port_open "$LPORT" && st=listening || st=closed
expect_eq "-f: the forwarding listens as soon as the foreground has returned" "listening" "$st"
printf 'through the background\n' >"$T_DIR/small"
pump "$LPORT" "$T_DIR/small" "$T_DIR/out.bg" || fail "pump through the background client failed"
expect_eq "-f: bytes through the background client" "through the background" "$(cat "$T_DIR/out.bg")"
bgpid=$(pgrep -f -- "-L $LPORT:127.0.0.1:$ECHO_PORT" | head -n1 || true)
expect_ne "-f: the background process runs" "" "$bgpid"
if [[ -n "$bgpid" ]]; then
	expect_eq "-f: the background process has left the terminal's session" \
		"$bgpid" "$(ps -o sid= -p "$bgpid" | tr -d ' ')"
	kill -TERM "$bgpid"
	for _ in $(seq 1 100); do kill -0 "$bgpid" 2>/dev/null || break; sleep 0.05; done
	expect_eq "-f: the background process ends on SIGTERM" "gone" "$(kill -0 "$bgpid" 2>/dev/null && echo running || echo gone)"
fi

# a command with -f: it runs in the background, its output still goes to our stdout file
run_client -f -- "echo background-command > $T_DIR/bgcmd.tmp && mv $T_DIR/bgcmd.tmp $T_DIR/bgcmd.out"
expect_exit 0 "-f with a command: 0"
wait_file "$T_DIR/bgcmd.out" 30 || true
expect_eq "-f: the command ran" "background-command" "$(cat "$T_DIR/bgcmd.out" 2>/dev/null)"

# authentication fails: the foreground reports it
run_client -f -N -o PubkeyAuthentication=no --
expect_exit 255 "-f with a refused login: 255 in the foreground"
expect_error_line "auth" "-f with a refused login: one error line"

run_client -f --
expect_exit 255 "-f without a command or -N"
expect_error_line "config" "-f without a command: one error line"

t_done
