# Terminal tests driven in tmux (sourced after common.sh): a private tmux server per test, the
# pane wrapper that records the terminal settings and the client's exit status, and a wait on
# what the pane shows.

if ! command -v tmux >/dev/null 2>&1; then
	die "tmux is not installed (apt-get install tmux)"
fi
TMUX_SOCK="$T_DIR/tmux.sock"
tm() {
	TERM=xterm tmux -S "$TMUX_SOCK" "$@"
}
trap 'T_RC=$?; tm kill-server 2>/dev/null; (exit $T_RC); t_cleanup' EXIT

# The pane runs $T_DIR/wrap.sh DIR COMMAND...: it records the terminal settings (stty -g: every
# mode, not the size) and TERM in DIR, runs the command in the foreground, then records its exit
# status (DIR/rc) and the settings again.
cat >"$T_DIR/wrap.sh" <<'SH'
#!/bin/bash
d=$1
shift
stty -g >"$d/stty.before"
printf '%s\n' "$TERM" >"$d/term"
"$@"
echo $? >"$d/rc.tmp"
stty -g >"$d/stty.after"
mv "$d/rc.tmp" "$d/rc"
exec sleep 600
SH

# pane_wait REGEX [SECONDS]: wait until the pane (with its history) shows a line matching REGEX.
pane_wait() {
	local re=$1 limit=${2:-15} i
	for ((i = 0; i < limit * 10; i++)); do
		if tm capture-pane -p -t s -S -500 2>/dev/null | grep -Eq -- "$re"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# The jump host's keep-alives in the client's log ($LOG, written with -E): nkeepalives counts
# them; keepalives N waits (up to 20 s) until there are N. A test that the loop keeps serving the
# jump host while a prompt holds the terminal checks that the count grows.
nkeepalives() { grep -c 'keepalive 1 of 1' "$LOG" 2>/dev/null || true; }
keepalives() {
	local i
	for ((i = 0; i < 200; i++)); do
		if [[ "$(nkeepalives)" -ge "$1" ]]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# expect_true WHAT COMMAND...: pass when COMMAND succeeds, else fail with the pane's last lines.
expect_true() {
	if "${@:2}"; then
		pass "$1"
	else
		fail "$1"
		tm capture-pane -p -t s -S -40 | sed 's/^/     | /' | tail -n 20
	fi
}
