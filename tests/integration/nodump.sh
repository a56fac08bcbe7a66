#!/bin/bash
# x509ssh and x509ssh-token hold PINs, passwords and keys: from the start of main they have a
# core-file limit of 0 and are not dumpable, so another process of the same user cannot read
# their memory or environment through /proc (issue 8). Observed on a live process: x509ssh
# waiting for a silent server, x509ssh-token opening a "module" that is a FIFO nobody writes.
# /proc/PID/limits shows the core limit; /proc/PID/* of a non-dumpable process belong to root,
# and the process's own user can no longer read /proc/PID/environ.
. "$(dirname "$0")/../lib/common.sh"
require_client
make_keys
TOKEN_BIN=${X509SSH_TOKEN:-$X509SSH_BUILD/x509ssh-token}

# As root, the clients run as nobody (root could read anything anyway); otherwise as ourselves.
AS=()
if [[ "$(id -u)" == 0 ]]; then
	AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
	chmod 755 "$T_DIR"
fi
# a core limit that is not 0 to start with, so that a client that does nothing about it fails
ulimit -S -c "$(ulimit -H -c)" 2>/dev/null || true
START_CORE=$(ulimit -S -c)

start_hostile silent silent # tests/peers/hostile_server.py: accepts and never speaks

# check NAME PID: the live process PID is not dumpable and has no core limit
check() {
	local name=$1 pid=$2 uid owner i
	for ((i = 0; i < 100; i++)); do
		[[ -r "/proc/$pid/status" ]] && grep -q "^Uid:" "/proc/$pid/status" && break
		sleep 0.05
	done
	sleep 0.5 # past exec and the start of main
	if ! kill -0 "$pid" 2>/dev/null; then
		fail "$name: the process is not running"
		return 0
	fi
	uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
	owner=$(stat -c %u "/proc/$pid/environ")
	if [[ "$uid" != 0 ]]; then
		expect_eq "$name: /proc/PID/environ belongs to root (not dumpable), the process to uid $uid" 0 "$owner"
	else
		fail "$name: runs as root, nothing to observe"
	fi
	if "${AS[@]}" cat "/proc/$pid/environ" >/dev/null 2>&1; then
		fail "$name: its own user can read /proc/$pid/environ"
	else
		pass "$name: its own user cannot read /proc/$pid/environ"
	fi
	if [[ "$START_CORE" == 0 ]]; then
		pass "$name: core limit (0 already before the start: not conclusive)"
	fi
	expect_file_matches "/proc/$pid/limits" '^Max core file size +0 +0 +bytes' "$name: core file limit 0"
}

# ---- x509ssh, waiting for the banner of a server that never speaks
"${AS[@]}" env -u SSH_AUTH_SOCK "$X509SSH" -F /dev/null -o UserKnownHostsFile=/dev/null \
	-o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -p "$PEER_PORT" 127.0.0.1 true \
	</dev/null >"$OUT" 2>"$ERR" &
pid=$!
t_track_pid "$pid"
check x509ssh "$pid"
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true

# ---- x509ssh-token, blocked opening its module (a FIFO)
if [[ -x "$TOKEN_BIN" ]]; then
	mkfifo "$T_DIR/module.so"
	chmod 666 "$T_DIR/module.so"
	"${AS[@]}" "$TOKEN_BIN" list "$T_DIR/module.so" </dev/null >"$OUT" 2>"$ERR" &
	pid=$!
	t_track_pid "$pid"
	check x509ssh-token "$pid"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
else
	pass "x509ssh-token not built: skipped"
fi

stop_peer
t_done
