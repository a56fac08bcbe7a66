#!/bin/bash
# ServerAliveInterval / ServerAliveCountMax: keepalives keep a quiet session going while the
# server answers them; a server that stops answering (its processes SIGSTOPped) ends the client
# with 255 and "connect: timeout: server not responding" after about (CountMax + 1) * Interval.
. "$(dirname "$0")/../lib/common.sh"
require_client
CLIENT_TIMEOUT=40

STOPPED=()
cont_all() {
	local p
	for p in "${STOPPED[@]}"; do
		kill -CONT "$p" 2>/dev/null || true
	done
	STOPPED=()
}
# stopped processes cannot die: continue them before the common cleanup kills everything
trap 'T_RC=$?; cont_all; (exit $T_RC); t_cleanup' EXIT

descendants() {
	local p
	for p in $(pgrep -P "$1" || true); do
		echo "$p"
		descendants "$p"
	done
}

start_sshd

# ---- a quiet session with a live server: keepalives are answered, the command finishes
run_client -o ServerAliveInterval=1 -o ServerAliveCountMax=1 -o LogLevel=DEBUG1 -- 'sleep 4; echo alive-ok'
expect_exit 0 "quiet session with ServerAliveInterval=1, CountMax=1"
expect_stdout_eq "alive-ok" "output after 4 quiet seconds"
if is_x509ssh; then
	expect_stderr_matches 'keepalive 1 of 1' "keepalives were sent while the session was quiet"
fi

# stalled_run NAME [option ...]: start `sleep 30` remotely, SIGSTOP the server side once it
# runs, and wait for the client (at most STALL_WAIT tenths of a second, default 15 s). Sets RC
# and MS (time from the stop to the end; RC=124 when the client was still running).
stalled_run() {
	local name=$1 pid t0 t1 i
	shift
	rm -f "$T_DIR/started"
	client_argv "$@" -- "touch $T_DIR/started; sleep 30"
	env -u SSH_AUTH_SOCK "${CLIENT_ARGV[@]}" </dev/null >"$OUT" 2>"$ERR" &
	pid=$!
	t_track_pid "$pid"
	for ((i = 0; i < 200; i++)); do
		[[ -e "$T_DIR/started" ]] && break
		sleep 0.05
	done
	[[ -e "$T_DIR/started" ]] || fail "$name: the remote command did not start"
	sleep 0.3
	for p in $(descendants "$SSHD_PID"); do
		kill -STOP "$p" 2>/dev/null && STOPPED+=("$p")
	done
	t0=$(date +%s%N)
	RC=124
	for ((i = 0; i < ${STALL_WAIT:-150}; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			set +e
			wait "$pid"
			RC=$?
			set -e
			break
		fi
		sleep 0.1
	done
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
	if [[ "$RC" == 124 ]]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	cont_all
	check_sanitizer_report
}

# ---- the server stops answering: Interval 1, CountMax 2 -> gone after about 3 s
stalled_run "stalled" -o ServerAliveInterval=1 -o ServerAliveCountMax=2 -o LogLevel=INFO
expect_exit 255 "stalled server"
expect_error_line connect "stalled server"
if is_x509ssh; then
	expect_stderr_matches '^x509ssh: connect: timeout: server not responding$' "the stall is named"
fi
if ((MS >= 2000 && MS <= 7000)); then
	pass "stalled server detected after ${MS} ms (Interval 1 s, CountMax 2)"
else
	fail "stalled server detected after ${MS} ms, expected about 3000"
fi

# CountMax 0: no keepalive at all, one quiet interval ends the session (as OpenSSH)
stalled_run "countmax0" -o ServerAliveInterval=1 -o ServerAliveCountMax=0
expect_exit 255 "stalled server, CountMax 0"
if ((MS <= 3000)); then
	pass "CountMax 0: detected after ${MS} ms"
else
	fail "CountMax 0: detected after ${MS} ms, expected about 1000"
fi

# ---- without ServerAlive the client keeps waiting (killed after 8 s by stalled_run)
STALL_WAIT=80 stalled_run "no keepalive"
expect_exit 124 "no ServerAliveInterval: still waiting on the stalled server"

t_done
