#!/bin/bash
# Forwarding and jump-host benchmark: x509ssh against OpenSSH's ssh, same sshd, same cipher, in
# one run. Not part of ctest.
#
#   tests/bench/fwd_bench.sh                        # 100 MiB each
#   BENCH_BYTES=16777216 tests/bench/fwd_bench.sh   # a quick run
#
# -L: BENCH_BYTES through a local forwarding to an echo service behind the server (both ways:
#     the bytes go out and come back), timed from the first byte to the last echoed one; the
#     client's CPU from /proc for exactly that interval.
# -J: BENCH_BYTES up through one jump host (remote `cat > /dev/null`), GNU time around the client
#     (OpenSSH's -J runs a second ssh as its ProxyCommand: its CPU is counted as a child's).
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/forward.sh"
set +e

unset SSH_AUTH_SOCK
OPENSSH=${OPENSSH:-/usr/bin/ssh}
BYTES=${BENCH_BYTES:-104857600}
CIPHER=${BENCH_CIPHER:-aes128-gcm@openssh.com}
GNU_TIME=/usr/bin/time
mib=$(awk -v b="$BYTES" 'BEGIN { printf "%g", b / 1048576 }')

start_sshd "KexAlgorithms curve25519-sha256"
start_echo
head -c "$BYTES" /dev/urandom >"$T_DIR/blob"

. "$(dirname "$0")/report.sh"
cpu_of() { # cpu seconds (user+system) of PID and its reaped children
	awk '{ printf "%.3f", ($14 + $15 + $16 + $17) / 100 }' "/proc/$1/stat" 2>/dev/null
}

CFG="$T_DIR/bench_config"
cat >"$CFG" <<EOC
Host hop dest
    HostName 127.0.0.1
    Port $SSHD_PORT
    User $(id -un)
    IdentityFile $CLIENT_KEY
    IdentitiesOnly yes
    UserKnownHostsFile $KNOWN_HOSTS
    GlobalKnownHostsFile /dev/null
    BatchMode yes
    KexAlgorithms curve25519-sha256
    Ciphers $CIPHER
    LogLevel ERROR
EOC

for c in "$X509SSH" "$OPENSSH"; do
	l=$([[ "$c" == "$OPENSSH" ]] && echo openssh || echo x509ssh)
	# ---- -L
	LP=$(free_port)
	env -u SSH_AUTH_SOCK "$c" -F "$CFG" -N -L "$LP:127.0.0.1:$ECHO_PORT" dest </dev/null 2>"$T_DIR/l.err" &
	pid=$!
	if wait_port "$LP" "$pid" 20; then
		c0=$(cpu_of "$pid")
		t0=$(date +%s.%N)
		pump "$LP" "$T_DIR/blob" "$T_DIR/blob.out"
		t1=$(date +%s.%N)
		c1=$(cpu_of "$pid")
		if cmp -s "$T_DIR/blob" "$T_DIR/blob.out"; then
			record "-L ${mib} MiB echoed wall s" "$l" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
			record "-L ${mib} MiB echoed client cpu s" "$l" "$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')"
		else
			echo "$l -L: bytes differ" >&2
		fi
	else
		echo "$l -L: no listener: $(cat "$T_DIR/l.err")" >&2
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null

	# ---- -J
	tf="$T_DIR/time.j"
	"$GNU_TIME" -f '%e %U %S' -o "$tf" "$c" -F "$CFG" -J hop dest 'cat > /dev/null' <"$T_DIR/blob"
	if [[ $? == 0 ]]; then
		read -r w cpu < <(awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$tf")
		record "-J ${mib} MiB up wall s" "$l" "$w"
		record "-J ${mib} MiB up client cpu s" "$l" "$cpu"
	else
		echo "$l -J: failed" >&2
	fi
	# ---- -J connection setup (one jump, `true`)
	tf="$T_DIR/time.jc"
	"$GNU_TIME" -f '%e %U %S' -o "$tf" "$c" -F "$CFG" -J hop dest true </dev/null
	if [[ $? == 0 ]]; then
		read -r w cpu < <(awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$tf")
		record "-J connection setup wall s" "$l" "$w"
	fi
done

bench_report "metric ($CIPHER)" 40
