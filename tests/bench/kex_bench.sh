#!/bin/bash
# Client CPU per connection with each key exchange method: x509ssh against OpenSSH's ssh, both
# talking to one local sshd pinned to the method (client and server pin it). Each connection
# authenticates and opens the sftp subsystem with stdin at EOF (sshd's internal-sftp: no login
# shell runs, so the remote side adds nothing but the session). Not part of ctest.
#
#   tests/bench/kex_bench.sh                    # 20 connections per method and client
#   BENCH_CONNS=5 tests/bench/kex_bench.sh
#
# mlkem768x25519-sha256: Debian's sshd 9.2 does not have it, so both columns say n/a (the KEM's
# own cost is in build/mlkem_bench).
. "$(dirname "$0")/../lib/common.sh"
set +e

unset SSH_AUTH_SOCK
OPENSSH=${OPENSSH:-/usr/bin/ssh}
CONNS=${BENCH_CONNS:-20}
GNU_TIME=/usr/bin/time
[[ -x "$GNU_TIME" ]] || die "GNU time (/usr/bin/time) is needed: apt-get install time"
. "$(dirname "$0")/report.sh"

# one_method KEX LABEL: CONNS connections of each client; records ms of CPU per connection
one_method() {
	local kex=$1 label=$2 c l i
	if ! "$SSHD_BIN" -Q kex 2>/dev/null | grep -qx "$kex" && ! ssh -Q kex | grep -qx "$kex"; then
		record "$label" x509ssh n/a
		record "$label" openssh n/a
		return
	fi
	start_sshd "KexAlgorithms $kex" "LogLevel ERROR"
	for c in "$X509SSH" "$OPENSSH"; do
		l=x509ssh
		[[ "$c" == "$OPENSSH" ]] && l=openssh
		: >"$T_DIR/times"
		for ((i = 0; i < CONNS; i++)); do
			local saved=$X509SSH
			X509SSH=$c
			client_argv -o "KexAlgorithms=$kex" -o LogLevel=ERROR -s -- sftp
			X509SSH=$saved
			"$GNU_TIME" -a -o "$T_DIR/times" -f '%e %U %S' "${CLIENT_ARGV[@]}" </dev/null >/dev/null 2>>"$T_DIR/err" ||
				echo "note: $l with $kex: a connection failed (status $?)" >&2
		done
		record "$label" "$l" "$(awk -v n="$CONNS" '{ c += $2 + $3 } END { printf "%.1f", c / n * 1000 }' "$T_DIR/times")"
	done
	stop_sshd
}

one_method curve25519-sha256 "curve25519-sha256 (ms CPU/conn)"
one_method mlkem768x25519-sha256 "mlkem768x25519-sha256 (ms CPU/conn)"
one_method sntrup761x25519-sha512@openssh.com "sntrup761x25519-sha512 (ms CPU/conn)"
bench_report "client CPU per connection, $CONNS each" 40
