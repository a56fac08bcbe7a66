#!/bin/bash
# Interactive sessions driven in tmux: a pty with the pane's TERM and size, the remote shell runs
# what is typed, a pane resize reaches the remote side (SIGWINCH -> window-change), escapes
# (~? help, ~. disconnect), and the local terminal settings are the same before and after the
# session, whether it ends with ~. or with SIGTERM/SIGHUP.
. "$(dirname "$0")/../lib/common.sh"
require_client
. "$T_LIB_DIR/tmux.sh"

start_sshd

expect_pane() {
	if pane_wait "$1" "${3:-15}"; then
		pass "$2"
	else
		fail "$2: the pane shows no line matching /$1/"
		tm capture-pane -p -t s -S -40 | sed 's/^/     | /' | tail -n 20
	fi
}
wait_rc() {
	local i
	for ((i = 0; i < 150; i++)); do
		[[ -s "$T_DIR/rc" ]] && return 0
		sleep 0.1
	done
	return 1
}
# A sanitizer report in the pane (the client's stderr) is a failure.
pane_sanitizer_check() {
	if tm capture-pane -p -t s -S -500 2>/dev/null | grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: '; then
		fail "sanitizer report in the pane"
	fi
}
# start_pane [client option ...]: a new tmux session (100x30) running the client, no command
start_pane() {
	local i
	rm -f "$T_DIR/rc" "$T_DIR/stty.before" "$T_DIR/stty.after"
	pane_sanitizer_check
	tm kill-server 2>/dev/null || true
	client_argv -o LogLevel=INFO "$@" --
	# (a new server may race with the old one's exit: retry)
	for i in 1 2 3 4 5; do
		if tm new-session -d -s s -x 100 -y 30 bash "$T_DIR/wrap.sh" "$T_DIR" "${CLIENT_ARGV[@]}" 2>/dev/null; then
			break
		fi
		sleep 0.2
	done
	tm set-option -g -t s remain-on-exit on >/dev/null 2>&1 || true
}
client_pid() {
	pgrep -P "$(tm display-message -p -t s '#{pane_pid}')" | head -n1
}

# ---- a shell session: commands, TERM, size, resize, escapes, ~.
start_pane
tm send-keys -t s 'echo mark-$((6*7))' Enter
expect_pane '^mark-42' "a typed command runs in the remote shell"
tm send-keys -t s 'echo "size=$(stty size)" "term=$TERM" "tty=$(tty)"' Enter
expect_pane '^size=30 100 ' "remote stty size is the pane's size (30 rows, 100 columns)"
expect_pane "term=$(cat "$T_DIR/term") " "remote TERM is the local one"
expect_pane 'tty=/dev/pts/' "the remote shell has a pty"
tm resize-window -t s -x 120 -y 40
sleep 0.5
tm send-keys -t s 'echo "size2=$(stty size)"' Enter
expect_pane '^size2=40 120$' "after a resize the remote size follows (window-change)"
# an escape character that is not at the start of a line is sent as typed
tm send-keys -t s -l 'echo x~.y'
tm send-keys -t s Enter
expect_pane '^x~\.y$' "~. inside a line is plain text"
# ~~ at the start of a line sends one ~ (the remote line editor echoes what arrived)
tm send-keys -t s -l '~~Z1'
expect_pane '[^~]~Z1$' "~~ at the start of a line sends one ~" 5
tm send-keys -t s C-u Enter # (an escape must follow a line end: C-u alone is not one)
tm send-keys -t s -l '~?'
expect_pane 'Supported escape sequences' "~? shows the escape help"
expect_pane '~\.   - terminate connection' "the help lists ~."
tm send-keys -t s -l '~.'
if wait_rc; then
	pass "~. ends the session"
else
	fail "~. did not end the session"
fi
expect_eq "exit status after ~." 255 "$(cat "$T_DIR/rc" 2>/dev/null)"
expect_pane 'Connection to 127\.0\.0\.1 closed\.' "'Connection to ... closed.' after ~."
expect_eq "local terminal settings restored after ~." "$(cat "$T_DIR/stty.before")" "$(cat "$T_DIR/stty.after" 2>/dev/null)"

# ---- the remote shell exits: status passed through, terminal restored
start_pane
tm send-keys -t s 'echo ready-$((2+3))' Enter
expect_pane '^ready-5' "second session ready"
tm send-keys -t s 'exit 7' Enter
wait_rc || fail "exit did not end the session"
expect_eq "exit status of the remote shell" 7 "$(cat "$T_DIR/rc" 2>/dev/null)"
expect_eq "local terminal settings restored after exit" "$(cat "$T_DIR/stty.before")" "$(cat "$T_DIR/stty.after" 2>/dev/null)"

# ---- signals: SIGTERM, SIGHUP and SIGINT from outside restore the terminal too
for sig in TERM HUP INT; do
	start_pane
	tm send-keys -t s 'echo up-$((1+1))' Enter
	expect_pane '^up-2' "session for SIG$sig ready"
	pid=$(client_pid)
	if [[ -z "$pid" ]]; then
		fail "SIG$sig: no client process found"
		continue
	fi
	# the terminal is raw while the session runs
	if stty -a -F "$(tm display-message -p -t s '#{pane_tty}')" | grep -q -- ' -icanon'; then
		pass "SIG$sig: the local terminal is in raw mode during the session"
	else
		fail "SIG$sig: the local terminal is not in raw mode during the session"
	fi
	kill -"$sig" "$pid"
	wait_rc || fail "SIG$sig did not end the client"
	expect_eq "exit status after SIG$sig" 255 "$(cat "$T_DIR/rc" 2>/dev/null)"
	expect_eq "local terminal settings restored after SIG$sig" "$(cat "$T_DIR/stty.before")" "$(cat "$T_DIR/stty.after" 2>/dev/null)"
done

# ---- EscapeChar: another character, and none
start_pane -o 'EscapeChar=^]'
tm send-keys -t s 'echo esc-$((3*3))' Enter
expect_pane '^esc-9' "session with EscapeChar ^] ready"
tm send-keys -t s -l '~.'
tm send-keys -t s Enter
sleep 0.5
if [[ -s "$T_DIR/rc" ]]; then
	fail "~. ended a session whose escape character is ^]"
else
	pass "~. is plain text with EscapeChar ^]"
fi
tm send-keys -t s C-] .
if wait_rc; then
	pass "^]. ends the session"
else
	fail "^]. did not end the session"
fi

start_pane -o EscapeChar=none
tm send-keys -t s 'echo none-$((4*4))' Enter
expect_pane '^none-16' "session with EscapeChar none ready"
tm send-keys -t s -l '~.'
tm send-keys -t s -l '~?'
sleep 0.5
if [[ -s "$T_DIR/rc" ]]; then
	fail "~. ended a session with EscapeChar none"
else
	pass "no escapes with EscapeChar none"
fi
tm send-keys -t s C-u 'exit 3' Enter
wait_rc || fail "exit did not end the EscapeChar none session"
expect_eq "exit status, EscapeChar none" 3 "$(cat "$T_DIR/rc" 2>/dev/null)"

# ---- -T: no pty even on a terminal; a command: no pty by default, -t asks for one
start_pane -T
tm send-keys -t s 'tty; echo notty-$((5*5))' Enter
expect_pane '^not a tty' "-T: the remote shell has no pty"
tm send-keys -t s 'exit' Enter
wait_rc || true
# ---- ~C: the ssh> command line (EnableEscapeCommandline; off by default, as OpenSSH 9.2+)
. "$T_LIB_DIR/forward.sh"
start_echo
start_pane
tm send-keys -t s 'echo cl-$((6*6))' Enter
expect_pane '^cl-36' "session for ~C (disabled) ready"
tm send-keys -t s -l '~C'
expect_pane 'commandline disabled' "~C without EnableEscapeCommandline says it is disabled"
tm send-keys -t s 'exit 4' Enter
wait_rc || fail "exit did not end the session after ~C (disabled)"
expect_eq "the session went on after ~C (disabled)" 4 "$(cat "$T_DIR/rc" 2>/dev/null)"

start_pane -o EnableEscapeCommandline=yes
tm send-keys -t s 'echo cmd-$((8*8))' Enter
expect_pane '^cmd-64' "session for ~C ready"
tm send-keys -t s -l '~?'
expect_pane 'C   - open a command line' "~? lists ~C"
CP=$(free_port)
RP=$(free_port)
printf 'through a ~C forwarding\n' >"$T_DIR/cl.in"
tm send-keys -t s Enter
tm send-keys -t s -l '~C'
expect_pane 'ssh>' "~C opens the ssh> prompt"
tm send-keys -t s -l " -L $CP:127.0.0.1:$ECHO_PORT"
tm send-keys -t s Enter
expect_pane 'Forwarding port\.' "~C -L: Forwarding port."
pump "$CP" "$T_DIR/cl.in" "$T_DIR/cl.out" || fail "~C -L: the pump failed"
expect_eq "~C -L: bytes through the new forwarding" "$(cat "$T_DIR/cl.in")" "$(cat "$T_DIR/cl.out" 2>/dev/null)"
tm send-keys -t s -l '~C'
tm send-keys -t s -l " -KL $CP"
tm send-keys -t s Enter
expect_pane 'Canceled forwarding\.' "~C -KL: Canceled forwarding."
if pump "$CP" "$T_DIR/cl.in" "$T_DIR/cl.out2" 2>/dev/null; then
	fail "~C -KL: the port still accepts connections"
else
	pass "~C -KL: the port refuses connections"
fi
tm send-keys -t s -l '~C'
tm send-keys -t s -l " -L nonsense"
tm send-keys -t s Enter
expect_pane 'Bad forwarding specification' "~C with a bad spec: an error line"
tm send-keys -t s -l '~C'
tm send-keys -t s -l " -R $RP:127.0.0.1:$ECHO_PORT"
tm send-keys -t s Enter
wait_port "$RP" "$(client_pid)" 15 || fail "~C -R: the server does not listen on $RP"
pump "$RP" "$T_DIR/cl.in" "$T_DIR/cl.out3" || fail "~C -R: the pump failed"
expect_eq "~C -R: bytes through the server's new listener" "$(cat "$T_DIR/cl.in")" "$(cat "$T_DIR/cl.out3" 2>/dev/null)"
tm send-keys -t s 'echo alive-$((7*7))' Enter
expect_pane '^alive-49' "the session goes on after the ~C commands"
tm send-keys -t s 'exit 5' Enter
wait_rc || fail "exit did not end the ~C session"
expect_eq "exit status after ~C commands" 5 "$(cat "$T_DIR/rc" 2>/dev/null)"

pane_sanitizer_check
t_done
