#!/bin/bash
# Misbehaving servers: every case ends with exit status 255, within a time limit (no hang),
# without a crash, and (x509ssh only) with exactly one "x509ssh: <category>: <cause>" line.
. "$(dirname "$0")/../lib/common.sh"
require_client

CLIENT_TIMEOUT=${BADPEER_TIMEOUT:-30}
# How long a case may take at most (the timeout cases use ConnectTimeout=3).
CASE_LIMIT=${BADPEER_CASE_LIMIT:-15}

# OpenSSH's ConnectTimeout does not cover the key exchange; its keepalive does. x509ssh's
# ConnectTimeout covers connect, banner and key exchange (OPTIONS.md), so it gets no help.
timeout_opts=(-o ConnectTimeout=3)
if ! is_x509ssh; then
	timeout_opts+=(-o ServerAliveInterval=1 -o ServerAliveCountMax=2)
fi

# run_case NAME CATEGORIES [client option ...]: one connection to 127.0.0.1:$CLIENT_PORT.
run_case() {
	local name=$1 cats=$2 t0 t1 ms
	shift 2
	t0=$(date +%s%N)
	run_client -o LogLevel=INFO "${timeout_opts[@]}" "$@" -- echo should-not-run
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	expect_no_crash "$name"
	expect_exit 255 "$name"
	expect_eq "$name: no command output" "" "$(cat "$OUT")"
	if ((ms <= CASE_LIMIT * 1000)); then
		pass "$name: finished in ${ms} ms"
	else
		fail "$name: took ${ms} ms (limit ${CASE_LIMIT} s)"
	fi
	expect_error_line "$cats" "$name"
	if [[ "${T_VERBOSE:-0}" == 1 ]]; then
		printf '     %s: %s\n' "$name" "$(tr '\n' ' ' <"$ERR" | head -c 200)"
	fi
}

# ---- scripted servers (tests/peers/badpeer.py)
declare -A cat_of=(
	[garbage]='connect|kex'
	[longline]='connect|kex'
	[manylines]='connect|kex'
	[badversion]='connect|kex'
	[silent]='connect'
	[banner-silence]='connect|kex'
	[oversized]='kex|connect'
	[badpadding]='kex|connect'
	[tinypacket]='kex|connect'
	[close-after-kexinit]='connect|kex'
	[nocipher]='kex'
	[truncated-kexinit]='kex|connect'
	[disconnect]='connect|kex'
)
for mode in garbage longline manylines badversion silent banner-silence oversized badpadding \
	tinypacket close-after-kexinit nocipher truncated-kexinit disconnect; do
	start_peer "$mode" badpeer.py --mode "$mode" --linger 60
	SSHD_PORT=$PEER_PORT run_case "badpeer $mode" "${cat_of[$mode]}"
	stop_peer
done

# A refused connection (nothing listens).
closed_port=$(free_port)
SSHD_PORT=$closed_port run_case "connection refused" connect

# ---- one flipped bit between a real sshd and the client (tests/peers/flipproxy.py)
start_sshd
real_port=$SSHD_PORT

# proxy_case NAME OFFSET CATEGORIES [client option ...]
proxy_case() {
	local name=$1 offset=$2 cats=$3
	shift 3
	start_peer "flip$offset" flipproxy.py --target-port "$real_port" --after-banner --offset "$offset"
	trust_host_keys "$T_DIR/kh_proxy" "$PEER_PORT"
	KNOWN_HOSTS="$T_DIR/kh_proxy" CLIENT_PORT=$PEER_PORT run_case "$name" "$cats" "$@"
	stop_peer
}

# Control: the proxy forwards faithfully when the flip lies beyond the stream.
start_peer control flipproxy.py --target-port "$real_port" --after-banner --offset 1000000000
trust_host_keys "$T_DIR/kh_proxy" "$PEER_PORT"
KNOWN_HOSTS="$T_DIR/kh_proxy" CLIENT_PORT=$PEER_PORT run_client -- 'head -c 300000 /dev/zero'
expect_exit 0 "control: through the proxy without a flip"
expect_eq "control: all data through the proxy" 300000 "$(stat -c %s "$OUT")"
stop_peer

# A bit of the server's KEXINIT cookie: the exchange hash differs, the signature cannot verify.
proxy_case "flip in KEXINIT cookie" 10 'kex|hostkey'

# A bit inside an encrypted packet after the key exchange (the remote command would stream
# 300 kB; byte 20000 after the version line is in the first channel data packet).
for spec in chacha20-poly1305@openssh.com aes128-gcm@openssh.com aes256-gcm@openssh.com \
	"aes128-ctr hmac-sha2-256" "aes128-ctr hmac-sha2-256-etm@openssh.com" "aes256-ctr hmac-sha2-512"; do
	read -r cipher mac <<<"$spec"
	# a flip in a packet_length field can leave the client waiting for bytes the server will
	# not send (it waits for a window adjustment or for our CLOSE): as with OpenSSH, only a
	# read timeout ends that, so the case sets one (the other flips end on the MAC)
	opts=(-o "Ciphers=$cipher" -o ServerAliveInterval=2 -o ServerAliveCountMax=2)
	if [[ -n "${mac:-}" ]]; then
		opts+=(-o "MACs=$mac")
	fi
	start_peer "flipdata" flipproxy.py --target-port "$real_port" --after-banner --offset 20000
	trust_host_keys "$T_DIR/kh_proxy" "$PEER_PORT"
	t0=$(date +%s%N)
	KNOWN_HOSTS="$T_DIR/kh_proxy" CLIENT_PORT=$PEER_PORT run_client -o LogLevel=INFO "${opts[@]}" -- 'head -c 300000 /dev/zero'
	ms=$((($(date +%s%N) - t0) / 1000000))
	name="flipped bit in data ($spec)"
	expect_no_crash "$name"
	expect_exit 255 "$name"
	size=$(stat -c %s "$OUT")
	if ((size < 300000)); then
		pass "$name: the stream was cut ($size bytes delivered)"
	else
		fail "$name: all $size bytes delivered despite the corruption"
	fi
	if ((ms <= CASE_LIMIT * 1000)); then
		pass "$name: finished in ${ms} ms"
	else
		fail "$name: took ${ms} ms (limit ${CASE_LIMIT} s)"
	fi
	expect_error_line 'connect|kex|channel' "$name"
	stop_peer
done

t_done
