#!/bin/bash
# Throughput, CPU and connection-setup benchmark: x509ssh against OpenSSH's ssh, both talking
# to one local sshd with curve25519-sha256. Not part of ctest.
#
#   tests/bench/bench.sh                       # 1 GiB each way, 50 connections
#   BENCH_BYTES=16777216 BENCH_CONNS=5 tests/bench/bench.sh   # a quick smoke run
#
# Environment: X509SSH (default build/x509ssh), OPENSSH (default /usr/bin/ssh), BENCH_BYTES,
# BENCH_CONNS, BENCH_CIPHERS (default "aes128-gcm@openssh.com chacha20-poly1305@openssh.com").
# Wall time is the client's elapsed seconds; CPU is the client's user+system seconds, both from
# GNU time wrapped around the client process alone (the data source and sink are not counted).
. "$(dirname "$0")/../lib/common.sh"
set +e # a failed measurement is reported, not fatal

unset SSH_AUTH_SOCK
OPENSSH=${OPENSSH:-/usr/bin/ssh}
BYTES=${BENCH_BYTES:-1073741824}
CONNS=${BENCH_CONNS:-50}
read -r -a CIPHERS <<<"${BENCH_CIPHERS:-aes128-gcm@openssh.com chacha20-poly1305@openssh.com}"
GNU_TIME=/usr/bin/time
[[ -x "$GNU_TIME" ]] || die "GNU time (/usr/bin/time) is needed: apt-get install time"

declare -a CLIENTS=()
declare -A LABEL=()
if [[ -x "$X509SSH" ]]; then
	CLIENTS+=("$X509SSH")
	LABEL[$X509SSH]=x509ssh
else
	echo "note: $X509SSH not found; measuring OpenSSH only" >&2
fi
CLIENTS+=("$OPENSSH")
LABEL[$OPENSSH]=openssh
if [[ "$X509SSH" == "$OPENSSH" ]]; then
	CLIENTS=("$OPENSSH")
fi

start_sshd "KexAlgorithms curve25519-sha256"

# argv_for CLIENT CIPHER: the client command line without the remote command.
argv_for() {
	local saved=$X509SSH
	X509SSH=$1
	client_argv -o KexAlgorithms=curve25519-sha256 -o "Ciphers=$2" -o LogLevel=ERROR --
	X509SSH=$saved
	unset 'CLIENT_ARGV[${#CLIENT_ARGV[@]}-1]' # the destination is appended by the caller
}

# The timings of the last GNU time file: sums M_WALL, M_CPU over its lines.
sum_times() {
	read -r M_WALL M_CPU < <(awk '{ w += $1; c += $2 + $3 } END { printf "%.2f %.2f\n", w, c }' "$1")
}
. "$(dirname "$0")/report.sh"

mib=$(awk -v b="$BYTES" 'BEGIN { printf "%g", b / 1048576 }')
for cipher in "${CIPHERS[@]}"; do
	short=${cipher%%@*}
	for c in "${CLIENTS[@]}"; do
		l=${LABEL[$c]}
		argv_for "$c" "$cipher"

		# up: local zeros -> remote cat > /dev/null (GNU time wraps the client only)
		tf="$T_DIR/time.up"
		rm -f "$tf"
		head -c "$BYTES" /dev/zero | "$GNU_TIME" -f '%e %U %S' -o "$tf" "${CLIENT_ARGV[@]}" 127.0.0.1 'cat > /dev/null'
		rc=$?
		if [[ $rc == 0 ]]; then
			sum_times "$tf"
			record "up ${mib} MiB $short wall s" "$l" "$M_WALL"
			record "up ${mib} MiB $short client cpu s" "$l" "$M_CPU"
		else
			echo "$l up $short: failed (exit $rc)" >&2
		fi

		# down: remote head -c -> local byte count (checked)
		tf="$T_DIR/time.down"
		rm -f "$tf"
		got=$("$GNU_TIME" -f '%e %U %S' -o "$tf" "${CLIENT_ARGV[@]}" 127.0.0.1 "head -c $BYTES /dev/zero" </dev/null | wc -c)
		rc=$?
		if [[ $rc == 0 && "$got" == "$BYTES" ]]; then
			sum_times "$tf"
			record "down ${mib} MiB $short wall s" "$l" "$M_WALL"
			record "down ${mib} MiB $short client cpu s" "$l" "$M_CPU"
		else
			echo "$l down $short: failed (exit $rc, $got bytes)" >&2
		fi
	done
done

# connection setup: CONNS sequential connections running `true` with the ed25519 key; wall from a
# monotonic clock and CPU from getrusage of the children (microseconds: GNU time's 10 ms steps are
# coarser than one connection's CPU)
for c in "${CLIENTS[@]}"; do
	l=${LABEL[$c]}
	argv_for "$c" "aes128-gcm@openssh.com"
	if read -r w cpu < <("$PYTHON" - "$CONNS" "${CLIENT_ARGV[@]}" 127.0.0.1 true <<'PY'
import resource, subprocess, sys, time
n, argv = int(sys.argv[1]), sys.argv[2:]
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.monotonic()
for _ in range(n):
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
w = time.monotonic() - t0
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %.4f" % (w, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime))
PY
	); then
		record "$CONNS connections wall s" "$l" "$w"
		record "$CONNS connections client cpu s" "$l" "$cpu"
		record "per connection wall ms" "$l" "$(awk -v w="$w" -v n="$CONNS" 'BEGIN { printf "%.1f", 1000 * w / n }')"
		record "per connection client cpu ms" "$l" "$(awk -v c="$cpu" -v n="$CONNS" 'BEGIN { printf "%.2f", 1000 * c / n }')"
	else
		echo "$l connections: failed" >&2
	fi
done

# ---- report
bench_report "metric" 44
