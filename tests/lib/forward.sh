# shellcheck shell=bash
# Helpers of the forwarding and jump-host tests (sourced after common.sh, never run).
#
#   forward_setup [MIB]            # the client, an sshd, the echo service and (MIB given) the
#                                  # blob $T_DIR/big of MIB MiB
#   start_echo                     # tcp_echo.py on a free port: ECHO_PORT, ECHO_LOG
#   make_blob NAME MIB             # $T_DIR/NAME of MIB MiB random bytes
#   start_client_bg OPT... -- CMD  # the client in the background (stdio from /dev/null):
#                                  # BG_PID, stderr in $T_DIR/bg.err
#   stop_client_bg [SIGNAL]        # signal it (TERM) and wait: BG_RC
#   pump PORT IN OUT [--wait-file F]   # bytes of IN through 127.0.0.1:PORT (an echo) into OUT

start_echo() {
	ECHO_LOG="$T_DIR/echo.log"
	: >"$ECHO_LOG"
	start_peer echo tcp_echo.py --log "$ECHO_LOG"
	ECHO_PORT=$PEER_PORT
	PEER_PID=
}

make_blob() {
	head -c "$(($2 * 1048576))" /dev/urandom >"$T_DIR/$1"
}

start_client_bg() {
	client_argv "$@"
	env -u SSH_AUTH_SOCK "${CLIENT_ARGV[@]}" </dev/null >"$T_DIR/bg.out" 2>"$T_DIR/bg.err" &
	BG_PID=$!
	t_track_pid "$BG_PID"
}

stop_client_bg() {
	local sig=${1:-TERM}
	kill "-$sig" "$BG_PID" 2>/dev/null || true
	set +e
	timeout 20 tail --pid="$BG_PID" -f /dev/null
	wait "$BG_PID"
	BG_RC=$?
	set -e
}

pump() {
	timeout -k 5 "$CLIENT_TIMEOUT" "$PYTHON" "$PEERS_DIR/tcp_pump.py" "$@"
}

forward_setup() {
	require_client
	start_sshd
	start_echo
	if [[ $# -gt 0 ]]; then
		make_blob big "$1"
	fi
}
