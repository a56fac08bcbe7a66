#!/bin/bash
# ConnectTimeout covers the TCP connect, the server's banner and the key exchange: a server that
# accepts but never speaks (or stops after its banner) ends the client with 255 and a
# "connect:" line within the timeout.
. "$(dirname "$0")/../lib/common.sh"
require_client
CLIENT_TIMEOUT=30

# timed CASE LIMIT_MS [option ...]: run the client, record the time in MS
timed() {
	local t0 t1
	t0=$(date +%s%N)
	run_client -o LogLevel=INFO "$@" -- echo should-not-run
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
}

for mode in silent banner-silence; do
	start_peer "$mode" badpeer.py --mode "$mode" --linger 60
	CLIENT_PORT=$PEER_PORT timed -o ConnectTimeout=2
	expect_exit 255 "$mode: ConnectTimeout=2"
	expect_no_crash "$mode"
	expect_error_line connect "$mode"
	if ((MS >= 1800 && MS <= 4500)); then
		pass "$mode: gave up after ${MS} ms (ConnectTimeout=2)"
	else
		fail "$mode: gave up after ${MS} ms, expected about 2000"
	fi
	if is_x509ssh; then
		if [[ "$mode" == silent ]]; then
			expect_stderr_matches "^x509ssh: connect: 127\.0\.0\.1 port $PEER_PORT: timed out waiting for the server's banner" "$mode: the stage is named"
		else
			expect_stderr_matches "^x509ssh: connect: 127\.0\.0\.1 port $PEER_PORT: timed out during key exchange" "$mode: the stage is named"
		fi
	fi
	# a longer timeout is honoured too (the limit is not a constant)
	CLIENT_PORT=$PEER_PORT timed -o ConnectTimeout=4
	if ((MS >= 3800 && MS <= 6500)); then
		pass "$mode: ConnectTimeout=4 gave up after ${MS} ms"
	else
		fail "$mode: ConnectTimeout=4 gave up after ${MS} ms, expected about 4000"
	fi
	stop_peer
done

# The timeout ends with the key exchange: a slow command afterwards is not cut short.
start_sshd
run_client -o ConnectTimeout=1 -- 'sleep 2; echo slow-ok'
expect_exit 0 "ConnectTimeout does not limit the session"
expect_stdout_eq "slow-ok" "slow command output"

# Without a timeout the silent peer keeps the client waiting (checked for 3 s, then killed).
start_peer silent2 badpeer.py --mode silent --linger 60
CLIENT_PORT=$PEER_PORT client_argv -- true
set +e
timeout 3 "${CLIENT_ARGV[@]}" </dev/null >"$OUT" 2>"$ERR"
RC=$?
set -e
expect_exit 124 "no ConnectTimeout: still waiting after 3 s"
t_done
